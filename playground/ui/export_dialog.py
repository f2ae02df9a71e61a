"""File > Export…: choose a format and a file, export off the GUI thread, and show the person
the verification result the core computes right after writing ("verified: max |Δ| = …").

The dialog only collects choices, finds the weights and shows progress; writing and verifying
is ``playground.core.export.export_project``, the same code the CLI runs. Which weights: the
last run's (or loaded) weights, a copy of the live model's taken on the training thread while
a run is paused, or none, in which case the initialised model is exported and the dialog says so.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)
from tqdm import tqdm

from playground.core.datasets import Dataset
from playground.core.export import EXPORTERS, ExportResult, export_project
from playground.core.params import UserError
from playground.core.project import Project, file_stem
from playground.core.training import Trainer
from playground.ui.collector import gui_thread_gc
from playground.ui.theme import CanvasColors
from playground.ui.training.worker import Computed, TrainingSession

#: ``PathChooser(parent, title, suggested path, name filter)``: the file to export to, or None.
PathChooser = Callable[[QWidget, str, str, str], str | None]
StateDict = dict[str, Any]

#: Key of the request that copies a paused run's weights (``TrainingSession.request``).
LIVE_STATE_KEY = "export_state"

#: Check box text and tooltip per exporter option (``Exporter.options``).
OPTION_LABELS: dict[str, tuple[str, str]] = {
    "training_script": ("Also write a training script",
                        "Make the file a complete script that trains the network on its own: the model, this "
                        "dataset (saved beside it as .npz), the chosen optimiser, schedule and loss."),
}

TRAINED_NOTE = "The trained weights (the last run's, or those loaded with File > Load Weights…)."
INITIALISED_NOTE = "No trained weights: exporting the initialised model (train first to export what it learned)."


def cpu_state(trainer: Trainer) -> StateDict:
    """Runs on the training thread: an owned CPU copy of the live model's weights, so the export
    neither races the next training step nor touches the training device."""
    return {k: v.detach().cpu().clone() for k, v in trainer.model.state_dict().items()}


class _ExportJob(QObject):
    """One export on a plain Python thread (ONNX and torch.export take seconds, the dialog stays
    responsive); its outcome comes back as queued signals to the GUI thread."""

    progressed = Signal(str)
    succeeded = Signal(object)
    failed = Signal(str)

    def __init__(self, project: Project, path: Path, fmt: str, weights: StateDict | None,
                 data: Dataset | None, training_script: bool) -> None:
        super().__init__()
        self.fmt = fmt
        self._export = functools.partial(export_project, project, path, fmt, weights=weights, data=data,
                                         training_script=training_script)
        self.thread = threading.Thread(target=self._run, name="playground-export")

    def start(self) -> None:
        # The ONNX exporter uses tqdm, whose monitor thread would outlive the export.
        tqdm.monitor_interval = 0
        if self.fmt == "onnx":
            # Import the exporter's large dependencies here, on the GUI thread: a first import
            # (compiling onnxscript's generated modules) on the export thread was seen to hang.
            import onnxscript  # noqa: F401
            import torch.onnx  # noqa: F401
        # Tracing allocates heavily: keep Python's cyclic collector, which may free Qt objects
        # on whichever thread triggers it, on the GUI thread as a training run does.
        gui_thread_gc.acquire()
        self.thread.start()

    def join(self) -> None:
        """The thread has signalled its outcome as its last act: wait for it to end."""
        self.thread.join()
        gui_thread_gc.release()

    def _run(self) -> None:
        try:
            result = self._export(progress=self.progressed.emit)
        except UserError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # shown to the person, never a traceback; that goes to the log
            logging.getLogger(__name__).exception("export failed")
            self.failed.emit(f"{type(exc).__name__}: {exc}")
        else:
            self.succeeded.emit(result)


class ExportDialog(QDialog):
    """Format, options and file; Export runs in the background and shows its verification.

    ``weights`` is the state dict to export (None: the initialised model) unless ``live`` is a
    paused run, whose current weights are copied on its training thread when the dialog opens.
    ``choose_path`` asks for the output file (tests answer it); ``folder`` is where the file is
    suggested (default: the project's folder). Closing while an export runs
    closes the dialog once the export has ended, so no thread outlives it.
    """

    def __init__(self, project: Project, data: Dataset | None, weights: StateDict | None, *,
                 choose_path: PathChooser, colors: CanvasColors, live: TrainingSession | None = None,
                 folder: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export Model")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.project, self.data, self.weights = project.copy(), data, weights
        self.choose_path = choose_path
        self.colors = colors
        self.exported: ExportResult | None = None
        self._job: _ExportJob | None = None
        # A paused run's weights arrive from its training thread; until then (or when copying
        # them failed) there is nothing to export.
        self._weights_ready = live is None
        self._waiting_for_state = live is not None
        self._close_when_done = False

        self.format = QComboBox()
        for i, (name, exporter) in enumerate(EXPORTERS.items()):
            self.format.addItem(exporter.title, name)
            self.format.setItemData(i, exporter.help, Qt.ItemDataRole.ToolTipRole)
        self.help = self._dim_label()
        self.options = {name: QCheckBox(text) for name, (text, _tip) in OPTION_LABELS.items()}
        for name, box in self.options.items():
            box.setToolTip(OPTION_LABELS[name][1])
        self.path = QLineEdit()
        self.path.setPlaceholderText("where to write the file")
        self.path.setMinimumWidth(360)
        self.browse = QPushButton("Browse…")
        self.browse.clicked.connect(self._browse)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(self.browse)
        self.note = self._dim_label()

        self.form = QWidget()
        form = QFormLayout(self.form)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Format:", self.format)
        form.addRow("", self.help)
        for box in self.options.values():
            form.addRow("", box)
        form.addRow("File:", file_row)
        form.addRow("Weights:", self.note)

        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(8)
        keep_space = self.progress.sizePolicy()
        keep_space.setRetainSizeWhenHidden(True)
        self.progress.setSizePolicy(keep_space)
        self.stage = self._dim_label()
        self.outcome = QLabel()
        self.outcome.setWordWrap(True)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.ActionRole)
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addSpacing(6)
        layout.addWidget(self.progress)
        layout.addWidget(self.stage)
        layout.addWidget(self.outcome)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

        # Not project.base_dir: for a project never saved that is the working folder, which is
        # the app's source tree when scripts/run.sh started it. The window passes its start folder.
        start = folder if folder is not None else project.base_dir
        self.path.setText(str(start / f"{file_stem(project.name)}{EXPORTERS[self.fmt].suffix}"))
        self.format.currentIndexChanged.connect(self._format_changed)
        self._format_changed()
        if live is None:
            self.note.setText(TRAINED_NOTE if weights is not None else INITIALISED_NOTE)
        else:
            self.note.setText("The paused run's current weights.")
            self.stage.setText("copying the paused run's weights…")
            live.computed.connect(self._live_state)
            live.failed.connect(self._live_failed)
            live.request(LIVE_STATE_KEY, cpu_state)
        self._update_state()

    def _dim_label(self) -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        label.setStyleSheet(f"color: {self.colors.text_dim.name()};")
        label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        return label

    @property
    def fmt(self) -> str:
        return str(self.format.currentData())

    # ------------------------------------------------------------------ choices
    @Slot()
    def _format_changed(self) -> None:
        exporter = EXPORTERS[self.fmt]
        self.format.setToolTip(exporter.help)
        self.help.setText(exporter.help)
        for name, box in self.options.items():
            box.setVisible(name in exporter.options)
        text = self.path.text().strip()
        if text:
            self.path.setText(str(Path(text).with_suffix(exporter.suffix)))

    @Slot()
    def _browse(self) -> None:
        exporter = EXPORTERS[self.fmt]
        path = self.choose_path(self, "Export to", self.path.text(),
                                f"{exporter.title} (*{exporter.suffix});;All files (*)")
        if path:
            self.path.setText(path)

    def _target(self) -> Path | None:
        text = self.path.text().strip()
        if not text:
            return None
        path = Path(text).expanduser()
        return path if path.suffix else path.with_suffix(EXPORTERS[self.fmt].suffix)

    # ------------------------------------------------------------------ the paused run's weights
    @Slot(object)
    def _live_state(self, computed: Computed) -> None:
        if computed.key != LIVE_STATE_KEY or not self._waiting_for_state:
            return
        self._waiting_for_state = False
        self.stage.setText("")
        if computed.error:
            self._show_outcome(f"Could not copy the paused run's weights: {computed.error}", ok=False)
        else:
            self.weights, self._weights_ready = computed.value, True
        self._update_state()

    @Slot(str)
    def _live_failed(self, message: str) -> None:
        if self._waiting_for_state:
            self._waiting_for_state = False
            self.stage.setText("")
            self._show_outcome(f"The run ended before its weights could be copied: {message}", ok=False)
            self._update_state()

    # ------------------------------------------------------------------ exporting
    @Slot()
    def start(self) -> None:
        """Export to the chosen file in the background."""
        if self._job is not None or not self._weights_ready:
            return
        path = self._target()
        if path is None:
            self._show_outcome("Choose a file to export to.", ok=False)
            return
        self.path.setText(str(path))
        exporter = EXPORTERS[self.fmt]
        script = "training_script" in exporter.options and self.options["training_script"].isChecked()
        job = _ExportJob(self.project, path, self.fmt, self.weights, self.data, script)
        job.progressed.connect(self._progressed)
        job.succeeded.connect(self._succeeded)
        job.failed.connect(self._failed)
        self._job = job
        self.outcome.clear()
        self.stage.setText("starting…")
        self._update_state()
        job.start()

    @Slot(str)
    def _progressed(self, stage: str) -> None:
        if self._job is not None:
            self.stage.setText(f"{stage}…" if stage != "done" else "")

    @Slot(object)
    def _succeeded(self, result: ExportResult) -> None:
        self.exported = result
        lines = [result.message, f"Wrote {result.path}"]
        if result.opset is not None:
            lines.append(f"ONNX opset {result.opset}")
        lines += [f"Also wrote {extra.name}" for extra in result.extra_files]
        self._show_outcome("\n".join(lines), ok=True)
        self._end_job()

    @Slot(str)
    def _failed(self, message: str) -> None:
        self._show_outcome(f"Export failed: {message}", ok=False)
        self._end_job()

    def _end_job(self) -> None:
        """The job has reported: let its thread end, then close if that was asked meanwhile."""
        assert self._job is not None
        self._job.join()
        self._job = None
        self.stage.setText("")
        self._update_state()
        if self._close_when_done:
            self.reject()

    def _update_state(self) -> None:
        self.progress.setVisible(self._job is not None or self._waiting_for_state)
        self.form.setEnabled(self._job is None)
        self.export_button.setEnabled(self._job is None and self._weights_ready)

    def _show_outcome(self, text: str, ok: bool) -> None:
        color = self.colors.ok if ok else self.colors.error
        self.outcome.setStyleSheet(f"color: {color.name()};")
        self.outcome.setText(text)

    @Slot()
    def reject(self) -> None:
        """Close, Escape and the window's close button: while an export runs, close once it
        has ended (the file is then complete and verified, or not there at all)."""
        if self._job is not None:
            self._close_when_done = True
            self.stage.setText("closing when the export has finished…")
            self.buttons.setEnabled(False)
            return
        super().reject()
