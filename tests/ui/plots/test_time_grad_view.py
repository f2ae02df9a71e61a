"""Gradient through time: the line of each recurrent node from the reports, an RNN's fading line
kept under an LSTM's, and reasons where there is no sequence or no recurrent layer."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from playground.core.datasets import DatasetMeta
from playground.core.graph import Graph
from playground.core.project import Project
from playground.core.sequence_probe import time_gradients
from playground.core.training import Report, Trainer
from playground.ui.plots.live import RunInfo
from playground.ui.plots.time_grad import TimeGradView, log_norms
from tests.ui.plots import fakes
from tests.ui.plots.conftest import Show, drawn_share

STEPS = 20


def sequence_project(*nodes: tuple[str, str, dict[str, object]]) -> Project:
    graph, problems = Graph.from_dict({"nodes": [{"id": i, "type": t, "params": p} for i, t, p in nodes],
                                       "edges": [[a[0], b[0]] for a, b in zip(nodes, nodes[1:])]})
    assert not problems
    return Project("memory", {"name": "memory", "seq_len": STEPS, "samples": 300}, graph,
                   {"optimizer": "adam", "lr": 0.01, "batch_size": 32, "epochs": 1, "seed": 0})


def memory_trainer(kind: str) -> Trainer:
    project = sequence_project(("in", "Input", {}), ("emb", "Embedding", {"dim": 8}),
                               ("rec", kind, {"units": 32, "return_sequences": False}), ("out", "Output", {}))
    return Trainer(project, report_interval=None, probes=False)


def measured(trainer: Trainer, step: int = 10) -> Report:
    """A report carrying the run's gradient through time, as the trainer's probes would."""
    x, y = trainer.dataset.train.x[:64], trainer.dataset.train.y[:64]
    norms = time_gradients(trainer.model, x, trainer.objective.targets_of(x, y), trainer.objective.loss)
    return dataclasses.replace(fakes.report(step), time_grad=norms)


def fading(decay: float, steps: int = STEPS) -> list[float]:
    return [0.05 * decay ** (steps - 1 - t) for t in range(steps)]


def drawn(view: TimeGradView) -> list[tuple[np.ndarray, np.ndarray]]:
    return [curve.getData() for curve in view._curves if curve.isVisible()]


def test_an_rnns_line_falls_by_orders_of_magnitude_towards_the_first_step(show: Show) -> None:
    trainer = memory_trainer("RNN")
    view = show(TimeGradView())
    view.start_run(RunInfo.of(trainer), None)
    assert view.reason_shown() is None
    view.on_reports([fakes.report(5), measured(trainer), fakes.report(15)])  # the newest measured one counts
    view.flush()
    (xs, ys), = drawn(view)
    assert list(xs) == list(range(STEPS))
    assert ys[-1] - ys[0] > 3, "the measured RNN fades by more than three decades over 20 steps"
    caption = view.caption.text
    assert "RNN 'rec'" in caption
    assert "step 0 gets 10⁻" in caption
    assert drawn_share(view) > 0.01


def test_a_kept_rnn_line_stays_under_the_lstms_of_the_next_run(show: Show) -> None:
    view = show(TimeGradView())
    rnn, lstm = memory_trainer("RNN"), memory_trainer("LSTM")
    view.start_run(RunInfo.of(rnn), None)
    assert not view.keep_button.isEnabled(), "nothing to keep before a measurement"
    view.on_reports([dataclasses.replace(fakes.report(10), time_grad={"rec": fading(0.3)})])
    view.keep_button.click()
    assert view.clear_button.isEnabled()
    view.start_run(RunInfo.of(lstm), "run 1")
    view.on_reports([dataclasses.replace(fakes.report(10), time_grad={"rec": fading(0.95)})])
    view.flush()
    assert [k.label for k in view.kept()] == ["RNN 'rec' · run 1"]
    labels = [label.text for _sample, label in view.legend.items]
    assert labels == ["LSTM 'rec'", "RNN 'rec' · run 1 (kept)"]
    (_, current), (_, kept) = drawn(view)
    assert current[0] > kept[0] + 5, "the LSTM's gradient reaches step 0, the RNN's did not"
    view.on_reports([dataclasses.replace(fakes.report(20), time_grad={"rec": [g / 1e4 for g in fading(0.95)]})])
    view.relative_box.setChecked(True)  # a trained LSTM's smaller loss: compared by the shape of its line
    view.flush()
    (_, current), (_, kept) = drawn(view)
    assert current[-1] == kept[-1] == pytest.approx(0.0)
    assert current[0] == pytest.approx(19 * np.log10(0.95))
    assert kept[0] == pytest.approx(19 * np.log10(0.3))
    header, rows = view.data_table()
    assert header == ["line", "kept", "step", "gradient_norm"]
    assert len(rows) == 2 * STEPS
    assert rows[STEPS] == ["RNN 'rec' · run 1", True, 0, pytest.approx(0.05 * 0.3 ** (STEPS - 1))]
    view.clear_button.click()
    view.flush()
    assert view.kept() == []
    assert len(drawn(view)) == 1


def test_kept_lines_go_with_a_reset_of_the_weights_or_another_project(show: Show) -> None:
    view = show(TimeGradView())
    view.start_run(RunInfo.of(memory_trainer("RNN")), None)
    view.add_reports([dataclasses.replace(fakes.report(10), time_grad={"rec": fading(0.3)})])
    view.keep()
    view.start_run(RunInfo.of(memory_trainer("LSTM")), "run 1")
    assert len(view.kept()) == 1
    view.reset()
    assert view.kept() == []
    assert view.data_table()[1] == []


def test_zero_gradients_cut_off_by_truncation_are_drawn_below_the_others(show: Show) -> None:
    view = show(TimeGradView())
    view.add_reports([dataclasses.replace(fakes.report(3), time_grad={"rec": [0.0, 0.0, 1e-3, 1e-2]})])
    view.flush()
    (_, ys), = drawn(view)
    assert list(ys) == [-4.0, -4.0, -3.0, -2.0]
    assert list(log_norms([math.nan, math.inf, 10.0], -5.0)) == [-5.0, 300.0, 1.0]


def test_it_says_what_to_add_when_there_is_no_recurrent_layer_or_no_sequence(show: Show) -> None:
    view = show(TimeGradView())
    dense = sequence_project(("in", "Input", {}), ("emb", "Embedding", {}), ("flat", "Flatten", {}),
                             ("out", "Output", {}))
    trainer = Trainer(dense, report_interval=None, probes=False)
    view.start_run(RunInfo.of(trainer), None)
    assert "add an RNN, LSTM or GRU" in (view.reason_shown() or "")
    view.on_project(DatasetMeta((1, 8, 8), "classification", 10))
    assert "for sequence datasets" in (view.reason_shown() or "")
