"""Child process of the crash-recovery test: the real ``playground`` entry point with a short
autosave delay and one scripted edit once the window shows (standing in for a person's click).
The test kills it with SIGKILL after the recovery file appears."""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer

from playground.cli import main
from playground.ui import main_window

main_window.AUTOSAVE_DELAY_MS = 200
_show = main_window.MainWindow.show


def _show_then_edit(self: main_window.MainWindow) -> None:
    _show(self)
    QTimer.singleShot(300, lambda: self.controller.set_param("h1", "units", 99))


main_window.MainWindow.show = _show_then_edit  # type: ignore[method-assign]
sys.exit(main(sys.argv[1:]))
