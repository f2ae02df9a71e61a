"""GradientView: flags relative to the output layer, the flagsChanged signal, latest values,
the previous-run profile, bounded memory; the Qt-free flag rule; the shared colour scale."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from playground.core.advisor import RunTrends
from playground.core.training import Report
from playground.ui.plots.colour_scale import (
    GRADIENT_STOPS,
    MISSING,
    ColourScaleLegend,
    LogColourScale,
    log_norm_colour,
)
from playground.ui.plots.gradient_flags import gradient_flags
from playground.ui.plots.gradients import HISTORY_CAPACITY, GradientView
from tests.ui.plots.conftest import Show
from tests.ui.plots.fakes import DEEP_LABELS, DEEP_NODES, report, training_run, weights

ORDER = ["d1", "d2", "d3", "out"]


def norms(d1: float = 1e-3, d2: float = 5e-3, d3: float = 1e-2, out: float = 1e-2) -> dict[str, float]:
    return {"d1": d1, "d2": d2, "d3": d3, "out": out}


def stalled(grad_norm: dict[str, float], epochs: int = 8) -> list[Report]:
    """Epoch ends of a run whose loss has stopped falling: a profile there is a problem."""
    return [report(50 * e, grad_norm=grad_norm, loss=0.69, epoch_end=True) for e in range(1, epochs + 1)]


def trends_of(reports: list[Report]) -> RunTrends:
    trends = RunTrends("out")
    for r in reports:
        trends.add(r)
    return trends


# --------------------------------------------------------------------------- flag rule

def test_flags_are_relative_to_the_output_node() -> None:
    assert gradient_flags(norms(d1=1e-7, d3=5.0), ORDER) == {"d1": "vanishing", "d3": "exploding"}
    assert gradient_flags(norms(d1=1e-7), ORDER, low=1e-6) == {}, "1e-7 is not below 1e-6 x 1e-2"
    assert gradient_flags(norms(d1=1e-7, d2=1e-5), ORDER, low=1e-2) == {"d1": "vanishing", "d2": "vanishing"}
    assert gradient_flags(norms(out=1e-9), ORDER) == {"d1": "exploding", "d2": "exploding", "d3": "exploding"}


def test_flags_follow_the_order_and_an_explicit_reference() -> None:
    flags = gradient_flags({"extra": 1e-9, "out": 1.0, "d1": 1e-9}, ORDER)
    assert list(flags) == ["d1", "extra"]
    assert gradient_flags(norms(), ORDER, high=5, reference="d1") == {"d3": "exploding", "out": "exploding"}
    assert "d1" not in gradient_flags(norms(d1=1e-9), ORDER, reference="d1"), "the reference is never flagged"


def test_non_finite_norms_explode_and_no_reference_flags_nothing_else() -> None:
    assert gradient_flags(norms(d2=math.inf, d3=math.nan), ORDER) == {"d2": "exploding", "d3": "exploding"}
    assert gradient_flags(norms(d1=1e-12, out=0.0), ORDER) == {}
    assert gradient_flags(norms(d1=1e-12, out=math.nan), ORDER) == {"out": "exploding"}
    assert gradient_flags({}, ORDER) == {}


def test_a_profile_is_flagged_only_where_the_run_shows_its_consequence() -> None:
    """The newcomer's spiral: both hidden layers far below the output, loss falling, weights
    moving: nothing is flagged. The same profile with a stalled loss is flagged."""
    profile = norms(d1=1e-6, d2=1e-5)
    learning = [report(50 * e, grad_norm=profile, loss=0.7 * 0.9**e, epoch_end=True) for e in range(1, 9)]
    assert gradient_flags(profile, ORDER) == {"d1": "vanishing", "d2": "vanishing"}, "the profile alone"
    assert gradient_flags(profile, ORDER, trends=trends_of(learning)) == {}
    assert gradient_flags(profile, ORDER, trends=trends_of(stalled(profile))) == {"d1": "vanishing",
                                                                                  "d2": "vanishing"}
    assert gradient_flags(norms(d3=5.0), ORDER, trends=trends_of(learning)) == {}, "large but learning"
    assert gradient_flags(norms(d3=math.inf), ORDER, trends=trends_of(learning)) == {"d3": "exploding"}


def test_a_layer_whose_weights_do_not_move_is_vanishing_while_the_loss_falls() -> None:
    rng = np.random.default_rng(0)
    profile = norms(d1=1e-5)
    moving = [report(50 * e, grad_norm=profile, loss=0.7 * 0.9**e, epoch_end=True,
                     weights={"d1": weights(rng, 64), "d2": weights(rng, 64, 0.02 * e),
                              "out": weights(rng, 64, 0.02 * e)})
              for e in range(1, 9)]
    assert gradient_flags(profile, ORDER, trends=trends_of(moving)) == {"d1": "vanishing"}


def test_flag_thresholds_must_make_sense() -> None:
    with pytest.raises(ValueError, match="low <= high"):
        gradient_flags(norms(), ORDER, low=10, high=1)
    with pytest.raises(ValueError, match="0 < low"):
        gradient_flags(norms(), ORDER, low=0)


# --------------------------------------------------------------------------- view

def test_view_flags_vanishing_and_exploding_and_emits(show: Show, qtbot: QtBot) -> None:
    view = show(GradientView())
    view.set_node_order(ORDER, {"d1": "Dense 1", "d2": "Dense 2", "d3": "Dense 3", "out": "Output"})
    with qtbot.waitSignal(view.flagsChanged, timeout=1000) as signal:
        view.add_reports(stalled(norms(d1=1e-7, d3=2.0)))
    assert signal.args[0] == {"d1": "vanishing", "d3": "exploding"}
    assert view.flags() == signal.args[0]
    view.flush()
    texts = [t for t in view._flag_texts if t.isVisible()]
    assert sorted(t.textItem.toPlainText().strip() for t in texts) == ["exploding", "vanishing"]
    assert [label for _, label in view.bar_plot.getAxis("left")._tickLevels[0]] == [
        "Dense 1", "Dense 2", "Dense 3", "Output"], "bars run input -> output"
    with qtbot.assertNotEmitted(view.flagsChanged):
        view.add_report(report(420, grad_norm=norms(d1=2e-7, d3=3.0)))
    with qtbot.waitSignal(view.flagsChanged, timeout=1000) as signal:
        view.high_spin.setValue(3)  # exploding only above 1000 x output
    assert signal.args[0] == {"d1": "vanishing"}
    with qtbot.waitSignal(view.flagsChanged, timeout=1000) as signal:
        view.set_thresholds(1e-6, 1e3)
    assert signal.args[0] == {}
    assert view.thresholds() == (pytest.approx(1e-6), pytest.approx(1e3))


def test_latest_equals_the_last_reports_norms(show: Show) -> None:
    view = show(GradientView())
    view.set_node_order(DEEP_NODES, DEEP_LABELS)
    reports = training_run(500, decay=0.3)
    view.add_reports(reports)
    assert view.latest() == reports[-1].grad_norm
    assert list(view.latest()) == DEEP_NODES
    assert set(view.flags()) == {f"dense{i}" for i in range(1, 7)}, "the sigmoid stack vanishes below layer 7"
    view.flush()
    x0, width = view.bars.opts["x0"], view.bars.opts["width"]
    assert np.allclose(x0 + width, np.log10([reports[-1].grad_norm[n] for n in DEEP_NODES]))


def test_keep_as_previous_overlays_the_final_profile(show: Show, qtbot: QtBot) -> None:
    view = show(GradientView())
    view.set_node_order(DEEP_NODES, DEEP_LABELS)
    sigmoid = training_run(300, decay=0.3)
    view.add_reports(sigmoid)
    with qtbot.waitSignal(view.flagsChanged, timeout=1000) as signal:
        view.keep_as_previous("sigmoid")
    assert signal.args[0] == {}
    assert view.latest() == {}
    assert view.previous_label() == "sigmoid"
    view.add_reports(training_run(300, decay=0.9))
    view.flush()
    assert view.previous_bars.isVisible()
    x0, width = view.previous_bars.opts["x0"], view.previous_bars.opts["width"]
    assert np.allclose(x0 + width, np.log10([sigmoid[-1].grad_norm[n] for n in DEEP_NODES]))
    assert "sigmoid" in view.bar_title.text
    view.reset()
    view.flush()
    assert view.previous_label() is None
    assert not view.previous_bars.isVisible()


def test_memory_stays_bounded_and_zero_or_infinite_norms_do_not_break_drawing(show: Show) -> None:
    view = show(GradientView())
    for start in range(0, 200_000, 2_000):
        view.add_reports([report(s, grad_norm={"a": 1e-3 * (1 + s % 7), "b": 0.0, "out": 0.1})
                          for s in range(start + 1, start + 2_001)])
    assert all(len(view._history[n]) <= HISTORY_CAPACITY + 1 for n in view._history.names())
    view.add_report(report(200_001, grad_norm={"a": math.inf, "b": 0.0, "out": 0.1}))
    view.flush()
    assert view.flags() == {"a": "exploding"}, "a zero gradient while the loss falls is no finding"
    assert np.isfinite(view.bars.opts["width"]).all()


# --------------------------------------------------------------------------- colour scale

def test_log_norm_colour_runs_blue_to_red_on_a_log_scale() -> None:
    assert log_norm_colour(1e-6, 1e-6, 1.0) == QColor(GRADIENT_STOPS[0])
    assert log_norm_colour(1.0, 1e-6, 1.0) == QColor(GRADIENT_STOPS[-1])
    assert log_norm_colour(1e-9, 1e-6, 1.0) == QColor(GRADIENT_STOPS[0]), "clamped below"
    assert log_norm_colour(0.0, 1e-6, 1.0) == QColor(GRADIENT_STOPS[0])
    assert log_norm_colour(math.inf, 1e-6, 1.0) == QColor(GRADIENT_STOPS[-1])
    assert log_norm_colour(math.nan, 1e-6, 1.0) == MISSING
    warmth = [c.red() - c.blue() for c in (log_norm_colour(10.0 ** e, 1e-6, 1.0) for e in range(-6, 1))]
    assert warmth == sorted(warmth), "warmer as the norm grows"
    assert warmth[0] < 0 < warmth[-1], "blue below, red above"
    assert LogColourScale(1e-6, 1).fraction(1e-3) == pytest.approx(0.5)


def test_colour_scale_range_from_values() -> None:
    scale = LogColourScale.around([3e-6, 0.0, math.nan, 2e-2])
    assert (scale.lo, scale.hi) == (pytest.approx(1e-6), pytest.approx(1e-1))
    narrow = LogColourScale.around([1e-3])
    assert math.log10(narrow.hi) - math.log10(narrow.lo) == pytest.approx(2)
    assert narrow.decades() == [-4, -3, -2]
    with pytest.raises(ValueError, match="0 < lo < hi"):
        LogColourScale(1.0, 0.1)


def test_colour_scale_legend_paints(qtbot: QtBot) -> None:
    legend = ColourScaleLegend(LogColourScale(1e-7, 1e-1))
    qtbot.addWidget(legend)
    legend.resize(300, legend.sizeHint().height())
    legend.set_range(1e-5, 1.0)
    image = legend.grab().toImage()
    left = image.pixelColor(image.width() // 8, legend.fontMetrics().height() + 7)
    right = image.pixelColor(image.width() * 7 // 8, legend.fontMetrics().height() + 7)
    assert left.blue() > left.red()
    assert right.red() > right.blue()
