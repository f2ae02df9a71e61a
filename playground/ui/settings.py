"""Where the app keeps its settings and its crash-recovery file.

Tests and portable installs point ``PLAYGROUND_SETTINGS_DIR`` at a folder; then settings live
in an INI file there and the recovery file beside it, and the user's real settings are never
touched. Otherwise the platform's usual places are used.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths

SETTINGS_ENV = "PLAYGROUND_SETTINGS_DIR"
ORGANIZATION = "nn-playground"
APPLICATION = "Neural Network Playground"


def _override() -> Path | None:
    value = os.environ.get(SETTINGS_ENV)
    return Path(value).expanduser() if value else None


def app_settings() -> QSettings:
    """The settings store: an INI file in the override folder, else the platform default."""
    folder = _override()
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        return QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    return QSettings(ORGANIZATION, APPLICATION)


def data_dir() -> Path:
    """A writable folder for app data (the windows' recovery files, ``recovery.py``), created
    on demand."""
    folder = _override()
    if folder is None:
        location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
        folder = Path(location) if location else Path.home() / ".nn-playground"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


LAST_FOLDER_KEY = "files/lastFolder"


def documents_dir() -> Path:
    """The user's documents folder (the home folder where the platform names none)."""
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    folder = Path(location) if location else Path.home()
    return folder if folder.is_dir() else Path.home()


def app_folders() -> tuple[Path, ...]:
    """The app's own files (the package with its shipped resources, a resources folder named by
    ``PLAYGROUND_RESOURCES``, the folder holding the package: a checkout, or site-packages when
    installed): a file dialog that starts there invites saving work into the app itself."""
    import playground
    from playground.core.datasets import resources_dir

    package = Path(playground.__file__).resolve().parent
    return package, resources_dir().resolve(), package.parent


def inside_app(path: Path) -> bool:
    """Whether ``path`` is one of the app's own folders or inside the package or resources
    (the checkout's root counts, its other sub-folders do not)."""
    resolved = path.expanduser().resolve()
    package, resources, root = app_folders()
    return resolved == root or resolved.is_relative_to(package) or resolved.is_relative_to(resources)


def start_folder(settings: QSettings) -> Path:
    """Where a file dialog starts: the last folder a file was opened from or saved to, else
    the documents folder; never the folder the app was launched from (scripts/run.sh runs it
    in the source tree)."""
    last = settings.value(LAST_FOLDER_KEY)
    if isinstance(last, str) and last:
        folder = Path(last)
        if folder.is_dir() and not inside_app(folder):
            return folder
    return documents_dir()


def remember_folder(settings: QSettings, path: str | Path) -> None:
    """Remember the folder of ``path`` (a file, or a folder itself) for the next dialog; the
    app's own folders (an example opened from the package) are not remembered."""
    target = Path(path).expanduser()
    folder = target if target.is_dir() else target.parent
    if folder.is_dir() and not inside_app(folder):
        settings.setValue(LAST_FOLDER_KEY, str(folder.resolve()))
