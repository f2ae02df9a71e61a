"""One shared colour scale for gradient magnitudes, and its legend.

Gradient norms span many orders of magnitude, so colour follows log10 of the norm between
two bounds. Cold (blue) is small, warm (red) is large: a vanishing profile reads as a blue
network with a red head. The editor tints nodes and edges with ``log_norm_colour`` (or a
``LogColourScale`` it keeps) and shows a ``ColourScaleLegend`` beside them, so the numbers
behind the colours are always in view.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QImage, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from playground.ui.plots.style import colormap, decade_label, lut

#: Blue - grey - red ("coolwarm"): readable as tints on light and dark canvases.
GRADIENT_STOPS = ("#3b4cc0", "#7b9ff9", "#c0c5cf", "#f49a7b", "#b40426")
_LUT = lut(colormap(GRADIENT_STOPS))
#: Colour of a missing or NaN norm: no information, not "small".
MISSING = QColor("#8a8f98")


def _log(value: float) -> float:
    return math.log10(value) if value > 0 else -math.inf


class LogColourScale:
    """Maps positive values to colours by log10 between ``lo`` and ``hi`` (clamped outside)."""

    def __init__(self, lo: float = 1e-6, hi: float = 1.0) -> None:
        self.set_range(lo, hi)

    def set_range(self, lo: float, hi: float) -> None:
        if not (0 < lo < hi) or not math.isfinite(hi):
            raise ValueError(f"a log colour scale needs 0 < lo < hi, got lo={lo}, hi={hi}")
        self.lo, self.hi = lo, hi

    @classmethod
    def around(cls, values: Iterable[float], min_decades: int = 2) -> LogColourScale:
        """A scale from the decade below the smallest positive finite value to the decade above
        the largest, at least ``min_decades`` wide (a flat profile is not stretched to the
        full colour range)."""
        logs = [math.log10(v) for v in values if math.isfinite(v) and v > 0]
        if not logs:
            return cls()
        lo, hi = math.floor(min(logs)), math.ceil(max(logs))
        extra = max(min_decades, 1) - (hi - lo)
        if extra > 0:
            lo, hi = lo - (extra + 1) // 2, hi + extra // 2
        return cls(10.0 ** lo, 10.0 ** hi)

    def fraction(self, value: float) -> float:
        """Position of ``value`` on the scale, 0 (at or below ``lo``) to 1 (at or above ``hi``);
        NaN for NaN. Zero counts as the bottom, infinity as the top."""
        if math.isnan(value):
            return math.nan
        a, b = math.log10(self.lo), math.log10(self.hi)
        return min(max((_log(value) - a) / (b - a), 0.0), 1.0)

    def colour(self, value: float, levels: int | None = None) -> QColor:
        """The colour of ``value`` (``MISSING`` grey for NaN); with ``levels``, one of that many
        evenly spaced colours of the scale (a tint that only changes when the value moves
        visibly, not at every report)."""
        t = self.fraction(value)
        if math.isnan(t):
            return QColor(MISSING)
        if levels is not None:
            t = round(t * (levels - 1)) / (levels - 1)
        r, g, b, a = _LUT[int(round(t * (len(_LUT) - 1)))]
        return QColor(int(r), int(g), int(b), int(a))

    def decades(self) -> list[int]:
        """Whole decades inside the range: where the legend puts its ticks."""
        return list(range(math.ceil(math.log10(self.lo) - 1e-9), math.floor(math.log10(self.hi) + 1e-9) + 1))


def log_norm_colour(value: float, lo: float, hi: float) -> QColor:
    """The colour of a gradient norm on the log scale from ``lo`` to ``hi`` (see module doc)."""
    return LogColourScale(lo, hi).colour(value)


class ColourScaleLegend(QWidget):
    """A horizontal colour bar with ticks at whole decades (10⁻⁶ … 10⁰) and a title.

    Theme aware: text and tick colours come from the palette at paint time.
    """

    def __init__(self, scale: LogColourScale | None = None, title: str = "gradient L2 norm",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scale = scale or LogColourScale()
        self.title = title
        self._bar = QImage(np.ascontiguousarray(_LUT[None, :, :]).data, len(_LUT), 1, 4 * len(_LUT),
                           QImage.Format.Format_RGBA8888).copy()
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def set_range(self, lo: float, hi: float) -> None:
        self.scale.set_range(lo, hi)
        self.update()

    def set_title(self, title: str) -> None:
        self.title = title
        self.update()

    def sizeHint(self) -> QSize:
        fm = QFontMetrics(self.font())
        return QSize(240, 2 * fm.height() + 22)

    def minimumSizeHint(self) -> QSize:
        return QSize(120, self.sizeHint().height())

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        fm = QFontMetrics(self.font())
        text = self.palette().color(QPalette.ColorRole.WindowText)
        margin = fm.horizontalAdvance(decade_label(-10)) // 2 + 2
        bar = QRectF(margin, fm.height() + 2, self.width() - 2 * margin, 10)
        p.setPen(text)
        p.drawText(QRectF(0, 0, self.width(), fm.height()), Qt.AlignmentFlag.AlignHCenter, self.title)
        p.drawImage(bar, self._bar)
        edge = QColor(text)
        edge.setAlphaF(0.5)
        p.setPen(QPen(edge, 1))
        p.drawRect(bar)
        a, b = math.log10(self.scale.lo), math.log10(self.scale.hi)
        decades = self.scale.decades()
        step = max(1, math.ceil(len(decades) * fm.horizontalAdvance(decade_label(-10)) * 1.4 / max(bar.width(), 1)))
        for d in decades[::step]:
            x = bar.left() + (d - a) / (b - a) * bar.width()
            p.setPen(QPen(edge, 1))
            p.drawLine(QPointF(x, bar.bottom()), QPointF(x, bar.bottom() + 3))
            p.setPen(text)
            label = decade_label(d)
            w = fm.horizontalAdvance(label)
            p.drawText(QPointF(x - w / 2, bar.bottom() + 4 + fm.ascent()), label)
        p.end()
