"""Training on sequences: a loss and an accuracy at every position of a text, one per sequence for
memory, in training, validation and test alike, and every loss either working or refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch

from playground.core import training
from playground.core.datasets.base import REGISTRY, DatasetEntry, DatasetMeta, LoadContext, build_dataset
from playground.core.graph import Graph, node_activations
from playground.core.params import UserError
from playground.core.probes import activation_stats
from playground.core.project import Project
from playground.core.threads import forward_flops, threads_for
from playground.core.training import Callback, Report, Trainer, make_objective

T = 12
VOCAB = tuple("abcd")
CYCLE = DatasetMeta((T,), "classification", len(VOCAB), VOCAB, vocab=VOCAB, per_step_targets=True)
WAVE = DatasetMeta((T, 1), "regression", 1, per_step_targets=True)


def _cycle(params: dict[str, Any], ctx: LoadContext) -> Any:
    """Text whose next character follows from the one before (a, b, c, d, a, ...) except at the
    first position, where the start is random: a model that learns reads the previous step."""
    rng = np.random.default_rng(0)
    text = (rng.integers(0, len(VOCAB), 300)[:, None] + np.arange(T + 1)[None]) % len(VOCAB)
    return build_dataset("cycle", text[:, :-1].astype(np.float32), text[:, 1:], CYCLE, ctx, seed=0,
                         test_fraction=0.2)


def _wave(params: dict[str, Any], ctx: LoadContext) -> Any:
    """Sines of random phase; the target at each step is the next step's value."""
    rng = np.random.default_rng(1)
    t = rng.uniform(0, 2 * np.pi, 200)[:, None] + 0.4 * np.arange(T + 1)[None]
    wave = np.sin(t).astype(np.float32)[..., None]
    return build_dataset("wave", wave[:, :-1], wave[:, 1:], WAVE, ctx, seed=0, test_fraction=0.2)


@pytest.fixture(autouse=True)
def hand_made_datasets() -> Iterator[None]:
    """Two small sequence datasets in the registry, for as long as a test runs."""
    REGISTRY["cycle"] = DatasetEntry("cycle", "cycle", "sequences", "", (), _cycle, meta=lambda p: CYCLE)
    REGISTRY["wave"] = DatasetEntry("wave", "wave", "sequences", "", (), _wave, meta=lambda p: WAVE)
    yield
    del REGISTRY["cycle"], REGISTRY["wave"]


def project(dataset: dict[str, Any], *nodes: tuple[str, str, dict[str, Any]], **training: Any) -> Project:
    graph, problems = Graph.from_dict({"nodes": [{"id": i, "type": t, "params": p} for i, t, p in nodes],
                                       "edges": [[a[0], b[0]] for a, b in zip(nodes, nodes[1:])]})
    assert not problems
    settings = {"optimizer": "adam", "lr": 0.03, "batch_size": 16, "epochs": 3, "seed": 0, **training}
    return Project("sequences", dataset, graph, settings)


class Reports(Callback):
    def __init__(self) -> None:
        self.reports: list[Report] = []

    def on_report(self, trainer: Trainer, report: Report) -> None:
        self.reports.append(report)


IN = ("in", "Input", {})
EMB = ("emb", "Embedding", {"dim": 8})


def test_a_char_lstm_learns_the_next_character_at_every_position() -> None:
    reports = Reports()
    trainer = Trainer(project({"name": "cycle"}, IN, EMB, ("lstm", "LSTM", {"units": 16, "bptt": 5}),
                              ("out", "Output", {}), grad_clip={"mode": "norm", "max": 1.0}),
                      callbacks=[reports], report_interval=0.0)
    result = trainer.fit()
    assert result.status == "finished"
    first = reports.reports[0]
    assert first.train_acc is not None
    assert 0.0 <= first.train_acc <= 1.0
    final = result.report
    assert final.train_acc > 0.85, "every position but the first follows from the one before"
    assert final.val_acc > 0.85
    assert result.test_acc > 0.85
    assert final.val_loss < 0.5 * np.log(len(VOCAB))
    assert any(r.activations and "lstm" in r.activations for r in reports.reports), "probes see (B, T, units)"


def test_accuracy_counts_positions_not_sequences() -> None:
    """Out (B, T, C) against targets (B, T): a sequence half right counts half."""
    objective = make_objective("cross_entropy", classes=True)
    targets = torch.tensor([[0, 1, 2, 3], [3, 3, 3, 3]])
    out = torch.nn.functional.one_hot(torch.tensor([[0, 1, 0, 0], [3, 3, 3, 3]]), 4).float()
    assert float(objective.correct(out, targets)) == pytest.approx(0.5 + 1.0)
    loss = objective.loss(out * 10, targets)
    assert float(loss) == pytest.approx(float(torch.nn.functional.cross_entropy(
        (out * 10).reshape(8, 4), targets.reshape(8))))


@pytest.mark.parametrize("loss", ["mse", "l1"])
def test_one_hot_losses_work_at_every_position(loss: str) -> None:
    graph = (IN, EMB, ("gru", "GRU", {"units": 16}), ("out", "Output", {"loss": loss}))
    result = Trainer(project({"name": "cycle"}, *graph, epochs=4), report_interval=None, probes=False).fit()
    assert result.status == "finished"
    assert result.test_acc > 0.6


def test_bce_on_many_classes_is_refused_with_the_reason() -> None:
    with pytest.raises(UserError, match="loss .bce. needs two classes but this dataset has 4"):
        Trainer(project({"name": "cycle"}, IN, EMB, ("lstm", "LSTM", {}), ("out", "Output", {"loss": "bce"})))


def test_bce_predicts_two_classes_at_every_position() -> None:
    objective = make_objective("bce", classes=True)
    targets = torch.tensor([[0, 1, 1], [1, 1, 0]])
    logits = torch.tensor([[[-2.0], [3.0], [-1.0]], [[1.0], [2.0], [-4.0]]])
    assert objective.targets(targets).shape == (2, 3, 1)
    assert float(objective.correct(logits, objective.targets(targets))) == pytest.approx(2 / 3 + 1)


def test_a_recurrent_net_regresses_a_value_at_every_step() -> None:
    result = Trainer(project({"name": "wave"}, IN, ("rnn", "RNN", {"units": 16}), ("out", "Output", {"loss": "mse"}),
                             epochs=6, lr=0.01),
                     report_interval=None, probes=False).fit()
    assert result.status == "finished"
    assert result.test_acc is None
    assert result.test_loss < 0.05, "the next value of a sine follows from the steps before"


def test_memory_is_learned_by_an_lstm_from_the_last_step() -> None:
    """The shipped memory dataset, one class per sequence: recalling the first of 8 symbols."""
    trainer = Trainer(project({"name": "memory", "seq_len": 8, "samples": 2000}, IN, EMB,
                              ("lstm", "LSTM", {"units": 32, "return_sequences": False}), ("out", "Output", {}),
                              epochs=15, lr=0.01, batch_size=32),
                      report_interval=None, probes=False)
    result = trainer.fit()
    assert result.test_acc > 0.9


def test_dead_units_of_a_sequence_are_counted_over_its_features_not_its_steps() -> None:
    trainer = Trainer(project({"name": "cycle"}, IN, EMB, ("d", "Dense", {"units": 6, "activation": "relu"}),
                              ("out", "Output", {})))
    with torch.no_grad():
        trainer.model.d.linear.weight.zero_()
        trainer.model.d.linear.bias.copy_(torch.tensor([-1.0, -1.0, 1.0, 1.0, 1.0, 1.0]))
    stats = activation_stats(trainer.model, trainer.probe_batch, node_activations(trainer.graph))
    assert stats["d"].dead == pytest.approx(2 / 6)


def test_a_recurrent_layer_counts_its_work_at_every_step_and_keeps_small_steps_on_one_thread() -> None:
    trainer = Trainer(project({"name": "cycle"}, IN, EMB, ("lstm", "LSTM", {"units": 16}), ("out", "Output", {})))
    batch = trainer._train_x[:16]
    lstm = 2 * 16 * T * 4 * 16 * (8 + 16)
    assert forward_flops(trainer.model, batch) == lstm + 2 * 16 * T * 16 * len(VOCAB)
    assert threads_for(trainer.model, batch, ceiling=8) == 1
    wide = Trainer(project({"name": "cycle"}, IN, EMB, ("lstm", "LSTM", {"units": 1024}), ("out", "Output", {})))
    assert threads_for(wide.model, wide._train_x[:16], ceiling=8) == 8, "a step of 1024 units at batch 16: 135 M"


def test_augmenting_token_ids_is_refused_with_the_reason() -> None:
    with pytest.raises(UserError, match="augmentation 'noise' changes numbers, but this dataset's inputs are token"):
        Trainer(project({"name": "cycle"}, IN, EMB, ("lstm", "LSTM", {}), ("out", "Output", {}), augment=["noise"]))


def test_predictions_at_every_position_are_counted_each_step_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keeping (batch, T, classes) outputs until the next read-back would hold hundreds of MB on a
    real text; counting each step's right answers at once gives the same accuracy."""
    accuracies = []
    for kept in (0, 10**9):
        monkeypatch.setattr(training, "KEPT_OUTPUT_VALUES", kept)
        trainer = Trainer(project({"name": "cycle"}, IN, EMB, ("gru", "GRU", {"units": 8}), ("out", "Output", {}),
                                  epochs=1), report_interval=None, probes=False)
        run = trainer.iter_fit()
        for _ in range(5):
            next(run)
        held = [t.numel() for t in trainer._outs]
        assert held == ([1] * 5 if kept == 0 else [16 * T * len(VOCAB)] * 5)
        for _ in run:  # to the end of the run
            pass
        assert trainer.result is not None
        accuracies.append(trainer.result.report.train_acc)
    assert accuracies[0] == pytest.approx(accuracies[1], abs=1e-6)

