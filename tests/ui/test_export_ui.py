"""File > Export… after a run: every format is written, verified, and the dialog says so;
File > Load Weights… takes the exported weights back and refuses a mismatched file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from pytestqt.qtbot import QtBot

from playground.core.export import EXPORTERS
from playground.ui.main_window import MainWindow
from tests.ui.test_training_ui import xor_project

Factory = Callable[..., MainWindow]


def export(window: MainWindow, qtbot: QtBot, fmt: str, path: Path) -> str:
    dialog = window.export_model()
    assert dialog is not None
    dialog.format.setCurrentIndex(dialog.format.findData(fmt))
    dialog.path.setText(str(path))
    dialog.start()
    qtbot.waitUntil(lambda: bool(dialog.outcome.text()), timeout=60_000)
    text = dialog.outcome.text()
    dialog.close()
    return text


@pytest.mark.parametrize("fmt", sorted(EXPORTERS))
def test_every_format_is_exported_and_verified_after_a_run(make_window: Factory, qtbot: QtBot, tmp_path: Path,
                                                           fmt: str) -> None:
    window = make_window(xor_project())
    window.training.train_steps(30)
    path = tmp_path / f"model{EXPORTERS[fmt].suffix}"
    text = export(window, qtbot, fmt, path)
    assert "verified: max |Δ|" in text
    assert path.exists()


def test_exported_weights_load_back_and_a_mismatch_is_refused(make_window: Factory, qtbot: QtBot,
                                                              tmp_path: Path) -> None:
    window = make_window(xor_project())
    window.training.train_steps(30)
    trained = {k: v.clone() for k, v in window.training.weights.items()}
    path = tmp_path / "model.safetensors"
    export(window, qtbot, "safetensors", path)
    window.training.reset_weights()
    window.prompts.paths = [str(path)]
    assert window.load_weights()
    assert all(torch.equal(window.training.weights[k], trained[k]) for k in trained)

    other = xor_project()
    other.graph.nodes["h1"].params["units"] = 5
    second = make_window(other)
    qtbot.waitUntil(lambda: second.document.dataset is not None, timeout=20_000)
    second.prompts.paths = [str(path)]
    assert not second.load_weights()
    assert second.training.weights is None
    title, message = second.prompts.errors[-1]
    assert title == "Cannot load weights"
    assert "'h1" in message

    truncated = tmp_path / "cut.safetensors"
    truncated.write_bytes(path.read_bytes()[:40])
    second.prompts.paths = [str(truncated)]
    assert not second.load_weights()
    assert "truncated or corrupt" in second.prompts.errors[-1][1]


def test_export_waits_for_a_pause(make_window: Factory, qtbot: QtBot) -> None:
    window = make_window(xor_project(epochs=100_000))
    ws = window.training
    ws.train()
    qtbot.waitUntil(lambda: ws.last_report is not None, timeout=20_000)
    assert window.export_model() is None
    assert "pause training" in window.prompts.errors[-1][1]
    ws.toggle_pause()
    qtbot.waitUntil(lambda: ws.session.control.paused, timeout=5_000)
    dialog = window.export_model()
    assert dialog is not None
    assert dialog.weights is not None
    dialog.close()
