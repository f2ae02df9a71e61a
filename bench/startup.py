"""Start-up time of the app: from launch to the window's first paint, to an editable canvas,
and to training being ready (PyTorch loaded in the background), with how responsive the window
stays while PyTorch loads.

Launches ``python -m playground PROJECT -v`` in a fresh process (new settings and data folders,
so each run is a first start) and times the log lines it writes as they arrive: "window
painted" (the canvas is on screen), "editor ready" (the project is on the canvas and the event
loop takes input) and "training ready". Offscreen by default; with ``DISPLAY`` set it also runs
in that real window (``--display-only`` for that one alone). For reference, in the same
session: ``python -c "import torch"`` and the imports the window needed before it could paint
until issue 12 (torch and the training side), each in a fresh interpreter. A second child opens
the window the same way and probes the event loop with a 5 ms timer from the first paint until
training is ready: the stalls a person would feel while PyTorch loads.

    .venv/bin/python bench/startup.py                         # spiral, 5 runs
    .venv/bin/python bench/startup.py --runs 9 --project lenet_digits
    DISPLAY=:77 .venv/bin/python bench/startup.py             # offscreen and the real display

Prints medians (and the spread) with the machine's load average; asserts nothing. Target
(issue 12): painted and editable within 1 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MILESTONES = ("window painted", "editor ready", "training ready")

#: The child that probes the event loop: the app's own launch path, plus a 5 ms timer whose
#: lateness is recorded from the first paint until the training side is there.
PROBE = r"""
import sys, time
from PySide6.QtCore import QTimer
from playground.core.examples import resolve_project_arg
from playground.core.project import load_project
from playground.ui.app import create_application, create_theme
from playground.ui.loading import training_import
from playground.ui.main_window import MainWindow

app = create_application()
background = training_import()
window = MainWindow(create_theme(app, "light"), load_project(resolve_project_arg(sys.argv[1])),
                    persist=False, background=background)
window.show()
late, last = [], [None]
def probe():
    now = time.perf_counter()
    if last[0] is not None:
        late.append(max(0.0, now - last[0] - 0.005))
    last[0] = now
    if window.training_ready:
        app.quit()
timer = QTimer(interval=5)
timer.timeout.connect(probe)
QTimer.singleShot(0, timer.start)
app.exec()
window.shutdown()
late.sort()
print(f"{len(late)} {late[int(0.99 * (len(late) - 1))] * 1000:.1f} {late[-1] * 1000:.1f}")
"""


def child_env(display: bool, home: Path) -> dict[str, str]:
    env = {**os.environ, "PLAYGROUND_SETTINGS_DIR": str(home / "settings"), "PLAYGROUND_HOME": str(home / "data")}
    if display:
        env.pop("QT_QPA_PLATFORM", None)
    else:
        env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def launch(project: str, display: bool, timeout_s: float) -> dict[str, float]:
    """One start of the app: seconds from launch to each milestone's log line."""
    with tempfile.TemporaryDirectory() as home:
        lines: queue.Queue[tuple[float, str]] = queue.Queue()
        began = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "playground", project, "-v"], cwd=ROOT,
                                env=child_env(display, Path(home)), stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)

        def read() -> None:
            assert proc.stderr is not None
            for line in proc.stderr:
                lines.put((time.perf_counter() - began, line))

        threading.Thread(target=read, daemon=True).start()
        seen: dict[str, float] = {}
        try:
            while "training ready" not in seen and time.perf_counter() - began < timeout_s:
                try:
                    at, line = lines.get(timeout=0.5)
                except queue.Empty:
                    if proc.poll() is not None:
                        break
                    continue
                for milestone in MILESTONES:
                    if milestone in line:
                        seen.setdefault(milestone, at)
        finally:
            proc.kill()
            proc.wait()
        return seen


def fresh_import(modules: str, runs: int) -> list[float]:
    """Seconds ``python -c "import MODULES"`` takes from launch to exit."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {modules}"], cwd=ROOT, check=True,
                       env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
        times.append(time.perf_counter() - began)
    return times


def stalls(project: str, display: bool, timeout_s: float) -> str:
    with tempfile.TemporaryDirectory() as home:
        result = subprocess.run([sys.executable, "-c", PROBE, project], cwd=ROOT, env=child_env(display, Path(home)),
                                capture_output=True, text=True, timeout=timeout_s)
    if result.returncode != 0 or not result.stdout.strip():
        return f"probe failed: {result.stderr.strip().splitlines()[-1:]}"
    ticks, p99, worst = result.stdout.split()[-3:]
    return f"event loop while PyTorch loads: {ticks} ticks of a 5 ms timer, late by p99 {p99} ms, max {worst} ms"


def spread(values: list[float]) -> str:
    if not values:
        return "n/a"
    return f"{statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f})"


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", default="spiral", help="project file or example name (default: spiral)")
    parser.add_argument("--runs", type=int, default=5, help="starts per mode (default: 5)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds a start may take")
    parser.add_argument("--display-only", action="store_true", help="only the real display (needs DISPLAY)")
    args = parser.parse_args()

    modes = [] if args.display_only else [("offscreen", False)]
    if os.environ.get("DISPLAY"):
        modes.append((f"display {os.environ['DISPLAY']}", True))
    print(f"startup: {args.project}, {args.runs} runs per mode; Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, load average {load()}")
    torch_alone = fresh_import("torch", args.runs)
    before = fresh_import("torch, playground.ui.training.workspace, playground.ui.export_dialog, playground.ui.app",
                          args.runs)
    print(f"reference: import torch {spread(torch_alone)}; the imports the window waited for before "
          f"issue 12 {spread(before)}")
    for name, display in modes:
        runs = [launch(args.project, display, args.timeout) for _ in range(args.runs)]
        print(f"{name}: load average {load()}")
        for milestone in MILESTONES:
            print(f"  {milestone:<15} {spread([r[milestone] for r in runs if milestone in r])}"
                  + ("" if all(milestone in r for r in runs) else f"  ({sum(milestone not in r for r in runs)} "
                                                                   "runs never got there)"))
        print(f"  {stalls(args.project, display, args.timeout)}")
    print(f"load average at the end {load()}")


if __name__ == "__main__":
    main()
