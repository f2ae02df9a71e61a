"""LossView: bounded memory over very long runs, hover read-out, previous-run overlays,
axis options and throttled redraws."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from playground.ui.plots.loss import HISTORY_CAPACITY, MAX_PREVIOUS, LossView
from tests.ui.plots.conftest import Show
from tests.ui.plots.fakes import report, training_run


def loss_at(step: int) -> float:
    return 2.0 / (1 + step / 100)


def straight_run(steps: int, every: int = 10, steps_per_epoch: int = 100) -> list:
    """Reports with a known loss at every step and validation at epoch ends."""
    return [report(s, steps_per_epoch=steps_per_epoch, loss=loss_at(s), acc=0.5 + s / (4 * steps),
                   val=(loss_at(s) * 1.1, 0.5) if s % steps_per_epoch == 0 else None,
                   epoch_end=s % steps_per_epoch == 0)
            for s in range(every, steps + 1, every)]


def test_memory_stays_bounded_over_a_very_long_run(show: Show) -> None:
    view = show(LossView())
    steps = 200_000
    for start in range(0, steps, 2_000):  # batches, as the training session delivers them
        view.add_reports([report(s, steps_per_epoch=100, loss=loss_at(s), acc=0.9,
                                 val=(1.0, 0.8) if s % 100 == 0 else None, epoch_end=s % 100 == 0)
                          for s in range(start + 1, start + 2_001)])
    view.flush()
    history = view._history
    assert set(history.names()) == {"train_loss", "val_loss", "train_acc", "val_acc"}
    assert all(len(history[name]) <= HISTORY_CAPACITY + 1 for name in history.names())
    x, y = view._curves["train_loss"].getOriginalDataset()
    assert len(x) <= HISTORY_CAPACITY + 1
    assert x[0] < 200, "the start of the run is still covered"
    assert x[-1] > steps - 200, "and its end"
    assert y[-1] == pytest.approx(loss_at(steps), rel=0.01)


def test_hover_readout_shows_the_values_under_the_mouse(show: Show, qtbot: QtBot) -> None:
    view = show(LossView(), 600, 440)
    view.add_reports(straight_run(1000))
    view.flush()
    view.graphics.grab()  # a paint settles the auto range before mapping positions
    QApplication.processEvents()
    box = view.loss_plot.getViewBox()
    scene_pos = box.mapViewToScene(QPointF(500.0, 1.0))
    qtbot.mouseMove(view.graphics.viewport(), view.graphics.mapFromScene(scene_pos))
    qtbot.waitUntil(lambda: "train loss" in view.readout.text(), timeout=2000)
    x = view._cursors[0].value()
    assert view._cursors[0].isVisible()
    assert x == pytest.approx(500, abs=5), "the cursor follows the mouse"
    nearest = round(x / 10) * 10  # reports every 10 steps
    text = view.readout.text()
    assert f"step {x:,.0f}" in text
    assert f"train loss <b>{loss_at(nearest):.4g}</b>" in text
    assert f"val loss <b>{loss_at(round(x / 100) * 100) * 1.1:.4g}</b>" in text


def test_readout_at_reads_the_nearest_point_of_every_curve() -> None:
    view = LossView()
    view.add_reports(straight_run(1000))
    view.flush()
    values = view.readout_at(503)
    assert values["train loss"] == pytest.approx(loss_at(500))
    assert values["val loss"] == pytest.approx(loss_at(500) * 1.1)
    assert values["train acc"] == pytest.approx(100 * (0.5 + 500 / 4000))
    view.deleteLater()


def test_keep_as_previous_overlays_dashed_runs_with_a_legend(show: Show) -> None:
    view = show(LossView())
    view.keep_as_previous("nothing yet")
    assert view.previous_labels() == [], "an empty run is not kept"
    view.add_reports(training_run(300, final_loss=0.5, seed=1))
    view.keep_as_previous("sigmoid")
    assert view.previous_labels() == ["sigmoid"]
    assert view._history.names() == [], "the next run starts empty"
    view.add_reports(training_run(300, final_loss=0.05))
    view.flush()
    run = view._previous[0]
    assert run.items["train_loss"].opts["pen"].style() == Qt.PenStyle.DashLine
    assert len(run.items["train_loss"].getOriginalDataset()[0]) > 0
    assert "sigmoid" in [label.text for _, label in view.legend.items]
    assert "sigmoid (train)" in view.readout_at(100)
    for i in range(MAX_PREVIOUS + 1):
        view.add_reports(training_run(100, seed=i))
        view.keep_as_previous(f"run {i}")
    assert len(view.previous_labels()) == MAX_PREVIOUS
    assert view.previous_labels()[-1] == f"run {MAX_PREVIOUS}"
    view.reset()
    assert view.previous_labels() == []
    assert len(view.legend.items) == 2


def test_epoch_axis_and_log_scale(show: Show) -> None:
    view = show(LossView())
    view.add_reports(straight_run(1000))
    view.flush()
    assert view._curves["train_loss"].getOriginalDataset()[0][-1] == pytest.approx(1000)
    view.x_axis.setCurrentIndex(1)
    assert view._steps_per_epoch == 100, "inferred from the first epoch-end report"
    assert view._curves["train_loss"].getOriginalDataset()[0][-1] == pytest.approx(10)
    assert view.acc_plot.getAxis("bottom").labelText == "epoch"
    view.log_loss.setChecked(True)
    assert view.loss_plot.getAxis("left").logMode


def test_accuracy_plot_only_for_classification(show: Show) -> None:
    view = show(LossView())
    view.add_reports(training_run(200, classify=False))
    view.flush()
    assert view.acc_plot.scene() is None
    view.add_reports(training_run(200))
    view.flush()
    assert view.acc_plot.scene() is not None


def test_redraws_are_throttled(show: Show, monkeypatch: pytest.MonkeyPatch) -> None:
    view = show(LossView())
    draws = []
    redraw = view._redraw
    monkeypatch.setattr(view, "_redraw", lambda: (draws.append(time.monotonic()), redraw()))
    start = time.monotonic()
    for r in straight_run(300, every=1):
        view.add_report(r)
        QApplication.processEvents()
    elapsed = time.monotonic() - start
    view.flush()
    assert 1 <= len(draws) <= min(elapsed * 30 + 2, 100)


def test_another_projects_empty_plot_does_not_keep_the_last_runs_axes(show: Show) -> None:
    """Defect (seen in a real window): after opening another project, its empty loss plot still
    spanned the last run's 0-15,000 steps."""
    view = show(LossView())

    def drawn() -> tuple[list[float], list[float]]:
        for _ in range(2):  # pyqtgraph ranges the axes when it paints
            view.flush()
            QApplication.processEvents()
        return view.loss_plot.getViewBox().viewRange()

    view.add_reports(straight_run(9000, every=100))
    assert drawn()[0][1] >= 9000
    view.reset()
    x_range, y_range = drawn()
    assert x_range[1] <= 1.5
    assert y_range[1] <= 1.5
    view.add_reports(straight_run(300, every=10))
    assert 300 <= drawn()[0][1] < 9000, "it follows the new run's data"
