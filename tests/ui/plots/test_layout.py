"""Layout of the live views at the sizes docks give them: the main picture stays dominant,
texts are never cut or piled on each other, and legends never cover data."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QFontMetricsF, QImage, QPainter
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from playground.ui.plots.activations import ActivationView
from playground.ui.plots.base import PlotView
from playground.ui.plots.gradients import GradientView
from tests.ui.plots import fakes
from tests.ui.plots.populated import VIEWS, boundary_view, gradient_view, loss_view

#: Eleven layers: ten sigmoid Dense layers and the output, the lecture's deep network plus one.
ELEVEN = [f"dense{i}" for i in range(1, 11)] + ["out"]
ELEVEN_LABELS = {**{n: f"Dense '{n}'" for n in ELEVEN[:-1]}, "out": "Output 'out'"}


def shown(qtbot: QtBot, view: PlotView, width: int, height: int) -> PlotView:
    """Show ``view`` at ``width`` x ``height``, drawn and laid out (axes size themselves after a
    first paint)."""
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    qtbot.waitExposed(view)
    for _ in range(2):
        view.flush()
        QApplication.processEvents()
        view.grab()
        QApplication.processEvents()
    return view


def tick_label_rects(axis: pg.AxisItem) -> list[tuple[str, QRectF]]:
    """Each tick label the axis draws, with its rectangle in scene coordinates (a full line of
    the tick font high: pyqtgraph's own rectangles are a little shorter than the text)."""
    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    font = axis.style["tickFont"]
    if font is not None:
        painter.setFont(font)
    line = QFontMetricsF(painter.font()).height()
    _axis_spec, _tick_specs, text_specs = axis.generateDrawSpecs(painter)
    painter.end()
    rects = []
    for rect, _flags, text in text_specs:
        full = QRectF(rect)
        full.setTop(rect.center().y() - line / 2)
        full.setHeight(line)
        rects.append((text, axis.mapRectToScene(full)))
    return rects


def overlaps(named: list[tuple[str, QRectF]]) -> list[str]:
    found = []
    for i, (a, ra) in enumerate(named):
        for b, rb in named[i + 1:]:
            if ra.intersects(rb):
                found.append(f"{a!r} overlaps {b!r}")
    return found


# --------------------------------------------------------------------------- decision boundary

@pytest.mark.parametrize("size", [(420, 380), (560, 440), (900, 300), (560, 620), (360, 520), (300, 300)])
def test_boundary_stays_the_dominant_picture(size: tuple[int, int], qtbot: QtBot) -> None:
    view = boundary_view()
    view.set_unit_grids(fakes.unit_grids(units=8), {"h1": "Dense 'h1'", "h2": "Dense 'h2'"})
    shown(qtbot, view, *size)
    box = view.plot.getViewBox()
    rect = box.sceneBoundingRect()
    smaller = min(size)
    assert rect.width() >= 0.6 * smaller, f"plot {rect.width():.0f} x {rect.height():.0f} in a {size} view"
    assert rect.height() >= 0.6 * smaller, f"plot {rect.width():.0f} x {rect.height():.0f} in a {size} view"
    (x0, x1), (y0, y1) = box.viewRange()
    assert -4 <= x0 <= -1.4, "the x range stays near the data's (-1.5 .. 2.5)"
    assert 2.4 <= x1 <= 6
    assert -4 <= y0 <= -0.9
    assert 1.4 <= y1 <= 4
    assert box.state["aspectLocked"], "square units"
    if view.units_shown():
        # the unit pictures are inside the view and clear of the plot
        canvas = QRectF(view.graphics.rect())
        for image in view.unit_images():
            unit = image.sceneBoundingRect()
            assert canvas.contains(unit), f"a unit picture at {unit} is outside the canvas"
            assert not unit.intersects(rect), "a unit picture covers the plot"


def test_boundary_puts_units_beside_a_wide_plot_and_under_a_tall_one(qtbot: QtBot) -> None:
    wide = shown(qtbot, boundary_view(), 900, 360)
    assert wide.units_shown()
    assert wide.units_placement() == "side"
    tall = shown(qtbot, boundary_view(), 460, 680)
    assert tall.units_shown()
    assert tall.units_placement() == "below"
    assert tall.unit_count() == 16


def test_boundary_is_laid_out_as_soon_as_units_arrive(qtbot: QtBot) -> None:
    """The workspace reads the plot's size right after feeding it (no event-loop pass)."""
    view = boundary_view()
    view.set_unit_grids({})
    shown(qtbot, view, 411, 318)
    view.set_unit_grids(fakes.unit_grids(units=8), {"h1": "Dense 'h1'", "h2": "Dense 'h2'"})
    view.flush()
    assert view.units_shown()
    box = view.plot.getViewBox().sceneBoundingRect()
    assert min(box.width(), box.height()) >= 0.6 * 318, f"{box.width():.0f} x {box.height():.0f}"
    panel = view.units.sceneBoundingRect()
    assert not panel.intersects(box)
    assert QRectF(view.graphics.rect()).contains(panel)


def test_boundary_units_give_way_in_a_small_view(qtbot: QtBot) -> None:
    view = shown(qtbot, boundary_view(), 300, 300)
    assert not view.units_shown(), "no room for units without shrinking the boundary"
    assert not view.units_toggle.isEnabled(), "the toggle says they are asked for but do not fit"
    assert "larger view" in view.units_toggle.toolTip()
    view.resize(620, 620)
    QApplication.processEvents()
    assert view.units_shown()
    assert view.units_toggle.isEnabled()


def test_boundary_units_can_be_hidden(qtbot: QtBot) -> None:
    view = shown(qtbot, boundary_view(), 420, 380)
    before = view.plot.getViewBox().sceneBoundingRect()
    view.units_toggle.setChecked(False)
    QApplication.processEvents()
    view.grab()
    QApplication.processEvents()
    assert not view.units_shown()
    after = view.plot.getViewBox().sceneBoundingRect()
    assert after.height() >= before.height()
    assert after.width() >= before.width()


# --------------------------------------------------------------------------- gradients

def eleven_layer_view() -> GradientView:
    view = GradientView()
    view.set_node_order(ELEVEN, ELEVEN_LABELS)
    view.add_reports(fakes.training_run(decay=0.9, seed=1, nodes=ELEVEN))
    view.keep_as_previous("ReLU + He")
    view.add_reports(fakes.training_run(decay=0.3, nodes=ELEVEN))
    return view


@pytest.mark.parametrize("size", [(620, 560), (420, 380), (360, 300)])
def test_gradient_bar_labels_and_flags_never_overlap(size: tuple[int, int], qtbot: QtBot) -> None:
    view = shown(qtbot, eleven_layer_view(), *size)
    flags = view.flags()
    assert list(flags.values()).count("vanishing") >= 5, "the sigmoid profile flags the first layers"
    labels = tick_label_rects(view.bar_plot.getAxis("left"))
    assert [text for text, _ in labels] == [ELEVEN_LABELS[n] for n in ELEVEN], "every layer is named"
    tags = [(text.toPlainText().strip(), text.sceneBoundingRect()) for text in view._flag_texts if text.isVisible()]
    assert len(tags) == len(flags)
    limits = [(line.label.toPlainText(), line.label.sceneBoundingRect()) for line in view._limits if line.isVisible()]
    assert overlaps(labels + tags + limits) == []
    bars = view.bar_plot.getViewBox()
    plot_area = bars.sceneBoundingRect()
    for text, rect in tags:
        assert plot_area.contains(rect), f"flag {text!r} at {rect} is cut by the plot's edge {plot_area}"
    # each flag sits in its bar's row
    for (text, rect), node in zip(tags, [n for n in ELEVEN if n in flags]):
        row = bars.mapViewToScene(pg.Point(0, ELEVEN.index(node))).y()
        assert rect.top() <= row <= rect.bottom(), f"flag {text!r} is not beside its bar"


def test_gradient_legend_is_beside_the_curves(qtbot: QtBot) -> None:
    view = shown(qtbot, eleven_layer_view(), 620, 560)
    legend = view.legend.sceneBoundingRect()
    assert legend.height() > 0
    assert not legend.intersects(view.time_plot.getViewBox().sceneBoundingRect())
    assert not legend.intersects(view.bar_plot.getViewBox().sceneBoundingRect())


# --------------------------------------------------------------------------- activations

@pytest.mark.parametrize("width", [620, 420, 300])
def test_activation_row_labels_are_whole_or_elided(width: int, qtbot: QtBot) -> None:
    nodes = ["dense1", "act1", "dense2", "drop", "out"]
    rng = np.random.default_rng(0)
    view = ActivationView()
    view.set_node_order(nodes, {"dense1": "Dense 'dense1'", "act1": "Activation 'act1'",
                                "dense2": "Dense 'dense2'", "drop": "Dropout 'drop'", "out": "Output 'out'"})
    view.add_report(fakes.report(130, activations={n: fakes.activation(rng, "relu") for n in nodes},
                                 weights={n: fakes.weights(rng, 16) for n in ("dense1", "dense2", "out")}))
    shown(qtbot, view, width, 560)
    assert len(view._rows) == len(nodes)
    for node, row in view._rows.items():
        label = row.label
        text = label.item.toPlainText()
        drawn = label.item.mapRectToScene(label.item.boundingRect())
        cell = label.sceneBoundingRect()
        assert text == view._labels[node] or text.endswith("…"), f"{text!r} is cut without an ellipsis"
        assert drawn.left() >= cell.left() - 0.5, f"{text!r} starts outside its cell"
        assert drawn.right() <= cell.right() + 0.5, f"{text!r} runs out of its cell"
        canvas = QRectF(view.graphics.rect())
        assert canvas.contains(drawn), f"{text!r} is cut by the canvas"


# --------------------------------------------------------------------------- titles and tools

@pytest.mark.parametrize("name", list(VIEWS))
@pytest.mark.parametrize("width", [360, 420, 560])
def test_titles_are_whole_or_elided_and_tools_fit(name: str, width: int, qtbot: QtBot) -> None:
    view = shown(qtbot, VIEWS[name](), width, 440)
    title = view.title_label
    metrics = title.fontMetrics()
    drawn = title.shown_text()
    assert drawn == title.text() or (drawn.endswith("…") and title.toolTip() == title.text()), (
        f"{drawn!r} is a cut title")
    assert metrics.horizontalAdvance(drawn) <= title.contentsRect().width(), f"{drawn!r} is wider than its label"
    if width >= 360:
        assert drawn == title.text(), f"the title {title.text()!r} fits a {width} px view"
    # every tool is inside the view and none overlaps another or the title
    widgets = [title, *[w for w in view.tools.findChildren(pg.QtWidgets.QWidget) if w.parent() is view.tools],
               view.export_button]
    rects = [(type(w).__name__, QRectF(w.geometry().translated(w.parentWidget().mapTo(view, pg.QtCore.QPoint(0, 0)))))
             for w in widgets if w.isVisible()]
    for kind, rect in rects:
        assert QRectF(view.rect()).contains(rect), f"{kind} at {rect} is outside the {width} px view"
    assert overlaps(rects) == []


# --------------------------------------------------------------------------- legends

def test_loss_legend_does_not_cover_the_curves(qtbot: QtBot) -> None:
    for width, height in ((560, 440), (380, 320)):
        view = shown(qtbot, loss_view(), width, height)
        legend = view.legend.sceneBoundingRect()
        assert legend.height() > 0
        for plot in (view.loss_plot, view.acc_plot):
            assert not legend.intersects(plot.getViewBox().sceneBoundingRect()), f"{width}x{height}"
        assert QRectF(view.graphics.rect()).contains(legend), "the legend is whole"


def test_boundary_legend_does_not_cover_the_plane(qtbot: QtBot) -> None:
    for size in ((560, 440), (900, 300), (420, 380)):
        view = shown(qtbot, boundary_view(), *size)
        legend = view.legend.sceneBoundingRect()
        assert legend.height() > 0
        assert not legend.intersects(view.plot.getViewBox().sceneBoundingRect()), f"{size}"


def test_gradient_view_at_the_overview_size_keeps_its_bars_readable(qtbot: QtBot) -> None:
    view = shown(qtbot, gradient_view(), 620, 560)
    labels = tick_label_rects(view.bar_plot.getAxis("left"))
    assert len(labels) == len(fakes.DEEP_NODES)
    assert overlaps(labels) == []
