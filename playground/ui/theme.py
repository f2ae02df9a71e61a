"""Light and dark appearance: Fusion palettes for the widgets, and the colours of the canvas.

The choice is "system" (follow ``QStyleHints.colorScheme()``, live), "light" or "dark".
Everything that paints by hand (canvas, icons, previews) reads ``ThemeManager.colors`` and
repaints on ``changed``, so one switch restyles the whole window.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

APPEARANCES = ("system", "light", "dark")

#: Header-strip colour of each palette group (same hue in both themes, so a layer type keeps
#: its colour when the appearance changes).
GROUP_COLORS: dict[str, str] = {
    "Input/Output": "#14917f",
    "Core": "#3a78d4",
    "Convolution": "#8a56d6",
    "Recurrent": "#c2417a",
    "Regularisation": "#d9821c",
    "Merge": "#2f9a57",
}


@dataclass(frozen=True)
class CanvasColors:
    """Colours the canvas and hand-painted widgets use."""

    dark: bool
    background: QColor
    grid: QColor
    grid_major: QColor
    card: QColor
    card_border: QColor
    shadow: QColor
    text: QColor
    text_dim: QColor
    accent: QColor
    error: QColor
    ok: QColor
    edge: QColor


LIGHT = CanvasColors(
    dark=False,
    background=QColor("#f4f5f7"),
    grid=QColor("#e7e9ed"),
    grid_major=QColor("#dadde3"),
    card=QColor("#ffffff"),
    card_border=QColor("#cfd4db"),
    shadow=QColor(20, 30, 50, 28),
    text=QColor("#1d2330"),
    text_dim=QColor("#697386"),
    accent=QColor("#2f6fe0"),
    error=QColor("#d93838"),
    ok=QColor("#1f9d55"),
    edge=QColor("#8a93a3"),
)

DARK = CanvasColors(
    dark=True,
    background=QColor("#1c1e22"),
    grid=QColor("#25282d"),
    grid_major=QColor("#2e3238"),
    card=QColor("#2a2d33"),
    card_border=QColor("#3c4047"),
    shadow=QColor(0, 0, 0, 90),
    text=QColor("#e4e7ec"),
    text_dim=QColor("#9aa3b2"),
    accent=QColor("#5b9bff"),
    error=QColor("#ff6b6b"),
    ok=QColor("#4cc38a"),
    edge=QColor("#7d8696"),
)


def group_color(group: str) -> QColor:
    return QColor(GROUP_COLORS.get(group, "#6b7280"))


def make_palette(colors: CanvasColors) -> QPalette:
    """A Fusion palette matching the canvas colours."""
    p = QPalette()
    if colors.dark:
        window, base, alt, text, button = "#25272c", "#1e2024", "#2a2d32", "#e4e7ec", "#2f3238"
        disabled, muted = "#6b7280", "#4a4f58"
    else:
        window, base, alt, text, button = "#eef0f3", "#ffffff", "#f5f6f8", "#1d2330", "#f7f8fa"
        disabled, muted = "#9aa1ad", "#bcc1c9"
    role = QPalette.ColorRole
    p.setColor(role.Window, QColor(window))
    p.setColor(role.WindowText, QColor(text))
    p.setColor(role.Base, QColor(base))
    p.setColor(role.AlternateBase, QColor(alt))
    p.setColor(role.ToolTipBase, QColor(base))
    p.setColor(role.ToolTipText, QColor(text))
    p.setColor(role.PlaceholderText, colors.text_dim)
    p.setColor(role.Text, QColor(text))
    p.setColor(role.Button, QColor(button))
    p.setColor(role.ButtonText, QColor(text))
    p.setColor(role.BrightText, colors.error)
    p.setColor(role.Highlight, colors.accent)
    p.setColor(role.HighlightedText, QColor("#ffffff"))
    p.setColor(role.Link, colors.accent)
    p.setColor(role.Mid, colors.card_border)
    p.setColor(role.Midlight, QColor(alt))
    p.setColor(role.Dark, colors.card_border.darker(130))
    p.setColor(role.Light, QColor(base).lighter(110))
    off = QPalette.ColorGroup.Disabled
    # Dim texts (PlaceholderText) dim with the rest when disabled: otherwise they read brighter
    # than the disabled text around them in a panel locked during training.
    for r in (role.Text, role.WindowText, role.ButtonText, role.PlaceholderText):
        p.setColor(off, r, QColor(disabled))
    # Fusion fills slider grooves, progress bars and check marks with Highlight of the widget's
    # colour group: without a disabled one, a slider locked during training kept its blue fill
    # and looked live. Fusion's own palette greys it, and gives disabled fields the window colour.
    p.setColor(off, role.Highlight, QColor(muted))
    p.setColor(off, role.HighlightedText, QColor(disabled))
    p.setColor(off, role.Base, QColor(window))
    return p


def set_text_color(widget: QWidget, color: QColor | None = None) -> None:
    """Colour ``widget``'s text without a style sheet: a style sheet, even one naming only a
    colour or a ``palette(...)`` role, fixes the widget's whole palette when it is polished, so
    after a theme switch the widget kept the old theme's colours. This sets the one role in the
    widget's palette (``color``), or makes the text dim (``PlaceholderText``) when no colour is
    given; every other role keeps following the application palette."""
    if color is None:
        widget.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        return
    palette = QPalette()
    palette.setColor(widget.foregroundRole(), color)
    widget.setPalette(palette)


class ThemeManager(QObject):
    """Owns the appearance choice and applies it to the application."""

    changed = Signal()

    def __init__(self, app: QApplication, choice: str = "system") -> None:
        super().__init__(app)
        self._app = app
        self._choice = choice if choice in APPEARANCES else "system"
        self._dark = False
        app.styleHints().colorSchemeChanged.connect(self._on_system_scheme)
        self.apply()

    @property
    def choice(self) -> str:
        return self._choice

    @property
    def colors(self) -> CanvasColors:
        return DARK if self._dark else LIGHT

    def set_choice(self, choice: str) -> None:
        if choice not in APPEARANCES:
            raise ValueError(f"appearance must be one of {APPEARANCES}, got {choice!r}")
        self._choice = choice
        self.apply()

    def apply(self) -> None:
        if self._choice == "system":
            dark = self._app.styleHints().colorScheme() == Qt.ColorScheme.Dark
        else:
            dark = self._choice == "dark"
        self._dark = dark
        self._app.setPalette(make_palette(self.colors))
        self.changed.emit()

    @Slot(Qt.ColorScheme)
    def _on_system_scheme(self, _scheme: Qt.ColorScheme) -> None:
        if self._choice == "system":
            self.apply()
