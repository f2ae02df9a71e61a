"""What another thread's Python costs the training thread (issue 12 §3: window vs headless).

The window trains on a background thread while the GUI thread paints; the digits CNN window
with every view on screen trains at 0.7-0.8 of the headless rate. This separates the two ways
the GUI thread can slow training: holding the GIL (Python: pyqtgraph's paint methods, the
views' redraws) and sharing the CPU's caches and memory (C++ without the GIL). A second thread
does either kind of work for a share ``duty`` of every 50 ms while a ``Trainer`` runs an example
on its own thread, and the training rates are printed against a run with the second thread
idle, in alternating rounds so background load hits all alike:

    .venv/bin/python bench/gil_contention.py [--example lenet_digits] [--duty 0.2] [--rounds 2]
"""

from __future__ import annotations

import argparse
import threading
import time

import numpy as np
from ui_latency import headless_rate  # the window benchmark's headless reference, here on a thread of its own

from playground.core.examples import resolve_project_arg

PERIOD = 0.05


def busy(kind: str, duty: float, done: threading.Event) -> None:
    """Work for ``duty`` of every PERIOD until ``done``: Python holding the GIL, or numpy's matrix
    products, which release it."""
    matrix = np.random.default_rng(0).random((300, 300))
    while not done.is_set():
        began = time.perf_counter()
        while time.perf_counter() - began < PERIOD * duty:
            if kind == "python":
                sum(i * i for i in range(200))
            else:
                matrix @ matrix
        time.sleep(PERIOD * (1 - duty))


def measure(example: str, kind: str, duty: float, seconds: float) -> float:
    done = threading.Event()
    result: list[float] = []

    def train() -> None:
        result.append(headless_rate(resolve_project_arg(example), seconds))
        done.set()

    trainer = threading.Thread(target=train)
    trainer.start()
    if kind != "idle":
        busy(kind, duty, done)
    trainer.join()
    return result[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", default="lenet_digits")
    parser.add_argument("--duty", type=float, default=0.2, help="share of the time the second thread works")
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    for _ in range(args.rounds):
        idle = measure(args.example, "idle", 0.0, args.seconds)
        python = measure(args.example, "python", args.duty, args.seconds)
        numpy = measure(args.example, "numpy", args.duty, args.seconds)
        print(f"{args.example}: alone {idle:.1f} epochs/s; beside {args.duty:.0%} Python (GIL held) "
              f"{python:.1f} ({python / idle:.2f}); beside {args.duty:.0%} numpy (GIL released) "
              f"{numpy:.1f} ({numpy / idle:.2f})", flush=True)


if __name__ == "__main__":
    main()
