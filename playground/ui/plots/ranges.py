"""Axis ranges that move in steps rather than on every redraw.

A pyqtgraph axis re-lays out its ticks, labels and grid whenever its range changes, and that
costs milliseconds of GUI-thread Python per axis; a live curve whose auto-range follows every
new point pays it on every frame, for every axis. With a little headroom the range only moves
when the data leaves it or shrinks to a fraction of it, so most frames reuse the axes as they
are (and, with the item cache ``style_plot`` turns on, Qt blits them without calling Python).
"""

from __future__ import annotations

import math

import pyqtgraph as pg

#: Room added beyond the data on the side it overflowed, as a fraction of the data's span.
HEADROOM = 0.25
#: The range is fitted again when the data spans less than this fraction of it.
SHRINK_BELOW = 0.5


def sticky_range(current: tuple[float, float] | None, lo: float, hi: float) -> tuple[float, float]:
    """The range to show data spanning ``[lo, hi]`` given the range shown now: ``current`` as
    long as it holds the data and the data fills at least ``SHRINK_BELOW`` of it; otherwise
    the data's range with ``HEADROOM`` on each side it outgrew (or exactly, after a shrink)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return current if current is not None else (lo, hi)
    span = hi - lo
    if current is None:
        return (lo, hi)
    c_lo, c_hi = current
    inside = c_lo <= lo and hi <= c_hi
    if inside and span >= SHRINK_BELOW * (c_hi - c_lo):
        return current
    if not inside and span >= SHRINK_BELOW * (max(c_hi, hi) - min(c_lo, lo)):
        room = HEADROOM * span
        return (min(c_lo, lo - room) if lo < c_lo else c_lo, max(c_hi, hi + room) if hi > c_hi else c_hi)
    return (lo, hi)


class StickyViewBox(pg.ViewBox):
    """A ViewBox whose auto-range follows the data through ``sticky_range``: pan, zoom and the
    auto-range button behave as usual, but an auto-ranged axis changes only in steps."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._envelope: list[tuple[float, float] | None] = [None, None]

    def forget_range(self) -> None:
        """Fit the next data exactly (new data that has nothing to do with the old)."""
        self._envelope = [None, None]

    def childrenBounds(self, frac=None, orthoRange=(None, None), items=None):  # noqa: N802 (Qt API)
        bounds = super().childrenBounds(frac=frac, orthoRange=orthoRange, items=items)
        if items is not None:
            return bounds
        for axis in (0, 1):
            if bounds[axis] is None:
                continue
            lo, hi = bounds[axis]
            self._envelope[axis] = sticky_range(self._envelope[axis], float(lo), float(hi))
            bounds[axis] = list(self._envelope[axis])
        return bounds
