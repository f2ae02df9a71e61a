"""File > Export…: choose a format and a file, export off the GUI thread, and show the person
the verification result the core computes right after writing ("verified: max |Δ| = …").

The dialog only collects choices and shows progress; writing and verifying is
``playground.core.export.export_project``, the same code the CLI runs.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from tqdm import tqdm

from playground.core.datasets import Dataset
from playground.core.export import EXPORTERS, ExportResult, export_project
from playground.core.params import UserError
from playground.core.project import Project


class _ExportJob(QObject):
    """Runs one export on a plain Python thread (ONNX and torch.export take seconds, the dialog
    stays responsive); results come back as queued signals to the GUI thread."""

    progressed = Signal(str)
    succeeded = Signal(object)
    failed = Signal(str)

    def __init__(self, project: Project, path: Path, fmt: str, weights: dict[str, Any] | None,
                 data: Dataset | None, training_script: bool) -> None:
        super().__init__()
        self.args = (project, path, fmt)
        self.kwargs = {"weights": weights, "data": data, "training_script": training_script}
        self.thread = threading.Thread(target=self.run, name="playground-export", daemon=True)

    def start(self) -> None:
        # The ONNX exporter shows tqdm bars; tqdm's monitor thread would outlive the export.
        tqdm.monitor_interval = 0
        if self.args[2] == "onnx":
            # Import the exporter's large dependencies here, on the GUI thread: a first import
            # (compiling onnxscript's generated modules) on the export thread was seen to hang.
            import onnxscript  # noqa: F401
            import torch.onnx  # noqa: F401
        self.thread.start()

    def wait(self) -> None:
        self.thread.join()

    def run(self) -> None:
        try:
            result = export_project(*self.args, progress=self.progressed.emit, **self.kwargs)
        except UserError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # shown to the person, never a traceback
            self.failed.emit(f"the export failed: {type(exc).__name__}: {exc}")
        else:
            self.succeeded.emit(result)


class ExportDialog(QDialog):
    """Format, options and file; Export runs in the background and reports its verification."""

    def __init__(self, project: Project, weights: dict[str, Any] | None, data: Dataset | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export model")
        self.project, self.weights, self.data = project.copy(), weights, data
        self.result: ExportResult | None = None
        self._thread: _ExportJob | None = None

        self.format = QComboBox()
        self.format.setObjectName("format")
        for name, exporter in EXPORTERS.items():
            self.format.addItem(exporter.title, name)
            self.format.setItemData(self.format.count() - 1, exporter.help, 3)
        self.script = QCheckBox("Also write a training script")
        self.script.setToolTip("A standalone script with the model, the data and the chosen optimiser")
        self.path = QLineEdit()
        self.path.setObjectName("path")
        self.path.setPlaceholderText("where to write the file")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        note = ("Exports the trained weights." if weights is not None
                else "No trained weights: exporting the initialised model.")
        self.note = QLabel(note)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.hide()
        self.stage = QLabel("")
        self.outcome = QLabel("")
        self.outcome.setObjectName("outcome")
        self.outcome.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.ActionRole)
        self.export_button.clicked.connect(self.start)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("Format", self.format)
        form.addRow("", self.script)
        form.addRow("File", row)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(self.progress)
        layout.addWidget(self.stage)
        layout.addWidget(self.outcome)
        layout.addWidget(self.buttons)
        self.format.currentIndexChanged.connect(self._format_changed)
        self._format_changed()
        self.resize(520, 260)

    @property
    def fmt(self) -> str:
        return str(self.format.currentData())

    def _format_changed(self) -> None:
        self.script.setVisible(self.fmt == "py")
        suffix = EXPORTERS[self.fmt].suffix
        if self.path.text():
            self.path.setText(str(Path(self.path.text()).with_suffix(suffix)))

    def _browse(self) -> None:
        suffix = EXPORTERS[self.fmt].suffix
        path, _ = QFileDialog.getSaveFileName(self, "Export to", f"model{suffix}", f"*{suffix}")
        if path:
            self.path.setText(path)

    def start(self) -> None:
        """Export to the chosen file in the background."""
        text = self.path.text().strip()
        if not text:
            self._show_outcome("Choose a file to export to.", ok=False)
            return
        path = Path(text)
        if not path.suffix:
            path = path.with_suffix(EXPORTERS[self.fmt].suffix)
        thread = _ExportJob(self.project, path, self.fmt, self.weights, self.data,
                               self.script.isChecked() and self.fmt == "py")
        thread.progressed.connect(self.stage.setText)
        thread.succeeded.connect(self._succeeded)
        thread.failed.connect(self._failed)
        self._thread = thread
        self.export_button.setEnabled(False)
        self.progress.show()
        self.outcome.setText("")
        thread.start()

    @Slot(object)
    def _succeeded(self, result: ExportResult) -> None:
        self.result = result
        self._finish()
        self._show_outcome(f"Wrote {result.path.name}: {result.message}", ok=True)

    @Slot(str)
    def _failed(self, message: str) -> None:
        self._finish()
        self._show_outcome(message, ok=False)

    def _finish(self) -> None:
        if self._thread is not None and self._thread.thread.is_alive():
            self._thread.wait()
        self.progress.hide()
        self.stage.setText("")
        self.export_button.setEnabled(True)

    def _show_outcome(self, text: str, ok: bool) -> None:
        self.outcome.setStyleSheet(f"color: {'#1f8a3b' if ok else '#c62828'};")
        self.outcome.setText(text)

    def wait(self) -> None:
        """Block until a running export has ended (tests, closing)."""
        if self._thread is not None and self._thread.thread.ident is not None:
            self._thread.wait()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.wait()
        super().closeEvent(event)

    def reject(self) -> None:
        self.wait()
        super().reject()
