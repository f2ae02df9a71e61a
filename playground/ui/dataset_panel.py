"""The dataset panel: choose a built-in dataset or import a file, set its options, preview it.

Options are built from the registry entry's ``Param`` schema; a plane dataset adds tiles for
the input features the network sees (``FeaturePicker``). Every change is reported as
``datasetEdited(spec, field)`` and becomes an undoable project edit in the controller; the
panel then follows the document (so undo updates it too). Data loads in the document's
background loader; the panel shows a busy bar meanwhile and the loader's error text,
never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtGui import QAction, QFont, QPaintEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QStackedWidget,
    QStyle,
    QStyleOptionToolButton,
    QStylePainter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from playground.core.datasets import REGISTRY, DatasetEntry, resolve_dataset_spec
from playground.core.datasets.downloads import IGNORED
from playground.core.params import Param
from playground.core.plane_features import DEFAULT_FEATURES
from playground.core.shapes import format_shape
from playground.ui.dataset_preview import (
    ImageGridPreview,
    MemoryPreview,
    ScatterPreview,
    TablePreview,
    TextPreview,
    WavePreview,
)
from playground.ui.document import ProjectDocument
from playground.ui.feature_picker import FeaturePicker
from playground.ui.param_form import ParamForm, discard
from playground.ui.theme import CanvasColors, set_text_color

GROUP_TITLES = {"2-D": "2-D points", "1-D": "1-D curves", "images": "Images", "sequences": "Sequences",
                "files": "From files", "downloads": "Downloads"}
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1

#: How each importer's files are chosen: (dialog title, name filter, pick a folder).
FILE_KINDS: dict[str, tuple[str, str, bool]] = {
    "csv": ("Import a CSV table", "CSV tables (*.csv *.tsv *.txt);;All files (*)", False),
    "npz": ("Import NumPy arrays", "NumPy archives (*.npz);;All files (*)", False),
    "idx": ("Choose an IDX file", "IDX files (*-ubyte *-ubyte.gz *.idx *.idx.gz *.gz);;All files (*)", False),
    "image_folder": ("Choose a folder with one sub-folder per class", "", True),
    "text": ("Choose a UTF-8 text file", "Text files (*.txt *.md);;All files (*)", False),
}

#: ``chooser(title, name_filter, folder)`` -> a path or None; the main window supplies a file dialog.
Chooser = Callable[[str, str, bool], "str | None"]


class MenuButton(QToolButton):
    """A tool button that opens its menu, drawn without the style's own menu arrow (its text
    ends in one). The arrow used to be hidden with a style sheet, which fixed the button's
    palette when polished: after a switch to the dark theme it stayed white with black text."""

    def paintEvent(self, event: QPaintEvent) -> None:
        option = QStyleOptionToolButton()
        self.initStyleOption(option)
        option.features &= ~QStyleOptionToolButton.ToolButtonFeature.HasMenu
        painter = QStylePainter(self)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ToolButton, option)


class DatasetPanel(QWidget):
    """Dataset picker, options form, status and preview."""

    datasetEdited = Signal(object, str)

    def __init__(self, document: ProjectDocument, colors: CanvasColors, chooser: Chooser,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document, self.colors, self.chooser = document, colors, chooser
        self.form: ParamForm | None = None
        self.form_entry: str | None = None

        self.combo = QComboBox()
        self.combo.setToolTip("The data the network learns from")
        # as narrow as a short name needs (not the longest entry): the panel fits a small screen
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(10)
        self._fill_combo()
        self.import_button = MenuButton()
        self.import_button.setText("Import ▾")
        self.import_button.setToolTip("Import data from a file or folder")
        self.import_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.import_button)
        for name in FILE_KINDS:
            entry = REGISTRY.get(name)
            if entry is not None:
                action = QAction(f"{entry.title}…", menu)
                action.setToolTip(entry.help)
                action.triggered.connect(lambda _=False, n=name: self.import_file(n))
                menu.addAction(action)
        self.import_button.setMenu(menu)
        top = QHBoxLayout()
        top.addWidget(self.combo, 1)
        top.addWidget(self.import_button)

        self.help = QLabel()
        self.help.setWordWrap(True)
        small = QFont(self.help.font())
        small.setPointSizeF(small.pointSizeF() - 0.5)
        self.help.setFont(small)
        self.form_host = QVBoxLayout()
        self.features = FeaturePicker(colors)
        self.features.hide()
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumHeight(6)
        self.busy.setTextVisible(False)
        self.busy.hide()
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()

        #: made with the first 2-D dataset (pyqtgraph loads after the window's first paint)
        self.scatter: ScatterPreview | None = None
        self.images = ImageGridPreview()
        self.text = TextPreview()
        self.symbols = MemoryPreview()
        self.waves = WavePreview()
        self.table = TablePreview()
        self.placeholder = QLabel("No preview")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview = QStackedWidget()
        for w in (self.placeholder, self.images, self.text, self.symbols, self.waves, self.table):
            self.preview.addWidget(w)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.help)
        layout.addLayout(self.form_host)
        layout.addWidget(self.features)
        layout.addWidget(self.busy)
        layout.addWidget(self.info)
        layout.addWidget(self.error)
        layout.addWidget(self.preview, 1)

        self.combo.currentIndexChanged.connect(self._on_combo)
        document.datasetChanged.connect(self.refresh)
        document.projectReset.connect(self.refresh)
        document.datasetStateChanged.connect(self.refresh_state)
        document.loader.busyChanged.connect(self._on_busy)
        self.features.featuresChanged.connect(self._on_features)
        self.set_colors(colors)
        self.refresh()

    # ------------------------------------------------------------------ widgets from the registry
    def _fill_combo(self) -> None:
        model = self.combo.model()
        for group, title in GROUP_TITLES.items():
            entries = [e for e in REGISTRY.values() if e.group == group]
            if not entries:
                continue
            self.combo.addItem(title.upper())
            header = model.item(self.combo.count() - 1)  # type: ignore[attr-defined]
            header.setEnabled(False)
            font = QFont(self.combo.font())
            font.setBold(True)
            font.setPointSizeF(font.pointSizeF() - 1)
            header.setFont(font)
            for entry in entries:
                self.combo.addItem(f"   {entry.title}", entry.name)
                self.combo.setItemData(self.combo.count() - 1, entry.help, Qt.ItemDataRole.ToolTipRole)

    def set_colors(self, colors: CanvasColors) -> None:
        self.colors = colors
        set_text_color(self.error, colors.error)
        set_text_color(self.info)
        self.features.set_colors(colors)
        if self.scatter is not None:
            self.scatter.set_colors(colors)
        for painted in (self.images, self.text, self.symbols, self.waves):
            painted.set_colors(colors)

    def _entry(self) -> DatasetEntry | None:
        return REGISTRY.get(self.document.project.dataset.get("name", ""))

    # ------------------------------------------------------------------ following the document
    @Slot()
    def refresh(self) -> None:
        spec = self.document.project.dataset
        entry = self._entry()
        with QSignalBlocker(self.combo):
            self.combo.setCurrentIndex(self.combo.findData(spec.get("name")))
        _, params, _ = resolve_dataset_spec(spec, self.document.project.load_context())
        if entry is None or entry.name != self.form_entry:
            if self.form is not None:
                discard(self.form)
                self.form = None
            self.form_entry = entry.name if entry else None
            self.help.setText(entry.help if entry else "")
            shown = _settable(entry)
            if shown:
                self.form = ParamForm(shown, {**{p.name: p.default for p in shown}, **params},
                                      browse=self._browse, show_help=False)
                self.form.valueChanged.connect(self._on_value)
                self.form_host.addWidget(self.form)
        elif self.form is not None:
            self.form.set_values(params)
        self.features.setVisible(bool(entry and entry.takes_features))
        self.features.set_features(params.get("features", DEFAULT_FEATURES))
        self.refresh_state()

    @Slot()
    def refresh_state(self) -> None:
        doc = self.document
        self.busy.setVisible(doc.loader.busy)
        self.error.setText(f"⚠ {doc.dataset_error}" if doc.dataset_error else "")
        self.error.setVisible(bool(doc.dataset_error))
        meta, data = doc.meta, doc.dataset
        if meta is None:
            self.info.setText("Loading…" if doc.loader.busy and not doc.dataset_error else "")
        else:
            target = (f"{meta.target_size} classes" if meta.target_kind == "classification"
                      else f"regression, {meta.target_size} target{'s' if meta.target_size != 1 else ''}")
            counts = (f" · {len(data.train):,} train / {len(data.val):,} val / {len(data.test):,} test"
                      if data is not None else "")
            seen = f" (the network sees {meta.input_shape[0]} features)" if meta.features else ""
            if meta.is_tokens:
                seen = f" token ids of {len(meta.vocab)} symbols"
            if meta.per_step_targets:
                target += " at every step"
            self.info.setText(f"input {format_shape(meta.raw_shape)}{seen} → {target}{counts}")
        if data is None:
            self.placeholder.setText("Loading…" if doc.loader.busy and not doc.dataset_error else "No preview")
            self.preview.setCurrentWidget(self.placeholder)
        elif data.meta.is_image:
            self.images.show_dataset(data)
            self.preview.setCurrentWidget(self.images)
        elif data.meta.is_tokens:  # a text predicted at every step, or the memory task's one answer
            shown = self.text if data.meta.per_step_targets else self.symbols
            shown.show_dataset(data)
            self.preview.setCurrentWidget(shown)
        elif data.meta.is_sequence:
            self.waves.show_dataset(data)
            self.preview.setCurrentWidget(self.waves)
        elif data.meta.is_plane or data.meta.is_curve:
            if self.scatter is None:
                self.scatter = ScatterPreview()
                self.scatter.set_colors(self.colors)
                self.preview.addWidget(self.scatter)
            self.scatter.show_dataset(data)
            self.preview.setCurrentWidget(self.scatter)
            if data.meta.is_plane:  # a curve has one input: no plane to map features over
                self.features.show_plane(data.train.x.numpy())
        else:
            self.table.show_dataset(data)
            self.preview.setCurrentWidget(self.table)

    @Slot(bool)
    def _on_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)

    # ------------------------------------------------------------------ user edits
    @Slot(int)
    def _on_combo(self, index: int) -> None:
        name = self.combo.itemData(index)
        entry = REGISTRY.get(name) if name else None
        if entry is None or name == self.document.project.dataset.get("name"):
            return
        old = self.document.project.dataset
        # a setting carries over where the new dataset has it and allows its value (a text's
        # seq_len of 500 is too long for memory, which then starts from its default)
        keep = {p.name for p in _settable(entry)
                if p.kind != "path" and p.name in old and p.check(old[p.name])[1] is None}
        if entry.takes_features:  # the chosen features carry over from one plane to another
            keep.add("features")
        spec = {"name": name, **{k: v for k, v in old.items() if k in keep}}
        self.datasetEdited.emit(spec, "name")

    @Slot(str, object)
    def _on_value(self, name: str, value: Any) -> None:
        entry = self._entry()
        if entry is None:
            return
        spec = dict(self.document.project.dataset)
        param = next(p for p in entry.params if p.name == name)
        if param.nullable and value == "":  # an optional file field cleared: not set
            value = None
        if value == param.default:
            spec.pop(name, None)
        else:
            spec[name] = value
        self.datasetEdited.emit(spec, name)

    @Slot(object)
    def _on_features(self, features: tuple[str, ...]) -> None:
        spec = dict(self.document.project.dataset)
        if features == DEFAULT_FEATURES:
            spec.pop("features", None)
        else:
            spec["features"] = list(features)
        self.datasetEdited.emit(spec, "features")

    def _portable(self, path: str) -> str:
        """Paths inside the project's folder are stored relative to it, so the folder can move."""
        base = self.document.project.path
        if base is not None:
            try:
                return Path(path).resolve().relative_to(base.parent.resolve()).as_posix()
            except ValueError:
                pass
        return path

    def _browse(self, param: Param) -> str | None:
        title, name_filter, folder = FILE_KINDS.get(self.form_entry or "", ("Choose a file", "All files (*)", False))
        chosen = self.chooser(f"{title}: {param.title.lower()}", name_filter, folder)
        return self._portable(chosen) if chosen else None

    def import_file(self, name: str) -> None:
        """Ask for the files of importer ``name`` and switch the project's dataset to them."""
        entry = REGISTRY[name]
        title, name_filter, folder = FILE_KINDS[name]
        spec: dict[str, Any] = {"name": name}
        for key in entry.path_params:
            label = next(p.title for p in entry.params if p.name == key)
            chosen = self.chooser(f"{title}: {label.lower()}" if len(entry.path_params) > 1 else title,
                                  name_filter, folder)
            if not chosen:
                return
            spec[key] = self._portable(chosen)
        self.datasetEdited.emit(spec, "name")


def _settable(entry: DatasetEntry | None) -> tuple[Param, ...]:
    """The parameters the panel offers: not those this version ignores (an older file's
    ``mirror``/``cache_dir``: a project does not choose where the app connects or writes)."""
    return tuple(p for p in entry.params if not p.extra.get(IGNORED)) if entry is not None else ()
