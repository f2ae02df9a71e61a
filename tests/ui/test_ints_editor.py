"""A list-of-numbers parameter (Reshape's shape) is typed as text and reaches the project as a
list; text that is not such a list is passed on for the parameter's check to name."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from playground.core.layers import LAYER_TYPES
from playground.ui.param_form import ParamForm


@pytest.mark.parametrize(("typed", "sent"), [("8, 2, 2", [8, 2, 2]), ("[16, 4, 4]", [16, 4, 4]),
                                             ("4x4", [4, 4]), ("64", [64]), ("16, four", "16, four")])
def test_shape_is_typed_as_text_and_sent_as_a_list(qtbot: QtBot, typed: str, sent: object) -> None:
    shape = LAYER_TYPES["Reshape"].param("shape")
    form = ParamForm((shape,), {"shape": shape.default})
    qtbot.addWidget(form)
    edit = form.findChild(QLineEdit, "param_shape")
    assert edit.text() == "16, 4, 4"
    with qtbot.waitSignal(form.valueChanged) as signal:
        edit.setText(typed)
        edit.editingFinished.emit()
    assert signal.args == ["shape", sent]
    _, error = shape.check(sent)
    assert (error is None) == isinstance(sent, list)
