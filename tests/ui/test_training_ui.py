"""Training from the main window: the views fill, the editor locks, settings edits are
undoable, and closing mid-run stops the thread cleanly."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from pytestqt.qtbot import QtBot

from playground.core.datasets import resources_dir
from playground.core.graph import Graph
from playground.core.project import Project, load_project
from playground.ui.main_window import MainWindow
from tests.ui.test_worker import diverging_project

Factory = Callable[..., MainWindow]


def xor_project(epochs: int = 400) -> Project:
    graph, _ = Graph.from_dict({
        "nodes": [{"id": "in", "type": "Input"},
                  {"id": "h1", "type": "Dense", "params": {"units": 8, "activation": "tanh"}},
                  {"id": "out", "type": "Output"}],
        "edges": [["in", "h1"], ["h1", "out"]]})
    graph.layout = {"in": (0.0, 0.0), "h1": (220.0, 0.0), "out": (440.0, 0.0)}
    return Project("xor", {"name": "xor", "samples": 200}, graph,
                   {"optimizer": "adam", "lr": 0.03, "batch_size": 10, "epochs": epochs})


def test_train_50_steps_fills_loss_view_and_changes_the_boundary(make_window: Factory, qtbot: QtBot) -> None:
    window = make_window(xor_project())
    ws = window.training
    ws.docks["boundary"].raise_()  # a tab behind another computes nothing
    ws.train_steps(1)
    first = ws.view("boundary")._grid
    assert first is not None
    first_values = first.values.copy()
    ws.train_steps(50)
    assert ws.last_report is not None
    assert ws.last_report.step == 50
    headers, rows = ws.view("loss").data_table()
    series = headers.index("series")
    assert len([r for r in rows if r[series] == "train_loss"]) >= 2
    assert ws.view("boundary")._grid is not None
    assert not np.allclose(ws.view("boundary")._grid.values, first_values)
    assert ws.view("gradients").latest() == ws.last_report.grad_norm
    assert window.scene.nodes["h1"].flow is not None


def test_editor_is_locked_while_training_and_closing_stops_the_run(make_window: Factory, qtbot: QtBot) -> None:
    window = make_window(xor_project(epochs=100_000))
    ws = window.training
    ws.train()
    qtbot.waitUntil(lambda: ws.last_report is not None, timeout=20_000)
    assert not window.view.isInteractive()
    assert not window.palette_widget.isEnabled()
    assert "locked" in window.lock_label.text()
    session = ws.session
    assert session is not None
    window.close()
    assert not window.isVisible()
    qtbot.waitUntil(lambda: not session.running, timeout=10_000)
    qtbot.waitUntil(lambda: window._closed, timeout=5_000)


def test_settings_edits_are_undoable(make_window: Factory) -> None:
    window = make_window(xor_project())
    ws = window.training
    ws.panel.form.editor("batch_size").box.setValue(25)
    assert window.document.project.training["batch_size"] == 25
    window.document.undo_stack.undo()
    assert window.document.project.training["batch_size"] == 10
    assert ws.panel.form.editor("batch_size").box.value() == 10


def test_a_second_run_overlays_the_first_and_continues_from_its_weights(make_window: Factory) -> None:
    window = make_window(xor_project())
    ws = window.training
    ws.train_steps(20)
    assert ws.weights is not None
    first = {k: v.clone() for k, v in ws.weights.items()}
    ws.train_steps(20)
    assert ws.view("loss").previous_labels() == ["run 1"]
    assert ws.view("gradients").previous_label() == "run 1"
    assert any(not (ws.weights[k] == first[k]).all() for k in first)
    ws.reset_weights()
    assert ws.weights is None
    assert ws.view("loss").previous_labels() == []


def test_a_diverging_run_says_so(make_window: Factory) -> None:
    project = diverging_project()
    errors: list[tuple[str, str]] = []
    window = make_window(project)
    window.prompts.show_error = lambda parent, title, text: errors.append((title, text))
    window.training.train_steps(2000)
    assert errors
    assert errors[0][0] == "Training diverged"
    assert "diverged at step" in errors[0][1]


def test_sigmoid_gradients_vanish_on_the_nodes_and_relu_he_overlays_a_flat_profile(make_window: Factory) -> None:
    """Issue 5's "done when": the lecture's ten sigmoid layers on digits show the first layers'
    gradients orders of magnitude below the last, flagged in the view and on the nodes; after
    switching every layer to ReLU with He init the next run starts afresh and its profile is
    flat, with the sigmoid run kept as the overlay."""
    window = make_window(load_project(resources_dir() / "examples" / "vanishing_sigmoid_digits.json"))
    ws = window.training
    ws.train_steps(220)  # six epochs: a flag needs the consequence too (here the loss stalls at chance)
    sigmoid = ws.view("gradients").latest()
    assert sigmoid["h1"] < 1e-3 * sigmoid["out"], sigmoid
    assert ws.view("gradients").flags()["h1"] == "vanishing"
    assert window.scene.nodes["h1"].badge == "vanishing"

    dense = [n.id for n in window.document.graph.nodes.values() if n.type == "Dense"]
    for node_id in dense:
        window.controller.set_param(node_id, "activation", "relu")
        window.controller.set_param(node_id, "init", "he_normal")
    ws.train_steps(40)
    assert ws.started_fresh, "He init applies: the edited network does not continue from the sigmoid weights"
    assert ws.view("gradients").previous_label() == "run 1"
    relu = ws.view("gradients").latest()
    assert min(relu[n] for n in dense) > 0, relu
    spread = max(relu[n] for n in dense) / min(relu[n] for n in dense)
    assert spread < 100, relu
    assert not any(flag == "vanishing" for flag in ws.view("gradients").flags().values())
    assert window.scene.nodes["h1"].badge is None
