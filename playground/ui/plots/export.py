"""Exporting a view's picture (PNG, SVG through pyqtgraph's exporters) and its data (CSV).

Every view offers the same two actions from the same small "Export" tool button, so this
module holds the button and the two file writers; a view only says which graphics item is
its picture and which rows are its data (``PlotView.picture_item`` and ``data_table``).
"""

from __future__ import annotations

import csv
import importlib
import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol
from xml.dom import minidom

from pyqtgraph.exporters import ImageExporter, SVGExporter
from PySide6.QtCore import QPoint, QRect, Slot
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QFileDialog, QGraphicsItem, QGraphicsScene, QMenu, QMessageBox, QToolButton, QWidget

PICTURE_FILTERS = "PNG image (*.png);;SVG drawing (*.svg)"
DATA_FILTER = "CSV table (*.csv)"
#: PNG pictures are rendered at this multiple of their on-screen size, so they stay sharp in
#: slides and reports.
PICTURE_SCALE = 2.0

Cell = float | int | str | None


class Exportable(Protocol):
    """What the export button needs from a view."""

    export_name: str

    def export_picture(self, path: str | Path) -> Path: ...

    def export_data(self, path: str | Path) -> Path: ...


_svg_module = importlib.import_module("pyqtgraph.exporters.SVGExporter")


def _lines_instead_of_closepath(node: minidom.Element) -> None:
    """Replace each SVG closepath ("Z") with a line back to its subpath's start: the same
    outline and fill, in the only path syntax pyqtgraph's coordinate fixer reads."""
    for path in node.getElementsByTagName("path"):
        tokens = path.getAttribute("d").split()
        if not any(t[-1] in "Zz" for t in tokens):
            continue
        out: list[str] = []
        start = None
        for token in tokens:
            closes = token[-1] in "Zz"
            token = token.rstrip("Zz")
            if token:
                if token[0] in "Mm":
                    start = token[1:]
                out.append(token)
            if closes and start is not None:
                out.append("L" + start)
        path.setAttribute("d", " ".join(out))


@contextmanager
def _svg_closepath_workaround() -> Iterator[None]:
    """pyqtgraph 0.14's SVG exporter fails on the closed paths Qt 6 writes for every view box
    background (pyqtgraph#3495: "SVGExporter cannot handle closed paths"). For the duration of
    one export (GUI thread), its coordinate fixer first gets the paths rewritten without "Z".
    Harmless once pyqtgraph parses "Z" itself; drop it when the requirement moves past 0.14."""
    original = _svg_module.correctCoordinates

    def corrected(node: minidom.Element, *args: Any) -> Any:
        _lines_instead_of_closepath(node)
        return original(node, *args)

    _svg_module.correctCoordinates = corrected
    try:
        yield
    finally:
        _svg_module.correctCoordinates = original


def export_picture(target: QGraphicsItem | QGraphicsScene, path: str | Path, scale: float = PICTURE_SCALE) -> Path:
    """Write ``target`` (a plot item, a layout, or a whole scene) to ``path``: SVG for ``.svg``,
    otherwise a raster image (PNG) at ``scale`` times its size on screen."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".svg":
        with _svg_closepath_workaround():
            SVGExporter(target).export(str(path))
    elif suffix in RASTER:
        exporter = ImageExporter(target)
        width = exporter.parameters()["width"]
        exporter.parameters()["width"] = max(1, int(width * scale))
        exporter.export(str(path))
    else:
        raise ValueError(f"cannot export a picture as {path.name!r}: use .png or .svg")
    if not path.exists():
        raise OSError(f"the picture could not be written to {path}")
    return path


RASTER = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


def export_widget(widget: QWidget, path: str | Path) -> Path:
    """Write a view made of widgets (text, cards) as shown: a raster image, or an SVG drawing of
    the same widgets."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".svg":
        generator = QSvgGenerator()
        generator.setFileName(str(path))
        generator.setSize(widget.size())
        generator.setViewBox(QRect(0, 0, widget.width(), widget.height()))
        painter = QPainter(generator)
        widget.render(painter, QPoint())
        painter.end()
    elif suffix in RASTER:
        widget.grab().save(str(path))
    else:
        raise ValueError(f"cannot export a picture as {path.name!r}: use .png or .svg")
    if not path.exists():
        raise OSError(f"the picture could not be written to {path}")
    return path


def _cell(value: Cell) -> Cell:
    """Empty for missing and non-finite numbers, so spreadsheets do not choke on 'nan'."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return value


def write_csv(path: str | Path, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Path:
    """Write a header and rows as CSV (UTF-8, the csv module's quoting)."""
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows([_cell(v) for v in row] for row in rows)
    return path


def _with_suffix(path: str, selected_filter: str) -> str:
    """Add the suffix of the chosen file-dialog filter when the name has none."""
    if Path(path).suffix:
        return path
    start = selected_filter.rfind("*.")
    return path + selected_filter[start + 1:].rstrip(")") if start >= 0 else path


class ExportButton(QToolButton):
    """A tool button with "Export picture…" and "Export data…": asks for a file, calls the view,
    and reports a failure in a message box (never a traceback)."""

    def __init__(self, view: Exportable, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._view = view
        self._directory = Path.home()
        self.setText("Export")
        self.setToolTip("Export this view's picture (PNG, SVG) or its data (CSV)")
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self)
        self.picture_action = menu.addAction("Export picture…")
        self.data_action = menu.addAction("Export data…")
        self.picture_action.triggered.connect(self._export_picture)
        self.data_action.triggered.connect(self._export_data)
        self.setMenu(menu)

    def _ask(self, title: str, suffix: str, filters: str) -> str | None:
        suggested = str(self._directory / f"{self._view.export_name}{suffix}")
        path, chosen = QFileDialog.getSaveFileName(self, title, suggested, filters)
        if not path:
            return None
        path = _with_suffix(path, chosen)
        self._directory = Path(path).parent
        return path

    def _run(self, title: str, suffix: str, filters: str, write: str) -> None:
        path = self._ask(title, suffix, filters)
        if path is None:
            return
        try:
            getattr(self._view, write)(path)
        except (OSError, ValueError) as exc:
            QMessageBox.warning(self, title, f"Could not export to {path}:\n{exc}")

    @Slot()
    def _export_picture(self) -> None:
        self._run("Export picture", ".png", PICTURE_FILTERS, "export_picture")

    @Slot()
    def _export_data(self) -> None:
        self._run("Export data", ".csv", DATA_FILTER, "export_data")
