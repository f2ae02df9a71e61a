"""The dataset panel's previews of the sequence datasets: the text as the network reads it, the
memory task's symbol strips with the first symbol and the answer in one colour, and waves as
small line charts; a text file of one's own through Import, and the optional file field cleared
again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from playground.core.datasets import resources_dir
from playground.core.project import Project
from playground.ui.dataset_preview import MemoryPreview, TextPreview, WavePreview, class_color
from playground.ui.main_window import MainWindow
from tests.ui.helpers import chain, wait_idle

Factory = Callable[..., MainWindow]


def project(dataset: dict) -> Project:
    return chain(("in", "Input"), ("h", "Dense"), ("out", "Output"), dataset=dataset)


def open_preview(make_window: Factory, qtbot: QtBot, dataset: dict, theme: str,
                 kind: type[QWidget]) -> tuple[MainWindow, Any]:
    """A window on ``dataset`` in ``theme``, once loaded, and its dataset preview (of ``kind``)."""
    window = make_window(project(dataset), theme=theme)
    wait_idle(qtbot, window)
    preview = window.dataset_panel.preview.currentWidget()
    assert isinstance(preview, kind)
    assert preview.colors is not None
    assert preview.colors.dark == (theme == "dark")
    return window, preview


def colours_in(image: QImage) -> set[int]:
    return {image.pixel(x, y) for x in range(0, image.width(), 2) for y in range(0, image.height(), 2)}


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_memory_shows_sequences_whose_first_symbol_is_the_answer(make_window: Factory, qtbot: QtBot,
                                                                 theme: str) -> None:
    window, preview = open_preview(make_window, qtbot, {"name": "memory", "vocab": 5, "seq_len": 12}, theme,
                                   MemoryPreview)
    panel = window.dataset_panel
    data = window.document.dataset
    assert preview.sequences[0] == [data.meta.vocab[int(i)] for i in data.train.x[0]]
    assert [row[0] for row in preview.sequences] == [preview.names[a] for a in preview.answers]
    assert "chance: 1 in 5" in preview.summary
    assert "token ids of 5 symbols" in panel.info.text()
    preview.resize(400, 300)
    shown = colours_in(preview.grab().toImage())
    assert class_color(preview.answers[0]).rgb() in shown, "the first row's answer is drawn in its colour"
    assert QColor(preview.colors.card).rgb() in shown or QColor(preview.colors.card_border).rgb() in shown


def test_a_long_sequence_keeps_its_first_and_last_symbol_in_a_narrow_panel(qtbot: QtBot) -> None:
    preview = MemoryPreview()
    qtbot.addWidget(preview)
    preview.resize(200, 300)
    row = list("ABCDEFGHIJKLMNOPQRST")
    shown = preview._shown(row, preview.MIN_CELL)
    assert shown[0] == "A"
    assert shown[-2:] == ["…", "T"]
    preview.resize(800, 300)
    assert preview._shown(row, preview.MIN_CELL) == row


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_text_shows_its_size_vocabulary_windows_and_training_text(make_window: Factory, qtbot: QtBot,
                                                                  theme: str) -> None:
    window, preview = open_preview(make_window, qtbot, {"name": "text", "seq_len": 32}, theme, TextPreview)
    panel = window.dataset_panel
    data = window.document.dataset
    windows = len(data.train) + len(data.val) + len(data.test)
    assert f"{data.info['characters']:,} characters · {data.target_size} distinct · {windows:,} windows of 33" \
        in preview.summary
    start = len(data.train) // 2
    text = (resources_dir() / "datasets" / "alice.txt").read_text("utf-8")
    assert "\n".join(preview.lines) == text[start * 33:(start + 30) * 33], "the training text from its middle"
    assert "at every step" in panel.info.text()
    preview.resize(500, 400)
    assert len(colours_in(preview.grab().toImage())) > 2, "text was painted"


def test_a_text_file_through_import_and_the_field_cleared_again(make_window: Factory, qtbot: QtBot,
                                                                tmp_path: Path) -> None:
    path = tmp_path / "poem.txt"
    path.write_text("Tab\there, and a line\nthen more. " * 60, "utf-8")
    window = make_window(project({"name": "memory"}))
    window.prompts.paths = [str(path)]
    window.dataset_panel.import_file("text")
    assert window.document.project.dataset == {"name": "text", "path": str(path)}
    wait_idle(qtbot, window)
    preview = window.dataset_panel.preview.currentWidget()
    assert isinstance(preview, TextPreview)
    shown = "".join(preview.lines)
    assert "Tab" in shown
    assert "\t" not in shown
    assert "⇥" not in shown, "tabs are shown as the spaces they stand for"
    assert window.document.dataset.meta.vocab[0] == "\t"
    editor = window.dataset_panel.form.editor("path")
    editor.set_value("")
    editor._changed()
    assert window.document.project.dataset == {"name": "text"}, "an emptied file field means the corpus"
    wait_idle(qtbot, window)
    assert not window.dataset_panel.error.isVisible()
    window.undo_action.trigger()
    assert window.document.project.dataset == {"name": "text", "path": str(path)}


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_waves_are_drawn_as_lines_ending_in_their_next_value(make_window: Factory, qtbot: QtBot,
                                                             theme: str) -> None:
    window, preview = open_preview(make_window, qtbot, {"name": "sine", "seq_len": 25}, theme, WavePreview)
    panel = window.dataset_panel
    data = window.document.dataset
    assert preview.series.shape == (6, 25)
    assert (preview.series == data.train.x[:6, :, 0].numpy()).all()
    assert (preview.after == data.train.y[:6, -1, 0].numpy()).all()
    assert "regression, 1 target at every step" in panel.info.text()
    preview.resize(400, 300)
    shown = colours_in(preview.grab().toImage())
    assert class_color(0).rgb() in shown, "the first wave in its colour"


def test_switching_keeps_a_setting_only_where_the_new_dataset_allows_it(make_window: Factory) -> None:
    window = make_window(project({"name": "text", "seq_len": 30}))
    combo = window.dataset_panel.combo
    combo.setCurrentIndex(combo.findData("memory"))
    assert window.document.project.dataset == {"name": "memory", "seq_len": 30}
    window.controller.set_dataset({"name": "text", "seq_len": 500})
    combo.setCurrentIndex(combo.findData("memory"))
    assert window.document.project.dataset == {"name": "memory"}, "500 steps is too long for memory"
    assert not window.dataset_panel.error.isVisible()
