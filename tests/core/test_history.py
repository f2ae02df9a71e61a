"""Metric history stays bounded however long a run goes, and keeps means, spikes and order."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from playground.core.history import History, Series


def test_a_long_run_stays_bounded_and_keeps_its_shape() -> None:
    series = Series(capacity=64)
    values = np.sin(np.arange(100_000) / 5000.0)
    values[31_337] = 50.0  # one spike
    for i, v in enumerate(values):
        series.append(i, v)
    data = series.data()
    assert len(data) <= 65
    assert series.stride >= 100_000 // 64
    assert np.all(np.diff(data.x) > 0)
    assert np.all(data.min <= data.mean)
    assert np.all(data.mean <= data.max)
    assert data.max.max() == 50.0
    assert data.min.min() == values.min()
    weights = np.full(len(data), float(series.stride))
    weights[-1] = 100_000 - weights[:-1].sum()
    assert np.average(data.mean, weights=weights) == pytest.approx(values.mean(), abs=1e-9)
    assert series.last() == pytest.approx(values[-1])


def test_non_finite_values_never_reach_a_plot() -> None:
    series = Series(capacity=4)
    for i, v in enumerate([1.0, math.nan, 2.0, math.inf, -math.inf]):
        series.append(i, v)
    data = series.data()
    assert data.mean.tolist() == [1.0, 2.0]
    assert data.x.tolist() == [0.0, 2.0]
    assert Series().last() is None
    with pytest.raises(ValueError, match="even"):
        Series(capacity=5)


def test_history_keeps_one_series_per_metric() -> None:
    history = History(capacity=8)
    history.add(1, train_loss=0.9, val_loss=None)
    history.add(2, train_loss=0.7, val_loss=0.8)
    history.add_mapping(2, {"h1": 0.01, "out": 0.2}, prefix="grad/")
    assert history.names() == ["train_loss", "val_loss", "grad/h1", "grad/out"]
    assert len(history["train_loss"]) == 2
    assert len(history["val_loss"]) == 1
    assert "grad/h1" in history
    assert "grad/h2" not in history
    history.clear()
    assert history.names() == []


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=300), st.sampled_from([2, 4, 16]))
def test_bounded_with_global_extremes_for_any_values(values: list[float], capacity: int) -> None:
    series = Series(capacity)
    series.extend(enumerate(values))
    data = series.data()
    assert len(data) <= capacity + 1
    assert data.min.min() == min(values)
    assert data.max.max() == max(values)
    assert data.x[0] >= 0
    assert data.x[-1] <= len(values) - 1


def test_the_newest_point_sits_at_the_newest_step() -> None:
    """Defect: the live loss curve lagged the step counter; once points merged, the point still
    being filled was drawn at the mean step of its values, up to half a stride behind."""
    series = Series(capacity=4)
    series.extend((step, 1.0) for step in range(1, 40))
    assert series.stride > 1
    assert series.data().x[-1] == 39
