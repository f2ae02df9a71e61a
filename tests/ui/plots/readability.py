"""Readability checks from pixels: the contrast of text with what is actually painted behind it.

A widget's palette says what it means to paint, not what ends up on screen (a style sheet or
a parent's background can differ), so the checks grab the window and look at the pixels
inside each label: the most common colour there is the background, the colour that stands out
most from it is the text.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QAbstractButton, QCheckBox, QLabel, QStyle, QStyleOptionButton, QWidget

#: WCAG's minimum contrast for large or bold text and for graphics; body text should reach 4.5.
MIN_CONTRAST = 3.0


def image_array(image: QImage) -> np.ndarray:
    """A QImage as an ``(H, W, 3)`` uint8 array."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, stride = image.width(), image.height(), image.bytesPerLine()
    return np.frombuffer(image.constBits(), np.uint8, h * stride).reshape(h, stride)[:, : 3 * w].reshape(h, w, 3).copy()


def luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG relative luminance of sRGB colours (last axis r, g, b in 0..255)."""
    c = np.asarray(rgb, dtype=float) / 255.0
    linear = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return linear @ np.array([0.2126, 0.7152, 0.0722])


def contrast(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """WCAG contrast ratio (1..21) between colours."""
    la, lb = luminance(a), luminance(b)
    return (np.maximum(la, lb) + 0.05) / (np.minimum(la, lb) + 0.05)


def text_rect(widget: QWidget) -> QRect:
    """Where a label's or button's text is drawn, in the widget's coordinates."""
    if isinstance(widget, QCheckBox):
        option = QStyleOptionButton()
        widget.initStyleOption(option)
        return widget.style().subElementRect(QStyle.SubElement.SE_CheckBoxContents, option, widget)
    return widget.contentsRect()


def text_contrast(widget: QWidget, window_pixels: np.ndarray) -> tuple[float, tuple[int, ...], tuple[int, ...]]:
    """(contrast, background rgb, text rgb) of ``widget``'s text in a grab of its window."""
    rect = text_rect(widget)
    top_left = widget.mapTo(widget.window(), rect.topLeft())
    x0, y0 = max(top_left.x(), 0), max(top_left.y(), 0)
    crop = window_pixels[y0:y0 + rect.height(), x0:x0 + rect.width()].reshape(-1, 3)
    colours, counts = np.unique(crop, axis=0, return_counts=True)
    background = colours[counts.argmax()]
    ratios = contrast(colours, background[None, :])
    text = colours[ratios.argmax()]
    return float(ratios.max()), tuple(int(v) for v in background), tuple(int(v) for v in text)


def text_widgets(root: QWidget) -> list[QWidget]:
    """The labels and buttons with text that are visible in ``root``."""
    found: list[QWidget] = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, QLabel | QAbstractButton) or not widget.isVisibleTo(root.window()):
            continue
        text = widget.text().strip()
        if text and widget.width() > 4 and widget.height() > 4:
            found.append(widget)
    return found


def grab_window(widget: QWidget) -> np.ndarray:
    return image_array(widget.window().grab().toImage())



