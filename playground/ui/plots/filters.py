"""First-layer weights as pictures: the only layer that lives directly in pixel space.

A trained CNN's first convolution shows edge and blob detectors (AlexNet); an MNIST MLP's
first Dense layer shows each unit's template, noisy without dropout and clean strokes with
it (the lectures' dropout figure). Colour scales are symmetric (minus to plus the largest
magnitude), so zero is always the neutral colour: one scale for all filters, to compare their
strengths (kernels, by default), or each filter on its own scale, to see the shape of weak
ones (unit templates, by default, as the lecture's figures draw them).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QCheckBox, QWidget

from playground.ui.plots.base import PlotView
from playground.ui.plots.export import Cell
from playground.ui.plots.live import PictureRequest, RunInfo, describe_input
from playground.ui.plots.style import Caption, bare_image_box, diverging_map, lut, plain_numbers, symmetric_level

if TYPE_CHECKING:
    from playground.core.datasets import DatasetMeta
    from playground.core.probes import Filters

#: Filters drawn at most (a 512-unit Dense layer would be a wall of noise).
MAX_TILES = 256
#: Pixels of all tiles together at most: 36 units of a 28x28 layer stay large enough to read.
MAX_TILE_PIXELS = 36 * 28 * 28
#: Pixels between tiles; the gaps are transparent and show the background.
GAP = 1

PLACEHOLDER = "No filters yet: train the network (F5) to see its first layer's weights as pictures."
#: What the view says when the run's network has no weighted layer reading the image itself.
NO_FIRST_LAYER = ("This network has no Conv2d or Dense layer reading the input image directly, so no "
                  "weights live in its pixel space.")

FilterKind = Literal["conv", "dense"]
_TITLES = {"conv": "Conv2d kernels", "dense": "Dense unit weights as images", None: "First-layer weights as images"}


def tile(images: np.ndarray, cols: int, gap: int = GAP) -> np.ndarray:
    """``(n, H, W[, 3])`` -> one float32 picture of ``cols`` tiles per row with NaN gaps (drawn
    transparent by ImageItem)."""
    n, h, w = images.shape[:3]
    extra = images.shape[3:]
    rows = math.ceil(n / cols)
    padded = np.full((rows * cols, h + gap, w + gap, *extra), np.nan, dtype=np.float32)
    padded[:n, :h, :w] = images
    grid = padded.reshape(rows, cols, h + gap, w + gap, *extra).swapaxes(1, 2)
    grid = grid.reshape(rows * (h + gap), cols * (w + gap), *extra)
    return np.ascontiguousarray(grid[:-gap, :-gap])


class FilterView(PlotView):
    """First-layer filters ``(n, C, H, W)`` as an image grid with 1-px gaps.

    One channel: a diverging colour map with levels ±max|w| and a colour bar. Three channels:
    RGB, scaled together so that zero is mid-grey. Other channel counts: one tile per
    (filter, channel), a row per filter.
    """

    dock_id = "filters"
    dock_title = "Filters"
    overview = "picture"
    export_name = "filters"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("First-layer filters", parent)
        self._filters: Filters | None = None
        self._kind: FilterKind | None = None
        self._label: str | None = None
        self._labels: dict[str, str] = {}
        #: the run's network has no weighted layer reading the image (not: no picture yet)
        self._no_first_layer = False
        self._level = 1.0
        #: whether each filter gets its own colour scale, per kind (a person's choice is kept)
        self._each_own: dict[FilterKind | None, bool] = {"conv": False, "dense": True, None: False}

        self.scale_toggle = QCheckBox("Scale each")
        self.scale_toggle.setToolTip("Colour every filter on its own scale (minus to plus its largest weight), as "
                                     "the lecture's figures do: the shape of weak filters shows.\nOff: one scale "
                                     "for all, to compare how strong they are.")
        self.scale_toggle.toggled.connect(self._scale_toggled)
        self.add_tool(self.scale_toggle)

        self.caption = Caption(PLACEHOLDER)
        self.box = pg.ViewBox()
        bare_image_box(self.box)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.box.addItem(self.image)
        self.colorbar = pg.ColorBarItem(values=(-1, 1), interactive=False, orientation="horizontal",
                                        width=12)
        self.graphics.addItem(self.caption, row=0, col=0)
        self.graphics.addItem(self.box, row=1, col=0)
        self.graphics.addItem(self.colorbar, row=2, col=0)
        self._apply_theme()
        self.schedule()

    # ------------------------------------------------------------------ feeding
    def set_filters(self, filters: Filters | None, kind: FilterKind | None = None, label: str | None = None) -> None:
        """Show these filters. ``kind`` picks the title ("conv" kernels or "dense" unit
        weights); ``label`` is the node's display name (default: its id). None clears."""
        self._filters = filters
        self._kind = kind
        self._label = label
        with QSignalBlocker(self.scale_toggle):
            self.scale_toggle.setChecked(self._each_own[kind])
        self.schedule()

    def _scale_toggled(self, on: bool) -> None:
        self._each_own[self._kind] = on
        self.schedule()

    def clear(self) -> None:
        self.set_filters(None)
        self.flush()

    def reset(self) -> None:
        self._no_first_layer = False
        super().reset()

    # ------------------------------------------------------------------ live-view protocol
    def not_applicable(self, meta: DatasetMeta) -> str | None:
        if meta.is_image:
            return None
        return (f"Filters are pictures in the input's pixel space, so they need images; this dataset has "
                f"{describe_input(meta)}." + (" The Decision boundary shows what each hidden unit learned."
                                              if meta.is_plane else ""))

    def on_run_started(self, info: RunInfo, previous: str | None) -> None:
        super().on_run_started(info, previous)
        self._labels = dict(info.labels)
        self._no_first_layer = False

    def picture_requests(self, info: RunInfo) -> list[PictureRequest]:
        if not info.meta.is_image:
            return []
        from playground.core.pictures import filter_picture

        return [PictureRequest("filters", filter_picture)]

    def on_picture(self, key: str, value: Any) -> None:
        self._no_first_layer = value is None
        if value is None:
            self.set_filters(None)
        else:
            self.set_filters(value.filters, value.kind, self._labels.get(value.filters.node_id))

    def levels(self) -> tuple[float, float]:
        """The colour levels in use: symmetric around zero."""
        return -self._level, self._level

    # ------------------------------------------------------------------ drawing
    def _redraw(self) -> None:
        f = self._filters
        has = f is not None and f.images.ndim == 4 and f.images.shape[0] > 0
        self.image.setVisible(has)
        self.colorbar.setVisible(has)
        if not has:
            text = NO_FIRST_LAYER if self._no_first_layer else PLACEHOLDER
            self.caption.setText(text, color=self.colors.hex(self.colors.dim))
            return
        images = np.nan_to_num(np.asarray(f.images, dtype=np.float32), posinf=0.0, neginf=0.0)
        total, channels, h, w = images.shape
        n = min(total, MAX_TILES, max(1, MAX_TILE_PIXELS // (h * w)))
        images = images[:n]
        each_own = self._each_own[self._kind]
        if each_own:  # every filter from minus to plus its own largest magnitude
            peaks = np.abs(images).reshape(n, -1).max(axis=1)
            images = images / np.where(peaks > 0, peaks, 1.0)[:, None, None, None]
        self._level = symmetric_level(images)
        if channels == 3:
            tiles = np.clip(0.5 + images.transpose(0, 2, 3, 1) / (2 * self._level), 0.0, 1.0)
            self.image.setImage(tile(tiles, math.ceil(math.sqrt(n))), autoLevels=False, levels=(0.0, 1.0),
                                lut=None)
            self.colorbar.setVisible(False)
        else:
            cols = channels if channels > 1 else math.ceil(math.sqrt(n))
            self.image.setImage(tile(images.reshape(n * channels, h, w), cols), autoLevels=False,
                                levels=self.levels(), lut=self._lut)
            self.colorbar.setLevels(self.levels())
        self.box.autoRange(padding=0.01)
        node = self._label or f.node_id
        more = f" (first {n} of {total})" if total > n else ""
        shape = f"{n} × {channels}×{h}×{w}" if self._kind != "dense" else f"{n} units of {h}×{w}"
        scale = "colour: each on its own scale" if each_own else f"colour ±{self._level:.3g}"
        self.caption.setText(f"<b>{_TITLES[self._kind]}</b> · {node} · {shape}{more} · {scale}",
                             color=self.colors.hex(), size="9pt")

    def _apply_theme(self) -> None:
        c = self.colors
        cmap = diverging_map(c)
        self._lut = lut(cmap)
        self.colorbar.setColorMap(cmap)
        axis = self.colorbar.getAxis("bottom")
        axis.setPen(c.dim)
        axis.setTextPen(c.foreground)
        plain_numbers(axis)

    # ------------------------------------------------------------------ export
    def data_table(self) -> tuple[list[str], list[list[Cell]]]:
        """One row per weight: filter, channel, row, column, value."""
        header = ["node", "filter", "channel", "row", "col", "weight"]
        if self._filters is None:
            return header, []
        images = np.asarray(self._filters.images)
        node = self._filters.node_id
        return header, [[node, *map(int, index), float(v)] for index, v in np.ndenumerate(images)]
