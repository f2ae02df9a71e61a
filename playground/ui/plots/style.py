"""Colours, colour maps and axis styling shared by every live view, for light and dark themes.

Views never hard-code a colour: they ask ``PlotColors.of(widget)`` (derived from the widget's
palette, which ``ui.theme`` sets for the whole app) and re-apply it when the palette changes,
so one appearance switch restyles every plot. Colour maps are 256-entry ``uint8`` lookup
tables (STYLE.md: ImageItem is fastest with a LUT of 256 entries or fewer).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPalette
from PySide6.QtWidgets import QGraphicsItem, QSizePolicy, QWidget

#: Tableau-10 order: train is blue, validation orange, then the rest for classes and runs.
_CATEGORICAL_LIGHT = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
#: The same hues lifted for dark backgrounds, so thin lines keep their contrast.
_CATEGORICAL_DARK = ("#4ea1ea", "#ffa14a", "#5cc85c", "#ff6b6b", "#b995e6",
                     "#c49a8c", "#f59ad6", "#b0b0b0", "#d8d94a", "#3fd6e6")

#: TensorFlow Playground's two-class colours: orange for class 0 (its -1), blue for class 1.
CLASS0_ORANGE = "#f59322"
CLASS1_BLUE = "#0877bd"

#: Tick font of every plot: pyqtgraph's default is too small on high-DPI screens.
TICK_POINT_SIZE = 8.5


@dataclass(frozen=True)
class PlotColors:
    """The colours a view needs, derived from a Qt palette."""

    dark: bool
    background: QColor
    foreground: QColor
    dim: QColor
    grid: QColor
    warning: QColor
    error: QColor
    categorical: tuple[QColor, ...]

    @classmethod
    def of(cls, widget: QWidget) -> PlotColors:
        """The colours matching ``widget``'s current palette."""
        return cls.from_palette(widget.palette())

    @classmethod
    def from_palette(cls, palette: QPalette) -> PlotColors:
        role = QPalette.ColorRole
        background = palette.color(role.Base)
        foreground = palette.color(role.Text)
        dark = background.lightness() < 128
        dim = QColor(foreground)
        dim.setAlphaF(0.6)
        grid = QColor(foreground)
        grid.setAlphaF(0.12)
        return cls(
            dark=dark,
            background=background,
            foreground=foreground,
            dim=dim,
            grid=grid,
            warning=QColor("#f0a020" if dark else "#c77700"),
            error=QColor("#ff6b6b" if dark else "#d93838"),
            categorical=tuple(QColor(c) for c in (_CATEGORICAL_DARK if dark else _CATEGORICAL_LIGHT)),
        )

    def series(self, i: int) -> QColor:
        """The i-th categorical colour (cycling): runs, classes, curves without a natural order."""
        return QColor(self.categorical[i % len(self.categorical)])

    def depth(self, fraction: float) -> QColor:
        """A colour for a position from input (0) to output (1) on a perceptual sequential map,
        using the part of viridis that stays readable on this background."""
        lo, hi = (0.25, 1.0) if self.dark else (0.0, 0.85)
        return pg.colormap.get("viridis").map(lo + (hi - lo) * min(max(fraction, 0.0), 1.0), mode="qcolor")

    def hex(self, color: QColor | None = None) -> str:
        """``#rrggbb`` of a colour (the foreground by default), for rich-text labels."""
        return (color or self.foreground).name()


def faded(color: QColor, alpha: float) -> QColor:
    """A copy of ``color`` with the given opacity (previous runs, bands, overlays)."""
    c = QColor(color)
    c.setAlphaF(alpha)
    return c


def style_plot(plot: pg.PlotItem, colors: PlotColors, *, grid: bool = True) -> None:
    """Axis lines, tick labels and title in the theme's colours, a light grid, readable ticks."""
    for name in ("left", "bottom", "right", "top"):
        style_axis(plot.getAxis(name), colors)
    plot.titleLabel.item.setDefaultTextColor(colors.foreground)
    if grid:
        plot.showGrid(x=True, y=True, alpha=colors.grid.alphaF())


def style_axis(axis: pg.AxisItem, colors: PlotColors) -> None:
    """Axis line, ticks and labels in the theme's colours with readable ticks, drawn once."""
    font = QFont()
    font.setPointSizeF(TICK_POINT_SIZE)
    axis.setPen(pg.mkPen(colors.dim))
    axis.setTextPen(pg.mkPen(colors.foreground))
    axis.setStyle(tickFont=font)
    axis.label.setDefaultTextColor(colors.foreground)
    plain_numbers(axis)
    # Qt keeps the drawn axis (ticks, labels, grid) as a pixmap and repaints it without calling
    # pyqtgraph's Python paint until the axis changes: a redrawn curve no longer replays every
    # axis picture (5 ms each with a grid) under it.
    axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


def plain_numbers(axis: pg.AxisItem) -> None:
    """Tick labels in plain numbers, a loss of 0.65 reading "0.65" rather than "650" under a
    "(x0.001)" label, whatever the axis' range is now or later.

    pyqtgraph's ``enableAutoSIPrefix(False)`` is not enough: it first recomputes the prefix
    from the current range (``updateAutoSIPrefix`` runs even when disabling) and then keeps
    that scale for good, so a theme switch while a loss axis spanned 0.4-0.8 froze its ticks
    at "400".."800". The scale is put back to 1 after disabling.
    """
    axis.enableAutoSIPrefix(False)
    if axis.autoSIPrefixScale != 1.0 or axis.labelUnitPrefix:
        axis.autoSIPrefixScale = 1.0
        axis.labelUnitPrefix = ""
        axis._updateLabel()
        axis.picture = None
        axis.update()


def style_legend(legend: pg.LegendItem, colors: PlotColors) -> None:
    """Legend text in the foreground colour (existing entries too) on a translucent background."""
    legend.setLabelTextColor(colors.foreground)
    for _sample, label in legend.items:
        label.setText(label.text, color=colors.hex())
    legend.setBrush(pg.mkBrush(faded(colors.background, 0.8)))


class Caption(pg.LabelItem):
    """A text label that never widens the layout: pyqtgraph makes a label's minimum width its
    text width (again on every resize), so a long caption would push the plots out of a narrow
    dock. A caption too long for its width wraps onto more lines instead (never cut), and asks
    the layout only for the height that takes."""

    def resizeEvent(self, ev: object) -> None:  # noqa: N802 (Qt API)
        self._wrap()
        super().resizeEvent(ev)

    def _wrap(self) -> None:
        item = self.item
        item.setTextWidth(-1)
        width = self.width()
        if width > 1 and item.boundingRect().width() > width:
            item.setTextWidth(width)
        option = item.document().defaultTextOption()
        align = {"left": Qt.AlignmentFlag.AlignLeft, "right": Qt.AlignmentFlag.AlignRight}.get(
            self.opts.get("justify", "center"), Qt.AlignmentFlag.AlignHCenter)
        if option.alignment() != align:
            option.setAlignment(align)
            item.document().setDefaultTextOption(option)

    def updateMin(self) -> None:
        super().updateMin()
        self.setMinimumWidth(0)
        self.setPreferredWidth(0)


class LayoutLegend(pg.LegendItem):
    """A legend that is a cell of the canvas' layout (above or beside a plot) instead of floating
    over the plot, where it hid the newest points of the curves. It is as large as its entries,
    cannot be dragged away, and ``fit_width`` spreads its entries over as many columns as fit."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(offset=None, **kwargs)
        self.layout.setContentsMargins(2, 0, 2, 0)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Maximum)

    def updateSize(self) -> None:
        # pyqtgraph moves a legend to (0, 0) here; the canvas' layout places this one
        self.layout.invalidate()
        self.updateGeometry()

    def mouseDragEvent(self, ev: object) -> None:  # noqa: N802 (Qt API)
        ev.ignore()

    def entry_width(self) -> float:
        """Width of the widest entry (sample and label)."""
        return max((sample.boundingRect().width() + label.boundingRect().width() + 2 * self.layout.horizontalSpacing()
                    for sample, label in self.items), default=0.0)

    def fit_width(self, width: float) -> None:
        """As many columns as fit in ``width`` pixels (one entry per row when none fit)."""
        entry = self.entry_width()
        columns = max(1, min(len(self.items), int(width // entry) if entry > 0 else 1))
        self.setColumnCount(columns)


def bare_image_box(box: pg.ViewBox) -> None:
    """A view box for showing a picture: square pixels, top row at the top, no mouse zoom."""
    box.setAspectLocked(True)
    box.invertY(True)
    box.setMouseEnabled(False, False)
    box.setMenuEnabled(False)


# --------------------------------------------------------------------------- colour maps

def colormap(stops: Sequence[str | QColor]) -> pg.ColorMap:
    """A colour map through evenly spaced colour stops."""
    return pg.ColorMap(np.linspace(0.0, 1.0, len(stops)), [QColor(s) for s in stops])


def lut(cmap: pg.ColorMap, n: int = 256) -> np.ndarray:
    """The ``(n, 4)`` uint8 RGBA lookup table of a colour map."""
    return cmap.getLookupTable(0.0, 1.0, n, alpha=True)


def diverging_map(colors: PlotColors) -> pg.ColorMap:
    """Blue (negative) - neutral - red (positive), for signed weights and maps with symmetric
    levels. The neutral centre is pale in both themes: zero should read as 'nothing'."""
    return colormap(("#2166ac", "#67a9cf", "#d8d8d8" if colors.dark else "#f2f2f2", "#ef8a62", "#b2182b"))


def sequential_map() -> pg.ColorMap:
    """Dark to bright (inferno) for magnitudes such as unsigned saliency."""
    return pg.colormap.get("inferno")


def two_class_map(colors: PlotColors) -> pg.ColorMap:
    """TensorFlow Playground's boundary map: orange (class 0) through a shade of the background
    to blue (class 1), so an undecided region looks empty in either theme."""
    mid = QColor(colors.background)
    return colormap((CLASS0_ORANGE, mid.lighter(112) if colors.dark else mid.darker(104), CLASS1_BLUE))


def apply_lut(values: np.ndarray, table: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Map float values through a LUT to RGBA uint8 (NaN -> transparent): for pictures that are
    composed by hand (tiles with gaps, overlays) rather than drawn by an ImageItem with levels."""
    v = np.asarray(values, dtype=np.float32)
    span = hi - lo if hi > lo else 1.0
    idx = np.clip((np.nan_to_num(v, nan=lo) - lo) / span * (len(table) - 1), 0, len(table) - 1).astype(np.intp)
    out = table[idx].copy()
    out[np.isnan(v), 3] = 0
    return out


def symmetric_level(values: np.ndarray) -> float:
    """The largest finite magnitude (at least a tiny positive number): a diverging map runs
    from minus this to plus this, so zero always sits on the neutral colour."""
    finite = np.abs(values[np.isfinite(values)])
    peak = float(finite.max()) if finite.size else 0.0
    return peak if peak > 0 else 1e-12


# --------------------------------------------------------------------------- log axes

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def decade_label(exponent: float) -> str:
    """``10⁻³`` for -3: tick text of axes that plot log10 of a value."""
    return "10" + str(int(round(exponent))).translate(_SUPERSCRIPT)


class DecadeAxis(pg.AxisItem):
    """An axis for data already in log10 units: major ticks at whole decades labelled 10ⁿ, minor
    ticks at 2..9 x 10ⁿ; when less than two decades are in view the 2 and 5 ticks get labels
    too (2·10⁻³), so a narrow range is never left with a single number.

    Used where pyqtgraph's own log mode does not apply (bar charts) or where a shared look
    matters (the gradient plots read the same way).
    """

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, list[float]]]:
        if not (math.isfinite(minVal) and math.isfinite(maxVal)) or maxVal <= minVal:
            return []
        span = maxVal - minVal
        step = max(1, math.ceil(span / max(2, int(size / 45))))
        first = math.ceil(minVal / step) * step
        major = [float(v) for v in np.arange(first, maxVal + 1e-9, step)]
        if step > 1:
            return [(float(step), major)]
        decades = np.arange(math.floor(minVal), math.ceil(maxVal) + 1)
        minor = np.log10(np.arange(2, 10))[None, :] + decades[:, None]
        minor = [float(v) for v in minor.ravel() if minVal <= v <= maxVal]
        return [(1.0, major), (0.1, minor)]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        if spacing >= 1:
            return [decade_label(v) for v in values]
        view = self.range
        narrow = view[1] - view[0] < 2
        labels = []
        for v in values:
            exponent = math.floor(v + 1e-9)
            mantissa = round(10 ** (v - exponent))
            labels.append(f"{mantissa}·{decade_label(exponent)}" if narrow and mantissa in (2, 5) else "")
        return labels


def _coarser(spacing: float) -> float:
    """The next "nice" tick spacing above ``spacing``: 1, 2, 5, 10, 20, 50 ... times a power of ten."""
    power = 10.0 ** math.floor(math.log10(spacing))
    mantissa = spacing / power
    return (2.0 if mantissa < 1.5 else 5.0 if mantissa < 3.5 else 10.0) * power


class RoomyAxis(pg.AxisItem):
    """A horizontal axis whose labelled ticks leave room between their labels. pyqtgraph picks
    the spacing from the axis' length alone, so in a narrow dock a step axis read
    "0200040006000": here the spacing grows (1, 2, 5 times a power of ten) until the labels,
    as wide as the widest of them, fit with ``GAP`` pixels between each two."""

    #: Pixels kept free between two tick labels.
    GAP = 10

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, float]]:  # noqa: N802, N803
        levels = super().tickSpacing(minVal, maxVal, size)
        if not levels or self.orientation not in ("bottom", "top") or size <= 0:
            return levels
        span = abs(maxVal - minVal)
        metrics = QFontMetrics(self.style.get("tickFont") or QFont())
        major = levels[0][0]
        while True:
            ends = [round(v / major) * major for v in (minVal, maxVal)]
            width = max(metrics.horizontalAdvance(text) for text in self.tickStrings(ends, 1.0, major)) + self.GAP
            if (span / major + 1) * width <= size:
                break
            major = _coarser(major)
        if major == levels[0][0]:
            return levels
        return [(major, 0.0), *[level for level in levels[1:] if level[0] < major][:1]]
