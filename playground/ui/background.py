"""Reading a file off the GUI thread while the caller waits for the answer.

Opening a project or a weights file is bounded (sizes and counts are limited) but can still
take a noticeable moment on a large file or a slow disk; done on the GUI thread, the window
stops painting and the desktop calls it "not responding". Here the work runs on a worker
thread while a nested event loop keeps painting; user input waits until the work is done (so
a second Open cannot start halfway through the first), and after a short delay a busy dialog
says what is happening.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QProgressDialog, QWidget

T = TypeVar("T")

#: Work shorter than this shows no dialog (a flash of one would be worse than none).
BUSY_DIALOG_DELAY_MS = 400


class _Finished(QObject):
    done = Signal()


def run_off_gui_thread(parent: QWidget | None, label: str, work: Callable[[], T]) -> T:
    """Return ``work()``, computed on a worker thread; its exception is raised here."""
    outcome: list[tuple[bool, object]] = []
    finished = _Finished()
    loop = QEventLoop()
    finished.done.connect(loop.quit, Qt.ConnectionType.QueuedConnection)

    def body() -> None:
        try:
            outcome.append((True, work()))
        except BaseException as exc:  # handed to the caller's thread
            outcome.append((False, exc))
        finally:
            finished.done.emit()

    dialog = QProgressDialog(label, "", 0, 0, parent)
    dialog.setCancelButton(None)
    dialog.setWindowTitle("Please wait")
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(0)
    dialog.reset()
    timer = QTimer(singleShot=True, interval=BUSY_DIALOG_DELAY_MS)
    timer.timeout.connect(dialog.show)
    QApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)
    thread = threading.Thread(target=body, name="playground-open", daemon=True)
    try:
        timer.start()
        thread.start()
        loop.exec(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
        thread.join()
    finally:
        timer.stop()
        dialog.close()
        dialog.deleteLater()
        QApplication.restoreOverrideCursor()
    ok, value = outcome[0]
    if not ok:
        raise value  # type: ignore[misc]
    return value  # type: ignore[return-value]
