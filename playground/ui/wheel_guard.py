"""The mouse wheel scrolls panels; it changes a setting only in the field being edited.

Qt lets a spin box, combo box or slider take every wheel event that passes over it, so a
person scrolling the training panel changed the learning rate three notches on the way down
(and dirtied the project). The application's style fixes that for every panel, the ones that
exist now and the ones added later: Qt asks the style to polish each widget once before it is
first shown, and the style puts a filter on each spin box, combo box and slider, which then
takes the wheel only while it has keyboard focus, never takes focus from the wheel, and
otherwise hands the wheel to the panel (the scroll area) it sits in.

The filter sits on those widgets only, not on the QApplication: an application filter is
Python called for every event of every object (about 800 a second while an image run trains
with its views on screen), and each call takes the GIL from the training thread.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QProxyStyle,
    QScrollBar,
    QWidget,
)


def takes_wheel_only_when_focused(widget: QObject) -> bool:
    """Widgets whose value the wheel changes: spin boxes, combo boxes and sliders. Scroll bars
    are sliders too, but the wheel is what they are for."""
    if isinstance(widget, QScrollBar):
        return False
    return isinstance(widget, (QAbstractSpinBox, QComboBox, QAbstractSlider))


def _scroll_areas(widget: QWidget) -> list[QAbstractScrollArea]:
    """The scroll areas ``widget`` sits in, innermost first."""
    areas = []
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea):
            areas.append(parent)
        parent = parent.parentWidget()
    return areas


def _moved(event: QWheelEvent, target: QWidget) -> QWheelEvent:
    """A copy of ``event`` for ``target``, positioned in its coordinates."""
    global_pos = event.globalPosition()
    local = target.mapFromGlobal(global_pos.toPoint()) if target.isVisible() else QPoint()
    return QWheelEvent(local.toPointF(), global_pos, event.pixelDelta(), event.angleDelta(), event.buttons(),
                       event.modifiers(), event.phase(), event.inverted(), event.source(), event.pointingDevice())


class WheelGuard(QObject):
    """Event filter of each widget that takes the wheel only when focused: see the module docstring."""

    def guard(self, widget: QWidget) -> None:
        """Filter ``widget``'s events if it is such a widget (installing twice moves the filter
        to the front rather than adding it again)."""
        if takes_wheel_only_when_focused(widget):
            self._no_wheel_focus(widget)
            widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() != QEvent.Type.Wheel or not isinstance(watched, QWidget):
            return False
        if isinstance(event, QWheelEvent) and not watched.hasFocus():
            self._scroll_panel(watched, event)
            return True
        return False

    @staticmethod
    def _no_wheel_focus(widget: QWidget) -> None:
        """Wheel focus (Qt's default for spin and combo boxes) would focus the widget under a
        scrolling mouse, and then the wheel would change it after all."""
        if widget.focusPolicy() == Qt.FocusPolicy.WheelFocus:
            widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    @staticmethod
    def _scroll_panel(widget: QWidget, event: QWheelEvent) -> None:
        """Give the wheel to the innermost scroll area around ``widget`` that takes it. Sent
        explicitly, because Qt does not pass a synthesised wheel event on to the parents;
        with none to take it, the event is left ignored so Qt propagates a real one."""
        for area in _scroll_areas(widget):
            viewport = area.viewport()
            moved = _moved(event, viewport)
            moved.setAccepted(False)
            QApplication.sendEvent(viewport, moved)
            if moved.isAccepted():
                event.accept()
                return
        event.ignore()


class WheelGuardStyle(QProxyStyle):
    """The application's style (Fusion) with the wheel guard put on each widget it polishes.
    Only ``polish`` is Python: Qt calls the style's other methods without entering Python."""

    def __init__(self, base: str, guard: WheelGuard) -> None:
        super().__init__(base)
        self._guard = guard

    def polish(self, target: object) -> object:  # a widget, a palette or the application
        result = super().polish(target)
        if isinstance(target, QWidget):
            self._guard.guard(target)
        return result


_guard: WheelGuard | None = None


def install_wheel_guard(app: QApplication, base_style: str = "Fusion") -> WheelGuard:
    """Give ``app`` the ``base_style`` with the wheel guard, once (``create_application`` may
    run more than once)."""
    global _guard
    if _guard is None:
        _guard = WheelGuard()
        app.setStyle(WheelGuardStyle(base_style, _guard))
    return _guard
