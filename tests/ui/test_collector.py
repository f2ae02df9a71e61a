"""Garbage collection runs from the GUI thread's event loop, never inside a paint or on a
worker thread, and runs freeze what exists so that collections stay short while training."""

from __future__ import annotations

import gc
import weakref

from pytestqt.qtbot import QtBot

from playground.ui.collector import gui_thread_gc


class _Cyclic:
    def __init__(self) -> None:
        self.me = self


def test_cyclic_garbage_is_collected_by_the_event_loop_not_by_allocations(qtbot: QtBot) -> None:
    assert not gc.isenabled(), "automatic collection would run inside paints and on worker threads"
    gc.collect()
    probe = _Cyclic()
    ref = weakref.ref(probe)
    del probe
    garbage = [_Cyclic() for _ in range(5 * gc.get_threshold()[0])]
    del garbage
    assert ref() is not None, "allocations alone collect nothing"
    qtbot.waitUntil(lambda: ref() is None, timeout=3000)


def test_a_run_freezes_what_exists_and_its_end_unfreezes() -> None:
    gui_thread_gc.acquire()
    try:
        assert gc.get_freeze_count() > 0
    finally:
        gui_thread_gc.release()
    assert gc.get_freeze_count() == 0
