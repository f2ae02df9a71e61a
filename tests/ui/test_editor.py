"""The canvas editor through simulated mouse and keyboard input: palette drops, port drags,
refused connections, moving, deleting, the inspector, clipboard, and undo of each edit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMenu, QSpinBox

from playground.core.datasets import resources_dir
from playground.core.graph import Graph, Node
from playground.core.layers import GROUPS, LAYER_TYPES
from playground.core.project import Project, dumps, load_project, new_project
from playground.ui.editor import scene as scene_module
from playground.ui.editor.items import NODE_WIDTH
from playground.ui.main_window import MainWindow
from tests.ui.helpers import (
    blank_project,
    chain,
    drag_connect,
    drag_node,
    drop_layer,
    mouse_drag,
    viewport_point,
)

Factory = Callable[..., MainWindow]


def test_palette_lists_every_type_grouped_with_help(make_window: Factory) -> None:
    window = make_window(blank_project())
    tree = window.palette_widget.tree
    groups = [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]
    assert groups == [g.upper() for g in GROUPS]
    items = tree.type_items()
    assert set(items) == set(LAYER_TYPES)
    for name, item in items.items():
        assert LAYER_TYPES[name].help in item.toolTip(0)
        assert item.parent().text(0) == LAYER_TYPES[name].group.upper()
        assert not item.icon(0).isNull()
    window.palette_widget.filter.setText("pool")
    assert sorted(window.palette_widget.visible_types()) == ["AvgPool2d", "MaxPool2d"]
    window.palette_widget.filter.clear()
    assert len(window.palette_widget.visible_types()) == len(LAYER_TYPES)


def test_drop_from_palette_adds_node_where_dropped(make_window: Factory) -> None:
    window = make_window(blank_project())
    drop_layer(window, "Dense", QPointF(300, 200))
    graph = window.document.graph
    assert list(graph.nodes) == ["dense1"]
    x, y = graph.layout["dense1"]
    assert abs(x + NODE_WIDTH / 2 - 300) <= 20
    assert abs(y + 37 - 200) <= 20
    assert window.scene.selected_node_ids() == ["dense1"]
    assert window.inspector.title.text() == "Dense"
    window.undo_action.trigger()
    assert not graph.nodes


def test_port_drag_connects_and_shapes_follow(make_window: Factory) -> None:
    window = make_window(blank_project())
    drop_layer(window, "Input", QPointF(0, 0))
    drop_layer(window, "Dense", QPointF(260, 0))
    dense = window.scene.nodes["dense1"]
    assert dense.problems
    assert dense.shape_text == "?"
    drag_connect(window, "input1", "dense1")
    assert window.document.graph.edges == [("input1", "dense1")]
    assert ("input1", "dense1") in window.scene.edges
    assert window.scene.nodes["input1"].shape_text == "1×8×8"
    assert dense.shape_text == "16"
    assert dense.params_text == "1,040 params"


def test_refuses_cycle_and_second_input_with_reason(make_window: Factory) -> None:
    window = make_window(chain(("in", "Input"), ("a", "Dense"), ("b", "Dense"), ("out", "Output")))
    graph = window.document.graph
    before = list(graph.edges)
    drag_connect(window, "b", "a")
    assert graph.edges == before
    assert "cycle" in window.statusBar().currentMessage()
    drag_connect(window, "in", "b")
    assert graph.edges == before
    assert "already has its input" in window.statusBar().currentMessage()
    assert window.document.undo_stack.count() == 0


def test_refusal_shows_while_dragging(make_window: Factory) -> None:
    window = make_window(chain(("in", "Input"), ("a", "Dense"), ("out", "Output")))
    viewport = window.view.viewport()
    port = window.scene.nodes["a"].out_port
    start = viewport_point(window, port.scenePos())
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    over = window.view.mapFromScene(window.scene.nodes["in"].center())
    QTest.mouseMove(viewport, (start + over) / 2)
    QTest.mouseMove(viewport, over)
    link = window.scene._link
    assert link is not None
    assert link.problem
    assert "takes no inputs" in link.problem
    assert "takes no inputs" in link.label.text
    assert not link.line.ok
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, over)
    assert window.scene._link is None
    assert len(window.document.graph.edges) == 2


def test_shape_mismatch_is_refused_while_dragging(make_window: Factory,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Dense output onto a Conv2d input: red port, the reason beside the cursor and in the status
    bar while dragging, no edge on release; asked once per node reached, not per mouse move."""
    project = chain(("in", "Input"), ("d", "Dense"))
    project.graph.add_node(Node("conv1", "Conv2d"), (440, 160))
    window = make_window(project)
    asked: list[tuple[str, str]] = []
    real = scene_module.connection_problem

    def counting(graph: Graph, meta: Any, src: str, dst: str, report: Any = None) -> str | None:
        asked.append((src, dst))
        return real(graph, meta, src, dst, report)

    monkeypatch.setattr(scene_module, "connection_problem", counting)
    viewport = window.view.viewport()
    start = viewport_point(window, window.scene.nodes["d"].out_port.scenePos())
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    target = window.scene.nodes["conv1"]
    over = window.view.mapFromScene(target.in_port.scenePos())
    for i in range(1, 9):
        QTest.mouseMove(viewport, start + (over - start) * (i / 8))
    for dx in (2, 4, 6, 8):  # wiggling over the same node asks nothing more
        QTest.mouseMove(viewport, over + QPoint(dx, 1))
    link = window.scene._link
    assert link is not None
    assert link.target is target
    assert asked == [("d", "conv1")]
    reason = "Conv2d 'conv1' needs an image input (C, H, W) but gets 16 features"
    assert link.problem is not None
    assert link.problem.startswith(reason)
    assert link.label.isVisible()
    assert link.label.text.startswith(reason)
    assert target.in_port.state == "bad"
    assert not link.line.ok
    assert window.statusBar().currentMessage().startswith(f"Cannot connect: {reason}")
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, over)
    assert window.scene._link is None
    assert target.in_port.state == ""
    assert window.document.graph.edges == [("in", "d")]
    assert window.document.undo_stack.count() == 0
    assert window.statusBar().currentMessage().startswith(f"Cannot connect: {reason}")
    drag_connect(window, "in", "conv1")  # an image fits: accepted, port green on the way
    assert ("in", "conv1") in window.document.graph.edges


def test_controller_refuses_a_shape_mismatch_asked_another_way(make_window: Factory) -> None:
    project = chain(("in", "Input"), ("d", "Dense"))
    project.graph.add_node(Node("conv1", "Conv2d"), (440, 160))
    window = make_window(project)
    assert not window.controller.connect_nodes("d", "conv1")
    assert window.document.graph.edges == [("in", "d")]
    assert "needs an image input" in window.statusBar().currentMessage()
    window.scene.select_nodes(["d"])
    new = window.controller.insert_after("Conv2d")  # added, but not wired into a mismatch
    assert window.document.graph.inputs_of(new) == []
    assert "not connected" in window.statusBar().currentMessage()
    assert window.controller.connect_nodes("in", "conv1")  # an unfinished network still wires


def test_escape_cancels_a_drag_and_clears_the_port(make_window: Factory) -> None:
    window = make_window(chain(("in", "Input"), ("a", "Dense"), ("b", "Dense")))
    window.document.graph.disconnect("a", "b")
    viewport = window.view.viewport()
    start = viewport_point(window, window.scene.nodes["a"].out_port.scenePos())
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    port = window.scene.nodes["b"].in_port
    over = window.view.mapFromScene(port.scenePos())
    QTest.mouseMove(viewport, (start + over) / 2)
    QTest.mouseMove(viewport, over)
    assert port.state == "ok"
    QTest.keyClick(viewport, Qt.Key.Key_Escape)
    assert window.scene._link is None
    assert port.state == ""
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, over)
    assert window.document.graph.edges == [("in", "a")]


def test_add_merges_several_inputs(make_window: Factory) -> None:
    project = chain(("in", "Input"), ("a", "Dense"), ("b", "Dense"))
    project.graph.add_node(Node("sum", "Add"), (660, 120))
    window = make_window(project)
    drag_connect(window, "a", "sum")
    drag_connect(window, "b", "sum")
    assert window.document.graph.inputs_of("sum") == ["a", "b"]
    assert window.scene.nodes["sum"].shape_text == "16"


def test_move_is_one_undo_step_and_snaps(make_window: Factory) -> None:
    window = make_window(chain(("in", "Input"), ("a", "Dense"), ("out", "Output")))
    window.scene.select_nodes(["a", "out"])
    stack = window.document.undo_stack
    drag_node(window, "a", QPointF(25, 45))
    graph = window.document.graph
    assert graph.layout["a"] == (240.0, 40.0)
    assert graph.layout["out"] == (460.0, 40.0)
    assert stack.count() == 1
    window.history_action.trigger()
    assert window.history_dock.isVisible()
    assert window.history.model().rowCount() == 2  # the opened project, then the move
    window.undo_action.trigger()
    assert graph.layout["a"] == (220.0, 0.0)
    assert window.statusBar().currentMessage() == "Undid: Move 2 nodes"
    assert window.scene.nodes["a"].pos() == QPointF(220, 0)


def test_rubber_band_select_and_delete_keys(make_window: Factory, qtbot) -> None:  # noqa: ANN001
    window = make_window(chain(("in", "Input"), ("a", "Dense"), ("b", "Dense"), ("out", "Output")))
    mouse_drag(window, QPointF(200, -60), QPointF(620, 120))
    assert window.scene.selected_node_ids() == ["a", "b"]
    window.view.setFocus()
    QTest.keyClick(window.view.viewport(), Qt.Key.Key_Delete)
    graph = window.document.graph
    assert list(graph.nodes) == ["in", "out"]
    assert graph.edges == []
    assert window.document.undo_stack.count() == 1
    window.undo_action.trigger()
    assert list(graph.nodes) == ["in", "a", "b", "out"]
    assert graph.edges == [("in", "a"), ("a", "b"), ("b", "out")]


def test_selected_edge_and_backspace_disconnects(make_window: Factory) -> None:
    window = make_window(chain(("in", "Input"), ("a", "Dense"), ("out", "Output")))
    edge = window.scene.edges[("a", "out")]
    point = edge.path().pointAtPercent(0.5)
    viewport = window.view.viewport()
    QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     viewport_point(window, point))
    assert window.scene.selected_edges() == [("a", "out")]
    QTest.keyClick(viewport, Qt.Key.Key_Backspace)
    assert window.document.graph.edges == [("in", "a")]
    assert window.scene.nodes["out"].problems


def test_inspector_edit_updates_shape_label_and_merges(make_window: Factory) -> None:
    window = make_window(chain(("in", "Input"), ("a", "Dense"), ("out", "Output")))
    window.scene.select_nodes(["a"])
    box = window.inspector.form.editor("units").box
    assert isinstance(box, QSpinBox)
    assert box.minimum() == 1
    assert box.maximum() == 65536
    assert LAYER_TYPES["Dense"].param("units").help in box.toolTip()
    for value in (20, 32, 48):
        box.setValue(value)
    item = window.scene.nodes["a"]
    assert item.shape_text == "48"
    assert item.summary.startswith("Dense 48")
    assert window.document.graph.nodes["a"].params == {"units": 48}
    stack = window.document.undo_stack
    assert stack.count() == 1
    window.inspector.form.editor("batchnorm").box.setChecked(True)
    window.inspector.form.editor("dropout").slider.setValue(20)
    assert window.document.graph.nodes["a"].params == {"units": 48, "batchnorm": True, "dropout": 0.2}
    assert item.summary == "Dense 48 · relu · BN · drop 0.2"
    assert stack.count() == 3
    window.undo_action.trigger()
    assert window.inspector.form.editor("dropout").value() == 0.0
    while stack.canUndo():
        stack.undo()
    assert item.shape_text == "16"
    assert window.document.graph.nodes["a"].params == {}
    assert box.value() == 16


def test_pool_stride_null_and_choice_widgets(make_window: Factory) -> None:
    project = chain(("in", "Input"), ("c", "Conv2d"), ("p", "MaxPool2d"), ("out", "Output"))
    window = make_window(project)
    window.scene.select_nodes(["p"])
    stride = window.inspector.form.editor("stride")
    assert stride.value() is None
    assert stride.box.text() == "= kernel"
    stride.box.setValue(1)
    assert window.document.graph.nodes["p"].params == {"stride": 1}
    assert window.scene.nodes["p"].shape_text == "8×7×7"
    stride.box.setValue(stride.box.minimum())
    assert window.document.graph.nodes["p"].params == {}
    window.scene.select_nodes(["c"])
    combo = window.inspector.form.editor("activation").combo
    combo.setCurrentIndex(combo.findData("tanh"))
    assert window.scene.nodes["c"].summary == "Conv2d 8 3×3 · tanh"


def test_copy_paste_duplicate_keep_internal_edges(make_window: Factory) -> None:
    window = make_window(chain(("in", "Input"), ("a", "Dense"), ("b", "Dense"), ("out", "Output")))
    graph = window.document.graph
    window.scene.select_nodes(["a", "b"])
    window.copy_action.trigger()
    window.paste_action.trigger()
    assert list(graph.nodes)[-2:] == ["a1", "b1"]
    assert ("a1", "b1") in graph.edges
    assert len(graph.edges) == 4
    assert graph.layout["a1"] == (260.0, 40.0)
    assert window.scene.selected_node_ids() == ["a1", "b1"]
    window.duplicate_action.trigger()
    assert list(graph.nodes)[-2:] == ["a2", "b2"]
    assert ("a2", "b2") in graph.edges
    assert graph.layout["a2"] == (300.0, 80.0)
    window.cut_action.trigger()
    assert "a2" not in graph.nodes
    window.paste_action.trigger()
    assert list(graph.nodes)[-2:] == ["a2", "b2"]
    assert window.document.undo_stack.count() == 4


def test_paste_of_foreign_text_is_refused(make_window: Factory, qapp) -> None:  # noqa: ANN001
    window = make_window(chain(("in", "Input"), ("out", "Output")))
    qapp.clipboard().setText('{"format": "nn-playground-clip/1", "graph": {"nodes": [{"id": "x", "type": "Nope"}]}}')
    window.paste_action.trigger()
    assert list(window.document.graph.nodes) == ["in", "out"]
    assert "no nodes to paste" in window.statusBar().currentMessage()


def test_double_click_inserts_after_selected_node(make_window: Factory) -> None:
    window = make_window(chain(("in", "Input"), ("a", "Dense"), ("out", "Output")))
    window.scene.select_nodes(["a"])
    tree = window.palette_widget.tree
    item = tree.type_items()["Dropout"]
    rect = tree.visualItemRect(item)
    args = (tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, rect.center())
    QTest.mouseClick(*args)
    QTest.mouseDClick(*args)
    graph = window.document.graph
    assert graph.edges == [("in", "a"), ("a", "dropout1"), ("dropout1", "out")]
    assert graph.layout["dropout1"] == (440.0, 0.0)
    assert graph.layout["out"] == (660.0, 0.0)
    assert window.document.report.ok
    assert window.document.undo_stack.count() == 1
    window.undo_action.trigger()
    assert graph.edges == [("in", "a"), ("a", "out")]
    assert graph.layout["out"] == (440.0, 0.0)


def test_auto_layout_columns_by_longest_path(make_window: Factory) -> None:
    project = load_project(resources_dir() / "examples" / "residual_mlp_spiral.json")
    for node_id in project.graph.nodes:
        project.graph.move(node_id, (0, 0))
    window = make_window(project)
    window.auto_layout_action.trigger()
    layout = window.document.graph.layout
    xs = {k: x for k, (x, _) in layout.items()}
    assert xs["in"] < xs["stem"] < xs["block_a"] < xs["block_b"] < xs["skip"] < xs["out"]
    assert len(set(layout.values())) == len(layout)
    ys = {k: y for k, (_, y) in layout.items()}
    assert ys["block_a"] == ys["block_b"] != ys["stem"]  # the skip keeps a row of its own
    assert ys["in"] == ys["stem"] == ys["skip"] == ys["out"]
    assert window.document.undo_stack.undoText() == "Auto-layout"


def test_zoom_pan_fit(make_window: Factory) -> None:
    window = make_window(new_project())
    view = window.view
    view.reset_zoom()
    window.zoom_in_action.trigger()
    assert view.zoom == pytest.approx(1.25)
    window.zoom_out_action.trigger()
    assert view.zoom == pytest.approx(1.0)
    QTest.keyClick(view, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert view.zoom == pytest.approx(1.25)
    before = view.horizontalScrollBar().value()
    mouse_drag(window, QPointF(300, 300), QPointF(200, 300), button=Qt.MouseButton.MiddleButton)
    assert view.horizontalScrollBar().value() != before
    window.fit_action.trigger()
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    for item in window.scene.nodes.values():
        assert visible.contains(item.sceneBoundingRect())
    assert window.zoom_label.text() == f"{view.zoom * 100:.0f} %"


def test_invalid_node_outlined_with_problem_in_tooltip_and_status(make_window: Factory) -> None:
    window = make_window(chain(("in", "Input"), ("flat", "Flatten"), ("c", "Conv2d"), ("out", "Output")))
    item = window.scene.nodes["c"]
    assert item.problems
    assert "needs an image input" in item.problems[0]
    assert "needs an image input" in item.toolTip()
    window.scene.select_nodes(["c"])
    assert "needs an image input" in window.statusBar().currentMessage()
    assert "needs an image input" in window.inspector.problems.text()
    assert "problem" in window.validity_label.text()


def test_every_menu_action_has_a_shortcut(make_window: Factory) -> None:
    window = make_window(blank_project())
    missing = []

    def walk(menu: QMenu, listing: bool = False) -> None:
        """``listing``: a menu of files or examples (its items, submenus too, need no shortcut)."""
        menu.aboutToShow.emit()
        listing = listing or menu.title() in ("Open &Recent", "&Examples")
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu(), listing)
            elif action.text() and not action.isSeparator() and action.shortcut().isEmpty() and not listing:
                missing.append(action.text())

    for action in window.menuBar().actions():
        walk(action.menu())
    assert not missing
    assert window.undo_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Undo)


def test_new_blank_and_examples_menu(make_window: Factory) -> None:
    window = make_window(new_project())
    window.new_blank_action.trigger()
    assert not window.document.graph.nodes
    assert not window.isWindowModified()
    window.examples_menu.aboutToShow.emit()
    examples = [a for topic in window.examples_menu.actions() for a in topic.menu().actions()]  # one submenu per topic
    assert "LeNet on digits" in [a.text() for a in examples]
    next(a for a in examples if a.text() == "LeNet on digits").trigger()
    assert window.document.path is None
    assert window.scene.nodes["out"].shape_text == "10"
    assert window.windowTitle().startswith("LeNet on digits[*]")


def test_clip_positions_unique_ids(tmp_path: Path) -> None:
    from playground.ui.editor.clipboard import clip_to_text, parse_clip, place_clip

    graph = Graph()
    graph.add_node(Node("dense1", "Dense", {"units": 4}), (0, 0))
    clip = parse_clip(clip_to_text(graph, ["dense1"], {"dense1": (0.0, 0.0)}))
    assert clip is not None
    placed = place_clip(graph, clip, {(0.0, 0.0), (40.0, 40.0)})
    (node, pos), = placed.nodes
    assert node.id == "dense2"
    assert node.params == {"units": 4}
    assert pos == (80.0, 80.0)
    assert dumps(Project(graph=graph))  # the source graph is untouched and still serialisable
    assert parse_clip("not json") is None


def test_space_drag_pans(make_window: Factory) -> None:
    window = make_window(new_project())
    view = window.view
    view.setFocus()
    QTest.keyPress(view, Qt.Key.Key_Space)
    before = view.verticalScrollBar().value()
    mouse_drag(window, QPointF(0, 300), QPointF(0, 200))
    QTest.keyRelease(view, Qt.Key.Key_Space)
    assert view.verticalScrollBar().value() != before
    assert not window.scene.selectedItems()
    assert window.document.undo_stack.count() == 0
    assert view.mapFromScene(QPointF(0, 0)) != QPoint(0, 0)
