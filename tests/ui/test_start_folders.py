"""File dialogs start in the documents folder, then in the last folder used; never in the
app's own source tree (the working folder when scripts/run.sh starts the app) nor in the
shipped examples' folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QStandardPaths
from pytestqt.qtbot import QtBot

import playground
from playground.core.datasets import resources_dir
from playground.ui.main_window import MainWindow
from playground.ui.settings import app_settings, inside_app, start_folder
from tests.ui.helpers import ScriptedPrompts, wait_idle

Factory = Callable[..., MainWindow]
EXAMPLE = resources_dir() / "examples" / "spiral.json"
SOURCE_TREE = Path(playground.__file__).resolve().parent.parent


@pytest.fixture
def documents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A documents folder of its own, and the app started from its source tree as
    scripts/run.sh does."""
    folder = tmp_path / "Documents"
    folder.mkdir()
    real = QStandardPaths.writableLocation

    def writable(location: QStandardPaths.StandardLocation) -> str:
        return str(folder) if location == QStandardPaths.StandardLocation.DocumentsLocation else real(location)

    monkeypatch.setattr(QStandardPaths, "writableLocation", writable)
    monkeypatch.chdir(SOURCE_TREE)
    return folder


def prompts(window: MainWindow) -> ScriptedPrompts:
    assert isinstance(window.prompts, ScriptedPrompts)
    return window.prompts


def test_dialogs_start_in_documents_then_in_the_last_folder_used(
        make_window: Factory, documents: Path, tmp_path: Path) -> None:
    window = make_window()
    asked = prompts(window)
    window.open()
    assert asked.directories == [str(documents)]

    work = tmp_path / "work"
    work.mkdir()
    asked.paths = [str(work / "mine.json")]
    assert window.save_as()
    assert Path(asked.directories[-1]) == documents / "Untitled.json"

    window.new_project()
    window.save_as()                                   # cancelled: no path scripted
    assert Path(asked.directories[-1]) == work / "Untitled.json"
    window.open()
    assert Path(asked.directories[-1]) == work
    window.load_weights()                              # cancelled at the file dialog
    assert Path(asked.directories[-1]) == work

    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "data.csv").write_text("x,y\n1,0\n", encoding="utf-8")
    asked.paths = [str(other / "data.csv")]
    assert window._choose_data_path("Import a CSV table", "CSV (*.csv)", False) == str(other / "data.csv")
    assert Path(asked.directories[-1]) == work
    window.open()
    assert Path(asked.directories[-1]) == other, "choosing a data file counts as using a folder"

    again = make_window()
    again.open()
    assert Path(prompts(again).directories[-1]) == other, "remembered in the settings"


def test_an_example_is_saved_to_documents_not_into_the_app(make_window: Factory, documents: Path) -> None:
    window = make_window()
    asked = prompts(window)
    assert window.open_example(EXAMPLE)
    window.save_as()
    assert Path(asked.directories[-1]).parent == documents

    # Opened by its path (the command line, Open Recent): it opens as an unsaved copy too, Save
    # As still starts outside the app, and the examples' folder is not remembered as the last one.
    assert window.open_path(EXAMPLE)
    assert window.document.path is None
    window.save_as()
    assert Path(asked.directories[-1]).parent == documents
    window.open()
    assert Path(asked.directories[-1]) == documents
    assert not any(inside_app(Path(d)) for d in asked.directories)


def test_the_export_is_suggested_outside_the_app(make_window: Factory, documents: Path, qtbot: QtBot,
                                                 tmp_path: Path) -> None:
    window = make_window()
    wait_idle(qtbot, window)
    dialog = window.export_model()
    assert dialog is not None
    assert Path(dialog.path.text()).parent == documents
    dialog.close()

    prompts(window).paths = [str(tmp_path / "saved" / "net.json")]
    (tmp_path / "saved").mkdir()
    assert window.save_as()
    dialog = window.export_model()
    assert dialog is not None
    assert Path(dialog.path.text()).parent == tmp_path / "saved", "beside the saved project"
    dialog.close()


def test_start_folder_ignores_a_missing_or_app_folder(settings_dir: Path, documents: Path, tmp_path: Path) -> None:
    settings = app_settings()
    settings.setValue("files/lastFolder", str(tmp_path / "gone"))
    assert start_folder(settings) == documents
    settings.setValue("files/lastFolder", str(resources_dir() / "examples"))
    assert start_folder(settings) == documents
    settings.setValue("files/lastFolder", str(tmp_path))
    assert start_folder(settings) == tmp_path
