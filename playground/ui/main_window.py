"""The main window: canvas in the centre, docks around it, menus and actions, file handling,
autosave and crash recovery.

Everything a person is asked (save changes? restore? which file?) goes through ``Prompts``,
so tests answer the questions by replacing it. Project files are read and written by core
(``load_project``, ``save_project``); the window only decides when. Each window autosaves to
its own recovery file (``recovery.py``).

The window is built in two parts. The editor (canvas, palette, inspector, dataset panel,
menus) imports no torch and is on screen at once. The training side (the workspace with its
live views, Train and the other run actions, Export, Load Weights, Open Run) needs PyTorch:
the app imports it in the background (``loading.py``) and adds the workspace when that is
done; until then those actions are disabled and say why, and the status bar and the live
views' place say "Loading PyTorch…". Without a ``BackgroundImport`` (tests, screenshots,
benchmarks) the window imports it at once and is whole when constructed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QByteArray,
    QCoreApplication,
    QEvent,
    QObject,
    QSettings,
    QSize,
    Qt,
    QTimer,
    QUrl,
    Signal,
    Slot,
)
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QDesktopServices, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStyle,
    QToolBar,
    QUndoView,
    QWidget,
)

from playground.core.examples import by_topic, example_for_path, examples_dir, shipped_examples
from playground.core.graph import Graph
from playground.core.params import UserError
from playground.core.project import (
    Project,
    ProjectError,
    file_stem,
    load_project,
    new_project,
    save_project,
)
from playground.core.user_dirs import runs_dir
from playground.ui.background import run_off_gui_thread
from playground.ui.dataset_panel import DatasetPanel
from playground.ui.document import ProjectDocument
from playground.ui.editor.controller import EditorController
from playground.ui.editor.icons import action_icon, app_icon
from playground.ui.editor.inspector import InspectorWidget
from playground.ui.editor.palette import PaletteWidget
from playground.ui.editor.scene import GraphScene
from playground.ui.editor.view import CanvasView
from playground.ui.example_note import ExampleNoteDock
from playground.ui.help import (
    MarkdownDialog,
    ShortcutsDialog,
    about_html,
    lecture_notes_candidates,
    lecture_notes_path,
    lock_pixmap,
)
from playground.ui.loading import BackgroundImport, process_age
from playground.ui.recovery import RecoveryFile, find_orphans
from playground.ui.scrolling import scrolling
from playground.ui.settings import APPLICATION, app_settings, inside_app, remember_folder, start_folder
from playground.ui.theme import ThemeManager

if TYPE_CHECKING:
    from playground.ui.compare_dialog import CompareDialog
    from playground.ui.export_dialog import ExportDialog
    from playground.ui.plots.base import PlotView
    from playground.ui.training.workspace import TrainingWorkspace

log = logging.getLogger(__name__)

PROJECT_FILTER = "Playground projects (*.json);;All files (*)"
RECENT_LIMIT = 8
#: Settings key of the live views the saved layout hides because they did not apply to the data.
HIDDEN_FOR_DATA_KEY = "window/hiddenForData"
#: Idle time after the last change before the recovery file is written.
AUTOSAVE_DELAY_MS = 3000
STATUS_TIMEOUT_MS = 6000
#: What the actions that need PyTorch say while it loads in the background.
LOADING_NOTE = "Loading PyTorch… (available in a moment)"
#: Share of the window's height the live views get under the canvas (``TrainingWorkspace.arrange``),
#: kept for them while PyTorch loads so the canvas does not change size when they come.
LIVE_VIEWS_SHARE = 0.4
#: The window's size on first start, and what is kept free around it for the window manager's
#: title bar and borders when the screen is smaller.
DEFAULT_SIZE = (1440, 900)
FRAME_ALLOWANCE = (16, 48)

Shortcut = str | QKeySequence.StandardKey
Shortcuts = Shortcut | Sequence[Shortcut]


class Prompts:
    """The questions and dialogs of the window. Tests replace methods to answer them."""

    def ask_save_changes(self, parent: QWidget, name: str) -> str:
        """'save', 'discard' or 'cancel'."""
        box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved changes",
                          f"Save the changes to “{name}” before closing it?",
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel, parent)
        box.setInformativeText("Your changes are lost if you don't save them.")
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        return {QMessageBox.StandardButton.Save: "save",
                QMessageBox.StandardButton.Discard: "discard"}.get(QMessageBox.StandardButton(answer), "cancel")

    def ask_restore(self, parent: QWidget, description: str) -> bool:
        answer = QMessageBox.question(
            parent, "Restore unsaved work?",
            f"The playground did not close properly last time. Restore the unsaved work?\n\n{description}",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
        return answer == QMessageBox.StandardButton.Yes

    def show_error(self, parent: QWidget, title: str, message: str) -> None:
        QMessageBox.warning(parent, title, message)

    def open_path(self, parent: QWidget, title: str, directory: str) -> str | None:
        path, _ = QFileDialog.getOpenFileName(parent, title, directory, PROJECT_FILTER)
        return path or None

    def save_path(self, parent: QWidget, title: str, directory: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(parent, title, directory, PROJECT_FILTER)
        return path or None

    def export_path(self, parent: QWidget, title: str, start: str, name_filter: str) -> str | None:
        """The file to export a model to (the export dialog's Browse…)."""
        path, _ = QFileDialog.getSaveFileName(parent, title, start, name_filter)
        return path or None

    def choose_path(self, parent: QWidget, title: str, name_filter: str, folder: bool,
                    directory: str = "") -> str | None:
        """A file (or with ``folder``, a folder) to read, the dialog starting in ``directory``."""
        if folder:
            return QFileDialog.getExistingDirectory(parent, title, directory) or None
        path, _ = QFileDialog.getOpenFileName(parent, title, directory, name_filter)
        return path or None


class MainWindow(QMainWindow):
    """The editor window. ``persist=False`` (screenshots) neither reads nor writes the saved
    layout, recent files or a recovery file. With ``background``, the training side is added
    once that import is done (it starts when the canvas is first painted); without, it is
    imported now. ``firstPainted`` is emitted once the canvas is on screen."""

    firstPainted = Signal()

    def __init__(self, theme: ThemeManager, project: Project | None = None, *, persist: bool = True,
                 prompts: Prompts | None = None, settings: QSettings | None = None,
                 background: BackgroundImport | None = None) -> None:
        super().__init__()
        self.theme = theme
        self.persist = persist
        self._closed = False
        #: the canvas has been on screen
        self.painted = False
        #: the person has answered "save changes?" for this close
        self._close_confirmed = False
        self.prompts = prompts or Prompts()
        self.settings = settings or app_settings()
        self.setObjectName("MainWindow")
        self.setWindowIcon(app_icon())
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks
                            | QMainWindow.DockOption.AllowNestedDocks)

        # launched with the background import, the dataset waits for the first paint too (it
        # imports PyTorch, and the two would share the GIL with the window being built)
        self.document = ProjectDocument(project, self, hold_loading=background is not None and not background.ready)
        self.scene = GraphScene(self.document, theme.colors, self)
        self.view = CanvasView(self.scene)
        self.setCentralWidget(self.view)
        self.controller = EditorController(self.document, self.scene, self)

        self.palette_widget = PaletteWidget()
        self.inspector = InspectorWidget(self.document, theme.colors)
        self.dataset_panel = DatasetPanel(self.document, theme.colors, self._choose_data_path)
        self.history = QUndoView(self.document.undo_stack)
        self.history.setEmptyLabel("<opened project>")
        self.palette_dock = self._dock("Layers", "paletteDock", self.palette_widget,
                                       Qt.DockWidgetArea.LeftDockWidgetArea)
        self.dataset_dock = self._dock("Dataset", "datasetDock", scrolling(self.dataset_panel),
                                       Qt.DockWidgetArea.LeftDockWidgetArea)
        self.inspector_dock = self._dock("Inspector", "inspectorDock", self.inspector,
                                         Qt.DockWidgetArea.RightDockWidgetArea)
        self.history_dock = self._dock("History", "historyDock", self.history, Qt.DockWidgetArea.RightDockWidgetArea)
        self.splitDockWidget(self.palette_dock, self.dataset_dock, Qt.Orientation.Vertical)
        self.tabifyDockWidget(self.inspector_dock, self.history_dock)
        self.inspector_dock.raise_()
        self.history_dock.hide()
        self.example_note = ExampleNoteDock(self, self.inspector_dock, self.scene, theme)

        self.zoom_label = QLabel("100 %")
        self.validity_label = QLabel()
        self.statusBar().addPermanentWidget(self.validity_label)
        self.statusBar().addPermanentWidget(self.zoom_label)

        self.autosave_timer = QTimer(self)
        self.autosave_timer.setSingleShot(True)
        self.autosave_timer.setInterval(AUTOSAVE_DELAY_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        #: this window's own recovery file (never another window's)
        self.recovery = RecoveryFile()

        self._create_actions()
        self._create_menus()
        self._run_active = False
        self.lock_indicator, self.lock_icon, self.lock_label = self._lock_indicator()
        self.statusBar().addPermanentWidget(self.lock_indicator)
        self._training: TrainingWorkspace | None = None
        self._background = background
        self._loading: tuple[QToolBar, QDockWidget, QLabel] | None = None
        #: the live views still to make, and those made, while the training side is put in place
        self._views_to_make: list[type[PlotView]] | None = None
        self._views_made: dict[str, PlotView] = {}
        if background is None or background.ready:
            self._add_training()
        else:
            self._loading = self._loading_placeholders()
            background.finished.connect(self._on_training_imported)
        self.view.viewport().installEventFilter(self)  # the import starts at the first paint
        self._connect()
        self.resize(self._first_size())
        self._arrange_docks()
        self._default_state = self.saveState()
        self._restored_state: QByteArray | None = None
        restored = persist and self._restore_settings()
        self._update_title()
        self._update_validity()
        self._update_weights_actions()
        QTimer.singleShot(0, self._settle_restored_size if restored else self._settle_first_size)

    def _first_size(self) -> QSize:
        """1440x900, or the screen's free area less room for the window frame when smaller
        (a 1024x700 laptop screen gets a window that fits it, status bar included)."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None or QGuiApplication.platformName() in ("offscreen", "minimal"):
            return QSize(*DEFAULT_SIZE)  # no real screen (tests, screenshots): the documented size
        free = screen.availableGeometry().size() - QSize(*FRAME_ALLOWANCE)
        return QSize(*DEFAULT_SIZE).boundedTo(free)

    def _lock_indicator(self) -> tuple[QWidget, QLabel, QLabel]:
        """The status bar's "network locked" note: a painted padlock beside the text (an emoji
        would show as an empty box where no emoji font is installed). Hidden until a run starts."""
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 4, 0)
        row.setSpacing(4)
        icon, text = QLabel(), QLabel()
        row.addWidget(icon)
        row.addWidget(text)
        box.hide()
        return box, icon, text

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        return dock

    # ------------------------------------------------------------------ the training side (PyTorch)
    @property
    def training(self) -> TrainingWorkspace:
        """The training workspace; asked for while PyTorch is still loading, it waits for it."""
        return self._training if self._training is not None else self.wait_until_ready()

    @property
    def training_ready(self) -> bool:
        """Whether the training workspace is there (PyTorch has loaded)."""
        return self._training is not None

    def wait_until_ready(self) -> TrainingWorkspace:
        """Wait for PyTorch and add the training workspace, for what cannot go on without it
        (a run to open, a script or test driving the window). The window keeps painting, and
        says what it waits for after a moment. A failed import is a ``UserError`` saying why."""
        if self._training is None and self._background is not None:
            background = self._background
            if not background.done:
                run_off_gui_thread(self, "Loading PyTorch…", background.wait)
            self._on_training_imported(at_once=True)
            if self._training is None:
                raise UserError(f"PyTorch could not be loaded ({background.error}): training, export and runs "
                                "are unavailable in this window")
        if self._training is None:  # closed before PyTorch was asked for
            raise UserError("the window is closed")
        return self._training

    def _add_training(self, views: dict[str, PlotView] | None = None) -> None:
        """Create the training workspace (its docks, actions and Training menu, with ``views``
        when they are made already) and follow it."""
        from playground.ui.training.workspace import TrainingWorkspace

        self._training = training = TrainingWorkspace(
            self, self.document, self.controller.set_training,
            lambda title, text: self.prompts.show_error(self, title, text), self.show_status,
            keep_runs=self.persist, views=views)
        training.runningChanged.connect(self._set_locked)
        training.runningChanged.connect(self._on_run_active)
        training.gradientsChanged.connect(self.scene.set_gradient_flow)
        # toggled follows every pause change made through the workspace; triggered also covers a
        # click on Pause, whose own check-state flip (toggled) comes before the run pauses.
        training.pause_action.toggled.connect(self._update_weights_actions)
        training.pause_action.triggered.connect(self._update_weights_actions)
        self._help_menu_last()

    def _loading_placeholders(self) -> tuple[QToolBar, QDockWidget, QLabel]:
        """What stands for the training side while PyTorch loads: a disabled Train button saying
        so, the live views' place under the canvas, and a note in the status bar."""
        train = QAction(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "Train", self)
        train.setEnabled(False)
        train.setToolTip(f"Train: {LOADING_NOTE}")
        tools = QToolBar("Training", self)
        tools.setObjectName("trainingLoadingToolbar")
        tools.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        tools.addAction(train)
        self.addToolBar(tools)
        # where the workspace puts its live views: under the canvas, between the full-height side panels
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        note = QLabel("Loading PyTorch… the live views appear here in a moment.")
        note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        note.setEnabled(False)
        dock = self._dock("Live views", "liveViewsLoadingDock", note, Qt.DockWidgetArea.BottomDockWidgetArea)
        status = QLabel("Loading PyTorch…")
        status.setToolTip("PyTorch loads in the background; Train, Export, Load Weights and Open Run "
                          "are available once it has.")
        self.statusBar().insertPermanentWidget(0, status)
        return tools, dock, status

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and watched is self.view.viewport():
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self._on_first_paint)  # once this paint is on screen
        return super().eventFilter(watched, event)

    @Slot()
    def _on_first_paint(self) -> None:
        """The canvas is on screen: now PyTorch may take the CPU (before, it would only have
        slowed the first paint down)."""
        age = process_age()
        log.info("window painted%s", f" {age:.2f} s after the process started" if age is not None else "")
        self.painted = True
        self.firstPainted.emit()
        if self._background is not None and not self._closed:
            self._background.start()
        self.document.loader.release()

    @Slot()
    def _on_training_imported(self, at_once: bool = False) -> None:
        """PyTorch has loaded (or failed to): put the training side in place of its placeholders,
        its live views made one per event-loop pass (all at once they held the window for 0.7 s)
        unless ``at_once``."""
        background = self._background
        if self._training is not None or self._closed or background is None or self._loading is None:
            return
        tools, dock, status = self._loading
        if not background.ready:
            status.setText("PyTorch could not be loaded: training is unavailable")
            status.setToolTip(f"{background.error}\nThe editor works; see the log file for the details.")
            tools.actions()[0].setToolTip(f"Train: PyTorch could not be loaded ({background.error})")
            return
        from playground.ui.plots.registry import LIVE_VIEWS

        if self._views_to_make is None:
            self._views_to_make = list(LIVE_VIEWS)
        while self._views_to_make:
            view = self._views_to_make.pop(0)()
            self._views_made[view.dock_id] = view
            if not at_once:
                QTimer.singleShot(0, self._on_training_imported)
                return
        self._loading = None
        self.removeToolBar(tools)
        self.removeDockWidget(dock)
        self.statusBar().removeWidget(status)
        for widget in (tools, dock, status):
            widget.deleteLater()
        self._add_training(self._views_made)
        self._place_training_docks()
        self._update_weights_actions()
        age = process_age()
        log.info("training ready: PyTorch and the live views imported in %.2f s%s", background.seconds or 0.0,
                 f", {age:.2f} s after the process started" if age is not None else "")
        self.show_status("PyTorch loaded: ready to train (F5)")

    def _place_training_docks(self) -> None:
        """Lay out the docks the workspace has just added: Reset Window Layout learns the default
        layout with them, then a saved layout is put back (now that its docks exist)."""
        for widget in (*self.training.docks.values(), self.training.toolbar):
            # Added to a window already on screen (PyTorch loaded in the background), each new dock
            # and the training toolbar is hidden until a "show unless hidden" that Qt's layout
            # queued: delivered now, so that the default layout saved below has them shown (else
            # Reset Window Layout hid the toolbar for good), and so that it cannot come after the
            # saved layout has hidden some docks and show them again
            QCoreApplication.sendPostedEvents(widget, QEvent.Type.MetaCall.value)
        if self._restored_state is not None:
            self.restoreState(self._default_state)
        self._arrange_docks()
        self._default_state = self.saveState()
        if self._restored_state is not None:
            self.restoreState(self._restored_state)
            # the saved layout's live views came back before their tool rows wrapped, and their
            # width held the window wider than the one saved (3,161 px on a 1,440 px screen)
            QTimer.singleShot(0, self._settle_restored_size)
        self._restore_hidden_for_data()
        self.training.front_what_applies()  # the layouts above bring each group's first tab forward

    # ------------------------------------------------------------------ actions and menus
    def _action(self, text: str, slot: Callable[..., object], shortcuts: Shortcuts = (), tip: str = "",
                icon: QStyle.StandardPixmap | None = None, checkable: bool = False) -> QAction:
        """A window-wide action with its shortcuts, tooltip (naming the shortcut) and status tip."""
        action = QAction(text, self)
        keys = list(shortcuts) if isinstance(shortcuts, (list, tuple)) else [shortcuts]
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setStatusTip(tip)
        action.setToolTip(f"{tip} ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
                          if keys and tip else tip or text.replace("&", ""))
        if icon is not None:
            action.setIcon(self.style().standardIcon(icon))
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _create_actions(self) -> None:
        sp = QStyle.StandardPixmap
        key = QKeySequence.StandardKey
        c = self.controller
        self.new_action = self._action("&New", self.new_project, key.New, "Start a new project from a small MLP",
                                       sp.SP_FileIcon)
        self.new_blank_action = self._action("New &Blank", self.new_blank, "Ctrl+Shift+N",
                                             "Start a new project with an empty canvas")
        self.open_action = self._action("&Open…", self.open, key.Open, "Open a project file", sp.SP_DialogOpenButton)
        self.save_action = self._action("&Save", self.save, key.Save, "Save the project", sp.SP_DialogSaveButton)
        self.save_as_action = self._action("Save &As…", self.save_as, "Ctrl+Shift+S",
                                           "Save the project under a new name")
        self.export_action = self._action("&Export…", self.export_model, "Ctrl+E",
                                          "Export the model (ONNX, torch.export, safetensors, Python) and verify it")
        self.load_weights_action = self._action("&Load Weights…", self.load_weights, "Ctrl+Shift+L",
                                                "Load trained weights from a safetensors file to continue from them")
        self.open_run_action = self._action("Open R&un…", lambda: self.open_run(), "Ctrl+Shift+O",
                                            "Open a run folder: its project, trained weights and loss curves, "
                                            "to compare a new run with")
        self._weights_tips = {a: a.toolTip() for a in (self.export_action, self.load_weights_action,
                                                       self.open_run_action)}
        self.compare_action = self._action("Co&mpare Runs…", lambda: self.compare_runs(), "Ctrl+Shift+M",
                                           "Train the project once per value of a setting (and seed), one run after "
                                           "another, and compare their curves and results")
        self.runs_folder_action = self._action("Runs &Folder", self.show_runs_folder, "Ctrl+Alt+O",
                                               "Show the folder where runs trained in the window are kept")
        self.quit_action = self._action("&Quit", self.close, "Ctrl+Q", "Close the window")
        stack = self.document.undo_stack
        self.undo_action = stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcuts(QKeySequence.keyBindings(key.Undo))
        self.undo_action.setIcon(self.style().standardIcon(sp.SP_ArrowBack))
        self.redo_action = stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.redo_action.setIcon(self.style().standardIcon(sp.SP_ArrowForward))
        self.addActions([self.undo_action, self.redo_action])
        self.undo_action.triggered.connect(self._on_undo_redo)
        self.redo_action.triggered.connect(self._on_undo_redo)
        self.cut_action = self._action("Cu&t", c.cut, key.Cut, "Cut the selected nodes")
        self.copy_action = self._action("&Copy", c.copy, key.Copy, "Copy the selected nodes and their edges")
        self.paste_action = self._action("&Paste", c.paste, key.Paste, "Paste nodes from the clipboard")
        self.duplicate_action = self._action("&Duplicate", c.duplicate, "Ctrl+D",
                                             "Duplicate the selected nodes and their edges")
        self.delete_action = self._action("De&lete", lambda: c.delete_selection(), ["Del", "Backspace"],
                                          "Delete the selected nodes and edges")
        self.select_all_action = self._action("Select &All", c.select_all, key.SelectAll, "Select every node")
        self.auto_layout_action = self._action("Auto-&Layout", c.auto_layout, "Ctrl+L",
                                               "Arrange the network in columns, left to right")
        self.history_action = self.history_dock.toggleViewAction()
        self.history_action.setText("&History")
        # Not Ctrl+H: on macOS that is Cmd+H, which hides the application.
        self.history_action.setShortcut(QKeySequence("Ctrl+Shift+H"))
        self.history_action.triggered.connect(lambda shown: shown and self.history_dock.raise_())
        self.find_action = self._action("Find &Layer", self._focus_filter, key.Find, "Filter the layer palette")
        self.zoom_in_action = self._action("Zoom &In", self.view.zoom_in, ["Ctrl++", "Ctrl+="], "Zoom in")
        self.zoom_out_action = self._action("Zoom &Out", self.view.zoom_out, "Ctrl+-", "Zoom out")
        self.zoom_reset_action = self._action("&Actual Size", self.view.reset_zoom, "Ctrl+0", "Zoom to 100 %")
        self.fit_action = self._action("&Fit to View", self.view.fit_to_view, ["Home", "Ctrl+Shift+F"],
                                       "Show the whole network")
        self.snap_action = self._action("&Snap to Grid", self._set_snap, "Ctrl+G",
                                        "Align dragged nodes to the grid", checkable=True)
        self.snap_action.setChecked(True)
        self._draw_action_icons()
        self.appearance_group = QActionGroup(self)
        self.appearance_actions: dict[str, QAction] = {}
        for i, choice in enumerate(("system", "light", "dark")):
            action = self._action(choice.capitalize() if choice != "system" else "Follow &System",
                                  lambda _=False, ch=choice: self.set_appearance(ch), f"Ctrl+Alt+{i}",
                                  f"Use the {choice} appearance", checkable=True)
            self.appearance_group.addAction(action)
            self.appearance_actions[choice] = action
        self.appearance_actions[self.theme.choice].setChecked(True)
        self.reset_layout_action = self._action("&Reset Window Layout", self.reset_layout, "Ctrl+Shift+R",
                                                "Put the panels back where they started")
        self.shortcuts_action = self._action("&Keyboard Shortcuts", self.show_shortcuts, [key.HelpContents, "Ctrl+/"],
                                             "List every action that has a keyboard shortcut")
        self.lectures_action = self._action("&Lecture Notes", self.show_lecture_notes, "Shift+F1",
                                            "What the playground teaches, lecture by lecture, and where to see it")
        self.about_action = self._action("&About", self.show_about, "Ctrl+Shift+F1", "The playground's version")
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        for i, dock in enumerate((self.palette_dock, self.inspector_dock, self.dataset_dock), start=1):
            dock.toggleViewAction().setShortcut(QKeySequence(f"Ctrl+{i}"))

    def _create_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.new_action, self.new_blank_action, self.open_action])
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.examples_menu = file_menu.addMenu("&Examples")
        self.examples_menu.aboutToShow.connect(self._fill_examples_menu)
        file_menu.addSeparator()
        file_menu.addActions([self.open_run_action, self.compare_action, self.runs_folder_action])
        file_menu.addSeparator()
        file_menu.addActions([self.save_action, self.save_as_action])
        file_menu.addSeparator()
        file_menu.addActions([self.export_action, self.load_weights_action])
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

        edit = bar.addMenu("&Edit")
        edit.addActions([self.undo_action, self.redo_action, self.history_action])
        edit.addSeparator()
        edit.addActions([self.cut_action, self.copy_action, self.paste_action, self.duplicate_action,
                         self.delete_action])
        edit.addSeparator()
        edit.addActions([self.select_all_action, self.auto_layout_action, self.find_action])

        view = bar.addMenu("&View")
        view.addActions([self.zoom_in_action, self.zoom_out_action, self.zoom_reset_action, self.fit_action])
        view.addSeparator()
        view.addAction(self.snap_action)
        appearance = view.addMenu("A&ppearance")
        appearance.addActions(list(self.appearance_actions.values()))
        view.addSeparator()
        panels = view.addMenu("&Panels")
        for dock in (self.palette_dock, self.inspector_dock, self.dataset_dock, self.history_dock, self.example_note):
            panels.addAction(dock.toggleViewAction())
        view.addAction(self.reset_layout_action)

        self.help_menu = bar.addMenu("&Help")
        self.help_menu.addActions([self.shortcuts_action, self.lectures_action])
        # The same submenu as File > Examples: the examples are the worked lectures.
        self.help_menu.addMenu(self.examples_menu)
        self.help_menu.addSeparator()
        self.help_menu.addAction(self.about_action)

        tools = QToolBar("Main toolbar", self)
        tools.setObjectName("mainToolbar")
        tools.setMovable(False)
        tools.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        tools.addActions([self.new_action, self.open_action, self.save_action])
        tools.addSeparator()
        tools.addActions([self.undo_action, self.redo_action])
        tools.addSeparator()
        tools.addActions([self.auto_layout_action, self.fit_action])
        for action in (self.undo_action, self.redo_action):
            # Their text names the command ("Undo Add Dense 'dense1'"): the tooltip shows it.
            tools.widgetForAction(action).setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.addToolBar(tools)

    def _connect(self) -> None:
        doc = self.document
        doc.undo_stack.cleanChanged.connect(self._update_title)
        doc.undo_stack.indexChanged.connect(self._on_changed)
        doc.pathChanged.connect(self._update_title)
        doc.projectReset.connect(self._update_title)
        doc.reportChanged.connect(self._update_validity)
        self.scene.selectionChanged.connect(self._on_selection)
        self.scene.statusMessage.connect(self.show_status)
        self.controller.statusMessage.connect(self.show_status)
        self.palette_widget.typeActivated.connect(self.controller.insert_after)
        self.inspector.paramEdited.connect(self.controller.set_param)
        self.inspector.sessionStarted.connect(self.controller.new_session)
        self.inspector.nodeActivated.connect(self._select_and_show)
        self.dataset_panel.datasetEdited.connect(self.controller.set_dataset)
        self.view.zoomChanged.connect(lambda z: self.zoom_label.setText(f"{z * 100:.0f} %"))
        self.theme.changed.connect(self._on_theme)
        doc.reportChanged.connect(self._update_weights_actions)

    # ------------------------------------------------------------------ state shown in the window
    @Slot()
    def _update_title(self) -> None:
        path = self.document.path
        where = f" — {path.name}" if path else ""
        self.setWindowTitle(f"{self.document.display_name}{where}[*] — {APPLICATION}")
        self.setWindowModified(self.document.modified)

    @Slot()
    def _update_validity(self) -> None:
        report = self.document.report
        colors = self.theme.colors
        if report.ok:
            text = f"<span style='color:{colors.ok.name()}'>✔</span> Valid network · {report.total_parameters:,} params"
        else:
            n = len(report.problems)
            text = f"<span style='color:{colors.error.name()}'>⚠ {n} problem{'s' if n != 1 else ''}</span>"
        self.validity_label.setText(text)
        self.validity_label.setToolTip("\n".join(p.message for p in report.problems) or "The network is valid")

    @Slot()
    def _on_selection(self) -> None:
        ids = self.scene.selected_node_ids()
        self.inspector.show_node(ids[0] if len(ids) == 1 else None, len(ids))
        if len(ids) == 1 and self._training is not None:
            self._training.select_node(ids[0])
        if len(ids) == 1:
            report = self.document.report.nodes.get(ids[0])
            if report is not None and report.problems:
                self.show_status(report.problems[0].message)

    @Slot(str)
    def show_status(self, message: str) -> None:
        if message:
            self.statusBar().showMessage(message, STATUS_TIMEOUT_MS)
        else:
            self.statusBar().clearMessage()

    @Slot(str)
    def _select_and_show(self, node_id: str) -> None:
        self.scene.select_nodes([node_id])
        item = self.scene.nodes.get(node_id)
        if item is not None:
            self.view.ensureVisible(item, 60, 60)

    @Slot()
    def _on_theme(self) -> None:
        colors = self.theme.colors
        self._draw_action_icons()
        self.scene.set_colors(colors)
        self.view.viewport().update()
        self.view.resetCachedContent()
        self.inspector.set_colors(colors)
        self.dataset_panel.set_colors(colors)
        self._update_validity()
        self._paint_lock_icon()

    def _draw_action_icons(self) -> None:
        color = self.theme.colors.text
        self.auto_layout_action.setIcon(action_icon("auto_layout", color))
        self.fit_action.setIcon(action_icon("fit", color))

    @Slot()
    def _on_undo_redo(self) -> None:
        stack = self.document.undo_stack
        if self.sender() is self.undo_action:
            self.show_status(f"Undid: {stack.text(stack.index())}")
        else:
            self.show_status(f"Redid: {stack.text(stack.index() - 1)}")

    def set_appearance(self, choice: str) -> None:
        self.theme.set_choice(choice)
        self.appearance_actions[choice].setChecked(True)
        if self.persist:
            self.settings.setValue("appearance", choice)

    def _set_snap(self, on: bool) -> None:
        self.scene.snap_to_grid = on

    def _focus_filter(self) -> None:
        self.palette_dock.show()
        self.palette_widget.filter.setFocus()
        self.palette_widget.filter.selectAll()

    def _help_menu_last(self) -> None:
        """Help stays the last menu: menus added after ``_create_menus`` (Training, by the
        workspace) go before it, as on every other desktop app."""
        bar = self.menuBar()
        bar.removeAction(self.help_menu.menuAction())
        bar.addAction(self.help_menu.menuAction())

    def show_shortcuts(self) -> ShortcutsDialog:
        """Help > Keyboard Shortcuts: read from the actions as they are now (non-modal)."""
        dialog = ShortcutsDialog(self)
        dialog.show()
        return dialog

    def show_lecture_notes(self) -> MarkdownDialog | None:
        """Help > Lecture Notes: docs/lectures.md rendered, read-only; says where it looked
        when the notes are not installed."""
        path = lecture_notes_path()
        text = None
        if path is not None:
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                text = None
        if text is None:
            where = "\n".join(str(p) for p in lecture_notes_candidates())
            self.prompts.show_error(self, "Lecture notes not found", "The lecture notes are not installed with "
                                    f"this copy of the app. Looked in:\n{where}")
            return None
        dialog = MarkdownDialog("Lecture Notes", text, self)
        dialog.show()
        return dialog

    def show_about(self) -> QMessageBox:
        """Help > About: the version, from the installed package (non-modal)."""
        box = QMessageBox(QMessageBox.Icon.NoIcon, f"About {APPLICATION}", about_html(APPLICATION),
                          QMessageBox.StandardButton.Ok, self)
        box.setIconPixmap(self.windowIcon().pixmap(64, 64))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    # ------------------------------------------------------------------ settings
    def _restore_settings(self) -> bool:
        """Put back the saved geometry, layout and canvas options; whether a geometry was saved."""
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            self.restoreState(state)
            self._restored_state = state
            if self._training is not None:
                self._restore_hidden_for_data()
                self.training.front_what_applies()
        snap = self.settings.value("canvas/snap", True)
        self.snap_action.setChecked(snap not in (False, "false"))
        self.scene.snap_to_grid = self.snap_action.isChecked()
        return isinstance(geometry, QByteArray)

    @Slot()
    def _settle_restored_size(self) -> None:
        """Once every panel has laid itself out: the saved geometry again. Before the window was
        shown the live views' tool rows did not wrap yet, and their width held the window wider
        than the one saved (1,841 px for an 800 px window, off a small screen)."""
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        self.view.fit_to_view()

    @Slot()
    def _settle_first_size(self) -> None:
        """On first start, once every panel has laid itself out (the live views' tool rows
        wrap only then, which lets a window narrower than before it was shown): the size that
        fits the screen, and the live views arranged for it."""
        size = self._first_size()
        if size != self.size():
            self.resize(size)
            self._arrange_docks()
        self.view.fit_to_view()

    def _arrange_docks(self) -> None:
        """The default layout for the window's size: side panels of 260 and 340 pixels, a fifth
        and a quarter of a narrower window, the canvas and live views between them."""
        width, height = self.width(), self.height()
        self.resizeDocks([self.palette_dock, self.inspector_dock], [min(260, width // 5), min(340, width // 4)],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.palette_dock, self.dataset_dock], [height // 2, height // 2], Qt.Orientation.Vertical)
        if self._training is not None:
            self._training.arrange()
        elif self._loading is not None:
            self.resizeDocks([self._loading[1]], [int(height * LIVE_VIEWS_SHARE)], Qt.Orientation.Vertical)

    def _save_settings(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        if self._training is not None:
            self.settings.setValue(HIDDEN_FOR_DATA_KEY, sorted(self.training.hidden_for_data))
        self.settings.setValue("canvas/snap", self.snap_action.isChecked())
        self.settings.sync()

    def _restore_hidden_for_data(self) -> None:
        """The saved layout has the views that did not apply to the last dataset hidden: they
        are the workspace's to show again when they apply (a view the person closed is not)."""
        if not self.persist or self._restored_state is None:
            return
        saved = self.settings.value(HIDDEN_FOR_DATA_KEY, [])
        keys = [saved] if isinstance(saved, str) else list(saved or [])
        self.training.hidden_for_data.update(k for k in keys if k in self.training.docks)

    def reset_layout(self) -> None:
        self.restoreState(self._default_state)
        if self._training is not None:
            self.training.front_what_applies()

    def recent_files(self) -> list[str]:
        value = self.settings.value("recentFiles", [])
        return [value] if isinstance(value, str) else list(value or [])

    def _add_recent(self, path: Path) -> None:
        if not self.persist:
            return
        text = str(Path(path).resolve())
        files = [text] + [f for f in self.recent_files() if f != text]
        self.settings.setValue("recentFiles", files[:RECENT_LIMIT])

    @Slot()
    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.recent_files()
        for i, path in enumerate(files):
            action = self.recent_menu.addAction(f"&{i + 1} {Path(path).name}")
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))
        if not files:
            self.recent_menu.addAction("No recent files").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear Menu", lambda: self.settings.setValue("recentFiles", []))

    @Slot()
    def _fill_examples_menu(self) -> None:
        """One submenu per lecture topic, in the lectures' order."""
        self.examples_menu.clear()
        for topic, examples in by_topic(shipped_examples()).items():
            submenu = self.examples_menu.addMenu(topic)
            submenu.setToolTipsVisible(True)
            for example in examples:
                action = submenu.addAction(example.title)
                action.setStatusTip(example.note or example.name)
                action.setToolTip(example.note or example.name)
                action.triggered.connect(lambda _=False, p=example.path: self.open_example(p))
        if self.examples_menu.isEmpty():
            self.examples_menu.addAction("No examples found").setEnabled(False)

    # ------------------------------------------------------------------ files
    def maybe_save(self) -> bool:
        """Ask about unsaved changes; True when it is fine to replace or close the project."""
        if not self.document.modified:
            return True
        answer = self.prompts.ask_save_changes(self, self.document.display_name)
        if answer == "save":
            return self.save()
        return answer == "discard"

    @Slot(bool)
    def _set_locked(self, locked: bool) -> None:
        """While a run trains a copy of the network, editing it would be silently ignored by
        that run: lock the editor and say so."""
        for widget in (self.palette_widget, self.inspector, self.dataset_panel):
            widget.setEnabled(not locked)
        self.view.setInteractive(not locked)
        for action in (self.undo_action, self.redo_action, self.cut_action, self.paste_action,
                       self.duplicate_action, self.delete_action, self.auto_layout_action):
            action.setEnabled(not locked)
        self.lock_label.setText("Training: the network is locked (Stop to edit)" if locked else "")
        self.lock_indicator.setToolTip("The running training uses a copy of the network; stop it (Shift+F5) "
                                       "to edit the graph, dataset or layer settings." if locked else "")
        self._paint_lock_icon()
        self.lock_indicator.setVisible(locked)

    def _paint_lock_icon(self) -> None:
        size = self.lock_label.fontMetrics().height()
        self.lock_icon.setPixmap(lock_pixmap(self.theme.colors.text_dim, size, self.devicePixelRatioF()))

    def _show(self, project: Project, *, modified: bool = False) -> None:
        if self._training is not None:
            self._training.shutdown()
        self.example_note.show_for(None)
        self.document.replace(project, modified=modified)
        self.view.fit_to_view()

    def new_project(self) -> None:
        if self.maybe_save():
            self._show(new_project())
            self.show_status("New project")

    def new_blank(self) -> None:
        if self.maybe_save():
            template = new_project()
            self._show(Project(template.name, template.dataset, Graph(), template.training))
            self.show_status("New blank project: drag layers from the palette onto the canvas")

    # A file dialog starts in the last folder used, else the documents folder: never in the
    # folder the app was started from (the source tree, with scripts/run.sh).
    def _start_folder(self) -> Path:
        return start_folder(self.settings)

    def _remember_folder(self, path: str | Path) -> None:
        if self.persist:
            remember_folder(self.settings, path)

    def open(self) -> None:
        path = self.prompts.open_path(self, "Open project", str(self._start_folder()))
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path) -> bool:
        """Open a project file; a bad file is reported and leaves the open project untouched.
        A file shipped with the app (an example, however it was reached: by name on the command
        line, a recent file, File > Open) opens as an unsaved copy, so Save never writes into
        the installed package."""
        if Path(path).resolve().is_relative_to(examples_dir().resolve()):
            return self.open_example(Path(path))
        try:
            project = run_off_gui_thread(self, f"Opening {Path(path).name}…", lambda: load_project(path))
        except ProjectError as exc:
            self.prompts.show_error(self, "Cannot open project", str(exc))
            return False
        if not self.maybe_save():
            return False
        self._show(project)
        self._add_recent(Path(path))
        self._remember_folder(path)
        self.show_status(f"Opened {path}")
        return True

    def open_example(self, path: Path) -> bool:
        """Open a shipped example as an unsaved copy, so Save asks where to put it."""
        try:
            project = run_off_gui_thread(self, f"Opening {Path(path).name}…", lambda: load_project(path))
        except ProjectError as exc:
            self.prompts.show_error(self, "Cannot open example", str(exc))
            return False
        if not self.maybe_save():
            return False
        project.path = None
        self._show(project)
        self.example_note.show_for(example_for_path(Path(path)))
        self.show_status(f"Opened example “{project.name}”")
        return True

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self.save_to(self.document.path)

    def save_as(self) -> bool:
        """Ask where to save: beside the project's own file, or for a new project or an example
        (whose file is in the app's resources) in the last folder used or the documents folder."""
        current = self.document.path
        if current is not None and not inside_app(current.parent):
            start = current
        else:
            start = self._start_folder() / f"{file_stem(self.document.display_name)}.json"
        path = self.prompts.save_path(self, "Save project as", str(start))
        if not path:
            return False
        target = Path(path)
        if not target.suffix:
            target = target.with_suffix(".json")
        return self.save_to(target)

    def save_to(self, path: Path) -> bool:
        try:
            save_project(self.document.project, path)
        except OSError as exc:
            self.prompts.show_error(self, "Cannot save project", f"{path}: {exc.strerror or exc}")
            return False
        self.document.mark_saved(path)
        self._add_recent(path)
        self._remember_folder(path)
        self._discard_recovery()
        self.show_status(f"Saved {path}")
        return True

    # ------------------------------------------------------------------ autosave and recovery
    @Slot()
    def _on_changed(self) -> None:
        if self.persist:
            self.autosave_timer.start()

    @Slot()
    def autosave(self) -> None:
        """Write the open project to this window's recovery file (atomically), or remove that
        file when nothing is unsaved."""
        if not self.persist:
            return
        if not self.document.modified:
            self._discard_recovery()
            return
        self._write_recovery()

    def _write_recovery(self) -> bool:
        try:
            self.recovery.write(self.document.project)
        except OSError as exc:
            self.show_status(f"Autosave failed: {exc.strerror or exc}")
            return False
        return True

    def _discard_recovery(self) -> None:
        if self.persist:
            self.recovery.discard()

    def offer_recovery(self) -> bool:
        """After a crash, offer the unsaved work of windows that are gone (never that of a
        window still open), newest first; True when one was restored. No removes that file
        only and offers the next; Yes restores it here, and the others stay on disk for the
        next start (a window shows one project), which the question says."""
        if not self.persist:
            return False
        orphans = find_orphans()
        for i, orphan in enumerate(orphans):
            rest = len(orphans) - i - 1
            more = (f"\n\n{rest} more unsaved project{'s were' if rest > 1 else ' was'} found: Yes keeps "
                    f"{'them' if rest > 1 else 'it'} for the next start, No discards this one and shows the next."
                    if rest else "")
            if not self.prompts.ask_restore(self, orphan.describe() + more):
                orphan.discard()
                continue
            self._show(orphan.project, modified=True)
            # The work is this window's own from now on; the old file goes once that is written.
            if self._write_recovery():
                orphan.discard()
            else:
                orphan.keep()
            for other in orphans[i + 1:]:
                other.keep()
            self.show_status("Restored unsaved work; save it to keep it"
                             + (f" ({rest} more kept for the next start)" if rest else ""))
            return True
        return False

    # ------------------------------------------------------------------ closing
    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._close_confirmed:
            if not self.maybe_save():
                event.ignore()
                return
            self._close_confirmed = True
            if self.persist:
                self._save_settings()
                self.recovery.close()
        session = self._training.session if self._training is not None else None
        if session is not None and session.running:
            # A run still loading its data or building its model stops only when that is done
            # (seconds, on a large dataset): the window closes now, and is torn down once the
            # training thread has ended (``run_app`` waits for it before the process exits).
            session.stop()
            session.ended.connect(self.shutdown, Qt.ConnectionType.SingleShotConnection)
        else:
            self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop timers and the loader thread and unhook from the model; idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._training is not None:
            self._training.shutdown()
        self.autosave_timer.stop()
        self.scene.selectionChanged.disconnect(self._on_selection)
        self.controller.release_clipboard()
        self.scene.close()
        self.document.shutdown()

    # ------------------------------------------------------------------ export and weights
    @Slot(bool)
    def _on_run_active(self, active: bool) -> None:
        """Follow the workspace's notion of a run (the one the editor locks for): its thread may
        outlive the run's end by a moment, and the run's weights are final from then on."""
        self._run_active = active
        self._update_weights_actions()

    def _network_problem(self) -> str | None:
        """Why no model can be built from the graph now, or None."""
        problems = self.document.network_problems()
        return f"The network is not valid: {problems[0]}" if problems else None

    def _export_blocked(self) -> str | None:
        """Why Export is not possible now, or None. A running run must be paused first so the
        export takes one state of the weights, not a model changing under it."""
        problem = self._network_problem()
        if problem:
            return problem
        if self._training is None:
            return LOADING_NOTE
        session = self._training.session
        if self._run_active and session is not None and not session.control.paused:
            return "Pause training first (F6): the export takes the paused run's weights"
        return None

    @Slot()
    def _update_weights_actions(self) -> None:
        blocked = self._export_blocked()
        self.export_action.setEnabled(blocked is None)
        self.export_action.setToolTip(blocked or self._weights_tips[self.export_action])
        loading = self._training is None
        self.load_weights_action.setEnabled(not self._run_active and not loading)
        self.load_weights_action.setToolTip(LOADING_NOTE if loading else
                                            "Stop training first (Shift+F5): the run trains its own copy of the weights"
                                            if self._run_active else self._weights_tips[self.load_weights_action])
        self.open_run_action.setEnabled(not loading)
        self.open_run_action.setToolTip(LOADING_NOTE if loading else self._weights_tips[self.open_run_action])

    def export_model(self) -> ExportDialog | None:
        """File > Export…: open the export dialog with the weights to export (the last run's or
        loaded ones if the network has not been edited since; during a paused run, the live
        model's, copied on the training thread)."""
        blocked = self._export_blocked()
        if blocked:
            self.prompts.show_error(self, "Cannot export", blocked)
            return None
        from playground.ui.export_dialog import ExportDialog

        live = self.training.session if self._run_active else None
        dialog = ExportDialog(self.document.project, self.document.dataset,
                              None if live else self.training.weights_for_network(),
                              choose_path=self._export_path, folder=self._export_folder(),
                              colors=self.theme.colors, live=live, parent=self)
        dialog.open()
        return dialog

    def load_weights(self) -> bool:
        """File > Load Weights…: take the weights of a safetensors file whose embedded network
        matches this one, so the next Train continues from them. A file for another network
        (node ids, shapes) or a damaged one is refused with a message saying why."""
        if self._training is None:
            self.prompts.show_error(self, "Cannot load weights", LOADING_NOTE)
            return False
        if self._run_active:
            self.prompts.show_error(self, "Cannot load weights", "Stop training first (Shift+F5).")
            return False
        problem = self._network_problem()
        if problem:
            self.prompts.show_error(self, "Cannot load weights", problem)
            return False
        data, error = self.document.dataset, self.document.dataset_error
        if data is None:
            self.prompts.show_error(self, "Cannot load weights", f"The dataset could not be loaded: {error}" if error
                                    else "The dataset is still loading; try again in a moment.")
            return False
        path = self._choose_path("Load weights", "Weights (*.safetensors);;All files (*)", False)
        if not path:
            return False
        from playground.core.build import build_model
        from playground.core.export import load_weights

        try:
            state = run_off_gui_thread(self, f"Reading {Path(path).name}…", lambda: load_weights(
                path, build_model(self.document.graph, data.meta, data.mean, data.std)))
        except UserError as exc:
            self.prompts.show_error(self, "Cannot load weights", str(exc))
            return False
        self.training.weights = dict(state)
        self.training._update_actions()
        self.show_status(f"Loaded weights from {path}: the next run continues from them")
        return True

    # ------------------------------------------------------------------ runs kept on disk
    def open_run(self, folder: str | Path | None = None) -> bool:
        """File > Open Run…: a run folder (one the window kept, or one ``playground train``
        wrote) opens its project as an unsaved copy, so Save never writes into the run, with
        the run's weights to continue from and its loss curves overlaid to compare a new run
        with. A folder that is not a run is reported by name and the open project stays. Asked
        for while PyTorch loads (the run's weights are tensors), it waits for it."""
        self.wait_until_ready()
        from playground.ui.training.runs import read_run

        if folder is None:
            folder = self.prompts.choose_path(self, "Open run folder", "", True, str(runs_dir()))
            if not folder:
                return False
        try:
            run = run_off_gui_thread(self, f"Opening run {Path(folder).name}…", lambda: read_run(folder))
        except UserError as exc:
            self.prompts.show_error(self, "Cannot open run", str(exc))
            return False
        if not self.maybe_save():
            return False
        run.project.path = None
        self._show(run.project)
        self.training.show_saved_run(run)
        cut = " (the run was cut short: the weights of its last checkpoint)" if run.from_checkpoint else ""
        self.show_status(f"Opened run {run.label}{cut}: Train continues from its weights; its curves are dashed")
        return True

    def compare_runs(self) -> CompareDialog:
        """File > Compare Runs…: the comparison dialog for the open project (its runs land in the
        runs folder and open with Open Run). Asked for while PyTorch loads, it waits for it."""
        self.wait_until_ready()
        from playground.ui.compare_dialog import CompareDialog

        dialog = CompareDialog(self.document.project, choose_path=self._export_path, open_run=self.open_run,
                               parent=self)
        dialog.show()
        return dialog

    def show_runs_folder(self) -> bool:
        """File > Runs Folder: the runs folder in the file manager (or where it is, if none opens)."""
        folder = runs_dir()
        if QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            return True
        self.prompts.show_error(self, "Runs folder", f"No file manager could be opened. The runs are kept in {folder}")
        return False

    # ------------------------------------------------------------------ dialogs for panels
    def _choose_data_path(self, title: str, name_filter: str, folder: bool) -> str | None:
        return self._choose_path(title, name_filter, folder)

    def _choose_path(self, title: str, name_filter: str, folder: bool) -> str | None:
        """A file or folder to read (data, weights), starting in the last folder used."""
        path = self.prompts.choose_path(self, title, name_filter, folder, str(self._start_folder()))
        if path:
            self._remember_folder(path)
        return path

    def _export_path(self, parent: QWidget, title: str, start: str, name_filter: str) -> str | None:
        path = self.prompts.export_path(parent, title, start, name_filter)
        if path:
            self._remember_folder(path)
        return path

    def _export_folder(self) -> Path:
        """Where an export is suggested: beside the saved project, else the last folder used."""
        current = self.document.path
        return current.parent if current is not None and not inside_app(current.parent) else self._start_folder()

