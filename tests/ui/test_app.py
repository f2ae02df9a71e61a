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
                  "resources/examples/lenet_digits.json"], tmp_path / "settings")
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
