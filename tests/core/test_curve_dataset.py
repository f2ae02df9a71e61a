"""The ``curve`` dataset: one input x, one target y = f(x) + noise (reproducible by seed: the
generic checks of ``test_datasets`` cover it), and the lesson it exists for: a few narrow
layers fit its wiggles where one wide layer of as many weights does not."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from playground.core.datasets import DataError, DatasetMeta, dataset_meta, load_dataset
from playground.core.datasets.curves import SHAPES, X_RANGE
from playground.core.graph import Graph
from playground.core.project import Project
from playground.core.training import Trainer


def curve(**params: Any) -> dict[str, Any]:
    return {"name": "curve", **params}


def all_points(spec: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    data = load_dataset(spec)
    splits = (data.train, data.val, data.test)
    return (np.concatenate([s.x.numpy() for s in splits]), np.concatenate([s.y.numpy() for s in splits]))


@pytest.mark.parametrize("function", list(SHAPES))
def test_one_input_one_target_on_the_chosen_curve(function: str) -> None:
    spec = curve(function=function, samples=200, noise=0.0)
    data = load_dataset(spec)
    assert data.meta == dataset_meta(spec) == DatasetMeta((1,), "regression", 1)
    assert data.meta.is_curve
    assert len(data.train) + len(data.val) + len(data.test) == 200
    x, y = all_points(spec)
    assert x.shape == y.shape == (200, 1)
    assert x.min() >= -X_RANGE
    assert x.max() <= X_RANGE
    assert np.allclose(y, SHAPES[function](x.astype(np.float64)), atol=1e-5), "no noise: exactly on the curve"
    assert y.std() > 0.3, "not a flat line"


def test_the_default_curve_wiggles_faster_to_the_right() -> None:
    xs = np.linspace(-X_RANGE, X_RANGE, 6001)
    ys = SHAPES["wiggles"](xs)
    crossings = xs[1:][np.diff(np.sign(ys)) != 0]
    left, right = (crossings < 0).sum(), (crossings >= 0).sum()
    assert left + right >= 5, "several wiggles: more bends than a few units can follow"
    assert right >= 2 * left, "faster on the right"


def test_noise_scatters_targets_around_the_curve_by_its_standard_deviation() -> None:
    x, y = all_points(curve(function="sine", samples=4000, noise=0.2, seed=5))
    residual = y - SHAPES["sine"](x.astype(np.float64))
    assert residual.std() == pytest.approx(0.2, rel=0.1)
    assert abs(residual.mean()) < 0.02


@pytest.mark.parametrize(("field", "value"), [("function", "zigzag"), ("noise", -1.0), ("samples", 5)])
def test_bad_parameters_name_the_field(field: str, value: Any) -> None:
    with pytest.raises(DataError, match=f"dataset 'curve'.*{field}") as caught:
        load_dataset(curve(**{field: value}))
    assert [p.field for p in caught.value.problems] == [f"dataset.{field}"]


def test_a_two_column_table_counts_as_a_curve_and_a_plane_does_not() -> None:
    assert not load_dataset({"name": "plane", "samples": 50}).meta.is_curve
    assert not DatasetMeta((1,), "classification", 2).is_curve
    assert DatasetMeta((1,), "regression", 1).is_curve


# --------------------------------------------------------------------------- the lesson


def chain(units: list[int], activation: str = "tanh", **training: Any) -> Project:
    """Input -> Dense(units[0]) -> ... -> Output (mse) on the default curve."""
    nodes = [{"id": "in", "type": "Input"}]
    nodes += [{"id": f"h{i}", "type": "Dense", "params": {"units": u, "activation": activation}}
              for i, u in enumerate(units, 1)]
    nodes.append({"id": "out", "type": "Output", "params": {"loss": "mse"}})
    ids = [n["id"] for n in nodes]
    graph, problems = Graph.from_dict({"nodes": nodes, "edges": [list(e) for e in zip(ids, ids[1:])]})
    assert not problems, problems
    settings = {"optimizer": "adam", "lr": 0.01, "batch_size": 16, "epochs": 300, "seed": 0, **training}
    return Project("lesson", curve(), graph, settings)


def val_loss_and_size(project: Project) -> tuple[float, int]:
    trainer = Trainer(project, report_interval=None, probes=False)
    result = trainer.fit()
    assert result.status == "finished"
    return result.report.val_loss, sum(p.numel() for p in trainer.model.parameters())


def test_a_few_narrow_layers_fit_the_wiggles_where_one_wide_layer_of_as_many_weights_does_not() -> None:
    deep, deep_size = val_loss_and_size(chain([8, 8, 8]))
    wide, wide_size = val_loss_and_size(chain([56]))
    assert deep_size == wide_size == 169
    # measured (seeds 0-3): three layers of 8 reach 0.005-0.026, one layer of 56 0.125-0.130
    assert deep < 0.05
    assert wide > 0.08
    assert deep < wide / 2
