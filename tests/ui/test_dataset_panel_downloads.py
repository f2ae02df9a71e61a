"""The dataset panel offers no mirror or folder for downloads (issue 11 §4): a project does
not choose where the app connects or writes, so an older file's settings get no field and do
not travel to another dataset."""

from __future__ import annotations

from collections.abc import Callable

from pytestqt.qtbot import QtBot

from playground.ui.main_window import MainWindow
from tests.ui.helpers import chain, wait_idle


def test_an_old_projects_mirror_and_folder_get_no_field(make_window: Callable[..., MainWindow],
                                                         qtbot: QtBot) -> None:
    old = {"name": "mnist", "mirror": "http://127.0.0.1:9/", "cache_dir": "/tmp/elsewhere", "download": False}
    window = make_window(chain(("in", "Input"), ("f", "Flatten"), ("out", "Output"), dataset=old))
    panel = window.dataset_panel
    assert panel.form is not None
    assert set(panel.form.editors) == {"download", "seed"}
    panel.combo.setCurrentIndex(panel.combo.findData("fashion_mnist"))
    wait_idle(qtbot, window)
    assert window.document.project.dataset == {"name": "fashion_mnist", "download": False}
