"""Confusion matrix of the validation split: which classes the network mixes up.

Rows are true classes, columns predicted ones. Cell colour is the row-normalised share (the
recall of each true class spreads along its row), so a rare class's mistakes are as visible
as a common one's; the counts are written in the cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import QWidget

from playground.core.shapes import network_reconstructs
from playground.ui.plots.base import PlotView
from playground.ui.plots.export import Cell
from playground.ui.plots.live import AUTOENCODER_HAS_NO_CLASSES, PictureRequest, RunInfo
from playground.ui.plots.style import Caption, colormap, lut, style_plot

if TYPE_CHECKING:
    from playground.core.datasets import DatasetMeta
    from playground.core.graph import Graph

#: Classes up to which counts are written in the cells (beyond, the cells get too small).
MAX_LABELLED = 20
#: Class names longer than this are cut on the axes.
NAME_CHARS = 10


def confusion_matrix(true: Sequence[int] | np.ndarray, pred: Sequence[int] | np.ndarray, k: int) -> np.ndarray:
    """``(k, k)`` int64 counts: entry [i, j] counts samples of true class i predicted as j.
    Labels outside ``0..k-1`` are an error (they would silently vanish otherwise)."""
    t = np.asarray(true, dtype=np.int64).ravel()
    p = np.asarray(pred, dtype=np.int64).ravel()
    if t.shape != p.shape:
        raise ValueError(f"true and predicted labels differ in length: {t.size} vs {p.size}")
    if t.size and (min(t.min(), p.min()) < 0 or max(t.max(), p.max()) >= k):
        raise ValueError(f"labels must lie in 0..{k - 1}")
    return np.bincount(t * k + p, minlength=k * k).reshape(k, k)


def _short(name: str) -> str:
    return name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1] + "…"


class CellLabels(pg.GraphicsObject):
    """The counts written in the cells, as one item that draws them all in one paint: a
    ``TextItem`` per cell made the first draw of a 10-class matrix take 130 ms and every later
    one 10 ms. Text stays upright and of constant size whatever the cell size (like TextItem)."""

    def __init__(self) -> None:
        super().__init__()
        self._cells: list[tuple[float, float, str, QColor]] = []
        self._bounds = QRectF()
        self._font = QFont()
        self._font.setPointSizeF(8)

    def set_cells(self, cells: list[tuple[float, float, str, QColor]]) -> None:
        """``(x, y, text, colour)`` of each cell centre, in data coordinates."""
        if cells == self._cells:
            return
        self.prepareGeometryChange()
        self._cells = cells
        xs, ys = [c[0] for c in cells], [c[1] for c in cells]
        self._bounds = QRectF(min(xs) - 0.5, min(ys) - 0.5, max(xs) - min(xs) + 1, max(ys) - min(ys) + 1) \
            if cells else QRectF()
        self.update()

    def texts(self) -> list[str]:
        return [c[2] for c in self._cells]

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt API)
        return self._bounds

    def paint(self, p: QPainter, *_args: object) -> None:
        transform = p.transform()
        p.save()
        p.resetTransform()
        p.setFont(self._font)
        for x, y, text, colour in self._cells:
            centre = transform.map(QPointF(x, y))
            p.setPen(colour)
            p.drawText(QRectF(centre.x() - 40, centre.y() - 10, 80, 20), Qt.AlignmentFlag.AlignCenter, text)
        p.restore()


class ConfusionView(PlotView):
    """``set_matrix(matrix, class_names)``: counts in cells, row-normalised colour, accuracy
    in the title."""

    dock_id = "confusion"
    dock_title = "Confusion"
    export_name = "confusion_matrix"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Confusion matrix", parent)
        self._matrix = np.zeros((0, 0), np.int64)
        self._names: list[str] = []
        self._classes: list[str] = []
        self._ticked: list[str] | None = None

        self.caption = Caption("")
        self.plot = pg.PlotItem()
        self.plot.setAspectLocked(True)
        self.plot.invertY(True)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.setLabel("bottom", "predicted")
        self.plot.setLabel("left", "true")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.cells = CellLabels()
        self.plot.addItem(self.cells)
        self.graphics.addItem(self.caption, row=0, col=0)
        self.graphics.addItem(self.plot, row=1, col=0)
        self._apply_theme()
        self.schedule()

    def set_matrix(self, matrix: np.ndarray, class_names: Sequence[str] = ()) -> None:
        """Counts ``(K, K)``, rows true, columns predicted; names default to 0..K-1."""
        m = np.asarray(matrix, dtype=np.int64)
        if m.ndim != 2 or m.shape[0] != m.shape[1]:
            raise ValueError(f"a confusion matrix is square, got shape {m.shape}")
        self._matrix = m
        self._names = [str(n) for n in class_names][: len(m)] + [str(i) for i in range(len(class_names), len(m))]
        self.schedule()

    def class_names(self) -> list[str]:
        """The class names on the axes."""
        return list(self._ticked or [])

    def matrix(self) -> np.ndarray:
        return self._matrix.copy()

    def accuracy(self) -> float | None:
        """Share of the diagonal, or None without samples."""
        total = int(self._matrix.sum())
        return float(np.trace(self._matrix)) / total if total else None

    def clear(self) -> None:
        self.set_matrix(np.zeros((0, 0), np.int64))
        self.flush()

    # ------------------------------------------------------------------ live-view protocol
    def not_applicable(self, meta: DatasetMeta) -> str | None:
        if meta.target_kind == "classification" and not meta.per_step_targets:
            return None
        if meta.target_kind == "classification":
            return ("It counts which classes are mixed up, one answer per example; this dataset asks for one at "
                    "every position of a sequence. The Text view shows how sure the network is of each character.")
        return "It counts which classes are mixed up; this dataset's targets are numbers (regression)."

    def network_reason(self, graph: Graph) -> str | None:
        return AUTOENCODER_HAS_NO_CLASSES if network_reconstructs(graph) else None

    def on_run_started(self, info: RunInfo, previous: str | None) -> None:
        super().on_run_started(info, previous)
        self._classes = list(info.meta.class_names) or [str(k) for k in range(info.meta.target_size)]

    def picture_requests(self, info: RunInfo) -> list[PictureRequest]:
        if not info.classifies or self.run_reason(info) is not None:
            return []
        from playground.core.pictures import validation_predictions

        return [PictureRequest("predictions", validation_predictions)]

    def on_picture(self, key: str, value: Any) -> None:
        k = len(self._classes)
        self.set_matrix(confusion_matrix(value.true, value.predicted, k), self._classes)

    # ------------------------------------------------------------------ drawing
    def _shares(self) -> np.ndarray:
        rows = self._matrix.sum(axis=1, keepdims=True)
        return np.divide(self._matrix, rows, out=np.zeros(self._matrix.shape), where=rows > 0).astype(np.float32)

    def _redraw(self) -> None:
        c = self.colors
        k = len(self._matrix)
        accuracy = self.accuracy()
        self.image.setVisible(k > 0)
        if accuracy is None:
            self.caption.setText("No validation results yet", color=c.hex(c.dim), size="9pt")
        else:
            self.caption.setText(f"<b>Validation accuracy {100 * accuracy:.1f}%</b> · "
                                 f"{int(self._matrix.sum()):,} samples · colour: share of each true class",
                                 color=c.hex(), size="9pt")
        if self._names != self._ticked:  # new ticks re-lay out both axes: only when they change
            self._ticked = list(self._names)
            ticks = [[(i + 0.5, _short(n)) for i, n in enumerate(self._names)]]
            self.plot.getAxis("bottom").setTicks(ticks)
            self.plot.getAxis("left").setTicks(ticks)
            self.plot.setRange(xRange=(0, max(k, 1)), yRange=(0, max(k, 1)), padding=0.02)
        if k == 0:  # no classes named on the axes either: they may be another project's
            self.cells.set_cells([])
            return
        shares = self._shares()
        self.image.setImage(shares, autoLevels=False, levels=(0.0, 1.0), lut=self._lut)
        self.image.setRect(0, 0, k, k)
        if k <= MAX_LABELLED:
            self.cells.set_cells([(j + 0.5, i + 0.5, f"{self._matrix[i, j]:,}",
                                   self._ink(float(shares[i, j]), self._matrix[i, j] == 0))
                                  for i in range(k) for j in range(k)])
        else:
            self.cells.set_cells([])

    def _ink(self, share: float, zero: bool) -> QColor:
        """Text colour readable on the cell's colour (light on dark cells, dark on pale ones);
        zeros are faint so that the mistakes stand out."""
        r, g, b, _ = self._lut[int(share * (len(self._lut) - 1))]
        light = 0.299 * r + 0.587 * g + 0.114 * b > 140
        ink = QColor("#1d2330" if light else "#ffffff")
        ink.setAlphaF(0.35 if zero else 1.0)
        return ink

    def _apply_theme(self) -> None:
        c = self.colors
        style_plot(self.plot, c, grid=False)
        # from the background towards the strongest contrast with it
        stops = ((c.background.lighter(125), "#2f6fe0", "#a9cbff") if c.dark
                 else (c.background.darker(103), "#4a86e8", "#163f8f"))
        self._lut = lut(colormap(stops))

    # ------------------------------------------------------------------ export
    def data_table(self) -> tuple[list[str], list[list[Cell]]]:
        """The counts: one row per true class, one column per predicted class."""
        header = ["true \\ predicted", *self._names]
        return header, [[self._names[i], *map(int, row)] for i, row in enumerate(self._matrix)]
