"""A training run that fails unexpectedly reaches the person as a message and the log as a full
traceback (issue 11 §1: "training failed: Type: msg" used to lose it)."""

from __future__ import annotations

from typing import Any

import pytest
from pytestqt.qtbot import QtBot

import playground.ui.training.worker as worker
from playground.core.graph import Graph
from playground.core.project import Project


def test_a_failing_run_logs_its_traceback(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch,
                                          caplog: pytest.LogCaptureFixture) -> None:
    def broken_trainer(*args: Any, **kwargs: Any) -> None:
        raise ZeroDivisionError("a bug deep in the trainer")

    monkeypatch.setattr(worker, "Trainer", broken_trainer)
    graph, _ = Graph.from_dict({"nodes": [{"id": "in", "type": "Input"}, {"id": "out", "type": "Output"}],
                                "edges": [["in", "out"]]})
    session = worker.TrainingSession(Project("p", {"name": "xor"}, graph, {}))
    with qtbot.waitSignal(session.failed, timeout=20_000) as failed:
        session.start()
    assert session.shutdown(10_000)
    assert failed.args[0].startswith("training failed: ZeroDivisionError: a bug deep in the trainer")
    [record] = [r for r in caplog.records if r.name == "playground.ui.training.worker"]
    assert record.levelname == "ERROR"
    assert "Traceback (most recent call last)" in caplog.text
    assert "in broken_trainer" in caplog.text
