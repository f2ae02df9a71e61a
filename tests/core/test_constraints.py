"""The max-norm weight constraint ('weight clipping' in the lectures)."""

from __future__ import annotations

import torch

from playground.core.build import weight_module
from playground.core.graph import Graph
from playground.core.project import Project
from playground.core.training import Trainer
from playground.core.training_config import parse_training


def row_norms(trainer: Trainer) -> dict[str, torch.Tensor]:
    """Each weighted node's incoming weight-vector lengths, one per unit (or filter)."""
    return {node_id: m.weight.detach().flatten(1).norm(dim=1)
            for node_id, module in trainer.model.node_modules() if (m := weight_module(module))}


def trained(max_norm: float | None) -> Trainer:
    nodes = [{"id": "in", "type": "Input"}, {"id": "c1", "type": "Conv2d", "params": {"filters": 4}},
             {"id": "m1", "type": "Maxout", "params": {"units": 16}},
             {"id": "h1", "type": "Dense", "params": {"units": 32}}, {"id": "out", "type": "Output"}]
    ids = [n["id"] for n in nodes]
    graph, problems = Graph.from_dict({"nodes": nodes, "edges": [list(e) for e in zip(ids, ids[1:])]})
    assert not problems
    project = Project("max-norm", {"name": "digits"}, graph,
                      {"optimizer": "adam", "lr": 0.05, "batch_size": 64, "epochs": 2, "max_norm": max_norm})
    trainer = Trainer(project, report_interval=None, probes=False)
    trainer.fit()
    return trainer


def test_after_training_no_unit_has_longer_incoming_weights_than_max_norm() -> None:
    free = row_norms(trained(None))
    assert all(float(n.max()) > 0.6 for n in free.values())  # without the constraint they grow past it
    limited = row_norms(trained(0.5))
    assert set(limited) == {"c1", "m1", "h1", "out"}
    for node_id, norms in limited.items():
        assert float(norms.max()) <= 0.5 + 1e-5, node_id
        assert float(norms.max()) > 0.49, node_id  # the limit binds: weights were scaled back, not zeroed


def test_max_norm_is_off_by_default_and_must_be_positive() -> None:
    assert parse_training({})[0].max_norm is None
    assert parse_training({"max_norm": 3})[0].max_norm == 3.0
    _, problems = parse_training({"max_norm": 0})
    assert [p.field for p in problems] == ["training.max_norm"]
