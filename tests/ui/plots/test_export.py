"""The shared export helpers: CSV cells, the closed-path workaround for pyqtgraph's SVG export."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from xml.dom import minidom

from playground.ui.plots.export import _lines_instead_of_closepath, write_csv


def test_write_csv_leaves_missing_and_non_finite_cells_empty(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", ["a", "b", "c"], [[1, math.nan, None], ["x", math.inf, 0.5]])
    with path.open(newline="") as f:
        assert list(csv.reader(f)) == [["a", "b", "c"], ["1", "", ""], ["x", "", "0.5"]]


def test_closed_paths_become_lines_back_to_their_start() -> None:
    doc = minidom.parseString('<g><path d="M0,0 L4,0 L4,3 Z M10,10 L11,10 Z"/><path d="M1,1 L2,2"/></g>')
    _lines_instead_of_closepath(doc.documentElement)
    first, second = doc.getElementsByTagName("path")
    assert first.getAttribute("d") == "M0,0 L4,0 L4,3 L0,0 M10,10 L11,10 L10,10"
    assert second.getAttribute("d") == "M1,1 L2,2"
