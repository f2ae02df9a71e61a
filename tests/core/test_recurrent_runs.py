"""Recurrent runs: every epoch line carries, per recurrent node, the gradient norm reaching
each time step (FORMAT: Sequences), and the weight penalties reach recurrent weights."""

from __future__ import annotations

from playground.core.probes import weight_stats
from playground.core.project import Project, parse_project
from playground.core.training import Callback, Report, Trainer
from tests.core.test_training import XOR, project_of


def memory(kind: str, seq_len: int = 12, epochs: int = 2) -> Project:
    return parse_project({
        "format": "nn-playground/1",
        "dataset": {"name": "memory", "seq_len": seq_len, "vocab": 4, "samples": 400},
        "graph": {"nodes": [{"id": "in", "type": "Input"},
                            {"id": "embed", "type": "Embedding", "params": {"dim": 8}},
                            {"id": "rec", "type": kind, "params": {"units": 16, "return_sequences": False}},
                            {"id": "out", "type": "Output"}],
                  "edges": [["in", "embed"], ["embed", "rec"], ["rec", "out"]]},
        "training": {"epochs": epochs, "batch_size": 32, "device": "cpu"},
    })


class Reports(Callback):
    def __init__(self) -> None:
        self.seen: list[Report] = []

    def on_report(self, trainer: Trainer, report: Report) -> None:
        self.seen.append(report)


def reports_of(project: Project) -> list[Report]:
    recorder = Reports()
    Trainer(project, callbacks=[recorder]).fit()
    return recorder.seen


def test_every_epoch_line_of_a_recurrent_run_has_a_gradient_per_time_step() -> None:
    for kind in ("RNN", "LSTM", "GRU"):
        epochs = [r for r in reports_of(memory(kind)) if r.epoch_end]
        assert len(epochs) == 2
        for report in epochs:
            line = report.metrics()
            steps = line["time_grad"]["rec"]
            assert len(steps) == 12
            assert all(g is None or g >= 0 for g in steps)
            assert steps[-1] > 0


def test_a_network_without_recurrent_layers_writes_no_time_gradients() -> None:
    project = project_of([{"units": 4, "activation": "tanh"}], XOR, epochs=2, device="cpu")
    assert all("time_grad" not in r.metrics() for r in reports_of(project))


def test_penalties_constraints_and_weight_statistics_reach_recurrent_weights() -> None:
    """L1 and max-norm act on an LSTM's and an Embedding's weights, and the weight histograms
    include them, rather than silently leaving a recurrent network out."""
    plain, penalised = memory("LSTM"), memory("LSTM")
    penalised.training.update({"l1": 0.01, "max_norm": 0.5})
    sizes = {}
    for name, project in (("plain", plain), ("penalised", penalised)):
        trainer = Trainer(project, probes=False, report_interval=None)
        trainer.fit()
        layer = trainer.model.get_submodule(trainer.model.attrs["rec"]).layer
        table = trainer.model.get_submodule(trainer.model.attrs["embed"]).embedding.weight
        sizes[name] = (float(layer.weight_hh_l0.detach().abs().mean()), float(table.detach().norm(dim=1).max()))
        assert {"embed", "rec", "out"} <= set(weight_stats(trainer.model))
    assert sizes["penalised"][0] < 0.7 * sizes["plain"][0]
    assert sizes["penalised"][1] <= 0.5 + 1e-5 < sizes["plain"][1]
