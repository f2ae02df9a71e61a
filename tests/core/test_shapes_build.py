"""Shape inference reports what a student sees on each node; the built model agrees with it."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from playground.core.build import build_model, data_dependent_init, needs_data_init
from playground.core.datasets.base import DatasetMeta
from playground.core.graph import Graph
from playground.core.layers import ACTIVATIONS, INITS, LAYER_TYPES
from playground.core.shapes import infer_shapes

DIGITS = DatasetMeta((1, 8, 8), "classification", 10)
TOY = DatasetMeta((2,), "classification", 2)


def graph(nodes: list[tuple[str, str, dict[str, Any]]], edges: list[tuple[str, str]] | None = None) -> Graph:
    if edges is None:
        edges = [(a[0], b[0]) for a, b in zip(nodes, nodes[1:])]
    g, problems = Graph.from_dict({"nodes": [{"id": i, "type": t, "params": p} for i, t, p in nodes],
                                   "edges": [list(e) for e in edges]})
    assert not problems
    return g


LENET = [("in", "Input", {}), ("c1", "Conv2d", {"filters": 6, "kernel": 3}), ("p1", "MaxPool2d", {}),
         ("c2", "Conv2d", {"filters": 16, "kernel": 3}), ("p2", "MaxPool2d", {}), ("f", "Flatten", {}),
         ("d1", "Dense", {"units": 32}), ("out", "Output", {})]


def test_lenet_on_digits_shapes_and_parameter_counts() -> None:
    report = infer_shapes(graph(LENET), DIGITS)
    assert report.ok, report.problems
    shapes = {k: r.shape for k, r in report.nodes.items()}
    assert shapes == {"in": (1, 8, 8), "c1": (6, 8, 8), "p1": (6, 4, 4), "c2": (16, 4, 4), "p2": (16, 2, 2),
                      "f": (64,), "d1": (32,), "out": (10,)}
    assert report.nodes["c1"].parameters == 1 * 9 * 6 + 6
    assert report.nodes["d1"].parameters == 64 * 32 + 32
    assert report.total_parameters == sum(r.parameters for r in report.nodes.values())
    model = build_model(graph(LENET), DIGITS)
    assert report.total_parameters == sum(p.numel() for p in model.parameters())


def test_conv_after_flatten_says_what_to_change() -> None:
    nodes = [("in", "Input", {}), ("f", "Flatten", {}), ("c1", "Conv2d", {}), ("out", "Output", {})]
    report = infer_shapes(graph(nodes), DIGITS)
    assert [p.message for p in report.nodes["c1"].problems] == [
        "Conv2d 'c1' needs an image input (C, H, W) but gets 64 features: put it before Flatten or use Dense"]
    assert report.nodes["f"].shape == (64,)


def test_every_error_is_reported_at_once() -> None:
    nodes = [("in", "Input", {}), ("c1", "Conv2d", {"kernel": 9, "padding": "valid"}), ("p", "MaxPool2d", {}),
             ("out", "Output", {"loss": "bce"})]
    report = infer_shapes(graph(nodes), DIGITS)
    named = {p.node for p in report.problems}
    assert {"c1", "out"} <= named
    assert any("kernel 9 is larger than its 8×8 input" in p.message for p in report.problems)
    assert any("loss 'bce' needs two classes" in p.message for p in report.problems)


def test_add_and_concat_shapes() -> None:
    nodes = [("in", "Input", {}), ("a", "Dense", {"units": 8}), ("b", "Dense", {"units": 8}),
             ("c", "Dense", {"units": 5}), ("sum", "Add", {}), ("cat", "Concat", {}), ("out", "Output", {})]
    edges = [("in", "a"), ("a", "b"), ("a", "sum"), ("b", "sum"), ("sum", "cat"), ("in", "c"), ("c", "cat"),
             ("cat", "out")]
    report = infer_shapes(graph(nodes, edges), TOY)
    assert report.nodes["sum"].shape == (8,)
    assert report.nodes["cat"].shape == (13,)
    bad = infer_shapes(graph(nodes, [*edges[:2], ("a", "sum"), ("c", "sum"), ("sum", "cat"), ("in", "c"),
                                     ("b", "cat"), ("cat", "out")]), TOY)
    assert any(p.node == "sum" and "equal shape" in p.message and "from 'c'" in p.message for p in bad.problems)


def test_absurd_sizes_are_refused_before_building() -> None:
    nodes = [("in", "Input", {}), ("h", "Dense", {"units": 65536}), ("h2", "Dense", {"units": 65536}),
             ("out", "Output", {})]
    report = infer_shapes(graph(nodes), TOY)
    assert any(p.node == "h2" and "parameters" in p.message for p in report.problems)


def test_state_dict_keys_are_readable_and_stable() -> None:
    nodes = [("in", "Input", {}), ("h1", "Dense", {"units": 4, "batchnorm": True, "dropout": 0.1}),
             ("out", "Output", {})]
    model = build_model(graph(nodes), TOY, torch.zeros(2), torch.ones(2))
    assert list(model.state_dict()) == [
        "in_.mean", "in_.std", "h1.linear.weight", "h1.linear.bias", "h1.bn.weight", "h1.bn.bias",
        "h1.bn.running_mean", "h1.bn.running_var", "h1.bn.num_batches_tracked", "out.weight", "out.bias"]


def test_same_seed_same_weights_and_caller_rng_untouched() -> None:
    g = graph([("in", "Input", {}), ("h", "Dense", {}), ("out", "Output", {})])
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    a, b = build_model(g, TOY, seed=5), build_model(g, TOY, seed=5)
    assert torch.equal(torch.rand(1), expected_next)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_normalisation_is_the_models_first_step() -> None:
    g = graph([("in", "Input", {}), ("out", "Output", {"loss": "mse"})])
    meta = DatasetMeta((2,), "regression", 1)
    model = build_model(g, meta, torch.tensor([1.0, 2.0]), torch.tensor([2.0, 4.0]))
    x = torch.tensor([[3.0, 6.0]])
    assert torch.allclose(model.forward_all(x)["in"], torch.tensor([[1.0, 1.0]]))


@pytest.mark.parametrize("init", sorted(INITS))
def test_every_init_builds_and_zeros_really_is_zero(init: str) -> None:
    g = graph([("in", "Input", {}), ("h", "Dense", {"units": 64, "init": init}), ("out", "Output", {})])
    weight = build_model(g, DatasetMeta((64,), "classification", 2), seed=0).h.linear.weight
    if init == "zeros":
        assert torch.count_nonzero(weight) == 0
    elif init in ("he_normal", "he_uniform"):
        assert weight.var().item() == pytest.approx(2 / 64, rel=0.2)
    elif init in ("xavier_normal", "xavier_uniform"):
        assert weight.var().item() == pytest.approx(2 / 128, rel=0.2)
    elif init == "normal":
        assert weight.std().item() == pytest.approx(0.01, rel=0.2)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_every_activation_builds_in_every_place(name: str) -> None:
    nodes = [("in", "Input", {}), ("c", "Conv2d", {"activation": name, "filters": 2}),
             ("a", "Activation", {"function": name}), ("d", "Dense", {"activation": name, "units": 3}),
             ("out", "Output", {})]
    model = build_model(graph(nodes), DIGITS)
    assert model(torch.randn(3, 1, 8, 8)).shape == (3, 10)


def test_lsuv_scales_layers_to_unit_variance_on_real_batch() -> None:
    g = graph([("in", "Input", {}), ("h1", "Dense", {"units": 32, "init": "lsuv"}),
               ("h2", "Dense", {"units": 32, "init": "lsuv"}), ("out", "Output", {})])
    meta = DatasetMeta((10,), "classification", 2)
    assert needs_data_init(g)
    model = build_model(g, meta, seed=0)
    batch = torch.randn(256, 10) * 7
    variances = data_dependent_init(model, g, batch)
    assert set(variances) == {"h1", "h2"}
    assert all(abs(v - 1) < 0.05 for v in variances.values())


def test_catalogue_entries_are_complete() -> None:
    for layer in LAYER_TYPES.values():
        assert layer.help.endswith(".")
        for param in layer.params:
            assert param.help, (layer.name, param.name)
            assert param.check(param.default)[1] is None, (layer.name, param.name)
