"""A one-row strip of validation images to pick one from, labelled "predicted/true".

Views that look inside the network for one input (the Feature maps view) show the run's
validation samples (``RunInfo.samples``) as thumbnails; a misclassified one has its label in
the error colour, so a student can pick the interesting cases.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QBrush, QIcon
from PySide6.QtWidgets import QAbstractItemView, QListView, QListWidget, QListWidgetItem, QWidget

from playground.ui.plots.saliency import thumbnail
from playground.ui.plots.style import PlotColors

#: Thumbnail edge in pixels.
THUMB = 48


class SamplePicker(QListWidget):
    """Thumbnails of the samples in one scrolling row; exactly one is picked once there are any.

    ``picked(index)`` is emitted when a person (or ``pick``) chooses another sample.
    """

    picked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._images = np.empty((0, 1, 1, 1), np.float32)
        self._true: list[int] = []
        self._pred: list[int] = []
        self._names: list[str] = []
        self._colors = PlotColors.of(self)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setMovement(QListView.Movement.Static)
        self.setIconSize(QSize(THUMB, THUMB))
        self.setGridSize(QSize(THUMB + 16, THUMB + 22))
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFixedHeight(THUMB + 22 + self.horizontalScrollBar().sizeHint().height() + 2 * self.frameWidth())
        self.setToolTip("The validation image whose feature maps are shown; labels are predicted/true")
        self.itemSelectionChanged.connect(self._on_selection)

    def set_samples(self, images: np.ndarray, true_labels: Sequence[int], class_names: Sequence[str] = ()) -> bool:
        """Show these raw images ``(N, C, H, W)`` with their true classes (an empty list for
        regression). The same samples again keep the pick and return False; new ones pick the
        first and return True."""
        images = np.asarray(images, dtype=np.float32)
        self._names = [str(n) for n in class_names]
        true = [int(v) for v in true_labels]
        if images.shape == self._images.shape and np.array_equal(images, self._images) and true == self._true:
            self._label()
            return False
        self._images, self._true, self._pred = images, true, []
        self.blockSignals(True)
        self.clear()
        for i, image in enumerate(images):
            item = QListWidgetItem(QIcon(thumbnail(image, THUMB)), "")
            item.setData(Qt.ItemDataRole.UserRole, i)
            self.addItem(item)
        if len(images):
            self.item(0).setSelected(True)
        self.blockSignals(False)
        self._label()
        return True

    def set_predictions(self, predicted: Sequence[int]) -> None:
        """The network's current classes for the samples (it keeps learning)."""
        self._pred = [int(v) for v in predicted]
        self._label()

    def images(self) -> np.ndarray:
        return self._images

    def current(self) -> int | None:
        """The picked sample's index, None while there are no samples."""
        items = self.selectedItems()
        return int(items[0].data(Qt.ItemDataRole.UserRole)) if items else None

    def pick(self, index: int) -> None:
        """Pick sample ``index`` (emits ``picked`` when that changes the pick)."""
        if 0 <= index < self.count():
            self.item(index).setSelected(True)
            self.scrollToItem(self.item(index))

    def caption(self, index: int) -> str:
        """"sample 3: predicted 5, true 3" (what the view writes over the maps)."""
        pred, true = self._name(self._pred, index), self._name(self._true, index)
        if true is None:
            return f"sample {index}"
        return f"sample {index}: predicted {pred or '?'}, true {true}"

    def restyle(self, colors: PlotColors) -> None:
        self._colors = colors
        self._label()

    def _name(self, labels: list[int], index: int) -> str | None:
        if index >= len(labels):
            return None
        k = labels[index]
        return self._names[k] if 0 <= k < len(self._names) else str(k)

    def _label(self) -> None:
        for i in range(self.count()):
            item = self.item(i)
            pred, true = self._name(self._pred, i), self._name(self._true, i)
            item.setText(f"{pred or '?'}/{true}" if true is not None else str(i))
            wrong = pred is not None and true is not None and pred != true
            item.setForeground(QBrush(self._colors.error if wrong else self._colors.foreground))
            item.setToolTip(self.caption(i))

    @Slot()
    def _on_selection(self) -> None:
        index = self.current()
        if index is not None:
            self.picked.emit(index)
