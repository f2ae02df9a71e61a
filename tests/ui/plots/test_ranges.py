"""Axis ranges that move in steps: they always hold the data, stay put while the data moves
inside them, and fit again when the data shrinks to a small part of them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtGui import QPicture
from PySide6.QtWidgets import QApplication

from playground.core.datasets import DatasetMeta
from playground.ui.plots.activations import ActivationView
from playground.ui.plots.base import ANIMATION_DUTY, ANIMATION_HZ, DUTY, MAX_REDRAW_HZ, MIN_REDRAW_HZ, PlotView
from playground.ui.plots.boundary import BoundaryView
from playground.ui.plots.gradients import GradientView
from playground.ui.plots.live import RunInfo
from playground.ui.plots.loss import LossView
from playground.ui.plots.ranges import SHRINK_BELOW, TOLERANCE, sticky_range
from tests.ui.plots.conftest import Show

finite = st.floats(-1e6, 1e6, allow_nan=False)


@given(finite, finite, finite, finite)
def test_the_range_always_holds_the_data(a: float, b: float, c: float, d: float) -> None:
    lo, hi = sorted((a, b))
    current = tuple(sorted((c, d)))
    new_lo, new_hi = sticky_range(current, lo, hi)
    slack = TOLERANCE * (new_hi - new_lo)
    assert new_lo - slack <= lo
    assert hi <= new_hi + slack


@given(finite, finite, st.floats(0, 1), st.floats(0, 1))
def test_data_moving_inside_leaves_the_range_alone(a: float, b: float, f: float, g: float) -> None:
    lo, hi = sorted((a, b))
    span = hi - lo
    inner_lo = lo + f * (1 - SHRINK_BELOW) * span
    inner_hi = inner_lo + max(SHRINK_BELOW * span * (1 + 1e-9), g * (hi - inner_lo))
    if inner_hi > hi:
        return
    assert sticky_range((lo, hi), inner_lo, inner_hi) == (lo, hi)


def test_growing_data_moves_the_range_in_steps_and_shrinking_data_refits() -> None:
    current = sticky_range(None, 0.0, 100.0)
    changes = 0
    for step in range(101, 10_000):
        new = sticky_range(current, 0.0, float(step))
        changes += new != current
        current = new
    assert changes < 30, "a curve growing to 100x its length re-lays out its axis a few times, not every frame"
    assert sticky_range(current, 0.0, 1.0) == (0.0, 1.0)


def test_a_loss_curve_leaves_its_axes_alone_most_frames(show: Show) -> None:
    from tests.ui.plots import fakes

    view = show(LossView())
    axes = [view.loss_plot.getAxis("left"), view.acc_plot.getAxis("bottom")]
    relayouts = [0, 0]
    for step in range(1, 300):
        view.add_report(fakes.report(step, loss=1.0 / step))
        drawn = [QPicture(), QPicture()]  # pyqtgraph draws a new picture when the range changes
        for axis, picture in zip(axes, drawn):
            axis.picture = picture
        view.flush()
        QApplication.processEvents()
        for i, (axis, picture) in enumerate(zip(axes, drawn)):
            relayouts[i] += axis.picture is not picture
    assert max(relayouts) < 50, f"axes re-laid out {relayouts} times in 300 frames (299 when following every point)"


def test_a_costly_view_redraws_less_often_within_its_share_of_the_gui_thread(show: Show) -> None:
    view: PlotView = show(ActivationView())  # a view that keeps the default longest wait
    view.start_run(_run((2,)), None)
    assert not view.animating
    view._cost = 0.0
    assert view.redraw_interval() == 1.0 / MAX_REDRAW_HZ
    view._cost = 0.004
    assert view.redraw_interval() == pytest.approx(0.004 / DUTY)
    view._cost = 5.0
    assert view.redraw_interval() == 1.0 / MIN_REDRAW_HZ, "never more than a second behind"


def _run(input_shape: tuple[int, ...], kind: str = "classification") -> RunInfo:
    points = (np.zeros((4, 2), np.float32), np.array([0, 1, 0, 1]))
    meta = DatasetMeta(input_shape, kind, 2 if kind == "classification" else 1)
    return RunInfo(10, 1000, "cpu", [], {}, meta, "cross_entropy", points, points, points)


@pytest.mark.parametrize("kind", [LossView, GradientView, BoundaryView])
def test_the_live_pictures_redraw_at_animation_rate_on_a_2d_run(show: Show, kind: type[PlotView]) -> None:
    """Issue 12: during a 2-D run the loss curve, the gradients and the decision boundary move
    at least 30 times a second while a frame costs what they cost on this machine (2 to 7 ms of
    GUI time), and a view costing far more is still held to its share. On an image run, whose
    steps need the GIL the GUI's frames hold, they keep the calmer rate."""
    view: PlotView = show(kind())
    view.start_run(_run((2,)), None)
    assert view.animating
    view._cost = 0.0
    assert view.redraw_interval() == pytest.approx(1.0 / ANIMATION_HZ)
    view._cost = 0.006
    assert view.redraw_interval() <= 1 / 30
    view._cost = 0.050
    assert view.redraw_interval() == pytest.approx(min(0.050 / ANIMATION_DUTY, view.max_interval))
    view.start_run(_run((1, 8, 8)), None)
    assert not view.animating
    view._cost = 0.006
    assert view.redraw_interval() == pytest.approx(min(0.006 / DUTY, view.max_interval))
    view.start_run(_run((1,), "regression"), None)
    assert view.animating == (kind is not BoundaryView), "a curve's run animates its curves too"
