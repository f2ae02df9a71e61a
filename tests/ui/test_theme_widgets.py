"""Widgets follow the application palette as ``ThemeManager`` sets it, judged by the pixels they
paint: a disabled slider or progress bar is grey, not accent-blue (QA: Momentum and Noise looked
live while the editor was locked for training), and the Dataset panel's Import button turns dark
with the rest of the window (QA: it stayed white with black text)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QProgressBar, QSlider, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from playground.ui.main_window import MainWindow
from playground.ui.theme import DARK, LIGHT, CanvasColors, make_palette
from tests.ui.helpers import SetTheme, chain
from tests.ui.plots.readability import (
    MIN_CONTRAST,
    contrast,
    grab_window,
    image_array,
    luminance,
    text_contrast,
)

Factory = Callable[..., MainWindow]


def distance(rgb: np.ndarray, colour: QColor) -> float:
    return float(np.abs(rgb.astype(int) - np.array([colour.red(), colour.green(), colour.blue()])).max())


def saturation(rgb: np.ndarray) -> float:
    return float(rgb.max() - rgb.min())


def fill_pixel(widget: QWidget) -> np.ndarray:
    """The colour a quarter of the way along ``widget``'s middle line: inside a slider's filled
    groove or a progress bar's chunk at 60 %."""
    pixels = image_array(widget.grab().toImage())
    return pixels[widget.height() // 2, widget.width() // 4]


@pytest.mark.parametrize("colors", [LIGHT, DARK], ids=["light", "dark"])
def test_disabled_slider_and_progress_are_grey(qtbot: QtBot, set_theme: SetTheme, colors: CanvasColors) -> None:
    set_theme(colors)
    host = QWidget()
    qtbot.addWidget(host)
    column = QVBoxLayout(host)
    made: dict[bool, tuple[QSlider, QProgressBar]] = {}
    for enabled in (True, False):
        slider = QSlider(Qt.Orientation.Horizontal)
        slider.setRange(0, 100)
        slider.setValue(60)
        bar = QProgressBar()
        bar.setValue(60)
        bar.setTextVisible(False)
        for widget in (slider, bar):
            widget.setEnabled(enabled)
            column.addWidget(widget)
        made[enabled] = (slider, bar)
    host.resize(240, 160)
    host.show()
    qtbot.waitExposed(host)
    accent = colors.accent
    for live, locked in zip(made[True], made[False], strict=True):
        on, off = fill_pixel(live), fill_pixel(locked)
        assert distance(on, accent) < 60, f"{type(live).__name__}: the enabled fill {on} is the accent"
        assert distance(off, accent) > 60, f"{type(locked).__name__}: the disabled fill {off} is still the accent"
        assert saturation(off) < 30, f"{type(locked).__name__}: the disabled fill {off} is grey"


@pytest.mark.parametrize("colors", [LIGHT, DARK], ids=["light", "dark"])
def test_dim_text_is_no_brighter_than_other_text_when_disabled(colors: CanvasColors) -> None:
    """A locked panel's dim info line read brighter than its disabled labels on the dark theme."""
    palette = make_palette(colors)
    off, role = QPalette.ColorGroup.Disabled, QPalette.ColorRole
    window = palette.color(off, role.Window)

    def against_window(r: QPalette.ColorRole) -> float:
        c = palette.color(off, r)
        return float(contrast(np.array([c.red(), c.green(), c.blue()]),
                              np.array([window.red(), window.green(), window.blue()])))

    assert against_window(role.PlaceholderText) <= against_window(role.WindowText) + 0.01


def test_the_import_button_turns_dark_with_the_window(make_window: Factory, set_theme: SetTheme) -> None:
    window = make_window(chain(("in", "Input"), ("h", "Dense"), ("out", "Output"), dataset={"name": "spiral"}))
    button = window.dataset_panel.import_button
    for colors in (DARK, LIGHT, DARK):
        set_theme(colors)
        window.repaint()
        pixels = grab_window(button)
        rect = button.rect().adjusted(3, 3, -3, -3)
        top_left = button.mapTo(window, rect.topLeft())
        face = pixels[top_left.y():top_left.y() + rect.height(), top_left.x():top_left.x() + rect.width()]
        colours, counts = np.unique(face.reshape(-1, 3), axis=0, return_counts=True)
        background = colours[counts.argmax()]
        window_colour = window.palette().color(QPalette.ColorRole.Window)
        dark_face = luminance(background) < 0.2
        assert dark_face == colors.dark, (f"the button's face is {tuple(background)} on a "
                                          f"{window_colour.name()} window")
        ratio, _, text = text_contrast(button, pixels)
        assert ratio >= MIN_CONTRAST, f"text {text} on {tuple(background)}: contrast {ratio:.2f}"


def test_side_panel_labels_take_the_new_themes_colours(make_window: Factory) -> None:
    """A style sheet fixes a widget's palette when it is polished: after a switch such a label
    kept the text colour of the theme it was polished in (dim help lines and the inspector's
    subtitle in the light theme's grey). Every label of the dataset panel and the inspector, and
    of a ParamForm, must draw with a colour of the theme now in force."""
    window = make_window(chain(("in", "Input"), ("h", "Dense"), ("out", "Output"), dataset={"name": "spiral"}))
    window.scene.select_nodes(["h"])
    for choice in ("dark", "light", "dark"):
        window.theme.set_choice(choice)
        QApplication.processEvents()
        colors = window.theme.colors
        roles = (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.PlaceholderText,
                 QPalette.ColorRole.ButtonText)
        app_palette = QApplication.palette()
        allowed = {app_palette.color(group, role).name() for role in roles
                   for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Disabled)}
        allowed |= {colors.error.name(), colors.ok.name(), colors.text.name(), colors.text_dim.name()}
        checked = 0
        for root in (window.dataset_panel, window.inspector, window.training.panel.form):
            for label in root.findChildren(QLabel):
                if not label.isVisibleTo(root) or not label.text():
                    continue
                text = label.palette().color(label.foregroundRole()).name()
                assert text in allowed, (f"{choice}: {label.text()[:40]!r} is drawn in {text}, a colour of "
                                         "another theme")
                checked += 1
        assert checked > 10
