"""What one input does inside the network: every node's output for one validation image.

A student picks a digit and a node (from the list, or by clicking it on the canvas) and sees
that node's output for the digit as the network trains: a convolution's channels as a grid of
maps (edges and strokes lighting up, pooling coarsening them), a Dense node's units as bars.
The maps are computed on the training thread between steps (``core.feature_maps``, one
forward pass of one example) at the workspace's picture rate: the view is not animated.

Colour: one scale for all channels of the node by default. It answers the question a student
asks first, "which channels respond to this digit?": a channel that stays dark does not
respond (a dead ReLU channel stays dark for every digit), where a scale per channel would
stretch its near-zero noise into a confident-looking picture. "Scale each" gives every channel
its own scale, to see the shape of a weak response. Outputs that are never negative (ReLU,
pooling after ReLU) use a dark-to-bright map from zero; signed ones a diverging map centred
on zero.
"""

from __future__ import annotations

import math
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Slot
from PySide6.QtWidgets import QCheckBox, QWidget

from playground.ui.plots.base import PlotView
from playground.ui.plots.export import Cell
from playground.ui.plots.filters import tile
from playground.ui.plots.live import PictureRequest, RunInfo, describe_input
from playground.ui.plots.node_box import NodeBox
from playground.ui.plots.saliency import display_rgb
from playground.ui.plots.sample_picker import SamplePicker
from playground.ui.plots.style import (
    Caption,
    bare_image_box,
    diverging_map,
    lut,
    plain_numbers,
    sequential_map,
    style_plot,
    symmetric_level,
)

if TYPE_CHECKING:
    from playground.core.datasets import DatasetMeta
    from playground.core.feature_maps import FeatureMaps, NodeMaps

PLACEHOLDER = "Train the network (F5): the maps of the picked validation image appear here."
COMPUTING = "Computing the maps of this image…"


class FeatureMapView(PlotView):
    """A sample strip, then the input beside the chosen node's output: channels as a tiled image
    with a colour bar, or units as a bar strip.

    Feeding: ``set_samples`` (the validation images), ``set_maps`` (a ``FeatureMaps`` from the
    worker); ``select_node(node_id)`` switches the node (the canvas' selection calls it).
    """

    dock_id = "feature_maps"
    dock_title = "Feature maps"
    overview = "picture"
    export_name = "feature_maps"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Feature maps", parent)
        self._maps: FeatureMaps | None = None
        self._levels = (0.0, 1.0)

        self.node_box = NodeBox("The node whose output is shown (or click a node on the canvas)", 10)
        self.scale_toggle = QCheckBox("Scale each")
        self.scale_toggle.setToolTip("Colour every channel on its own scale, to see the shape of weak responses.\n"
                                     "Off: one scale for all channels, to see which ones respond to this image.")
        self.add_tool(self.node_box)
        self.add_tool(self.scale_toggle)

        self.picker = SamplePicker()
        self.body.insertWidget(1, self.picker)

        self.caption = Caption(PLACEHOLDER)
        self.input_box = pg.ViewBox()
        bare_image_box(self.input_box)
        self.input_image = pg.ImageItem(axisOrder="row-major")
        self.input_box.addItem(self.input_image)
        self.maps_box = pg.ViewBox()
        bare_image_box(self.maps_box)
        self.maps_image = pg.ImageItem(axisOrder="row-major")
        self.maps_box.addItem(self.maps_image)
        self.colorbar = pg.ColorBarItem(values=(0, 1), interactive=False, orientation="horizontal", width=12)
        self.bars_plot = pg.PlotItem()
        self.bars_plot.setMouseEnabled(False, False)
        self.bars_plot.setMenuEnabled(False)
        self.bars_plot.hideButtons()
        self.bars_plot.setLabel("bottom", "unit")
        self.bars_plot.setLabel("left", "activation")
        self.bars = pg.BarGraphItem(x=[0], height=[0], width=0.8)
        self.bars_plot.addItem(self.bars)
        self.graphics.addItem(self.caption, row=0, col=0, colspan=2)
        self.graphics.addItem(self.input_box, row=1, col=0)
        layout = self.graphics.ci.layout
        layout.setColumnStretchFactor(0, 1)
        layout.setColumnStretchFactor(1, 4)
        #: what sits right of the input: the maps grid (with its colour bar) or the bar strip
        self._shows_bars: bool | None = None
        self._place(bars=False)

        self.picker.picked.connect(self._on_pick)
        self.node_box.currentIndexChanged.connect(self._on_node)
        self.scale_toggle.toggled.connect(self._on_scale)
        self._apply_theme()
        self.schedule()

    # ------------------------------------------------------------------ feeding
    def set_samples(self, images: np.ndarray, true_labels: np.ndarray | list[int], class_names: list[str]) -> None:
        """The validation images to pick from (the same ones again keep the pick and the maps)."""
        if self.picker.set_samples(images, true_labels, class_names):
            self._maps = None
        self.schedule()

    def set_node_labels(self, labels: dict[str, str]) -> None:
        """How the node list names each node ("Conv2d 'conv1'"; the id where none is given)."""
        self.node_box.set_labels(labels)

    def set_maps(self, maps: FeatureMaps) -> None:
        """The worker's maps of one sample: kept when it is the picked one (a sample picked
        since then asks again)."""
        if maps.index != self.picker.current():
            return
        self._maps = maps
        self.node_box.fill(list(maps.nodes))
        self.schedule()

    def select_node(self, node_id: str) -> bool:
        """Show ``node_id``'s maps; False (and remembered for the next maps) when the current
        ones have none for it (the Input node, a node added since the run started)."""
        return self.node_box.select(node_id)

    def node(self) -> str | None:
        """The node whose maps are shown."""
        return self.node_box.node()

    def node_maps(self) -> NodeMaps | None:
        """The shown node's maps, None before they arrive."""
        node = self.node()
        return self._maps.nodes.get(node) if self._maps is not None and node is not None else None

    def shows_bars(self) -> bool:
        """Whether the node's output is drawn as bars (units) rather than a grid of maps."""
        return bool(self._shows_bars)

    def levels(self) -> tuple[float, float]:
        """The colour levels of the maps grid."""
        return self._levels

    # ------------------------------------------------------------------ live-view protocol
    def not_applicable(self, meta: DatasetMeta) -> str | None:
        if meta.is_image:
            return None
        return (f"Feature maps are what a network's layers make of one input image; this dataset has "
                f"{describe_input(meta)}." + (" The Decision boundary shows every hidden unit's output over the "
                                              "plane." if meta.is_plane else ""))

    def on_run_started(self, info: RunInfo, previous: str | None) -> None:
        self.show_reason(self.run_reason(info))
        self.clear()  # the last run's maps: the new run's weights make others
        self.set_node_labels(info.labels)
        if self.reason_shown() is None:
            self.set_samples(info.samples[0], info.samples[1] if info.classifies else [], list(info.meta.class_names))

    def picture_requests(self, info: RunInfo) -> list[PictureRequest]:
        index = self.picker.current()
        if self.run_reason(info) is not None or index is None:
            return []
        from playground.core.feature_maps import feature_maps_picture
        from playground.core.pictures import validation_predictions

        image = np.ascontiguousarray(self.picker.images()[index])
        requests = [PictureRequest("feature_maps", partial(feature_maps_picture, image=image, index=index))]
        if info.classifies:
            requests.append(PictureRequest("predictions", validation_predictions))
        return requests

    def on_picture(self, key: str, value: Any) -> None:
        if key == "predictions":
            self.picker.set_predictions(value.predicted[: self.picker.count()])
            self.schedule()
        elif value.index == self.picker.current():
            self.set_maps(value)
        else:  # computed for the sample picked before: this one's next, even while paused
            self.picturesWanted.emit()

    # ------------------------------------------------------------------ state
    def clear(self) -> None:
        """Forget the maps (the samples stay)."""
        self._maps = None
        self._dirty = True
        self.flush()

    def reset(self) -> None:
        """Forget the samples, the nodes and the maps."""
        self.picker.set_samples(np.empty((0, 1, 1, 1), np.float32), [])
        self.set_node_labels({})
        self.node_box.fill([])
        self.clear()

    @Slot(int)
    def _on_pick(self, _index: int) -> None:
        self._maps = None
        self.schedule()
        self.picturesWanted.emit()

    @Slot(bool)
    def _on_scale(self, _each: bool) -> None:
        self.schedule()

    @Slot(int)
    def _on_node(self, _index: int) -> None:
        self.schedule()

    # ------------------------------------------------------------------ drawing
    def _place(self, *, bars: bool) -> None:
        """Put the grid and its colour bar, or the bar strip, right of the input."""
        if bars == self._shows_bars:
            return
        if self._shows_bars is not None:
            for item in (self.bars_plot,) if self._shows_bars else (self.maps_box, self.colorbar):
                self.graphics.removeItem(item)
        if bars:
            self.graphics.addItem(self.bars_plot, row=1, col=1)
        else:
            self.graphics.addItem(self.maps_box, row=1, col=1)
            self.graphics.addItem(self.colorbar, row=2, col=1)
        self._shows_bars = bars

    def _redraw(self) -> None:
        maps, node, index = self._maps, self.node_maps(), self.picker.current()
        shown = maps is not None and node is not None and index is not None
        for item in (self.input_image, self.maps_image, self.bars, self.colorbar):
            item.setVisible(shown)
        if maps is None or node is None or index is None:
            text = PLACEHOLDER if index is None else COMPUTING  # no samples before a run
            self.caption.setText(text, color=self.colors.hex(self.colors.dim), size="9pt")
            return
        self.input_image.setImage(display_rgb(maps.image), autoLevels=False, levels=(0.0, 1.0))
        self.input_box.autoRange(padding=0.02)
        self._place(bars=not node.is_image)
        what = self._draw_bars(node) if not node.is_image else self._draw_grid(node)
        label = self.node_box.labels.get(node.node_id, node.node_id)
        self.caption.setText(f"<b>{label}</b> · {what} · {self.picker.caption(index)}",
                             color=self.colors.hex(), size="9pt")

    def _draw_grid(self, node: NodeMaps) -> str:
        values = node.values
        n, h, w = values.shape
        each = self.scale_toggle.isChecked()
        if each:
            peaks = np.abs(values).reshape(n, -1).max(axis=1)
            values = values / np.where(peaks > 0, peaks, 1.0)[:, None, None]
        signed = bool((values < 0).any())
        peak = symmetric_level(values)
        self._levels = (-peak, peak) if signed else (0.0, peak)
        table = self._diverging if signed else self._sequential
        self.maps_image.setImage(tile(values, math.ceil(math.sqrt(n))), autoLevels=False, levels=self._levels,
                                 lut=table)
        self.maps_box.autoRange(padding=0.01)
        self.colorbar.setColorMap(self._diverging_map if signed else self._sequential_map)
        self.colorbar.setLevels(self._levels)
        self.colorbar.setVisible(not each)
        more = f" (first {n} of {node.total})" if node.total > n else ""
        scale = "colour: each channel on its own scale" if each else "one colour scale"
        return f"{n} maps of {h}×{w}{more} · {scale}"

    def _draw_bars(self, node: NodeMaps) -> str:
        values = node.values
        n = len(values)
        c = self.colors
        brushes = [pg.mkBrush(c.series(0) if v >= 0 else c.series(1)) for v in values]
        self.bars.setOpts(x=np.arange(n), height=values, width=0.8, brushes=brushes, pen=pg.mkPen(None))
        lo, hi = min(0.0, float(values.min())), max(0.0, float(values.max()))
        pad = 0.05 * (hi - lo) or 1.0
        self.bars_plot.setXRange(-0.5, n - 0.5, padding=0)
        self.bars_plot.setYRange(lo - (pad if lo < 0 else 0), hi + pad, padding=0)
        more = f" (first {n} of {node.total})" if node.total > n else ""
        active = int((values > 0).sum())
        return f"{n} units{more} · {active} above zero"

    def _apply_theme(self) -> None:
        c = self.colors
        self._diverging_map = diverging_map(c)
        self._sequential_map = sequential_map()
        self._diverging = lut(self._diverging_map)
        self._sequential = lut(self._sequential_map)
        style_plot(self.bars_plot, c)
        axis = self.colorbar.getAxis("bottom")
        axis.setPen(c.dim)
        axis.setTextPen(c.foreground)
        plain_numbers(axis)
        self.picker.restyle(c)

    # ------------------------------------------------------------------ export
    def data_table(self) -> tuple[list[str], list[list[Cell]]]:
        """The shown node's output for the picked sample: one row per value (a unit's row and
        column are empty)."""
        header = ["sample", "node", "channel_or_unit", "row", "col", "value"]
        node = self.node_maps()
        if node is None or self._maps is None:
            return header, []
        sample, node_id = self._maps.index, node.node_id
        if not node.is_image:
            return header, [[sample, node_id, i, None, None, float(v)] for i, v in enumerate(node.values)]
        return header, [[sample, node_id, *map(int, index), float(v)] for index, v in np.ndenumerate(node.values)]
