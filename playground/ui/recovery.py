"""Autosave and crash recovery: one recovery file per window.

A window with unsaved changes keeps them in its own file, ``recovery/<id>.json`` in the app's
data folder (``settings.data_dir()``), next to a lock file ``<id>.lock`` that the window holds
locked for as long as it lives. The lock is the operating system's: it is let go when the
process ends, however it ends (``kill -9`` included), and a process id that the system has
handed to another program cannot fake it. At start a window offers only the files whose lock
nobody holds, that is, files whose writer is gone. A running window's file is never offered
to another window or deleted by one, in the same process or in another.

The record keeps the format ``nn-playground-recovery/1`` (``path``, ``time``, ``project``),
with fields added that older readers ignore: ``window`` (the id), ``pid`` and ``started``
(the writer's process and when its window opened; for people reading the file). The one
``recovery.json`` of earlier versions is offered once, as a file whose writer is gone.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playground.core.project import Project, ProjectError, dumps, parse_project, write_atomic
from playground.ui.settings import data_dir

RECOVERY_FORMAT = "nn-playground-recovery/1"
RECOVERY_FOLDER = "recovery"
#: The single recovery file of earlier versions, shared by every window.
LEGACY_FILE = "recovery.json"

#: Ids of the recovery files that windows of this process own. A second open file handle in
#: the same process is refused by the OS lock on local disks, but network file systems may
#: emulate it with per-process locks; this set keeps this process' own windows apart there.
_OWNED: set[str] = set()

try:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True
except ImportError:  # Windows
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True


def recovery_folder() -> Path:
    """Where the windows' recovery files are, created on demand."""
    folder = data_dir() / RECOVERY_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class _Lock:
    """An exclusive lock on a lock file, held until ``release`` or the end of the process."""

    def __init__(self, fd: int, path: Path) -> None:
        self.fd = fd
        self.path = path

    @classmethod
    def take(cls, path: Path) -> _Lock | None:
        """The lock on ``path`` (created if missing), or None while someone else holds it.
        A lock file that was removed and made anew while we waited for it is not the one
        that guards the record, so that counts as held too."""
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return None
        try:
            same = _try_lock(fd) and os.path.samestat(os.fstat(fd), os.stat(path))
        except OSError:
            same = False
        if not same:
            os.close(fd)
            return None
        return cls(fd, path)

    def release(self, *, remove: bool) -> None:
        """Let the lock go; with ``remove``, delete the lock file first (while still held, so
        nobody locks a file that is about to vanish without noticing)."""
        if remove:
            # Windows deletes no open file: an empty lock file stays there, harmless
            with contextlib.suppress(OSError):
                self.path.unlink(missing_ok=True)
        os.close(self.fd)


class RecoveryFile:
    """The recovery file of one window: written on autosave, removed when the work is saved,
    undone or the window closes cleanly. The lock is taken at the first write."""

    def __init__(self, folder: Path | None = None) -> None:
        self.id = uuid.uuid4().hex
        self.started = time.time()
        self._folder = folder
        self._lock: _Lock | None = None

    @property
    def folder(self) -> Path:
        return self._folder or recovery_folder()

    @property
    def path(self) -> Path:
        return self.folder / f"{self.id}.json"

    def write(self, project: Project) -> None:
        """Write ``project`` to this window's file, atomically (``OSError`` when the disk refuses)."""
        if self._lock is None:
            self._lock = _Lock.take(self.path.with_suffix(".lock"))
            if self._lock is None:
                raise OSError(f"cannot lock {self.path.with_suffix('.lock')}")
            _OWNED.add(self.id)
        record = {"format": RECOVERY_FORMAT, "path": str(project.path) if project.path else None,
                  "time": time.time(), "project": json.loads(dumps(project)),
                  "window": self.id, "pid": os.getpid(), "started": self.started}
        write_atomic(self.path, json.dumps(record).encode("utf-8"))

    def discard(self) -> None:
        """Remove this window's record (nothing is unsaved any more); the lock stays held."""
        self.path.unlink(missing_ok=True)

    def close(self) -> None:
        """The window closes cleanly: remove the record and the lock file and let the lock go."""
        self.discard()
        if self._lock is not None:
            self._lock.release(remove=True)
            self._lock = None
        _OWNED.discard(self.id)


@dataclass
class Orphan:
    """Unsaved work whose window is gone, locked by us while it is offered."""

    path: Path
    project: Project
    source: str | None
    time: float
    lock: _Lock | None = field(default=None, repr=False)

    def describe(self) -> str:
        """'“Spiral” (/home/me/spiral.json), autosaved 2026-03-01 14:05' as the question shows it."""
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.time))
        where = f" ({self.source})" if self.source else " (never saved)"
        return f"“{self.project.name}”{where}, autosaved {when}"

    def discard(self) -> None:
        """The work was declined or taken over: remove its file (only this one)."""
        _remove(self.path, self.lock)
        self.lock = None

    def keep(self) -> None:
        """Leave the file for the next start, and let go of its lock."""
        if self.lock is not None:
            self.lock.release(remove=False)
            self.lock = None


def _remove(path: Path, lock: _Lock | None) -> None:
    path.unlink(missing_ok=True)
    if lock is not None:
        lock.release(remove=True)


def _read(path: Path, lock: _Lock | None) -> Orphan | None:
    """The orphan recorded in ``path``, or None (and the file removed) when it cannot be read:
    a damaged record is of no use to anyone, and it would be offered again at every start."""
    try:
        record: Any = json.loads(path.read_text(encoding="utf-8"))
        project = parse_project(record["project"], "recovered project")
        source = record.get("path")
        if source is not None and not isinstance(source, str):
            raise TypeError("path")
        when = float(record.get("time", 0))
        time.localtime(when)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, OverflowError, ProjectError):
        _remove(path, lock)
        return None
    project.path = Path(source) if source else None
    return Orphan(path, project, source, when, lock)


def find_orphans(folder: Path | None = None) -> list[Orphan]:
    """Unsaved work of windows that are gone, newest first, each locked until ``discard``
    or ``keep``. Files of running windows (their lock is held) are left alone."""
    folder = folder or recovery_folder()
    found: list[Orphan] = []
    for path in sorted(folder.glob("*.json")):
        if path.stem in _OWNED:
            continue
        lock = _Lock.take(path.with_suffix(".lock"))
        if lock is None:
            continue
        if not path.exists():  # its window closed cleanly while we looked
            lock.release(remove=False)
            continue
        orphan = _read(path, lock)
        if orphan is not None:
            found.append(orphan)
    legacy = folder.parent / LEGACY_FILE
    if legacy.exists():
        orphan = _read(legacy, None)
        if orphan is not None:
            found.append(orphan)
    found.sort(key=lambda o: o.time, reverse=True)
    return found
