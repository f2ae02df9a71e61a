"""Bounded metric series for the live plots: constant memory however long a run goes.

A plot of a million steps cannot show a million points, and a run left overnight must not
grow without limit. A ``Series`` keeps at most ``capacity`` points; when it is full, neighbours
are merged pairwise and from then on every new point stands for twice as many raw values. Each
kept point remembers the mean, the minimum and the maximum of the values it stands for, so a
plot can draw the mean line with a min/max band and a single spike never disappears.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SeriesData:
    """Owned copies of a series' points, ready to hand to a plot."""

    x: np.ndarray
    mean: np.ndarray
    min: np.ndarray
    max: np.ndarray

    def __len__(self) -> int:
        return len(self.x)


class Series:
    """At most ``capacity`` points of (x, mean, min, max), plus the one still being filled;
    older parts get coarser as it grows, and every kept point stands for ``stride`` raw values.

    Non-finite values are dropped on entry: a diverging run ends in NaN, and NaN in plotted
    data breaks pyqtgraph's fast paths (STYLE.md).
    """

    def __init__(self, capacity: int = 2048) -> None:
        if capacity < 2 or capacity % 2:
            raise ValueError("capacity must be an even number of at least 2")
        self.capacity = capacity
        self._x = np.empty(capacity)
        self._mean = np.empty(capacity)
        self._min = np.empty(capacity)
        self._max = np.empty(capacity)
        self._weight = np.empty(capacity)
        self._n = 0
        #: raw values per kept point: doubles each time the buffer is halved
        self.stride = 1
        self._bucket: list[tuple[float, float]] = []

    def __len__(self) -> int:
        return self._n + (1 if self._bucket else 0)

    def append(self, x: float, y: float) -> None:
        """Add one raw value; it joins the open bucket until ``stride`` values are collected."""
        if not math.isfinite(y):
            return
        self._bucket.append((float(x), float(y)))
        if len(self._bucket) < self.stride:
            return
        if self._n == self.capacity:
            self._halve()  # the open bucket now needs twice the values, so every point weighs the same
        else:
            self._commit()

    def extend(self, points: Iterable[tuple[float, float]]) -> None:
        for x, y in points:
            self.append(x, y)

    def _commit(self) -> None:
        xs, ys = zip(*self._bucket)
        self._bucket.clear()
        i = self._n
        self._x[i] = sum(xs) / len(xs)
        self._mean[i] = sum(ys) / len(ys)
        self._min[i], self._max[i] = min(ys), max(ys)
        self._weight[i] = len(ys)
        self._n += 1

    def _halve(self) -> None:
        """Merge neighbours pairwise: weighted means, min of mins, max of maxes."""
        w = self._weight.reshape(-1, 2)
        total = w.sum(axis=1)
        half = self.capacity // 2
        for buf in (self._x, self._mean):
            buf[:half] = (buf.reshape(-1, 2) * w).sum(axis=1) / total
        self._min[:half] = self._min.reshape(-1, 2).min(axis=1)
        self._max[:half] = self._max.reshape(-1, 2).max(axis=1)
        self._weight[:half] = total
        self._n = half
        self.stride *= 2

    def data(self) -> SeriesData:
        """The kept points plus the open bucket (so the newest value shows at once)."""
        n = self._n
        x, mean, lo, hi = (b[:n].copy() for b in (self._x, self._mean, self._min, self._max))
        if self._bucket:
            xs, ys = zip(*self._bucket)
            x = np.append(x, xs[-1])  # at the newest value's x: the curve reaches the latest step
            mean = np.append(mean, sum(ys) / len(ys))
            lo, hi = np.append(lo, min(ys)), np.append(hi, max(ys))
        return SeriesData(x, mean, lo, hi)

    def last(self) -> float | None:
        """The most recent raw value's bucket mean, or None when empty."""
        if self._bucket:
            return self._bucket[-1][1]
        return float(self._mean[self._n - 1]) if self._n else None


class History:
    """Named series sharing one x axis (the training step): what the loss and accuracy plots read.

    ``add(step, train_loss=0.4, val_loss=None)`` skips the ``None`` values, so metrics that are
    only measured at epoch ends (validation) simply have fewer points.
    """

    def __init__(self, capacity: int = 2048) -> None:
        self.capacity = capacity
        self._series: dict[str, Series] = {}

    def add(self, x: float, **values: float | None) -> None:
        for name, value in values.items():
            if value is None:
                continue
            series = self._series.get(name)
            if series is None:
                series = self._series[name] = Series(self.capacity)
            series.append(x, value)

    def add_mapping(self, x: float, values: Mapping[str, float], prefix: str = "") -> None:
        """Add a dict of values (per-node gradient norms) as series named ``prefix + key``."""
        self.add(x, **{prefix + k: v for k, v in values.items()})

    def names(self) -> list[str]:
        return list(self._series)

    def __contains__(self, name: str) -> bool:
        return name in self._series

    def __getitem__(self, name: str) -> Series:
        return self._series[name]

    def clear(self) -> None:
        self._series.clear()
