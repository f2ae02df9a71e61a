"""Every shipped example opens tidy and valid: no two cards overlap, no edge runs right to left
across the canvas or behind a card, the whole network fits a canvas of about 1100 x 500 px at
60 % zoom or more, and ``playground check`` accepts it. The same holds for what Auto-Layout
makes of long chains, which it folds into a snake of columns."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from html import escape
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, QRect, QRectF
from PySide6.QtWidgets import QTabBar, QWidget
from pytestqt.qtbot import QtBot

from playground.cli import main
from playground.core.examples import by_topic, examples_dir, shipped_examples
from playground.core.graph import Graph, Node, Point
from playground.core.project import load_project
from playground.ui.editor.items import NODE_HEIGHT, NODE_WIDTH, PORT_RADIUS, curve
from playground.ui.editor.layout import MAX_COLUMNS, layered_layout
from playground.ui.main_window import MainWindow
from playground.ui.theme import DARK, LIGHT

EXAMPLES = [e.path for e in shipped_examples()]
CANVAS = (1100, 500)
MIN_ZOOM = 0.6
FIT_MARGIN = 40  # what CanvasView.fit_to_view adds around the drawing
GRID = 20.0


def card(pos: Point) -> QRectF:
    return QRectF(pos[0], pos[1], NODE_WIDTH, NODE_HEIGHT)


def edge_path(layout: dict[str, Point], src: str, dst: str) -> tuple[QPointF, QPointF]:
    """The ends of the drawn edge, as ``EdgeItem.update_path`` places them."""
    (sx, sy), (dx, dy) = layout[src], layout[dst]
    return (QPointF(sx + NODE_WIDTH + PORT_RADIUS, sy + NODE_HEIGHT / 2),
            QPointF(dx - PORT_RADIUS - 1, dy + NODE_HEIGHT / 2))


def untidy(graph: Graph, layout: dict[str, Point]) -> list[str]:
    """What makes ``layout`` hard to read, in words; empty when it is tidy."""
    found = []
    assert set(layout) == set(graph.nodes), "every node has a place"
    ids = list(layout)
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            if card(layout[a]).adjusted(-10, -10, 10, 10).intersects(card(layout[b])):
                found.append(f"cards '{a}' and '{b}' overlap or touch")
    for src, dst in graph.edges:
        (sx, sy), (dx, dy) = layout[src], layout[dst]
        hop = dx == sx and abs(dy - sy) >= NODE_HEIGHT + 20  # to the card below/above, same column
        if not hop and dx < sx + NODE_WIDTH + 20:
            found.append(f"edge {src} -> {dst} runs backwards ({sx:g} -> {dx:g})")
        start, end = edge_path(layout, src, dst)
        path = curve(start, end)
        for k in range(3, 98):
            point = path.pointAtPercent(k / 100)
            inside = [n for n in ids if card(layout[n]).adjusted(2, 2, -2, -2).contains(point)]
            if inside:
                found.append(f"edge {src} -> {dst} runs behind card '{inside[0]}'")
                break
    xs = [x for x, _ in layout.values()]
    ys = [y for _, y in layout.values()]
    width = max(xs) - min(xs) + NODE_WIDTH + 2 * FIT_MARGIN
    height = max(ys) - min(ys) + NODE_HEIGHT + 2 * FIT_MARGIN
    zoom = min(1.0, CANVAS[0] / width, CANVAS[1] / height)
    if zoom < MIN_ZOOM:
        found.append(f"needs {zoom:.0%} zoom to fit {CANVAS[0]}x{CANVAS[1]} px")
    return found


def snapped(layout: dict[str, Point]) -> dict[str, Point]:
    """As Auto-Layout leaves it, on the canvas grid."""
    return {k: (round(x / GRID) * GRID, round(y / GRID) * GRID) for k, (x, y) in layout.items()}


def test_every_example_is_listed() -> None:
    assert {p.name for p in EXAMPLES} >= {"spiral.json", "vanishing_sigmoid_digits.json", "lenet_digits.json",
                                          "relu_he_digits.json", "residual_mlp_spiral.json"}


def in_window(widget: QWidget) -> QRect:
    return QRect(widget.mapTo(widget.window(), QPoint(0, 0)), widget.size())


def front_tab(window: MainWindow) -> str:
    """The tab in front where the Lesson and the Inspector share a place (no tabs: the Inspector
    alone)."""
    bars = [b for b in window.findChildren(QTabBar) if "Lesson" in {b.tabText(i) for i in range(b.count())}]
    return bars[0].tabText(bars[0].currentIndex()) if bars else "Inspector"


def test_the_examples_menu_groups_the_examples_by_lecture_topic(make_window: Callable[..., MainWindow]) -> None:
    window = make_window()
    window.examples_menu.aboutToShow.emit()
    groups = by_topic(shipped_examples())
    submenus = [a.menu() for a in window.examples_menu.actions()]
    assert [m.title() for m in submenus] == list(groups)
    assert list(groups)[0] == "The basic machine", "in the lectures' order"
    for menu, examples in zip(submenus, groups.values()):
        assert [(a.text(), a.statusTip(), a.toolTip()) for a in menu.actions()] == [
            (e.title, e.note, e.note) for e in examples]


def test_choosing_an_example_opens_it_with_its_lesson_beside_the_canvas(make_window: Callable[..., MainWindow]) -> None:
    window = make_window()
    note = window.example_note
    assert not note.isVisible()
    assert not note.toggleViewAction().isEnabled(), "no note for a project of one's own"
    window.examples_menu.aboutToShow.emit()
    init = next(a for m in (a.menu() for a in window.examples_menu.actions()) if m.title() == "Initialisation"
                for a in m.actions() if a.text() == "Initialisation: all zeros (symmetry)")
    init.trigger()
    assert window.document.project.name == "Initialisation: all zeros (symmetry)"
    assert front_tab(window) == "Lesson", "in front of the Inspector, whose place it shares"
    lesson = next(e for e in shipped_examples() if e.name == "init_zeros").lesson
    text = note.body.text()
    for heading, part in (("Look at", lesson.look), ("Then change", lesson.change), ("Why", lesson.why)):
        assert heading in text
        assert escape(part) in text
    assert note.title.text() == "Initialisation: all zeros (symmetry)"
    assert note.topic.text() == "INITIALISATION"
    assert not in_window(note).intersects(in_window(window.view)), "beside the canvas, not over it"


def test_the_lesson_steps_aside_and_comes_back(make_window: Callable[..., MainWindow], qtbot: QtBot) -> None:
    window = make_window()
    note = window.example_note
    assert window.open_example(examples_dir() / "xor_no_hidden.json")
    window.scene.select_nodes(["out"])
    qtbot.waitUntil(lambda: front_tab(window) == "Inspector")  # a picked node's settings come first
    note.toggleViewAction().trigger()  # View > Panels > Lesson (Ctrl+Shift+E): off, then on again
    assert not note.isVisible()
    note.toggleViewAction().trigger()
    qtbot.waitUntil(lambda: front_tab(window) == "Lesson")
    note.close()
    assert not note.isVisible()
    assert note.toggleViewAction().isEnabled()
    window.new_project()
    assert not note.toggleViewAction().isEnabled(), "another project never shows the example's note"


def test_a_saved_window_layout_never_brings_back_an_empty_lesson(make_window: Callable[..., MainWindow]) -> None:
    """The window's layout is saved with the Lesson tab open; the next window opens a project of
    the person's own, and restoring that layout must not show an empty Lesson tab."""
    first = make_window()
    assert first.open_example(examples_dir() / "spiral.json")
    first.close()
    second = make_window()
    assert not second.example_note.isVisible()
    assert front_tab(second) == "Inspector"


def test_the_lesson_follows_the_theme(make_window: Callable[..., MainWindow]) -> None:
    window = make_window(theme="light")
    assert window.open_example(examples_dir() / "spiral.json")
    light = window.example_note.body.text()
    window.set_appearance("dark")
    dark = window.example_note.body.text()
    assert LIGHT.accent.name() in light
    assert DARK.accent.name() in dark


def test_an_example_without_a_note_opens_without_one(make_window: Callable[..., MainWindow], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(examples_dir(), tmp_path / "examples")
    (tmp_path / "examples" / "mine.json").write_text((examples_dir() / "spiral.json").read_text(), encoding="utf-8")
    monkeypatch.setenv("PLAYGROUND_RESOURCES", str(tmp_path))
    window = make_window()
    assert window.open_example(tmp_path / "examples" / "mine.json")
    assert not window.example_note.isVisible()
    assert not window.example_note.toggleViewAction().isEnabled()


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_opens_tidy_and_valid(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = load_project(path)
    graph = project.graph
    assert untidy(graph, dict(graph.layout)) == []
    # the shipped layout is Auto-Layout's, so pressing it on a fresh example changes nothing
    assert snapped(layered_layout(graph, dict(graph.layout))) == graph.layout
    assert main(["check", str(path)]) == 0, capsys.readouterr().err
    assert "ok: the network is valid" in capsys.readouterr().out


def chain_graph(count: int) -> Graph:
    g = Graph()
    ids = ["in", *[f"h{i}" for i in range(1, count - 1)], "out"]
    types = ["Input", *["Dense"] * (count - 2), "Output"]
    for node_id, type_name in zip(ids, types):
        g.add_node(Node(node_id, type_name), (0, 0))
    for a, b in zip(ids, ids[1:]):
        g.connect(a, b)
    return g


@pytest.mark.parametrize("count", [2, 5, MAX_COLUMNS, MAX_COLUMNS + 1, 12, 16, 23])
def test_auto_layout_of_a_long_chain_is_tidy(count: int) -> None:
    g = chain_graph(count)
    layout = snapped(layered_layout(g, {}))
    assert untidy(g, layout) == []
    columns = {x for x, _ in layout.values()}
    if count <= MAX_COLUMNS:
        assert len(columns) == count
        assert len({y for _, y in layout.values()}) == 1  # short chains stay one row
    else:
        assert len(columns) <= MAX_COLUMNS


def test_auto_layout_folds_a_long_residual_network_without_backward_edges() -> None:
    g = chain_graph(12)
    g.add_node(Node("skip", "Add"), (0, 0))
    g.disconnect("h4", "h5")
    g.connect("h4", "skip")
    g.connect("h2", "skip")
    g.connect("skip", "h5")
    layout = snapped(layered_layout(g, {}))
    problems = untidy(g, layout)
    # the skip edge may cross a column in the fold, but never runs right to left
    assert [p for p in problems if "backwards" in p or "overlap" in p] == []
