"""What the network looks at: saliency maps of chosen validation samples.

The person picks samples from a grid of thumbnails labelled "predicted/true", a method and
a class (the predicted one or any other). The view does not compute anything: it emits
``requested(indices, method, target)``, the training worker computes the maps between two
steps (``playground.core.saliency``) and hands them back with ``set_maps``. Each chosen
sample gets a row: the input, the plain gradient (Simonyan), the chosen method's map, and
that map laid over the input.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, Slot
from PySide6.QtGui import QBrush, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSlider,
    QSplitter,
    QWidget,
)

from playground.core.shapes import network_reconstructs
from playground.ui.plots.base import PlotView
from playground.ui.plots.export import Cell
from playground.ui.plots.live import AUTOENCODER_HAS_NO_CLASSES, PictureRequest, RunInfo, describe_input
from playground.ui.plots.style import Caption, apply_lut, bare_image_box, diverging_map, lut, sequential_map
from playground.ui.plots.tool_row import labelled

if TYPE_CHECKING:
    from playground.core.datasets import DatasetMeta
    from playground.core.graph import Graph

#: Maps wanted: the samples' indices, the method and the class (None: each one's prediction).
Wanted = tuple[list[int], str, "int | None"]


@dataclass(frozen=True)
class Method:
    """A saliency method as the view offers it; ``name`` is the key of
    ``playground.core.saliency.SALIENCY_METHODS``, ``signed`` whether its map has a sign."""

    name: str
    title: str
    signed: bool


#: The methods of ``playground.core.saliency`` (kept here so the view needs no torch import;
#: a test checks that both lists agree).
METHODS: tuple[Method, ...] = (
    Method("vanilla", "Gradient", False),
    Method("guided", "Guided backprop", True),
    Method("smoothgrad", "SmoothGrad", False),
    Method("grad_cam", "Grad-CAM", False),
    Method("integrated_gradients", "Integrated gradients", True),
)
_BY_NAME = {m.name: m for m in METHODS}
#: The method shown next to the plain gradient unless the person picks another.
DEFAULT_METHOD = "guided"
#: Samples shown side by side at most (the first ones selected).
MAX_ROWS = 3
PICK_HINT = "Pick one or more samples above."
#: Before a run there is nothing to pick: the samples are the run's validation images.
NO_SAMPLES_HINT = "Train the network (F5): the validation images to explain appear above."
#: Thumbnail edge in the sample picker, in pixels.
THUMB = 56
_COLUMNS = ("Input", "Gradient", "", "Overlay")


def as_image(x: np.ndarray) -> np.ndarray:
    """A sample or map as ``(C, H, W)``: drops leading batch axes of size 1, and shows a flat
    feature vector as a one-row image."""
    a = np.asarray(x, dtype=np.float32)
    while a.ndim > 3 and a.shape[0] == 1:
        a = a[0]
    if a.ndim == 1:
        a = a[None, None, :]
    elif a.ndim == 2:
        a = a[None]
    if a.ndim != 3:
        raise ValueError(f"expected an image (C, H, W), got shape {np.shape(x)}")
    return np.nan_to_num(a)


def display_rgb(image: np.ndarray) -> np.ndarray:
    """``(C, H, W)`` raw input -> ``(H, W, 3)`` floats in [0, 1] (min-max over the image): grey
    for one channel, colour for three, the first channel otherwise."""
    a = as_image(image)
    lo, hi = float(a.min()), float(a.max())
    a = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
    rgb = a.transpose(1, 2, 0) if a.shape[0] == 3 else np.repeat(a[0][..., None], 3, axis=2)
    return np.ascontiguousarray(rgb, dtype=np.float32)


def reduce_map(saliency: np.ndarray, signed: bool) -> np.ndarray:
    """``(C, H, W)`` map -> ``(H, W)``: per pixel the channel value of largest magnitude, its
    absolute value unless the method is signed (as ``core.saliency.reduce_channels``)."""
    a = as_image(saliency)
    pick = np.take_along_axis(a, np.abs(a).argmax(axis=0)[None], axis=0)[0]
    return np.ascontiguousarray(pick if signed else np.abs(pick), dtype=np.float32)


def thumbnail(image: np.ndarray, edge: int) -> QPixmap:
    """A raw ``(C, H, W)`` sample as a square-ish pixmap of ``edge`` pixels, pixels kept sharp
    (the sample pickers of this view and of the feature maps)."""
    rgb = np.ascontiguousarray((display_rgb(image) * 255).astype(np.uint8))
    h, w = rgb.shape[:2]
    qimage = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    return QPixmap.fromImage(qimage.scaled(edge, edge, Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.FastTransformation))


@dataclass
class _Cell:
    box: pg.ViewBox
    image: pg.ImageItem


class SaliencyView(PlotView):
    """Sample picker, method and class choosers, and input | gradient | method | overlay rows.

    Picking samples, a method or a class makes the view want maps (``wanted()``: the shown
    samples, the method, the class or None for each sample's predicted class) and emit
    ``picturesWanted``; its picture request computes them on the training thread. Maps arrive
    per sample through ``set_maps(input_image, {"vanilla": map, method: map}, index)``, shaped
    like the input ``(C, H, W)`` or ``(H, W)`` (Grad-CAM).
    """

    dock_id = "saliency"
    dock_title = "Saliency"
    overview = "picture"
    export_name = "saliency"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Saliency", parent)
        self._images = np.empty((0, 1, 1, 1), np.float32)
        self._true: list[int] = []
        self._pred: list[int] = []
        self._class_names: list[str] = []
        self._results: dict[int, tuple[np.ndarray, dict[str, np.ndarray]]] = {}
        self._wanted: Wanted | None = None

        self.method_box = QComboBox()
        for m in METHODS:
            self.method_box.addItem(m.title, m.name)
        self.method_box.setCurrentIndex(self.method_box.findData(DEFAULT_METHOD))
        self.method_box.setToolTip("Saliency method shown next to the plain gradient")
        self.target_box = QComboBox()
        self.target_box.setToolTip("Class whose score is explained")
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(65)
        self.opacity.setFixedWidth(70)
        self.opacity.setToolTip("Overlay opacity")
        self.refresh_button = QPushButton("Update")
        self.refresh_button.setToolTip("Compute the maps again with the current weights")
        for widget in (self.method_box, self.target_box, labelled("overlay", self.opacity), self.refresh_button):
            self.add_tool(widget)
        self._fill_targets()

        self.samples = QListWidget()
        self.samples.setViewMode(QListView.ViewMode.IconMode)
        self.samples.setFlow(QListView.Flow.LeftToRight)
        self.samples.setWrapping(True)
        self.samples.setResizeMode(QListView.ResizeMode.Adjust)
        self.samples.setMovement(QListView.Movement.Static)
        self.samples.setIconSize(QSize(THUMB, THUMB))
        self.samples.setGridSize(QSize(THUMB + 22, THUMB + 24))
        self.samples.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.samples.setToolTip("Pick samples (Ctrl/Shift for several); labels are predicted/true")
        self.samples.setMinimumHeight(THUMB + 36)  # one full row of thumbnails

        self.caption = Caption("")
        self.graphics.addItem(self.caption, row=0, col=0, colspan=len(_COLUMNS))
        self._headers = [Caption(text) for text in _COLUMNS]
        for col, header in enumerate(self._headers):
            self.graphics.addItem(header, row=1, col=col)
        self._cells: list[list[_Cell]] = []
        for row in range(MAX_ROWS):
            cells = []
            for col in range(len(_COLUMNS)):
                box = pg.ViewBox()
                bare_image_box(box)
                image = pg.ImageItem(axisOrder="row-major")
                box.addItem(image)
                self.graphics.addItem(box, row=row + 2, col=col)
                cells.append(_Cell(box, image))
            self._cells.append(cells)

        splitter = QSplitter(Qt.Orientation.Vertical)
        self.body.removeWidget(self.graphics)
        splitter.addWidget(self.samples)
        splitter.addWidget(self.graphics)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        self.body.addWidget(splitter, 1)

        self.samples.itemSelectionChanged.connect(self.request)
        self.method_box.currentIndexChanged.connect(self._on_choice)
        self.target_box.currentIndexChanged.connect(self._on_choice)
        self.refresh_button.clicked.connect(self.request)
        self.opacity.valueChanged.connect(self._on_opacity)
        self._apply_theme()
        self.schedule()  # the first draw says what to do before there is anything to pick

    # ------------------------------------------------------------------ feeding
    def set_samples(self, images: np.ndarray, true_labels: Sequence[int], pred_labels: Sequence[int] | None = None,
                    class_names: Sequence[str] = ()) -> None:
        """The validation samples to pick from: raw images ``(N, C, H, W)``, their true and
        predicted classes (predictions may come later through ``set_predictions``). The same
        samples again only update the labels: the selection and the maps stay."""
        images = np.asarray(images, dtype=np.float32)
        if images.shape == self._images.shape and np.array_equal(images, self._images) and \
                [int(v) for v in true_labels] == self._true:
            self._class_names = [str(n) for n in class_names]
            self._fill_targets()
            self.set_predictions(pred_labels if pred_labels is not None else self._pred)
            return
        self._images = images
        self._true = [int(v) for v in true_labels]
        self._pred = [int(v) for v in pred_labels] if pred_labels is not None else []
        self._class_names = [str(n) for n in class_names]
        self._results.clear()
        self._fill_targets()
        self.samples.blockSignals(True)
        self.samples.clear()
        for i, image in enumerate(self._images):
            item = QListWidgetItem(QIcon(thumbnail(image, THUMB)), "")
            item.setData(Qt.ItemDataRole.UserRole, i)
            self.samples.addItem(item)
        self._label_samples()
        self.samples.blockSignals(False)
        self.schedule()

    def set_predictions(self, pred_labels: Sequence[int]) -> None:
        """Update the predicted classes shown under the thumbnails (the network keeps learning)."""
        self._pred = [int(v) for v in pred_labels]
        self._label_samples()

    def set_maps(self, input_image: np.ndarray, maps: Mapping[str, np.ndarray], index: int | None = None) -> None:
        """The computed maps of one sample, by method name ("vanilla" and the chosen method).
        ``index`` is the sample's index in ``set_samples``; None means the first selected."""
        selected = self.selected_indices()
        key = index if index is not None else (selected[0] if selected else 0)
        self._results[key] = (as_image(input_image), {k: as_image(v) for k, v in maps.items()})
        self.schedule()

    # ------------------------------------------------------------------ live-view protocol
    def not_applicable(self, meta: DatasetMeta) -> str | None:
        if meta.is_image and meta.target_kind == "classification":
            return None
        if not meta.is_image:
            return (f"Saliency shows which pixels decide an image's class; this dataset has {describe_input(meta)}."
                    + (" The Decision boundary shows the network's answer everywhere."
                       if meta.is_plane else ""))
        return "Saliency explains a class score; this dataset's targets are numbers (regression)."

    def network_reason(self, graph: Graph) -> str | None:
        return AUTOENCODER_HAS_NO_CLASSES if network_reconstructs(graph) else None

    def on_run_started(self, info: RunInfo, previous: str | None) -> None:
        self.show_reason(self.run_reason(info))
        self.clear()
        if self.reason_shown() is None:
            self.set_samples(info.samples[0], info.samples[1], None, list(info.meta.class_names))
        self._wanted = self._maps_wanted()

    def picture_requests(self, info: RunInfo) -> list[PictureRequest]:
        if self.run_reason(info) is not None:
            return []
        from playground.core.pictures import saliency_maps, validation_predictions

        requests = [PictureRequest("predictions", validation_predictions)]
        if self._wanted is not None:
            indices, method, target = self._wanted
            requests.append(PictureRequest("saliency", partial(saliency_maps, images=self._images, indices=indices,
                                                               method=method, target=target)))
        return requests

    def on_picture(self, key: str, value: Any) -> None:
        if key == "predictions":
            self.set_predictions(value.predicted[: len(self._images)])
            return
        wanted = self._wanted
        if wanted is None or (value.indices, value.method, value.target) != wanted:
            return  # computed for an earlier choice: the current one is asked for next
        self._wanted = None
        for row, index in enumerate(value.indices):
            self.set_maps(value.images[row], {name: maps[row] for name, maps in value.maps.items()}, index)

    def wanted(self) -> Wanted | None:
        """The maps the view waits for (samples, method, class), or None."""
        return self._wanted

    def _maps_wanted(self) -> Wanted | None:
        indices = self.selected_indices()[:MAX_ROWS]
        return (indices, self.method(), self.target()) if indices else None

    def show_message(self, text: str) -> None:
        """Show a note above the maps (a method that does not apply, a failed computation)."""
        self.caption.setText(text, color=self.colors.hex(self.colors.warning), size="9pt")

    def select(self, indices: Sequence[int]) -> None:
        """Select these samples (emits ``requested`` once)."""
        self.samples.blockSignals(True)
        self.samples.clearSelection()
        for i in indices:
            if 0 <= i < self.samples.count():
                self.samples.item(i).setSelected(True)
        self.samples.blockSignals(False)
        self.request()

    def set_method(self, name: str) -> None:
        """Choose the method by its core name (emits ``requested`` when samples are selected)."""
        self.method_box.setCurrentIndex(self.method_box.findData(name))

    def method(self) -> str:
        return str(self.method_box.currentData())

    def target(self) -> int | None:
        """The chosen class, or None for "each sample's predicted class"."""
        data = self.target_box.currentData()
        return None if data is None else int(data)

    def selected_indices(self) -> list[int]:
        """Selected samples in picker order."""
        rows = sorted(self.samples.row(item) for item in self.samples.selectedItems())
        return [int(self.samples.item(r).data(Qt.ItemDataRole.UserRole)) for r in rows]

    def clear(self) -> None:
        """Forget the computed maps (the samples stay)."""
        self._results.clear()
        self.caption.setText("")
        self._dirty = True
        self.flush()

    def reset(self) -> None:
        """Forget the samples and the maps."""
        self.set_samples(np.empty((0, 1, 1, 1), np.float32), [], [], ())
        self.clear()

    @Slot()
    def request(self) -> None:
        """Ask for maps of the shown samples with the current method and class."""
        self._wanted = self._maps_wanted()
        self.schedule()
        if self._wanted is not None:
            self.picturesWanted.emit()

    @Slot(int)
    def _on_choice(self, _index: int) -> None:
        self._results.clear()
        self.request()

    @Slot(int)
    def _on_opacity(self, _value: int) -> None:
        self.schedule()

    def _fill_targets(self) -> None:
        current = self.target_box.currentData()
        self.target_box.blockSignals(True)
        self.target_box.clear()
        self.target_box.addItem("Predicted class", None)
        count = max(len(self._class_names), max(self._true + self._pred, default=-1) + 1)
        for k in range(count):
            self.target_box.addItem(f"Class {self._class_name(k)}", k)
        found = self.target_box.findData(current)
        self.target_box.setCurrentIndex(max(found, 0))
        self.target_box.blockSignals(False)

    def _class_name(self, k: int) -> str:
        return self._class_names[k] if 0 <= k < len(self._class_names) else str(k)

    def _label_samples(self) -> None:
        c = self.colors
        for i in range(self.samples.count()):
            item = self.samples.item(i)
            true = self._true[i] if i < len(self._true) else None
            pred = self._pred[i] if i < len(self._pred) else None
            true_name = "?" if true is None else self._class_name(true)
            pred_name = "?" if pred is None else self._class_name(pred)
            item.setText(f"{pred_name}/{true_name}")
            wrong = pred is not None and true is not None and pred != true
            item.setForeground(QBrush(c.error if wrong else c.foreground))
            item.setToolTip(f"sample {i}: predicted {pred_name}, true {true_name}")

    # ------------------------------------------------------------------ drawing
    def _redraw(self) -> None:
        method = _BY_NAME.get(self.method(), METHODS[0])
        self._headers[2].setText(method.title, color=self.colors.hex(), bold=True, size="9pt")
        shown = self.selected_indices()[:MAX_ROWS]
        for row, cells in enumerate(self._cells):
            result = self._results.get(shown[row]) if row < len(shown) else None
            for cell in cells:
                cell.box.setVisible(row < max(len(shown), 1))
                cell.image.setVisible(result is not None)
            if result is not None:
                self._draw_row(cells, *result, method)
        hints = (PICK_HINT, NO_SAMPLES_HINT, "Computing…")
        if not self.samples.count():
            self.caption.setText(NO_SAMPLES_HINT, color=self.colors.hex(self.colors.dim), size="9pt")
        elif not shown:
            self.caption.setText(PICK_HINT, color=self.colors.hex(self.colors.dim), size="9pt")
        elif all(i not in self._results for i in shown):
            self.caption.setText("Computing…", color=self.colors.hex(self.colors.dim), size="9pt")
        elif self.caption.text in hints:
            self.caption.setText("")

    def _draw_row(self, cells: list[_Cell], image: np.ndarray, maps: dict[str, np.ndarray], method: Method) -> None:
        rgb = display_rgb(image)
        cells[0].image.setImage(rgb, autoLevels=False, levels=(0.0, 1.0))
        for cell, m in ((cells[1], _BY_NAME["vanilla"]), (cells[2], method)):
            values = maps.get(m.name)
            cell.image.setVisible(values is not None)
            if values is not None:
                reduced = reduce_map(values, m.signed)
                cell.image.setImage(reduced, autoLevels=False, levels=self._levels(reduced, m.signed),
                                    lut=self._diverging if m.signed else self._sequential)
        chosen = maps.get(method.name)
        cells[3].image.setVisible(chosen is not None)
        if chosen is not None:
            cells[3].image.setImage(self._overlay(rgb, reduce_map(chosen, method.signed), method.signed),
                                    autoLevels=False, levels=(0.0, 1.0))
        for cell in cells:
            cell.box.autoRange(padding=0.02)

    @staticmethod
    def _levels(values: np.ndarray, signed: bool) -> tuple[float, float]:
        peak = float(np.abs(values).max()) or 1e-12
        return (-peak, peak) if signed else (0.0, peak)

    def _overlay(self, rgb: np.ndarray, values: np.ndarray, signed: bool) -> np.ndarray:
        """The map's colours over a grey copy of the input, more opaque where the map is strong."""
        lo, hi = self._levels(values, signed)
        colours = apply_lut(values, self._diverging if signed else self._sequential, lo, hi)[..., :3] / 255.0
        strength = np.abs(values) / max(abs(lo), hi)
        alpha = (self.opacity.value() / 100.0) * np.sqrt(strength)[..., None]
        grey = rgb.mean(axis=2, keepdims=True) * 0.8 + 0.1
        if values.shape != rgb.shape[:2]:  # a map of another size (never from core): no blend
            return np.ascontiguousarray(colours, dtype=np.float32)
        return np.ascontiguousarray(grey * (1 - alpha) + colours * alpha, dtype=np.float32)

    def _apply_theme(self) -> None:
        c = self.colors
        self._diverging = lut(diverging_map(c))
        self._sequential = lut(sequential_map())
        for col, header in enumerate(self._headers):
            if col != 2:
                header.setText(_COLUMNS[col], color=c.hex(), bold=True, size="9pt")
        self._label_samples()

    # ------------------------------------------------------------------ export
    def data_table(self) -> tuple[list[str], list[list[Cell]]]:
        """Every computed map of the shown samples, reduced to one value per pixel."""
        header = ["sample", "method", "row", "col", "value"]
        rows: list[list[Cell]] = []
        for index, (_image, maps) in sorted(self._results.items()):
            for name, values in maps.items():
                signed = _BY_NAME[name].signed if name in _BY_NAME else True
                reduced = reduce_map(values, signed)
                rows += [[index, name, int(r), int(col), float(v)] for (r, col), v in np.ndenumerate(reduced)]
        return header, rows
