"""A comparison planned and trained on a plain Python thread, reported to the GUI thread.

``CompareJob`` runs ``playground.core.compare`` (``plan_variants``, then ``Comparison.run``) off
the GUI thread. Trainer hooks become plain-data events in a locked queue; one queued signal is
in flight at a time and the GUI thread drains the queue at most 30 times a second, keeping only
the latest progress, so a comparison with very short epochs cannot flood the window (STYLE.md:
throttle where the data is produced). The Compare dialog shows what it delivers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from playground.core.compare import CompareListener, Comparison, Variant, VariantResult, plan_variants
from playground.core.params import UserError
from playground.core.project import Project
from playground.core.training import Callback, Report, Trainer
from playground.ui.collector import gui_thread_gc
from playground.ui.delivery import ThrottledQueue

log = logging.getLogger(__name__)

#: Shortest time between two deliveries of events to the GUI thread.
DELIVERY_INTERVAL = 1 / 30


@dataclass(frozen=True)
class _Planned:
    variants: list[Variant]
    out_dir: Path


@dataclass(frozen=True)
class _Epoch:
    index: int
    report: Report


@dataclass(frozen=True)
class _Progress:
    index: int
    fraction: float


@dataclass(frozen=True)
class _Failed:
    message: str


@dataclass(frozen=True)
class _Ended:
    stopped: bool


class _Forward(Callback):
    """On the training thread: a variant's reports become events."""

    def __init__(self, job: CompareJob, index: int) -> None:
        self.job, self.index = job, index

    def on_report(self, trainer: Trainer, report: Report) -> None:
        self.job._push(_Progress(self.index, report.step / max(trainer.total_steps, 1)))

    def on_epoch_end(self, trainer: Trainer, report: Report) -> None:
        self.job._push(_Epoch(self.index, report))


class _Listener(CompareListener):
    def __init__(self, job: CompareJob) -> None:
        self.job = job

    def on_variant_start(self, variant: Variant, trainer: Trainer) -> None:
        trainer.callbacks.append(_Forward(self.job, variant.index))
        self.job._push(_Progress(variant.index, 0.0))

    def on_variant_end(self, result: VariantResult) -> None:
        self.job._push(result)


class CompareJob(QObject):
    """Plans and runs one comparison on a plain Python thread.

    Signals (on the GUI thread): ``planned(list[Variant])``, ``progressed(int, float)`` (the
    variant's index and its share done), ``epoch(int, Report)``, ``variantEnded(VariantResult)``,
    ``failed(str)`` (a bad setting or value: nothing trained), ``ended(bool)`` (stopped or not;
    the thread has ended). ``stop()`` stops the current variant and starts no other.
    """

    planned = Signal(list)
    progressed = Signal(int, float)
    epoch = Signal(int, object)
    variantEnded = Signal(object)
    failed = Signal(str)
    ended = Signal(bool)

    def __init__(self, project: Project, varies: Sequence[Any], seeds: int | None, epochs: int | None,
                 out_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.comparison: Comparison | None = None
        self._plan = (project.copy(), list(varies), seeds, epochs, out_dir)
        self._stop = False
        self._lock = threading.Lock()
        self._events = ThrottledQueue(DELIVERY_INTERVAL, self)
        self._events.delivered.connect(self._deliver)
        self.thread = threading.Thread(target=self._run, name="playground-compare", daemon=True)

    def start(self) -> None:
        gui_thread_gc.acquire()  # the cyclic collector stays on the GUI thread while this runs
        self.thread.start()

    def stop(self) -> None:
        with self._lock:
            self._stop = True
            comparison = self.comparison
        if comparison is not None:
            comparison.stop()

    def shutdown(self) -> None:
        """Stop and wait for the thread (a step, at most a variant's data loading), then deliver."""
        self.stop()
        if self.thread.is_alive():
            self.thread.join()
        self._events.flush()

    # ---- the thread
    def _run(self) -> None:
        project, varies, seeds, epochs, out_dir = self._plan
        stopped = False
        try:
            variants = plan_variants(project, varies, seeds=seeds, epochs=epochs)
            comparison = Comparison(variants, out_dir, trainer_options={"probes": False})
            with self._lock:
                self.comparison = comparison
                if self._stop:
                    comparison.stop()
            self._push(_Planned(variants, out_dir))
            comparison.run(_Listener(self))
            stopped = comparison.stopped
        except UserError as exc:
            self._push(_Failed(str(exc)))
        except Exception as exc:  # shown to the person; the traceback goes to the log
            log.exception("comparison failed")
            self._push(_Failed(f"the comparison failed: {type(exc).__name__}: {exc} (details in the app's log file)"))
        finally:
            self._push(_Ended(stopped))

    def _push(self, item: Any) -> None:
        self._events.push(item)

    # ---- the GUI thread
    @Slot(list)
    def _deliver(self, items: list[Any]) -> None:
        progress: _Progress | None = None
        ended: _Ended | None = None
        for item in items:
            if isinstance(item, _Progress):
                progress = item  # only the latest matters
            elif isinstance(item, _Epoch):
                self.epoch.emit(item.index, item.report)
            elif isinstance(item, VariantResult):
                self.variantEnded.emit(item)
            elif isinstance(item, _Planned):
                self.planned.emit(item.variants)
            elif isinstance(item, _Failed):
                self.failed.emit(item.message)
            elif isinstance(item, _Ended):
                ended = item  # the thread's last event
        if progress is not None:
            self.progressed.emit(progress.index, progress.fraction)
        if ended is not None:
            self.thread.join()
            gui_thread_gc.release()
            self.ended.emit(ended.stopped)
