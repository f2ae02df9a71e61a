"""What the canvas leaves on screen: no hint text behind the first node, no outline, glow or
badge left behind by a node that was deleted or undone, no legend over a node.

Qt repaints only the regions it is told changed, so these tests compare what is really on the
screen (the window's backing store, grabbed through the screen) with a fresh full render of
the viewport: any difference is paint that no repaint cleared.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from playground.core.graph import Node
from playground.ui.editor.items import (
    ARROW,
    GLOW_PEN,
    NODE_HEIGHT,
    NODE_WIDTH,
    OUTLINE_PEN,
    SHADOW_DROP,
    DragEdgeItem,
    EdgeItem,
    NodeItem,
)
from playground.ui.main_window import MainWindow
from playground.ui.theme import LIGHT as LIGHT_COLORS
from tests.ui.helpers import blank_project, chain, drop_layer

Factory = Callable[..., MainWindow]


def pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    data = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
    return data.reshape(image.height(), image.bytesPerLine() // 4, 4)[:, :image.width(), :3].astype(int)


def on_screen(window: MainWindow) -> np.ndarray:
    """The viewport as it is on screen now, after pending repaints ran."""
    QTest.qWait(30)
    viewport = window.view.viewport()
    shot = window.screen().grabWindow(window.winId()).toImage()
    return pixels(shot.copy(QRect(viewport.mapTo(window, QPoint(0, 0)), viewport.size())))


def fresh(window: MainWindow) -> np.ndarray:
    """The viewport painted from scratch: what the screen should show."""
    return pixels(window.view.viewport().grab().toImage())


def stale(window: MainWindow) -> np.ndarray:
    """A mask of the viewport pixels the screen shows wrong (left over from earlier paint)."""
    screen, truth = on_screen(window), fresh(window)
    assert screen.shape == truth.shape
    wrong = np.abs(screen - truth).max(axis=2) > 40
    legend = window.view.legend
    if legend.isVisible():  # a widget of its own over the viewport, not in the viewport's render
        r = QRect(window.view.viewport().mapFrom(window.view, legend.pos()), legend.size())
        wrong[max(r.top(), 0):r.bottom() + 1, max(r.left(), 0):r.right() + 1] = False
    return wrong


def hint_pixels(window: MainWindow, image: np.ndarray) -> int:
    """Dark text pixels outside every node card: only the empty-canvas hint draws those."""
    dark = image.mean(axis=2) < 170
    view = window.view
    for item in window.scene.nodes.values():
        r = view.mapFromScene(item.sceneBoundingRect()).boundingRect().adjusted(-2, -2, 2, 2)
        dark[max(r.top(), 0):max(r.bottom() + 1, 0), max(r.left(), 0):max(r.right() + 1, 0)] = False
    return int(dark.sum())


def test_node_paints_only_inside_its_bounding_rect() -> None:
    item = NodeItem("n", "Dense", LIGHT_COLORS)
    bounds = item.boundingRect()
    card = QRectF(0, 0, NODE_WIDTH, NODE_HEIGHT)
    painted = [
        card.translated(0, SHADOW_DROP),
        item.glow_rect().adjusted(-GLOW_PEN / 2, -GLOW_PEN / 2, GLOW_PEN / 2, GLOW_PEN / 2),
        item.outline_rect().adjusted(-OUTLINE_PEN / 2, -OUTLINE_PEN / 2, OUTLINE_PEN / 2, OUTLINE_PEN / 2),
    ]
    for badge in ("vanishing", "exploding", "a much longer badge than any the gradient view gives"):
        item.badge = badge
        painted.append(item.badge_rect())
    for rect in painted:
        assert bounds.contains(rect), (rect, bounds)
    for port in (item.in_port, item.out_port):
        assert port is not None
        assert port.boundingRect().contains(port._body().adjusted(-1, -1, 1, 1))


def test_edges_paint_only_inside_their_bounding_rects() -> None:
    """The curve with its widest pen (3.2 px tinted) and the arrowhead, forwards, backwards
    within a row (an S) and between rows (a hop), for drawn and dragged edges alike."""
    a, b = NodeItem("a", "Dense", LIGHT_COLORS), NodeItem("b", "Dense", LIGHT_COLORS)
    for x, y in ((300, 0), (300, 40), (-400, 10), (0, 120), (0, -120), (-500, -300)):
        b.setPos(x, y)
        edge = EdgeItem(a, b, LIGHT_COLORS)
        drag = DragEdgeItem(a.out_port.scenePos(), LIGHT_COLORS)
        drag.set_end(edge._end, ok=True)
        for item, end in ((edge, edge._end), (drag, drag.end)):
            bounds = item.boundingRect()
            assert bounds.contains(item.path().boundingRect().adjusted(-2.6, -2.6, 2.6, 2.6)), (x, y)
            assert bounds.contains(QRectF(end - QPointF(ARROW, ARROW / 2 + 1), end + QPointF(1, ARROW / 2 + 1)))


def test_hint_goes_when_the_first_node_comes_and_returns_on_undo(make_window: Factory) -> None:
    window = make_window(blank_project())
    empty = on_screen(window)
    shown = hint_pixels(window, empty)
    assert shown > 200  # the test sees the hint
    corner = window.view.mapToScene(QPoint(120, 70))
    drop_layer(window, "Dense", corner)
    assert list(window.scene.nodes) == ["dense1"]
    assert hint_pixels(window, on_screen(window)) == 0
    assert not stale(window).any()
    window.undo_action.trigger()
    assert not window.scene.nodes
    assert hint_pixels(window, on_screen(window)) > 0.9 * shown
    window.redo_action.trigger()
    assert hint_pixels(window, on_screen(window)) == 0
    assert not stale(window).any()


def test_no_outline_glow_or_badge_left_after_delete_and_undo(make_window: Factory) -> None:
    project = chain(("in", "Input"), ("a", "Dense"), ("out", "Output"))
    project.graph.add_node(Node("lone", "Dense"), (220, 160))  # invalid: not connected to the Input
    window = make_window(project)
    scene = window.scene
    scene.set_gradient_flow({"in": 1e-6, "a": 1e-3, "out": 1.0, "lone": 1e-7}, {"lone": "vanishing"})
    scene.select_nodes(["lone"])
    before = on_screen(window)
    ring = window.view.mapFromScene(scene.nodes["lone"].sceneBoundingRect()).boundingRect()
    assert not stale(window).any()
    window.controller.delete_selection()
    assert "lone" not in scene.nodes
    after = on_screen(window)
    assert (np.abs(after - before).max(axis=2) > 40)[ring.top():ring.bottom(), ring.left():ring.right()].any()
    assert not stale(window).any()
    window.undo_action.trigger()  # back, selected and tinted state repainted, then gone again
    scene.set_gradient_flow({"lone": 1e-7}, {"lone": "vanishing"})
    scene.select_nodes(["lone"])
    assert not stale(window).any()
    window.redo_action.trigger()
    assert not stale(window).any()
    scene.set_gradient_flow({}, {})  # clearing the tint repaints each glow ring whole
    assert not stale(window).any()


def test_theme_switch_hands_every_item_the_new_colours(make_window: Factory) -> None:
    window = make_window(chain(("in", "Input"), ("a", "Dense"), ("out", "Output")))
    window.set_appearance("dark")
    scene = window.scene
    ports = [p for n in scene.nodes.values() for p in (n.in_port, n.out_port) if p is not None]
    items = [*scene.nodes.values(), *scene.edges.values(), *ports]
    assert all(item.colors is scene.colors and item.colors.dark for item in items)
    assert not stale(window).any()
    window.set_appearance("light")
    assert all(not item.colors.dark for item in items)


def test_dragging_still_snaps_to_the_grid(make_window: Factory) -> None:
    window = make_window(chain(("in", "Input"), ("a", "Dense")))
    item = window.scene.nodes["a"]
    window.scene._dragging = True  # what a press on a selected node sets
    item.setPos(QPointF(233.0, 47.0))
    assert (item.pos().x(), item.pos().y()) == (240.0, 40.0)
    window.scene._dragging = False
    item.setPos(QPointF(233.0, 47.0))
    assert (item.pos().x(), item.pos().y()) == (233.0, 47.0)


def legend_rect(window: MainWindow) -> QRect:
    view = window.view
    return QRect(view.viewport().mapFrom(view, view.legend.pos()), view.legend.size())


def covered_nodes(window: MainWindow) -> list[str]:
    rect = legend_rect(window)
    view = window.view
    return [node_id for node_id, item in window.scene.nodes.items()
            if rect.intersects(view.mapFromScene(item.sceneBoundingRect()).boundingRect())]


def tint_all(window: MainWindow) -> None:
    norms = {node_id: 10.0 ** -i for i, node_id in enumerate(window.scene.nodes)}
    window.scene.set_gradient_flow(norms, {})
    assert window.view.legend.isVisible()


def test_gradient_legend_covers_no_node_after_fit(make_window: Factory, qtbot: QtBot) -> None:
    project = blank_project()
    for i in range(4):  # a grid taller than the canvas's shape: fitted, it fills the height
        for j in range(6):
            project.graph.add_node(Node(f"n{i}_{j}", "Dense"), (i * 220, j * 120))
    window = make_window(project)
    view = window.view
    tint_all(window)
    view.fit_to_view()
    assert covered_nodes(window) == []
    assert not view.legend.testAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    assert all(visible.contains(item.sceneBoundingRect()) for item in window.scene.nodes.values())
    window.resize(window.width() - 200, window.height())  # still clear after the canvas shrinks
    qtbot.waitUntil(lambda: view.legend.geometry().right() < view.width())
    view.fit_to_view()
    assert covered_nodes(window) == []


def test_gradient_legend_moves_to_an_empty_corner(make_window: Factory, qtbot: QtBot) -> None:
    window = make_window(chain(("in", "Input"), ("a", "Dense"), ("out", "Output")))
    view = window.view
    view.reset_zoom()
    tint_all(window)
    assert covered_nodes(window) == []
    corner = legend_rect(window).center()
    window.controller.move_nodes({"out": (window.document.graph.layout["out"],
                                          (view.mapToScene(corner).x() - 80, view.mapToScene(corner).y() - 30))})
    qtbot.waitUntil(lambda: covered_nodes(window) == [])  # the scene's change moves it along
    assert legend_rect(window).center() != corner
    viewport = view.viewport().rect()
    for node_id, x, y in (("c1", 0, 0), ("c2", 1, 0), ("c3", 0, 1), ("c4", 1, 1)):  # a node in every corner
        at = view.mapToScene(QPoint(int(x * (viewport.width() - 120)), int(y * (viewport.height() - 60))))
        window.document.graph.add_node(Node(node_id, "Dense"), (at.x(), at.y()))
    tint_all(window)
    qtbot.waitUntil(lambda: view.legend.testAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents))
    assert view.legend.graphicsEffect().isEnabled()  # faded, and clicks reach the nodes beneath
    view.fit_to_view()
    assert covered_nodes(window) == []
    assert not view.legend.testAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
