"""The live training workspace: Train/Pause/Stop/Step/Reset, the training panel, the live
views as docks, and the runs that feed them.

The main window owns one ``TrainingWorkspace``. A run trains a frozen copy of the project on
a ``TrainingSession`` (its own thread); this class routes the session's batched reports to
the views, asks the worker for the pictures that need the live model (filters, decision
boundary, confusion matrix, saliency) between steps, and keeps the trained weights so the
next run continues from them until Reset. The graph is locked while a run is active.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QStyle, QTabBar, QToolBar, QWidget

from playground.core.probes import decision_grid, first_layer_filters, predict, unit_grids
from playground.core.saliency import SALIENCY_METHODS, predicted_classes, vanilla_gradient
from playground.core.training import Report, Trainer, TrainResult
from playground.ui.document import ProjectDocument
from playground.ui.plots.activations import ActivationView
from playground.ui.plots.boundary import BoundaryView
from playground.ui.plots.confusion import ConfusionView, confusion_matrix
from playground.ui.plots.filters import FilterView
from playground.ui.plots.gradients import GradientView
from playground.ui.plots.loss import LossView
from playground.ui.plots.saliency import SaliencyView
from playground.ui.training.panel import TrainingPanel
from playground.ui.training.worker import Computed, RunInfo, TrainingSession

#: Seconds between requests for pictures that need the live model (filters, boundary, ...).
PICTURE_INTERVAL = 0.25
#: Each kind of picture may take at most 1/PICTURE_BUDGET of the training thread's time: one
#: that took 20 ms is asked for again after 1 s, not 0.25 s (the pictures run between steps,
#: so their time is taken from training).
PICTURE_BUDGET = 50
#: Seconds between two re-tints of the graph by gradient flow (each repaints the canvas).
TINT_INTERVAL = 0.5


class TrainingWorkspace(QObject):
    """Creates the training docks and actions on ``window`` and runs training for it.

    Signals: ``runningChanged(bool)`` (the editor locks itself while True) and
    ``gradientsChanged(norms: dict, flags: dict)`` for the editor's gradient-flow tint.
    """

    runningChanged = Signal(bool)
    gradientsChanged = Signal(dict, dict)

    def __init__(self, window: QMainWindow, document: ProjectDocument, edit_training: Callable[[dict], None],
                 error: Callable[[str, str], None], status: Callable[[str], None]) -> None:
        super().__init__(window)
        self.window = window
        self.document = document
        self.edit_training = edit_training
        self.error = error
        self.status = status
        self.session: TrainingSession | None = None
        self._weights: dict[str, Any] | None = None
        #: the network (graph without layout) the kept weights belong to
        self._weights_graph: dict[str, Any] | None = None
        #: whether the latest run started from a fresh initialisation because the network had
        #: changed since the weights it would have continued from
        self.started_fresh = False
        self.info: RunInfo | None = None
        self.last_report: Report | None = None
        self._runs = 0
        self._pending: set[str] = set()
        self._last_pictures = 0.0
        #: when each kind of picture may next be asked for (from its last computation's cost)
        self._next_ask: dict[str, float] = {}
        self._last_tint = 0.0
        self._rate = (0.0, 0)
        self._speed = 0.0

        self.panel = TrainingPanel()
        self.loss = LossView()
        self.gradients = GradientView()
        self.activations = ActivationView()
        self.filters = FilterView()
        self.saliency = SaliencyView()
        self.boundary = BoundaryView()
        self.confusion = ConfusionView()
        self.views = [self.loss, self.gradients, self.activations, self.filters, self.saliency, self.boundary,
                      self.confusion]
        self.docks: dict[str, QDockWidget] = {}
        self._make_docks()
        self._make_actions()
        self.panel.set_training(self.document.project.training)
        self.panel.settingsEdited.connect(self._settings_edited)
        self.panel.lrEdited.connect(self._lr_edited)
        self.gradients.flagsChanged.connect(lambda flags: self.gradientsChanged.emit(self.gradients.latest(), flags))
        self.saliency.requested.connect(self._saliency_requested)
        self.document.projectReset.connect(self._project_reset)
        self.document.trainingChanged.connect(lambda: self.panel.set_training(self.document.project.training))
        self._update_actions()

    # ------------------------------------------------------------------ construction
    def _make_docks(self) -> None:
        area = Qt.DockWidgetArea
        # The side panels keep their full height; the live views sit under the canvas.
        self.window.setCorner(Qt.Corner.BottomLeftCorner, area.LeftDockWidgetArea)
        self.window.setCorner(Qt.Corner.BottomRightCorner, area.RightDockWidgetArea)
        self.docks["training"] = self._dock("Training", "trainingDock", self.panel, area.RightDockWidgetArea)
        first: QDockWidget | None = None
        for key, view, name in (("loss", self.loss, "Loss"), ("gradients", self.gradients, "Gradients"),
                                ("boundary", self.boundary, "Decision boundary"),
                                ("activations", self.activations, "Activations"), ("filters", self.filters, "Filters"),
                                ("saliency", self.saliency, "Saliency"), ("confusion", self.confusion, "Confusion")):
            dock = self._dock(name, f"{key}Dock", view, area.BottomDockWidgetArea)
            self.docks[key] = dock
            if first is None:
                first = dock
            else:
                self.window.tabifyDockWidget(first, dock)
        self.docks["loss"].raise_()

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

        self.train_action = action("&Train", self.train, "F5", "Train the network (continues from the last "
                                   "weights until Reset)", sp.SP_MediaPlay)
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
            toggle.setShortcut(QKeySequence(f"Alt+{i}"))
            views.addAction(toggle)
        toolbar = QToolBar("Training", self.window)
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
        self._weights_graph = None if state is None else self.document.graph.to_dict()

    def weights_for_network(self) -> dict[str, Any] | None:
        """The kept weights if the network is still the one they belong to, else None. After an
        edit of the network (sigmoid to ReLU, another initialisation, more units) the next run
        starts from a fresh initialisation, the earlier run staying as the overlay to compare
        with, and an export writes the edited network's initialisation, not stale weights."""
        if self._weights is None or self.document.graph.to_dict() != self._weights_graph:
            return None
        return self._weights

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
        report = self.document.report
        if not report.ok:
            problem = report.problems[0].message if report.problems else "the network is not valid"
            self.error("Cannot train", f"The network cannot be trained yet: {problem}")
            return
        self._runs += 1
        if self._runs > 1:
            label = f"run {self._runs - 1}"
            self.loss.keep_as_previous(label)
            self.gradients.keep_as_previous(label)
        for view in (self.loss, self.gradients, self.activations, self.filters, self.boundary, self.confusion):
            view.clear()
        session = TrainingSession(self.document.project, parent=self, initial_state=self._initial_state())
        session.started.connect(self._started)
        session.reports.connect(self._reports)
        session.computed.connect(self._computed)
        session.finished.connect(self._finished)
        session.failed.connect(self._failed)
        self.session = session
        self.last_report = None
        self._pending.clear()
        self._next_ask.clear()
        if paused:
            session.pause()
        session.start()
        self.panel.set_running(True)
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
        assert self.session is not None
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
        self.weights = None
        self._runs = 0
        for view in self.views:
            view.reset()
        self.gradientsChanged.emit({}, {})
        self.panel.show_message("Weights reset: the next run starts from a fresh initialisation.")
        self._update_actions()

    def train_steps(self, steps: int, timeout_s: float = 120.0) -> None:
        """Train exactly ``steps`` batches, then stop and bring every view up to date (for
        ``--screenshot --train-steps``). Blocks, processing events, until done."""
        from PySide6.QtCore import QCoreApplication

        self.train(paused=True)
        assert self.session is not None
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
        for view in self.views:
            view.flush()

    def show_all_views(self) -> None:
        """Lay the live views out for an overview (what a screenshot shows): curves and
        gradients side by side under the canvas, this dataset's picture beside the training
        panel, and the other views tabbed behind the curves."""
        two_d = self.info is not None and self.info.meta.input_shape == (2,)
        picture = self.docks["boundary" if two_d else "filters"]
        row = [self.docks["loss"], self.docks["gradients"]]
        rest = [d for name, d in self.docks.items() if name != "training" and d not in (*row, picture)]
        for dock in (*row, *rest, picture):
            self.window.removeDockWidget(dock)
        self.window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, row[0])
        self.window.splitDockWidget(row[0], row[1], Qt.Orientation.Horizontal)
        self.window.splitDockWidget(self.docks["training"], picture, Qt.Orientation.Vertical)
        for dock in rest:
            self.window.tabifyDockWidget(row[0], dock)
        for dock in (*row, *rest, picture):
            dock.widget().setMinimumSize(200, 160)
            dock.show()
        row[0].raise_()
        self.window.resizeDocks([self.docks["training"], picture], [300, 420], Qt.Orientation.Vertical)
        # tall enough for the gradient view's per-layer bars under its curves
        self.window.resizeDocks(row, [400, 400], Qt.Orientation.Vertical)
        self.window.resizeDocks(row, [420, 520], Qt.Orientation.Horizontal)
        # Qt leaves the tab bar of the dissolved tab group drawn over the loss view; hidden,
        # the next layout pass shows only the tab bars still in use
        for bar in self.window.findChildren(QTabBar):
            bar.hide()
        self.window.layout().invalidate()

    def shutdown(self) -> None:
        """Stop a run and wait for its thread (closing the window, opening another project)."""
        if self.session is not None:
            self.session.shutdown()

    def _update_actions(self) -> None:
        running = self.running
        paused = running and self.session is not None and self.session.control.paused
        self.train_action.setText("&Resume" if paused else "&Train")
        self.train_action.setEnabled(not running or paused)
        self.pause_action.setEnabled(running)
        self.pause_action.setChecked(paused)
        self.stop_action.setEnabled(running)
        self.step_action.setEnabled(not running or paused)
        self.reset_action.setEnabled(not running and self.weights is not None)

    # ------------------------------------------------------------------ settings
    def _settings_edited(self, training: dict[str, Any]) -> None:
        self.edit_training(training)

    def _lr_edited(self, lr: float) -> None:
        if self.running and self.session is not None:
            self.session.set_lr(lr)
            self.status(f"Learning rate {lr:g} applies from the next step")

    @Slot()
    def _project_reset(self) -> None:
        self.shutdown()
        self.weights = None
        self._runs = 0
        for view in self.views:
            view.reset()
        self.panel.set_training(self.document.project.training)
        self.gradientsChanged.emit({}, {})
        self._update_actions()

    # ------------------------------------------------------------------ run events
    @Slot(object)
    def _started(self, info: RunInfo) -> None:
        self.info = info
        graph = self.document.graph
        labels = {n: f"{graph.nodes[n].type} '{n}'" for n in info.node_order if n in graph.nodes}
        self.gradients.set_node_order(info.node_order, labels)
        self.activations.set_node_order(info.node_order, labels)
        self.loss.set_steps_per_epoch(info.steps_per_epoch)
        if info.meta.input_shape == (2,):
            self.boundary.set_points(*info.train, *info.test)
        if info.meta.target_kind == "classification" and info.meta.is_image:
            self.saliency.set_samples(info.samples[0], info.samples[1], info.samples[1],
                                      list(info.meta.class_names))
        self._rate = (time.monotonic(), 0)
        fresh = " from fresh weights: the network changed since the last run" if self.started_fresh else ""
        self.status(f"Training on {info.device}: {info.total_steps:,} steps{fresh}")
        self._update_actions()
        self._request_pictures(force=True)

    @Slot(list)
    def _reports(self, reports: list[Report]) -> None:
        self.loss.add_reports(reports)
        self.gradients.add_reports(reports)
        self.activations.add_reports(reports)
        last = reports[-1]
        self.last_report = last
        now = time.monotonic()
        began, steps = self._rate
        if now - began >= 0.5:
            self._speed = (last.step - steps) / (now - began)
            self._rate = (now, last.step)
        if self.info is not None:
            self.panel.show_progress(last, self.info.total_steps, self._speed, last.time)
        if now - self._last_tint >= TINT_INTERVAL:
            self._last_tint = now
            self.gradientsChanged.emit(dict(last.grad_norm), self.gradients.flags())
        self._request_pictures(force=any(r.epoch_end for r in reports) and now - self._last_pictures > 1.0)
        self._update_actions()

    def _request_pictures(self, force: bool = False) -> None:
        """Ask the worker for the pictures that need the live model, one outstanding request
        per kind, at most every PICTURE_INTERVAL seconds and within each kind's PICTURE_BUDGET
        (``force``: at an epoch's end, regardless of the budget; hidden views ask for nothing)."""
        now = time.monotonic()
        if self.session is None or self.info is None or (not force and now - self._last_pictures < PICTURE_INTERVAL):
            return
        self._last_pictures = now
        meta = self.info.meta
        if meta.is_image and self.filters.isVisible():
            self._ask("filters", lambda t: first_layer_filters(t.model, t.dataset.meta.input_shape), force)
        if meta.input_shape == (2,) and self.boundary.isVisible():
            self._ask("boundary", lambda t: (decision_grid(t.model, t.dataset.train.x, t.loss_name),
                                             unit_grids(t.model, t.dataset.train.x)), force)
        if meta.target_kind == "classification" and (self.confusion.isVisible() or self.saliency.isVisible()):
            self._ask("predictions", _validation_predictions, force)

    def _ask(self, key: str, fn: Callable[[Trainer], Any], force: bool = False) -> None:
        waiting = not force and time.monotonic() < self._next_ask.get(key, 0.0)
        if key in self._pending or self.session is None or waiting:
            return
        self._pending.add(key)
        self.session.request(key, fn)

    @Slot(object)
    def _computed(self, computed: Computed) -> None:
        self._pending.discard(computed.key)
        self._next_ask[computed.key] = time.monotonic() + PICTURE_BUDGET * computed.seconds
        if computed.error:
            self.status(f"Could not compute {computed.key}: {computed.error}")
            return
        value = computed.value
        if computed.key == "filters":
            if value is not None:
                kind = "conv" if value.images.shape[2:] != (self.info.meta.input_shape[1:] if self.info else ()) \
                    else "dense"
                self.filters.set_filters(value, kind, self._label(value.node_id))
        elif computed.key == "boundary":
            grid, units = value
            self.boundary.set_grid(grid, self.info.meta.target_kind if self.info else "classification")
            self.boundary.set_unit_grids(units)
        elif computed.key == "predictions":
            true, pred = value
            k = self.info.meta.target_size if self.info else int(max(true.max(), pred.max()) + 1)
            names = list(self.info.meta.class_names) if self.info else [str(i) for i in range(k)]
            self.confusion.set_matrix(confusion_matrix(true, pred, k), names)
            if self.info is not None and self.info.meta.is_image:
                count = len(self.info.samples[1])
                self.saliency.set_samples(self.info.samples[0], self.info.samples[1], pred[:count], names)
        elif computed.key == "saliency":
            image, maps = value
            self.saliency.set_maps(image, maps)

    def _label(self, node_id: str) -> str:
        node = self.document.graph.nodes.get(node_id)
        return f"{node.type} '{node_id}'" if node else node_id

    @Slot(list, str, object)
    def _saliency_requested(self, indices: list, method: str, target: object) -> None:
        if self.info is None:
            self.status("Train the network first: saliency needs a trained model")
            return
        images = self.info.samples[0]
        if not len(indices):
            return
        x = torch.from_numpy(images[list(indices)[:1]])

        def compute(trainer: Trainer) -> tuple[np.ndarray, dict[str, np.ndarray]]:
            classes = predicted_classes(trainer.model, x) if target is None else np.array([int(target)])
            maps = {"vanilla": vanilla_gradient(trainer.model, x, classes)}
            if method != "vanilla":
                maps[method] = SALIENCY_METHODS[method].compute(trainer.model, x, classes)
            return x.numpy()[0], {k: v[0] for k, v in maps.items()}

        if self.session is not None:
            self.session.request("saliency", compute)

    @Slot(object)
    def _finished(self, result: TrainResult) -> None:
        assert self.session is not None
        self.weights = self.session.final_state
        if self.last_report is not None:
            self.gradientsChanged.emit(dict(self.last_report.grad_norm), self.gradients.flags())
        self._request_pictures(force=True)
        self.panel.set_running(False)
        text = {"finished": "Finished", "stopped": "Stopped", "diverged": "Diverged",
                "early_stopped": "Stopped early"}[result.status]
        self.panel.show_message(f"{text}: {result.message}")
        self.status(f"{text}: {result.message}")
        if result.status == "diverged":
            self.error("Training diverged", result.message)
        self.runningChanged.emit(False)
        self._update_actions()

    @Slot(str)
    def _failed(self, message: str) -> None:
        self.panel.set_running(False)
        self.panel.show_message(message)
        self.error("Training failed", message)
        self.runningChanged.emit(False)
        self._update_actions()


def _validation_predictions(trainer: Trainer) -> tuple[np.ndarray, np.ndarray]:
    """True and predicted classes on the validation split (the test split when there is none)."""
    split = trainer.dataset.val if len(trainer.dataset.val) else trainer.dataset.test
    probabilities = predict(trainer.model, split.x.to(trainer.device), trainer.loss_name)
    return split.y.numpy().copy(), probabilities.argmax(dim=1).cpu().numpy().copy()
