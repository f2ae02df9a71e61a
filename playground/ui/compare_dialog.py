"""File > Compare Runs…: the project trained once per value of one or more settings (× seeds),
one run after another off the GUI thread, with overlaid curves, a results table and exports.

The dialog only collects the choices and shows what comes back: planning, checking, training
and the summary are ``playground.core.compare`` (what ``playground compare`` runs), on the
background thread of ``compare_job.CompareJob``, which delivers at most 30 batches of events a
second. The runs land in one folder under the user's runs folder, ``<project>-compare-<date>-<time>``,
one ordinary run folder per variant (File > Open Run opens any of them, as does a double
click on its row) beside ``summary.csv``; window-run pruning leaves such folders alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, Slot
from PySide6.QtGui import QColor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from playground.core.compare import (
    METRIC_COLUMNS,
    Variant,
    VariantResult,
    format_cell,
    parse_vary,
    show_setting,
    summary_csv,
)
from playground.core.layers import LAYER_TYPES, RECURRENT_TYPES
from playground.core.params import UserError
from playground.core.project import Project
from playground.core.run_dir import default_run_dir
from playground.core.training import Report
from playground.core.training_config import TRAINING_PARAMS
from playground.core.user_dirs import runs_dir
from playground.ui.compare_job import CompareJob
from playground.ui.plots.style import LayoutLegend, PlotColors, faded, style_legend, style_plot
from playground.ui.training.runs import run_stem

#: ``PathChooser(parent, title, suggested path, name filter)``: the file to write, or None.
PathChooser = Callable[[QWidget, str, str, str], str | None]
#: Settings varied together at most (each row multiplies the runs).
MAX_ROWS = 3
MAX_SEEDS = 20

#: The settings a lecture compares most, with values that show the effect; offered first.
PRESETS: tuple[tuple[str, str, str], ...] = (
    ("Learning rate", "training.lr", "0.001, 0.01, 0.1"),
    ("Optimiser", "training.optimizer", "sgd, momentum, adam"),
    ("Activation of every layer", "graph.*.activation", "sigmoid, tanh, relu"),
    ("Initialisation of every layer", "graph.*.init", "normal, xavier_uniform, he_normal"),
    ("Batch norm in every layer", "graph.*.batchnorm", "false, true"),
    ("Dropout of every layer", "graph.*.dropout", "0, 0.2, 0.5"),
    ("Weight decay (L2)", "training.weight_decay", "0, 0.0001, 0.01"),
    ("Batch size", "training.batch_size", "8, 32, 128"),
)
#: Training settings a comparison does not vary from the list (seeds and epochs have their own boxes).
NOT_LISTED = ("seed", "epochs", "device")
PLOT_TITLES = ("Loss (solid: validation, dashed: training)", "Accuracy (solid: validation, dashed: training)",
               "Gradient norm by layer, last epoch")
#: The third plot's title for recurrent networks, whose runs it compares through time instead.
THROUGH_TIME_TITLE = "Gradient through time ({node}), last epoch"
#: Table and plot titles of the summary's metric columns.
COLUMN_TITLES = {"final_train_loss": "train loss", "final_val_loss": "val loss", "final_train_acc": "train acc",
                 "final_val_acc": "val acc", "test_loss": "test loss", "test_acc": "test acc",
                 "epochs": "epochs", "seconds": "seconds"}


@dataclass(frozen=True)
class SettingChoice:
    """One entry of the setting list: what it says, the PATH it varies, the values it suggests."""

    label: str
    path: str
    values: str


def setting_choices(project: Project) -> list[SettingChoice]:
    """The kind of each recurrent layer (the lecture's RNN vs LSTM vs GRU), the presets this
    project can take (a ``graph.*`` preset needs a node with that parameter), then every other
    training setting and every node parameter, suggesting its current value."""
    graph_params = {p.name for n in project.graph.nodes.values() if n.type in LAYER_TYPES
                    for p in LAYER_TYPES[n.type].params}
    choices = [SettingChoice(label, path, values) for label, path, values in PRESETS
               if not path.startswith("graph.*.") or path.rsplit(".", 1)[1] in graph_params]
    kinds = ", ".join(RECURRENT_TYPES)
    choices[:0] = [SettingChoice(f"Kind of {n.label} ({kinds})", f"graph.{n.id}.type", kinds)
                   for n in project.graph.nodes.values() if n.type in RECURRENT_TYPES]
    preset_paths = {c.path for c in choices}
    config = project.train_config().to_dict()
    for param in TRAINING_PARAMS:
        path = f"training.{param.name}"
        if param.name not in NOT_LISTED and path not in preset_paths:
            choices.append(SettingChoice(f"Training: {param.title}", path, show_setting(config[param.name])))
    for node in project.graph.nodes.values():
        layer = LAYER_TYPES.get(node.type)
        resolved = node.resolved_params()
        for param in layer.params if layer else ():
            choices.append(SettingChoice(f"{node.label}: {param.title}", f"graph.{node.id}.{param.name}",
                                         show_setting(resolved.get(param.name))))
    return choices


#: The report fields drawn, in the order of a variant's curve items (loss plot, then accuracy plot).
SERIES = ("val_loss", "train_loss", "val_acc", "train_acc")


@dataclass
class _Curves:
    """One variant's epoch-end metrics as they arrive, and its latest gradient norms."""

    epochs: list[float] = field(default_factory=list)
    series: dict[str, list[float]] = field(default_factory=lambda: {key: [] for key in SERIES})
    grad_norm: dict[str, float] = field(default_factory=dict)
    #: The latest gradient norms through time of the compared recurrent node, when there is one.
    time_grad: list[float] = field(default_factory=list)


# --------------------------------------------------------------------------- the dialog

class _SettingRow(QWidget):
    """One varied setting: which (a list, or a PATH typed in) and its values."""

    def __init__(self, choices: Sequence[SettingChoice], index: int, on_change: Callable[[], None],
                 on_remove: Callable[[_SettingRow], None]) -> None:
        super().__init__()
        self.choices = list(choices)
        self.setting = QComboBox()
        self.setting.setEditable(True)
        self.setting.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setting.setToolTip("The setting to vary: pick one, or type a PATH as 'playground compare --vary' "
                                "takes it (training.FIELD, dataset.FIELD, graph.NODE_ID.PARAM, graph.*.PARAM)")
        for choice in self.choices:
            self.setting.addItem(f"{choice.label}  ({choice.path})", choice.path)
        presets = {(label, path) for label, path, _ in PRESETS}
        self.setting.insertSeparator(sum(1 for c in self.choices if (c.label, c.path) in presets))
        self.values = QLineEdit()
        self.values.setToolTip("Values separated by commas: numbers, true/false, null, names such as relu; "
                               "a JSON object or list in its brackets")
        self.values.setPlaceholderText("values, separated by commas")
        self.remove = QToolButton()
        self.remove.setText("✕")
        self.remove.setToolTip("Do not vary this setting")
        self.remove.clicked.connect(lambda: on_remove(self))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.setting, 3)
        layout.addWidget(self.values, 2)
        layout.addWidget(self.remove)
        self.setting.currentIndexChanged.connect(self._suggest)
        self.setting.editTextChanged.connect(lambda _t: on_change())
        self.values.textChanged.connect(lambda _t: on_change())
        self.setting.setCurrentIndex(self.setting.findData(self.choices[min(index, len(self.choices) - 1)].path))
        self._suggest()

    @Slot()
    def _suggest(self) -> None:
        path = self.setting.currentData()
        for choice in self.choices:
            if choice.path == path:
                self.values.setText(choice.values)

    @property
    def path(self) -> str:
        """The chosen entry's PATH, or the text typed in as a PATH."""
        text = self.setting.currentText()
        index = self.setting.currentIndex()
        return self.setting.itemData(index) if index >= 0 and self.setting.itemText(index) == text else text.strip()

    def vary_text(self) -> str:
        return f"{self.path}={self.values.text()}"


class CompareDialog(QDialog):
    """Choose settings and values, run them one after another, see the curves and the table.

    ``choose_path`` asks where to save a PNG or CSV (tests answer it); ``open_run(folder)``
    opens a variant's run folder in the window (File > Open Run); ``root`` is where the
    comparison folder is made (default: the user's runs folder). Closing while it runs stops
    the comparison and waits for the current step.
    """

    def __init__(self, project: Project, *, choose_path: PathChooser,
                 open_run: Callable[[Path], object] | None = None, root: Path | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Compare Runs: {project.name}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.project = project.copy()
        self.choose_path = choose_path
        self.open_run = open_run
        self.root = root
        self.job: CompareJob | None = None
        self.variants: list[Variant] = []
        self.results: list[VariantResult] = []
        self.out_dir: Path | None = None
        self._curves: dict[int, _Curves] = {}
        self._items: dict[int, list[pg.PlotDataItem]] = {}
        self.colors = PlotColors.of(self)
        self._choices = setting_choices(self.project)
        #: The recurrent node whose gradient through time the third plot compares (the one
        #: nearest the Output: the last to be reached by backpropagation), or None.
        self.through_time = next((n.id for n in reversed(self.project.graph.nodes.values())
                                  if n.type in RECURRENT_TYPES), None)
        self._ok = False  # whether the rows parse (Run is offered only then)
        self._active = False

        self.rows_box = QVBoxLayout()
        self.rows: list[_SettingRow] = []
        self.add_button = QPushButton("Add Setting")
        self.add_button.setToolTip(f"Vary another setting too: every combination runs (at most {MAX_ROWS})")
        self.add_button.clicked.connect(self.add_row)
        self.seeds = QSpinBox()
        self.seeds.setRange(1, MAX_SEEDS)
        self.seeds.setToolTip("Train each setting this many times, with seeds counting up from the project's: "
                              "shows how much of a difference is chance")
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 100_000)
        self.epochs.setValue(self.project.train_config().epochs)
        self.epochs.setToolTip("Epochs of every run (the project's by default)")
        self.plan = QLabel()
        self.plan.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Vary:", self.rows_box)
        numbers = QHBoxLayout()
        numbers.addWidget(self.add_button)
        numbers.addStretch(1)
        numbers.addWidget(QLabel("Seeds:"))
        numbers.addWidget(self.seeds)
        numbers.addWidget(QLabel("Epochs:"))
        numbers.addWidget(self.epochs)
        form.addRow("", numbers)
        form.addRow("", self.plan)

        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(8)
        self.stage = QLabel("Choose what to vary, then Run (Ctrl+Return).")
        self.stage.setWordWrap(True)
        self.stage.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setMinimumHeight(260)
        # the legend is a row of its own above the plots: over the loss plot it hid the curves' start
        self.legend = LayoutLegend(labelTextSize="9pt", horSpacing=12)
        self.plots.addItem(self.legend, row=0, col=0, colspan=3)
        self.loss_plot = self.plots.addPlot(row=1, col=0)
        self.acc_plot = self.plots.addPlot(row=1, col=1)
        self.grad_plot = self.plots.addPlot(row=1, col=2)
        self.loss_plot.setLabel("bottom", "epoch")
        self.acc_plot.setLabel("bottom", "epoch")
        self.grad_plot.setLogMode(y=True)
        if self.through_time is not None:
            self.grad_plot.setLabel("bottom", "time step")
        self.grad_plot.getViewBox().setDefaultPadding(0.06)  # room for the last layer's tick label
        self.table = QTableWidget(0, 0)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setToolTip("One row per run; double-click a row to open its run in the window")
        self.table.cellDoubleClicked.connect(lambda row, _col: self.open_selected(row))
        self.table.itemSelectionChanged.connect(self._update_buttons)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.plots)
        split.addWidget(self.table)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        role = QDialogButtonBox.ButtonRole.ActionRole
        self.run_button = self.buttons.addButton("Run", role)
        self.run_button.setShortcut(QKeySequence("Ctrl+Return"))
        self.run_button.setToolTip("Train every variant, one after another (Ctrl+Return)")
        self.run_button.clicked.connect(self.start)
        self.stop_button = self.buttons.addButton("Stop", role)
        self.stop_button.setShortcut(QKeySequence("Shift+F5"))
        self.stop_button.setToolTip("Stop the run in progress after its current step; no other starts (Shift+F5)")
        self.stop_button.clicked.connect(self.stop)
        self.png_button = self.buttons.addButton("Save PNG…", role)
        self.png_button.setToolTip("Save the curves as a PNG image")
        self.png_button.clicked.connect(self.export_png)
        self.csv_button = self.buttons.addButton("Save CSV…", role)
        self.csv_button.setToolTip("Save the results table as CSV (summary.csv, as 'playground compare' writes)")
        self.csv_button.clicked.connect(self.export_csv)
        self.open_button = self.buttons.addButton("Open Run", role)
        self.open_button.setToolTip("Open the selected row's run in the window: its project, weights and curves")
        self.open_button.clicked.connect(lambda: self.open_selected(self.table.currentRow()))
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.stage)
        layout.addWidget(split, 1)
        layout.addWidget(self.buttons)
        self.resize(1100, 760)
        self.add_row()
        self.seeds.valueChanged.connect(self._update_plan)
        self._restyle()
        self._update_buttons()

    # ---- choosing
    def add_row(self) -> _SettingRow | None:
        """Vary one more setting (the next preset by default)."""
        if len(self.rows) >= MAX_ROWS:
            return None
        row = _SettingRow(self._choices, len(self.rows), self._update_plan, self._remove_row)
        self.rows.append(row)
        self.rows_box.addWidget(row)
        self._update_plan()
        return row

    def _remove_row(self, row: _SettingRow) -> None:
        if len(self.rows) > 1:
            self.rows.remove(row)
            row.deleteLater()
            self._update_plan()

    def _varies(self) -> list[Any]:
        """The rows as parsed ``--vary`` values; ``UserError`` for one that is not."""
        return [parse_vary(row.vary_text()) for row in self.rows]

    @Slot()
    def _update_plan(self) -> None:
        """How many runs the choice makes, or what is wrong with it (checked in full on Run)."""
        try:
            varies = self._varies()
        except UserError as exc:
            self.plan.setText(str(exc))
            self._ok = False
        else:
            counts = [len(v.values) for v in varies] + ([self.seeds.value()] if self.seeds.value() > 1 else [])
            runs = math.prod(counts)
            self.plan.setText(f"{runs} run{'s' if runs != 1 else ''}" + (f": {' × '.join(map(str, counts))}"
                                                                       if len(counts) > 1 else ""))
            self._ok = True
        self._update_buttons()

    # ---- running
    @property
    def running(self) -> bool:
        """From Run until the job's end has reached the dialog (its thread may end a moment before)."""
        return self._active

    def start(self) -> bool:
        """Run the comparison chosen; False when it cannot start (the reason is shown)."""
        if self.running:
            return False
        try:
            varies = self._varies()
        except UserError as exc:
            self.stage.setText(str(exc))
            return False
        root = self.root or runs_dir()
        self.out_dir = default_run_dir(f"{run_stem(self.project)}-compare.json", root)
        self._clear()
        seeds = self.seeds.value() if self.seeds.value() > 1 else None
        self.job = job = CompareJob(self.project, varies, seeds, self.epochs.value(), self.out_dir, self)
        job.planned.connect(self._on_planned)
        job.progressed.connect(self._on_progress)
        job.epoch.connect(self._on_epoch)
        job.variantEnded.connect(self._on_variant_ended)
        job.failed.connect(self._on_failed)
        job.ended.connect(self._on_ended)
        self.stage.setText("Checking every variant…")
        self._active = True
        job.start()
        self._update_buttons()
        return True

    def stop(self) -> None:
        if self.job is not None:
            self.job.stop()
            self.stage.setText("Stopping after the current step…")

    def _clear(self) -> None:
        self.variants, self.results = [], []
        self._curves.clear()
        self._items.clear()
        for plot in (self.loss_plot, self.acc_plot, self.grad_plot):
            plot.clear()
        self.legend.clear()
        self.table.setRowCount(0)
        self.progress.setValue(0)

    @Slot(list)
    def _on_planned(self, variants: list[Variant]) -> None:
        self.variants = variants
        paths = [p for p, _ in variants[0].settings]
        self.table.setColumnCount(len(paths) + len(METRIC_COLUMNS) + 2)
        self.table.setHorizontalHeaderLabels(["#", *paths, *(COLUMN_TITLES[c] for c in METRIC_COLUMNS), "status"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        for variant in variants:
            self._curves[variant.index] = _Curves()
            self._items[variant.index] = self._make_items(variant)

    def _make_items(self, variant: Variant) -> list[pg.PlotDataItem]:
        """The variant's curves: validation solid (named in the legend), training dashed, and
        its gradient profile, all in its colour."""
        items = [self.loss_plot.plot(), self.loss_plot.plot(), self.acc_plot.plot(), self.acc_plot.plot(),
                 self.grad_plot.plot()]
        self._pen(variant.index, items)
        self.legend.addItem(items[0], variant.label)
        self.legend.fit_width(self.plots.width() - 20)
        return items

    def _pen(self, index: int, items: Sequence[pg.PlotDataItem]) -> None:
        color = self.colors.series(index - 1)
        solid = pg.mkPen(color, width=2)
        dashed = pg.mkPen(faded(color, 0.8), width=1.5, style=Qt.PenStyle.DashLine)
        for item, pen in zip(items, (solid, dashed, solid, dashed, solid)):
            item.setPen(pen)
        items[4].setSymbol(None if self.through_time is not None else "o")
        items[4].setSymbolSize(6)
        items[4].setSymbolBrush(pg.mkBrush(color))
        items[4].setSymbolPen(pg.mkPen(color))

    @Slot(int, float)
    def _on_progress(self, index: int, fraction: float) -> None:
        total = max(len(self.variants), 1)
        self.progress.setValue(int(1000 * (index - 1 + min(fraction, 1.0)) / total))
        variant = self.variants[index - 1] if 0 < index <= len(self.variants) else None
        if variant is not None and not (self.job and self.job.comparison and self.job.comparison.stopped):
            self.stage.setText(f"Run {index} of {total}: {variant.label} ({fraction:.0%})")

    @Slot(int, object)
    def _on_epoch(self, index: int, report: Report) -> None:
        curves = self._curves.get(index)
        if curves is None:
            return
        curves.epochs.append(report.epoch)
        for key, values in curves.series.items():
            value = getattr(report, key)
            values.append(value if value is not None and math.isfinite(value) else math.nan)
        curves.grad_norm = dict(report.grad_norm)
        if self.through_time in report.time_grad:
            curves.time_grad = list(report.time_grad[self.through_time])
        self._draw(index)

    def _draw(self, index: int) -> None:
        curves, items = self._curves[index], self._items[index]
        x = curves.epochs
        for item, key in zip(items, SERIES):
            item.setData(x, curves.series[key], connect="finite")
        profile = curves.time_grad if self.through_time is not None else list(curves.grad_norm.values())
        norms = [(i, v) for i, v in enumerate(profile) if math.isfinite(v) and v > 0]
        items[4].setData([i for i, _ in norms], [v for _, v in norms])
        if curves.grad_norm and self.through_time is None:
            ticks = [list(enumerate(curves.grad_norm))]
            self.grad_plot.getAxis("bottom").setTicks(ticks)

    @Slot(object)
    def _on_variant_ended(self, result: VariantResult) -> None:
        self.results.append(result)
        variant = result.variant
        row = self.table.rowCount()
        self.table.insertRow(row)
        index_item = QTableWidgetItem(str(variant.index))
        index_item.setData(Qt.ItemDataRole.DecorationRole, self.colors.series(variant.index - 1))
        index_item.setToolTip(str(result.run_dir))
        cells = [index_item, *(QTableWidgetItem(show_setting(v)) for _, v in variant.settings),
                 *(QTableWidgetItem(format_cell(c, result.metrics[c])) for c in METRIC_COLUMNS),
                 QTableWidgetItem(result.status.replace("_", " "))]
        if result.status in ("diverged", "failed"):
            cells[-1].setForeground(self.colors.error)
            cells[-1].setToolTip(result.message)
        for column, item in enumerate(cells):
            self.table.setItem(row, column, item)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.stage.setText(message)

    @Slot(bool)
    def _on_ended(self, stopped: bool) -> None:
        self._active = False
        done = len(self.results)
        if self.variants:
            self.progress.setValue(1000 if not stopped else self.progress.value())
            what = f"Stopped: {done} of {len(self.variants)} runs" if stopped else f"Done: {done} runs"
            self.stage.setText(f"{what} in {self.out_dir} (summary.csv, one run folder each; double-click a row to "
                               "open its run)")
        self._update_buttons()

    # ---- results
    def export_png(self) -> bool:
        """Save the three plots, with their legend, as a PNG."""
        path = self.choose_path(self, "Save comparison as PNG", str(self._suggested(".png")), "PNG images (*.png)")
        if not path:
            return False
        if not self.plots.grab().save(path, "PNG"):
            self.stage.setText(f"{path}: could not be written")
            return False
        self.stage.setText(f"Saved {path}")
        return True

    def export_csv(self) -> bool:
        """Save the results table as ``summary.csv`` has it."""
        path = self.choose_path(self, "Save results as CSV", str(self._suggested(".csv")), "CSV files (*.csv)")
        if not path:
            return False
        try:
            Path(path).write_text(summary_csv(self.variants, self.results), encoding="utf-8")
        except OSError as exc:
            self.stage.setText(f"{path}: could not be written ({exc.strerror or exc})")
            return False
        self.stage.setText(f"Saved {path}")
        return True

    def _suggested(self, suffix: str) -> Path:
        folder = self.out_dir or self.root or runs_dir()
        return folder / f"{folder.name}{suffix}"

    def open_selected(self, row: int) -> None:
        """Open the run of table row ``row`` in the window."""
        if self.open_run is not None and 0 <= row < len(self.results):
            self.open_run(self.results[row].run_dir)

    @Slot()
    def _update_buttons(self) -> None:
        running = self.running
        self.run_button.setEnabled(not running and self._ok)
        self.stop_button.setEnabled(running)
        for widget in (self.add_button, self.seeds, self.epochs, *self.rows):
            widget.setEnabled(not running)
        self.add_button.setEnabled(not running and len(self.rows) < MAX_ROWS)
        has_results = bool(self.results)
        self.png_button.setEnabled(has_results)
        self.csv_button.setEnabled(has_results)
        self.open_button.setEnabled(self.open_run is not None and not running and 0 <= self.table.currentRow()
                                    < len(self.results))

    # ---- appearance and closing
    def _restyle(self) -> None:
        self.colors = PlotColors.of(self)
        self.plots.setBackground(self.colors.background)
        titles = (*PLOT_TITLES[:2], THROUGH_TIME_TITLE.format(node=self.through_time)
                  if self.through_time is not None else PLOT_TITLES[2])
        for plot, title in zip((self.loss_plot, self.acc_plot, self.grad_plot), titles):
            plot.setTitle(title, color=self.colors.hex())
            style_plot(plot, self.colors)
        style_legend(self.legend, self.colors)
        for index, items in self._items.items():
            self._pen(index, items)
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and row < len(self.results):
                item.setData(Qt.ItemDataRole.DecorationRole, self.colors.series(self.results[row].variant.index - 1))
            status = self.table.item(row, self.table.columnCount() - 1)
            if status is not None and status.text() in ("diverged", "failed"):
                status.setForeground(QColor(self.colors.error))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt API)
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._restyle()

    def done(self, result: int) -> None:
        """Closing stops the comparison and waits for its thread: none outlives the dialog."""
        if self.job is not None:
            self.job.shutdown()
        super().done(result)
