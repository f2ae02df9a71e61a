"""File > Compare Runs…: the settings offered, a comparison run off the GUI thread into the runs
folder with its curves, table and exports, a bad value named before anything trains, Stop,
both themes, and the window's action."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from playground.core.graph import Graph
from playground.core.project import Project
from playground.core.user_dirs import runs_dir
from playground.ui.compare_dialog import CompareDialog, setting_choices
from playground.ui.main_window import MainWindow
from playground.ui.theme import DARK, LIGHT, CanvasColors
from playground.ui.training.runs import prune_runs
from tests.core.test_recurrent_runs import memory
from tests.core.test_training import XOR, project_of
from tests.ui.helpers import SetTheme


def xor(epochs: int = 1, **training: object) -> Project:
    return project_of([{"units": 8, "activation": "tanh"}], XOR, epochs=epochs, device="cpu", **training)


@pytest.fixture
def make_dialog(qtbot: QtBot, tmp_path: Path) -> Iterator[Callable[..., CompareDialog]]:
    """Dialogs answering file choices from ``paths`` and recording the runs asked to open; each is
    closed at the end, which must leave no comparison thread running."""
    made: list[CompareDialog] = []

    def factory(project: Project, paths: list[str] | None = None, opened: list[Path] | None = None
                ) -> CompareDialog:
        answers = list(paths or [])
        dialog = CompareDialog(project, choose_path=lambda *_a: answers.pop(0) if answers else None,
                               open_run=(opened.append if opened is not None else None), root=tmp_path / "runs")
        dialog.show()
        made.append(dialog)
        return dialog

    yield factory
    for dialog in made:
        job = dialog.job
        dialog.done(0)
        assert job is None or not job.thread.is_alive()


def run_to_end(qtbot: QtBot, dialog: CompareDialog) -> None:
    assert dialog.start()
    qtbot.waitUntil(lambda: not dialog.running and not dialog.stop_button.isEnabled(), timeout=60_000)


def test_presets_come_first_and_only_those_the_network_can_take() -> None:
    graph, problems = Graph.from_dict({"nodes": [{"id": "in", "type": "Input"}, {"id": "out", "type": "Output"}],
                                       "edges": [["in", "out"]]})
    assert not problems
    linear = Project("linear", dict(XOR), graph, {"lr": 0.5})
    paths = [c.path for c in setting_choices(linear)]
    assert paths[:2] == ["training.lr", "training.optimizer"]
    assert "graph.*.init" in paths  # the Output layer has an initialisation
    assert "graph.*.activation" not in paths  # no node has an activation to vary
    assert "training.seed" not in paths  # seeds have their own box
    by_path = {c.path: c for c in setting_choices(xor())}
    assert by_path["graph.*.activation"].values == "sigmoid, tanh, relu"
    assert by_path["graph.h1.units"].label == "Dense 'h1': Units"
    assert by_path["graph.h1.units"].values == "8"  # a node's setting suggests its current value
    first = setting_choices(memory("RNN"))[0]
    assert (first.path, first.values) == ("graph.rec.type", "RNN, LSTM, GRU")


def test_a_comparison_runs_into_the_runs_folder_and_shows_curves_table_and_exports(
        qtbot: QtBot, make_dialog: Callable[..., CompareDialog], tmp_path: Path) -> None:
    opened: list[Path] = []
    dialog = make_dialog(xor(epochs=2), [str(tmp_path / "cmp.csv"), str(tmp_path / "cmp.png")], opened)
    dialog.rows[0].values.setText("0.1, 0.01")
    dialog.seeds.setValue(2)
    assert dialog.plan.text() == "4 runs: 2 × 2"
    run_to_end(qtbot, dialog)

    assert [r.status for r in dialog.results] == ["finished"] * 4
    assert dialog.out_dir is not None
    assert dialog.out_dir.parent == tmp_path / "runs"
    assert dialog.out_dir.name.startswith("test-compare-")
    assert sorted(p.name for p in dialog.out_dir.iterdir()) == ["01-lr=0.1-seed=0", "02-lr=0.1-seed=1",
                                                                "03-lr=0.01-seed=0", "04-lr=0.01-seed=1",
                                                                "summary.csv"]
    assert "Done: 4 runs" in dialog.stage.text()
    assert dialog.progress.value() == dialog.progress.maximum()
    # the table: one row per run, in the variant's colour
    table = dialog.table
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert headers == ["#", "training.lr", "training.seed", "train loss", "val loss", "train acc", "val acc",
                       "test loss", "test acc", "epochs", "seconds", "status"]
    assert [[table.item(r, c).text() for c in (1, 2, 9, 11)] for r in range(4)] == [
        ["0.1", "0", "2", "finished"], ["0.1", "1", "2", "finished"], ["0.01", "0", "2", "finished"],
        ["0.01", "1", "2", "finished"]]
    colours = {table.item(r, 0).data(1).name() for r in range(4)}
    assert len(colours) == 4
    # the curves: one legend entry per run, each curve with both epochs
    assert [label.text for _sample, label in dialog.legend.items] == [v.label for v in dialog.variants]
    assert all(len(items[0].getData()[0]) == 2 for items in dialog._items.values())
    # exports, and a double-click opens the run in the window
    assert dialog.export_csv()
    assert (tmp_path / "cmp.csv").read_text() == (dialog.out_dir / "summary.csv").read_text()
    assert dialog.export_png()
    assert (tmp_path / "cmp.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table.cellDoubleClicked.emit(2, 3)
    assert opened == [dialog.out_dir / "03-lr=0.01-seed=0"]
    # keeping the newest window runs never deletes a comparison
    prune_runs(keep=0, root=tmp_path / "runs")
    assert (dialog.out_dir / "summary.csv").is_file()


def test_a_bad_value_is_named_and_nothing_trains(qtbot: QtBot, make_dialog: Callable[..., CompareDialog],
                                                tmp_path: Path) -> None:
    dialog = make_dialog(xor())
    dialog.rows[0].values.setText("0.1, -1")
    run_to_end(qtbot, dialog)
    assert dialog.stage.text().startswith("--vary training.lr=-1: training: lr must be a number above 0")
    assert dialog.results == []
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
    dialog.rows[0].values.setText("0.1,,")
    assert "a value is empty" in dialog.plan.text()
    assert not dialog.run_button.isEnabled()


def test_a_typed_path_and_a_second_setting_multiply_the_runs(make_dialog: Callable[..., CompareDialog]) -> None:
    dialog = make_dialog(xor())
    dialog.rows[0].setting.setEditText("graph.h1.units")
    dialog.rows[0].values.setText("2, 4, 8")
    second = dialog.add_row()
    assert second is not None
    second.values.setText("sgd, adam")
    assert second.path == "training.optimizer"
    assert dialog.rows[0].path == "graph.h1.units"
    assert dialog.plan.text() == "6 runs: 3 × 2"
    second.remove.click()
    assert dialog.plan.text() == "3 runs"


def test_stop_ends_the_current_run_and_starts_no_other(qtbot: QtBot,
                                                       make_dialog: Callable[..., CompareDialog]) -> None:
    dialog = make_dialog(xor(epochs=2000))
    dialog.rows[0].values.setText("0.1, 0.01, 0.001")
    assert dialog.start()
    qtbot.waitUntil(lambda: dialog._curves.get(1) is not None and len(dialog._curves[1].epochs) >= 2,
                    timeout=30_000)
    assert dialog.stop_button.isEnabled()
    dialog.stop_button.click()
    qtbot.waitUntil(lambda: not dialog.running and dialog.run_button.isEnabled(), timeout=30_000)
    assert [r.status for r in dialog.results] == ["stopped"]
    assert dialog.stage.text().startswith("Stopped: 1 of 3 runs")


@pytest.mark.parametrize("colors", [LIGHT, DARK], ids=["light", "dark"])
def test_the_plots_follow_the_theme(make_dialog: Callable[..., CompareDialog], set_theme: SetTheme,
                                    colors: CanvasColors) -> None:
    dialog = make_dialog(xor())
    set_theme(colors)
    QApplication.processEvents()
    background = dialog.plots.backgroundBrush().color()
    assert background == dialog.palette().base().color()
    assert (background.lightness() < 128) == colors.dark
    title = dialog.loss_plot.titleLabel.item.defaultTextColor()
    assert abs(title.lightness() - QColor(dialog.palette().text().color()).lightness()) < 10


def test_the_window_offers_compare_runs_in_the_file_menu(make_window: Callable[..., MainWindow]) -> None:
    window = make_window(xor())
    file_menu = window.menuBar().actions()[0].menu()
    assert window.compare_action in file_menu.actions()
    dialog = window.compare_runs()
    try:
        assert dialog.windowTitle() == "Compare Runs: test"
        assert dialog.root is None  # its runs land in the user's runs folder
        assert dialog._suggested(".csv").parent == runs_dir()
    finally:
        dialog.done(0)


def test_recurrent_kinds_compare_their_gradient_through_time(
        qtbot: QtBot, make_dialog: Callable[..., CompareDialog]) -> None:
    dialog = make_dialog(memory("RNN", seq_len=10, epochs=1))
    assert dialog.rows[0].path == "graph.rec.type"
    assert dialog.grad_plot.titleLabel.text.startswith("Gradient through time (rec)")
    dialog.rows[0].values.setText("RNN, LSTM")
    run_to_end(qtbot, dialog)
    assert [r.status for r in dialog.results] == ["finished"] * 2
    for items in dialog._items.values():
        steps, norms = items[4].getData()
        assert list(steps) == list(range(10))
        assert all(math.isfinite(n) for n in norms)  # log10 of norms above 0
