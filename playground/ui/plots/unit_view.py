"""What one unit looks for: the validation examples that excite it most and least, beside an
input made to excite it (lectures, "Looking inside").

A student picks a node and one of its units (a Dense unit, a convolution channel, an Output
class) and sees two rows of validation images, the most and the least exciting, each labelled
with the activation it gives the unit, and, beside them, the input that gradient ascent made
to excite the unit (``core.unit_probe``). Both are computed on the training thread between
steps: the ranking at the workspace's picture rate within its time budget, the made input at
most every ``MAXIMISE_INTERVAL`` seconds while training runs, or at once when a person asks
("Recompute", another unit). All images share one grey scale (the data's pixel range, which
the made input is kept within), so the made input reads as a picture the network could see.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker, Slot
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QComboBox,
    QGraphicsRectItem,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QWidget,
)

from playground.ui.plots.base import PlotView
from playground.ui.plots.export import Cell
from playground.ui.plots.live import PictureRequest, RunInfo, describe_input
from playground.ui.plots.style import Caption, bare_image_box
from playground.ui.plots.tool_row import labelled

if TYPE_CHECKING:
    from playground.core.datasets import DatasetMeta
    from playground.core.unit_probe import MaximisedInput, TopExamples

#: Examples shown at each end of the ranking.
K = 8
#: Tiles a row may hold: all K in one row in a wide, short dock (the window's docks under the
#: canvas), half of them in a narrow or tall one; whichever gives the larger tiles.
LAYOUT_COLUMNS = (4, 8)
#: The made input's width, in tile columns.
MADE_COLUMNS = 2
#: Height in pixels of the texts between the pictures (a header, a tile's value), and of the
#: caption above them (two lines in a narrow dock): what is left is the pictures' height.
TEXT_HEIGHT = 18
CAPTION_HEIGHT = 36
#: The made input's title, and what it says in a column too narrow for that.
MADE_TITLE = "Made to excite it"
MADE_SHORT = "Made"
#: Pixels of a tile under which the canvas shows one group of examples instead of two.
MIN_TILE = 24
#: Column width (pixels) from which a tile's value fits on one line.
ONE_LINE_VALUE = 46
#: Seconds between two made inputs while a run trains (each costs some 20 ms of LeNet's
#: training thread; the ranking, cheaper, follows the workspace's own picture rate).
MAXIMISE_INTERVAL = 5.0
PLACEHOLDER = "Train the network (F5): the validation images that excite the chosen unit most and least appear here."
COMPUTING = "Ranking the validation images…"
_ROWS = ("Most exciting", "Least exciting")


def tile_value(value: float) -> str:
    """An activation under a tile, short enough for its width: '1.84', '0.01', '-0.33' ('0.0079'
    wrapped onto two lines under a 28-pixel tile)."""
    return f"{value:.2f}" if abs(value) < 100 else f"{value:.3g}"


@dataclass(frozen=True)
class UnitChoice:
    """A node the view offers: its display name, its unit count and what a unit is called."""

    label: str
    units: int
    noun: str


def _noun(node_type: str, output_ndim: int, classifies: bool) -> str:
    """What one unit of a node is called: an Output's are classes (or outputs, for regression),
    a node of pictures has channels, a flat one units."""
    if node_type == "Output":
        return "class" if classifies else "output"
    return "channel" if output_ndim == 3 else "unit"


def _label_cell(label: np.ndarray) -> Cell:
    """A target as a CSV cell: a class index, a number, or a list for vector targets."""
    value = np.asarray(label)
    return value.item() if value.ndim == 0 else str(value.tolist())


@dataclass
class _Tile:
    box: pg.ViewBox
    image: pg.ImageItem
    #: a thin line around the picture: a white digit would melt into the light theme's background
    frame: QGraphicsRectItem
    label: Caption

    def show(self, rgb: np.ndarray | None) -> None:
        """Draw this picture (``(H, W, 3)`` in [0, 1]) framed, or nothing (None)."""
        self.image.setVisible(rgb is not None)
        self.frame.setVisible(rgb is not None)
        if rgb is None:
            return
        self.image.setImage(rgb, autoLevels=False, levels=(0.0, 1.0))
        self.frame.setRect(0, 0, rgb.shape[1], rgb.shape[0])
        self.box.autoRange(padding=0.02)


def _grey(images: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """``(C, H, W)`` raw image -> ``(H, W, 3)`` in [0, 1] on the shared scale ``lo..hi``: grey
    for one channel, colour for three, the first channel otherwise."""
    a = np.nan_to_num(np.asarray(images, np.float32))
    a = np.clip((a - lo) / (hi - lo), 0.0, 1.0) if hi > lo else np.zeros_like(a)
    rgb = a.transpose(1, 2, 0) if a.shape[0] == 3 else np.repeat(a[0][..., None], 3, axis=2)
    return np.ascontiguousarray(rgb, dtype=np.float32)


class UnitView(PlotView):
    """Node and unit choosers, the top and bottom ``K`` examples as labelled tiles, and the made
    input beside them.

    Feeding: ``set_choices`` (the run's nodes with units), ``set_examples`` (a ``TopExamples``),
    ``set_maximised`` (a ``MaximisedInput``); results for another unit than the chosen one are
    dropped. ``select_node(node_id)`` switches the node (the hook the Feature maps view has for
    the canvas' selection).
    """

    dock_id = "units"
    dock_title = "Units"
    overview = "picture"
    export_name = "units"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("What this unit looks for", parent)
        self._choices: dict[str, UnitChoice] = {}
        self._class_names: list[str] = []
        self._examples: TopExamples | None = None
        self._made: MaximisedInput | None = None
        #: a made input wanted at once (a person asked, or the choice changed)
        self._made_wanted = True
        #: when the last made input arrived (monotonic seconds)
        self._made_at = -MAXIMISE_INTERVAL

        self.node_box = QComboBox()
        self.node_box.setToolTip("The node whose unit is examined")
        self.node_box.setMinimumContentsLength(12)
        self.node_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.unit_box = QSpinBox()
        self.unit_box.setToolTip("Which unit, channel (its mean over the picture) or class (its score before "
                                 "the softmax)")
        unit_pair = labelled("unit", self.unit_box)
        #: names what a unit of the chosen node is: "channel", "unit" or "class"
        self.unit_caption = unit_pair.findChild(QLabel)
        self.recompute_button = QPushButton("Recompute")
        self.recompute_button.setToolTip("Rank the examples and make the exciting input again with the current "
                                         "weights (also while paused)")
        self.add_tool(labelled("node", self.node_box))
        self.add_tool(unit_pair)
        self.add_tool(self.recompute_button)

        self.caption = Caption(PLACEHOLDER)
        self.made_header = Caption(MADE_TITLE)
        self._made_title = MADE_TITLE
        self._made_width = 0.0
        self.made = self._tile()
        self._headers = [Caption(text) for text in _ROWS]
        self._rows = [[self._tile() for _ in range(K)] for _ in _ROWS]
        for text in (*self._headers, self.made_header, *(t.label for row in self._rows for t in row), self.made.label):
            text.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)  # the tiles take the height
        #: tiles per row as arranged now (None: not placed yet), and groups of examples shown
        self._columns: int | None = None
        self._groups = len(_ROWS)
        self._arrange(min(LAYOUT_COLUMNS))

        self.node_box.currentIndexChanged.connect(self._on_node)
        self.unit_box.valueChanged.connect(self._on_unit)
        self.recompute_button.clicked.connect(self.recompute)
        self._apply_theme()
        self.schedule()

    def _canvas_resized(self) -> None:
        """Rows of as many tiles as make them largest in this canvas, and tiles no taller than
        wide (square pixels in a box of the column's width), so spare height is left below the
        pictures instead of between a tile and its label. A canvas too short for both groups of
        examples at ``MIN_TILE`` pixels shows the most exciting ones only (seen at 1024x700:
        every tile had shrunk to a line)."""
        width, height = max(self.graphics.width() - 16, 0), max(self.graphics.height() - 8, 0)

        def tile_size(columns: int, groups: int) -> float:
            rows = groups * -(-K // columns)
            column = width / (columns + MADE_COLUMNS)
            lines = 1 if column >= ONE_LINE_VALUE else 2  # a narrow tile's value wraps
            texts = CAPTION_HEIGHT + groups * TEXT_HEIGHT + rows * lines * TEXT_HEIGHT
            return min(column, (height - texts) / rows)

        both = max(LAYOUT_COLUMNS, key=lambda c: tile_size(c, len(_ROWS)))
        one = max(LAYOUT_COLUMNS, key=lambda c: tile_size(c, 1))
        fits = tile_size(both, len(_ROWS)) >= MIN_TILE or tile_size(one, 1) <= tile_size(both, len(_ROWS))
        self._place(*((both, len(_ROWS)) if fits else (one, 1)))
        if self._groups > 1 and self._rows[0][0].box.height() < MIN_TILE:
            # the texts took more height than estimated (a header wrapped in a narrow column)
            self._place(one, 1)

    def _place(self, columns: int, groups: int) -> None:
        """Arrange for ``columns`` tiles a row and ``groups`` groups, and size the columns."""
        if (columns, groups) != (self._columns, self._groups):
            self._arrange(columns, groups)
        width = max(self.graphics.width() - 16, 0)
        # widths set, not stretched: Qt shares only the surplus over the items' own preferred
        # widths by stretch factor, which left the made input no wider than a tile
        layout = self.graphics.ci.layout
        spacing = layout.horizontalSpacing()
        column = max(width - spacing * columns, 0) / (columns + MADE_COLUMNS)
        layout.setColumnFixedWidth(0, MADE_COLUMNS * column)
        for c in range(max(LAYOUT_COLUMNS)):  # columns of a wider arrangement, empty now, get none
            layout.setColumnFixedWidth(1 + c, column if c < columns else 0)
        for row in self._rows:
            for t in row:
                t.box.setMaximumHeight(column)
        # no taller than the tiles beside it: in a short dock it took the height they needed
        self.made.box.setMaximumHeight(min(MADE_COLUMNS, groups * -(-K // columns)) * column)
        self._made_width = MADE_COLUMNS * column
        self._title_made()
        layout.activate()  # placed now, not at the next event-loop pass (an export may come first)

    def _title_made(self) -> None:
        """"Made to excite it" over the made input (on two lines if need be), or "Made" where it
        would wrap onto more (a narrow dock: four lines took the pictures' height)."""
        font = QFont()
        font.setPointSizeF(9)
        font.setBold(True)
        fits = QFontMetrics(font).horizontalAdvance(MADE_TITLE) + 12 <= 2 * self._made_width
        title = MADE_TITLE if fits else MADE_SHORT
        if title != self._made_title:
            self._made_title = title
            self.made_header.setText(title, color=self.colors.hex(), bold=True, size="9pt")
            self.made_header.setToolTip("" if fits else MADE_TITLE)

    def example_groups(self) -> int:
        """Groups of examples shown now: 2 (most and least exciting), or 1 in a short canvas."""
        return self._groups

    def tile_columns(self) -> int:
        """Tiles per row as arranged now."""
        return self._columns or min(LAYOUT_COLUMNS)

    def _arrange(self, columns: int, groups: int = len(_ROWS)) -> None:
        """Place everything for rows of ``columns`` tiles: the caption on top, the made input in
        a wide first column, and beside it each of the first ``groups`` groups of K examples as
        a header over its rows, each tile over its value (a group left out is hidden)."""
        g = self.graphics
        if self._columns is not None:
            for item in self._items():
                g.removeItem(item)
        self._columns, self._groups = columns, groups
        tile_rows = -(-K // columns)
        g.addItem(self.caption, row=0, col=0, colspan=columns + 1)
        g.addItem(self.made_header, row=1, col=0)
        g.addItem(self.made.box, row=2, col=0, rowspan=2 * tile_rows)
        g.addItem(self.made.label, row=2 + 2 * tile_rows, col=0)
        for r, (header, tiles) in enumerate(zip(self._headers, self._rows)):
            shown = r < groups
            for item in self._group_items(r):
                item.setVisible(shown)
            if not shown:
                continue
            top = 1 + r * (1 + 2 * tile_rows)
            g.addItem(header, row=top, col=1, colspan=columns)
            for i, t in enumerate(tiles):
                row = top + 1 + 2 * (i // columns)
                g.addItem(t.box, row=row, col=1 + i % columns)
                g.addItem(t.label, row=row + 1, col=1 + i % columns)

    def _items(self) -> list[pg.GraphicsWidget]:
        """The items in the layout now (a hidden group's are not)."""
        return [self.caption, self.made_header, self.made.box, self.made.label,
                *(item for r in range(self._groups) for item in self._group_items(r))]

    def _group_items(self, r: int) -> list[pg.GraphicsWidget]:
        """Group ``r``'s header, and each of its tiles' picture and value."""
        return [self._headers[r], *(item for t in self._rows[r] for item in (t.box, t.label))]

    @staticmethod
    def _tile() -> _Tile:
        box = pg.ViewBox()
        bare_image_box(box)
        image = pg.ImageItem(axisOrder="row-major")
        box.addItem(image)
        frame = QGraphicsRectItem()
        box.addItem(frame, ignoreBounds=True)
        return _Tile(box, image, frame, Caption("", size="8pt"))

    # ------------------------------------------------------------------ feeding
    def set_choices(self, choices: dict[str, UnitChoice], class_names: list[str] | None = None) -> None:
        """The nodes to choose from, in the network's order. The chosen node stays when it is
        still there; else the first convolution, else the Output, else the first node."""
        self._choices = dict(choices)
        self._class_names = list(class_names or [])
        current = self.node()
        with QSignalBlocker(self.node_box):
            self.node_box.clear()
            for node_id, choice in self._choices.items():
                self.node_box.addItem(choice.label, node_id)
        chosen = current if current in self._choices else self._default_node()
        self._show_node(chosen, unit=self.unit() if chosen == current else 0)

    def _default_node(self) -> str | None:
        channels = [n for n, c in self._choices.items() if c.noun == "channel"]
        classes = [n for n, c in self._choices.items() if c.noun == "class"]
        return next(iter(channels or classes or list(self._choices)), None)

    def set_examples(self, examples: TopExamples) -> bool:
        """The ranking of the chosen unit; another unit's is dropped (False)."""
        if (examples.node_id, examples.unit) != (self.node(), self.unit()):
            return False
        self._examples = examples
        self.schedule()
        return True

    def set_maximised(self, made: MaximisedInput) -> bool:
        """The input made to excite the chosen unit; another unit's is dropped (False)."""
        if (made.node_id, made.unit) != (self.node(), self.unit()):
            return False
        self._made = made
        self._made_at = time.monotonic()
        self.schedule()
        return True

    def select_node(self, node_id: str) -> bool:
        """Examine ``node_id``'s units (from its first one); False when it has none here (the
        Input node, a node added since the run started)."""
        if node_id not in self._choices:
            return False
        if node_id != self.node():
            self._show_node(node_id, unit=0)
        return True

    def select_unit(self, unit: int) -> None:
        """Examine unit ``unit`` of the chosen node."""
        self.unit_box.setValue(unit)

    def node(self) -> str | None:
        data = self.node_box.currentData()
        return None if data is None else str(data)

    def unit(self) -> int:
        return self.unit_box.value()

    def examples(self) -> TopExamples | None:
        """The ranking shown, None before it arrives."""
        return self._examples

    def maximised(self) -> MaximisedInput | None:
        """The made input shown, None before it arrives."""
        return self._made

    def _show_node(self, node_id: str | None, unit: int) -> None:
        with QSignalBlocker(self.node_box), QSignalBlocker(self.unit_box):
            self.node_box.setCurrentIndex(max(self.node_box.findData(node_id), 0) if node_id else -1)
            choice = self._choices.get(node_id or "")
            self.unit_box.setRange(0, max((choice.units if choice else 1) - 1, 0))
            self.unit_box.setValue(unit)
            self.unit_caption.setText(choice.noun if choice else "unit")
        self._choice_changed()

    @Slot(int)
    def _on_node(self, _index: int) -> None:
        self._show_node(self.node(), 0)

    @Slot(int)
    def _on_unit(self, _value: int) -> None:
        self._choice_changed()

    def _choice_changed(self) -> None:
        self._examples = None
        self._made = None
        self.recompute()

    @Slot()
    def recompute(self) -> None:
        """Ask for the ranking and the made input now, with the current weights."""
        self._made_wanted = True
        self.schedule()
        if self.node() is not None:
            self.picturesWanted.emit()

    # ------------------------------------------------------------------ live-view protocol
    def not_applicable(self, meta: DatasetMeta) -> str | None:
        if meta.is_image:
            return None
        return (f"A unit's favourite inputs are shown as pictures, so they need images; this dataset has "
                f"{describe_input(meta)}." + (" The Decision boundary shows what each hidden unit responds to "
                                              "over the whole plane." if meta.is_plane else ""))

    def on_run_started(self, info: RunInfo, previous: str | None) -> None:
        self.show_reason(self.run_reason(info))
        self.clear()
        if self.reason_shown() is not None or info.project is None:
            return
        from playground.core.shapes import infer_shapes
        from playground.core.unit_probe import probe_units

        graph = info.project.graph
        shapes = infer_shapes(graph, info.meta).nodes
        choices = {node_id: UnitChoice(info.labels.get(node_id, node_id), units,
                                       _noun(graph.nodes[node_id].type, len(shapes[node_id].shape or ()),
                                             info.classifies))
                   for node_id, units in probe_units(graph, info.meta).items()}
        self.set_choices(choices, list(info.meta.class_names) if info.classifies else [])

    def picture_requests(self, info: RunInfo) -> list[PictureRequest]:
        node = self.node()
        if self.run_reason(info) is not None or node is None:
            return []
        from playground.core.unit_probe import maximise, top_examples

        unit = self.unit()
        requests = [PictureRequest("unit_examples", partial(top_examples, node_id=node, unit=unit, k=K))]
        if self._made_wanted or time.monotonic() - self._made_at >= MAXIMISE_INTERVAL:
            self._made_wanted = False
            requests.append(PictureRequest("unit_maximise", partial(maximise, node_id=node, unit=unit)))
        return requests

    def on_picture(self, key: str, value: Any) -> None:
        if key == "unit_examples":
            current = self.set_examples(value)
        else:
            current = self.set_maximised(value)
            self._made_wanted = self._made_wanted or not current
        if not current:
            # asked for before the choice changed: the workspace held the new request back while
            # this one was out, and a paused run has no next round to ask again in
            self.picturesWanted.emit()

    def clear(self) -> None:
        self._examples = None
        self._made = None
        self._made_wanted = True
        self._dirty = True
        self.flush()

    def reset(self) -> None:
        self.set_choices({})
        self.clear()

    # ------------------------------------------------------------------ drawing
    def _levels(self) -> tuple[float, float]:
        """One grey scale for every tile and the made input: their common pixel range."""
        shown = [a for a in (self._examples.top_images, self._examples.bottom_images) if a.size] \
            if self._examples is not None else []
        if self._made is not None:
            shown.append(self._made.image[None])
        if not shown:
            return 0.0, 1.0
        return min(float(np.nanmin(a)) for a in shown), max(float(np.nanmax(a)) for a in shown)

    def _redraw(self) -> None:
        c = self.colors
        ex, made = self._examples, self._made
        lo, hi = self._levels()
        for r, tiles in enumerate(self._rows):
            images = values = indices = labels = None
            if ex is not None:
                images, values, indices, labels = ((ex.top_images, ex.top_values, ex.top_indices, ex.top_labels)
                                                   if r == 0 else
                                                   (ex.bottom_images, ex.bottom_values, ex.bottom_indices,
                                                    ex.bottom_labels))
            for i, t in enumerate(tiles):
                has = images is not None and i < len(images)
                t.show(_grey(images[i], lo, hi) if has else None)
                if not has:
                    t.label.setText("")
                    continue
                t.label.setText(tile_value(float(values[i])), color=c.hex(), size="8pt")
                t.box.setToolTip(f"validation example {int(indices[i])}{self._class_text(labels[i])}: "
                                 f"activation {float(values[i]):.4g}")
        self.made.show(_grey(made.image, lo, hi) if made is not None else None)
        if made is not None:
            self.made.label.setText(f"{made.activation:.3g} (from {made.start_activation:.2g})",
                                    color=c.hex(), size="8pt")
            self.made.box.setToolTip(f"An input made by {made.steps} steps of gradient ascent to excite this "
                                     f"{self._noun()}: from grey (activation {made.start_activation:.4g}) to "
                                     f"{made.activation:.4g}")
        else:
            self.made.label.setText("")
        self._write_caption()

    def _class_text(self, label: np.ndarray) -> str:
        """", class 7" for a classified example, nothing otherwise."""
        value = np.asarray(label)
        if value.ndim == 0 and 0 <= int(value) < len(self._class_names):
            return f", class {self._class_names[int(value)]}"
        return ""

    def _noun(self) -> str:
        choice = self._choices.get(self.node() or "")
        return choice.noun if choice else "unit"

    def _write_caption(self) -> None:
        c = self.colors
        node = self.node()
        if node is None:
            self.caption.setText(PLACEHOLDER, color=c.hex(c.dim), size="9pt")
            return
        if self._examples is None:
            self.caption.setText(COMPUTING, color=c.hex(c.dim), size="9pt")
            return
        noun, unit = self._noun(), self.unit()
        name = f"{noun} {unit}"
        if noun == "class" and unit < len(self._class_names):
            name += f" ('{self._class_names[unit]}')"
        ex = self._examples
        self.caption.setText(f"<b>{self._choices[node].label}</b> · {name} · {ex.count} validation images, "
                             f"mean activation {ex.mean:.3g}", color=c.hex(), size="9pt")

    def _apply_theme(self) -> None:
        c = self.colors
        for header, text in zip(self._headers, _ROWS):
            header.setText(text, color=c.hex(), bold=True, size="9pt")
        self._made_title = ""  # written again, in the theme's colour, by the next _place
        self._title_made()
        pen = pg.mkPen(c.dim, width=1)
        pen.setCosmetic(True)
        for t in (self.made, *(t for row in self._rows for t in row)):
            t.frame.setPen(pen)

    # ------------------------------------------------------------------ export
    def data_table(self) -> tuple[list[str], list[list[Cell]]]:
        """One row per shown example (top, then bottom) and one for the made input."""
        header = ["node", "unit", "kind", "rank", "example", "label", "activation"]
        rows: list[list[Cell]] = []
        ex = self._examples
        if ex is not None:
            for kind, indices, labels, values in (("top", ex.top_indices, ex.top_labels, ex.top_values),
                                                  ("bottom", ex.bottom_indices, ex.bottom_labels, ex.bottom_values)):
                rows += [[ex.node_id, ex.unit, kind, rank, int(i), _label_cell(y), float(v)]
                         for rank, (i, y, v) in enumerate(zip(indices, labels, values))]
        if self._made is not None:
            rows.append([self._made.node_id, self._made.unit, "made", 0, "", "", self._made.activation])
        return header, rows
