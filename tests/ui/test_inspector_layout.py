"""The inspector's layout in a real window: the node's form gets most of the height and the model
summary only the rows it needs (QA at 1440x900: one or two fields showed above a summary with
empty space), a newly selected node is shown from its top (QA: a new Conv2d's title was half
scrolled off), and in a narrow dock every text wraps instead of being cut at the right edge
(QA at 1024x700: "id 'conv1' · output 8×8×8 · 80 p", "slide over t")."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QApplication, QLabel, QScrollArea, QSplitter, QWidget

from playground.core.datasets import resources_dir
from playground.core.project import load_project
from playground.ui.main_window import MainWindow

Factory = Callable[..., MainWindow]


def settle() -> None:
    for _ in range(3):  # docks and splitters settle over a few passes
        QApplication.processEvents()


def lenet_window(make_window: Factory, width: int, height: int) -> MainWindow:
    window = make_window(load_project(resources_dir() / "examples" / "lenet_digits.json"))
    window.resize(width, height)
    settle()
    window._arrange_docks()
    settle()
    return window


def splitter(window: MainWindow) -> QSplitter:
    """The splitter between the node's form and the model summary."""
    return window.inspector.findChild(QSplitter)


def form_area(window: MainWindow) -> QScrollArea:
    inspector = window.inspector
    return next(a for a in inspector.findChildren(QScrollArea) if a.isAncestorOf(inspector.title))


def test_the_form_gets_most_of_the_height_and_the_summary_its_rows(make_window: Factory) -> None:
    window = lenet_window(make_window, 1440, 900)
    inspector = window.inspector
    window.scene.select_nodes(["conv1"])
    settle()
    form, summary = splitter(window).sizes()
    assert summary <= 0.36 * (form + summary), f"form {form} px, summary {summary} px"
    assert form >= 1.8 * summary
    table = inspector.table
    rows = table.rowCount()
    shown = table.viewport().height() // table.verticalHeader().defaultSectionSize()
    if shown < rows:
        assert summary >= 0.33 * (form + summary), "the summary is as tall as allowed before it scrolls"
    else:
        spare = table.viewport().height() - rows * table.verticalHeader().defaultSectionSize()
        assert spare < table.verticalHeader().defaultSectionSize(), f"{spare} px of empty rows"


def test_a_small_network_leaves_no_empty_rows_under_the_summary(make_window: Factory) -> None:
    window = lenet_window(make_window, 1440, 900)
    for node_id in [n for n in window.document.graph.nodes if n not in ("in", "conv1", "out")]:
        window.scene.select_nodes([node_id])
        window.controller.delete_selection()
    window.controller.connect_nodes("conv1", "out")
    settle()
    table = window.inspector.table
    row = table.verticalHeader().defaultSectionSize()
    assert table.rowCount() == 3
    assert table.viewport().height() - 3 * row < row, "the summary shrank with the network"
    form, summary = splitter(window).sizes()
    assert form > 1.5 * summary


def test_the_user_split_is_kept(make_window: Factory) -> None:
    window = lenet_window(make_window, 1440, 900)
    split = splitter(window)
    total = sum(split.sizes())
    split.moveSplitter(total // 2, 1)  # as the handle's drag does
    settle()
    before = split.sizes()
    window.scene.select_nodes(["fc"])
    window.resize(1400, 880)
    settle()
    assert abs(split.sizes()[1] - before[1]) <= 0.1 * before[1] + 2


def test_another_node_is_shown_from_its_top(make_window: Factory) -> None:
    """The form's part of the dock made short (as a person may drag it), so that even the page
    without a form (title, help) scrolls: then the old position survived the change of node."""
    window = lenet_window(make_window, 1440, 900)
    split = splitter(window)
    total = sum(split.sizes())
    split.setSizes([90, total - 90])
    area = form_area(window)
    window.scene.select_nodes(["conv1"])
    settle()
    bar = area.verticalScrollBar()
    assert bar.maximum() > 40, "the Conv2d form is taller than its part of the dock"
    bar.setValue(25)
    window.scene.select_nodes(["conv2"])
    settle()
    assert bar.value() == 0
    assert window.inspector.title.text() == "Conv2d"
    bar.setValue(bar.maximum())
    window.controller.set_param("conv2", "filters", 12)  # an edit of the shown node keeps the place
    settle()
    assert bar.value() == bar.maximum()


def text_width(label: QLabel) -> int:
    text = label.text()
    rich = label.textFormat() == Qt.TextFormat.RichText
    if rich or label.textFormat() == Qt.TextFormat.AutoText and "<" in text and ">" in text:
        document = QTextDocument()
        document.setDefaultFont(label.font())
        document.setHtml(text)
        document.setDocumentMargin(0)
        return round(document.idealWidth())
    return max(label.fontMetrics().horizontalAdvance(line) for line in text.split("\n"))


def cut_labels(root: QWidget) -> list[str]:
    """Labels of ``root`` whose text is wider than the label (and does not wrap), or that reach
    past the right edge of what shows them (their scroll area's viewport, or ``root``)."""
    problems = []
    for label in root.findChildren(QLabel):
        if not label.isVisibleTo(root) or not label.text():
            continue
        name = f"{label.text()[:40]!r}"
        room = label.contentsRect().width()
        if not label.wordWrap() and text_width(label) > room:
            problems.append(f"{name}: {text_width(label)} px of text in {room} px")
        area = next((a for a in root.findChildren(QScrollArea) if a.widget() is not None
                     and a.widget().isAncestorOf(label)), None)
        frame = area.viewport() if area is not None else root
        right = label.mapTo(frame, QPoint(label.width(), 0)).x()
        if right > frame.width():
            problems.append(f"{name}: right edge {right} > {frame.width()} px shown")
    return problems


@pytest.mark.parametrize("node_id", ["conv1", "pool1", "fc", "out", "in"])
def test_every_text_wraps_in_a_narrow_dock(make_window: Factory, node_id: str) -> None:
    window = lenet_window(make_window, 1024, 700)
    window.resizeDocks([window.inspector_dock], [220], Qt.Orientation.Horizontal)
    settle()
    assert window.inspector_dock.width() <= 230
    window.scene.select_nodes([node_id])
    settle()
    assert window.inspector.title.text() == window.document.graph.nodes[node_id].type
    assert not cut_labels(window.inspector)


def test_problems_and_subtitles_wrap_in_a_narrow_dock(make_window: Factory) -> None:
    window = lenet_window(make_window, 1024, 700)
    window.resizeDocks([window.inspector_dock], [220], Qt.Orientation.Horizontal)
    window.document.graph.disconnect("conv1", "pool1")  # problems to show, long ones
    window.scene.select_nodes(["pool1"])
    settle()
    assert window.inspector.problems.isVisible()
    assert not cut_labels(window.inspector)
