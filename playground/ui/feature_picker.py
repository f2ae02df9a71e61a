"""Toggle tiles for the input features of a plane dataset, as in TensorFlow Playground.

Each tile is a small heat map of its feature over the plane of the data (orange negative,
blue positive, a neutral shade at zero) that the person switches on or off; switched off it
fades. The picker holds no state the project lacks: it reports a new choice
(``featuresChanged``) and follows the project through ``set_features``. At least one feature
stays on, since a network needs an input.

The maps come from ``playground.core.plane_features.feature_values``, the model's own first
step, so a tile shows exactly what the network would be given.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QSignalBlocker, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from playground.core.plane_features import DEFAULT_FEATURES, FEATURES, canonical
from playground.ui.dataset_preview import class_color
from playground.ui.theme import CanvasColors, set_text_color

#: Grid points per side of a heat map; the tile draws it smoothly scaled.
RESOLUTION = 28
TILE = 34
#: How strongly an unchosen tile is washed out towards the panel's background.
FADE = 0.7
COLUMNS = 4


def feature_maps(points: np.ndarray, resolution: int = RESOLUTION, margin: float = 0.1) -> dict[str, np.ndarray]:
    """Each catalogue feature over a ``resolution``-square grid covering ``points`` (N, 2) plus
    a margin, scaled to -1..1 by its largest magnitude; row 0 is the top of the plane."""
    import torch

    from playground.core.plane_features import feature_values

    lo, hi = points.min(axis=0), points.max(axis=0)
    pad = np.where(hi > lo, (hi - lo) * margin, 1.0)
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution, dtype=np.float32)
    ys = np.linspace(hi[1] + pad[1], lo[1] - pad[1], resolution, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)
    grid = torch.from_numpy(np.stack((gx.ravel(), gy.ravel()), axis=1))
    values = feature_values(grid, tuple(FEATURES)).numpy()
    maps = {}
    for i, name in enumerate(FEATURES):
        v = values[:, i].reshape(resolution, resolution)
        level = float(np.abs(v).max())
        maps[name] = v / level if level > 0 else v
    return maps


def _colour_table(colors: CanvasColors) -> np.ndarray:
    """256 RGB entries from orange (-1) through a shade of the background (0) to blue (+1), the
    boundary view's scheme, so a feature tile reads like the decision boundary it feeds."""
    mid = QColor(colors.background).lighter(112) if colors.dark else QColor(colors.background).darker(104)
    stops = np.array([class_color(0).getRgb()[:3], mid.getRgb()[:3], class_color(1).getRgb()[:3]], np.float32)
    t = np.linspace(0.0, 2.0, 256)
    low = np.minimum(np.floor(t), 1).astype(np.intp)  # the stop each entry starts from
    share = (t - low)[:, None]
    return (stops[low] * (1 - share) + stops[low + 1] * share).round().astype(np.uint8)


def _pixmap(values: np.ndarray, table: np.ndarray, fade_to: QColor | None) -> QPixmap:
    rgb = table[np.clip(((values + 1) / 2 * 255).round(), 0, 255).astype(np.intp)]
    if fade_to is not None:
        rgb = (rgb * (1 - FADE) + np.array(fade_to.getRgb()[:3]) * FADE).astype(np.uint8)
    rgb = np.ascontiguousarray(rgb)
    h, w, _ = rgb.shape
    image = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    pixmap = QPixmap(TILE, TILE)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    painter.drawImage(pixmap.rect(), image)
    painter.end()
    return pixmap


class FeaturePicker(QWidget):
    """One toggle tile per feature of the catalogue; the chosen ones are what the network sees."""

    featuresChanged = Signal(object)

    def __init__(self, colors: CanvasColors, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colors = colors
        self.maps: dict[str, np.ndarray] = {}
        self.title = QLabel("Features the network sees")
        self.title.setToolTip("Which functions of a point (x1, x2) the Input node hands the first layer. "
                              "With x1² and x2², a network without hidden layers can draw a circle.")
        self.buttons: dict[str, QToolButton] = {}
        tiles = QGridLayout()
        tiles.setContentsMargins(0, 0, 0, 0)
        tiles.setHorizontalSpacing(4)
        tiles.setVerticalSpacing(2)
        for i, feature in enumerate(FEATURES.values()):
            button = QToolButton()
            button.setCheckable(True)
            button.setText(feature.label)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            button.setIconSize(QSize(TILE, TILE))
            button.setAutoRaise(True)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.setToolTip(f"<b>{feature.name}</b>: {feature.help}<br>Click (or Space) to give the network "
                              "this feature or take it away. The square shows its value over the plane: "
                              "orange negative, blue positive.")
            button.toggled.connect(lambda _on, name=feature.name: self._on_toggled(name))
            self.buttons[feature.name] = button
            tiles.addWidget(button, *divmod(i, COLUMNS))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addLayout(tiles)
        self.set_features(DEFAULT_FEATURES)
        self.set_colors(colors)

    def chosen(self) -> tuple[str, ...]:
        """The switched-on features, in the catalogue's order."""
        return canonical([name for name, b in self.buttons.items() if b.isChecked()])

    def set_features(self, features: Sequence[str]) -> None:
        """Follow the project quietly (no ``featuresChanged``)."""
        for name, button in self.buttons.items():
            with QSignalBlocker(button):
                button.setChecked(name in features)

    def show_plane(self, points: np.ndarray) -> None:
        """Draw every feature over the plane the training ``points`` (N, 2) cover."""
        self.maps = feature_maps(points)
        self._paint_tiles()

    def set_colors(self, colors: CanvasColors) -> None:
        self.colors = colors
        set_text_color(self.title, colors.text_dim)
        self._paint_tiles()

    def _paint_tiles(self) -> None:
        if not self.maps:
            return
        table = _colour_table(self.colors)
        for name, button in self.buttons.items():
            icon = QIcon()
            icon.addPixmap(_pixmap(self.maps[name], table, None), QIcon.Mode.Normal, QIcon.State.On)
            icon.addPixmap(_pixmap(self.maps[name], table, self.colors.background), QIcon.Mode.Normal,
                           QIcon.State.Off)
            button.setIcon(icon)

    def _on_toggled(self, name: str) -> None:
        chosen = self.chosen()
        if not chosen:  # the network needs an input: keep the last feature on
            with QSignalBlocker(self.buttons[name]):
                self.buttons[name].setChecked(True)
            return
        self.featuresChanged.emit(chosen)
