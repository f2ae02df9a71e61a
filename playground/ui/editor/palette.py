"""The layer palette: every node type of the catalogue, grouped, with icon and help tooltip.

Drag an entry onto the canvas to add it there (the drag carries the type name under
``MIME_LAYER``); double-click (or Enter) to add it after the selected node. The filter box
matches names and help texts.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QMimeData, QModelIndex, QPersistentModelIndex, QSize, Qt, Signal, Slot
from PySide6.QtGui import QBrush, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from playground.core.layers import GROUPS, LAYER_TYPES
from playground.ui.editor.icons import layer_icon
from playground.ui.editor.scene import MIME_LAYER

TYPE_ROLE = Qt.ItemDataRole.UserRole + 1


class _PaddedDelegate(QStyledItemDelegate):
    """Entries a little taller and wider than the style's default (1 px above and below, 2 px
    at the sides)."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width() + 4, size.height() + 2)


class PaletteTree(QTreeWidget):
    """A tree of groups and layer types whose drags carry the type name."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setIndentation(6)
        self.setIconSize(QSize(20, 20))
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setUniformRowHeights(True)
        self.setFrameShape(QTreeWidget.Shape.NoFrame)
        # room around each entry from a delegate, not a style sheet: a style sheet fixes the
        # tree's palette when it is polished, and the tree stayed white in the dark theme
        self.setItemDelegate(_PaddedDelegate(self))
        bold = QFont(self.font())
        bold.setBold(True)
        for group in GROUPS:
            header = QTreeWidgetItem(self, [group.upper()])
            header.setFlags(Qt.ItemFlag.ItemIsEnabled)
            header.setFont(0, bold)
            for layer in LAYER_TYPES.values():
                if layer.group != group:
                    continue
                item = QTreeWidgetItem(header, [layer.name])
                item.setIcon(0, layer_icon(layer.name))
                item.setData(0, TYPE_ROLE, layer.name)
                item.setToolTip(0, f"<b>{layer.name}</b><br>{layer.help}<br><i>Drag onto the canvas, or "
                                   "double-click to add after the selected node.</i>")
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                              | Qt.ItemFlag.ItemIsDragEnabled)
            header.setExpanded(True)
        self.setItemsExpandable(False)
        self._color_headers()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._color_headers()

    def _color_headers(self) -> None:
        """Group headers in the placeholder colour of the current theme."""
        brush = QBrush(self.palette().placeholderText())
        for g in range(self.topLevelItemCount()):
            self.topLevelItem(g).setForeground(0, brush)

    def mimeTypes(self) -> list[str]:
        return [MIME_LAYER]

    def mimeData(self, items: Sequence[QTreeWidgetItem]) -> QMimeData:
        mime = QMimeData()
        names = [i.data(0, TYPE_ROLE) for i in items if i.data(0, TYPE_ROLE)]
        if names:
            mime.setData(MIME_LAYER, names[0].encode("utf-8"))
            mime.setText(names[0])
        return mime

    def type_items(self) -> dict[str, QTreeWidgetItem]:
        items = {}
        for g in range(self.topLevelItemCount()):
            header = self.topLevelItem(g)
            for i in range(header.childCount()):
                child = header.child(i)
                items[child.data(0, TYPE_ROLE)] = child
        return items


class PaletteWidget(QWidget):
    """Filter box above the palette tree; ``typeActivated`` on double-click or Enter."""

    typeActivated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter layers…")
        self.filter.setClearButtonEnabled(True)
        self.filter.setToolTip("Show only layer types whose name or description contains this text")
        self.tree = PaletteTree()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree)
        self.filter.textChanged.connect(self.apply_filter)
        self.tree.itemActivated.connect(self._on_activated)

    @Slot(str)
    def apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for g in range(self.tree.topLevelItemCount()):
            header = self.tree.topLevelItem(g)
            visible = 0
            for i in range(header.childCount()):
                child = header.child(i)
                layer = LAYER_TYPES[child.data(0, TYPE_ROLE)]
                match = not needle or needle in layer.name.lower() or needle in layer.help.lower()
                child.setHidden(not match)
                visible += match
            header.setHidden(visible == 0)

    def visible_types(self) -> list[str]:
        return [name for name, item in self.tree.type_items().items()
                if not item.isHidden() and not item.parent().isHidden()]

    @Slot(QTreeWidgetItem, int)
    def _on_activated(self, item: QTreeWidgetItem, _column: int) -> None:
        type_name = item.data(0, TYPE_ROLE)
        if type_name:
            self.typeActivated.emit(type_name)
