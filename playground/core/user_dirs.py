"""The user's folders for the app: downloaded datasets (cache), runs (data), the log file.

Found with ``platformdirs``, so each platform's convention holds (``XDG_CACHE_HOME`` and
``XDG_DATA_HOME`` on Linux, ``~/Library/...`` on macOS, ``%LOCALAPPDATA%`` on Windows).
``PLAYGROUND_HOME`` puts every folder under one directory instead (tests, portable installs);
``PLAYGROUND_DATA_DIR`` still names the dataset cache alone, as before. Only these settings,
never a project file, choose where the app writes (a project is a file a person was handed).
Folders are created on demand.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import platformdirs

APP_NAME = "nn-playground"
HOME_ENV = "PLAYGROUND_HOME"
DATASETS_ENV = "PLAYGROUND_DATA_DIR"

Kind = Literal["cache", "data", "log"]


def user_folder(kind: Kind) -> Path:
    """The app's folder of this kind, created if missing."""
    home = os.environ.get(HOME_ENV)
    if home:
        folder = Path(home).expanduser() / kind
    elif kind == "cache":
        folder = platformdirs.user_cache_path(APP_NAME, appauthor=False)
    elif kind == "data":
        folder = platformdirs.user_data_path(APP_NAME, appauthor=False)
    else:
        folder = platformdirs.user_log_path(APP_NAME, appauthor=False)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def datasets_dir() -> Path:
    """Where downloadable datasets are kept: ``PLAYGROUND_DATA_DIR``, else the user cache."""
    override = os.environ.get(DATASETS_ENV)
    if override:
        folder = Path(override).expanduser()
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return user_folder("cache")


def runs_dir() -> Path:
    """Where runs trained in the window are kept (one run folder each, as ``train`` writes)."""
    folder = user_folder("data") / "runs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def log_file() -> Path:
    """The app's log file."""
    return user_folder("log") / "playground.log"
