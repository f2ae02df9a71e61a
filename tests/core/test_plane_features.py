"""Input features of plane datasets (x1^2, sin x1, ...): chosen in the project, computed as the
model's first step, so the data, the plane views and the exports keep the raw points."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.core.build import build_model
from playground.core.datasets import DataError, dataset_meta, load_dataset
from playground.core.graph import Graph
from playground.core.modules import Normalize, PlaneFeatures
from playground.core.plane_features import DEFAULT_FEATURES, FEATURES, check_features, feature_values
from playground.core.probes import PlaneGrid
from playground.core.project import Project
from playground.core.shapes import infer_shapes
from playground.core.training import Trainer

SQUARES = ["x1^2", "x2^2"]


def linear_project(dataset: dict[str, Any], epochs: int = 20) -> Project:
    """Input -> Output: no hidden layer, a linear model of whatever features the input gives."""
    graph, problems = Graph.from_dict({"nodes": [{"id": "in", "type": "Input"}, {"id": "out", "type": "Output"}],
                                       "edges": [["in", "out"]]})
    assert not problems
    return Project("linear", dataset, graph, {"optimizer": "adam", "lr": 0.05, "batch_size": 10,
                                               "epochs": epochs, "seed": 0})


def test_the_catalogue_and_the_model_step_know_the_same_features() -> None:
    assert list(FEATURES) == [name for name, _ in PlaneFeatures.FORMULAS]
    assert all(name.isascii() and " " not in name for name in FEATURES)


def test_features_are_computed_as_named() -> None:
    points = torch.tensor([[2.0, -3.0], [0.5, math.pi / 2]])
    got = feature_values(points, tuple(FEATURES))
    x1, x2 = points[:, 0], points[:, 1]
    expected = torch.stack([x1, x2, x1**2, x2**2, x1 * x2, torch.sin(x1), torch.sin(x2)], dim=1)
    torch.testing.assert_close(got, expected)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(list(FEATURES)), min_size=1, unique=True))
def test_any_choice_is_accepted_in_the_catalogue_order(chosen: list[str]) -> None:
    features, error = check_features(chosen)
    assert error is None
    assert features is not None
    assert sorted(features) == sorted(chosen)
    assert list(features) == [name for name in FEATURES if name in chosen]


@pytest.mark.parametrize(("value", "expected"), [
    (["x3"], "unknown feature 'x3'"),
    ([], "at least one"),
    (["x1", "x1"], "twice"),
    ("x1", "must be a list"),
    ([1, 2], "must be a list"),
])
def test_bad_choices_name_the_field(value: Any, expected: str) -> None:
    with pytest.raises(DataError) as excinfo:
        load_dataset({"name": "circle", "features": value})
    assert expected in str(excinfo.value)
    assert "dataset 'circle': features" in str(excinfo.value)
    assert excinfo.value.problems[0].field == "dataset.features"


def test_image_datasets_take_no_features() -> None:
    with pytest.raises(DataError, match="unknown parameter 'features'"):
        dataset_meta({"name": "digits", "features": ["x1"]})


def test_the_default_is_todays_plane() -> None:
    plain = load_dataset({"name": "circle"})
    named = load_dataset({"name": "circle", "features": ["x2", "x1"]})
    assert plain.meta == named.meta
    assert plain.meta.features == ()
    assert plain.meta.input_shape == (2,)
    model = build_model(linear_project({"name": "circle"}).graph, plain.meta, plain.mean, plain.std)
    assert type(model.get_submodule(model.attrs["in"])) is Normalize  # as before features existed
    assert DEFAULT_FEATURES == ("x1", "x2")


def test_a_transformed_plane_keeps_raw_points_and_shows_the_feature_count() -> None:
    spec = {"name": "circle", "samples": 200, "features": ["x1", "x2", *SQUARES]}
    data = load_dataset(spec)
    meta = dataset_meta(spec)
    assert meta == data.meta
    assert meta.is_plane
    assert meta.raw_shape == (2,)
    assert meta.input_shape == (4,)
    assert data.train.x.shape[1:] == (2,)
    assert data.mean.shape == data.std.shape == (4,)
    # the statistics are the features', so the network sees standardised x1^2 too
    squares = data.train.x**2
    torch.testing.assert_close(data.mean[2:], squares.mean(0))
    assert data.raw_std.shape == (2,)
    project = linear_project(spec)
    report = infer_shapes(project.graph, meta)
    assert report.nodes["in"].shape == (4,)
    assert report.nodes["out"].parameters == 4 * 2 + 2
    model = build_model(project.graph, meta, data.mean, data.std)
    standardised = model.forward_all(data.train.x)["in"]
    torch.testing.assert_close(standardised.mean(0), torch.zeros(4), atol=1e-5, rtol=0)
    pictures = PlaneGrid(data.train.x, torch.device("cpu"), resolution=8).pictures(model, "cross_entropy")
    assert pictures.boundary.values.shape == (8, 8, 2)


def test_noise_augmentation_runs_on_the_raw_points() -> None:
    spec = {"name": "circle", "samples": 100, "features": ["x1", "x2", "x1*x2"]}
    project = linear_project(spec, epochs=1)
    project.training["augment"] = ["noise"]
    assert Trainer(project, probes=False).fit().status == "finished"


def test_circle_needs_no_hidden_layer_given_the_squares() -> None:
    """TensorFlow Playground's lesson: x1^2 + x2^2 is the squared radius, so one linear unit
    separates the disc from the ring; on the raw point it cannot."""
    circle = {"name": "circle", "samples": 400}
    squared = Trainer(linear_project({**circle, "features": SQUARES})).fit()
    raw = Trainer(linear_project(circle)).fit()
    assert squared.report is not None
    assert raw.report is not None
    assert squared.report.val_acc >= 0.95
    assert raw.report.val_acc < 0.75
