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
    """A writable folder for app data (the recovery file), created on demand."""
    folder = _override()
    if folder is None:
        location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
        folder = Path(location) if location else Path.home() / ".nn-playground"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
