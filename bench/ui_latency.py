"""The window while it trains at full speed: training rate, picture rate and event-loop stalls.

Opens the main window offscreen with ``--project`` (default: the digits CNN, the shipped
example lenet_digits), with its live views laid out as the window opens them (``--layout
overview``: as the overview screenshot lays them out, the curves side by side; ``--layout all``:
every view on screen, the ones behind tabs floating), trains for ``--seconds`` in
``--rounds`` segments, and meanwhile measures how late a 5 ms QTimer fires (the stalls a person
would feel) and how often each visible view redraws. Before each segment and after the last,
the run is paused and the headless ``Trainer`` runs the same project in the same process; each
segment's rate is reported as a ratio to the headless rounds just before and after it (the
machine's speed drifts within a minute), and R is the median of those ratios.

    .venv/bin/python bench/ui_latency.py                                    # digits CNN, 20 s
    .venv/bin/python bench/ui_latency.py --project bench/projects/circle.json --seconds 10
    .venv/bin/python bench/ui_latency.py --layout all                       # every view on screen
    .venv/bin/python bench/ui_latency.py --quick                            # 4 s (smoke)

It ends with one line (issue 12's contract)
``live: E epochs/s, P picture updates/s, p99 X ms, max Y ms, ratio R``
where E is the median of the segments' rates, P the redraw rate of the slowest visible view
and R the median ratio. Targets: on the circle task E >= 120, P >= 30, p99 <= 16 ms; on the digits
CNN with every view open (``--layout all``) R >= 0.9. It asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from playground.core.examples import resolve_project_arg  # noqa: E402
from playground.core.project import load_project  # noqa: E402
from playground.core.training import Report, Trainer  # noqa: E402

PROBE_MS = 5
TRAINING_THREAD = "playground-trai"  # the training QThread's name as the kernel keeps it (15 bytes)


def thread_cpu_seconds(name: str) -> float:
    """CPU seconds used so far by this process's threads called ``name`` (Linux; 0 elsewhere):
    how much of the machine the training thread got, whatever else was running."""
    total = 0.0
    tasks = Path("/proc/self/task")
    if not tasks.is_dir():
        return 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for task in tasks.iterdir():
        try:
            if (task / "comm").read_text().strip() != name:
                continue
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total
EPOCHS = 100_000
#: Seconds the window trains before the measured segments (its views' first draws build items).
WARM_UP = 2.0


@dataclass
class WindowRun:
    """What ``ui_run`` measured: the probe's lateness (ms), each segment's training rate
    (epochs/s), the redraws per second of each view on screen, and the CPU time over wall time
    of the GUI and training threads."""

    lateness: np.ndarray
    rates: list[float]
    redraws: dict[str, float]
    gui_busy: float
    training_busy: float


def headless_rate(path: Path, seconds: float) -> float:
    """Epochs per second of the bare Trainer (all probes at their default cadence), no UI."""
    project = load_project(path)
    project.training["epochs"] = EPOCHS
    trainer = Trainer(project)
    run = trainer.iter_fit()
    for _ in range(20):  # warm-up
        next(run)
    began, first = time.perf_counter(), trainer.step
    while time.perf_counter() - began < seconds:
        next(run)
    rate = (trainer.step - first) / (time.perf_counter() - began) / trainer.steps_per_epoch
    run.close()
    return rate


def ui_run(path: Path, seconds: float, layout: str, rounds: int = 1,
           between: Callable[[], None] | None = None) -> WindowRun:
    """Train in the window for ``seconds`` in all, in ``rounds`` segments; between two
    segments (and before the first) the run is paused and ``between()`` runs (the headless
    reference rounds, interleaved so that the machine's drift hits both alike). Each segment's
    rate comes from the run's own reports, whose clock leaves pauses out. Measured over the
    segments: the probe's lateness (ms), the redraws per second of each view on screen, and the
    share of the time the GUI thread and the training thread were busy (CPU time over wall
    time)."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from playground.ui.app import create_application, create_theme
    from playground.ui.main_window import MainWindow

    app = create_application()
    window = MainWindow(create_theme(app, "light"), load_project(path), persist=False)
    window.document.project.training["epochs"] = EPOCHS
    window.resize(1440, 900)
    window.show()
    workspace = window.training
    if layout != "window":
        workspace.show_all_views()
    if layout == "all":
        for name, dock in workspace.docks.items():
            if name != "training" and not dock.widget().on_screen():  # a tab behind another
                dock.setFloating(True)
                dock.resize(520, 380)
                dock.show()
                # the offscreen platform has no window manager to say a floating window is seen
                dock.widget().set_on_screen(dock.isVisible())
    app.processEvents()

    lateness: list[float] = []
    clock = QElapsedTimer()
    last = [0.0]

    def tick() -> None:
        now = clock.nsecsElapsed() / 1e6
        lateness.append(max(0.0, now - last[0] - PROBE_MS))
        last[0] = now

    probe = QTimer()
    probe.setTimerType(probe.timerType().PreciseTimer)
    probe.setInterval(PROBE_MS)
    probe.timeout.connect(tick)

    def run_loop(duration: float) -> None:
        loop = QEventLoop()  # the window's own event loop, as when a person uses it
        QTimer.singleShot(int(duration * 1000), loop.quit)
        loop.exec()

    def settle_paused() -> Report:
        """Pause the run and wait for the report it sends on pausing (its step and clock)."""
        assert workspace.session is not None
        workspace.session.pause()
        deadline, seen = time.monotonic() + 30, None
        while time.monotonic() < deadline:
            run_loop(0.25)
            report = workspace.last_report
            if report is not None and report is seen:  # nothing new for a quarter of a second
                return report
            seen = report
        raise RuntimeError("the run did not pause")

    workspace.train()
    deadline = time.monotonic() + 60
    while (workspace.last_report is None or workspace.info is None) and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.001)
    run_loop(WARM_UP)  # the views' first draws build their items
    steps_per_epoch = workspace.info.steps_per_epoch if workspace.info else 1
    shown = {name: view for name, view in workspace.views.items()
             if view.on_screen() and workspace.info is not None and view.not_applicable(workspace.info.meta) is None}
    draws = dict.fromkeys(shown, 0)
    rates: list[float] = []
    elapsed = busy = trained = 0.0
    mark = settle_paused()
    for _ in range(rounds):
        if between is not None:
            between()
        assert workspace.session is not None
        before = {name: view.redraws for name, view in shown.items()}
        last[0] = 0.0
        clock.start()
        probe.start()
        began, cpu, trained_cpu = time.perf_counter(), time.thread_time(), thread_cpu_seconds(TRAINING_THREAD)
        workspace.session.resume()
        run_loop(seconds / rounds)
        elapsed += time.perf_counter() - began
        busy += time.thread_time() - cpu
        trained += thread_cpu_seconds(TRAINING_THREAD) - trained_cpu
        probe.stop()
        for name, view in shown.items():
            draws[name] += view.redraws - before[name]
        end = settle_paused()
        rates.append((end.step - mark.step) / max(end.time - mark.time, 1e-9) / steps_per_epoch)
        mark = end
    print("GUI milliseconds per redraw (with its paints): "
          + ", ".join(f"{name} {1000 * view.redraw_cost:.1f}" for name, view in shown.items()))
    workspace.shutdown()
    window.close()
    QApplication.processEvents()
    return WindowRun(np.asarray(lateness), rates, {name: n / elapsed for name, n in draws.items()},
                     busy / elapsed, trained / elapsed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", default="lenet_digits", help="project file or example name (lenet_digits)")
    parser.add_argument("--seconds", type=float, default=20.0, help="training time in the window")
    parser.add_argument("--layout", choices=("window", "overview", "all"), default="window",
                        help="the views as the window opens (default), as the overview screenshot lays them out, "
                             "or all of them on screen (the others float)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="window segments, each between two headless rounds (default 5)")
    parser.add_argument("--quick", action="store_true", help="4 s in the window, 1 s headless rounds (smoke)")
    args = parser.parse_args()
    path = resolve_project_arg(args.project)
    seconds = 4.0 if args.quick else args.seconds
    rounds = 2 if args.quick else max(1, args.rounds)
    load = os.getloadavg()
    print(f"{platform.machine()}, {os.cpu_count()} cores, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
          f"torch {torch.__version__}, python {sys.version.split()[0]}; project {path.name}")
    # On a shared machine the speed of the same loop drifts by +-15% within a minute: the
    # window's segments alternate with headless rounds, and each segment is compared with the
    # rounds just before and after it.
    headless_seconds = 1.0 if args.quick else 2.5
    headless: list[float] = []

    def reference() -> None:
        headless.append(headless_rate(path, headless_seconds))

    run = ui_run(path, seconds, args.layout, rounds, reference)
    reference()
    ratios = [rate / ((headless[i] + headless[i + 1]) / 2) for i, rate in enumerate(run.rates)]
    rate, ratio = float(np.median(run.rates)), float(np.median(ratios))
    late = run.lateness
    p99, worst = float(np.percentile(late, 99)), float(late.max())
    pictures = min(run.redraws.values()) if run.redraws else 0.0
    print(f"event-loop probe every {PROBE_MS} ms over {seconds:.0f} s of training ({len(late)} ticks): "
          f"p50 {np.median(late):.1f} ms, p99 {p99:.1f} ms, max {worst:.1f} ms")
    print("redraws per second of the views on screen: "
          + ", ".join(f"{name} {r:.1f}" for name, r in sorted(run.redraws.items(), key=lambda kv: kv[1])))
    print("training, epochs/s: window " + ", ".join(f"{r:,.1f}" for r in run.rates)
          + "; headless " + ", ".join(f"{h:,.1f}" for h in headless)
          + "; ratios " + ", ".join(f"{r:.2f}" for r in ratios))
    print(f"CPU time over wall time: GUI thread {100 * run.gui_busy:.0f}%, training thread "
          f"{100 * run.training_busy:.0f}%; load now {os.getloadavg()[0]:.2f}")
    print(f"live: {rate:,.1f} epochs/s, {pictures:.1f} picture updates/s, p99 {p99:.1f} ms, max {worst:.1f} ms, "
          f"ratio {ratio:.2f}")


if __name__ == "__main__":
    main()
