"""Files and window state: undo of every edit back to the original bytes, save and reopen,
bad files refused without touching the open project, unsaved-changes questions, title,
recent files, remembered layout and appearance."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from playground.core.datasets import resources_dir
from playground.core.examples import example_path
from playground.core.project import dumps, load_project
from playground.ui.main_window import MainWindow
from playground.ui.settings import app_settings
from tests.ui.helpers import drag_connect, drag_node, drop_layer, viewport_point

Factory = Callable[..., MainWindow]
EXAMPLES = resources_dir() / "examples"


@pytest.fixture
def residual(tmp_path: Path) -> Path:
    path = tmp_path / "residual.json"
    shutil.copy(EXAMPLES / "residual_mlp_spiral.json", path)
    return path


def open_window(make_window: Factory, path: Path) -> MainWindow:
    window = make_window()
    assert window.open_path(path)
    return window


def test_undo_of_every_edit_gives_back_the_file(make_window: Factory, residual: Path, tmp_path: Path) -> None:
    window = open_window(make_window, residual)
    original = residual.read_bytes()
    graph, stack, scene = window.document.graph, window.document.undo_stack, window.scene
    drop_layer(window, "Dropout", QPointF(500, 260))                       # add
    drag_connect(window, "stem", "dropout1")                               # connect
    edge = scene.edges[("stem", "skip")]                                   # disconnect
    QTest.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     viewport_point(window, edge.path().pointAtPercent(0.5)))
    window.delete_action.trigger()
    scene.select_nodes(["block_a"])
    drag_node(window, "block_a", QPointF(0, -80))                          # move
    window.inspector.form.editor("units").box.setValue(24)                 # parameter
    scene.select_nodes(["block_a", "block_b"])
    window.copy_action.trigger()
    window.paste_action.trigger()                                          # paste
    window.duplicate_action.trigger()                                      # duplicate
    window.cut_action.trigger()                                            # cut
    scene.select_nodes(["stem"])
    window.delete_action.trigger()                                         # delete a node with edges
    window.auto_layout_action.trigger()                                    # auto-layout
    combo = window.dataset_panel.combo
    combo.setCurrentIndex(combo.findData("xor"))                           # dataset
    assert stack.count() == 11, "|".join(stack.text(i) for i in range(stack.count()))
    assert window.isWindowModified()
    edited = tmp_path / "edited.json"
    assert window.save_to(edited)
    edited_bytes = edited.read_bytes()
    assert edited_bytes != original
    while stack.canUndo():
        window.undo_action.trigger()
    assert window.isWindowModified()  # the clean state is the saved edited.json now
    assert dumps(window.document.project) == original.decode()
    assert window.save_to(residual)
    assert residual.read_bytes() == original
    while stack.canRedo():
        window.redo_action.trigger()
    assert dumps(window.document.project).encode() == edited_bytes
    assert set(graph.nodes) == set(scene.nodes)
    assert set(graph.edges) == set(scene.edges)


def test_save_reopen_equal_and_keeps_training(make_window: Factory, residual: Path, tmp_path: Path) -> None:
    data = json.loads(residual.read_text())
    data["training"].update({"scheduler": "cosine", "grad_clip": {"mode": "norm", "max": 1.0}})
    residual.write_text(json.dumps(data))
    window = open_window(make_window, residual)
    window.scene.select_nodes(["block_b"])
    window.inspector.form.editor("activation").combo.setCurrentIndex(3)
    assert window.windowTitle() == "Residual MLP on the spiral — residual.json[*] — Neural Network Playground"
    assert window.isWindowModified()
    target = tmp_path / "copy"
    window.prompts.paths = [str(target)]
    window.save_as_action.trigger()
    saved = tmp_path / "copy.json"
    assert window.document.path == saved
    assert not window.isWindowModified()
    assert "copy.json" in window.windowTitle()
    reopened = load_project(saved)
    assert reopened.to_dict() == window.document.project.to_dict()
    assert reopened.training == data["training"]
    assert dumps(reopened).encode() == saved.read_bytes()
    assert window.recent_files()[0] == str(saved.resolve())
    assert Path(app_settings().fileName()).is_relative_to(saved.parent.parent)


BAD_FILES = {
    "invalid_json": ('{"format": "nn-playground/1",', "invalid JSON at line 1"),
    "empty": ("", "the file is empty"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary file"),
    "top_level_list": ("[1, 2]", "top level must be a JSON object"),
    "no_format": ('{"name": "x"}', "no 'format' field"),
    "newer_format": ('{"format": "nn-playground/99"}', "newer Neural Network Playground"),
    "unknown_type": ({"type": "Dense2"}, "unknown type 'Dense2'"),
    "unknown_param": ({"params": {"unitz": 3}}, "unknown parameter 'unitz'"),
    "unknown_activation": ({"params": {"activation": "swishy"}}, "activation must be one of"),
    "unknown_init": ({"params": {"init": "magic"}}, "init must be one of"),
    "out_of_range": ({"params": {"units": 0}}, "units must be a whole number from 1 to 65536"),
    "unknown_optimizer": ("optimizer", "optimizer must be one of"),
    "unknown_dataset": ("dataset", "unknown dataset 'nope'"),
}


def _bad_file(tmp_path: Path, case: str) -> Path:
    content, _ = BAD_FILES[case]
    path = tmp_path / f"{case}.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
        return path
    data = json.loads((EXAMPLES / "residual_mlp_spiral.json").read_text())
    if isinstance(content, dict):
        node = next(n for n in data["graph"]["nodes"] if n["id"] == "stem")
        node.update(content)
    elif content == "optimizer":
        data["training"]["optimizer"] = "sgdd"
    elif content == "dataset":
        data["dataset"] = {"name": "nope"}
    else:
        path.write_text(content)
        return path
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_is_refused_and_nothing_changes(make_window: Factory, residual: Path, tmp_path: Path,
                                                 case: str) -> None:
    window = open_window(make_window, residual)
    window.scene.select_nodes(["stem"])
    window.delete_action.trigger()
    before, title = dumps(window.document.project), window.windowTitle()
    window.prompts.paths = [str(_bad_file(tmp_path, case))]
    window.open_action.trigger()
    assert len(window.prompts.errors) == 1
    dialog_title, message = window.prompts.errors[0]
    assert dialog_title == "Cannot open project"
    assert BAD_FILES[case][1] in message
    assert f"{case}.json" in message
    assert "Traceback" not in message
    assert dumps(window.document.project) == before
    assert window.windowTitle() == title
    assert window.isWindowModified()
    assert window.document.undo_stack.canUndo()
    assert not window.prompts.asked


def test_closing_with_unsaved_changes_asks(make_window: Factory, residual: Path) -> None:
    window = open_window(make_window, residual)
    window.scene.select_nodes(["stem"])
    window.delete_action.trigger()
    window.prompts.save_answer = "cancel"
    assert not window.close()
    assert window.isVisible()
    assert window.prompts.asked == ["save:Residual MLP on the spiral"]
    window.prompts.save_answer = "save"
    assert window.close()
    assert "stem" not in load_project(residual).graph.nodes


def test_open_asks_before_dropping_changes(make_window: Factory, residual: Path) -> None:
    window = open_window(make_window, residual)
    window.scene.select_nodes(["stem"])
    window.delete_action.trigger()
    window.prompts.save_answer = "cancel"
    assert not window.open_path(EXAMPLES / "lenet_digits.json")
    assert window.document.project.name == "Residual MLP on the spiral"
    window.prompts.save_answer = "discard"
    assert window.open_path(EXAMPLES / "lenet_digits.json")
    assert window.document.project.name == "LeNet on digits"
    assert not window.isWindowModified()


def test_layout_and_appearance_are_remembered(make_window: Factory, qapp: QApplication) -> None:
    first = make_window()
    first.dataset_dock.hide()
    first.resize(800, 700)  # as wide as the offscreen screen, so restoring does not clamp it
    qapp.processEvents()  # laid out at that size before the layout is saved
    first.set_appearance("dark")
    assert qapp.palette().color(QPalette.ColorRole.Window).lightness() < 80
    assert first.scene.colors.dark
    first.close()
    assert app_settings().value("appearance") == "dark"
    second = make_window()
    assert not second.dataset_dock.isVisible()
    assert second.palette_dock.isVisible()
    assert second.height() == 700  # the width is clamped to the offscreen screen's 800 px
    assert second.width() < 1440
    second.reset_layout_action.trigger()
    assert second.dataset_dock.isVisible()
    second.set_appearance("light")
    assert qapp.palette().color(QPalette.ColorRole.Window).lightness() > 200
    assert not second.scene.colors.dark


def test_views_hidden_for_the_last_dataset_come_back_in_the_next_session(make_window: Factory) -> None:
    """The saved layout has the boundary hidden after a digits project; the next session opens a
    plane, and its boundary is there (a view the person closed stays closed)."""
    first = make_window(load_project(example_path("lenet_digits") or ""))
    assert first.training.docks["boundary"].isHidden()
    first.training.docks["loss"].close()
    first.close()
    second = make_window(load_project(example_path("spiral") or ""))
    assert not second.training.docks["boundary"].isHidden()
    assert second.training.docks["filters"].isHidden()
    assert second.training.docks["loss"].isHidden(), "closed by the person"
