"""Recurrent networks leave the app in every format: a character model that predicts at every
position and a memory model that answers from its last step, each loaded back as a user would
and giving the app's outputs, the ONNX model at any batch size, the Python file without the app."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime
import pytest
import torch

from playground.core.export import EXPORTERS, export_project
from playground.core.project import Project, parse_project
from tests.core.test_export import Case, assert_reproduces, assert_ruff_clean, assert_runs_without_the_app, perturbed

TEXT = {"name": "text", "seq_len": 16}
MEMORY = {"name": "memory", "seq_len": 10, "samples": 300}

NETWORKS: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {
    "char_lstm": (TEXT, [
        {"id": "in", "type": "Input"},
        {"id": "emb", "type": "Embedding", "params": {"dim": 8}},
        {"id": "lstm", "type": "LSTM", "params": {"units": 16, "bptt": 4}},
        {"id": "d", "type": "Dense", "params": {"units": 12, "activation": "tanh", "dropout": 0.2}},
        {"id": "out", "type": "Output", "params": {"label_smoothing": 0.1}},
    ]),
    "memory_gru": (MEMORY, [
        {"id": "in", "type": "Input"},
        {"id": "emb", "type": "Embedding", "params": {"dim": 6}},
        {"id": "rnn", "type": "RNN", "params": {"units": 10, "activation": "relu"}},
        {"id": "gru", "type": "GRU", "params": {"units": 12, "return_sequences": False}},
        {"id": "out", "type": "Output"},
    ]),
}


def make_project(name: str, training: dict[str, Any] | None = None) -> Project:
    dataset, nodes = NETWORKS[name]
    edges = [[a["id"], b["id"]] for a, b in zip(nodes, nodes[1:])]
    return parse_project({"format": "nn-playground/1", "name": f"Test {name}", "dataset": dataset,
                          "graph": {"nodes": nodes, "edges": edges}, "training": training or {}})


_cases: dict[str, Case] = {}


def case(name: str) -> Case:
    """Built once (see ``perturbed``): a format that reinitialised anything would show, and the
    inputs are real token ids of the validation split."""
    if name not in _cases:
        _cases[name] = perturbed(make_project(name))
    return _cases[name]


@pytest.mark.parametrize("fmt", list(EXPORTERS))
@pytest.mark.parametrize("name", list(NETWORKS))
def test_round_trip(fmt: str, name: str, tmp_path: Path) -> None:
    c = case(name)
    path = tmp_path / f"model{EXPORTERS[fmt].suffix}"
    result = export_project(c.project, path, fmt, weights=c.state, data=c.data)
    assert result.message.startswith("verified: max |Δ| = ")
    assert "validation inputs" in result.message, "verified on real token ids"
    assert_reproduces(fmt, path, c)


def test_the_output_shapes_are_a_prediction_per_position_or_per_sequence() -> None:
    text, memory = case("char_lstm"), case("memory_gru")
    with torch.no_grad():
        assert tuple(text.model(text.inputs).shape) == (7, 16, len(text.data.meta.vocab))
        assert tuple(memory.model(memory.inputs).shape) == (7, 8)


@pytest.mark.parametrize("name", list(NETWORKS))
def test_onnx_runs_at_any_batch_size(name: str, tmp_path: Path) -> None:
    c = case(name)
    path = tmp_path / "model.onnx"
    export_project(c.project, path, "onnx", weights=c.state, data=c.data)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert not isinstance(session.get_inputs()[0].shape[0], int), "the batch axis is dynamic"
    ids = c.data.train.x
    for size in (3, 11):
        got = session.run(["output"], {"input": ids[:size].numpy()})[0]
        with torch.no_grad():
            np.testing.assert_allclose(got, c.model(ids[:size]).numpy(), atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("name", list(NETWORKS))
def test_the_python_file_runs_without_the_app(name: str, tmp_path: Path) -> None:
    assert_runs_without_the_app(case(name), tmp_path)
    assert_ruff_clean([tmp_path / "model.py"])


def test_the_python_file_writes_the_recurrent_layers_and_says_what_goes_in(tmp_path: Path) -> None:
    c = case("char_lstm")
    export_project(c.project, tmp_path / "model.py", "py", weights=c.state, data=c.data)
    text = (tmp_path / "model.py").read_text()
    assert 'self.lstm = Recurrent("LSTM", 8, 16, bptt=4)' in text
    assert f"self.emb = TokenEmbedding({len(c.data.meta.vocab)}, 8)" in text
    assert "token ids, float32 numbers from 0 to" in text
    assert "a prediction at every step of the sequence" in text


@pytest.mark.parametrize("name", list(NETWORKS))
def test_the_training_script_trains_a_recurrent_network(name: str, tmp_path: Path) -> None:
    project = make_project(name, {"epochs": 1, "batch_size": 32, "grad_clip": {"mode": "norm", "max": 1.0}})
    script = tmp_path / "train_net.py"
    export_project(project, script, "py", training_script=True)
    assert_ruff_clean([script])
    done = subprocess.run([sys.executable, str(script), "--epochs", "1"], capture_output=True, text=True,
                          cwd=tmp_path, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("epoch 1: loss ")
    accuracy = float(done.stdout.split("val acc ")[1].split()[0])
    assert 0.0 <= accuracy <= 1.0, "the share of positions (or sequences) right"
