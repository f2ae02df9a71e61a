"""Maxout, the lecture's generalised unit: what a student sees on the node and that it learns."""

from __future__ import annotations

import torch

from playground.core.build import build_model
from playground.core.datasets.base import DatasetMeta
from playground.core.graph import Graph
from playground.core.project import Project
from playground.core.shapes import infer_shapes
from playground.core.training import Trainer

DIGITS = DatasetMeta((1, 8, 8), "classification", 10)


def chain(*nodes: tuple[str, str, dict]) -> Graph:
    graph, problems = Graph.from_dict({"nodes": [{"id": i, "type": t, "params": p} for i, t, p in nodes],
                                       "edges": [[a[0], b[0]] for a, b in zip(nodes, nodes[1:])]})
    assert not problems
    return graph


def test_shape_and_parameter_count_follow_units_and_pieces() -> None:
    graph = chain(("in", "Input", {}), ("m", "Maxout", {"units": 5, "pieces": 3}),
                  ("m2", "Maxout", {"units": 4, "bias": False}), ("out", "Output", {}))
    report = infer_shapes(graph, DIGITS)
    assert report.ok, report.problems
    assert report.nodes["m"].shape == (5,)
    assert report.nodes["m"].parameters == 64 * 5 * 3 + 5 * 3
    assert report.nodes["m2"].parameters == 5 * 4 * 2
    model = build_model(graph, DIGITS)
    assert report.total_parameters == sum(p.numel() for p in model.parameters())


def test_each_unit_outputs_the_largest_of_its_pieces() -> None:
    graph = chain(("in", "Input", {}), ("m", "Maxout", {"units": 3, "pieces": 4}), ("out", "Output", {}))
    model = build_model(graph, DatasetMeta((2,), "classification", 2), seed=0)
    x = torch.randn(16, 2)
    pieces = model.m.linear(x).reshape(16, 3, 4)
    assert torch.equal(model.forward_all(x)["m"], pieces.max(dim=2).values)


def test_maxout_solves_xor() -> None:
    graph = chain(("in", "Input", {}), ("m", "Maxout", {"units": 4, "pieces": 2}), ("out", "Output", {}))
    project = Project("maxout xor", {"name": "xor", "samples": 400}, graph,
                      {"optimizer": "adam", "lr": 0.03, "batch_size": 16, "epochs": 20})
    result = Trainer(project, report_interval=None, probes=False).fit()
    assert result.report.val_acc > 0.9
