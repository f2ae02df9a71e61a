"""FitView: the network's line over a curve's training and validation points, live while it
trains (driven here through the live-view protocol, synchronously), the previous run's line
kept for comparison, and a reason instead of empty axes on other data. Drawing in both themes,
export and reset are checked with every view (``test_views``, ``populated.fit_view``)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from playground.core.datasets import DatasetMeta
from playground.core.fit_picture import CurvePoints, FitCurve
from playground.core.graph import Graph
from playground.core.project import Project
from playground.core.training import Trainer
from playground.ui.main_window import MainWindow
from playground.ui.plots.fit import FitView
from playground.ui.plots.live import RunInfo
from tests.ui.helpers import chain
from tests.ui.plots.conftest import Show, deliver, drawn_share


def curve_trainer(units: list[int], epochs: int) -> Trainer:
    nodes = [{"id": "in", "type": "Input"}]
    nodes += [{"id": f"h{i}", "type": "Dense", "params": {"units": u, "activation": "tanh"}}
              for i, u in enumerate(units, 1)]
    nodes.append({"id": "out", "type": "Output", "params": {"loss": "mse"}})
    ids = [n["id"] for n in nodes]
    graph, problems = Graph.from_dict({"nodes": nodes, "edges": [list(e) for e in zip(ids, ids[1:])]})
    assert not problems
    settings = {"optimizer": "adam", "lr": 0.01, "batch_size": 16, "epochs": epochs, "seed": 0}
    return Trainer(Project("fit", {"name": "curve"}, graph, settings), report_interval=None, probes=False)


def line_error(view: FitView) -> float:
    """Mean squared distance of the drawn line from the drawn training points."""
    xs, ys = view.line_values()
    px, py = view.train_points.getData()
    return float(np.mean((np.interp(px, xs, ys) - py) ** 2))


def test_the_line_bends_onto_the_data_while_the_network_trains(show: Show) -> None:
    trainer = curve_trainer([8, 8, 8], epochs=150)
    view = show(FitView())
    info = RunInfo.of(trainer)
    view.start_run(info, None)
    assert view.animating, "the curve is a curve run's main picture"
    assert view.reason_shown() is None
    assert deliver(view, trainer, info) == ["fit", "curve_points"]
    assert view.point_counts() == (len(trainer.dataset.train), len(trainer.dataset.val))
    untrained = line_error(view)
    trainer.fit()
    assert deliver(view, trainer, info) == ["fit"], "the points are asked for once per run"
    trained = line_error(view)
    # measured: 0.70 before, 0.015 after 150 epochs (0.09 after 100)
    assert untrained > 0.2
    assert trained < 0.05
    assert drawn_share(view) > 0.03


def test_the_app_draws_the_line_of_a_curve_run_from_its_worker(make_window: Callable[..., MainWindow]) -> None:
    project = chain(("in", "Input"), ("h", "Dense"), ("out", "Output"), dataset={"name": "curve"})
    project.graph.nodes["out"].params["loss"] = "mse"
    window = make_window(project)
    ws = window.training
    ws.docks["fit"].raise_()
    ws.train_steps(100)
    view = ws.view("fit")
    assert isinstance(view, FitView)
    assert view.reason_shown() is None
    assert view.point_counts() == (168, 42), "the default curve's 300 samples, split 0.3 test, 0.2 validation"
    assert view.line_values() is not None, "the worker computed the line between steps"
    assert ws.view("boundary").reason_shown(), "the boundary says why it has nothing to show"


def points(seed: int) -> CurvePoints:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, 40).astype(np.float32)
    return CurvePoints(x[:30], np.sin(x[:30]), x[30:], np.sin(x[30:]))


def line(scale: float) -> FitCurve:
    xs = np.linspace(-3.3, 3.3, 50, dtype=np.float32)
    return FitCurve(xs, scale * np.sin(xs))


def curve_info() -> RunInfo:
    empty = (np.empty((0, 2), np.float32), np.empty(0))
    return RunInfo(10, 100, "cpu", [], {}, DatasetMeta((1,), "regression", 1), "mse", empty, empty, empty)


def test_the_previous_runs_line_stays_while_the_data_is_the_same(show: Show) -> None:
    view = show(FitView())
    info = curve_info()
    view.start_run(info, None)
    view.set_points(points(0))
    view.set_curve(line(0.5))
    view.start_run(info, "run 1")
    assert view.point_counts() == (0, 0), "the new run asks for its own data"
    view.set_points(points(0))
    view.set_curve(line(1.0))
    view.flush()
    previous_x, previous_y = view.previous_line.getData()
    assert np.allclose(previous_y, 0.5 * np.sin(previous_x))
    assert "run 1" in [label.text for _, label in view.legend.items]
    kinds = {row[0] for row in view.data_table()[1]}
    assert kinds == {"train", "validation", "network", "run 1"}
    view.start_run(info, "run 2")
    view.set_points(points(1))  # another seed: the old line was fitted to other data
    view.flush()
    assert len(view.previous_line.getData()[0]) == 0
    assert "run 2" not in [label.text for _, label in view.legend.items]


def test_a_diverging_network_is_drawn_without_breaking_the_axes(show: Show) -> None:
    view = show(FitView())
    view.set_points(points(0))
    ys = np.full(50, np.nan, np.float32)
    ys[:10] = 1e30
    view.set_curve(FitCurve(np.linspace(-3, 3, 50, dtype=np.float32), ys))
    view.flush()
    _, drawn = view.line_values()
    assert np.isfinite(drawn).all()
    lo, hi = view.plot.getViewBox().viewRange()[1]
    assert -2 < lo < hi < 2, "the axes stay on the data"


@pytest.mark.parametrize(("meta", "says"), [
    (DatasetMeta((2,), "classification", 2), "2 input features and classes"),
    (DatasetMeta((1, 8, 8), "classification", 10), "images of 1×8×8"),
    (DatasetMeta((1,), "regression", 2), "2 regression targets"),
])
def test_other_data_gets_a_reason_and_no_requests(show: Show, meta: DatasetMeta, says: str) -> None:
    view = show(FitView())
    view.on_project(meta)
    assert says in (view.reason_shown() or "")
    assert view.not_applicable(DatasetMeta((1,), "regression", 1)) is None
    empty = (np.empty((0, 2), np.float32), np.empty(0))
    info = RunInfo(10, 100, "cpu", [], {}, meta, "mse", empty, empty, empty)
    view.start_run(info, None)
    assert not view.animating
    assert view.picture_requests(info) == []
