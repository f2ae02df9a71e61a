"""Axis ranges that move in steps rather than on every redraw.

A pyqtgraph axis re-lays out its ticks, labels and grid whenever its range changes, and that
costs milliseconds of GUI-thread Python per axis; a live curve whose auto-range follows every
new point pays it on every frame, for every axis. With a little headroom the range only moves
when the data leaves it or shrinks to a fraction of it, so most frames reuse the axes as they
are (and, with the item cache ``style_axis`` turns on, Qt blits them without calling Python).
"""

from __future__ import annotations

import math

import pyqtgraph as pg

#: Room added beyond the data on the side it overflowed, as a fraction of the data's span.
HEADROOM = 0.25
#: Data this far outside the range (as a fraction of it) still counts as inside: the plot's own
#: padding shows it, and pyqtgraph widens a curve's bounds by its symbols' size in pixels, which
#: would otherwise push the range out by a little on every frame.
TOLERANCE = 0.03
#: A box smaller than this (pixels) is being laid out: its bounds are not used for the envelope.
MIN_PIXELS = 50
#: The range is fitted again when the data spans less than this fraction of it.
SHRINK_BELOW = 0.5


def sticky_range(current: tuple[float, float] | None, lo: float, hi: float,
                 tolerance: float = TOLERANCE) -> tuple[float, float]:
    """The range to show data spanning ``[lo, hi]`` given the range shown now: ``current`` as
    long as it holds the data (give or take ``tolerance`` of it) and the data fills at least
    ``SHRINK_BELOW`` of it; otherwise the data's range with ``HEADROOM`` on each side it
    outgrew (or exactly, after a shrink)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return current if current is not None else (lo, hi)
    span = hi - lo
    if current is None:
        return (lo, hi)
    c_lo, c_hi = current
    slack = tolerance * (c_hi - c_lo)
    below, above = lo < c_lo - slack, hi > c_hi + slack
    if not (below or above) and span >= SHRINK_BELOW * (c_hi - c_lo):
        return current
    if (below or above) and span >= SHRINK_BELOW * (max(c_hi, hi) - min(c_lo, lo)):
        room = HEADROOM * span
        return (lo - room if below else min(c_lo, lo), hi + room if above else max(c_hi, hi))
    return (lo, hi)


class StickyViewBox(pg.ViewBox):
    """A ViewBox whose auto-range follows the data through ``sticky_range``: pan, zoom and the
    auto-range button behave as usual, but an auto-ranged axis changes only in steps."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._envelope: list[tuple[float, float] | None] = [None, None]
        #: per axis, bounds the headroom never crosses (a loss is never below 0, a run never
        #: longer than its steps); data beyond them is still shown
        self.fences: list[tuple[float | None, float | None]] = [(None, None), (None, None)]

    def start_afresh(self) -> None:
        """Forget the data's envelope and show pyqtgraph's empty range (0 to 1 on both axes)
        until data comes, auto-ranging again: another project's plot must not keep the last
        one's axes."""
        self._envelope = [None, None]
        self.setRange(xRange=(0.0, 1.0), yRange=(0.0, 1.0), padding=0)
        self.enableAutoRange()

    def set_fence(self, axis: int, lo: float | None, hi: float | None) -> None:
        """Keep the auto-range's headroom on ``axis`` (0: x, 1: y) within ``[lo, hi]``."""
        self.fences[axis] = (lo, hi)
        self._envelope[axis] = None

    def childrenBounds(self, frac=None, orthoRange=(None, None), items=None):  # noqa: N802 (Qt API)
        bounds = super().childrenBounds(frac=frac, orthoRange=orthoRange, items=items)
        if items is not None:
            return bounds
        for axis, pixels in ((0, self.width()), (1, self.height())):
            # while the box is being laid out it can be a few pixels wide, and the symbols'
            # padding, a few pixels, then spans half the data: no envelope from that
            if bounds[axis] is None or pixels < MIN_PIXELS:
                continue
            lo, hi = bounds[axis]
            # the padding pyqtgraph adds around the range shows data that far outside it
            e_lo, e_hi = sticky_range(self._envelope[axis], float(lo), float(hi),
                                      max(TOLERANCE, self.suggestPadding(axis)))
            floor, ceiling = self.fences[axis]
            if floor is not None:
                e_lo = max(e_lo, min(floor, float(lo)))
            if ceiling is not None:
                e_hi = min(e_hi, max(ceiling, float(hi)))
            self._envelope[axis] = (e_lo, e_hi)
            bounds[axis] = [e_lo, e_hi]
        return bounds
