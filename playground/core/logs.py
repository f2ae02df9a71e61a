"""The app's log: a rotating file in the user log folder, and with ``--verbose`` stderr too.

Unexpected errors reach a person as one paragraph; the full traceback goes here, so a bug
report can carry it (the message names this file). Modules log through
``logging.getLogger(__name__)``, all children of the ``playground`` logger configured here.
Logging never stops the app: when the log folder cannot be written, it goes on without a file.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
import threading
from pathlib import Path
from types import TracebackType

from playground.core import user_dirs

ROOT = "playground"
#: The log file rotates at this size, keeping this many old files (playground.log.1 ...).
MAX_BYTES = 1_000_000
BACKUPS = 3
FILE_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s]: %(message)s"
STDERR_FORMAT = "%(levelname)s %(name)s: %(message)s"

log = logging.getLogger(__name__)

# Marks the handlers (and hooks) this module installed, so a second call replaces them instead of adding more.
_OWN = "_playground_handler"


def setup_logging(verbose: bool = False) -> Path:
    """Configure the ``playground`` logger and return the log file's path.

    INFO and up go to the file (DEBUG with ``verbose``); ``verbose`` also prints DEBUG lines on
    stderr. Idempotent: calling again replaces this module's handlers (so ``verbose`` can be
    switched), never adds a second one. The path is returned even when the file could not be
    opened, so a message can still say where the log would be.
    """
    logger = logging.getLogger(ROOT)
    for handler in [h for h in logger.handlers if getattr(h, _OWN, False)]:
        logger.removeHandler(handler)
        handler.close()
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    path = Path("playground.log")
    try:
        path = user_dirs.log_file()
        file_handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", errors="backslashreplace"
        )
        file_handler.setFormatter(logging.Formatter(FILE_FORMAT))
        _add(logger, file_handler)
    except OSError as exc:
        # Also covers a log folder that cannot be created: the app works without its log.
        print(f"note: cannot write the log file {path} ({exc.strerror or exc}); going on without it",
              file=sys.stderr)
    if verbose:
        stderr_handler = logging.StreamHandler(sys.stderr)
        stderr_handler.setFormatter(logging.Formatter(STDERR_FORMAT))
        _add(logger, stderr_handler)
    return path


def _add(logger: logging.Logger, handler: logging.Handler) -> None:
    setattr(handler, _OWN, True)
    logger.addHandler(handler)


def install_excepthooks() -> None:
    """Log every exception nobody caught, on any thread, with its traceback, then hand it on to
    the hooks that were in place (which print it as before).

    In the GUI an exception in a slot or a worker thread ends up here instead of in a
    terminal nobody watches. Installing twice changes nothing.
    """
    if getattr(sys.excepthook, _OWN, False):
        return
    previous, previous_thread = sys.excepthook, threading.excepthook

    def on_error(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if not issubclass(kind, KeyboardInterrupt):
            log.critical("uncaught exception", exc_info=(kind, value, tb))
        previous(kind, value, tb)

    def on_thread_error(args: threading.ExceptHookArgs) -> None:
        if not issubclass(args.exc_type, SystemExit):
            name = args.thread.name if args.thread is not None else "?"
            log.critical("uncaught exception in thread %s", name,
                         exc_info=(args.exc_type, args.exc_value, args.exc_traceback))
        previous_thread(args)

    setattr(on_error, _OWN, True)
    sys.excepthook = on_error
    threading.excepthook = on_thread_error
