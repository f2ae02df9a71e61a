"""The dataset panel: switching datasets (undoable, shapes update at once), options, file
imports with previews, and clear errors instead of tracebacks."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from pytestqt.qtbot import QtBot

from playground.core.project import Project
from playground.ui.dataset_preview import ImageGridPreview, ScatterPreview, TablePreview
from playground.ui.main_window import MainWindow
from tests.ui.helpers import chain, wait_idle

Factory = Callable[..., MainWindow]


def mlp(dataset: dict) -> Project:
    return chain(("in", "Input"), ("h", "Dense"), ("out", "Output"), dataset=dataset)


def shapes(window: MainWindow) -> tuple[str, str]:
    return window.scene.nodes["in"].shape_text, window.scene.nodes["out"].shape_text


def test_switching_dataset_is_undoable_and_updates_shapes_at_once(make_window: Factory, qtbot: QtBot) -> None:
    window = make_window(mlp({"name": "spiral", "noise": 0.2}))
    panel = window.dataset_panel
    assert isinstance(panel.preview.currentWidget(), ScatterPreview)
    assert "200 train" in panel.info.text()
    panel.combo.setCurrentIndex(panel.combo.findData("digits"))
    assert shapes(window) == ("1×8×8", "10")
    assert window.document.project.dataset == {"name": "digits"}
    wait_idle(qtbot, window)
    assert isinstance(panel.preview.currentWidget(), ImageGridPreview)
    assert set(panel.images.labels) <= {str(d) for d in range(10)}
    assert len(panel.images.images) == 40
    panel.combo.setCurrentIndex(panel.combo.findData("xor"))
    assert window.document.project.dataset == {"name": "xor"}
    window.undo_action.trigger()
    window.undo_action.trigger()
    assert window.document.project.dataset == {"name": "spiral", "noise": 0.2}
    assert panel.combo.currentData() == "spiral"
    assert shapes(window) == ("2", "2")
    assert not window.isWindowModified()


def test_options_edit_merge_and_follow_undo(make_window: Factory) -> None:
    window = make_window(mlp({"name": "spiral"}))
    form = window.dataset_panel.form
    noise = form.editor("noise")
    for value in (5, 10, 30):
        noise.slider.setValue(value)
    assert window.document.project.dataset == {"name": "spiral", "noise": 0.3}
    form.editor("samples").box.setValue(300)
    assert window.document.project.dataset == {"name": "spiral", "noise": 0.3, "samples": 300}
    assert window.document.undo_stack.count() == 2
    window.undo_action.trigger()
    window.undo_action.trigger()
    assert window.document.project.dataset == {"name": "spiral"}
    assert noise.value() == 0.0
    assert form.editor("samples").value() == 500


def test_import_csv_shows_table_and_sets_shapes(make_window: Factory, qtbot: QtBot, tmp_path: Path) -> None:
    csv = tmp_path / "flowers.csv"
    rows = ["petal,sepal,stem,kind"] + [f"{i % 7},{i % 5}.5,{i % 3},{'rose' if i % 2 else 'tulip'}" for i in range(40)]
    csv.write_text("\n".join(rows) + "\n")
    window = make_window(mlp({"name": "spiral"}))
    window.prompts.paths = [str(csv)]
    window.dataset_panel.import_button.menu().actions()[0].trigger()
    assert window.document.project.dataset == {"name": "csv", "path": str(csv)}
    wait_idle(qtbot, window)
    assert shapes(window) == ("3", "2")
    panel = window.dataset_panel
    assert isinstance(panel.preview.currentWidget(), TablePreview)
    model = panel.table.model()
    headers = [model.headerData(i, Qt.Orientation.Horizontal) for i in range(model.columnCount())]
    assert headers == ["petal", "sepal", "stem", "kind"]
    assert panel.form.editor("path").value() == str(csv)
    assert not panel.error.isVisible()


def test_bad_csv_shows_the_error_not_a_traceback(make_window: Factory, qtbot: QtBot, tmp_path: Path) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text("a,b,y\n1,2,0\n3,oops,1\n")
    window = make_window(mlp({"name": "spiral"}))
    window.controller.set_dataset({"name": "csv", "path": str(csv)})
    wait_idle(qtbot, window)
    panel = window.dataset_panel
    assert panel.error.isVisible()
    assert "bad.csv" in panel.error.text()
    assert "oops" in panel.error.text()
    assert "Traceback" not in panel.error.text()
    assert window.scene.nodes["in"].shape_text == "?"
    assert window.document.meta_error


def test_missing_file_and_offline_mnist_say_so(make_window: Factory, qtbot: QtBot, tmp_path: Path) -> None:
    window = make_window(mlp({"name": "spiral"}))
    panel = window.dataset_panel
    window.controller.set_dataset({"name": "npz", "path": str(tmp_path / "gone.npz")})
    assert "does not exist" in panel.error.text()
    window.controller.set_dataset({"name": "mnist", "download": False, "cache_dir": str(tmp_path)})
    assert shapes(window) == ("1×28×28", "10")
    wait_idle(qtbot, window)
    assert panel.error.isVisible()
    assert "mnist" in panel.error.text().lower()
    assert "Traceback" not in panel.error.text()


@pytest.mark.parametrize("kind", ["npz", "image_folder"])
def test_import_arrays_and_image_folders(make_window: Factory, qtbot: QtBot, tmp_path: Path, kind: str) -> None:
    rng = np.random.default_rng(0)
    if kind == "npz":
        path = tmp_path / "data.npz"
        np.savez(path, x=rng.normal(size=(30, 1, 6, 6)).astype(np.float32), y=np.arange(30) % 3)
        expected = ("1×6×6", "3")
    else:
        path = tmp_path / "pictures"
        for label in ("cats", "dogs"):
            (path / label).mkdir(parents=True)
            for i in range(6):
                Image.fromarray(rng.integers(0, 255, (5, 5), dtype=np.uint8)).save(path / label / f"{i}.png")
        expected = ("1×5×5", "2")
    window = make_window(mlp({"name": "spiral"}))
    window.prompts.paths = [str(path)]
    window.dataset_panel.import_file(kind)
    wait_idle(qtbot, window)
    assert shapes(window) == expected
    assert isinstance(window.dataset_panel.preview.currentWidget(), ImageGridPreview)
    if kind == "image_folder":
        assert set(window.dataset_panel.images.labels) == {"cats", "dogs"}


def test_a_cached_dataset_still_reaches_the_preview(make_window: Factory, qtbot: QtBot) -> None:
    first = make_window(mlp({"name": "digits"}))
    second = make_window(mlp({"name": "digits"}))
    for window in (first, second):
        wait_idle(qtbot, window)
        assert window.document.dataset is not None
        assert isinstance(window.dataset_panel.preview.currentWidget(), ImageGridPreview)


def test_feature_tiles_are_undoable_edits_that_reshape_the_input(make_window: Factory, qtbot: QtBot) -> None:
    window = make_window(mlp({"name": "circle"}))
    wait_idle(qtbot, window)
    picker = window.dataset_panel.features
    assert picker.isVisible()
    assert picker.chosen() == ("x1", "x2")
    assert set(picker.maps) == set(picker.buttons)  # a heat map per tile once the data is there
    assert picker.maps["x1^2"].min() >= 0  # a square is never negative: no orange in its tile
    picker.buttons["x1^2"].click()
    picker.buttons["x2^2"].click()
    assert window.document.project.dataset == {"name": "circle", "features": ["x1", "x2", "x1^2", "x2^2"]}
    assert shapes(window)[0] == "4"
    wait_idle(qtbot, window)
    assert "the network sees 4 features" in window.dataset_panel.info.text()
    window.undo_action.trigger()
    assert window.document.project.dataset == {"name": "circle"}
    assert picker.chosen() == ("x1", "x2")
    assert shapes(window)[0] == "2"


def test_the_last_feature_stays_on_and_planes_keep_the_choice(make_window: Factory) -> None:
    window = make_window(mlp({"name": "circle", "features": ["x1*x2"]}))
    panel = window.dataset_panel
    panel.features.buttons["x1*x2"].click()
    assert panel.features.chosen() == ("x1*x2",)
    assert window.document.project.dataset == {"name": "circle", "features": ["x1*x2"]}
    panel.combo.setCurrentIndex(panel.combo.findData("xor"))
    assert window.document.project.dataset == {"name": "xor", "features": ["x1*x2"]}
    panel.combo.setCurrentIndex(panel.combo.findData("digits"))
    assert window.document.project.dataset == {"name": "digits"}
    assert not panel.features.isVisible()
    assert panel.form is not None
    panel.form.editor("permute_pixels").box.click()
    assert window.document.project.dataset == {"name": "digits", "permute_pixels": True}


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_feature_tiles_render_in_both_themes(make_window: Factory, qtbot: QtBot, theme: str) -> None:
    window = make_window(mlp({"name": "spiral", "features": ["x1", "x2", "sin(x1)", "sin(x2)"]}), theme=theme)
    window.resize(1024, 700)
    wait_idle(qtbot, window)
    picker = window.dataset_panel.features
    on, off = picker.buttons["sin(x1)"], picker.buttons["x1^2"]
    assert on.isChecked()
    assert not off.isChecked()
    assert on.toolTip().startswith("<b>sin(x1)</b>")
    size = on.iconSize()
    bright = on.icon().pixmap(size, QIcon.Mode.Normal, QIcon.State.On).toImage()
    faded = on.icon().pixmap(size, QIcon.Mode.Normal, QIcon.State.Off).toImage()
    assert bright != faded  # a feature switched off is washed out
    folder = os.environ.get("PLAYGROUND_SHOTS")
    if folder:
        window.grab().save(f"{folder}/window_{theme}.png")
        window.dataset_panel.grab().save(f"{folder}/panel_{theme}.png")
