"""Backpropagation through time in the run's record: every epoch line of a recurrent run
carries, per recurrent node, the gradient norm reaching each time step (FORMAT: Sequences)."""

from __future__ import annotations

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
