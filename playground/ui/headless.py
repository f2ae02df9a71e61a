"""Answers for the window's questions when nobody is there to answer them (``--screenshot``).

A modal dialog in a headless run waits forever for a click that never comes. These prompts
never show one: errors are kept for the caller to print on stderr (and exit non-zero),
questions get the answer that changes nothing, and file choosers choose nothing.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from playground.ui.main_window import Prompts


class HeadlessPrompts(Prompts):
    """Prompts that record errors instead of showing them and never block."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def ask_save_changes(self, parent: QWidget, name: str) -> str:
        return "cancel"

    def ask_restore(self, parent: QWidget, description: str) -> bool:
        return False

    def show_error(self, parent: QWidget, title: str, message: str) -> None:
        self.errors.append(f"{title}: {message}")

    def open_path(self, parent: QWidget, title: str, directory: str) -> str | None:
        return None

    def save_path(self, parent: QWidget, title: str, directory: str) -> str | None:
        return None

    def export_path(self, parent: QWidget, title: str, start: str, name_filter: str) -> str | None:
        return None

    def choose_path(self, parent: QWidget, title: str, name_filter: str, folder: bool,
                    directory: str = "") -> str | None:
        return None
