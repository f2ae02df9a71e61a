"""Undo steps are named by what the forms call a setting, not by its key in the project file
(QA saw "Undid: Change lr" for the learning rate)."""

from __future__ import annotations

from collections.abc import Callable

from playground.core.graph import Node
from playground.core.project import Project
from playground.ui.editor.commands import SetTrainingCommand
from playground.ui.main_window import MainWindow
from tests.ui.helpers import chain

Factory = Callable[..., MainWindow]


def spiral_mlp() -> Project:
    project = chain(("in", "Input"), ("h", "Dense"), ("out", "Output"), dataset={"name": "spiral"})
    project.graph.add_node(Node("drop", "Dropout"), (0, 200))
    return project


def test_training_setting_edit_is_named_by_its_label(make_window: Factory) -> None:
    window = make_window(spiral_mlp())
    stack = window.document.undo_stack
    form = window.training.panel.form
    form.editor("lr").box.setValue(0.05)
    assert stack.undoText() == "Change learning rate"
    window.undo_action.trigger()
    assert window.statusBar().currentMessage() == "Undid: Change learning rate"
    form.editor("val_fraction").box.setValue(0.3)
    assert stack.undoText() == "Change validation share"
    form.editor("weight_decay").box.setValue(0.01)
    assert stack.undoText() == "Change weight decay (L2)"
    form.editor("l1").box.setValue(0.01)
    assert stack.undoText() == "Change L1", "a symbol keeps its capital"


def test_training_sections_are_named_as_the_panel_names_them(make_window: Factory) -> None:
    window = make_window(spiral_mlp())
    document = window.document
    for key, value, text in (("scheduler", {"name": "step"}, "Change schedule"),
                             ("grad_clip", {"mode": "norm", "max": 1.0}, "Change gradient clipping"),
                             ("early_stopping", {"patience": 3}, "Change early stopping"),
                             ("augment", ["noise"], "Change augment")):
        command = SetTrainingCommand(document, {**document.project.training, key: value}, key)
        assert command.text() == text


def test_dataset_and_layer_edits_are_named_by_their_labels(make_window: Factory) -> None:
    window = make_window(spiral_mlp())
    stack = window.document.undo_stack
    form = window.dataset_panel.form
    assert form is not None
    form.editor("test_fraction").box.setValue(0.4)
    assert stack.undoText() == "Change dataset test fraction"
    window.controller.set_param("drop", "p", 0.3)
    assert stack.undoText() == "Change P of 'drop'", "as the inspector's form shows it"
    window.controller.set_param("h", "init_std", 0.1)
    assert stack.undoText() == "Change init std of 'h'"
