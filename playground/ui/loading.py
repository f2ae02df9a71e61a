"""PyTorch and everything built on it (the trainer, the live views, the exporters) load on a
background thread while the editor is already on screen.

Importing torch takes 1.5 to 3 s on a desktop machine and 5 to 15 s on a loaded one: longer
than the whole rest of the window. The editor's side of the app (the graph, the layer
catalogue, shape inference, projects, the dataset registry) imports no torch, so the main
window shows the canvas at once and adds its training workspace when this import is done
(DESIGN.md: the window paints before heavy imports finish).

Importing on a non-main thread is safe for these modules (they create no Qt objects at import
and register no signal handlers); Python's import lock makes another thread that imports one
of them meanwhile (the dataset loader, which needs torch for its tensors) wait for the same
import instead of doing it twice. The import holds the GIL most of the time, in bursts of a
few milliseconds (the GUI thread gets its turn every ``sys.getswitchinterval()``), except while
the dynamic loader maps torch's libraries, which takes 0.3 to 0.5 s in one piece:
``preload_torch_libraries`` does that part without the GIL first, so the window stays
responsive throughout.
"""

from __future__ import annotations

import ctypes
import importlib
import importlib.util
import logging
import os
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)

#: What the main window's training side imports: torch, the trainer, the live views, the
#: exporters, the model builder and the run folders. pyqtgraph first: the dataset preview's
#: scatter plot needs it as soon as a dataset has loaded (which takes torch too).
TRAINING_MODULES = (
    "pyqtgraph",
    "torch",
    "playground.core.build",
    "playground.core.export",
    "playground.ui.training.workspace",
    "playground.ui.training.runs",
    "playground.ui.export_dialog",
)


def preload_torch_libraries() -> bool:
    """Map torch's C++ libraries into the process with the GIL released; True when done.

    ``import torch`` loads its extension module with the GIL held, and the dynamic loader's
    work on libtorch (relocations, static initialisers) then blocks every other Python thread,
    the GUI thread included, for 0.3 to 0.5 s. Called through ctypes, ``dlopen`` runs without
    the GIL; the import that follows finds the libraries loaded. Linux only (elsewhere, and
    wherever the library is not where the wheel puts it, nothing happens).
    """
    if not sys.platform.startswith("linux"):
        return False
    spec = importlib.util.find_spec("torch")
    if spec is None or spec.origin is None:
        return False
    library = Path(spec.origin).parent / "lib" / "libtorch_python.so"
    if not library.is_file():
        return False
    try:
        libc = ctypes.CDLL(None)
        libc.dlopen.restype = ctypes.c_void_p
        libc.dlopen.argtypes = (ctypes.c_char_p, ctypes.c_int)
        handle = libc.dlopen(bytes(library), sys.getdlopenflags())
    except (OSError, AttributeError):
        return False
    return bool(handle)


class BackgroundImport(QObject):
    """Imports ``modules`` on a Python thread once ``start`` is called.

    ``finished`` is emitted on the GUI thread when every module is in, or one failed
    (``error`` then says why).
    """

    finished = Signal()

    def __init__(self, modules: Sequence[str] = TRAINING_MODULES, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.modules = tuple(modules)
        self.error: str | None = None
        #: seconds the import took on its thread (None until it is done)
        self.seconds: float | None = None
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._closed = False

    @property
    def ready(self) -> bool:
        """Whether every module has been imported (an error leaves it False)."""
        return self._done.is_set() and self.error is None

    @property
    def done(self) -> bool:
        """Whether the import has ended, well or not."""
        return self._done.is_set()

    def start(self) -> None:
        """Begin the import unless it has begun; returns at once."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="playground-import", daemon=False)
        self._thread.start()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Start the import if needed and block until it has ended; whether it succeeded.
        (The ``finished`` signal still arrives later, through the event loop.)"""
        self.start()
        self._done.wait(timeout_s)
        return self.ready

    def close(self) -> None:
        """The app is ending: an import still running finishes (it cannot be interrupted) but
        emits nothing any more."""
        with self._lock:
            self._closed = True

    def _run(self) -> None:
        began = time.perf_counter()
        try:
            if "torch" in self.modules and "torch" not in sys.modules:
                preload_torch_libraries()
            for name in self.modules:
                importlib.import_module(name)
        except Exception as exc:  # a broken install: the editor goes on without training
            log.exception("importing the training modules failed")
            self.error = f"{type(exc).__name__}: {exc}"
        self.seconds = time.perf_counter() - began
        self._done.set()
        with self._lock:
            if not self._closed:
                self.finished.emit()


def process_age() -> float | None:
    """Seconds since this process started, for the log's start-up times (Linux, from /proc,
    to 10 ms; None elsewhere)."""
    try:
        stat = Path("/proc/self/stat").read_text()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22, starttime, after the command name
        return max(0.0, uptime - ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return None


_training_import: BackgroundImport | None = None


def training_import() -> BackgroundImport:
    """The process's one import of the training modules (create it on the GUI thread)."""
    global _training_import
    if _training_import is None:
        _training_import = BackgroundImport()
    return _training_import
