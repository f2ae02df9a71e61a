"""The training worker bridge: reports arrive batched on the GUI thread, commands work between
steps, stop is prompt, failures become messages, and no thread outlives its session."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from playground.core.graph import Graph
from playground.core.project import Project
from playground.core.training import Report, TrainResult
from playground.ui.training.worker import Computed, RunInfo, TrainingSession


def xor_project(epochs: int = 400, lr: float = 0.03, **training: Any) -> Project:
    graph, problems = Graph.from_dict({
        "nodes": [{"id": "in", "type": "Input"},
                  {"id": "h1", "type": "Dense", "params": {"units": 8, "activation": "tanh"}},
                  {"id": "out", "type": "Output"}],
        "edges": [["in", "h1"], ["h1", "out"]]})
    assert not problems
    return Project("xor", {"name": "xor", "samples": 200}, graph,
                   {"optimizer": "adam", "lr": lr, "batch_size": 10, "epochs": epochs, **training})


@pytest.fixture
def sessions() -> Iterator[list[TrainingSession]]:
    made: list[TrainingSession] = []
    yield made
    for session in made:
        assert session.shutdown(10_000), "training thread did not end"


def start(qtbot: QtBot, sessions: list[TrainingSession], project: Project) -> tuple[TrainingSession, list[Report]]:
    session = TrainingSession(project)
    sessions.append(session)
    reports: list[Report] = []
    session.reports.connect(reports.extend)
    with qtbot.waitSignal(session.started, timeout=20_000) as info:
        session.start()
    assert isinstance(info.args[0], RunInfo)
    return session, reports


def test_reports_arrive_in_batches_and_training_finishes(qtbot: QtBot, sessions: list[TrainingSession]) -> None:
    session = TrainingSession(xor_project(epochs=60))
    sessions.append(session)
    batches: list[list[Report]] = []
    session.reports.connect(batches.append)
    with qtbot.waitSignal(session.finished, timeout=60_000) as done:
        session.start()
    result: TrainResult = done.args[0]
    assert result.status == "finished"
    reports = [r for batch in batches for r in batch]
    assert [r.step for r in reports] == sorted(r.step for r in reports)
    assert sum(r.epoch_end for r in reports) == 60
    assert reports[-1].val_acc is not None
    assert reports[-1].val_acc > 0.9
    assert session.info is not None
    assert session.info.train[0].shape[1] == 2
    assert session.final_state is not None
    assert set(session.final_state) >= {"h1.linear.weight", "out.weight"}


def test_pause_step_lr_and_prompt_stop(qtbot: QtBot, sessions: list[TrainingSession]) -> None:
    session, reports = start(qtbot, sessions, xor_project(epochs=100_000))
    session.pause()
    qtbot.waitUntil(lambda: bool(reports), timeout=10_000)
    qtbot.wait(200)
    paused_at = reports[-1].step
    qtbot.wait(200)
    assert reports[-1].step == paused_at
    session.set_lr(0.005)
    session.step()
    qtbot.waitUntil(lambda: reports[-1].step == paused_at + 1, timeout=10_000)
    assert reports[-1].lr == pytest.approx(0.005)
    session.resume()
    qtbot.waitUntil(lambda: reports[-1].step > paused_at + 50, timeout=10_000)
    began = time.perf_counter()
    session.stop()
    assert session._thread.wait(5_000)
    assert time.perf_counter() - began < 0.5


def test_computation_requests_run_on_the_worker(qtbot: QtBot, sessions: list[TrainingSession]) -> None:
    session, _ = start(qtbot, sessions, xor_project(epochs=100_000))
    with qtbot.waitSignal(session.computed, timeout=10_000) as got:
        session.request("weights", lambda trainer: trainer.model.h1.linear.weight.detach().numpy().copy())
    computed: Computed = got.args[0]
    assert computed.key == "weights"
    assert isinstance(computed.value, np.ndarray)
    assert computed.value.shape == (8, 2)
    with qtbot.waitSignal(session.computed, timeout=10_000) as got:
        session.request("broken", lambda trainer: 1 / 0)
    assert got.args[0].error == "ZeroDivisionError: division by zero"


def test_bad_project_reaches_the_ui_as_a_message(qtbot: QtBot, sessions: list[TrainingSession]) -> None:
    project = xor_project(augment=["hflip"])
    session = TrainingSession(project)
    sessions.append(session)
    with qtbot.waitSignal(session.failed, timeout=20_000) as failed:
        session.start()
    assert "augmentation 'hflip' needs an image dataset" in failed.args[0]


def diverging_project() -> Project:
    """Four wide ReLU layers with a huge init and SGD at lr 5: the loss overflows within steps."""
    graph, _ = Graph.from_dict({
        "nodes": [{"id": "in", "type": "Input"}] + [
            {"id": f"h{i}", "type": "Dense", "params": {"units": 32, "activation": "relu", "init": "normal",
                                                         "init_std": 3.0}} for i in range(4)]
        + [{"id": "out", "type": "Output", "params": {"loss": "mse"}}],
        "edges": [["in", "h0"], ["h0", "h1"], ["h1", "h2"], ["h2", "h3"], ["h3", "out"]]})
    project = Project("boom", {"name": "plane", "samples": 200}, graph,
                      {"optimizer": "sgd", "lr": 5.0, "batch_size": 10, "epochs": 50})
    return project


def test_divergence_is_reported_as_a_result(qtbot: QtBot, sessions: list[TrainingSession]) -> None:
    project = diverging_project()
    session = TrainingSession(project)
    sessions.append(session)
    with qtbot.waitSignal(session.finished, timeout=60_000) as done:
        session.start()
    result: TrainResult = done.args[0]
    assert result.status == "diverged"
    assert "diverged at step" in result.message
