"""Widgets for ``Param`` schemas: one editor per parameter kind, built from the schema alone.

The inspector (layer parameters) and the dataset panel (dataset options) both use
``ParamForm``, so a range, a default or a help text is written once in core and every form
follows. Editors report each change at once (``valueChanged``); ``set_values`` updates them
quietly when the model changes underneath (undo), without stealing focus or re-emitting.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSlider,
    QSpinBox,
    QToolButton,
    QWidget,
)

from playground.core.layers import ACTIVATIONS, INITS, LOSSES
from playground.core.params import Param
from playground.core.training_config import OPTIMIZERS
from playground.ui.theme import set_text_color

INT_LIMIT = 2**31 - 1
FLOAT_DECIMALS = 8

Browse = Callable[[Param], "str | None"]
OnChange = Callable[[Any], None]

#: Per-choice help texts, found by the set of choices a parameter offers.
CHOICE_HELP: tuple[dict[str, str], ...] = (
    {k: a.help for k, a in ACTIVATIONS.items()},
    {k: i.help for k, i in INITS.items()},
    dict(LOSSES),
    dict(OPTIMIZERS),
)


def tooltip(param: Param) -> str:
    return f"{param.help}\nAllowed: {param.describe_range()}."


def nice_step(value: float, steps: int) -> float:
    """Move along the 1-2-5 ladder (…, 0.01, 0.02, 0.05, 0.1, …): log-scale stepping."""
    if value <= 0:
        return 10.0 ** -4 if steps > 0 else value
    exponent = math.floor(math.log10(value) + 1e-9)
    ladder = [m * 10.0 ** e for e in range(exponent - 1, exponent + 2) for m in (1, 2, 5)]
    index = min(range(len(ladder)), key=lambda i: abs(ladder[i] - value))
    index = max(0, min(len(ladder) - 1, index + steps))
    return float(f"{ladder[index]:.6g}")


class CompactDoubleSpinBox(QDoubleSpinBox):
    """Shows 0.01 rather than 0.01000000; steps along 1-2-5 when ``log_scale``."""

    def __init__(self, log_scale: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.log_scale = log_scale
        self.setDecimals(FLOAT_DECIMALS)
        if not log_scale:
            self.setStepType(QDoubleSpinBox.StepType.AdaptiveDecimalStepType)

    def textFromValue(self, value: float) -> str:
        return f"{value:.6g}"

    def stepBy(self, steps: int) -> None:
        if self.log_scale:
            self.setValue(nice_step(self.value(), steps))
        else:
            super().stepBy(steps)


class ParamEditor:
    """Base: a widget that edits one parameter and reports changes through ``on_change``."""

    def __init__(self, param: Param, on_change: OnChange) -> None:
        self.param = param
        self.on_change = on_change
        self.widget: QWidget = QWidget()

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def _changed(self, *_args: Any) -> None:
        self.on_change(self.value())


def _bounds(param: Param, step: float) -> tuple[float, float]:
    lo = param.minimum if param.minimum is not None else -INT_LIMIT
    hi = param.maximum if param.maximum is not None else INT_LIMIT
    if param.min_exclusive:
        lo += step
    if param.max_exclusive:
        hi -= step
    if param.nullable:
        lo -= step
    return lo, hi


class IntEditor(ParamEditor):
    """A spin box over the allowed range; a nullable parameter's empty value is one below the
    minimum, shown as its ``null_label``."""

    def __init__(self, param: Param, on_change: OnChange) -> None:
        super().__init__(param, on_change)
        box = QSpinBox()
        lo, hi = _bounds(param, 1)
        box.setRange(int(max(lo, -INT_LIMIT)), int(min(hi, INT_LIMIT)))
        if param.nullable:
            box.setSpecialValueText(param.null_label or "auto")
        box.setAccelerated(True)
        box.valueChanged.connect(self._changed)
        self.box = self.widget = box

    def value(self) -> Any:
        v = self.box.value()
        return None if self.param.nullable and v == self.box.minimum() else v

    def set_value(self, value: Any) -> None:
        with QSignalBlocker(self.box):
            self.box.setValue(self.box.minimum() if value is None else int(value))


class FloatEditor(ParamEditor):
    def __init__(self, param: Param, on_change: OnChange) -> None:
        super().__init__(param, on_change)
        box = CompactDoubleSpinBox(param.log_scale)
        lo, hi = _bounds(param, 10.0 ** -FLOAT_DECIMALS)
        box.setRange(lo, hi)
        if param.nullable:
            box.setSpecialValueText(param.null_label or "auto")
        box.valueChanged.connect(self._changed)
        self.box = self.widget = box

    def value(self) -> Any:
        v = self.box.value()
        return None if self.param.nullable and v == self.box.minimum() else float(f"{v:.6g}")

    def set_value(self, value: Any) -> None:
        with QSignalBlocker(self.box):
            self.box.setValue(self.box.minimum() if value is None else float(value))


class UnitSliderEditor(ParamEditor):
    """A probability in [0, 1): a slider for quick dragging beside a spin box for exact values."""

    STEPS = 100

    def __init__(self, param: Param, on_change: OnChange) -> None:
        super().__init__(param, on_change)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        top = self.STEPS - 1 if param.max_exclusive else self.STEPS
        self.slider.setRange(0, top)
        self.box = CompactDoubleSpinBox()
        self.box.setDecimals(3)
        self.box.setRange(0.0, top / self.STEPS)
        self.box.setSingleStep(0.05)
        self.box.setStepType(QDoubleSpinBox.StepType.DefaultStepType)
        self.box.setFixedWidth(72)
        self.widget = QWidget()
        row = QHBoxLayout(self.widget)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.slider, 1)
        row.addWidget(self.box)
        self.slider.valueChanged.connect(self._from_slider)
        self.box.valueChanged.connect(self._from_box)

    def _from_slider(self, position: int) -> None:
        with QSignalBlocker(self.box):
            self.box.setValue(position / self.STEPS)
        self._changed()

    def _from_box(self, value: float) -> None:
        with QSignalBlocker(self.slider):
            self.slider.setValue(round(value * self.STEPS))
        self._changed()

    def value(self) -> Any:
        return float(f"{self.box.value():.6g}")

    def set_value(self, value: Any) -> None:
        with QSignalBlocker(self.box), QSignalBlocker(self.slider):
            self.box.setValue(float(value))
            self.slider.setValue(round(float(value) * self.STEPS))


#: A choice box keeps room for its longest choice, counted in widths of "X" (Qt's unit for
#: ``minimumContentsLength``), at least ``CHOICE_CHARS_MIN`` and at most ``CHOICE_CHARS_MAX``:
#: a longer choice may be elided in a narrow panel rather than widen it.
CHOICE_CHARS_MIN = 4
CHOICE_CHARS_MAX = 18


class ChoiceEditor(ParamEditor):
    """A combo box sized by its longest choice (capped), not by the widest it could be: Qt's
    default fixes the box's width to its longest item when first shown, and a form in a narrow
    dock (the inspector) then clipped the box on the right instead of wrapping the row."""

    def __init__(self, param: Param, on_change: OnChange) -> None:
        super().__init__(param, on_change)
        combo = QComboBox()
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        metrics = combo.fontMetrics()
        widest = max((metrics.horizontalAdvance(str(c)) for c in param.choices), default=0)
        chars = math.ceil(widest / max(1, metrics.horizontalAdvance("X")))
        combo.setMinimumContentsLength(max(CHOICE_CHARS_MIN, min(chars, CHOICE_CHARS_MAX)))
        helps = next((h for h in CHOICE_HELP if set(param.choices) <= set(h)), {})
        for i, choice in enumerate(param.choices):
            combo.addItem(choice, choice)
            if choice in helps:
                combo.setItemData(i, helps[choice], Qt.ItemDataRole.ToolTipRole)
        combo.currentIndexChanged.connect(self._changed)
        self.combo = self.widget = combo

    def value(self) -> Any:
        return self.combo.currentData()

    def set_value(self, value: Any) -> None:
        with QSignalBlocker(self.combo):
            self.combo.setCurrentIndex(max(0, self.combo.findData(value)))


class BoolEditor(ParamEditor):
    def __init__(self, param: Param, on_change: OnChange) -> None:
        super().__init__(param, on_change)
        box = QCheckBox()
        box.toggled.connect(self._changed)
        self.box = self.widget = box

    def value(self) -> Any:
        return self.box.isChecked()

    def set_value(self, value: Any) -> None:
        with QSignalBlocker(self.box):
            self.box.setChecked(bool(value))


class TextEditor(ParamEditor):
    """Free text, applied when editing finishes (Enter or leaving the field)."""

    def __init__(self, param: Param, on_change: OnChange) -> None:
        super().__init__(param, on_change)
        self.edit = QLineEdit()
        self.edit.setClearButtonEnabled(True)
        self.edit.editingFinished.connect(self._finished)
        self.widget = self.edit
        self._last = ""

    def _finished(self) -> None:
        if self.edit.text() != self._last:
            self._last = self.edit.text()
            self._changed()

    def value(self) -> Any:
        return self.edit.text()

    def set_value(self, value: Any) -> None:
        self._last = "" if value is None else str(value)
        with QSignalBlocker(self.edit):
            self.edit.setText(self._last)


class IntsEditor(TextEditor):
    """A list of whole numbers typed as "16, 4, 4" (commas, spaces or ×); text that is not such
    a list is passed on as it is, so the parameter's check names what is allowed."""

    def value(self) -> Any:
        parts = [p for p in re.split(r"[\s,×x]+", self.edit.text().strip(" []()")) if p]
        try:
            return [int(p) for p in parts]
        except ValueError:
            return self.edit.text()

    def set_value(self, value: Any) -> None:
        super().set_value(", ".join(map(str, value)) if isinstance(value, (list, tuple)) else value)


class PathEditor(TextEditor):
    """A path field with a Browse button; the dialog is the owner's ``browse`` callback."""

    def __init__(self, param: Param, on_change: OnChange, browse: Browse | None = None) -> None:
        super().__init__(param, on_change)
        self.edit.setPlaceholderText("choose a file…")
        button = QToolButton()
        button.setText("Browse…")
        button.setToolTip(f"Choose the {param.title.lower()}")
        button.setEnabled(browse is not None)
        button.clicked.connect(self._browse)
        self.browse = browse
        self.widget = QWidget()
        row = QHBoxLayout(self.widget)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(button)

    def _browse(self) -> None:
        chosen = self.browse(self.param) if self.browse else None
        if chosen:
            self.set_value(chosen)
            self._changed()


EDITORS: dict[str, type[ParamEditor]] = {
    "int": IntEditor,
    "float": FloatEditor,
    "choice": ChoiceEditor,
    "bool": BoolEditor,
    "str": TextEditor,
    "ints": IntsEditor,
}


def make_editor(param: Param, on_change: OnChange, browse: Browse | None = None) -> ParamEditor:
    """The editor a parameter's kind and range call for."""
    if param.kind == "path":
        return PathEditor(param, on_change, browse)
    if (param.kind == "float" and param.minimum == 0 and param.maximum == 1 and not param.log_scale
            and not param.nullable):
        return UnitSliderEditor(param, on_change)
    return EDITORS[param.kind](param, on_change)


class ParamForm(QWidget):
    """A form with one row per parameter: title, editor, and (unless ``show_help`` is off, where
    space is short) a short help line under it; the help is always the tooltip."""

    valueChanged = Signal(str, object)

    def __init__(self, params: Sequence[Param], values: Mapping[str, Any], browse: Browse | None = None,
                 show_help: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editors: dict[str, ParamEditor] = {}
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setHorizontalSpacing(10)
        layout.setVerticalSpacing(4 if show_help else 6)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        # Where label and field do not fit side by side (a narrow dock), the field goes under
        # its label rather than being cut off.
        layout.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        layout.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        small = QFont(self.font())
        small.setPointSizeF(max(small.pointSizeF() - 1, 7))
        for param in params:
            editor = make_editor(param, lambda v, name=param.name: self.valueChanged.emit(name, v), browse)
            editor.set_value(values.get(param.name, param.default))
            editor.widget.setToolTip(tooltip(param))
            editor.widget.setObjectName(f"param_{param.name}")
            label = QLabel(param.title)
            label.setToolTip(tooltip(param))
            label.setBuddy(editor.widget)
            layout.addRow(label, editor.widget)
            self.editors[param.name] = editor
            if not show_help:
                continue
            help_label = QLabel(param.help)
            help_label.setWordWrap(True)
            help_label.setFont(small)
            help_label.setContentsMargins(0, 0, 0, 6)
            set_text_color(help_label)  # dim, and following theme switches (no style sheet)
            layout.addRow(help_label)

    def set_values(self, values: Mapping[str, Any]) -> None:
        for name, editor in self.editors.items():
            if name in values and editor.value() != values[name]:
                editor.set_value(values[name])

    def editor(self, name: str) -> ParamEditor:
        return self.editors[name]


def discard(widget: QWidget) -> None:
    """Take a replaced form out of its layout at once (not only at the next event loop turn,
    which would leave it drawn under its successor until then) and delete it."""
    widget.hide()
    widget.setParent(None)  # type: ignore[call-overload]
    widget.deleteLater()
