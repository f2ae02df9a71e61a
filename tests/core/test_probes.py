"""Probes measure what they say: per-node gradient norms, saturated and dead units, weight
statistics, first-layer filters, and the grids behind the decision-boundary view."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch

from playground.core.build import GraphModel, build_model
from playground.core.datasets import Dataset, LoadContext, load_dataset
from playground.core.graph import node_activations
from playground.core.probes import (
    GradNorms,
    PlaneGrid,
    activation_stats,
    first_layer_filters,
    predict,
    weight_stats,
)
from tests.core.test_training import DIGITS, XOR, project_of


def model_for(hidden: list[dict[str, Any]], dataset: dict[str, Any],
              output: dict[str, Any] | None = None) -> tuple[GraphModel, Dataset, dict[str, str]]:
    project = project_of(hidden, dataset, output)
    data = load_dataset(project.dataset, LoadContext())
    model = build_model(project.graph, data.meta, data.mean, data.std, seed=0)
    return model, data, node_activations(project.graph)


def test_gradient_norms_group_parameters_by_node() -> None:
    model, data, _ = model_for([{"units": 8, "activation": "tanh", "batchnorm": True}], XOR)
    torch.nn.functional.cross_entropy(model(data.train.x), data.train.y).backward()
    expected = {node: math.sqrt(sum(float(p.grad.norm()) ** 2 for p in params))
                for node, params in model.node_parameters().items()}
    for defer in (False, True):
        norms = GradNorms(model.node_parameters(), defer=defer)
        assert norms.compute() == pytest.approx(expected, rel=1e-5)
        captured = [norms.capture(), norms.capture()]
        rows = norms.rows(captured).tolist()
        assert [norms.per_node(row) for row in rows] == [pytest.approx(list(expected.values()), rel=1e-5)] * 2
        assert norms.per_node(torch.stack(norms.latest(captured)).tolist()) == pytest.approx(
            list(expected.values()), rel=1e-5)
    assert GradNorms({"a": [torch.zeros(1)], "b": [torch.zeros(2)] * 2}).per_node([3.0, math.inf, 4.0]) == [
        3.0, math.inf]


def test_saturated_sigmoids_and_dead_relus_are_counted() -> None:
    hidden = [{"units": 16, "activation": "sigmoid", "init": "normal", "init_std": 5.0},
              {"units": 16, "activation": "relu", "init": "zeros"},
              {"units": 16, "activation": "tanh", "init": "normal", "init_std": 0.001}]
    model, data, activations = model_for(hidden, DIGITS)
    stats = activation_stats(model, data.train.x[:128], activations)
    assert set(stats) == {"h1", "h2", "h3", "out"}
    assert stats["h1"].saturated > 0.8
    assert stats["h1"].dead is None
    assert stats["h2"].dead == 1.0
    assert stats["h2"].saturated is None
    assert stats["h2"].mean == 0.0
    assert stats["h2"].std == 0.0
    assert stats["h3"].saturated == 0.0
    assert stats["out"].saturated is None
    assert stats["out"].dead is None
    out = model(data.train.x[:128]).detach()
    assert stats["out"].mean == pytest.approx(float(out.mean()), abs=1e-5)
    assert stats["out"].std == pytest.approx(float(out.std(correction=0)), rel=1e-4)
    histogram = stats["h1"].histogram
    assert histogram.counts.sum() == 16 * 128
    assert histogram.counts.dtype == np.int64
    assert histogram.edges[0] == histogram.lo
    assert histogram.edges[-1] == histogram.hi
    assert 0.0 <= histogram.lo < histogram.hi <= 1.0
    assert model.training  # probes leave the mode as they found it


def test_weight_statistics_match_the_weights() -> None:
    model, _, _ = model_for([{"units": 32, "activation": "relu", "init": "he_normal"}], DIGITS)
    stats = weight_stats(model)
    assert set(stats) == {"h1", "out"}
    w = model.h1.linear.weight.detach()
    assert stats["h1"].mean == pytest.approx(float(w.mean()), abs=1e-6)
    assert stats["h1"].std == pytest.approx(float(w.std(correction=0)), rel=1e-4)
    assert stats["h1"].max_abs == pytest.approx(float(w.abs().max()))
    assert stats["h1"].std == pytest.approx(math.sqrt(2 / 64), rel=0.1)  # He: Var = 2 / fan_in
    assert stats["h1"].histogram.counts.sum() == w.numel()


def test_first_layer_filters_are_images() -> None:
    conv, _, _ = model_for([{"type": "Conv2d", "filters": 6, "kernel": 5}, {"type": "Flatten"}], DIGITS)
    filters = first_layer_filters(conv, (1, 8, 8))
    assert filters.node_id == "h1"
    assert filters.images.shape == (6, 1, 5, 5)
    dense, _, _ = model_for([{"units": 10}], DIGITS)
    templates = first_layer_filters(dense, (1, 8, 8))
    assert templates.images.shape == (10, 1, 8, 8)
    np.testing.assert_array_equal(templates.images[3].ravel(), dense.h1.linear.weight[3].detach().numpy())
    flat, _, _ = model_for([{"units": 4}], XOR)
    assert first_layer_filters(flat, (2,)) is None


def test_plane_pictures_cover_the_data_in_one_forward() -> None:
    model, data, _ = model_for([{"units": 5, "activation": "tanh"}, {"units": 3, "activation": "relu"}], XOR)
    plane = PlaneGrid(data.train.x, torch.device("cpu"), resolution=20, unit_stride=2)
    pictures = plane.pictures(model, "cross_entropy")
    grid = pictures.boundary
    assert grid.values.shape == (20, 20, 2)
    np.testing.assert_allclose(grid.values.sum(axis=2), 1.0, rtol=1e-5)
    lo, hi = data.train.x.min(dim=0).values, data.train.x.max(dim=0).values
    assert grid.xs[0] < lo[0]
    assert grid.xs[-1] > hi[0]
    assert grid.ys[0] < lo[1]
    assert grid.ys[-1] > hi[1]
    corner = torch.tensor([[grid.xs[-1], grid.ys[0]]])
    np.testing.assert_allclose(grid.values[0, -1], predict(model, corner, "cross_entropy")[0].numpy(), rtol=1e-5)
    units = pictures.units
    assert {k: v.values.shape for k, v in units.items()} == {"h1": (10, 10, 5), "h2": (10, 10, 3)}
    # a unit map's value is that unit's output at its point of the plane
    h2 = units["h2"]
    point = torch.tensor([[h2.xs[3], h2.ys[7]]])
    with torch.no_grad():
        model.eval()
        expected = model.forward_all(point)["h2"][0].numpy()
    np.testing.assert_allclose(h2.values[7, 3], expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="2-D inputs"):
        PlaneGrid(torch.zeros(4, 3), torch.device("cpu"))


def test_bce_and_regression_predictions() -> None:
    bce, data, _ = model_for([{"units": 4}], XOR, {"loss": "bce"})
    p = predict(bce, data.train.x[:5], "bce")
    assert p.shape == (5, 2)
    np.testing.assert_allclose(p.sum(dim=1).numpy(), 1.0, rtol=1e-6)
    regression, plane, _ = model_for([{"units": 4}], {"name": "plane"}, {"loss": "mse"})
    out = predict(regression, plane.train.x[:5], "mse")
    torch.testing.assert_close(out, regression(plane.train.x[:5]).detach())
