"""Choice boxes in parameter forms show their whole text in a narrow dock: the row wraps
(field under its label) before the box is clipped (the inspector's Loss box was cut off)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QComboBox, QFrame, QScrollArea, QStyle, QStyleOptionComboBox, QWidget
from pytestqt.qtbot import QtBot

from playground.core.layers import LAYER_TYPES
from playground.ui.main_window import MainWindow
from playground.ui.param_form import ParamForm

Factory = Callable[..., MainWindow]


def text_room(combo: QComboBox) -> int:
    """The width the box gives its text (its edit field, between the frame and the arrow)."""
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    field = combo.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                         QStyle.SubControl.SC_ComboBoxEditField, combo)
    return field.width()


def assert_text_shown(combo: QComboBox, viewport: QWidget) -> None:
    text = combo.currentText()
    assert text_room(combo) >= combo.fontMetrics().horizontalAdvance(text), f"'{text}' is elided"
    right = combo.mapTo(viewport, QPoint(combo.width(), 0)).x()
    assert right <= viewport.width(), f"'{text}' box is cut off: right edge {right} > {viewport.width()}"


@pytest.mark.parametrize("width", [340, 260])
def test_the_inspector_shows_the_whole_loss_choice(make_window: Factory, width: int) -> None:
    window = make_window()
    window.resizeDocks([window.inspector_dock], [width], Qt.Orientation.Horizontal)
    out = next(i for i, node in window.document.graph.nodes.items() if node.type == "Output")
    window.scene.select_nodes([out])
    assert window.inspector.form is not None
    combo = window.inspector.form.editor("loss").combo
    for loss in [combo.itemText(i) for i in range(combo.count())]:
        combo.setCurrentText(loss)
        QTest.qWait(0)
        scroll = next(a for a in window.inspector.findChildren(QScrollArea) if a.isAncestorOf(combo))
        assert_text_shown(combo, scroll.viewport())


@pytest.mark.parametrize("width", [340, 260, 200])
def test_a_form_in_a_narrow_panel_wraps_rows_instead_of_clipping(qtbot: QtBot, width: int) -> None:
    """The inspector's form in a scroll area as narrow as a dock gets (and narrower)."""
    layer = LAYER_TYPES["Output"]
    form = ParamForm(layer.params, {p.name: p.default for p in layer.params})
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(form)
    qtbot.addWidget(area)
    area.resize(width, 500)
    area.show()
    QTest.qWaitForWindowExposed(area)
    for name, editor in form.editors.items():
        if isinstance(editor.widget, QComboBox):
            assert_text_shown(editor.widget, area.viewport())
        else:
            right = editor.widget.mapTo(area.viewport(), QPoint(editor.widget.width(), 0)).x()
            assert right <= area.viewport().width(), f"{name} is cut off"
