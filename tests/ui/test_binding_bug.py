"""Guard for the PySide6 6.12.0 / CPython 3.11 bug that pyproject.toml's pin avoids: that
release drops a reference to ``None`` on every void call (``update()``, ``setPos()``…), and
after a few thousand calls the interpreter aborts ("deallocating None")."""

from __future__ import annotations

from PySide6.QtWidgets import QGraphicsRectItem


def test_many_void_calls_do_not_exhaust_none(qapp) -> None:  # noqa: ANN001
    item = QGraphicsRectItem()
    for _ in range(100_000):
        item.update()
