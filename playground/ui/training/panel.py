"""The training panel: every training setting of the project, the device picker and progress.

Settings widgets come from the core schemas (``TRAINING_PARAMS``, scheduler, clipping and
early-stopping parameters) through the same ``ParamForm`` the inspector uses. The panel
never changes the project itself: it emits the new settings and the main window applies
them as an undoable edit, so Ctrl+Z works for settings like for the graph.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from playground.core.devices import available_devices
from playground.core.training import Report
from playground.core.training_config import (
    AUGMENTATIONS,
    EARLY_STOPPING_PARAMS,
    GRAD_CLIP_PARAMS,
    SCHEDULERS,
    TRAINING_PARAMS,
    parse_training,
)
from playground.ui.param_form import ParamForm
from playground.ui.scrolling import scrolling

#: Settings that may change while a run is going (applied between steps).
LIVE_SETTINGS = ("lr",)
START_MESSAGE = "Press Train (F5) to start."


def duration(seconds: float) -> str:
    """'0:07', '3:25', '1:02:09': elapsed and remaining time as a clock shows them."""
    if not math.isfinite(seconds) or seconds < 0:
        return "–"
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class OptionalForm(QWidget):
    """A check box that enables a small settings form (gradient clipping, early stopping)."""

    changed = Signal()

    def __init__(self, title: str, help_text: str, params: tuple, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.params = params
        self.check = QCheckBox(title)
        self.check.setToolTip(help_text)
        self.form = ParamForm(params, {})
        self.form.valueChanged.connect(lambda *_: self.changed.emit())
        self.check.toggled.connect(self._toggled)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.check)
        layout.addWidget(self.form)
        self.form.setVisible(False)

    def _toggled(self, on: bool) -> None:
        self.form.setVisible(on)
        self.changed.emit()

    def value(self) -> dict[str, Any] | None:
        if not self.check.isChecked():
            return None
        return {name: editor.value() for name, editor in self.form.editors.items()}

    def set_value(self, value: Mapping[str, Any] | None) -> None:
        with QSignalBlocker(self.check):
            self.check.setChecked(value is not None)
        self.form.setVisible(value is not None)
        if value:
            self.form.set_values(value)


class TrainingPanel(QWidget):
    """Settings (from the schemas), device picker and progress of the current run.

    Signal: ``settingsEdited(dict)`` with the whole new ``training`` object, for every edit,
    also of the learning rate while a run goes (the workspace passes it on to the run).
    """

    settingsEdited = Signal(dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._training: dict[str, Any] = {}
        flat = [p for p in TRAINING_PARAMS if p.name not in ("device", "augment_strength")]
        self.form = ParamForm(flat, {})
        self.form.valueChanged.connect(self._edit)
        # the strength sits under the augmentation kinds it scales
        self.augment_strength = ParamForm([p for p in TRAINING_PARAMS if p.name == "augment_strength"], {})
        self.augment_strength.valueChanged.connect(self._edit)

        self.device = QComboBox()
        self.device.setObjectName("device")
        self.device.setToolTip("Where to train. Auto picks a GPU when there is one.")
        devices = available_devices()
        best = next((d for d in devices if d.kind != "cpu"), devices[0])
        self.device.addItem(f"Auto ({best.label})", "auto")
        for info in devices:
            self.device.addItem(info.label, info.id)
        self.device.currentIndexChanged.connect(lambda _: self._edit("device", self.device.currentData()))

        self.scheduler = QComboBox()
        self.scheduler.setObjectName("scheduler")
        for name, (help_text, _) in SCHEDULERS.items():
            self.scheduler.addItem(name, name)
            self.scheduler.setItemData(self.scheduler.count() - 1, help_text, Qt.ItemDataRole.ToolTipRole)
        self.scheduler.setToolTip("How the learning rate changes over the run.")
        self.scheduler.currentIndexChanged.connect(self._scheduler_changed)
        self.scheduler_forms = {name: ParamForm(params, {}) for name, (_, params) in SCHEDULERS.items()}
        for form in self.scheduler_forms.values():
            form.valueChanged.connect(lambda *_: self._edit("scheduler", self._scheduler_value()))
            form.setVisible(False)

        self.clip = OptionalForm("Gradient clipping", "Limit the gradient against explosions.", GRAD_CLIP_PARAMS)
        self.clip.changed.connect(lambda: self._edit("grad_clip", self.clip.value()))
        self.early = OptionalForm("Early stopping", "Stop when the validation loss has not improved for a while, "
                                  "and keep the best weights.", EARLY_STOPPING_PARAMS)
        self.early.changed.connect(lambda: self._edit("early_stopping", self.early.value()))
        self.augment = {name: QCheckBox(name) for name in AUGMENTATIONS}
        for name, box in self.augment.items():
            kind = AUGMENTATIONS[name]
            box.setToolTip(kind.help + (" (image datasets only)" if kind.images_only else ""))
            box.toggled.connect(lambda *_: self._edit("augment", self._augment_value()))

        self.progress = QProgressBar()
        self.progress.setObjectName("progress")
        self.progress.setTextVisible(True)
        self.status = QLabel(START_MESSAGE)
        self.status.setObjectName("trainingStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.next_run = QLabel()
        self.next_run.setObjectName("nextRun")
        self.next_run.setWordWrap(True)
        self.next_run.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.next_run.setToolTip("Training settings (epochs, learning rate, optimiser...) can change between runs "
                                 "without losing the weights; an edit of the network or the dataset starts afresh.")

        content = QWidget()
        layout = QVBoxLayout(content)
        run_box = QGroupBox("Run")
        run = QVBoxLayout(run_box)
        # the Run box keeps its height from one message to the next (room for three lines of
        # progress and three of what the run starts from), so the settings under it do not move
        # while a person aims at them during a run
        for label, lines in ((self.status, 3), (self.next_run, 3)):
            label.setMinimumHeight(lines * label.fontMetrics().lineSpacing())
        self.reset_progress()
        run.addWidget(self.progress)
        run.addWidget(self.status)
        run.addWidget(self.next_run)
        layout.addWidget(run_box)
        settings_box = QGroupBox("Settings")
        settings = QVBoxLayout(settings_box)
        top = QFormLayout()
        top.addRow("Device", self.device)
        settings.addLayout(top)
        settings.addWidget(self.form)
        schedule = QFormLayout()
        schedule.addRow("Schedule", self.scheduler)
        settings.addLayout(schedule)
        for form in self.scheduler_forms.values():
            settings.addWidget(form)
        settings.addWidget(self.clip)
        settings.addWidget(self.early)
        augment_row = QFormLayout()
        augment_widget = QWidget()
        augment_layout = QVBoxLayout(augment_widget)
        augment_layout.setContentsMargins(0, 0, 0, 0)
        for box in self.augment.values():
            augment_layout.addWidget(box)
        augment_row.addRow("Augment", augment_widget)
        settings.addLayout(augment_row)
        settings.addWidget(self.augment_strength)
        layout.addWidget(settings_box)
        layout.addStretch(1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scrolling(content))
        self.settings_box = settings_box

    # ---------------------------------------------------------------- settings
    def set_training(self, training: Mapping[str, Any]) -> None:
        """Show a project's settings (after open, undo or an edit) without emitting edits."""
        self._training = dict(training)
        config, _ = parse_training(training)
        values = config.to_dict()
        self.form.set_values(values)
        self.augment_strength.set_values(values)
        with QSignalBlocker(self.device):
            index = self.device.findData(config.device)
            if index < 0:
                self.device.addItem(config.device, config.device)
                index = self.device.count() - 1
            self.device.setCurrentIndex(index)
        with QSignalBlocker(self.scheduler):
            self.scheduler.setCurrentIndex(self.scheduler.findData(config.scheduler["name"]))
        for name, form in self.scheduler_forms.items():
            form.setVisible(name == config.scheduler["name"] and bool(form.editors))
            if name == config.scheduler["name"]:
                form.set_values(config.scheduler)
        self.clip.set_value(config.grad_clip)
        self.early.set_value(config.early_stopping)
        for name, box in self.augment.items():
            with QSignalBlocker(box):
                box.setChecked(name in config.augment)

    def _edit(self, key: str, value: Any) -> None:
        training = dict(self._training)
        if value is None or value == () or value == []:
            training.pop(key, None)
        else:
            training[key] = value
        if training != self._training:
            self._training = training
            self.settingsEdited.emit(training)

    def _scheduler_changed(self) -> None:
        name = self.scheduler.currentData()
        for key, form in self.scheduler_forms.items():
            form.setVisible(key == name and bool(form.editors))
        self._edit("scheduler", self._scheduler_value())

    def _scheduler_value(self) -> Any:
        name = self.scheduler.currentData()
        if name == "none":
            return None
        values = {k: e.value() for k, e in self.scheduler_forms[name].editors.items()}
        return {"name": name, **values}

    def _augment_value(self) -> list[str]:
        return [name for name, box in self.augment.items() if box.isChecked()]

    # ---------------------------------------------------------------- run state
    def set_running(self, running: bool) -> None:
        """While a run goes, only the learning rate stays editable (it applies between steps)."""
        for name, editor in self.form.editors.items():
            editor.widget.setEnabled(not running or name in LIVE_SETTINGS)
        for widget in (self.device, self.scheduler, self.clip, self.early, *self.augment.values(),
                       self.augment_strength, *self.scheduler_forms.values()):
            widget.setEnabled(not running)

    def show_progress(self, report: Report, total_steps: int, steps_per_second: float, elapsed: float) -> None:
        self.progress.setRange(0, max(total_steps, 1))
        self.progress.setValue(min(report.step, total_steps))
        self.progress.setFormat(f"epoch {report.epoch}/{report.total_epochs} · step {report.step:,}")
        remaining = (total_steps - report.step) / steps_per_second if steps_per_second > 0 else math.inf
        parts = [f"{steps_per_second:,.0f} steps/s", f"elapsed {duration(elapsed)}",
                 f"remaining {duration(remaining)}"]
        if report.train_loss is not None:
            parts.append(f"loss {report.train_loss:.4g}")
        if report.val_acc is not None:
            parts.append(f"val acc {report.val_acc:.1%}")
        self.status.setText(" · ".join(parts))

    def show_message(self, text: str) -> None:
        self.status.setText(text)

    def show_next_run(self, text: str) -> None:
        """What the next Train does with the weights (continue or start afresh), or nothing."""
        self.next_run.setText(text)
        self.next_run.setVisible(bool(text))

    def reset_progress(self) -> None:
        """Nothing run yet (another project was opened)."""
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("not started")
        self.status.setText(START_MESSAGE)
