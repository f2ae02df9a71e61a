"""``playground train --resume RUN_DIR``: a run killed at any moment goes on where it was, and its
metrics log ends with every epoch exactly once, as if it had never been interrupted."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from playground.cli import main
from playground.core.checkpoint import CHECKPOINT_ENV, CHECKPOINT_FILE
from playground.core.project import load_project, save_project
from playground.core.run_dir import load_run_dir, read_metrics
from tests.core.test_training import XOR, project_of

ROOT = Path(__file__).resolve().parents[2]
SPIRAL_EPOCHS = 40  # ~2 s of training: long enough that every kill lands while it trains


def metric_values(run_dir: Path) -> list[float]:
    """Every number of every metrics line but the time (which a resumed run does not repeat)."""
    return [line[key] for line in read_metrics(run_dir)
            for key in ("epoch", "step", "lr", "train_loss", "val_loss", "train_acc", "val_acc")]


@pytest.fixture
def xor_file(tmp_path: Path) -> Path:
    path = tmp_path / "xor.json"
    save_project(project_of([{"units": 8, "activation": "tanh", "dropout": 0.1}], XOR, epochs=3, device="cpu"),
                 path)
    return path


def test_a_finished_run_says_so_and_more_epochs_extend_it(xor_file: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    run_dir, straight = tmp_path / "run", tmp_path / "straight"
    assert main(["train", str(xor_file), "--run-dir", str(run_dir)]) == 0
    capsys.readouterr()
    assert main(["train", "--resume", str(run_dir)]) == 0
    assert capsys.readouterr().out == (f"{run_dir}: the run already finished: it trained 3 epochs; give --epochs N "
                                       "(more than 3) to train it further\n")

    assert main(["train", "--resume", str(run_dir), "--epochs", "5"]) == 0
    out, err = capsys.readouterr()
    assert f"{run_dir}: resuming at step 60 (3 of 5 epochs done)" in err
    assert out.startswith("trained 5 epochs (100 steps in ")
    assert [line["epoch"] for line in read_metrics(run_dir)] == [1, 2, 3, 4, 5]
    assert load_project(run_dir / "project.json").training["epochs"] == 5

    assert main(["train", str(xor_file), "--epochs", "5", "--run-dir", str(straight)]) == 0
    assert metric_values(run_dir) == pytest.approx(metric_values(straight), rel=1e-6)
    resumed, uninterrupted = load_run_dir(run_dir)[1], load_run_dir(straight)[1]
    assert all((resumed[name] - uninterrupted[name]).abs().max() < 1e-6 for name in uninterrupted)


@pytest.mark.parametrize(("args", "message"), [
    (["train"], "give the PROJECT to train, or --resume RUN_DIR"),
    (["train", "{xor}", "--resume", "{run}"], "give no PROJECT or --run-dir with it"),
    (["train", "--resume", "{run}", "--run-dir", "{tmp}/other"], "give no PROJECT or --run-dir with it"),
    (["train", "--resume", "{tmp}/nowhere"], "nowhere: no such run folder"),
    (["train", "--resume", "{tmp}"], "has no project.json, so it is not a run folder"),
    (["train", "--resume", "{run}", "--epochs", "2"], "the run has trained 3 epochs already; --epochs must be at "
                                                      "least that"),
])
def test_resume_errors_name_the_folder(xor_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       args: list[str], message: str) -> None:
    run_dir = tmp_path / "run"
    assert main(["train", str(xor_file), "--run-dir", str(run_dir)]) == 0
    capsys.readouterr()
    args = [a.format(xor=xor_file, run=run_dir, tmp=tmp_path) for a in args]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert message in err
    assert "Traceback" not in err


def test_a_damaged_checkpoint_is_refused_with_a_message(xor_file: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = tmp_path / "run"
    assert main(["train", str(xor_file), "--run-dir", str(run_dir)]) == 0
    checkpoint = run_dir / CHECKPOINT_FILE
    checkpoint.write_bytes(checkpoint.read_bytes()[:-100])
    capsys.readouterr()
    assert main(["train", "--resume", str(run_dir), "--epochs", "4"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {checkpoint}: is damaged or not a checkpoint of this app, so the run cannot "
                          "continue from it; delete it to train the run again from its start")


# --------------------------------------------------------------------------- kill -9

def _spiral(tmp_path: Path) -> Path:
    """A copy of the shipped spiral example (dropout and batch norm: random numbers and
    running statistics that a resumed run must carry on), shortened."""
    shipped = next(p for p in (ROOT / "playground/resources/examples/spiral.json",
                               ROOT / "resources/examples/spiral.json") if p.exists())
    project = json.loads(shipped.read_text())
    project["training"].update(epochs=SPIRAL_EPOCHS, device="cpu")
    path = tmp_path / "spiral.json"
    path.write_text(json.dumps(project))
    return path


def _train(*args: str | Path, seconds: str = "0.05") -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), CHECKPOINT_ENV: seconds}
    return subprocess.Popen([sys.executable, "-m", "playground", "train", *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.001)


def _written(path: Path) -> int:
    """When ``path`` was last replaced (0: not there)."""
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


def _kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)


def kill_and_resume(tmp_path: Path, moments: list[str], seed: int) -> None:
    """Start (or resume) the run and SIGKILL it at each moment, then resume it to the end: the
    metrics log holds every epoch once, with the losses of a run never killed."""
    rng = random.Random(seed)
    project, run_dir, reference = _spiral(tmp_path), tmp_path / "run", tmp_path / "reference"
    checkpoint = run_dir / CHECKPOINT_FILE
    for moment in moments:
        if (run_dir / "project.json").exists():
            process = _train("--resume", run_dir)
        else:
            if run_dir.exists():  # killed before it wrote project.json: nothing trained, nothing to resume
                failed = subprocess.run([sys.executable, "-m", "playground", "train", "--resume", str(run_dir)],
                                        env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
                assert failed.returncode == 1
                assert failed.stderr.startswith(f"error: {run_dir}: has no project.json"), failed.stderr
            process = _train(project, "--run-dir", run_dir)
        if moment == "training":  # a random moment once the run trains
            before = _written(checkpoint)
            _wait_for(lambda before=before: _written(checkpoint) not in (0, before))
            time.sleep(rng.uniform(0.0, 0.5))
        elif moment == "writing":  # while a checkpoint's temp file is being written
            _wait_for(lambda: any(run_dir.glob(f".{CHECKPOINT_FILE}.*.tmp")) if run_dir.exists() else False)
        else:
            time.sleep(float(moment))
        _kill(process)
    finished = _train("--resume", run_dir) if (run_dir / "project.json").exists() else \
        _train(project, "--run-dir", run_dir)
    out, err = finished.communicate(timeout=300)
    assert finished.returncode == 0, err
    assert "Traceback" not in err
    assert re.search(r": resuming at step [1-9]", err), err  # the kills landed while it trained
    assert not list(run_dir.glob(".*.tmp"))
    assert [line["epoch"] for line in read_metrics(run_dir)] == list(range(1, SPIRAL_EPOCHS + 1))

    assert main(["train", str(project), "--run-dir", str(reference)]) == 0
    assert metric_values(run_dir) == pytest.approx(metric_values(reference), rel=1e-5)


def test_kill_9_at_any_moment_leaves_a_resumable_run(tmp_path: Path) -> None:
    kill_and_resume(tmp_path, ["0", "training", "writing"], seed=1)


@pytest.mark.slow
def test_kill_9_many_times(tmp_path: Path) -> None:
    rng = random.Random(7)
    moments = [rng.choice(["0", "0.5", "1.5", "3", "training", "training", "writing"]) for _ in range(25)]
    kill_and_resume(tmp_path, moments, seed=7)
