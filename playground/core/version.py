"""The app's version, as ``playground --version`` and Help > About report it (what a bug report needs)."""

from __future__ import annotations

import importlib.metadata

import playground

#: The name the package is installed under (pip, pipx, PyPI).
DISTRIBUTION = "nn-playground"


def app_version() -> str:
    """The installed distribution's version; the package's own ``__version__`` (the one
    pyproject.toml reads) when it runs from a bare checkout with no install metadata;
    "unknown" when neither says."""
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return str(getattr(playground, "__version__", "") or "unknown")
