"""The Units view: a LeNet channel's most and least exciting validation images, labelled with
their activations, beside the input made to excite it; computed by the worker's picture
requests, the made input only now and then; a plane dataset is told why there is nothing."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from playground.core.datasets import DatasetMeta
from playground.core.training import Trainer
from playground.ui.main_window import MainWindow
from playground.ui.plots.live import RunInfo
from playground.ui.plots.unit_view import MIN_TILE, K, UnitView, tile_value
from tests.core.test_unit_probe import lenet
from tests.ui.plots.conftest import Show, deliver, drawn_share
from tests.ui.plots.populated import unit_view


@pytest.fixture(scope="module")
def trained() -> Trainer:
    trainer = Trainer(lenet(epochs=1), device="cpu", probes=False, report_interval=None)
    trainer.fit()
    return trainer


def tile_texts(view: UnitView, row: int) -> list[str]:
    return [t.label.text for t in view._rows[row]]


def test_a_lenet_channel_shows_its_ranked_examples_and_made_input(show: Show, trained: Trainer) -> None:
    view = show(UnitView())
    info = RunInfo.of(trained)
    view.start_run(info, None)
    assert view.reason_shown() is None
    assert (view.node(), view.unit()) == ("conv1", 0), "the first convolution's channel 0 by default"
    assert view.unit_caption.text() == "channel"
    assert view.unit_box.maximum() == 7
    assert deliver(view, trained, info) == ["unit_examples", "unit_maximise"]
    found, made = view.examples(), view.maximised()
    assert found is not None
    assert made is not None
    assert tile_texts(view, 0) == [tile_value(v) for v in found.top_values], "each tile labelled with its activation"
    assert tile_texts(view, 1) == [tile_value(v) for v in found.bottom_values]
    shown = [float(text) for text in tile_texts(view, 0)]
    assert shown == sorted(shown, reverse=True)
    assert min(shown) >= max(float(text) for text in tile_texts(view, 1))
    assert all(t.image.isVisible() for row in view._rows for t in row)
    assert view.made.image.isVisible()
    assert view.made.image.image.shape == (8, 8, 3)
    assert f"{made.activation:.3g}" in view.made.label.text
    assert made.activation > found.top_values[0], "the made input excites the channel more than any example"
    assert "Conv2d 'conv1'" in view.caption.text
    assert drawn_share(view) > 0.03
    header, rows = view.data_table()
    assert len(rows) == 2 * K + 1
    assert [r[2] for r in rows].count("made") == 1


def test_the_made_input_is_recomputed_now_and_then_or_when_asked(show: Show, trained: Trainer) -> None:
    view = show(UnitView())
    info = RunInfo.of(trained)
    view.start_run(info, None)
    deliver(view, trained, info)
    assert deliver(view, trained, info) == ["unit_examples"], "the ranking follows the run, the made input waits"
    with_recompute = []
    view.picturesWanted.connect(lambda: with_recompute.append(True))
    view.recompute_button.click()
    assert with_recompute
    assert deliver(view, trained, info) == ["unit_examples", "unit_maximise"]


def test_choosing_an_output_class_ranks_its_examples(show: Show, trained: Trainer) -> None:
    view = show(UnitView())
    info = RunInfo.of(trained)
    view.start_run(info, None)
    deliver(view, trained, info)
    old = view.examples()
    assert view.select_node("out")
    assert view.unit_caption.text() == "class"
    assert view.unit_box.maximum() == 9
    view.select_unit(3)
    assert view.examples() is None, "another unit's ranking is not shown"
    assert old is not None
    view.set_examples(old)
    assert view.examples() is None, "a late result for the old choice is dropped"
    deliver(view, trained, info)
    found = view.examples()
    assert found is not None
    assert (found.node_id, found.unit) == ("out", 3)
    assert (found.top_labels == 3).mean() >= 0.75, "the examples that score class 3 highest are threes"
    assert "class 3 ('3')" in view.caption.text
    assert not view.select_node("in"), "the Input has no units to examine"


@pytest.mark.parametrize(("size", "columns"), [((640, 300), 8), ((380, 520), 4)])
def test_tiles_fill_a_row_in_a_wide_dock_and_two_in_a_narrow_one(show: Show, size: tuple[int, int],
                                                                   columns: int) -> None:
    """Under the canvas a dock is wide and short: eight tiles a row keep them large enough to
    read; a narrow dock takes four a row. Either way the made input is wider than a tile."""
    view = show(unit_view(), *size)
    assert view.tile_columns() == columns
    tile = view._rows[0][0].box.sceneBoundingRect()
    assert tile.height() >= 24, "a tile large enough to see the digit"
    assert view.made.box.sceneBoundingRect().width() > 1.5 * tile.width()
    last = view._rows[1][-1].label.sceneBoundingRect()
    assert view.graphics.rect().contains(last.toRect()), "the last value is on screen"


def test_a_short_dock_shows_the_most_exciting_examples_large_enough_to_see(show: Show) -> None:
    """Defect (seen in a real window at 1024x700): in a short dock every tile had shrunk to a
    line under the texts. Now the least exciting group steps aside for the most exciting one."""
    view = show(unit_view(), 420, 220)
    assert view.example_groups() == 1
    assert not view._rows[1][0].box.isVisible()
    assert view._rows[0][0].box.sceneBoundingRect().height() >= MIN_TILE
    assert view.made.box.sceneBoundingRect().height() >= MIN_TILE
    view.resize(520, 420)
    view.flush()
    assert view.example_groups() == 2
    assert view._rows[1][0].box.isVisible()
    assert view._rows[1][0].box.sceneBoundingRect().height() >= MIN_TILE


def test_a_plane_dataset_is_told_why(show: Show) -> None:
    view = show(UnitView())
    empty = (np.empty((0, 2), np.float32), np.empty(0))
    info = RunInfo(10, 100, "cpu", ["in", "h", "out"], {}, DatasetMeta((2,), "classification", 2), "cross_entropy",
                   empty, empty, empty)
    view.start_run(info, None)
    reason = view.reason_shown()
    assert reason is not None
    assert "2 input features" in reason
    assert "Decision boundary" in reason
    assert view.picture_requests(info) == []


def test_the_app_shows_a_units_top_examples_and_made_input(make_window: Callable[..., MainWindow]) -> None:
    window = make_window(lenet(epochs=2))
    ws = window.training
    ws.docks["units"].raise_()
    ws.train_steps(30)
    view = ws.view("units")
    assert isinstance(view, UnitView)
    assert view.reason_shown() is None
    found, made = view.examples(), view.maximised()
    assert found is not None, "the worker ranked the validation images between steps"
    assert made is not None, "and made an input for the channel"
    assert (found.node_id, made.node_id) == ("conv1", "conv1")
    assert all(t.image.isVisible() for t in view._rows[0])


def test_a_paused_run_computes_another_class_on_demand(make_window: Callable[..., MainWindow],
                                                       qtbot: QtBot) -> None:
    window = make_window(lenet(epochs=2))
    ws = window.training
    ws.docks["units"].raise_()
    view = ws.view("units")
    assert isinstance(view, UnitView)
    ws.train(paused=True)
    assert ws.session is not None
    ws.session.step(5)
    qtbot.waitUntil(lambda: view.maximised() is not None, timeout=20_000)
    assert view.select_node("out")
    view.select_unit(4)
    qtbot.waitUntil(lambda: view.maximised() is not None and view.examples() is not None, timeout=20_000)
    assert ws.session.control.paused, "computed between steps of a paused run"
    assert (view.maximised().node_id, view.maximised().unit) == ("out", 4)
    assert (view.examples().node_id, view.examples().unit) == ("out", 4)
    ws.stop()
    ws.shutdown()


def test_tile_values_stay_short() -> None:
    assert [tile_value(v) for v in (0.0079, 1.8412, -0.333, 1234.5)] == ["0.01", "1.84", "-0.33", "1.23e+03"]
