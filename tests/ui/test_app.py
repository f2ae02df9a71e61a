"""The ``playground`` GUI command: --screenshot renders the window offscreen and exits."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

from playground.ui.settings import SETTINGS_ENV

ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str], settings: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", SETTINGS_ENV: str(settings), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "playground", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_screenshot_of_a_project(tmp_path: Path) -> None:
    out = tmp_path / "shot.png"
    result = run(["--screenshot", str(out), "--train-steps", "3", "--theme", "dark",
                  "lenet_digits"], tmp_path / "settings")
    assert result.returncode == 0, result.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1440, 900)
    assert image.pixelColor(720, 450).lightness() < 100
    assert not (tmp_path / "settings" / "recovery.json").exists()


def test_screenshot_of_a_bad_project_is_a_user_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "nn-playground/1", "graph": {"nodes": [{"id": "x", "type": "Nope"}]}}')
    result = run(["--screenshot", str(tmp_path / "x.png"), str(bad)], tmp_path / "settings")
    assert result.returncode == 1
    assert "unknown type 'Nope'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "x.png").exists()


def _project(tmp_path: Path, dataset: dict[str, object], nodes: list[dict[str, object]],
             edges: list[list[str]]) -> Path:
    import json

    path = tmp_path / "p.json"
    path.write_text(json.dumps({"format": "nn-playground/1", "name": "p", "dataset": dataset,
                                "graph": {"nodes": nodes, "edges": edges}, "training": {}, "layout": {}}))
    return path


CHAIN = ([{"id": "in", "type": "Input"}, {"id": "h", "type": "Dense"}, {"id": "out", "type": "Output"}],
         [["in", "h"], ["h", "out"]])


def test_screenshot_with_a_missing_data_file_reports_it_and_exits(tmp_path: Path) -> None:
    """Defect: with --train-steps a modal message box about the missing file waited forever for
    a click (the process never ended); without, a picture of the failure was written and exit 0."""
    project = _project(tmp_path, {"name": "csv", "path": "missing.csv", "target": "y"}, *CHAIN)
    for steps in ("0", "5"):
        out = tmp_path / f"shot{steps}.png"
        result = run(["--screenshot", str(out), "--train-steps", steps, str(project)], tmp_path / "settings")
        assert result.returncode == 1, result.stderr
        assert "missing.csv" in result.stderr
        assert "Traceback" not in result.stderr
        assert not out.exists()


def test_screenshot_of_a_network_that_cannot_train_reports_why(tmp_path: Path) -> None:
    nodes, _ = CHAIN
    project = _project(tmp_path, {"name": "spiral"}, nodes, [["in", "h"]])
    result = run(["--screenshot", str(tmp_path / "x.png"), "--train-steps", "3", str(project)], tmp_path / "settings")
    assert result.returncode == 1, result.stderr
    assert "cannot be trained" in result.stderr
    assert "Traceback" not in result.stderr
