"""The issue's acceptance scenario, with the mouse only: from an empty canvas, pick `digits`,
build the LeNet-style CNN and then a residual block (two Dense with an Add skip), checking
every shape as it appears; undo it all; redo and save. Each state is rendered to a PNG
(into $PLAYGROUND_TEST_SHOTS when set, so a person can look at them)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QSpinBox, QStyle, QStyleOptionSpinBox

from playground.core.project import check_project, dumps, load_project
from playground.ui.main_window import MainWindow
from tests.ui.helpers import drag_connect, drop_layer, viewport_point

Factory = Callable[..., MainWindow]


def click(widget, pos: QPoint) -> None:  # noqa: ANN001
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)


def wheel_combo_to(combo: QComboBox, data: str) -> None:
    """Focus the combo (as a click does), then turn the mouse wheel over it until it shows
    ``data`` (each notch is one choice; simulated clicks in a combo's popup are not delivered
    on the offscreen platform). Unfocused, the wheel scrolls the panel instead."""
    combo.setFocus(Qt.FocusReason.MouseFocusReason)
    centre = QPointF(combo.rect().center())
    for _ in range(combo.count()):
        if combo.currentData() == data:
            return
        event = QWheelEvent(centre, QPointF(combo.mapToGlobal(centre.toPoint())), QPoint(), QPoint(0, -120),
                            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                            False)
        QApplication.sendEvent(combo, event)
    raise AssertionError(f"{data!r} not reached in the combo")


def click_spin_up(box: QSpinBox, times: int) -> None:
    option = QStyleOptionSpinBox()
    box.initStyleOption(option)
    up = box.style().subControlRect(QStyle.ComplexControl.CC_SpinBox, option,
                                    QStyle.SubControl.SC_SpinBoxUp, box)
    for _ in range(times):
        click(box, up.center())


def test_build_lenet_and_residual_block_with_the_mouse(make_window: Factory, tmp_path: Path) -> None:
    shots = Path(os.environ.get("PLAYGROUND_TEST_SHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    window = make_window()
    window.new_blank_action.trigger()
    window.view.reset_zoom()
    window.view.centerOn(QPointF(560, 200))
    stack, graph, nodes = window.document.undo_stack, window.document.graph, window.scene.nodes
    blank = dumps(window.document.project)
    step = 0

    def shot(name: str) -> None:
        nonlocal step
        step += 1
        window.fit_action.trigger()
        QTest.qWait(40)  # let the event loop lay out what changed, as it would before a person looks
        window.grab().save(str(shots / f"{step:02d}-{name}.png"))

    shot("empty")
    wheel_combo_to(window.dataset_panel.combo, "digits")
    assert window.document.project.dataset == {"name": "digits"}

    lenet = [("Input", "input1", (0, 0), "1×8×8"), ("Conv2d", "conv1", (220, 0), "8×8×8"),
             ("MaxPool2d", "maxpool1", (440, 0), "8×4×4"), ("Conv2d", "conv2", (660, 0), "8×4×4"),
             ("MaxPool2d", "maxpool2", (880, 0), "8×2×2"), ("Flatten", "flatten1", (0, 180), "32"),
             ("Dense", "dense1", (220, 180), "16"), ("Output", "output1", (1100, 180), "10")]
    previous = None
    for type_name, node_id, (x, y), shape in lenet:
        drop_layer(window, type_name, QPointF(x + 84, y + 37))
        assert node_id in graph.nodes
        if previous is not None:
            assert nodes[node_id].shape_text == "?"
            drag_connect(window, previous, node_id)
            assert graph.edges[-1] == (previous, node_id)
        assert nodes[node_id].shape_text == shape, node_id
        previous = node_id
        shot(f"lenet-{node_id}")
    assert window.document.report.ok

    window.scene.select_nodes(["conv2"])
    click_spin_up(window.inspector.form.editor("filters").box, 8)
    assert graph.nodes["conv2"].params == {"filters": 16}
    assert [nodes[n].shape_text for n in ("conv2", "maxpool2", "flatten1")] == ["16×4×4", "16×2×2", "64"]
    assert stack.undoText() == "Change filters of 'conv2'"
    shot("lenet-conv2-16-filters")

    for type_name, at in (("Dense", (440, 320)), ("Dense", (660, 320)), ("Add", (880, 320))):
        drop_layer(window, type_name, QPointF(at[0] + 84, at[1] + 37))
    for src, dst in (("dense1", "dense2"), ("dense2", "dense3"), ("dense3", "add1"), ("dense1", "add1")):
        drag_connect(window, src, dst)
    assert nodes["add1"].shape_text == "16"
    old_edge = window.scene.edges[("dense1", "output1")]
    click(window.view.viewport(), viewport_point(window, old_edge.path().pointAtPercent(0.5)))
    assert window.scene.selected_edges() == [("dense1", "output1")]
    window.delete_action.trigger()
    assert nodes["output1"].problems
    shot("residual-unwired-output")
    drag_connect(window, "add1", "output1")
    assert graph.inputs_of("add1") == ["dense3", "dense1"]
    assert nodes["output1"].shape_text == "10"
    assert window.document.report.ok
    window.scene.select_nodes(["add1"])
    shot("residual-block")
    window.auto_layout_action.trigger()
    shot("auto-layout")
    built = dumps(window.document.project)

    while stack.canUndo():
        window.undo_action.trigger()
    assert not graph.nodes
    assert dumps(window.document.project) == blank
    assert not window.isWindowModified()
    shot("all-undone")

    while stack.canRedo():
        window.redo_action.trigger()
    assert dumps(window.document.project) == built
    target = tmp_path / "lenet_residual.json"
    window.prompts.paths = [str(target)]
    window.save_action.trigger()
    saved = load_project(target)
    result = check_project(saved)
    assert result.ok, result.problems
    assert result.report.nodes["output1"].shape == (10,)
    assert result.report.nodes["add1"].shape == (16,)
    assert not window.isWindowModified()
    shot("saved")
