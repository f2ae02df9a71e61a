"""Loads datasets on one worker thread so a slow import (MNIST, a big image folder) never
freezes the window.

The worker only calls ``load_dataset`` (core) and hands the result back as a queued signal;
only the newest request's answer is delivered, so quickly flipping through datasets shows
the last one picked. ``shutdown`` waits for the worker: no thread outlives the window.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from playground.core.datasets import DataError, LoadContext, load_dataset


class DatasetLoader(QObject):
    """One-thread loader; ``loaded``/``failed`` carry the request token and a plain result.
    ``held``: requests wait (the newest only) until ``release``."""

    loaded = Signal(int, object)
    failed = Signal(int, str)
    busyChanged = Signal(bool)
    _finished = Signal(int, object)

    def __init__(self, parent: QObject | None = None, *, held: bool = False) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dataset-loader")
        self._latest = 0
        self._pending = 0
        #: while held, the newest request waits here (token, spec, context) for ``release``
        self._held = held
        self._waiting: tuple[int, dict[str, Any], LoadContext] | None = None
        # Always queued: a cached dataset finishes before ``request`` has returned its token, and
        # the answer must still arrive after the caller knows which token to expect.
        self._finished.connect(self._on_finished, Qt.ConnectionType.QueuedConnection)

    @property
    def busy(self) -> bool:
        return self._pending > 0

    def request(self, spec: Mapping[str, Any], ctx: LoadContext) -> int:
        """Start loading ``spec``; returns the token its answer will carry."""
        self._latest += 1
        token = self._latest
        if self._held:
            if self._waiting is None:
                self._begin()
            self._waiting = (token, dict(spec), ctx)
            return token
        self._begin()
        self._submit(token, dict(spec), ctx)
        return token

    def release(self) -> None:
        """Start the request made while held (the window has painted: loading a dataset imports
        PyTorch, which would compete with the first paint for the GIL)."""
        self._held = False
        if self._waiting is not None:
            waiting, self._waiting = self._waiting, None
            self._submit(*waiting)

    def _begin(self) -> None:
        self._pending += 1
        if self._pending == 1:
            self.busyChanged.emit(True)

    def _submit(self, token: int, spec: dict[str, Any], ctx: LoadContext) -> None:
        future = self._pool.submit(load_dataset, spec, ctx)
        future.add_done_callback(lambda f, t=token: self._finished.emit(t, f))

    @Slot(int, object)
    def _on_finished(self, token: int, future: Future) -> None:
        self._pending -= 1
        if self._pending == 0:
            self.busyChanged.emit(False)
        if token != self._latest or future.cancelled():
            return
        exc = future.exception()
        if exc is None:
            self.loaded.emit(token, future.result())
        elif isinstance(exc, DataError):
            self.failed.emit(token, str(exc))
        else:
            self.failed.emit(token, f"the dataset could not be loaded: {type(exc).__name__}: {exc}")

    def shutdown(self) -> None:
        """Drop queued requests and wait for the running one, so no thread is left behind."""
        self._pool.shutdown(wait=True, cancel_futures=True)
