"""The bridge between the core ``Trainer`` and the GUI thread.

The trainer runs on a ``QThread`` and owns the model. It never touches a widget: its callback
puts plain-data events (reports, results of computations the views asked for, the end of the
run) on a locked queue and, when the queue was empty, emits one queued signal. The GUI thread
drains the queue at most 10 times a second (60 for a run whose pictures animate), so however
fast training steps, the event loop sees a bounded stream of batched updates and nothing is
dropped (STYLE.md: throttle where the data is produced, signals carry plain data, one queued
signal in flight at a time).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from playground.core.params import UserError
from playground.core.project import Project
from playground.core.training import Callback, Report, TrainControl, Trainer, TrainResult
from playground.ui.collector import gui_thread_gc
from playground.ui.delivery import ThrottledQueue
from playground.ui.plots.live import RunInfo
from playground.ui.training.runs import WindowRunRecorder

#: Shortest time between two deliveries of queued events to the GUI thread: ten a second, as
#: often as an image run's views may redraw within their shared budget. Each delivery is
#: Python on the GUI thread (every view buffers the reports), which holds the GIL the training
#: thread needs; at 30 a second it was a tenth of the GUI thread's Python on the digits CNN.
DELIVERY_INTERVAL = 1 / 10
#: The same for a run whose pictures animate (a 2-D run): a picture asked for at one delivery
#: arrives at the next, so deliveries come at twice the 30 pictures a second wanted.
ANIMATION_DELIVERY_INTERVAL = 1 / 60


@dataclass(frozen=True)
class Computed:
    """The result (or error message) of a computation a view asked the worker for."""

    key: str
    value: Any
    error: str | None = None
    #: CPU seconds the computation took on the training thread (time taken from training).
    seconds: float = 0.0


class _Bridge(Callback):
    """Runs on the training thread: turns trainer hooks into queued events."""

    def __init__(self, session: TrainingSession) -> None:
        self.session = session

    def on_start(self, trainer: Trainer) -> None:
        self.session._push(RunInfo.of(trainer))

    def on_report(self, trainer: Trainer, report: Report) -> None:
        self.session._push(report)

    def on_finish(self, trainer: Trainer, result: TrainResult) -> None:
        state = {k: v.detach().cpu().clone() for k, v in trainer.model.state_dict().items()}
        self.session._push(_Finished(result, state))


class _TrainingThread(QThread):
    """Builds the trainer on its own thread (it loads data and the model there) and trains."""

    def __init__(self, session: TrainingSession, project: Project, device: str | None,
                 initial_state: dict[str, Any] | None, run_dir: Path | None) -> None:
        super().__init__()
        self.session = session
        self.project = project
        self.device = device
        self.initial_state = initial_state
        #: keeps the run in its run folder (on the training thread), if one was asked for
        self.recorder = WindowRunRecorder(run_dir, project) if run_dir is not None else None
        self.setObjectName("playground-training")

    def run(self) -> None:
        import torch

        torch.set_num_threads(max(1, (os.cpu_count() or 2) - 1))
        session = self.session
        try:
            callbacks: list[Callback] = [_Bridge(session)]
            if self.recorder is not None:
                callbacks.append(self.recorder)
            trainer = Trainer(self.project, callbacks=callbacks, control=session.control,
                              device=self.device, initial_state=self.initial_state)
            trainer.fit()
        except UserError as exc:
            session._push(_Failure(str(exc)))
        except Exception as exc:  # reaches the person as a message, not a crash; the traceback goes to the log
            logging.getLogger(__name__).exception("training failed")
            session._push(_Failure(f"training failed: {type(exc).__name__}: {exc} (details in the app's log file)"))
        finally:
            # No reference cycle may outlive the run: Python's cyclic collector may run on any
            # thread, and a Qt object freed on this one crashes the process.
            self.session = None


@dataclass(frozen=True)
class _Failure:
    message: str


@dataclass(frozen=True)
class _Finished:
    result: TrainResult
    state: dict[str, Any]


class TrainingSession(QObject):
    """One training run in the background, with controls and batched, rate-limited updates.

    Signals (all delivered on the GUI thread):
    ``started(RunInfo)``, ``reports(list[Report])`` (in order, at most 10 or, ``animate``, 60 times a second),
    ``computed(Computed)``, ``finished(TrainResult)``, ``failed(str)``, and ``ended()`` once the
    thread itself has ended. After ``finished``,
    ``final_state`` holds a CPU copy of the trained weights (to continue from or export).
    With ``run_dir``, the run is kept in a new run folder of that name (or the next free one) as
    ``playground train`` would write it (``runs.py``); ``run_dir`` then names it. ``animate``: the
    run's pictures animate (a 2-D run), so deliveries come up to 60 times a second.
    """

    started = Signal(object)
    reports = Signal(list)
    computed = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    ended = Signal()

    def __init__(self, project: Project, device: str | None = None, parent: QObject | None = None, *,
                 initial_state: dict[str, Any] | None = None, run_dir: Path | None = None,
                 animate: bool = False) -> None:
        super().__init__(parent)
        #: whether the run's pictures animate (deliveries and pictures come more often)
        self.animate = animate
        self.control = TrainControl()
        self.info: RunInfo | None = None
        self.result: TrainResult | None = None
        self.final_state: dict[str, Any] | None = None
        self._events = ThrottledQueue(ANIMATION_DELIVERY_INTERVAL if animate else DELIVERY_INTERVAL, self)
        self._events.delivered.connect(self._deliver)
        self._thread = _TrainingThread(self, project.copy(), device, initial_state, run_dir)
        #: whether the run continues from earlier weights (rather than a fresh initialisation)
        self.continues = initial_state is not None

    # ---------------------------------------------------------------- commands (GUI thread)
    def start(self) -> None:
        gui_thread_gc.acquire()
        self._thread.finished.connect(self._on_thread_finished)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread.isRunning()

    @property
    def run_dir(self) -> Path | None:
        """The run folder the run is kept in (its final name once the run has started), if any."""
        recorder = self._thread.recorder
        return recorder.run_dir if recorder is not None else None

    def pause(self) -> None:
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    def step(self, n: int = 1) -> None:
        self.control.step(n)

    def set_lr(self, lr: float) -> None:
        self.control.set_lr(lr)

    def stop(self) -> None:
        self.control.stop()

    def request(self, key: str, fn: Callable[[Trainer], Any]) -> None:
        """Ask the worker to run ``fn(trainer)`` between steps (it owns the live model); the
        result arrives as ``computed(Computed(key, value))``. ``fn`` must return plain data."""
        took = [0.0]

        def timed(trainer: Trainer) -> Any:
            # the training thread's CPU time: what the picture took from training, not the time
            # other processes on a busy machine took from this thread meanwhile
            began = time.thread_time()
            try:
                return fn(trainer)
            finally:
                took[0] = time.thread_time() - began

        future = self.control.call_between_steps(timed)

        def done(f: Any) -> None:
            error = f.exception()
            if error is not None and not isinstance(error, UserError):  # a bug: its traceback goes to the log
                logging.getLogger(__name__).error("computing %s failed", key, exc_info=error)
            message = None if error is None else (str(error) if isinstance(error, UserError)
                                                  else f"{type(error).__name__}: {error}")
            self._push(Computed(key, None if error else f.result(), message, took[0]))

        future.add_done_callback(done)

    def shutdown(self, timeout_ms: int | None = 5000) -> bool:
        """Stop the run and wait for the thread (``timeout_ms`` None: however long it takes),
        so no QThread is destroyed while running. Returns whether the thread has ended."""
        self.control.stop()
        ended = self._thread.wait() if timeout_ms is None else self._thread.wait(timeout_ms)
        self._events.flush()
        return ended

    @Slot()
    def _on_thread_finished(self) -> None:
        gui_thread_gc.release()
        self.ended.emit()

    # ---------------------------------------------------------------- delivery
    def _push(self, item: Any) -> None:
        """Called from the training thread (or from a done-callback)."""
        self._events.push(item)

    @Slot(list)
    def _deliver(self, items: list[Any]) -> None:
        batch: list[Report] = []
        for item in items:
            if isinstance(item, Report):
                batch.append(item)
                continue
            if batch:
                self.reports.emit(batch)
                batch = []
            self._dispatch(item)
        if batch:
            self.reports.emit(batch)

    def _dispatch(self, item: Any) -> None:
        if isinstance(item, RunInfo):
            self.info = item
            self.started.emit(item)
        elif isinstance(item, Computed):
            self.computed.emit(item)
        elif isinstance(item, _Finished):
            self.result, self.final_state = item.result, item.state
            self.finished.emit(item.result)
        elif isinstance(item, _Failure):
            self.failed.emit(item.message)
