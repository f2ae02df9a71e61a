"""The live training workspace: Train/Pause/Stop/Step/Reset, the training panel, the live
views as docks, and the runs that feed them.

The main window owns one ``TrainingWorkspace``. A run trains a frozen copy of the project on
a ``TrainingSession`` (its own thread); this class makes a dock for every view of the
registry (``plots/registry.py``) and loops over them with the live-view protocol
(``plots/live.py``): the project, the start of a run, the session's batched reports, and the
pictures the shown views ask the worker to compute from the live model between steps. It
keeps the trained weights, so that the next run continues from them while the network and
its data are unchanged, and the graph is locked while a run is active. Each run is kept in a
run folder of its own under the user's runs folder (``runs.py``), and File > Open Run shows
such a folder again (``show_saved_run``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QStyle, QTabBar, QToolBar, QWidget

from playground.core.training import Report, TrainResult
from playground.ui.document import ProjectDocument
from playground.ui.editor.fix_command import push_fix
from playground.ui.plots import registry
from playground.ui.plots.advisor import AdvisorView
from playground.ui.plots.base import PlotView
from playground.ui.plots.draw_budget import DrawBudget
from playground.ui.plots.gradients import GradientView
from playground.ui.plots.live import PictureRequest, RunInfo
from playground.ui.plots.loss import LossView
from playground.ui.training.panel import TrainingPanel
from playground.ui.training.runs import SavedRun, next_run_dir
from playground.ui.training.worker import Computed, TrainingSession

#: Seconds between rounds of requests for pictures that need the live model (filters,
#: boundary, ...): at animation rate; what each kind costs decides how often it is computed.
PICTURE_INTERVAL = 1 / 60
#: Each kind of picture may take at most 1/PICTURE_BUDGET of the training thread's time: one
#: that took 20 ms is asked for again after 3 s, one that took 0.4 ms after 60 ms (the
#: pictures run between steps, so their time is taken from training; an image run has up to
#: six kinds on screen).
PICTURE_BUDGET = 150
#: The same during a run whose pictures animate (a 2-D run): 1/20 of the training thread, so
#: that a boundary costing 1.5 ms can still be computed 30 times a second.
ANIMATION_PICTURE_BUDGET = 20
#: Seconds between two re-tints of the graph by gradient flow (each repaints the canvas).
TINT_INTERVAL = 0.5
#: Seconds between two updates of the training panel's progress bar and figures: text to read,
#: not an animation; at every delivery (30 a second) its word-wrapped label re-laid out the dock.
PROGRESS_INTERVAL = 0.2


def view_shortcut(n: int) -> str:
    """The shortcut that shows or hides the n-th live-view dock (from 1): Alt+1 to Alt+9, Alt+0,
    then Alt+Shift+1 onwards (there are more views than digits)."""
    return f"Alt+{n % 10}" if n <= 10 else f"Alt+Shift+{n - 10}"


def test_figures(result: TrainResult) -> str:
    """'test loss 0.21, accuracy 94.0%': the test split's figures a run ended with, or ''."""
    if result.test_loss is None:
        return ""
    accuracy = f", accuracy {result.test_acc:.1%}" if result.test_acc is not None else ""
    return f"test loss {result.test_loss:.4g}{accuracy}"


class TrainingWorkspace(QObject):
    """Creates the training docks and actions on ``window`` and runs training for it.

    Signals: ``runningChanged(bool)`` (the editor locks itself while True) and
    ``gradientsChanged(norms: dict, flags: dict)`` for the editor's gradient-flow tint.
    ``keep_runs`` False (screenshots) keeps no run folders. ``views``: live views made already
    (by dock id; the registry's others are made here).
    """

    runningChanged = Signal(bool)
    gradientsChanged = Signal(dict, dict)

    def __init__(self, window: QMainWindow, document: ProjectDocument, edit_training: Callable[[dict], None],
                 error: Callable[[str, str], None], status: Callable[[str], None], *,
                 keep_runs: bool = True, views: dict[str, PlotView] | None = None) -> None:
        super().__init__(window)
        self.keep_runs = keep_runs
        self.window = window
        self.document = document
        self.edit_training = edit_training
        self.error = error
        self.status = status
        self.session: TrainingSession | None = None
        self._weights: dict[str, Any] | None = None
        #: the network and dataset (graph without layout, dataset spec) the kept weights belong to
        self._weights_for: tuple[dict[str, Any], dict[str, Any]] | None = None
        #: whether the latest run started from a fresh initialisation because the network had
        #: changed since the weights it would have continued from
        self.started_fresh = False
        self.info: RunInfo | None = None
        self.last_report: Report | None = None
        self._runs = 0
        #: keys of the pictures asked for and not yet back, with the views waiting for each
        self._pending: dict[str, list[PlotView]] = {}
        self._last_pictures = 0.0
        #: when each kind of picture may next be asked for (from its last computation's cost)
        self._next_ask: dict[str, float] = {}
        #: the budget each kind of picture asked with (None: the workspace's)
        self._budgets: dict[str, int | None] = {}
        #: asks again when the soonest picture held back by its budget may be asked for (rather
        #: than at the next delivery of reports, which would quantise the pictures' rate)
        self._ask_timer = QTimer(self)
        self._ask_timer.setSingleShot(True)
        self._ask_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._ask_timer.timeout.connect(self._ask_held_back)
        self._last_tint = 0.0
        self._last_progress = 0.0
        self._rate = (0.0, 0)
        self._speed = 0.0
        #: views whose docks are hidden because they do not apply to the project (not by a person;
        #: the window keeps this with its saved layout)
        self.hidden_for_data: set[str] = set()
        self._fronted = False

        self.panel = TrainingPanel()
        made = views or {}
        self.views: dict[str, PlotView] = {cls.dock_id: made[cls.dock_id] if cls.dock_id in made else cls()
                                           for cls in registry.LIVE_VIEWS}
        #: the GUI thread's drawing time the views share while an image run trains
        self.draw_budget = DrawBudget()
        for view in self.views.values():
            view.draw_budget = self.draw_budget
        self.docks: dict[str, QDockWidget] = {}
        self._make_docks()
        self._make_actions()
        self.panel.set_training(self.document.project.training)
        self.panel.settingsEdited.connect(self.edit_training)
        for view in self.views.values():
            view.picturesWanted.connect(self._pictures_wanted)
        gradients = self.views.get("gradients")
        if isinstance(gradients, GradientView):
            gradients.flagsChanged.connect(lambda flags: self.gradientsChanged.emit(gradients.latest(), flags))
        advisor = self.views.get("advisor")
        if isinstance(advisor, AdvisorView):
            advisor.fixRequested.connect(lambda fix: push_fix(self.document, fix, self.error))
        self.document.projectReset.connect(self._project_reset)
        self.document.trainingChanged.connect(self._training_changed)
        self.document.datasetStateChanged.connect(self._dataset_changed)
        self.document.reportChanged.connect(self._update_next_run)
        self.document.reportChanged.connect(self.front_what_applies)  # an edit can make an autoencoder
        self.document.datasetChanged.connect(self._update_next_run)
        self._dataset_changed()
        self._update_next_run()
        self._update_actions()

    def view(self, dock_id: str) -> PlotView:
        """The live view registered under ``dock_id`` ("loss", "boundary", ...)."""
        return self.views[dock_id]

    def select_node(self, node_id: str) -> None:
        """One node was selected on the canvas: the views about one node (its feature maps, its
        units) turn to it."""
        for view in self.views.values():
            view.select_node(node_id)

    # ------------------------------------------------------------------ construction
    def _make_docks(self) -> None:
        """The live views under the canvas in two tab groups side by side: the curves (views
        whose ``overview`` is "row" or "tab") on the left, the pictures on the right, so that a
        run's main picture (the decision boundary of a 2-D run, an image network's filters) is
        on screen beside its loss curve from the start."""
        area = Qt.DockWidgetArea
        # The side panels keep their full height; the live views sit under the canvas.
        self.window.setCorner(Qt.Corner.BottomLeftCorner, area.LeftDockWidgetArea)
        self.window.setCorner(Qt.Corner.BottomRightCorner, area.RightDockWidgetArea)
        self.docks["training"] = self._dock("Training", "trainingDock", self.panel, area.RightDockWidgetArea)
        for key, view in self.views.items():
            dock = self._dock(view.dock_title, f"{key}Dock", view, area.BottomDockWidgetArea)
            dock.visibilityChanged.connect(view.set_on_screen)
            dock.dockLocationChanged.connect(self._tidy_tab_bars)
            self.docks[key] = dock
        beside = [self.docks[k] for k, v in self.views.items() if v.overview == "side"]
        for dock in beside:  # read while training: tabbed with the training panel, where the eyes are
            self.window.tabifyDockWidget(self.docks["training"], dock)
        self.docks["training"].raise_()
        under = {k: v.overview for k, v in self.views.items() if v.overview != "side"}
        groups = [[self.docks[k] for k, overview in under.items() if (overview == "picture") == p]
                  for p in (False, True)]
        groups = [g for g in groups if g]
        for left, right in zip(groups, groups[1:]):
            self.window.splitDockWidget(left[0], right[0], Qt.Orientation.Horizontal)
        for group in groups:
            for dock in group[1:]:
                self.window.tabifyDockWidget(group[0], dock)
            group[0].raise_()
        self._groups = groups

    def arrange(self) -> None:
        """Size the live views for the window's current size (the default layout): about 40 %
        of its height, the two groups side by side in equal parts."""
        height = self.window.height()
        fronts = [group[0] for group in self._groups]
        self.window.resizeDocks(fronts[:1], [int(height * 0.4)], Qt.Orientation.Vertical)
        if len(fronts) > 1:
            self.window.resizeDocks(fronts, [1] * len(fronts), Qt.Orientation.Horizontal)
        self._drop_stale_tab_bars()
        self._tidy_tab_bars()

    @Slot()
    def _tidy_tab_bars(self) -> None:
        """Tab names are whole where the group has room (the two groups of the default layout
        have it from 1280 px on); in a narrower window they end in "…" and scroll buttons
        reach the rest, rather than being cut mid-word."""
        for bar in self.window.findChildren(QTabBar):
            bar.setElideMode(Qt.TextElideMode.ElideRight)
            bar.setUsesScrollButtons(True)

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self.window)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.window.addDockWidget(area, dock)
        return dock

    def _make_actions(self) -> None:
        sp = QStyle.StandardPixmap
        style = self.window.style()

        def action(text: str, slot: Callable[[], None], keys: str, tip: str, icon: QStyle.StandardPixmap) -> QAction:
            act = QAction(style.standardIcon(icon), text, self.window)
            act.setShortcut(QKeySequence(keys))
            act.setToolTip(f"{tip} ({keys})")
            act.setStatusTip(tip)
            act.triggered.connect(slot)
            self.window.addAction(act)
            return act

        self.train_action = action("&Train", self.train, "F5", "Train the network: continues from the last run's "
                                   "weights while the network and dataset are unchanged, else starts afresh",
                                   sp.SP_MediaPlay)
        self.pause_action = action("&Pause", self.toggle_pause, "F6", "Pause or resume training", sp.SP_MediaPause)
        self.pause_action.setCheckable(True)
        self.stop_action = action("S&top", self.stop, "Shift+F5", "Stop training", sp.SP_MediaStop)
        self.step_action = action("&Step", self.step, "F10", "Train one batch, then pause", sp.SP_MediaSkipForward)
        self.reset_action = action("&Reset Weights", self.reset_weights, "Ctrl+Shift+W",
                                   "Forget the trained weights: the next run starts from a fresh initialisation",
                                   sp.SP_BrowserReload)
        self.actions = [self.train_action, self.pause_action, self.stop_action, self.step_action, self.reset_action]
        menu = self.window.menuBar().addMenu("&Training")
        menu.addActions(self.actions)
        menu.addSeparator()
        views = menu.addMenu("Live &Views")
        for i, dock in enumerate(self.docks.values(), start=1):
            toggle = dock.toggleViewAction()
            toggle.setShortcut(QKeySequence(view_shortcut(i)))
            views.addAction(toggle)
        #: Train / Pause / Stop / Step / Reset Weights, in the window's toolbar area
        self.toolbar = toolbar = QToolBar("Training", self.window)
        toolbar.setObjectName("trainingToolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addActions(self.actions)
        self.window.addToolBar(toolbar)

    # ------------------------------------------------------------------ commands
    @property
    def running(self) -> bool:
        return self.session is not None and self.session.running

    @property
    def weights(self) -> dict[str, Any] | None:
        """The weights the next run continues from: the last run's, or a loaded file's."""
        return self._weights

    @weights.setter
    def weights(self, state: dict[str, Any] | None) -> None:
        self._weights = state
        self._weights_for = None if state is None else self._network_and_data()
        self._update_next_run()

    def _network_and_data(self) -> tuple[dict[str, Any], dict[str, Any]]:
        return self.document.graph.to_dict(), dict(self.document.project.dataset)

    def weights_for_network(self) -> dict[str, Any] | None:
        """The kept weights if the network and its dataset are still the ones they belong to,
        else None. The rule a person can predict: a change of training settings (epochs,
        learning rate, optimiser) continues from the last weights; an edit of the network
        (sigmoid to ReLU, another initialisation, more units) or of the dataset starts from a
        fresh initialisation, the earlier run staying as the overlay to compare with. An
        export likewise writes the edited network's initialisation, not stale weights."""
        if self._weights is None or self._network_and_data() != self._weights_for:
            return None
        return self._weights

    def next_run(self) -> str:
        """What the next Train does with the weights, as the Run panel says it."""
        if self._weights is None:
            return "Next run starts from a fresh initialisation."
        if self.weights_for_network() is None:
            changed = "network" if self.document.graph.to_dict() != (self._weights_for or ({}, {}))[0] else "dataset"
            return f"Next run starts from fresh weights: the {changed} changed (the last run stays, dashed)."
        return "Next run continues from these weights; Reset Weights (Ctrl+Shift+W) starts afresh."

    @Slot()
    def _update_next_run(self) -> None:
        if not self.running:  # while a run goes, the line says what that run started from
            self.panel.show_next_run(self.next_run())

    def _this_run(self, session: TrainingSession) -> str:
        """What the run being started starts from, as the Run panel says it while it goes."""
        if session.continues:
            return "This run continues from the last run's weights."
        if self.started_fresh:
            return "This run starts from fresh weights: the network or dataset changed."
        return "This run starts from a fresh initialisation."

    def _initial_state(self) -> dict[str, Any] | None:
        state = self.weights_for_network()
        self.started_fresh = self._weights is not None and state is None
        return state

    def train(self, *, paused: bool = False) -> None:
        """Start a run (or resume a paused one) from the current project and weights."""
        if self.session is not None and self.session.running:
            if self.session.control.paused:
                self.toggle_pause()
            return
        problems = self.document.network_problems()
        if problems:
            self.error("Cannot train", "The network cannot be trained yet:\n" + "\n".join(f"• {p}" for p in problems))
            return
        self._runs += 1
        project = self.document.project
        meta = self.document.meta
        session = TrainingSession(project, parent=self, initial_state=self._initial_state(),
                                  run_dir=next_run_dir(project) if self.keep_runs else None,
                                  animate=meta is not None and meta.animates)
        session.started.connect(self._started)
        session.reports.connect(self._reports)
        session.computed.connect(self._computed)
        session.finished.connect(self._finished)
        session.failed.connect(self._failed)
        session.ended.connect(self._ended)
        self.session = session
        self.info = None
        self.last_report = None
        self._pending.clear()
        self._next_ask.clear()
        if paused:
            session.pause()
        session.start()
        self.panel.set_running(True)
        self.panel.show_next_run(self._this_run(session))
        self.panel.show_message("Preparing data and model…")
        self.runningChanged.emit(True)
        self._update_actions()

    def toggle_pause(self) -> None:
        if not self.running:
            self.pause_action.setChecked(False)
            return
        assert self.session is not None
        if self.session.control.paused:
            self.session.resume()
            self.status("Training resumed")
        else:
            self.session.pause()
            self.status("Training paused: Step (F10) trains one batch, Train (F5) resumes")
        self._update_actions()

    def step(self) -> None:
        if not self.running:
            self.train(paused=True)
        if self.session is None:
            return
        if not self.session.control.paused:
            self.session.pause()
        self.session.step()
        self._update_actions()

    def stop(self) -> None:
        if self.session is not None:
            self.session.stop()

    def reset_weights(self) -> None:
        """Forget the trained weights; the next run starts from the project's initialisation."""
        if self.running:
            return
        self._forget_runs()
        self.panel.show_message("Weights reset: the next run starts from a fresh initialisation.")

    def show_saved_run(self, run: SavedRun) -> None:
        """File > Open Run, once the run's project is open: the next Train continues from the
        run's weights, and its curves are the loss view's overlay to compare a new run with."""
        self.weights = run.state
        loss = self.views.get("loss")
        if isinstance(loss, LossView):
            loss.add_previous_run(run.label, run.metrics)
        self._update_actions()

    def _forget_runs(self) -> None:
        """No weights to continue from, no run on show or kept as an overlay (the views learn
        which project is open from the document's dataset signal, not from here)."""
        self.weights = None
        self._runs = 0
        for view in self.views.values():
            view.reset()
        self.gradientsChanged.emit({}, {})
        self._update_actions()

    def train_steps(self, steps: int, timeout_s: float = 120.0) -> None:
        """Train exactly ``steps`` batches, then stop and bring every view up to date (for
        ``--screenshot --train-steps``). Blocks, processing events, until done."""
        from PySide6.QtCore import QCoreApplication

        self.train(paused=True)
        if self.session is None:
            return
        session = self.session
        session.step(steps)
        deadline = time.monotonic() + timeout_s
        while (session.result is None and session.running and time.monotonic() < deadline
               and (self.last_report is None or self.last_report.step < steps)):
            QCoreApplication.processEvents()
            time.sleep(0.002)
        session.stop()
        while session.running and time.monotonic() < deadline:
            QCoreApplication.processEvents()
            time.sleep(0.002)
        session.shutdown()
        QCoreApplication.processEvents()
        for view in self.views.values():
            view.flush()

    def show_all_views(self) -> None:
        """Lay the live views out for an overview (what a screenshot shows): the "row" views
        side by side under the canvas, this run's main picture (the first "picture" view that
        applies) beside the training panel, and the other views tabbed behind the curves."""
        meta = self.info.meta if self.info is not None else self.document.meta
        graph = self.document.graph
        pictures = [k for k, v in self.views.items()
                    if v.overview == "picture" and (meta is None or v.reason_for(meta, graph) is None)]
        picture = self.docks[pictures[0]] if pictures else None
        row = [self.docks[k] for k, v in self.views.items() if v.overview == "row"]
        rest = [self.docks[k] for k, v in self.views.items()
                if v.overview != "side" and self.docks[k] not in (*row, picture)
                and (meta is None or v.reason_for(meta, graph) is None)]
        if not row:
            row, rest = rest[:1], rest[1:]
        placed = [*row, *rest] + ([picture] if picture is not None else [])
        for dock in placed:
            self.window.removeDockWidget(dock)
        self.window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, row[0])
        for left, right in zip(row, row[1:]):
            self.window.splitDockWidget(left, right, Qt.Orientation.Horizontal)
        if picture is not None:  # under the training panel's tab group (split from a tab, it would join it)
            self.window.addDockWidget(self.window.dockWidgetArea(self.docks["training"]), picture,
                                      Qt.Orientation.Vertical)
        for dock in rest:
            self.window.tabifyDockWidget(row[0], dock)
        for dock in placed:
            dock.widget().setMinimumSize(200, 160)
            dock.show()
        row[0].raise_()
        if picture is not None:
            self.window.resizeDocks([self.docks["training"], picture], [300, 420], Qt.Orientation.Vertical)
        # tall enough for the gradient view's per-layer bars under its curves
        self.window.resizeDocks(row, [self.window.height() * 56 // 100] * len(row), Qt.Orientation.Vertical)
        self.window.resizeDocks(row, [420, 520, 420][: len(row)], Qt.Orientation.Horizontal)
        self._drop_stale_tab_bars()

    def _drop_stale_tab_bars(self) -> None:
        """Qt leaves the tab bar of a dissolved tab group drawn over the views that took its
        place; hidden, the next layout pass shows only the tab bars still in use."""
        for bar in self.window.findChildren(QTabBar):
            bar.hide()
        self.window.layout().invalidate()

    def shutdown(self, timeout_ms: int | None = 5000) -> None:
        """Stop a run and wait for its thread (closing the window, opening another project);
        ``timeout_ms`` None waits however long a run still preparing its data takes."""
        if self.session is not None:
            self.session.shutdown(timeout_ms)

    def _update_actions(self) -> None:
        self.draw_budget.active = self._stepping and self.session is not None and not self.session.animate
        running = self.running
        paused = running and self.session is not None and self.session.control.paused
        self.train_action.setText("&Resume" if paused else "&Train")
        self.train_action.setEnabled(not running or paused)
        self.pause_action.setEnabled(running)
        self.pause_action.setChecked(paused)
        self.stop_action.setEnabled(running)
        self.step_action.setEnabled(not running or paused)
        self.reset_action.setEnabled(not running and self.weights is not None)

    # ------------------------------------------------------------------ the project
    @Slot()
    def _training_changed(self) -> None:
        """Settings are a project edit (undoable, saved); the learning rate also reaches a
        running run, between two steps."""
        training = self.document.project.training
        self.panel.set_training(training)
        lr = training.get("lr")
        if self.running and self.session is not None and isinstance(lr, (int, float)) and lr > 0:
            self.session.set_lr(float(lr))
            self.status(f"Learning rate {lr:g} applies from the next step")

    @Slot()
    def _dataset_changed(self) -> None:
        for view in self.views.values():
            view.on_project(self.document.meta)
        self.front_what_applies()

    def front_what_applies(self) -> None:
        """Views that do not apply to this dataset or network leave the tab bars (digits have no
        decision boundary, a spiral no filters, an autoencoder no confusion matrix), so the tabs
        left are the ones worth a click and keep whole names, and come back when a project they
        apply to opens (a view a person closed stays closed). When that changes which views are
        shown (and the first time), each tab group under the canvas brings its first view forward
        (the loss curve; the boundary of a 2-D dataset, an image network's filters), so a new kind
        of project shows its pictures; otherwise the tab a person chose stays in front."""
        meta = self.document.meta
        if meta is None:
            return
        changed = not self._fronted
        for key, view in self.views.items():
            dock = self.docks[key]
            if view.reason_for(meta, self.document.graph) is None:
                if key in self.hidden_for_data:
                    self.hidden_for_data.discard(key)
                    dock.show()
                    changed = True
            elif not dock.isHidden():
                self.hidden_for_data.add(key)
                dock.hide()
                changed = True
        if not changed:
            return
        self._fronted = True
        placed: set[str] = set()
        for key, view in self.views.items():  # registry order: the first of each group comes first
            dock = self.docks[key]
            if view.overview == "side" or dock.isHidden() or key in placed:
                continue
            placed.add(key)
            placed.update(k for k, d in self.docks.items() if d in self.window.tabifiedDockWidgets(dock))
            dock.raise_()

    @Slot()
    def _project_reset(self) -> None:
        """Another project: nothing of the last one's runs may stay on show."""
        self.shutdown()
        self.session = None
        self.info = None
        self.last_report = None
        self._pending.clear()
        self._forget_runs()
        self.panel.set_training(self.document.project.training)
        self.panel.set_running(False)
        self.panel.reset_progress()

    # ------------------------------------------------------------------ run events
    def _current(self) -> bool:
        """Whether the signal being handled comes from the current session (a replaced
        project's run may still deliver its last events)."""
        return self.session is not None and self.sender() is self.session

    @Slot(object)
    def _started(self, info: RunInfo) -> None:
        if not self._current():
            return
        self.info = info
        previous = f"run {self._runs - 1}" if self._runs > 1 else None
        for view in self.views.values():
            view.start_run(info, previous)
        self._rate = (time.monotonic(), 0)
        fresh = " from fresh weights: the network changed since the last run" if self.started_fresh else ""
        if self.session is not None and self.session.control.paused:
            self.status(f"Stepping on {info.device}: F10 trains one more batch, F5 (Resume) runs on")
        else:
            self.status(f"Training on {info.device}: {info.total_steps:,} steps{fresh}")
        self._update_actions()
        self._request_pictures(force=True)

    @Slot(list)
    def _reports(self, reports: list[Report]) -> None:
        if not self._current():
            return
        for view in self.views.values():
            view.on_reports(reports)
        last = reports[-1]
        self.last_report = last
        now = time.monotonic()
        began, steps = self._rate
        if now - began >= 0.5:
            self._speed = (last.step - steps) / (now - began)
            self._rate = (now, last.step)
        if self.info is not None and now - self._last_progress >= PROGRESS_INTERVAL:
            self._last_progress = now
            self.panel.show_progress(last, self.info.total_steps, self._speed, last.time)
        if now - self._last_tint >= TINT_INTERVAL:
            self._last_tint = now
            self.gradientsChanged.emit(dict(last.grad_norm), self._gradient_flags())
        self._request_pictures(force=any(r.epoch_end for r in reports) and now - self._last_pictures > 1.0)
        self._update_actions()

    def _gradient_flags(self) -> dict[str, str]:
        """The gradient view's vanishing/exploding flags, for the canvas' node badges."""
        gradients = self.views.get("gradients")
        return gradients.flags() if isinstance(gradients, GradientView) else {}

    @Slot()
    def _pictures_wanted(self) -> None:
        """A view needs its pictures now (a person picked something, or it came on screen)."""
        view = self.sender()
        if isinstance(view, PlotView):
            self._request_pictures(force=True, views=[view])

    def _request_pictures(self, force: bool = False, views: list[PlotView] | None = None) -> None:
        """Ask the worker for the pictures the shown views want, one outstanding request per
        key, in rounds at most every PICTURE_INTERVAL seconds and within each key's
        PICTURE_BUDGET (``force``: at an epoch's end or when a person asked, regardless of the
        budget); ``views``: only theirs, now (not a round). Hidden views (closed, or a tab
        behind another) ask for nothing."""
        now = time.monotonic()
        if self.session is None or self.info is None:
            return
        if views is None:
            if not force and now - self._last_pictures < PICTURE_INTERVAL:
                return
            self._last_pictures = now
        wanted: dict[str, tuple[PictureRequest, list[PlotView]]] = {}
        for view in views if views is not None else self.views.values():
            if not view.on_screen():
                continue
            if not force and not view.animating and view.undrawn:
                # its last picture is not drawn yet (the shared drawing budget holds it back):
                # one computed now would only replace it unseen, so it is asked for once drawn
                continue
            for request in view.picture_requests(self.info):
                entry = wanted.setdefault(request.key, (request, []))
                entry[1].append(view)
        soonest = math.inf
        for key, (request, asking) in wanted.items():
            if key in self._pending:
                continue
            if not force and now < self._next_ask.get(key, 0.0):
                soonest = min(soonest, self._next_ask[key])
                continue
            self._pending[key] = asking
            self._budgets[key] = request.budget
            self.session.request(key, request.compute)
        if soonest < math.inf and self._stepping:
            wait_ms = max(1, math.ceil((soonest - now) * 1000))
            if not self._ask_timer.isActive() or self._ask_timer.remainingTime() > wait_ms:
                self._ask_timer.start(wait_ms)

    @property
    def _stepping(self) -> bool:
        """A run goes and is not paused: its model changes, so its pictures are worth asking for."""
        return self.session is not None and self.session.running and not self.session.control.paused

    @Slot()
    def _ask_held_back(self) -> None:
        """The budget of a picture held back has passed: ask the shown views again."""
        if self._stepping:
            self._request_pictures(views=list(self.views.values()))

    @Slot(object)
    def _computed(self, computed: Computed) -> None:
        if not self._current():
            return
        asking = self._pending.pop(computed.key, [])
        budget = self._budgets.get(computed.key) or (
            ANIMATION_PICTURE_BUDGET if self.session is not None and self.session.animate else PICTURE_BUDGET)
        self._next_ask[computed.key] = time.monotonic() + budget * computed.seconds
        if computed.error:
            self.status(f"Could not compute {computed.key}: {computed.error}")
            return
        for view in asking:
            view.on_picture(computed.key, computed.value)
        # the next one at once (within its budget), not at the next round: a picture asked for
        # at one delivery and back at the next would otherwise move at half the delivery rate
        # (not while paused: the model does not change)
        if self._stepping:
            self._request_pictures(views=asking)

    @Slot(object)
    def _finished(self, result: TrainResult) -> None:
        if not self._current():
            return
        assert self.session is not None
        self.weights = self.session.final_state
        if self.last_report is not None:
            self.gradientsChanged.emit(dict(self.last_report.grad_norm), self._gradient_flags())
            if self.info is not None:
                self.panel.show_progress(self.last_report, self.info.total_steps, self._speed, self.last_report.time)
        self._request_pictures(force=True)
        self.panel.set_running(False)
        for key, view in self.views.items():
            view.on_run_finished(result)
            if view.needs_attention():
                self.docks[key].raise_()
        text = {"finished": "Finished", "stopped": "Stopped", "diverged": "Diverged",
                "early_stopped": "Stopped early"}[result.status]
        tested = test_figures(result)
        self.panel.show_message(f"{text}: {result.message}" + (f" · {tested}" if tested else ""))
        folder = self.session.run_dir
        self.status(f"{text}: {result.message}" + (f"; {tested}" if tested else "")
                    + (f" (kept in {folder})" if folder is not None else ""))
        if result.status == "diverged":
            self.error("Training diverged", result.message)
        self.runningChanged.emit(False)
        self._update_next_run()
        self._update_actions()

    @Slot()
    def _ended(self) -> None:
        """The run's thread has ended: the end of the run may have been delivered while it was
        still winding down (then the actions and the next-run line still saw it running)."""
        if self._current():
            self._update_next_run()
            self._update_actions()

    @Slot(str)
    def _failed(self, message: str) -> None:
        if not self._current():
            return
        self.panel.set_running(False)
        self.panel.show_message(message)
        self.error("Training failed", message)
        self.runningChanged.emit(False)
        self._update_next_run()
        self._update_actions()
