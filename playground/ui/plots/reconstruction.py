"""An autoencoder at work: what it gives back, and the code it squeezes the input through.

Three panels, all from one picture the training thread computes between steps
(``playground.core.reconstruction``):

- a strip of validation examples: the originals, the corrupted inputs the network learns from
  (a denoising autoencoder: Noise, or Dropout as masking noise, reading the Input), and the
  reconstructions, all on the originals' grey scale so the reconstructions sharpen visibly;
- the code of the validation examples as points coloured by class: the code itself when it has
  two units, else its first two principal components (the caption says how much of the code's
  variance they keep), so a person sees whether the code separates the classes it was never
  told about;
- for a two-unit code, images decoded from a grid over the code plane (its span drawn on the
  scatter): what each region of the code stands for.

The view applies to image datasets, and during a run to networks whose Output has target
"input"; a classifier's run covers it with the reason.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import QComboBox, QWidget

from playground.core.shapes import network_reconstructs
from playground.ui.plots.base import PlotView
from playground.ui.plots.export import Cell
from playground.ui.plots.filters import tile
from playground.ui.plots.live import PictureRequest, RunInfo, describe_input
from playground.ui.plots.style import (
    Caption,
    LayoutLegend,
    bare_image_box,
    colormap,
    faded,
    lut,
    style_legend,
    style_plot,
)
from playground.ui.plots.tool_row import labelled

if TYPE_CHECKING:
    from playground.core.datasets import DatasetMeta
    from playground.core.graph import Graph
    from playground.core.reconstruction import CodeScatter, DecodedGrid, ReconstructionPicture, Samples

PLACEHOLDER = ("No reconstructions yet: an autoencoder (an Output with target 'input') shows here what it gives "
               "back and the code it learns once it trains (F5).")
#: What covers the view when the run's network predicts labels instead of its input.
NOT_AN_AUTOENCODER = ("This network predicts the dataset's labels. An autoencoder's Output has target 'input': "
                      "the network gives back its own input through a narrow code, and this view shows the "
                      "reconstructions and that code.")
#: Points drawn in the code scatter (the core sends at most this many anyway).
POINT_SIZE = 5
#: The code chooser's first entry: the core's own choice, the narrowest layer.
NARROWEST = "narrowest"


def _rows(samples: Samples) -> list[tuple[str, np.ndarray]]:
    """The strip's rows, top to bottom: name and ``(n, C, H, W)`` images."""
    rows = [("original", samples.originals)]
    if samples.corrupted is not None:
        rows.append(("corrupted", samples.corrupted))
    rows.append(("reconstruction", samples.reconstructions))
    return rows


def _grey(images: np.ndarray) -> np.ndarray:
    """``(n, C, H, W)`` -> ``(n, H, W)``: the one channel of a grey image, the mean of several
    (a colour image's brightness)."""
    a = np.nan_to_num(np.asarray(images, dtype=np.float32))
    return a[:, 0] if a.shape[1] == 1 else a.mean(axis=1)


class ReconstructionView(PlotView):
    """``set_picture(picture)`` draws a ``ReconstructionPicture``; ``set_class_names`` names the
    scatter's classes in its legend."""

    dock_id = "reconstruction"
    dock_title = "Reconstruction"
    overview = "picture"
    export_name = "reconstruction"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Autoencoder", parent)
        self._picture: ReconstructionPicture | None = None
        self._names: list[str] = []
        self._labels: dict[str, str] = {}
        self._levels = (0.0, 1.0)
        #: the node a person picked as the code (None: the narrowest, as the core chooses)
        self._code: str | None = None

        self.code_box = QComboBox()
        self.code_box.setToolTip("Which layer's values the scatter draws as the code: by default the narrowest "
                                 "layer every path from Input to Output runs through; any other such layer can "
                                 "be picked (the decoded grid needs a code of two units).")
        self.code_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.code_box.addItem(NARROWEST, None)
        self.code_box.activated.connect(self._code_picked)
        self.add_tool(labelled("code", self.code_box))

        self.caption = Caption(PLACEHOLDER)
        self.caption.setToolTip("The code is the narrowest layer every path from Input to Output runs through. "
                                "A code of more than two values is drawn by PCA: its first two principal "
                                "components (PC 1, PC 2) are the directions in which the validation codes vary "
                                "most; the percentages say how much of the codes' variance each keeps.")
        self.strip_box = pg.ViewBox()
        bare_image_box(self.strip_box)
        self.strip = pg.ImageItem(axisOrder="row-major")
        self.strip_box.addItem(self.strip)
        self.strip_caption = Caption("")
        self.strip_caption.setToolTip("Validation examples, the same ones at every picture. Top: the originals; "
                                      "then, for a denoising autoencoder, the input as corrupted in training; "
                                      "bottom: what the network gives back. One grey scale for all rows: the "
                                      "originals' range.")

        self.scatter_plot = pg.PlotItem()
        self.scatter_plot.setMenuEnabled(False)
        self.scatter_plot.hideButtons()
        self.scatter_plot.setToolTip("The code of each validation example (up to 1,000) as a point coloured by "
                                     "its class. The network was never told the classes: where they separate, "
                                     "the code has found what tells the digits apart.")
        self.legend = LayoutLegend(labelTextSize="8pt")
        self._points: list[pg.ScatterPlotItem] = []
        self.span = pg.PlotCurveItem()
        self.scatter_plot.addItem(self.span)

        self.grid_box = pg.ViewBox()
        bare_image_box(self.grid_box)
        self.grid_image = pg.ImageItem(axisOrder="row-major")
        self.grid_box.addItem(self.grid_image)
        self.grid_box.setToolTip("Images the decoder makes from a grid of codes over the dashed rectangle in "
                                 "the scatter, laid out as the scatter is: unit 1 grows to the right, unit 2 "
                                 "upwards.")

        self.graphics.addItem(self.caption, row=0, col=0, colspan=2)
        self.graphics.addItem(self.strip_box, row=1, col=0, colspan=2)
        self.graphics.addItem(self.strip_caption, row=2, col=0, colspan=2)
        self.graphics.addItem(self.scatter_plot, row=3, col=0)
        self.graphics.addItem(self.grid_box, row=3, col=1)
        self.graphics.addItem(self.legend, row=4, col=0, colspan=2)
        layout = self.graphics.ci.layout
        layout.setRowStretchFactor(1, 3)
        layout.setRowStretchFactor(3, 5)
        self._apply_theme()
        self.schedule()

    # ------------------------------------------------------------------ feeding
    def set_picture(self, picture: ReconstructionPicture | None) -> None:
        """Show this picture (None: nothing yet)."""
        self._picture = picture
        self._fill_code_box(self._candidates())
        self.schedule()

    def set_class_names(self, names: list[str], node_labels: dict[str, str] | None = None) -> None:
        """Class names for the legend and display names of nodes ("Dense 'code'")."""
        self._names = list(names)
        self._labels = dict(node_labels or {})
        self.schedule()

    def clear(self) -> None:
        self.set_picture(None)
        self.flush()

    def reset(self) -> None:
        self.pick_code(None)
        super().reset()

    def pick_code(self, node_id: str | None) -> None:
        """Draw ``node_id``'s values as the code from the next picture on (None: the narrowest)."""
        self._code = node_id
        self._fill_code_box(self._candidates())
        self.picturesWanted.emit()

    def _code_picked(self, index: int) -> None:
        self.pick_code(self.code_box.itemData(index))

    def _candidates(self) -> tuple[str, ...]:
        code = self._picture.code if self._picture is not None else None
        return code.candidates if code is not None else ()

    def _fill_code_box(self, candidates: tuple[str, ...]) -> None:
        """The chooser lists the candidates of the network on show, the pick selected."""
        with QSignalBlocker(self.code_box):
            if tuple(self.code_box.itemData(i) for i in range(1, self.code_box.count())) != candidates:
                while self.code_box.count() > 1:
                    self.code_box.removeItem(1)
                for node_id in candidates:
                    self.code_box.addItem(self._labels.get(node_id, node_id), node_id)
            self.code_box.setCurrentIndex(max(0, self.code_box.findData(self._code)) if self._code else 0)

    # ------------------------------------------------------------------ live-view protocol
    def not_applicable(self, meta: DatasetMeta) -> str | None:
        if meta.is_image:
            return None
        return ("Reconstructions are drawn as pictures of the input, so they need images; this dataset has "
                f"{describe_input(meta)}.")

    def network_reason(self, graph: Graph) -> str | None:
        return None if network_reconstructs(graph) else NOT_AN_AUTOENCODER

    def on_run_started(self, info: RunInfo, previous: str | None) -> None:
        self.show_reason(self.run_reason(info))
        self.set_class_names(list(info.meta.class_names), info.labels)
        self.clear()

    def _key(self) -> str:
        return "reconstruction" if self._code is None else f"reconstruction:{self._code}"

    def picture_requests(self, info: RunInfo) -> list[PictureRequest]:
        if self.reason_shown() is not None:
            return []
        from playground.core.reconstruction import reconstruction_picture

        return [PictureRequest(self._key(), partial(reconstruction_picture, code=self._code))]

    def on_picture(self, key: str, value: Any) -> None:
        if key != self._key():  # computed for the code picked before the last pick
            return
        self.set_picture(value)

    # ------------------------------------------------------------------ drawing
    def _redraw(self) -> None:
        picture = self._picture
        has = picture is not None
        for item in (self.strip, self.scatter_plot, self.legend):
            item.setVisible(has)
        if picture is None:
            self.grid_box.setVisible(False)
            self.strip_caption.setText("")
            self.caption.setText(PLACEHOLDER, color=self.colors.hex(self.colors.dim))
            return
        self._draw_samples(picture.samples)
        self._draw_code(picture.code, picture.grid)
        self._draw_grid(picture.grid)
        self.caption.setText(self._headline(picture), color=self.colors.hex(), size="9pt")

    def _draw_samples(self, samples: Samples) -> None:
        rows = _rows(samples)
        originals = _grey(samples.originals)
        lo, hi = (float(originals.min()), float(originals.max())) if originals.size else (0.0, 1.0)
        self._levels = (lo, hi if hi > lo else lo + 1.0)
        n = len(samples.originals)
        self.strip.setImage(tile(np.concatenate([_grey(images) for _, images in rows]), max(n, 1)),
                            autoLevels=False, levels=self._levels, lut=self._lut)
        self.strip_box.autoRange(padding=0.01)
        names = " · ".join(name for name, _ in rows)
        self.strip_caption.setText(f"rows: {names}", color=self.colors.hex(), size="8.5pt")

    def _draw_code(self, code: CodeScatter | None, grid: DecodedGrid | None) -> None:
        self.scatter_plot.setVisible(code is not None)
        self.legend.setVisible(code is not None)
        if code is None:
            return
        labels = code.labels if len(code.labels) == len(code.points) else np.zeros(len(code.points), np.int64)
        classes = np.unique(labels)
        while len(self._points) < len(classes):
            item = pg.ScatterPlotItem(size=POINT_SIZE, pen=None)
            self._points.append(item)
            self.scatter_plot.addItem(item)
        self.legend.clear()
        for i, item in enumerate(self._points):
            if i >= len(classes):
                item.setData([], [])
                continue
            chosen = labels == classes[i]
            item.setData(code.points[chosen, 0], code.points[chosen, 1],
                         brush=pg.mkBrush(faded(self.colors.series(int(classes[i])), 0.75)))
            if len(code.labels):
                self.legend.addItem(item, self._class_name(int(classes[i])))
        self.legend.fit_width(max(self.graphics.ci.width() - 16, 120.0))
        style_legend(self.legend, self.colors)
        if grid is not None:
            x0, x1, y0, y1 = float(grid.xs[0]), float(grid.xs[-1]), float(grid.ys[0]), float(grid.ys[-1])
            self.span.setData([x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0])
        else:
            self.span.setData([], [])
        self.scatter_plot.autoRange(padding=0.05)
        if code.projected:
            # short: the left axis label must fit the height of a small dock's scatter
            axes = (f"PC 1 ({code.explained[0]:.0%})", f"PC 2 ({code.explained[1]:.0%})")
        else:
            axes = ("code unit 1", "code unit 2")
        self.scatter_plot.setLabel("bottom", axes[0])
        self.scatter_plot.setLabel("left", axes[1])

    def _headline(self, picture: ReconstructionPicture) -> str:
        """The error of the shown reconstructions and which node is the code, drawn how."""
        errors = picture.samples.errors
        error = f"squared error {float(np.mean(errors)):.3g}" if len(errors) else ""
        code = picture.code
        if code is None:
            return f"<b>Reconstructions</b> · {error} · no node that every path runs through, so no code to draw"
        node = self._labels.get(code.node_id, code.node_id)
        if code.projected:
            how = f"{code.units} values, by PCA: PC 1 and 2 keep {sum(code.explained):.0%} of their variance"
        else:
            how = "2 units"
        grid = picture.grid
        decoded = (f" · right: decoded from {len(grid.xs)}×{len(grid.ys)} codes in the dashed box"
                   if grid is not None else "")
        return f"<b>Reconstructions</b> · {error} · <b>code</b> {node} ({how}){decoded}"

    def _draw_grid(self, grid: DecodedGrid | None) -> None:
        self.grid_box.setVisible(grid is not None)
        layout = self.graphics.ci.layout
        layout.setColumnStretchFactor(1, 1 if grid is not None else 0)
        layout.setColumnStretchFactor(0, 1)
        if grid is None:
            return
        side_y, side_x = grid.images.shape[:2]
        # the top row is the largest unit 2, as in the scatter above which it is read
        images = _grey(grid.images[::-1].reshape(side_y * side_x, *grid.images.shape[2:]))
        self.grid_image.setImage(tile(images, side_x), autoLevels=False, levels=self._levels, lut=self._lut)
        self.grid_box.autoRange(padding=0.01)

    def _class_name(self, label: int) -> str:
        return self._names[label] if 0 <= label < len(self._names) else str(label)

    def _apply_theme(self) -> None:
        c = self.colors
        # ink on paper: low values in the background's colour, high ones in the text's
        self._lut = lut(colormap((c.background, c.foreground)))
        style_plot(self.scatter_plot, c)
        self.span.setPen(pg.mkPen(c.dim, width=1, style=Qt.PenStyle.DashLine))
        style_legend(self.legend, c)

    # ------------------------------------------------------------------ export
    def data_table(self) -> tuple[list[str], list[list[Cell]]]:
        """The strip's and the grid's pixels (one row each, with the code a grid image was
        decoded from) and every code point with its class."""
        header = ["part", "example", "class", "code_x", "code_y", "channel", "row", "col", "value"]
        picture = self._picture
        if picture is None:
            return header, []
        rows: list[list[Cell]] = []
        samples = picture.samples
        for name, images in _rows(samples):
            for (i, ch, r, col), v in np.ndenumerate(images):
                label = int(samples.labels[i]) if i < len(samples.labels) else ""
                rows.append([name, i, label, "", "", ch, r, col, float(v)])
        if picture.code is not None:
            code = picture.code
            for i, (x, y) in enumerate(code.points):
                label = int(code.labels[i]) if i < len(code.labels) else ""
                rows.append(["code", i, label, float(x), float(y), "", "", "", ""])
        if picture.grid is not None:
            grid = picture.grid
            side = len(grid.xs)
            for (gi, gj, ch, r, col), v in np.ndenumerate(grid.images):
                rows.append(["decoded", gi * side + gj, "", float(grid.xs[gj]), float(grid.ys[gi]), ch, r, col,
                             float(v)])
        return header, rows
