"""Python's cyclic garbage collection, run only from the GUI thread's event loop.

Left automatic, the collector runs whenever an allocation crosses a threshold: on the training
or export thread, or in the middle of a paint event. Either way it may free Qt objects caught in
reference cycles at the wrong moment: a widget destroyed on a worker thread crashes the process,
and a closed window destroyed while another widget paints frees the backing-store image that
painter draws on ("pure virtual method called" in ``QPaintEngine::drawImage``, found with
valgrind). pyqtgraph ships a ``GarbageCollector`` helper for the same reason. So automatic
collection is off and a timer on the GUI thread collects, between events, what it would have.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QTimer

#: Milliseconds between two checks of the collection thresholds.
INTERVAL_MS = 250


class GuiThreadCollector:
    """``install()`` once the QApplication exists (``create_application`` does). While a
    training or export run is active (``acquire``/``release``, counted), what exists at its
    start and what survives a collection is frozen, so each collection only walks what was made
    since the last one: modules a run imports lazily (torch brings in 127,000 objects) otherwise
    sit in the older generations until a collection walks them all, stalling the window, and
    training, for 90-100 ms. Frozen objects that turn into cyclic garbage are collected after
    the run."""

    def __init__(self) -> None:
        self._runs = 0
        self._timer: QTimer | None = None

    def install(self) -> None:
        """Turn automatic collection off and collect from the event loop instead (idempotent)."""
        if self._timer is not None:
            return
        gc.disable()
        self._timer = QTimer(QCoreApplication.instance())
        self._timer.timeout.connect(self.collect)
        self._timer.start(INTERVAL_MS)

    def collect(self) -> None:
        """Collect the generations whose thresholds are exceeded, as automatic GC would."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        generation = -1
        for level in range(3):
            if counts[level] > thresholds[level]:
                generation = level
        if generation >= 0:
            gc.collect(generation)
            if self._runs:
                gc.freeze()

    def acquire(self) -> None:
        """A run starts (on the GUI thread)."""
        self.install()
        self._runs += 1
        if self._runs == 1:
            gc.freeze()

    def release(self) -> None:
        """A run ended (on the GUI thread)."""
        self._runs -= 1
        if self._runs == 0:
            gc.unfreeze()


gui_thread_gc = GuiThreadCollector()
