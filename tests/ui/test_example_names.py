"""The app's PROJECT argument takes a shipped example's name, as the headless commands do:
``playground lenet_digits`` opens it and ``--screenshot`` renders it, from any folder."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from playground.cli import main
from playground.core.examples import examples_dir
from playground.ui.main_window import MainWindow
from playground.ui.settings import SETTINGS_ENV

ROOT = Path(__file__).resolve().parents[2]


def test_the_app_opens_an_example_given_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[argparse.Namespace] = []
    monkeypatch.setattr("playground.ui.app.run_app", lambda args: seen.append(args) or 0)
    monkeypatch.chdir(tmp_path)
    assert main(["lenet_digits"]) == 0
    assert Path(seen[0].project) == examples_dir() / "lenet_digits.json"


def test_screenshot_of_an_example_given_by_name(tmp_path: Path) -> None:
    out = tmp_path / "shot.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", SETTINGS_ENV: str(tmp_path / "settings"),
           "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "playground", "--screenshot", str(out), "spiral"], env=env,
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (QImage(str(out)).width(), QImage(str(out)).height()) == (1440, 900)


def test_a_shipped_file_opened_as_a_path_opens_as_an_unsaved_copy(make_window: Callable[..., MainWindow]) -> None:
    """Defect: ``playground lenet_digits`` (or File > Open on the shipped file) made the example
    itself the window's file, so Save wrote into the installed package."""
    window = make_window()
    assert window.open_path(examples_dir() / "spiral.json")
    assert window.document.path is None
    assert window.document.project.name
