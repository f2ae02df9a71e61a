"""The advisor as a trainer callback, for headless runs (``playground train``).

A headless trainer runs without probes (``probes=False``: nothing draws them), but the advisor
needs activation and weight statistics to tell dead or saturated units and layers that barely
change. So this callback measures them itself, on the training thread between two steps, within
a budget: after a measurement that took ``c`` seconds the next waits at least ``BUDGET * c``, so
they cost at most 1/BUDGET of the run's time whatever the network. ``bench/advisor_cost.py``
measures the whole callback: 2-3 % of a run of the shipped MLP examples, 2 % of LeNet's.
"""

from __future__ import annotations

import dataclasses
import math
import time

from playground.core.advisor import Advisor, Finding
from playground.core.graph import node_activations
from playground.core.probes import activation_stats, weight_stats
from playground.core.training import Callback, Report, Trainer, TrainResult

#: Measurements may take at most 1/BUDGET of the training time.
BUDGET = 50


class AdvisingCallback(Callback):
    """Feeds every report to an ``Advisor``, adding probe statistics the report lacks.

    ``budget``: measurements take at most 1/budget of the run's time (0: at every report that
    lacks them, which tests use to be independent of timing)."""

    def __init__(self, advisor: Advisor, budget: float = BUDGET) -> None:
        self.advisor = advisor
        self.budget = budget
        self._next_probe = 0.0
        self._activations: dict[str, str] = {}
        #: Measurements taken so far (the benchmark reports it).
        self.measurements = 0

    def on_start(self, trainer: Trainer) -> None:
        self._activations = node_activations(trainer.graph)

    def on_report(self, trainer: Trainer, report: Report) -> None:
        healthy = report.train_loss is None or math.isfinite(report.train_loss)
        if report.weights is None and healthy and time.perf_counter() >= self._next_probe:
            report = self._measured(trainer, report)
        self.advisor.feed(report)

    def on_finish(self, trainer: Trainer, result: TrainResult) -> None:
        self.advisor.finish(diverged=result.message if result.status == "diverged" else None)

    def findings(self) -> list[Finding]:
        return self.advisor.findings()

    def _measured(self, trainer: Trainer, report: Report) -> Report:
        began = time.perf_counter()
        activations = activation_stats(trainer.model, trainer.probe_batch, self._activations)
        weights = weight_stats(trainer.model)
        now = time.perf_counter()
        self.measurements += 1
        self._next_probe = now + self.budget * (now - began)
        return dataclasses.replace(report, activations=activations, weights=weights)
