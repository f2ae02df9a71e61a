"""Dragging a node's output back onto itself is refused with the graph's reason, like a cycle:
red port and line, the reason beside the cursor and in the status bar; the reason card is never
shown empty (QA saw an empty red card and a blue line, and nothing in the status bar)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from playground.core.graph import Graph, Node
from playground.ui.main_window import MainWindow
from tests.ui.helpers import chain, viewport_point

Factory = Callable[..., MainWindow]


def self_reason() -> str:
    graph = Graph()
    graph.add_node(Node("a", "Dense"))
    reason = graph.connection_problem("a", "a")
    assert reason
    return reason


def test_dragging_onto_its_own_input_says_why(make_window: Factory) -> None:
    window = make_window(chain(("in", "Input"), ("a", "Dense"), ("out", "Output")))
    node = window.scene.nodes["a"]
    assert node.out_port is not None
    assert node.in_port is not None
    viewport = window.view.viewport()
    start = viewport_point(window, node.out_port.scenePos())
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    link = window.scene._link
    assert link is not None
    QTest.mouseMove(viewport, start + QPoint(4, 0))  # still on its own output port
    assert not link.label.isVisible(), "no reason yet, so no (empty) card"
    assert link.line.ok
    over = window.view.mapFromScene(node.in_port.scenePos())
    for i in range(1, 9):  # across its own card to its own input
        QTest.mouseMove(viewport, start + (over - start) * (i / 8))
    reason = self_reason()
    assert link.target is node
    assert link.problem == reason
    assert link.label.isVisible()
    assert link.label.text == reason
    assert not link.line.ok, "the dashed line turns red"
    assert node.in_port.state == "bad"
    assert window.statusBar().currentMessage() == f"Cannot connect: {reason}"
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, over)
    assert window.scene._link is None
    assert node.in_port.state == ""
    assert window.document.graph.edges == [("in", "a"), ("a", "out")]
    assert window.document.undo_stack.count() == 0
    assert window.statusBar().currentMessage() == f"Cannot connect: {reason}"


def test_the_reason_card_is_hidden_whenever_it_has_no_text(make_window: Factory) -> None:
    """Off every node, over a node that accepts, and back: the card shows only with a reason."""
    project = chain(("in", "Input"), ("a", "Dense"))
    project.graph.add_node(Node("b", "Dense"), (440, 160))
    window = make_window(project)
    viewport = window.view.viewport()
    a, b = window.scene.nodes["a"], window.scene.nodes["b"]
    assert a.out_port is not None
    assert b.in_port is not None
    start = viewport_point(window, a.out_port.scenePos())
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    link = window.scene._link
    assert link is not None
    seen: list[tuple[bool, str]] = []
    empty = window.view.mapFromScene(a.out_port.scenePos() + QPointF(60, -120))
    accept = window.view.mapFromScene(b.in_port.scenePos())
    own = window.view.mapFromScene(a.center() - QPointF(30, 0))
    for point in (empty, accept, empty, own, empty):
        QTest.mouseMove(viewport, point)
        seen.append((link.label.isVisible(), link.label.text))
    assert seen[0] == (False, "")
    assert seen[1] == (False, ""), "an accepted target has no reason to show"
    assert seen[3] == (True, self_reason())
    assert seen[4] == (False, "")
    assert all(text for visible, text in seen if visible), "never an empty card"
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, empty)
