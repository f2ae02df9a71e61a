"""The inspector: the selected node's parameters, and a summary of the whole model.

Parameter widgets come from the layer's schema (``ParamForm``); every edit is reported as
``paramEdited`` and becomes an undo command in the controller. The inspector re-reads the
model after each change (undo included) and shows the shape report: the node's problems,
each node's output shape and parameter count, and the total.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QBrush, QFont, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from playground.core.layers import LAYER_TYPES
from playground.core.shapes import format_shape
from playground.ui.document import ProjectDocument
from playground.ui.editor.icons import layer_icon
from playground.ui.param_form import ParamForm, discard
from playground.ui.scrolling import scrolling
from playground.ui.theme import CanvasColors, set_text_color

#: The most of the inspector's height the model summary takes by default; a longer table scrolls.
SUMMARY_SHARE = 0.35


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    font = QFont(label.font())
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() + 1.5)
    label.setFont(font)
    return label


class InspectorWidget(QWidget):
    """Parameters of one node above, model summary below (a splitter between them)."""

    paramEdited = Signal(str, str, object)
    nodeActivated = Signal(str)
    sessionStarted = Signal()

    def __init__(self, document: ProjectDocument, colors: CanvasColors, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.colors = colors
        self.node_id: str | None = None
        self.form: ParamForm | None = None

        self.icon = QLabel()
        self.icon.setFixedSize(QSize(28, 28))
        self.title = _heading("No node selected")
        self.subtitle = QLabel()
        self.subtitle.setWordWrap(True)  # a narrow dock wraps the shape and count, never cuts them
        set_text_color(self.subtitle)
        self.help = QLabel("Select a node on the canvas to edit its parameters. Drag layers from the palette "
                           "to add them; drag from an output port to an input port to connect.")
        self.help.setWordWrap(True)
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problems.hide()
        set_text_color(self.problems, colors.error)
        self.form_host = QVBoxLayout()
        self.form_host.setContentsMargins(0, 4, 0, 0)

        head = QHBoxLayout()
        head.setSpacing(8)
        head.addWidget(self.icon)
        titles = QVBoxLayout()
        titles.setSpacing(0)
        titles.addWidget(self.title)
        titles.addWidget(self.subtitle)
        head.addLayout(titles, 1)

        page = QWidget()
        column = QVBoxLayout(page)
        column.setContentsMargins(10, 10, 10, 10)
        column.setSpacing(8)
        column.addLayout(head)
        column.addWidget(self.help)
        column.addWidget(self.problems)
        column.addLayout(self.form_host)
        column.addStretch(1)
        # The page is as wide as the dock shows, never wider: otherwise the widest text that
        # does not wrap set its width and every wrapped label was cut at the dock's edge.
        page.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.scroll = scrolling(page, horizontal=False)

        self.total = QLabel()
        self.total.setWordWrap(True)  # wraps in a narrow dock rather than widening it
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Node", "Type", "Output", "Params"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        self.table.cellClicked.connect(self._on_row_clicked)
        self.summary = QWidget()
        self.summary_title = _heading("Model summary")
        lower = QVBoxLayout(self.summary)
        lower.setContentsMargins(10, 8, 10, 10)
        lower.setSpacing(6)
        lower.addWidget(self.summary_title)
        lower.addWidget(self.total)
        lower.addWidget(self.table, 1)

        # The form is what a person works in: it takes every pixel the summary does not need
        # (``fit_summary``), and all of a resize until the person drags the handle.
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.scroll)
        self.splitter.addWidget(self.summary)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.splitterMoved.connect(self._on_splitter_moved)
        self._split_by_user = False
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.splitter)

        document.reportChanged.connect(self.refresh)
        document.projectReset.connect(lambda: self.show_node(None))
        self.show_node(None)

    # ------------------------------------------------------------------ selection
    def show_node(self, node_id: str | None, selected_count: int = 1) -> None:
        """Show ``node_id``'s parameters (a fresh form, so a new undo-merge session starts)."""
        if node_id is not None and node_id not in self.document.graph.nodes:
            node_id = None
        if node_id != self.node_id:  # a new node is read from its title, not where the last one was left
            self.scroll.verticalScrollBar().setValue(0)
        self.node_id = node_id
        if self.form is not None:
            discard(self.form)
            self.form = None
        self.sessionStarted.emit()
        self.icon.setVisible(node_id is not None)
        if node_id is None:
            self.title.setText(f"{selected_count} nodes selected" if selected_count > 1 else "No node selected")
            self.subtitle.setText("")
            self.help.setText("Select a single node to edit its parameters." if selected_count > 1 else
                              "Select a node on the canvas to edit its parameters. Drag layers from the palette "
                              "to add them; drag from an output port to an input port to connect.")
        else:
            node = self.document.graph.nodes[node_id]
            layer = LAYER_TYPES[node.type]
            self.icon.setPixmap(layer_icon(node.type).pixmap(28, 28))
            self.title.setText(node.type)
            self.subtitle.setText(f"id '{node_id}' · {layer.group}")
            self.help.setText(layer.help)
            if layer.params:
                self.form = ParamForm(layer.params, node.resolved_params())
                self.form.valueChanged.connect(self._on_value_changed)
                self.form_host.addWidget(self.form)
        self.refresh()

    @Slot(str, object)
    def _on_value_changed(self, name: str, value: object) -> None:
        if self.node_id is not None:
            self.paramEdited.emit(self.node_id, name, value)

    @Slot(int, int)
    def _on_row_clicked(self, row: int, _column: int) -> None:
        item = self.table.item(row, 0)
        if item is not None:
            self.nodeActivated.emit(item.text())

    # ------------------------------------------------------------------ splitter
    def summary_height(self) -> int:
        """The height that shows the summary's heading, total and every table row, no more."""
        layout = self.summary.layout()
        margins = layout.contentsMargins()
        width = max(1, self.summary.width() - margins.left() - margins.right())
        table = self.table
        rows = table.rowCount() * table.verticalHeader().defaultSectionSize()
        scroll_bar = table.horizontalScrollBar()
        bar = scroll_bar.sizeHint().height() if scroll_bar.isVisible() else 0
        table_height = table.horizontalHeader().sizeHint().height() + rows + bar + 2 * table.frameWidth()
        return (margins.top() + margins.bottom() + 2 * layout.spacing() + self.summary_title.sizeHint().height()
                + self.total.heightForWidth(width) + table_height)

    def fit_summary(self) -> None:
        """Give the summary the rows it needs, at most ``SUMMARY_SHARE`` of the height, and the
        form the rest; left alone once the person has dragged the handle."""
        total = sum(self.splitter.sizes())
        if self._split_by_user or total <= 0:
            return
        floor = self.summary.minimumSizeHint().height()
        want = max(floor, min(self.summary_height(), round(SUMMARY_SHARE * total)))
        if self.splitter.sizes()[1] != want:
            self.splitter.setSizes([total - want, want])

    @Slot(int, int)
    def _on_splitter_moved(self, _pos: int, _index: int) -> None:
        self._split_by_user = True

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_summary()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.fit_summary()

    def set_colors(self, colors: CanvasColors) -> None:
        self.colors = colors
        set_text_color(self.problems, colors.error)
        self.refresh()

    # ------------------------------------------------------------------ report
    @Slot()
    def refresh(self) -> None:
        graph, report = self.document.graph, self.document.report
        if self.node_id is not None and self.node_id not in graph.nodes:
            self.show_node(None)
            return
        if self.node_id is not None:
            node = graph.nodes[self.node_id]
            if self.form is not None:
                self.form.set_values(node.resolved_params())
            node_report = report.nodes.get(self.node_id)
            messages = [p.message for p in node_report.problems] if node_report else []
            self.problems.setText("\n".join(f"⚠ {m}" for m in messages))
            self.problems.setVisible(bool(messages))
            if node_report is not None:
                shape = format_shape(node_report.shape, node_report.tokens)
                self.subtitle.setText(f"id '{self.node_id}' · output {shape}"
                                      + (f" · {node_report.parameters:,} params" if node_report.parameters else ""))
        else:
            self.problems.hide()
        self._fill_table()

    def _fill_table(self) -> None:
        graph, report = self.document.graph, self.document.report
        order = report.order or list(graph.nodes)
        self.table.setRowCount(len(order))
        bad = QBrush(self.colors.error)
        for row, node_id in enumerate(order):
            r = report.nodes.get(node_id)
            cells = [node_id, graph.nodes[node_id].type, format_shape(r.shape, r.tokens) if r else "?",
                     f"{r.parameters:,}" if r and r.parameters else "–"]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if r is not None and r.problems:
                    item.setForeground(bad)
                    item.setToolTip("\n".join(p.message for p in r.problems))
                self.table.setItem(row, col, item)
        self.fit_summary()
        n = len(report.problems)
        status = "ready to train" if n == 0 else f"{n} problem{'s' if n != 1 else ''}"
        color = self.colors.ok if n == 0 else self.colors.error
        self.total.setText(f"<b>{report.total_parameters:,}</b> trainable parameters · "
                           f"<span style='color:{color.name()}'>{'✔' if n == 0 else '⚠'} {status}</span>")
