"""Switching the appearance while views are open: every text stays readable on what is painted
behind it, and every axis keeps plain tick numbers.

The switch goes through the application palette, as ``ThemeManager`` does it (views get a
PaletteChange event), in both orders and back again.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from playground.ui.editor.palette import PaletteWidget
from playground.ui.plots.base import REASON_WIDTH, PlotView
from playground.ui.plots.loss import LossView
from playground.ui.theme import DARK, LIGHT
from tests.ui.helpers import SetTheme, show_at
from tests.ui.plots.fakes import report
from tests.ui.plots.populated import VIEWS
from tests.ui.plots.readability import (
    MIN_CONTRAST,
    contrast,
    grab_window,
    luminance,
    text_contrast,
    text_widgets,
)

#: Light -> dark -> light -> dark: every transition, and each theme reached twice.
SWITCHES = (LIGHT, DARK, LIGHT, DARK)


def _settle(widget: QWidget) -> None:
    if isinstance(widget, PlotView):
        widget.flush()
    QApplication.processEvents()
    widget.grab()  # a first paint lets auto-sized axes and labels settle
    QApplication.processEvents()


def unreadable_texts(root: QWidget) -> list[str]:
    """Labels and buttons of ``root`` whose text has too little contrast with its background."""
    pixels = grab_window(root)
    problems = []
    for widget in text_widgets(root):
        ratio, background, text = text_contrast(widget, pixels)
        if ratio < MIN_CONTRAST:
            problems.append(f"{type(widget).__name__} {widget.text()[:40]!r}: contrast {ratio:.2f} "
                            f"(text {text} on {background})")
    return problems


def _number(text: str) -> float | None:
    try:
        return float(text.replace("−", "-").replace(",", ""))
    except ValueError:
        return None


def axis_problems(view: PlotView) -> list[str]:
    """Axes of ``view`` whose tick labels are not the plain numbers they stand for (an SI
    scale frozen at 1000 writes 0.8 as "800")."""
    problems = []
    for item in view.graphics.scene().items():
        if not isinstance(item, pg.AxisItem) or not item.isVisible():
            continue
        if item.autoSIPrefixScale != 1.0:
            problems.append(f"{item.orientation} axis scaled by {item.autoSIPrefixScale}")
        if type(item) is not pg.AxisItem or item.logMode or item._tickLevels is not None:
            continue  # decade axes, log axes and named ticks write no plain numbers
        lo, hi = sorted(item.range)
        if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
            continue
        size = max(item.height() if item.orientation in ("left", "right") else item.width(), 100.0)
        for spacing, values in item.tickValues(lo, hi, size):
            strings = item.tickStrings(values, item.autoSIPrefixScale * item.scale, spacing)
            for value, text in zip(values, strings):
                number = _number(text)
                if number is not None and abs(number - value) > spacing / 2 + 1e-9 * abs(value):
                    problems.append(f"{item.orientation} axis writes {value:g} as {text!r}")
    return problems


@pytest.mark.parametrize("name", list(VIEWS))
def test_views_stay_readable_through_theme_switches(name: str, qtbot: QtBot, set_theme: SetTheme) -> None:
    set_theme(SWITCHES[0])
    view = VIEWS[name]()
    qtbot.addWidget(view)
    view.resize(620, 520)
    view.show()
    qtbot.waitExposed(view)
    for colors in SWITCHES:
        set_theme(colors)
        _settle(view)
        assert view.colors.dark == colors.dark, "the view follows the application palette"
        where = f"{name} after switching to {'dark' if colors.dark else 'light'}"
        assert unreadable_texts(view) == [], where
        assert axis_problems(view) == [], where


def test_reason_is_readable_in_both_themes(qtbot: QtBot, set_theme: SetTheme) -> None:
    view = VIEWS["boundary"]()
    qtbot.addWidget(view)
    view.resize(700, 440)
    view.show()
    qtbot.waitExposed(view)
    view.show_reason("The decision boundary needs exactly two input features; this dataset has images.")
    for colors in SWITCHES:
        set_theme(colors)
        _settle(view)
        ratio, background, _text = text_contrast(view.reason, grab_window(view))
        assert ratio >= 4.5, "the heading reads as body text"
        assert background == view.colors.background.getRgb()[:3], "on the plot's own background"
        reason = view.reason
        body = np.array(reason.palette().color(reason.foregroundRole()).getRgb()[:3])
        full = float(contrast(np.array(view.colors.foreground.getRgb()[:3]), np.array(background)))
        assert 4.5 <= float(contrast(body, np.array(background))) < full, "the reason is dim but readable"
    column = reason.contentsRect()
    assert column.width() <= REASON_WIDTH, "a readable line length"
    assert abs(column.left() - (reason.width() - column.right())) <= 2, "centred"
    assert reason.geometry().top() > view.toolbar.geometry().bottom(), "the title row stays visible"


@pytest.mark.parametrize("losses", [(0.8, 0.4), (2.0e-4, 1.0e-4), (2.3, 0.9)])
def test_loss_axis_keeps_plain_numbers_through_theme_switches(losses: tuple[float, float], qtbot: QtBot,
                                                             set_theme: SetTheme) -> None:
    set_theme(LIGHT)
    view = show_at(qtbot, LossView(), 560, 440)
    first, last = losses
    view.add_reports([report(s, loss=first + (last - first) * s / 200, acc=None) for s in range(5, 205, 5)])
    for colors in (DARK, LIGHT, DARK, LIGHT):
        set_theme(colors)
        _settle(view)
        axis = view.loss_plot.getAxis("left")
        assert axis.autoSIPrefixScale == 1.0
        assert axis.labelUnitPrefix == ""
        lo, hi = sorted(axis.range)
        assert lo <= last, "the axis shows the losses"
        assert hi >= first, "the axis shows the losses"
        values = [v for _spacing, vs in axis.tickValues(lo, hi, axis.height()) for v in vs]
        numbers = [_number(t) for t in axis.tickStrings(values, axis.autoSIPrefixScale * axis.scale, hi - lo)]
        assert all(n is not None and abs(n - v) <= (hi - lo) for n, v in zip(numbers, values)), numbers
        assert axis_problems(view) == []


def test_layer_palette_follows_the_theme(qtbot: QtBot, set_theme: SetTheme) -> None:
    set_theme(LIGHT)
    palette = show_at(qtbot, PaletteWidget(), 240, 520)
    tree = palette.tree
    for colors in SWITCHES:
        set_theme(colors)
        _settle(palette)
        pixels = grab_window(palette)
        viewport = tree.viewport()
        corner = viewport.mapTo(palette, viewport.rect().bottomRight())
        background = pixels[corner.y() - 3, corner.x() - 3]
        dark_background = float(luminance(background)) < 0.2
        assert dark_background == colors.dark, f"tree background {tuple(background)} in the {colors.dark=} theme"
        items = [tree.topLevelItem(0), tree.topLevelItem(0).child(0), tree.topLevelItem(1).child(0)]
        for item in items:
            rect = tree.visualItemRect(item)
            top_left = viewport.mapTo(palette, rect.topLeft())
            crop = pixels[top_left.y():top_left.y() + rect.height(), top_left.x():top_left.x() + rect.width()]
            flat = crop.reshape(-1, 3)
            colours, counts = np.unique(flat, axis=0, return_counts=True)
            behind = colours[counts.argmax()]
            ratio = ((np.maximum(luminance(colours), luminance(behind)) + 0.05)
                     / (np.minimum(luminance(colours), luminance(behind)) + 0.05)).max()
            assert ratio >= MIN_CONTRAST, f"{item.text(0)!r}: contrast {ratio:.2f}"

