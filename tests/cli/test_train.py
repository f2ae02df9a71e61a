"""``playground train``: the run folder's three files, Ctrl-C, user errors, and torchrun."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from playground.cli import main
from playground.core.build import build_model
from playground.core.datasets import LoadContext, load_dataset
from playground.core.project import Project, load_project, save_project
from playground.core.run_dir import default_run_dir, load_run_dir, read_metrics, resolved_project, weights_digest
from tests.core.test_training import XOR, project_of

ROOT = Path(__file__).resolve().parents[2]


def write_project(path: Path, project: Project) -> Path:
    save_project(project, path)
    return path


@pytest.fixture
def xor_file(tmp_path: Path) -> Path:
    return write_project(tmp_path / "xor.json", project_of([{"units": 8, "activation": "tanh"}], XOR, epochs=50))


def test_train_writes_metrics_weights_and_the_resolved_project(xor_file: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = tmp_path / "run"
    assert main(["train", str(xor_file), "--epochs", "4", "--device", "cpu", "--run-dir", str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"trained 4 epochs \(80 steps in [0-9.]+ s\); train loss [0-9.]+ acc [0-9.]+%, val loss "
                     r"[0-9.]+ acc [0-9.]+%, test loss [0-9.]+ acc [0-9.]+%; wrote .*run/ \(advice.json, "
                     r"checkpoint.safetensors, metrics.jsonl, model.safetensors, project.json\)", out)
    lines = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [line["epoch"] for line in lines] == [1, 2, 3, 4]
    assert [line["step"] for line in lines] == [20, 40, 60, 80]
    assert set(lines[0]) == {"epoch", "step", "time", "lr", "train_loss", "val_loss", "train_acc", "val_acc",
                             "grad_norm"}
    assert set(lines[-1]["grad_norm"]) == {"h1", "out"}
    assert all(v > 0 for v in lines[-1]["grad_norm"].values())
    assert read_metrics(run_dir) == lines

    saved = load_project(run_dir / "project.json")
    assert saved.training["epochs"] == 4
    assert saved.training["device"] == "cpu"
    with safe_open(str(run_dir / "model.safetensors"), framework="pt") as f:
        metadata = f.metadata()
    assert metadata["format"] == "nn-playground-weights/1"
    assert json.loads(metadata["project"])["training"]["epochs"] == 4

    project, state = load_run_dir(run_dir)
    data = load_dataset(project.dataset, LoadContext(project.base_dir, project.train_config().val_fraction))
    model = build_model(project.graph, data.meta, data.mean, data.std)
    model.load_state_dict(state)
    model.eval()
    accuracy = float((model(data.val.x).argmax(1) == data.val.y).float().mean())
    assert accuracy == pytest.approx(lines[-1]["val_acc"])


def test_a_progress_bar_on_a_terminal_only(xor_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["train", str(xor_file), "--epochs", "2", "--run-dir", str(tmp_path / "quiet")]) == 0
    assert "step/s" not in capsys.readouterr().err
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(["train", str(xor_file), "--epochs", "2", "--run-dir", str(tmp_path / "terminal")]) == 0
    bar = capsys.readouterr().err.split("\r")[-1]
    assert re.search(r"epoch 2/2: 100%.*40/40.*step/s, train loss [0-9.]+ [0-9.]+%, val loss", bar), bar


def test_regression_runs_log_null_accuracies(tmp_path: Path) -> None:
    path = write_project(tmp_path / "plane.json", project_of([{"units": 4}], {"name": "plane", "samples": 100},
                                                             {"loss": "mse"}, epochs=2))
    assert main(["train", str(path), "--run-dir", str(tmp_path / "run")]) == 0
    lines = read_metrics(tmp_path / "run")
    assert len(lines) == 2
    assert lines[-1]["train_acc"] is None
    assert lines[-1]["val_acc"] is None


def test_user_errors_exit_1_without_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_project(tmp_path / "bad.json", project_of([], XOR, augment=["hflip"]))
    assert main(["train", str(path), "--run-dir", str(tmp_path / "run")]) == 1
    assert "augmentation 'hflip' needs an image dataset" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
    assert main(["train", str(tmp_path / "missing.json")]) == 1
    assert main(["train", str(path), "--device", "tpu"]) == 1
    assert "device must be auto, cpu, cuda, cuda:N or mps" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["train", str(path), "--epochs", "0"])
    assert usage.value.code == 2


def test_run_folders_default_to_a_dated_name_and_keep_data_paths(tmp_path: Path) -> None:
    first = default_run_dir("some/dir/spiral.json", root=tmp_path)
    first.mkdir()
    second = default_run_dir("some/dir/spiral.json", root=tmp_path, now=None)
    assert re.fullmatch(r"spiral-\d{8}-\d{6}", first.name)
    assert second != first
    assert second.name.startswith(first.name)
    project = project_of([], {"name": "csv", "path": "data/table.csv", "target": "y"})
    project.path = tmp_path / "projects" / "p.json"
    resolved = resolved_project(project, epochs=3)
    assert resolved.dataset["path"] == str((tmp_path / "projects" / "data" / "table.csv").resolve())
    assert resolved.training["epochs"] == 3
    assert project.training["epochs"] == 30


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def test_ctrl_c_stops_and_still_writes_the_run(tmp_path: Path) -> None:
    path = write_project(tmp_path / "long.json",
                         project_of([{"units": 8, "activation": "tanh"}], XOR, epochs=100_000))
    run_dir = tmp_path / "run"
    process = subprocess.Popen([sys.executable, "-m", "playground", "train", str(path), "--run-dir", str(run_dir)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    metrics = run_dir / "metrics.jsonl"
    deadline = time.monotonic() + 60
    while not (metrics.exists() and metrics.stat().st_size > 0) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "stopped after" in out
    assert f"continue it with: playground train --resume {run_dir}" in out
    assert (run_dir / "checkpoint.safetensors").is_file()
    project, state = load_run_dir(run_dir)
    assert all(torch.isfinite(t).all() for t in state.values())
    assert read_metrics(run_dir)[-1]["step"] > 0


def test_torchrun_trains_two_processes_that_end_with_identical_weights(tmp_path: Path) -> None:
    path = write_project(tmp_path / "tiny.json", project_of([{"units": 8, "activation": "tanh"}], XOR, epochs=5))
    run_dir = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--standalone",
         "-m", "playground", "train", str(path), "--run-dir", str(run_dir)],
        capture_output=True, text=True, timeout=120, env=_env(), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    digests = dict(re.findall(r"rank (\d)/2: parameters sha256 ([0-9a-f]{64})", done.stderr))
    assert set(digests) == {"0", "1"}
    project, state = load_run_dir(run_dir)
    model = build_model(project.graph, load_dataset(project.dataset).meta)
    saved_parameters = {name: state[name] for name, _ in model.named_parameters()}
    assert digests["0"] == digests["1"] == weights_digest(saved_parameters)
    lines = read_metrics(run_dir)
    assert len(lines) == 5
    assert lines[-1]["step"] == 5 * 10  # 200 examples, 100 per process, batches of 10
