"""Text: samples written by the live model from a prompt at a temperature, a validation line shaded
by the model's confidence (with the probability on hover), and a clear word for a prompt the
model cannot read; only for text, where every position has a next character."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint
from pytestqt.qtbot import QtBot

from playground.core.datasets import DatasetMeta
from playground.core.graph import Graph
from playground.core.project import Project
from playground.core.training import Trainer, TrainResult
from playground.ui.plots.live import RunInfo
from playground.ui.plots.text import TextView
from tests.ui.plots.conftest import Show, deliver
from tests.ui.plots.test_time_grad_view import memory_trainer

WINDOW = 16
Started = tuple[TextView, Trainer, RunInfo]


def text_trainer() -> Trainer:
    nodes = [{"id": "in", "type": "Input"}, {"id": "emb", "type": "Embedding", "params": {"dim": 8}},
             {"id": "lstm", "type": "LSTM", "params": {"units": 16}}, {"id": "out", "type": "Output"}]
    graph, problems = Graph.from_dict({"nodes": nodes, "edges": [["in", "emb"], ["emb", "lstm"], ["lstm", "out"]]})
    assert not problems
    return Trainer(Project("text", {"name": "text", "seq_len": WINDOW}, graph, {"epochs": 1}), report_interval=None)


def tooltip_of(view: TextView, position: int) -> str:
    """What hovering the middle of the confidence line's character at ``position`` tells."""
    cursor = view.confidence.textCursor()
    cursor.setPosition(position)
    left = view.confidence.cursorRect(cursor)
    cursor.setPosition(position + 1)
    right = view.confidence.cursorRect(cursor)
    return view.confidence.tooltip_at(QPoint((left.left() + right.left()) // 2, left.center().y())) or ""


@pytest.fixture(scope="module")
def trainer() -> Trainer:
    """An untrained character LSTM on the shipped text (what it writes is still text of its alphabet)."""
    return text_trainer()


@pytest.fixture
def started(show: Show, trainer: Trainer) -> tuple[TextView, Trainer, RunInfo]:
    view = show(TextView(), 620, 520)
    view.length.setValue(40)
    info = RunInfo.of(trainer)
    view.start_run(info, None)
    return view, trainer, info


def test_the_sample_continues_the_prompt_and_the_line_is_shaded_by_confidence(started: Started) -> None:
    view, trainer, info = started
    assert view.reason_shown() is None
    view.prompt.setText("Alice")
    view.length.setValue(60)
    assert deliver(view, trainer, info) == ["text"]
    picture = view.picture()
    assert picture.sample.startswith("Alice")
    assert len(picture.sample) == 65
    assert view.sample.toPlainText() == picture.sample, "the sample is plain text a person can copy"
    val = trainer.dataset.val
    first_line = "".join(info.meta.vocab[int(i)] for i in [*val.x[0].tolist(), val.y[0, -1].item()])
    assert [info.meta.vocab[int(i)] for i in picture.line] == list(first_line)
    assert len(view.confidence.toPlainText()) == WINDOW + 1
    assert "the first character" in tooltip_of(view, 0)
    assert f"{picture.confidence[0]:.1%}" in tooltip_of(view, 1)
    header, rows = view.data_table()
    assert rows[0] == ["sample", None, picture.sample, None]
    assert len(rows) == 1 + WINDOW + 1
    assert rows[2][3] == float(picture.confidence[0])


def test_the_same_settings_give_the_same_sample_until_new_sample(started: Started) -> None:
    view, trainer, info = started
    deliver(view, trainer, info)
    first = view.picture().sample
    view.temperature.setValue(1.5)
    deliver(view, trainer, info)
    again = view.picture().sample
    view.temperature.setValue(0.8)
    deliver(view, trainer, info)
    assert view.picture().sample == first
    view.resample.click()
    deliver(view, trainer, info)
    assert view.picture().sample not in (first, again)


def test_samples_come_calmly_unless_a_person_asks(started: Started, qtbot: QtBot) -> None:
    view, trainer, info = started
    assert deliver(view, trainer, info) == ["text"]
    assert view.picture_requests(info) == [], "at most two samples a second"
    with qtbot.waitSignal(view.picturesWanted):
        view.prompt.setText("The")
    stale = view.picture_requests(info)[0].compute(trainer)
    view.prompt.setText("They")
    view.on_picture("text", stale)  # written for "The": "They" is still wanted at once
    assert [r.key for r in view.picture_requests(info)] == ["text"]
    deliver(view, trainer, info)
    assert view.picture_requests(info) == []
    with qtbot.waitSignal(view.picturesWanted):  # the finished network's sample, however recent the last
        view.on_run_finished(TrainResult("finished", "trained 1 epoch", 1, 10, None))
    assert [r.key for r in view.picture_requests(info)] == ["text"]


def test_a_prompt_character_the_text_lacks_is_named_and_nothing_is_asked(started: Started) -> None:
    view, trainer, info = started
    view.prompt.setText("Alice€")
    assert view.picture_requests(info) == []
    view.flush()
    assert "'€' (position 6) is not in the text's alphabet" in view.status.text()
    view.prompt.setText("Alice")
    assert len(view.picture_requests(info)) == 1
    view.flush()
    assert "alphabet" not in view.status.text()


def test_only_text_gets_samples() -> None:
    view = TextView()
    memory = RunInfo.of(memory_trainer("LSTM"))
    assert "sequences of 20 symbols with one answer per sequence" in (view.not_applicable(memory.meta) or "")
    assert "images of 1×8×8" in (view.not_applicable(DatasetMeta((1, 8, 8), "classification", 10)) or "")
    view.deleteLater()


def test_the_picture_export_writes_the_text_as_shown(started: Started, tmp_path: Path) -> None:
    view, trainer, info = started
    deliver(view, trainer, info)
    path = view.export_picture(tmp_path / "text.png")
    assert path.stat().st_size > 1000
    assert np.isfinite(view.picture().confidence).all()
