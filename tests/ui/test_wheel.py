"""The mouse wheel scrolls a panel; it changes a setting only in the focused field.

The defect: scrolling the Training panel with the wheel moved the learning rate 0.03 ->
0.002 in three notches as the pointer crossed its spin box, and dirtied the project.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDoubleSpinBox,
    QScrollArea,
    QSlider,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot

from playground.ui.app import create_application
from playground.ui.main_window import MainWindow

NOTCH = 120


def wheel(widget: QWidget, notches: int = -1) -> QWheelEvent:
    """Send ``notches`` wheel notches (negative: scroll down) over the middle of ``widget``."""
    local = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(local, QPointF(widget.mapToGlobal(local.toPoint())), QPoint(), QPoint(0, notches * NOTCH),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)
    return event


@pytest.fixture
def panel(qtbot: QtBot) -> tuple[QScrollArea, QDoubleSpinBox, QComboBox, QSlider]:
    """A scrolling panel, taller than its view, with a spin box, a combo box and a slider."""
    create_application()
    page = QWidget()
    column = QVBoxLayout(page)
    spin, combo, slider = QDoubleSpinBox(), QComboBox(), QSlider(Qt.Orientation.Horizontal)
    spin.setRange(0, 1)
    spin.setSingleStep(0.01)
    spin.setValue(0.5)
    combo.addItems(["a", "b", "c"])
    combo.setCurrentIndex(1)
    slider.setRange(0, 10)
    slider.setValue(5)
    for widget in (spin, combo, slider):
        column.addWidget(widget)
    column.addSpacing(2000)
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setWidget(page)
    area.resize(240, 200)
    qtbot.addWidget(area)
    area.show()
    area.activateWindow()
    assert QTest.qWaitForWindowActive(area)
    focused = QApplication.focusWidget()  # activating the window focused its first field
    if focused is not None:
        focused.clearFocus()
    return area, spin, combo, slider


def test_the_wheel_over_an_unfocused_field_scrolls_the_panel_and_leaves_the_value(
        panel: tuple[QScrollArea, QDoubleSpinBox, QComboBox, QSlider]) -> None:
    area, spin, combo, slider = panel
    bar = area.verticalScrollBar()
    assert bar.value() == 0
    for _ in range(3):
        wheel(spin)
    assert spin.value() == 0.5
    assert not spin.hasFocus(), "the wheel must not focus the field"
    assert bar.value() > 0, "the wheel scrolls the panel instead"
    scrolled = bar.value()
    wheel(combo)
    wheel(slider)
    assert combo.currentIndex() == 1
    assert slider.value() == 5
    assert bar.value() > scrolled


def test_the_wheel_changes_the_focused_field(
        panel: tuple[QScrollArea, QDoubleSpinBox, QComboBox, QSlider], qtbot: QtBot) -> None:
    area, spin, combo, slider = panel
    for widget in (spin, combo, slider):
        assert widget.focusPolicy() == Qt.FocusPolicy.StrongFocus
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus)
    wheel(spin, notches=1)
    assert spin.value() == pytest.approx(0.51)
    assert area.verticalScrollBar().value() == 0
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus)
    wheel(combo, notches=-1)
    assert combo.currentIndex() == 2


def test_scrolling_the_inspector_over_a_setting_leaves_the_project_clean(
        make_window: Callable[..., MainWindow], qtbot: QtBot) -> None:
    """In the window: every panel is covered, not only a form someone remembered, including
    one built after the window opened (the inspector's form for the node just selected)."""
    window = make_window()
    out = next(i for i, node in window.document.graph.nodes.items() if node.type == "Output")
    window.scene.select_nodes([out])
    assert window.inspector.form is not None
    combo = window.inspector.form.editor("loss").combo
    qtbot.waitUntil(combo.isVisible)  # the wheel reaches a field a person sees
    before = combo.currentText()
    wheel(combo)
    wheel(combo)
    assert combo.currentText() == before
    assert not window.document.modified
