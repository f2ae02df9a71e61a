"""Application bootstrap: QApplication, Fusion style and theme, the main window, and the
``--screenshot`` mode that renders the window offscreen for docs and checks.

Nothing imported here imports torch: the app's window is on screen and its editor usable
before PyTorch has loaded, on a background thread (``loading.py``). The log says when each
was ready ("window painted", "editor ready", "training ready"). ``--screenshot`` waits for
everything, as a script would.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTimer
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QApplication

from playground.core.logs import install_excepthooks
from playground.core.project import load_project
from playground.ui.collector import gui_thread_gc
from playground.ui.editor.icons import app_icon
from playground.ui.headless import HeadlessPrompts
from playground.ui.loading import process_age, training_import
from playground.ui.main_window import MainWindow
from playground.ui.recovery import recovery_folder
from playground.ui.settings import APPLICATION, ORGANIZATION, app_settings
from playground.ui.theme import APPEARANCES, ThemeManager
from playground.ui.wheel_guard import install_wheel_guard

log = logging.getLogger(__name__)

SCREENSHOT_SIZE = (1440, 900)
#: Sans-serif faces tried, in order, where the platform gives no desktop font (offscreen).
FALLBACK_FAMILIES = ("Inter", "Cantarell", "Noto Sans", "DejaVu Sans", "Liberation Sans", "Arial")


def create_application() -> QApplication:
    """The QApplication with name, Fusion style, a readable font, and the wheel guard (the
    mouse wheel scrolls panels instead of changing the setting under the pointer)."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication([sys.argv[0] if sys.argv else "playground"])
    app.setApplicationName(APPLICATION)
    app.setOrganizationName(ORGANIZATION)
    install_wheel_guard(app, "Fusion")
    app.setWindowIcon(app_icon())
    gui_thread_gc.install()
    if QGuiApplication.platformName() in ("offscreen", "minimal"):
        # Headless platforms have no desktop font settings and fall back to a serif face.
        families = set(QFontDatabase.families())
        family = next((f for f in FALLBACK_FAMILIES if f in families), None)
        if family is not None:
            font = QFont(family)
            font.setPointSizeF(9.0)
            app.setFont(font)
    return app


def create_theme(app: QApplication, override: str | None = None) -> ThemeManager:
    """The theme from ``override`` (the --theme flag) or the saved choice, defaulting to the system."""
    saved = app_settings().value("appearance", "system")
    choice = override or (saved if saved in APPEARANCES else "system")
    return ThemeManager(app, choice)


def settle(window: MainWindow, timeout_s: float = 30.0) -> None:
    """Show ``window`` at 1440x900 and wait until its dataset has loaded (or failed to)."""
    app = QApplication.instance()
    window.resize(*SCREENSHOT_SIZE)
    window.show()
    deadline = time.monotonic() + timeout_s
    while window.document.loader.busy and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    app.processEvents()


def save_screenshot(window: MainWindow, path: Path, timeout_s: float = 30.0) -> None:
    """Render ``window`` at 1440x900 once its dataset preview has loaded, and save a PNG."""
    app = QApplication.instance()
    settle(window, timeout_s)
    window.view.fit_to_view()
    app.processEvents()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(path)):
        raise OSError(f"could not write {path}")


def run_app(args: argparse.Namespace) -> int:
    """Entry point of ``playground [PROJECT.json]`` and ``playground --screenshot FILE.png``.

    ``main()`` has set up the log; errors raised in slots and threads are logged from here on."""
    install_excepthooks()
    app = create_application()
    theme = create_theme(app, args.theme)
    if args.screenshot:
        return _screenshot(theme, args)
    background = training_import()
    window = MainWindow(theme, background=background)
    if args.project and not any(recovery_folder().glob("*.json")):
        # before the first paint: the canvas never shows (and nobody edits) another project first
        window.open_path(args.project)
        window.show()
    else:  # unsaved work may be offered: the window shows first, to ask over it
        window.show()
        if not window.offer_recovery() and args.project:
            window.open_path(args.project)
    if window.painted:  # it showed to ask about unsaved work: ready once the event loop runs
        QTimer.singleShot(0, lambda: _log_editor_ready(window))
    else:  # painted from the event loop, with the project on the canvas
        window.firstPainted.connect(lambda: _log_editor_ready(window), Qt.ConnectionType.SingleShotConnection)
    status = app.exec()
    if window.training_ready:
        window.training.shutdown(timeout_ms=None)  # no training thread may outlive the process
    window.shutdown()
    dispose(window)
    background.close()
    return status


def _log_editor_ready(window: MainWindow) -> None:
    """The project asked for is on the canvas, on screen, and the event loop takes input: the
    editor is usable."""
    age = process_age()
    log.info("editor ready: %d nodes on the canvas%s", len(window.scene.nodes),
             f", {age:.2f} s after the process started" if age is not None else "")


def dispose(window: MainWindow) -> None:
    """Delete the window's widgets now, while Python is whole. Left to PySide's clean-up at
    interpreter exit, pyqtgraph items being destroyed there called back into Python overrides
    that no longer worked (a segmentation fault at exit, about one run in four)."""
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)


def _screenshot(theme: ThemeManager, args: argparse.Namespace) -> int:
    """``--screenshot``: nobody is there to answer a dialog, so what would have been one (the
    data file is missing, the network cannot train) goes to stderr, with exit status 1 and
    no picture of the failure."""
    project = load_project(args.project) if args.project else None
    prompts = HeadlessPrompts()
    window = MainWindow(theme, project, persist=False, prompts=prompts)
    try:
        settle(window)
        if window.document.dataset_error:
            prompts.errors.append(f"dataset: {window.document.dataset_error}")
        elif args.train_steps:
            window.training.train_steps(args.train_steps)
            window.training.show_all_views()
        if not prompts.errors:
            save_screenshot(window, Path(args.screenshot))
    finally:
        window.shutdown()
        dispose(window)
    if prompts.errors:
        print("error: " + "\n".join(prompts.errors), file=sys.stderr)
        return 1
    print(f"wrote {args.screenshot}")
    return 0
