"""``playground export``: projects, run folders, and clear errors for what cannot be exported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from playground.cli import main
from playground.core.build import build_model
from playground.core.datasets import LoadContext, load_dataset
from playground.core.export import load_weights, save_weights
from playground.core.project import load_project

PROJECT = {
    "format": "nn-playground/1",
    "name": "Spiral, one tanh layer",
    "dataset": {"name": "spiral", "samples": 200, "noise": 0.1},
    "graph": {
        "nodes": [
            {"id": "in", "type": "Input"},
            {"id": "h1", "type": "Dense", "params": {"units": 8, "activation": "tanh", "batchnorm": True}},
            {"id": "out", "type": "Output"},
        ],
        "edges": [["in", "h1"], ["h1", "out"]],
    },
    "training": {"seed": 3},
}


@pytest.fixture
def project_file(tmp_path: Path) -> Path:
    path = tmp_path / "spiral.json"
    path.write_text(json.dumps(PROJECT), encoding="utf-8")
    return path


@pytest.fixture
def run_dir(tmp_path: Path, project_file: Path) -> Path:
    """A run folder as ``playground train`` leaves it, with weights unlike the initial ones."""
    project = load_project(project_file)
    data = load_dataset(project.dataset, LoadContext())
    model = build_model(project.graph, data.meta, data.mean, data.std, seed=99)
    with torch.no_grad():
        model.h1.bn.running_mean.add_(0.5)
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "project.json").write_text(project_file.read_text(encoding="utf-8"), encoding="utf-8")
    save_weights(folder / "model.safetensors", model.state_dict(), project)
    return folder


def test_export_a_project_says_it_is_untrained(project_file: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "net.safetensors"
    assert main(["export", str(project_file), "--format", "safetensors", "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert f"note: {project_file} has no trained weights; exporting the initialised model" in captured.err
    assert "verified: max |Δ| = 0" in captured.out
    project = load_project(project_file)
    data = load_dataset(project.dataset, LoadContext())
    initial = build_model(project.graph, data.meta, data.mean, data.std, seed=3)
    loaded = load_weights(out, initial)
    assert all(torch.equal(loaded[k], v) for k, v in initial.state_dict().items())


def test_export_a_run_dir_keeps_its_trained_weights(run_dir: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "net.onnx"
    assert main(["export", str(run_dir), "--format", "onnx", "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert "note:" not in captured.err
    assert f"wrote {out} (ONNX, opset " in captured.out
    assert "verified: max |Δ| = " in captured.out

    script = tmp_path / "train.py"
    assert main(["export", str(run_dir), "--format", "py", "--training-script", "-o", str(script)]) == 0
    assert "(the data the training script reads)" in capsys.readouterr().out
    assert (tmp_path / "train_data.npz").is_file()


def test_export_errors_are_clear(run_dir: Path, project_file: Path, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "net.py")

    def error(*argv: str, status: int = 1) -> str:
        assert main(["export", *argv]) == status
        return capsys.readouterr().err

    assert "missing.json: no such file" in error(str(tmp_path / "missing.json"), "--format", "py", "-o", out)
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "nn-playground/1", "graph": {"nodes": [{"id": "x", "type": "Dense2"}]}}')
    assert "unknown type 'Dense2'" in error(str(bad), "--format", "py", "-o", out)
    assert "--training-script needs --format py" in error(str(project_file), "--format", "onnx",
                                                          "--training-script", "-o", out, status=2)

    weights = run_dir / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) - 10])
    assert "may be truncated or corrupt" in error(str(run_dir), "--format", "py", "-o", out)

    other = json.loads(json.dumps(PROJECT))
    other["graph"]["nodes"][1]["params"]["units"] = 5
    (run_dir / "project.json").write_text(json.dumps(other))
    weights.write_bytes(data)
    message = error(str(run_dir), "--format", "py", "-o", out)
    assert "'h1.linear.weight' of Dense 'h1' has shape 8×2 in the file but 5×2" in message
    assert not Path(out).exists()
