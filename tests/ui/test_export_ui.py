"""File > Export… and File > Load Weights…: every format is written from the dialog, verified,
and the dialog says so; exported weights load back, a mismatched or damaged file is refused
with a clear message; Export waits for a pause during a run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from playground.core.export import EXPORTERS, read_weights
from playground.ui.export_dialog import INITIALISED_NOTE, TRAINED_NOTE, ExportDialog
from playground.ui.main_window import MainWindow
from tests.ui.helpers import blank_project
from tests.ui.test_training_ui import xor_project

Factory = Callable[..., MainWindow]


def open_dialog(window: MainWindow, fmt: str, path: Path) -> ExportDialog:
    dialog = window.export_model()
    assert dialog is not None
    dialog.format.setCurrentIndex(dialog.format.findData(fmt))
    dialog.path.setText(str(path))
    return dialog


def run_export(dialog: ExportDialog, qtbot: QtBot, stages: set[str] | None = None) -> str:
    """Press Export and wait for the outcome the person sees; meanwhile the event loop keeps
    running (the export is on its own thread), and ``stages`` collects the stage texts shown."""
    qtbot.waitUntil(dialog.export_button.isEnabled, timeout=10_000)
    seen = set() if stages is None else stages
    shown = dialog.stage.setText
    # every stage the dialog shows, however briefly (an export whose libraries an earlier
    # test already imported passes a stage between two polls)
    dialog.stage.setText = lambda text: (seen.add(text), shown(text))  # type: ignore[method-assign]
    dialog.export_button.click()
    assert not dialog.export_button.isEnabled()
    assert dialog.progress.isVisible()

    def ended() -> bool:
        seen.add(dialog.stage.text())
        return bool(dialog.outcome.text())

    qtbot.waitUntil(ended, timeout=60_000)
    assert not dialog.progress.isVisible()
    return dialog.outcome.text()


def trained_window(make_window: Factory, steps: int = 30) -> MainWindow:
    window = make_window(xor_project())
    window.training.train_steps(steps)
    assert window.training.weights is not None
    return window


@pytest.mark.parametrize("fmt", sorted(EXPORTERS))
def test_every_format_is_exported_and_verified_after_a_run(make_window: Factory, qtbot: QtBot, tmp_path: Path,
                                                           fmt: str) -> None:
    window = trained_window(make_window)
    path = tmp_path / f"model{EXPORTERS[fmt].suffix}"
    dialog = open_dialog(window, fmt, path)
    assert dialog.note.text() == TRAINED_NOTE
    script = dialog.options["training_script"]
    assert script.isVisibleTo(dialog) == (fmt == "py")
    script.setChecked(fmt == "py")
    stages: set[str] = set()
    text = run_export(dialog, qtbot, stages)
    assert "verified: max |Δ|" in text, text
    if fmt == "onnx":  # seconds long: the progress stages reach the dialog while it runs
        assert "writing model.onnx…" in stages
    assert dialog.outcome.styleSheet() == f"color: {window.theme.colors.ok.name()};"
    assert path.exists()
    assert dialog.exported is not None
    assert (dialog.exported.opset is not None) == (fmt == "onnx")
    if fmt == "py":
        assert (tmp_path / "model_data.npz").exists()
    dialog.close()


def test_exported_weights_load_back_and_bad_files_are_refused(make_window: Factory, qtbot: QtBot,
                                                              tmp_path: Path) -> None:
    window = trained_window(make_window)
    trained = {k: v.clone() for k, v in window.training.weights.items()}
    path = tmp_path / "model.safetensors"
    dialog = open_dialog(window, "safetensors", path)
    assert "verified" in run_export(dialog, qtbot)
    dialog.close()
    window.training.reset_weights()
    window.prompts.paths = [str(path)]
    assert window.load_weights()
    assert window.training.weights.keys() == trained.keys()
    assert all(torch.equal(window.training.weights[k], trained[k]) for k in trained)
    assert window.training.reset_action.isEnabled()

    other = xor_project()
    other.graph.nodes["h1"].params["units"] = 5
    second = make_window(other)
    second.training.train_steps(2)
    before = second.training.weights
    second.prompts.paths = [str(path)]
    assert not second.load_weights()
    assert second.training.weights is before
    title, message = second.prompts.errors[-1]
    assert title == "Cannot load weights"
    assert "Dense 'h1'" in message
    assert "8×2 in the file but 5×2 in this network" in message

    truncated = tmp_path / "cut.safetensors"
    truncated.write_bytes(path.read_bytes()[:40])
    second.prompts.paths = [str(truncated)]
    assert not second.load_weights()
    assert second.training.weights is before
    assert "truncated or corrupt" in second.prompts.errors[-1][1]


def test_export_waits_for_a_pause_and_takes_the_live_weights(make_window: Factory, qtbot: QtBot,
                                                             tmp_path: Path) -> None:
    window = make_window(xor_project(epochs=100_000))
    ws = window.training
    assert window.export_action.isEnabled()
    assert window.load_weights_action.isEnabled()
    ws.train()
    qtbot.waitUntil(lambda: ws.last_report is not None, timeout=20_000)
    assert not window.export_action.isEnabled()
    assert "Pause training first" in window.export_action.toolTip()
    assert not window.load_weights_action.isEnabled()
    assert window.export_model() is None
    assert "Pause training first" in window.prompts.errors[-1][1]

    ws.pause_action.trigger()  # as a click on Pause does
    assert ws.session.control.paused
    assert window.export_action.isEnabled()
    assert not window.load_weights_action.isEnabled()
    path = tmp_path / "paused.safetensors"
    dialog = open_dialog(window, "safetensors", path)
    assert "paused run" in dialog.note.text()
    assert "verified: max |Δ|" in run_export(dialog, qtbot)
    assert dialog.weights is not None
    saved = read_weights(path).tensors
    assert all(torch.equal(saved[k], v) for k, v in dialog.weights.items())
    dialog.close()

    ws.pause_action.trigger()
    assert not window.export_action.isEnabled()
    ws.stop()
    qtbot.waitUntil(lambda: not ws.running and ws.weights is not None, timeout=20_000)
    assert window.export_action.isEnabled()
    assert window.load_weights_action.isEnabled()


def test_the_dialog_explains_what_it_cannot_do_and_closes_only_after_an_export(
        make_window: Factory, qtbot: QtBot, tmp_path: Path) -> None:
    invalid = make_window(blank_project())
    assert not invalid.export_action.isEnabled()
    assert invalid.export_action.toolTip().startswith("The network is not valid")

    window = make_window(xor_project())
    asked: list[str] = []

    def export_path(parent: QWidget, title: str, start: str, name_filter: str) -> str:
        asked.append(name_filter)
        return str(tmp_path / "chosen.safetensors")

    window.prompts.export_path = export_path
    dialog = open_dialog(window, "py", tmp_path / "net.py")
    assert "no trained weights: exporting the initialised model" in dialog.note.text().lower()
    dialog.format.setCurrentIndex(dialog.format.findData("onnx"))
    assert dialog.path.text() == str(tmp_path / "net.onnx")
    assert dialog.format.itemData(dialog.format.currentIndex(), Qt.ItemDataRole.ToolTipRole) == EXPORTERS["onnx"].help
    dialog.format.setCurrentIndex(dialog.format.findData("safetensors"))
    dialog.browse.click()
    assert asked == ["safetensors (*.safetensors);;All files (*)"]
    assert dialog.path.text() == str(tmp_path / "chosen.safetensors")

    dialog.path.setText(str(tmp_path / "missing" / "x.safetensors"))
    text = run_export(dialog, qtbot)
    assert text.startswith("Export failed:")
    assert "does not exist" in text
    assert dialog.outcome.styleSheet() == f"color: {window.theme.colors.error.name()};"

    dialog.path.setText(str(tmp_path / "closing.safetensors"))
    dialog.export_button.click()
    with qtbot.waitSignal(dialog.finished, timeout=30_000):
        dialog.reject()  # Close while it runs: the dialog stays until the export has ended
        assert dialog.isVisible()
        assert "closing when the export has finished" in dialog.stage.text()
    assert (tmp_path / "closing.safetensors").exists()


def test_after_an_edit_of_the_network_the_old_weights_are_neither_exported_nor_continued(
        make_window: Factory, qtbot: QtBot, tmp_path: Path) -> None:
    window = trained_window(make_window)
    window.controller.set_param("h1", "units", 5)
    dialog = open_dialog(window, "safetensors", tmp_path / "edited.safetensors")
    assert dialog.note.text() == INITIALISED_NOTE, "the 8-unit weights do not belong to the 5-unit network"
    assert "verified" in run_export(dialog, qtbot)
    assert read_weights(tmp_path / "edited.safetensors").tensors["h1.linear.weight"].shape == (5, 2)
    dialog.close()
    window.training.train_steps(5)
    assert window.training.started_fresh
    assert not window.prompts.errors, "a run of the edited network starts afresh instead of failing"
    assert window.training.view("loss").previous_labels() == ["run 1"]
