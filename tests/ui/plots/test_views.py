"""What every live view must do: draw realistic data in both themes, export its picture and
its data, and empty itself on clear/reset."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from playground.ui.plots.base import PlotView
from playground.ui.plots.export import ExportButton
from playground.ui.theme import DARK, LIGHT, make_palette
from tests.ui.plots.conftest import Show, drawn_share
from tests.ui.plots.populated import VIEWS


@pytest.fixture(params=list(VIEWS))
def view(request: pytest.FixtureRequest, show: Show) -> PlotView:
    return show(VIEWS[request.param]())


def test_draws_in_light_and_dark(view: PlotView, qtbot: QtBot) -> None:
    for colors in (LIGHT, DARK):
        view.setPalette(make_palette(colors))
        view.flush()
        assert view.colors.dark == colors.dark
        assert view.graphics.backgroundBrush().color() == view.colors.background
        assert drawn_share(view) > 0.03, "the view looks empty"


def test_exports_picture_and_data(view: PlotView, tmp_path: Path) -> None:
    png = view.export_picture(tmp_path / "view.png")
    image = QImage(str(png))
    assert not image.isNull()
    assert image.width() >= view.graphics.width()
    svg = view.export_picture(tmp_path / "view.svg")
    assert "<svg" in svg.read_text(encoding="utf-8")[:2000]
    header, rows = view.data_table()
    assert rows, "a populated view has data"
    with view.export_data(tmp_path / "view.csv").open(newline="", encoding="utf-8") as f:
        written = list(csv.reader(f))
    assert written[0] == header
    assert len(written) == len(rows) + 1
    assert all(len(row) == len(header) for row in written)


def test_picture_export_refuses_unknown_formats(view: PlotView, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="png or .svg"):
        view.export_picture(tmp_path / "view.gif")


def test_reset_empties_the_view(view: PlotView) -> None:
    view.clear()
    view.reset()
    view.flush()
    assert view.data_table()[1] == []


def test_export_button_asks_for_a_file_and_writes_it(view: PlotView, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    button = view.findChild(ExportButton)
    answers = iter([(str(tmp_path / "picture"), "SVG drawing (*.svg)"), (str(tmp_path / "table.csv"), "")])
    monkeypatch.setattr("playground.ui.plots.export.QFileDialog.getSaveFileName", lambda *a: next(answers))
    button.picture_action.trigger()
    button.data_action.trigger()
    assert (tmp_path / "picture.svg").exists()
    assert (tmp_path / "table.csv").exists()
