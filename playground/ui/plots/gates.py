"""Gates: what an LSTM's (or GRU's) gates do along one validation sequence, live.

One heat map per gate, time steps across and units down: an LSTM's input, forget and output
gates and a GRU's reset and update gates are sigmoids, drawn on one 0-to-1 scale (a forget gate
near 1 keeps the cell: the unit remembers); the candidate values (LSTM "cell", GRU "new") are
tanh outputs, drawn on a diverging -1-to-1 scale. Each map is titled with what its gate is for.
The gates are computed on the training thread (``core.sequence_probe.gates_picture``, one
unrolled forward pass of one sequence) through the picture requests, within their budget.
"""

from __future__ import annotations

import math
from functools import partial
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QSpinBox, QWidget

from playground.core.layers import GATED_TYPES
from playground.ui.plots.base import PlotView
from playground.ui.plots.export import Cell
from playground.ui.plots.live import PictureRequest, RunInfo
from playground.ui.plots.node_box import NodeBox
from playground.ui.plots.style import Caption, diverging_map, lut, plain_numbers, style_plot
from playground.ui.plots.time_grad import needs_recurrent, needs_sequences, recurrent_ids
from playground.ui.plots.tool_row import labelled
from playground.ui.scrolling import scrolling

if TYPE_CHECKING:
    from playground.core.datasets import DatasetMeta
    from playground.core.graph import Graph
    from playground.core.sequence_probe import GatesPicture

PLACEHOLDER = "Train the network (F5): the gates of the chosen layer along the chosen sequence appear here."
COMPUTING = "Computing the gates of this sequence…"
#: Pixels a gate's map keeps at least (with its axes): in a small dock the maps scroll.
PLOT_HEIGHT = 120
#: Steps up to which the time axis is labelled with the sequence's own symbols.
SYMBOL_TICKS = 40
#: What each gate is for, in the view's words (LSTM: input/forget/cell/output; GRU: reset/update/new).
GATE_MEANINGS = {
    "input": "how much of the candidate is written into the cell",
    "forget": "how much of the cell is kept (1: remember)",
    "cell": "the candidate written into the cell (−1 to 1)",
    "output": "how much of the cell is shown as the output",
    "reset": "how much of the old state the candidate may use",
    "update": "how much of the old state is kept (1: remember)",
    "new": "the candidate state (−1 to 1)",
}
#: Gates that are tanh outputs (-1 to 1); the others are sigmoids (0 to 1).
SIGNED_GATES = frozenset({"cell", "new"})


class GatesView(PlotView):
    """Heat maps (time x units) of the gates of one recurrent node over one validation sequence.

    Feeding: ``on_run_started`` (nodes and sequences from the run), ``set_picture`` (a
    ``GatesPicture`` from the worker); ``select_node`` follows the canvas' selection."""

    dock_id = "gates"
    dock_title = "Gates"
    export_name = "gates"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Gates", parent)
        self._picture: GatesPicture | None = None
        self._sequences = np.empty((0, 0), np.float32)
        self._names: tuple[str, ...] = ()

        self.node_box = NodeBox("The recurrent layer whose gates are shown (or click it on the canvas)", 8)
        self.sequence_spin = QSpinBox()
        self.sequence_spin.setRange(1, 1)
        self.sequence_spin.setToolTip("Which validation sequence is fed through the layer")
        self.add_tool(self.node_box)
        self.add_tool(labelled("sequence", self.sequence_spin))

        self.body.removeWidget(self.graphics)
        self.scroll = scrolling(self.graphics, horizontal=False)
        self.body.addWidget(self.scroll, 1)
        self.caption = Caption(PLACEHOLDER)
        self.graphics.addItem(self.caption, row=0, col=0, colspan=2)
        self._cells: list[pg.GraphicsLayout] = []
        self._plots: dict[str, tuple[pg.PlotItem, pg.ImageItem]] = {}
        self._titles: dict[str, Caption] = {}
        self._layout_gates: tuple[str, ...] = ()
        self.unit_bar = pg.ColorBarItem(values=(0, 1), interactive=False, orientation="horizontal", width=10,
                                        label="gate (0: closed, 1: open)")
        self.signed_bar = pg.ColorBarItem(values=(-1, 1), interactive=False, orientation="horizontal", width=10,
                                          label="candidate (−1 to 1)")

        self.node_box.currentIndexChanged.connect(self._on_choice)
        self.sequence_spin.valueChanged.connect(self._on_choice)
        self._apply_theme()
        self.schedule()

    # ------------------------------------------------------------------ feeding
    def set_nodes(self, nodes: list[str], labels: dict[str, str]) -> None:
        """The recurrent nodes to choose from, in network order; the wanted one stays chosen."""
        self.node_box.set_labels(labels)
        self.node_box.fill(nodes)

    def set_sequences(self, sequences: np.ndarray, names: tuple[str, ...]) -> None:
        """The validation sequences to choose from (raw examples) and the token names (the
        dataset's class names for token data, else empty: the steps are numbered)."""
        self._sequences = np.asarray(sequences)
        self._names = tuple(names)
        self.sequence_spin.setRange(1, max(1, len(self._sequences)))

    def set_picture(self, picture: GatesPicture) -> None:
        """The worker's gates: kept when they are of the chosen node and sequence."""
        if (picture.node_id, picture.index) != (self.node(), self.index()):
            return
        self._picture = picture
        self.schedule()

    def node(self) -> str | None:
        return self.node_box.node()

    def index(self) -> int:
        """The chosen sequence's position among the validation samples (from 0)."""
        return self.sequence_spin.value() - 1

    def picture(self) -> GatesPicture | None:
        return self._picture

    def symbols(self) -> list[str]:
        """The chosen sequence as the symbols of its tokens (empty when the data is not tokens)."""
        if not self._names or not len(self._sequences):
            return []
        ids = np.clip(np.rint(self._sequences[self.index()]).astype(int), 0, len(self._names) - 1)
        return [self._names[i] for i in ids]

    def select_node(self, node_id: str) -> bool:
        return self.node_box.select(node_id)

    # ------------------------------------------------------------------ live-view protocol
    def not_applicable(self, meta: DatasetMeta) -> str | None:
        return needs_sequences(meta, "how a recurrent layer's gates open and close along a sequence")

    def network_reason(self, graph: Graph) -> str | None:
        return needs_recurrent(graph, "an LSTM or GRU", "its gates open and close along a sequence", GATED_TYPES)

    def on_run_started(self, info: RunInfo, previous: str | None) -> None:
        self.show_reason(self.run_reason(info))
        self._picture = None
        graph = info.project.graph if info.project is not None else None
        nodes = recurrent_ids(graph, GATED_TYPES) if graph is not None else []
        self.set_nodes([n for n in info.node_order if n in nodes], info.labels)
        self.set_sequences(info.samples[0], info.meta.class_names if info.meta.is_tokens else ())
        self.schedule()

    def picture_requests(self, info: RunInfo) -> list[PictureRequest]:
        node = self.node()
        if self.run_reason(info) is not None or node is None or not len(self._sequences):
            return []
        from playground.core.sequence_probe import gates_picture

        index = self.index()
        sequence = np.ascontiguousarray(self._sequences[index])
        return [PictureRequest("gates", partial(gates_picture, node_id=node, index=index, sequence=sequence))]

    def on_picture(self, key: str, value: Any) -> None:
        if (value.node_id, value.index) == (self.node(), self.index()):
            self.set_picture(value)
        else:  # computed for the previous choice: this one's next, even while paused
            self.picturesWanted.emit()

    @Slot(int)
    def _on_choice(self, _value: int) -> None:
        self._picture = None
        self.schedule()
        self.picturesWanted.emit()

    # ------------------------------------------------------------------ state
    def clear(self) -> None:
        """Forget the gates (the choices stay)."""
        self._picture = None
        self._dirty = True
        self.flush()

    def reset(self) -> None:
        """Forget the nodes, the sequences and the gates."""
        self.set_nodes([], {})
        self.set_sequences(np.empty((0, 0), np.float32), ())
        self.clear()

    # ------------------------------------------------------------------ drawing
    def _arrange(self, gates: tuple[str, ...]) -> None:
        """One cell per gate in two columns (its title, a caption that wraps rather than widening
        the column, over its plot), the colour bars under them."""
        if gates == self._layout_gates:
            return
        for cell in self._cells:
            self.graphics.removeItem(cell)
        for bar in (self.unit_bar, self.signed_bar):
            if bar.scene() is not None:
                self.graphics.removeItem(bar)
        self._cells, self._plots, self._titles = [], {}, {}
        for i, gate in enumerate(gates):
            cell = self.graphics.ci.addLayout(row=1 + i // 2, col=i % 2)
            title = Caption("")
            plot = pg.PlotItem()
            plot.setMouseEnabled(False, False)
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.getViewBox().invertY(True)
            image = pg.ImageItem(axisOrder="row-major")
            plot.addItem(image)
            plot.setLabel("left", "unit")
            plot.setMinimumHeight(PLOT_HEIGHT)
            style_plot(plot, self.colors, grid=False)
            cell.addItem(title, row=0, col=0)
            cell.addItem(plot, row=1, col=0)
            self._cells.append(cell)
            self._plots[gate] = (plot, image)
            self._titles[gate] = title
        rows = 1 + math.ceil(len(gates) / 2)
        if gates:
            self.graphics.addItem(self.unit_bar, row=rows, col=0)
            if any(g in SIGNED_GATES for g in gates):
                self.graphics.addItem(self.signed_bar, row=rows, col=1)
        self._layout_gates = gates
        # the maps keep a readable height: a small dock scrolls instead of squashing them
        self.graphics.ci.layout.invalidate()
        self.graphics.setMinimumHeight(int(self.graphics.ci.effectiveSizeHint(Qt.SizeHint.MinimumSize).height()) + 8)

    def _redraw(self) -> None:
        picture = self._picture
        c = self.colors
        gates = tuple(picture.gates) if picture is not None else ()
        self._arrange(gates)
        label = self.node_box.labels.get(self.node() or "", self.node() or "")
        strip = "".join(self.symbols())
        where = f" · sequence {self.index() + 1}" + (f": <tt>{escape(strip)}</tt>" if strip else "")
        if picture is None:
            text = PLACEHOLDER if self.node() is None or not len(self._sequences) else COMPUTING
            self.caption.setText(text, color=c.hex(c.dim), size="9pt")
            return
        self.caption.setText(f"<b>{escape(label)}</b>{where}", color=c.hex(), size="9pt")
        symbols = self.symbols()
        for gate, (plot, image) in self._plots.items():
            values = picture.gates[gate].T  # units down, time across
            signed = gate in SIGNED_GATES
            image.setImage(np.ascontiguousarray(values, dtype=np.float32), autoLevels=False,
                           levels=(-1.0, 1.0) if signed else (0.0, 1.0), lut=self._signed if signed else self._unit)
            steps, units = values.shape[1], values.shape[0]
            plot.setXRange(0, steps, padding=0)
            plot.setYRange(0, units, padding=0)
            self._titles[gate].setText(f"<b>{gate}</b>: {GATE_MEANINGS.get(gate, '')}", color=c.hex(), size="8.5pt")
            axis = plot.getAxis("bottom")
            if symbols and steps <= SYMBOL_TICKS:
                axis.setTicks([[(t + 0.5, s) for t, s in enumerate(symbols)]])
            else:
                axis.setTicks(None)

    def _apply_theme(self) -> None:
        c = self.colors
        self._unit_map = pg.colormap.get("viridis")
        self._signed_map = diverging_map(c)
        self._unit = lut(self._unit_map)
        self._signed = lut(self._signed_map)
        for bar, cmap in ((self.unit_bar, self._unit_map), (self.signed_bar, self._signed_map)):
            bar.setColorMap(cmap)
            axis = bar.getAxis("bottom")
            axis.setPen(c.dim)
            axis.setTextPen(c.foreground)
            axis.label.setDefaultTextColor(c.foreground)
            plain_numbers(axis)
        for plot, _image in self._plots.values():
            style_plot(plot, c, grid=False)

    # ------------------------------------------------------------------ export
    def data_table(self) -> tuple[list[str], list[list[Cell]]]:
        """One row per gate, step and unit of the shown picture."""
        header = ["node", "sequence", "gate", "step", "unit", "value"]
        picture = self._picture
        if picture is None:
            return header, []
        return header, [[picture.node_id, picture.index + 1, gate, int(t), int(u), float(v)]
                        for gate, values in picture.gates.items() for (t, u), v in np.ndenumerate(values)]

