"""What the training advisor costs a headless run (``playground train``), issue 13 §5.

``playground train`` trains with ``probes=False``; the advisor's callback measures activations
and weights itself within a time budget (``advisor_callback.BUDGET``). This runs shipped examples
as ``train`` does, with and without the callback, alternating in rounds so background load hits
both alike, and prints the best round's steps per second of each and their ratio. On a shared,
loaded machine that ratio is noisy, so it also prints the share of each advised run's time spent
inside the callback (its measurements and its judging), which load scales alike.

    .venv/bin/python bench/advisor_cost.py [--rounds N] [--epochs E] [EXAMPLE ...]
"""

from __future__ import annotations

import argparse
import time

from playground.core.advisor import Advisor
from playground.core.advisor_callback import AdvisingCallback
from playground.core.examples import example_path
from playground.core.project import Project, load_project
from playground.core.training import Report, Trainer


class TimedCallback(AdvisingCallback):
    """The advisor's callback, adding up the time spent in it."""

    spent = 0.0

    def on_report(self, trainer: Trainer, report: Report) -> None:
        began = time.perf_counter()
        super().on_report(trainer, report)
        self.spent += time.perf_counter() - began


def rate(project: Project, advise: bool) -> tuple[float, int, float]:
    """Steps per second of one run, how many measurements the advisor took, and the share of
    the run's time spent in the advisor."""
    callback = TimedCallback(Advisor(project))
    trainer = Trainer(project, device="cpu", probes=False, callbacks=[callback] if advise else [])
    began = time.perf_counter()
    result = trainer.fit()
    seconds = time.perf_counter() - began
    return result.steps / seconds, callback.measurements, callback.spent / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("examples", nargs="*", default=["spiral", "relu_he_digits", "lenet_digits"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args()
    for name in args.examples:
        project = load_project(example_path(name))
        project.training["epochs"] = args.epochs
        best = {False: 0.0, True: 0.0}
        probes, shares = 0, []
        for _ in range(args.rounds):
            for advise in (False, True):
                steps, measured, share = rate(project, advise)
                best[advise] = max(best[advise], steps)
                if advise:
                    probes, shares = max(probes, measured), [*shares, share]
        print(f"{name:>24}: without {best[False]:6.0f} steps/s, with the advisor {best[True]:6.0f} steps/s, "
              f"ratio {best[True] / best[False]:.3f}; in the advisor {min(shares):.1%} of the run "
              f"({probes} measurements)")


if __name__ == "__main__":
    main()
