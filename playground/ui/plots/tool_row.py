"""The row above every live view: its title, its controls and the export button.

The title is shortened with "…" rather than cut when the row is narrow (``TitleLabel``), and
the controls flow onto further lines (``FlowLayout``) instead of forcing the dock wider than
the person made it. A control and its caption travel together (``labelled``).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QFont, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLayout, QLayoutItem, QSizePolicy, QWidget


class TitleLabel(QLabel):
    """A view's title: semi-bold, and shortened with "…" (the whole title in its tooltip) when
    the row is too narrow, so it is never cut mid-word.

    ``text()`` is the whole title. The weight is a font property, not a style sheet: a style
    sheet fixes a widget's palette when it is polished, and the title then kept the light
    theme's dark text on the dark theme's background.
    """

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        font = QFont()  # only the weight: family and size still follow the application's font
        font.setWeight(QFont.Weight.DemiBold)
        self.setFont(font)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._full = ""
        #: Called after the title changed (the tool row may need another arrangement).
        self.changed: list[Callable[[], None]] = []
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt API)
        if text == self._full:
            return
        self._full = text
        self._elide()
        self.updateGeometry()
        for callback in self.changed:
            callback()

    def text(self) -> str:
        return self._full

    def shown_text(self) -> str:
        """The text as drawn: the title, or its start and "…" when it does not fit."""
        return super().text()

    def full_width(self) -> int:
        """Pixels the whole title needs."""
        return self.fontMetrics().horizontalAdvance(self._full) + 2 * self.margin() + 4

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(self.full_width(), super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(self.fontMetrics().horizontalAdvance(self._full[:3] + "…") + 2 * self.margin(),
                     super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, self.contentsRect().width())
        if shown != super().text():
            super().setText(shown)
        self.setToolTip(self._full if shown != self._full else "")


class FlowLayout(QLayout):
    """Widgets side by side, right-aligned, wrapping onto further lines when the width runs
    out (Qt's flow layout example, aligned right like a tool bar)."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._gap = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 (Qt API)
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 (Qt API)
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 (Qt API)
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 (Qt API)
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt API)
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt API)
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 (Qt API)
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        """Everything on one line."""
        shown = [item.sizeHint() for item in self._items if not item.isEmpty()]
        width = sum(s.width() for s in shown) + self._gap * max(len(shown) - 1, 0)
        return QSize(width, max((s.height() for s in shown), default=0))

    def minimumSize(self) -> QSize:  # noqa: N802 (Qt API)
        """The widest control: the rest can go onto further lines."""
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        return size

    def _arrange(self, rect: QRect, move: bool) -> int:
        """Lay the items out in lines within ``rect`` (when ``move``); the height they take."""
        lines: list[list[tuple[QLayoutItem, QSize]]] = [[]]
        used = 0
        for item in self._items:
            if item.isEmpty():
                continue
            hint = item.sizeHint()
            extra = hint.width() + (self._gap if lines[-1] else 0)
            if lines[-1] and used + extra > rect.width():
                lines.append([])
                used, extra = 0, hint.width()
            lines[-1].append((item, hint))
            used += extra
        y = rect.y()
        for line in lines:
            if not line:
                continue
            height = max(h.height() for _, h in line)
            width = sum(h.width() for _, h in line) + self._gap * (len(line) - 1)
            x = rect.x() + max(rect.width() - width, 0)
            for item, hint in line:
                if move:
                    item.setGeometry(QRect(QPoint(x, y + (height - hint.height()) // 2), hint))
                x += hint.width() + self._gap
            y += height + self._gap
        return max(y - self._gap - rect.y(), 0)


def labelled(text: str, widget: QWidget, tip: str | None = None) -> QWidget:
    """``widget`` with a caption before it, as one piece that wraps to a next line together."""
    pair = QWidget()
    layout = QHBoxLayout(pair)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(4)
    caption = QLabel(text)
    caption.setToolTip(tip or widget.toolTip())
    caption.setBuddy(widget)
    layout.addWidget(caption)
    layout.addWidget(widget)
    return pair
