"""Text the window shows renders on a plain Linux desktop: no emoji (an empty box where no
emoji font is installed), every other symbol in DejaVu Sans, the font such desktops have."""

from __future__ import annotations

import io
import tokenize
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtGui import QFont, QFontDatabase, QRawFont

import playground
from playground.ui.main_window import MainWindow

Factory = Callable[..., MainWindow]
PACKAGE = Path(playground.__file__).resolve().parent


def shown_characters() -> dict[str, str]:
    """Each non-ASCII character in the package's string literals -> a file using it."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.STRING or token.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
                for ch in token.string:
                    if ord(ch) > 127:
                        found.setdefault(ch, path.relative_to(PACKAGE).as_posix())
    return found


def test_the_lock_note_is_a_painted_padlock_and_words(make_window: Factory) -> None:
    window = make_window()
    assert not window.lock_indicator.isVisible()
    window._set_locked(True)
    assert window.lock_indicator.isVisible()
    assert "locked" in window.lock_label.text()
    assert all(ord(ch) < 0x2000 for ch in window.lock_label.text()), "no symbol that needs an emoji font"
    pixmap = window.lock_icon.pixmap()
    assert not pixmap.isNull()
    assert pixmap.toImage().pixelColor(pixmap.width() // 2, pixmap.height() * 3 // 4).alpha() > 0, "drawn"
    window._set_locked(False)
    assert not window.lock_indicator.isVisible()


def test_every_symbol_shown_is_in_dejavu_sans(qapp: object) -> None:
    if "DejaVu Sans" not in QFontDatabase.families():
        pytest.skip("DejaVu Sans is not installed")
    font = QFont("DejaVu Sans")
    font.setPixelSize(12)
    raw = QRawFont.fromFont(font)
    missing = {ch: where for ch, where in shown_characters().items() if not raw.supportsCharacter(ord(ch))}
    assert not missing, f"characters no common desktop font has: {missing}"
    assert "✔" in shown_characters(), "the scan reads string literals"
