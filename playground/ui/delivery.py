"""Events from a worker thread, handed to the GUI thread in rate-limited batches.

A worker (the trainer's thread, a comparison's) can produce events far faster than a window
can use them. ``ThrottledQueue.push`` appends to a locked list from any thread and keeps at
most one queued signal in flight; on the GUI thread the list is drained at most once per
``interval`` (a timer waits out the rest), and ``delivered`` hands over everything that came,
in order (STYLE.md: throttle where the data is produced).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot


class ThrottledQueue(QObject):
    """``push(item)`` from any thread; ``delivered(list)`` on the GUI thread, at most once per
    ``interval`` seconds; ``flush()`` delivers what is queued at once."""

    delivered = Signal(list)
    _pending = Signal()

    def __init__(self, interval: float, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.interval = interval
        self._lock = threading.Lock()
        self._queue: list[Any] = []
        self._signalled = False
        self._last_delivery = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.flush)
        self._pending.connect(self._on_pending)

    def push(self, item: Any) -> None:
        """Queue ``item``; the first item since the last delivery signals the GUI thread."""
        with self._lock:
            self._queue.append(item)
            if self._signalled:
                return
            self._signalled = True
        self._pending.emit()

    @Slot()
    def _on_pending(self) -> None:
        wait = self._last_delivery + self.interval - time.monotonic()
        if wait > 0:
            if not self._timer.isActive():
                self._timer.start(max(1, int(wait * 1000)))
            return
        self.flush()

    @Slot()
    def flush(self) -> None:
        """Deliver everything queued now (GUI thread)."""
        with self._lock:
            items, self._queue = self._queue, []
            self._signalled = False
        self._last_delivery = time.monotonic()
        if items:
            self.delivered.emit(items)
