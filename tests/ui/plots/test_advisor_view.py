"""The Advisor view: findings as the run gives evidence of them, a Fix that waits for the run's
end and then changes the open project as one undoable step, export, both themes."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from playground.core.datasets import DatasetMeta
from playground.core.edits import insert_edit, make_fix, set_edit
from playground.core.examples import example_path
from playground.core.project import Project, dumps, load_project
from playground.core.training import Report, TrainResult
from playground.ui.document import ProjectDocument
from playground.ui.editor.fix_command import push_fix
from playground.ui.main_window import MainWindow
from playground.ui.plots.advisor import AdvisorView, describe_fix
from playground.ui.plots.live import RunInfo
from playground.ui.theme import DARK, LIGHT, make_palette
from tests.ui.plots.conftest import Show
from tests.ui.plots.fakes import report

NO_POINTS = (np.empty((0, 2), np.float32), np.empty(0))


def run_info(project: Project) -> RunInfo:
    nodes = list(project.graph.nodes)[1:]
    labels = {n: project.graph.nodes[n].label for n in nodes}
    return RunInfo(36, 1080, "cpu", nodes, labels, DatasetMeta((64,), "classification", 10), "cross_entropy",
                   NO_POINTS, NO_POINTS, NO_POINTS, None, project)


def sigmoid_stack() -> Project:
    return load_project(example_path("vanishing_sigmoid_digits"))


def stalled_run() -> list[Report]:
    """Epoch ends of the ten sigmoid layers: the profile falls 8 decades and the loss sits at chance."""
    grads = {f"h{i}": 10.0 ** (i - 10) for i in range(1, 11)} | {"out": 0.5}
    return [report(36 * e, steps_per_epoch=36, total_epochs=30, grad_norm=grads, loss=2.30, acc=0.1, epoch_end=True)
            for e in range(1, 11)]


def finished() -> TrainResult:
    return TrainResult("finished", "trained 10 epochs", 10, 360, None)


def advised(show: Show) -> AdvisorView:
    view = show(AdvisorView())
    view.on_run_started(run_info(sigmoid_stack()), None)
    view.on_reports(stalled_run())
    view.flush()
    return view


def test_before_a_run_the_view_says_how_to_get_advice(show: Show) -> None:
    view = show(AdvisorView())
    assert view.findings() == []
    assert "Train to get advice" in view.status.text()


def test_findings_appear_with_their_fix_offered_once_the_run_has_ended(show: Show, qtbot: QtBot) -> None:
    view = advised(show)
    (card,) = view.cards
    assert card.finding.rule == "vanishing_gradients"
    assert "Vanishing gradients" in card.head.text()
    assert "Dense 'h1'" in card.head.text(), "the nodes are named as the canvas names them"
    assert card.message.text().startswith("The gradients reaching Dense 'h1'")
    assert card.button is not None
    assert not card.button.isEnabled(), "no edits while the run goes"
    view.on_run_finished(finished())
    view.flush()
    (card,) = view.cards
    assert card.button is not None
    assert card.button.isEnabled()
    assert "graph.h1.activation = relu" in card.button.toolTip()
    with qtbot.waitSignal(view.fixRequested, timeout=1000) as signal:
        card.button.click()
    assert signal.args[0] == card.finding.fix


def test_a_healthy_run_says_so(show: Show) -> None:
    view = show(AdvisorView())
    view.on_run_started(run_info(sigmoid_stack()), None)
    grads = {f"h{i}": 0.1 for i in range(1, 11)} | {"out": 0.3}
    view.on_reports([report(36 * e, steps_per_epoch=36, grad_norm=grads, loss=2.3 * 0.8**e, acc=0.97, epoch_end=True)
                     for e in range(1, 11)])
    view.on_run_finished(finished())
    view.flush()
    assert view.cards == []
    assert "No problems found" in view.status.text()


def test_exports_the_list_and_its_data(show: Show, tmp_path: Path) -> None:
    view = advised(show)
    png = QImage(str(view.export_picture(tmp_path / "advice.png")))
    assert not png.isNull()
    assert png.width() > 100
    assert "<svg" in view.export_picture(tmp_path / "advice.svg").read_text(encoding="utf-8")[:2000]
    with pytest.raises(ValueError, match="png or .svg"):
        view.export_picture(tmp_path / "advice.gif")
    with view.export_data(tmp_path / "advice.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["rule", "severity", "step", "nodes", "message", "fix"]
    assert rows[1][:2] == ["vanishing_gradients", "warning"]
    view.reset()
    view.flush()
    assert view.data_table()[1] == []


@pytest.mark.parametrize("colors", [LIGHT, DARK], ids=["light", "dark"])
def test_reads_in_both_themes(colors: object, show: Show, tmp_path: Path) -> None:
    view = advised(show)
    view.setPalette(make_palette(colors))
    view.flush()
    (card,) = view.cards
    text, base = card.message.palette().windowText().color(), view.palette().base().color()
    assert abs(text.lightness() - base.lightness()) > 100, "the message reads against the background"
    assert (view.colors.dark) == (colors is DARK)
    view.grab().save(str(tmp_path / "advisor.png"))


def test_describe_fix_names_every_edit() -> None:
    fix = {"label": "x", "edits": [{"set": "training.lr", "value": 0.01}, {"set": "graph.h2.dropout", "value": None},
                                   {"insert": {"id": "h1", "type": "Dense"}, "between": ["in", "out"]}]}
    assert describe_fix(fix).splitlines() == ["training.lr = 0.01", "graph.h2.dropout = default",
                                              "add Dense 'h1' between 'in' and 'out'"]


@pytest.mark.parametrize(("name", "steps", "rule", "changed"), [
    ("vanishing_sigmoid_digits", 220, "vanishing_gradients",
     lambda p: {p.graph.nodes[f"h{i}"].params["activation"] for i in range(1, 11)} == {"relu"}),
    ("overfitting", 400, "overfitting", lambda p: p.training.get("early_stopping") == {"patience": 10}),
], ids=["vanishing", "overfitting"])
def test_the_fix_is_one_undoable_edit_of_the_open_project(name: str, steps: int, rule: str,
                                                          changed: Callable[[Project], bool],
                                                          make_window: Callable[..., MainWindow]) -> None:
    """Issue 13's 'done when': the advisor fires on the vanishing-gradient and overfitting
    examples, its one-click fix changes the project (ReLU + He; early stopping), and one undo
    gives the project back as it was."""
    window = make_window(load_project(example_path(name)))
    original = window.document.project.to_dict()
    ws = window.training
    assert set(window.tabifiedDockWidgets(ws.docks["training"])) >= {ws.docks["advisor"], ws.docks["bias_variance"]}
    assert not ws.view("advisor").on_screen(), "the training panel is in front while nothing is said"
    ws.train_steps(steps)
    view = ws.view("advisor")
    assert isinstance(view, AdvisorView)
    assert view.on_screen(), "a warning brings the Advisor's tab to the front"
    view.flush()
    card = next(c for c in view.cards if c.finding.rule == rule)
    assert card.button is not None
    assert card.button.isEnabled()
    stack = window.document.undo_stack
    before = stack.count()
    card.button.click()
    assert changed(window.document.project)
    assert stack.count() == before + 1
    assert stack.undoText() == f"Fix: {card.finding.fix['label']}"
    stack.undo()
    assert window.document.project.to_dict() == original
    stack.redo()
    assert changed(window.document.project)


def test_an_inserted_hidden_layer_is_undone_exactly(qtbot: QtBot) -> None:
    """The no-hidden-layer fix adds a node and rewires an edge: one step, and undo gives back
    the same file, node order, edge order and layout included."""
    document = ProjectDocument(load_project(example_path("xor_no_hidden")))
    before = dumps(document.project)
    errors: list[tuple[str, str]] = []
    fix = make_fix("Add a hidden layer", [insert_edit("h1", "Dense", {"units": 8}, "in", "out")])
    assert push_fix(document, fix, lambda title, text: errors.append((title, text)))
    assert document.graph.edges == [("in", "h1"), ("h1", "out")]
    assert document.graph.layout["h1"] == tuple((a + b) / 2 for a, b in zip(document.graph.layout["in"],
                                                                             document.graph.layout["out"]))
    document.undo_stack.undo()
    assert dumps(document.project) == before
    assert not push_fix(document, make_fix("x", [set_edit("graph.h9.units", 4)]), lambda *a: errors.append(a))
    assert "no node 'h9'" in errors[0][1]
    assert dumps(document.project) == before
    document.shutdown()
