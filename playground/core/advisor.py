"""The training advisor: names what is going wrong in a run, says why, and offers a fix.

It reads the trainer's report stream (``Advisor.feed``, one ``Report`` at a time: the app
feeds it on the GUI thread, ``advisor_callback.AdvisingCallback`` on the training thread) and
keeps bounded windows of what it saw: epoch-end losses and accuracies, the latest gradient
norms per node, weight and activation statistics when the report carries them. At every epoch
end (and when the run ends) each rule of ``RULES`` looks at those windows; a rule is one entry
(stable name, severity, what it watches, check), and its check returns a ``Finding`` with a
message in the lecture's words and a fix (``playground.core.edits``) or None.

Why windows and consequences rather than one threshold on one report: a gradient profile that
falls towards the input is common in networks that learn well (a newcomer's spiral net, 78 %
and rising, had both tanh layers 100 x below the output). The lectures' problem is the
*consequence*: the lower layers barely change, or the loss stalls. So a finding needs its
symptom held over a window and its consequence; how much a layer's weights change is read from
the weight statistics between two measurements (a lower bound on its update-to-weight ratio).

Qt-free and torch-free: the gradient view's flags and the canvas badges use
``gradient_profile`` and ``RunTrends`` without loading PyTorch.
"""

from __future__ import annotations

import dataclasses
import json
import math
import statistics
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from playground.core.datasets import dataset_meta
from playground.core.edits import Fix, insert_edit, make_fix, set_edit
from playground.core.graph import Graph, node_activations
from playground.core.layers import ACTIVATIONS, LAYER_TYPES, RECURRENT_TYPES
from playground.core.params import UserError
from playground.core.project import Project, write_atomic

if TYPE_CHECKING:
    from playground.core.training import Report

Severity = Literal["info", "warning"]

#: A node's gradient norm below this share of the Output node's is the vanishing profile...
VANISHING_RATIO = 1e-2
#: ... and above this multiple of it the exploding one (the gradient view's default lines).
EXPLODING_RATIO = 1e2
#: Gradient reports (the latest per report) the profile is judged on: the median of their ratios.
GRADIENT_WINDOW = 32
#: Fewest gradient reports and epochs before a trend can be told from noise.
MIN_REPORTS = 5
MIN_EPOCHS = 6
#: Epoch-end points kept; trends look at the last half of the run seen, at most this many.
EPOCH_WINDOW = 40
#: Weight and activation measurements kept.
PROBE_WINDOW = 16
#: A layer "barely changes" when its weights move less than this share of how much the Output
#: layer's weights move over the same steps.
BARELY_CHANGES = 0.01
#: A loss "stalls" when it improves by less than this share across the window.
STALL = 0.02
#: Growth of the gradient norms across the window that counts as exploding.
GROWTH = 100.0
#: Dead or saturated share of a layer's units, held in each of the last PERSIST measurements.
UNIT_SHARE = 0.5
PERSIST = 3
#: Validation loss this far above its best, PATIENCE epochs or more after the best, with the
#: training loss this much below where it was then, is overfitting.
OVERFIT_RISE = 0.1
PATIENCE = 5
#: Validation losses are compared as means over this many epochs (the best one too).
SMOOTH = 3
#: Training accuracy this far above validation accuracy is high variance (the lectures' bias and
#: variance: dev error well above training error), which also makes overfitting a warning.
GAP = 0.1
#: Training accuracy under which a stalled classifier is underfitting.
UNDERFIT_ACCURACY = 0.9
#: Share of the planned epochs seen before underfitting is judged (early epochs are always poor).
UNDERFIT_PROGRESS = 0.3
#: A loss that falls this steadily (share of epochs that improve) but by under SLOW_PER_EPOCH per
#: epoch, with weights moving under SMALL_UPDATE per step, is a too small learning rate. (The
#: weight statistics' drift is a lower bound on the update-to-weight ratio, whose healthy value is
#: about 1e-3 a step: a run above that is not held back by its step size.)
STEADY = 0.7
SLOW_PER_EPOCH = 0.005
SMALL_UPDATE = 1e-3
#: Weights moving under this share of their size per step are frozen (saturated units' effect).
FROZEN = 1e-5
#: Oscillation: the training loss moving from epoch to epoch by this share of the chance-level
#: loss on average (ln of the class count; the first epoch's loss for regression). The shipped
#: examples: 'lr_too_large' 0.44, healthy runs up to 0.08 (SGD on ten ReLU layers, the spiral).
JITTER = 0.15
#: Training accuracy above which a jumpy loss is a converged run's noise, not a problem.
CONVERGED_ACCURACY = 0.99
#: The same for a loss under this share of the loss of guessing (regression has no accuracy):
#: 'curve_deep_narrow' fits its curve to 5% of its first loss with Adam's spikes on top, and
#: a third of its learning rate fits worse.
CONVERGED_LOSS = 0.1
#: A recurrent node whose loss gradient at its first time step is under this share of its last
#: step's (the median over the epochs in the probe window) has lost its early inputs to
#: backpropagation through time. Two orders of magnitude: a plain RNN on 'memory' at 40 steps
#: fades by 1e-9 at first and, while it memorises its training sequences (validation at
#: chance), still by 1e-2 after 15 epochs; an LSTM that recalls keeps 0.08-0.1.
TIME_FADE = 1e-2

GradientFlag = Literal["vanishing", "exploding"]


# --------------------------------------------------------------------------- findings

@dataclass(frozen=True)
class Finding:
    """One thing the advisor found; ``to_json`` is its ``advice.json`` entry (FORMAT.md)."""

    rule: str
    severity: Severity
    step: int
    nodes: tuple[str, ...]
    message: str
    fix: Fix | None

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "severity": self.severity, "step": self.step, "nodes": list(self.nodes),
                "message": self.message, "fix": self.fix}

    def line(self) -> str:
        """The line ``playground train`` prints."""
        return f"advice: {self.rule}: {self.message}"


@dataclass(frozen=True)
class Verdict:
    """What a rule's check returns when its rule holds; the advisor adds name and step."""

    message: str
    fix: Fix | None
    nodes: Sequence[str] = ()
    severity: Severity | None = None


@dataclass(frozen=True)
class EpochPoint:
    step: int
    epoch: int
    train_loss: float
    train_acc: float | None
    val_loss: float | None
    val_acc: float | None


@dataclass(frozen=True)
class WeightPoint:
    """Weight statistics of every weighted node at one step: node -> (mean, std, max_abs)."""

    step: int
    stats: dict[str, tuple[float, float, float]]


# --------------------------------------------------------------------------- the gradient profile

def gradient_profile(grad_norm: Mapping[str, float], reference: str | None,
                     low: float = VANISHING_RATIO, high: float = EXPLODING_RATIO) -> dict[str, GradientFlag]:
    """Nodes whose gradient norm is below ``low`` x or above ``high`` x the reference node's
    (the Output node), and every node whose norm is not finite ("exploding").

    This is the symptom only: the advisor's findings also ask for the consequence, and so do the
    gradient view's flags and the canvas badges (``RunTrends.confirms_vanishing`` and
    ``confirms_exploding``).
    """
    ref = grad_norm.get(reference) if reference is not None else None
    usable = ref is not None and math.isfinite(ref) and ref > 0
    flags: dict[str, GradientFlag] = {}
    for node, value in grad_norm.items():
        if not math.isfinite(value):
            flags[node] = "exploding"
        elif usable and node != reference:
            if value < low * ref:
                flags[node] = "vanishing"
            elif value > high * ref:
                flags[node] = "exploding"
    return flags


# --------------------------------------------------------------------------- what the rules see

class RunTrends:
    """The bounded windows of one run's reports and the trends derived from them; all a rule
    reads except the project. ``output``: the Output node's id, the gradient reference.

    The gradient view keeps one too, so that its flags (and the canvas badges) follow the same
    definitions as the findings (``confirms_vanishing``, ``confirms_exploding``).
    """

    def __init__(self, output: str | None, chance_loss: float | None = None) -> None:
        self.output = output
        #: the loss of guessing (ln classes), the scale of a jumpy loss; None: the run's first epoch's
        #: loss (set at that epoch: the window forgets it)
        self.chance_loss = chance_loss
        self.current_lr: float | None = None
        self.best_val: EpochPoint | None = None
        self.epochs: deque[EpochPoint] = deque(maxlen=2 * EPOCH_WINDOW)
        self.gradients: deque[dict[str, float]] = deque(maxlen=GRADIENT_WINDOW)
        self.weights: deque[WeightPoint] = deque(maxlen=PROBE_WINDOW)
        self.units: deque[dict[str, tuple[float | None, float | None]]] = deque(maxlen=PROBE_WINDOW)
        self.time_grads: deque[dict[str, list[float]]] = deque(maxlen=PROBE_WINDOW)
        self.step = 0
        self.epoch = 0
        self.total_epochs = 1
        self.nonfinite: tuple[int, str | None] | None = None
        #: The trainer's own account of a divergence (it names the layer), when it gave one.
        self.divergence_message = ""
        self.finished = False
        self._memo: dict[str, Any] = {}

    def _once(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()``, computed once between two reports (several rules read the same trend)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def add(self, report: Report) -> None:
        self._memo.clear()
        self.step, self.epoch, self.total_epochs = report.step, report.epoch, max(report.total_epochs, 1)
        self.current_lr = report.lr
        norms = dict(report.grad_norm)
        if norms:
            self.gradients.append(norms)
        loss = report.train_loss
        if self.nonfinite is None and ((loss is not None and not math.isfinite(loss))
                                       or not all(map(math.isfinite, norms.values()))):
            worst = max(norms, key=lambda n: math.inf if not math.isfinite(norms[n]) else norms[n], default=None)
            self.nonfinite = (report.step, worst)
        if report.weights is not None:
            self.weights.append(WeightPoint(report.step, {n: (w.mean, w.std, w.max_abs)
                                                          for n, w in report.weights.items()}))
        if report.time_grad and report.epoch_end:  # the app measures between epochs too; the CLI does not
            self.time_grads.append({n: list(g) for n, g in report.time_grad.items()})
        if report.activations is not None:
            self.units.append({n: (a.dead, a.saturated) for n, a in report.activations.items()})
        if report.epoch_end and loss is not None and math.isfinite(loss):
            point = EpochPoint(report.step, report.epoch, loss, report.train_acc, report.val_loss, report.val_acc)
            self.epochs.append(point)
            if self.chance_loss is None:
                self.chance_loss = loss
            # the best of the validation loss' SMOOTH-epoch means: the lowest single value of a
            # noisy curve is a lucky epoch, and every later mean would look like a rise from it
            vals = [p.val_loss for p in list(self.epochs)[-SMOOTH:]
                    if p.val_loss is not None and math.isfinite(p.val_loss)]
            best = self.best_val.val_loss if self.best_val is not None else None
            if len(vals) == SMOOTH and (best is None or statistics.fmean(vals) < best):
                self.best_val = dataclasses.replace(point, val_loss=statistics.fmean(vals))

    # ---- trends over the epoch window
    def recent(self) -> list[EpochPoint]:
        """The last half of the epochs seen (MIN_EPOCHS to EPOCH_WINDOW of them)."""
        points = list(self.epochs)
        return points[-max(MIN_EPOCHS, min(len(points) // 2, EPOCH_WINDOW)):]

    def enough_epochs(self) -> bool:
        return len(self.epochs) >= MIN_EPOCHS

    def losses(self) -> list[float]:
        return [p.train_loss for p in self.recent()]

    def improvement(self) -> float:
        """How much the training loss fell across the window, as a share of where it started
        (the means of its first and last thirds, so one noisy epoch does not decide)."""
        return _improvement(self.losses())

    def stalled(self) -> bool:
        return self.enough_epochs() and self.improvement() < STALL

    def jitter(self) -> float:
        """How far the training loss moves up and down from one epoch to the next across the
        window, beyond its net change (a loss that falls steadily, however fast, does not
        jitter), per epoch, as a share of the chance-level loss."""
        losses = self.losses()
        scale = self.loss_scale()
        if len(losses) < 2 or not scale:
            return 0.0
        path = sum(abs(b - a) for a, b in zip(losses, losses[1:]))
        return (path - abs(losses[-1] - losses[0])) / (len(losses) - 1) / scale

    def loss_scale(self) -> float:
        """The loss of guessing: ln(classes) for a classifier, the run's first epoch's loss for a
        regression (0.0 before any epoch)."""
        return self.chance_loss or 0.0

    def loss_share(self) -> float:
        """The window's mean training loss as a share of the loss of guessing (inf when unknown)."""
        losses, scale = self.losses(), self.loss_scale()
        return statistics.fmean(losses) / scale if losses and scale else math.inf

    def per_epoch(self) -> float:
        """The training loss' improvement per epoch across the window."""
        return self.improvement() / max(len(self.recent()) - 1, 1)

    def train_accuracy(self) -> float | None:
        accs = [p.train_acc for p in self.recent()[-3:] if p.train_acc is not None]
        return statistics.fmean(accs) if accs else None

    def classifies(self) -> bool:
        return bool(self.epochs) and self.epochs[-1].train_acc is not None

    # ---- gradients
    def gradient_ratios(self) -> dict[str, float]:
        """Each node's median norm relative to the Output node's over the gradient window."""
        return self._once("ratios", self._gradient_ratios)

    def _gradient_ratios(self) -> dict[str, float]:
        ref = self.output
        rows = [g for g in self.gradients if ref in g and math.isfinite(g[ref]) and g[ref] > 0]
        if len(rows) < MIN_REPORTS or ref is None:
            return {}
        nodes = [n for n in rows[-1] if n != ref]
        return {n: statistics.median(g[n] / g[ref] for g in rows if n in g and math.isfinite(g[n])) for n in nodes
                if any(n in g and math.isfinite(g[n]) for g in rows)}

    def gradient_growth(self) -> dict[str, float]:
        """How many times more each node's norm grew than the Output node's, from the first to
        the last third of the window (a step size too large for every layer grows them all alike;
        an explosion grows some layers' out of proportion)."""
        return self._once("growth", self._gradient_growth)

    def _gradient_growth(self) -> dict[str, float]:
        rows = list(self.gradients)
        if len(rows) < MIN_REPORTS or self.output is None:
            return {}
        third = max(1, len(rows) // 3)

        def grew(node: str) -> float | None:
            first = [g[node] for g in rows[:third] if node in g and math.isfinite(g[node])]
            last = [g[node] for g in rows[-third:] if node in g and math.isfinite(g[node])]
            if not first or not last or statistics.median(first) <= 0:
                return None
            return statistics.median(last) / statistics.median(first)

        top = grew(self.output)
        if not top:
            return {}
        return {n: g / top for n in rows[-1] if n != self.output and (g := grew(n)) is not None}

    # ---- weights and units
    def weight_change(self) -> dict[str, float]:
        """Per node, how much its weight statistics moved across the probe window, relative to
        the weights' size: a lower bound on the summed update-to-weight ratio (an update that
        keeps mean, spread and largest weight reads as none)."""
        if len(self.weights) < 2 or self.weights[-1].step <= self.weights[0].step:
            return {}
        first, last = self.weights[0].stats, self.weights[-1].stats
        change = {}
        for node, (m0, s0, a0) in first.items():
            if node in last:
                m1, s1, a1 = last[node]
                size = max(s0, abs(m0), 1e-12)
                change[node] = max(abs(m1 - m0), abs(s1 - s0), abs(a1 - a0)) / size
        return change

    def update_ratio(self) -> float | None:
        """The median over nodes of ``weight_change`` per step, or None without measurements."""
        change = self.weight_change()
        if not change:
            return None
        steps = self.weights[-1].step - self.weights[0].step
        return statistics.median(change.values()) / steps

    def persistent_units(self, which: int) -> list[str]:
        """Nodes whose dead (``which`` 0) or saturated (1) share is at least UNIT_SHARE in each of
        the last PERSIST measurements."""
        if len(self.units) < PERSIST:
            return []
        last = list(self.units)[-PERSIST:]
        return [n for n in last[-1] if all(
            n in u and u[n][which] is not None and u[n][which] >= UNIT_SHARE for u in last)]

    def time_fade(self) -> dict[str, float]:
        """Per recurrent node, the median over the probe window of its first time step's
        gradient norm over its last step's (at least PERSIST measurements; an empty dict before)."""
        if len(self.time_grads) < PERSIST:
            return {}
        ratios: dict[str, list[float]] = {}
        for row in self.time_grads:
            for node, steps in row.items():
                if len(steps) > 1 and all(math.isfinite(g) for g in (steps[0], steps[-1])) and steps[-1] > 0:
                    ratios.setdefault(node, []).append(steps[0] / steps[-1])
        return {n: statistics.median(r) for n, r in ratios.items() if len(r) >= PERSIST}

    # ---- consequences (shared with the gradient view's flags)
    def confirms_vanishing(self, node: str) -> bool:
        """A small gradient at ``node`` matters: the loss has stalled, or the node's weights
        barely change while the Output layer's do."""
        if self.stalled():
            return True
        change = self.weight_change()
        top = change.get(self.output or "", 0.0)
        return top > 0 and node in change and change[node] < BARELY_CHANGES * top

    def confirms_exploding(self) -> bool:
        """Large gradients matter: the loss does not improve across the window."""
        return self.enough_epochs() and self.improvement() < STALL


class Evidence(RunTrends):
    """``RunTrends`` plus what the project says: the network and the training settings."""

    def __init__(self, project: Project) -> None:
        self.graph: Graph = project.graph
        super().__init__(next((n.id for n in self.graph.nodes.values() if n.type == "Output"), None),
                         _chance_loss(project))
        config = project.train_config()
        self.lr = config.lr
        self.current_lr = config.lr
        self.grad_clip = config.grad_clip
        self.early_stopping = config.early_stopping
        self.weight_decay = config.weight_decay
        self.activation_names = node_activations(self.graph)

    # ---- the network
    def hidden(self, param: str) -> list[str]:
        """Hidden nodes (not Input or Output) whose type has ``param``, in graph order."""
        return [n.id for n in self.graph.nodes.values() if n.type not in ("Input", "Output")
                and n.type in LAYER_TYPES and any(p.name == param for p in LAYER_TYPES[n.type].params)]

    def nonlinear_nodes(self) -> list[str]:
        return [n for n, name in self.activation_names.items()
                if n != self.output and ACTIVATIONS[name].family != "linear"]


def _chance_loss(project: Project) -> float | None:
    """The cross-entropy of guessing, ln(classes), for a classification dataset; else None."""
    try:
        meta = dataset_meta(project.dataset, project.load_context())
    except UserError:
        return None
    return math.log(max(meta.target_size, 2)) if meta.target_kind == "classification" else None


def _improvement(values: Sequence[float]) -> float:
    if len(values) < 3:
        return 0.0
    third = max(1, len(values) // 3)
    first, last = statistics.fmean(values[:third]), statistics.fmean(values[-third:])
    return (first - last) / abs(first) if first else 0.0


def _share(flags: Iterable[bool]) -> float:
    items = list(flags)
    return sum(items) / len(items) if items else 0.0


# --------------------------------------------------------------------------- fixes

def _relu_he(ev: Evidence, nodes: Sequence[str]) -> Fix | None:
    """ReLU + He initialisation on the given nodes that take an activation and an init."""
    targets = [n for n in nodes if n in ev.hidden("activation") and n in ev.hidden("init")]
    if not targets:
        return None
    edits = [e for n in targets for e in (set_edit(f"graph.{n}.activation", "relu"),
                                          set_edit(f"graph.{n}.init", "he_normal"))]
    return make_fix("Use ReLU + He initialisation", edits)


def _batch_norm(ev: Evidence, nodes: Sequence[str]) -> Fix | None:
    targets = [n for n in nodes if n in ev.hidden("batchnorm")
               and not ev.graph.nodes[n].resolved_params().get("batchnorm")]
    if not targets:
        return None
    return make_fix("Add batch normalisation", [set_edit(f"graph.{n}.batchnorm", True) for n in targets])


def _scaled_lr(ev: Evidence, factor: float, label: str) -> Fix:
    return make_fix(label, [set_edit("training.lr", _round(ev.lr * factor))])


def _clipping(ev: Evidence) -> Fix | None:
    if ev.grad_clip:
        return None
    return make_fix("Clip gradients (norm 1)", [set_edit("training.grad_clip", {"mode": "norm", "max": 1.0})])


def _regularise(ev: Evidence) -> Fix | None:
    """Early stopping if the run has none, else L2, else dropout on the hidden Dense layers."""
    if not ev.early_stopping:
        return make_fix("Stop early (patience 10)", [set_edit("training.early_stopping", {"patience": 10})])
    if ev.weight_decay == 0:
        return make_fix("Add L2 weight decay (0.001)", [set_edit("training.weight_decay", 1e-3)])
    targets = [n for n in ev.hidden("dropout") if not ev.graph.nodes[n].resolved_params().get("dropout")]
    if not targets:
        return None
    return make_fix("Add dropout (0.2)", [set_edit(f"graph.{n}.dropout", 0.2) for n in targets])


def _doubled_units(node_type: str, units: int) -> int:
    """Twice the units, within what the node type allows."""
    limit = LAYER_TYPES[node_type].param("units").maximum
    return int(min(2 * units, limit)) if limit is not None else 2 * units


def _round(x: float) -> float:
    return float(f"{x:.3g}")


def _labels(ev: Evidence, nodes: Sequence[str]) -> str:
    return ", ".join(ev.graph.nodes[n].label if n in ev.graph.nodes else n for n in nodes)


# --------------------------------------------------------------------------- the rules

def _diverged(ev: Evidence) -> Verdict | None:
    if ev.nonfinite is None:
        return None
    step, worst = ev.nonfinite
    where = f"; the largest gradients were in {_labels(ev, [worst])}" if worst else ""
    what = ev.divergence_message or f"the loss became NaN or infinite at step {step}{where}"
    clip = _clipping(ev)
    edits = [set_edit("training.lr", _round(ev.lr * 0.1)), *(clip["edits"] if clip else [])]
    return Verdict(
        f"{what}. Each update θ ← θ − η·∂L/∂θ overshot the "
        f"valley and every next one overshot further. Divide the learning rate by 10 (now {ev.lr:g}) and clip "
        "the gradients.", make_fix("Learning rate ÷10 and clip gradients", edits), [worst] if worst else [])


def _exploding(ev: Evidence) -> Verdict | None:
    ratios = {n: r for n, r in ev.gradient_ratios().items() if r > EXPLODING_RATIO}
    growth = {n: g for n, g in ev.gradient_growth().items() if g > GROWTH}
    nodes = [n for n in ev.graph.nodes if n in ratios or n in growth]
    if not nodes or not ev.confirms_exploding():
        return None
    return Verdict(
        f"the gradients of {_labels(ev, nodes)} grow out of proportion (up to "
        f"{max([*growth.values(), *ratios.values()]):.0f}x) while the loss does not improve. The gradient "
        "reaching a layer is a product of per-layer factors; when they exceed 1 it grows layer by layer and "
        "the updates become huge. Clipping the gradient norm caps each step.",
        _clipping(ev) or _scaled_lr(ev, 1 / 3, "Learning rate ÷3"), nodes)


def _vanishing(ev: Evidence) -> Verdict | None:
    # an exactly zero gradient is a layer cut off by dead units (that rule's finding), not a fading one
    profile = [n for n, r in ev.gradient_ratios().items() if 0 < r < VANISHING_RATIO]
    nodes = [n for n in profile if ev.confirms_vanishing(n)]
    if not nodes:
        return None
    stalled = ev.stalled()
    consequence = ("the loss has stalled" if stalled else
                   "their weights barely change while the output layer's do")
    lowest = min(ev.gradient_ratios()[n] for n in nodes)
    saturating = [n for n in ev.hidden("activation")
                  if ACTIVATIONS[ev.activation_names.get(n, "linear")].family == "saturating"]
    fix = _relu_he(ev, saturating) or _batch_norm(ev, ev.hidden("batchnorm"))
    return Verdict(
        f"the gradients reaching {_labels(ev, nodes)} are down to {lowest:.0e} of the output layer's, and "
        f"{consequence}. The gradient of a lower layer is a product of per-layer factors; a sigmoid's slope is "
        "at most 1/4 and careless initialisation shrinks it further, so the first layers barely learn. ReLU "
        "with He initialisation (Var(w) = 2/fan_in) or batch normalisation keeps the factors near 1.", fix, nodes)


def _vanishing_through_time(ev: Evidence) -> Verdict | None:
    faded = {n: r for n, r in ev.time_fade().items() if r < TIME_FADE}
    accuracy = ev.train_accuracy()
    progressed = ev.finished or ev.epoch >= UNDERFIT_PROGRESS * ev.total_epochs
    # a classifier's consequence is its accuracy (a converged one's loss stalls too); a regression's, its loss
    poor = (accuracy < UNDERFIT_ACCURACY and progressed and ev.enough_epochs() if accuracy is not None
            else ev.stalled())
    if not faded or not poor:
        return None
    nodes = [n for n in ev.graph.nodes if n in faded]
    steps = len(ev.time_grads[-1].get(nodes[0], ()))
    plain = [n for n in nodes if ev.graph.nodes[n].type == "RNN"]
    return Verdict(
        f"the loss gradient reaching {_labels(ev, nodes)} at the first time step is {min(faded.values()):.0e} "
        f"of the last step's, {steps} steps later, and the network does not learn. Backpropagation through "
        "time multiplies the gradient by the recurrent weights and the activation's slope at every step, so "
        "the early inputs barely change the weights and what the network must remember from them is lost. "
        "An LSTM's (or GRU's) gated cell state carries information and its gradient across long spans.",
        make_fix("Use an LSTM", [set_edit(f"graph.{n}.type", "LSTM") for n in plain]) if plain else None, nodes)


def _symmetric(ev: Evidence) -> Verdict | None:
    zeros = [n for n in ev.hidden("init") if ev.graph.nodes[n].resolved_params().get("init") == "zeros"]
    ratios = ev.gradient_ratios()
    stuck = [n for n in zeros if ratios.get(n) == 0.0]
    if not zeros or not (stuck or ev.stalled()):
        return None
    edits = [set_edit(f"graph.{n}.init", "he_normal" if ACTIVATIONS[ev.activation_names.get(n, "linear")].family
                      == "relu" else "xavier_uniform") for n in zeros]
    return Verdict(
        f"{_labels(ev, zeros)} start{'s' if len(zeros) == 1 else ''} with all weights zero, and "
        + (f"the gradients of {_labels(ev, stuck)} are exactly zero. " if stuck else "the loss has stalled. ")
        + "Units that start identical compute the same thing and receive the same gradient, so nothing ever "
        "makes them different: random initialisation (Xavier for tanh, He for ReLU) breaks the symmetry.",
        make_fix("Initialise randomly (Xavier / He)", edits), stuck or zeros)


def _dead(ev: Evidence) -> Verdict | None:
    nodes = ev.persistent_units(0)
    if not nodes:
        return None
    edits = [set_edit(f"graph.{n}.activation", "leaky_relu") for n in nodes if n in ev.hidden("activation")]
    return Verdict(
        f"at least half the units of {_labels(ev, nodes)} output zero for every example. A ReLU whose input is "
        "negative everywhere passes no gradient, so such a unit never recovers (often after a too large step "
        "pushed its bias down). Leaky ReLU keeps a small slope below zero, so they can come back.",
        make_fix("Use leaky ReLU", edits) if edits else None, nodes)


def _saturated(ev: Evidence) -> Verdict | None:
    # a recurrent layer's tanh holds its state; batch norm and ReLU are no remedy there
    nodes = [n for n in ev.persistent_units(1) if n in ev.graph.nodes and ev.graph.nodes[n].type not in RECURRENT_TYPES]
    if not nodes:
        return None
    ratio = ev.update_ratio()
    slow = ev.stalled() or (ratio is not None and ratio < FROZEN)
    return Verdict(
        f"at least half the outputs of {_labels(ev, nodes)} sit on the flat tails of their sigmoid/tanh, where "
        "the slope is under a tenth of its peak, so little gradient passes through them"
        + (" and learning has all but stopped. " if slow else ". ")
        + "Batch normalisation keeps the inputs of the non-linearity near zero; ReLU does not saturate for "
        "positive inputs.", _batch_norm(ev, nodes) or _relu_he(ev, nodes), nodes,
        "warning" if slow else "info")


def _overfitting(ev: Evidence) -> Verdict | None:
    best = ev.best_val
    last = [p for p in ev.recent()[-SMOOTH:] if p.val_loss is not None and math.isfinite(p.val_loss)]
    if best is None or len(last) < SMOOTH or ev.epoch - best.epoch < PATIENCE:
        return None
    current = statistics.fmean(p.val_loss or 0.0 for p in last)
    best_val = best.val_loss or 0.0
    train_falls = statistics.fmean(p.train_loss for p in last) < (1 - OVERFIT_RISE) * best.train_loss
    if current <= best_val * (1 + OVERFIT_RISE) + 1e-9 or not train_falls:
        return None
    accs = [p.val_acc for p in last if p.val_acc is not None]
    train_acc = ev.train_accuracy()
    if train_acc is not None and train_acc < UNDERFIT_ACCURACY:
        return None  # the training examples are not fitted either: a bias problem first
    accuracy, gap = "", None
    if accs and train_acc is not None:
        gap = train_acc - statistics.fmean(accs)
        if gap <= 0:  # new examples fare at least as well as the training ones (dropout, noise in training)
            return None
        accuracy = f" (validation accuracy {statistics.fmean(accs):.1%}, training accuracy {train_acc:.1%})"
    stopping = ("; early stopping is on and keeps the weights of the best validation epoch" if ev.early_stopping
                else "")
    severity: Severity = "warning" if (gap is None or gap >= GAP) and not ev.early_stopping else "info"
    return Verdict(
        f"since epoch {best.epoch} the validation loss ({SMOOTH}-epoch mean) has risen from {best_val:.3g} to "
        f"{current:.3g}{accuracy} "
        f"while the training loss keeps falling: the network is learning its training examples rather than the "
        f"pattern{stopping}. Early stopping keeps the weights of the best validation epoch; L2 weight decay, "
        "dropout or more data reduce the variance.", _regularise(ev), (), severity)


def _underfitting(ev: Evidence) -> Verdict | None:
    accuracy = ev.train_accuracy()
    progressed = ev.finished or ev.epoch >= UNDERFIT_PROGRESS * ev.total_epochs
    if accuracy is None or accuracy >= UNDERFIT_ACCURACY or not progressed or not ev.stalled():
        return None
    targets = ev.hidden("units")
    edits = [set_edit(f"graph.{n}.units", _doubled_units(ev.graph.nodes[n].type,
                                                        int(ev.graph.nodes[n].resolved_params()["units"])))
             for n in targets]
    return Verdict(
        f"the training accuracy has stopped at {accuracy:.1%} and the training loss no longer falls: the "
        "network cannot fit even its training examples (high bias). A bigger network (more units or layers), "
        "less regularisation or a better optimiser reduce the bias; more data would not.",
        make_fix("Double the hidden units", edits) if edits else None, targets)


def _lr_too_small(ev: Evidence) -> Verdict | None:
    losses = ev.losses()
    scheduled = ev.current_lr < ev.lr  # a schedule lowered the rate on purpose, to settle
    if not ev.enough_epochs() or scheduled or (ev.train_accuracy() or 0.0) >= UNDERFIT_ACCURACY:
        return None
    steady = _share(b < a for a, b in zip(losses, losses[1:])) >= STEADY
    per_epoch = ev.per_epoch()
    ratio = ev.update_ratio()
    if not steady or not (0 < per_epoch < SLOW_PER_EPOCH) or (ratio is not None and ratio >= SMALL_UPDATE):
        return None
    moved = f" and the weights move by about {ratio:.0e} of their size per step" if ratio is not None else ""
    return Verdict(
        f"the loss falls at every epoch but only by {per_epoch:.2%} per epoch{moved}. With a too small "
        f"learning rate (now {ev.lr:g}) each step θ ← θ − η·∂L/∂θ is tiny: training is slow, not wrong. "
        "Try ten times the rate.", _scaled_lr(ev, 10, "Learning rate ×10"))


def _lr_too_large(ev: Evidence) -> Verdict | None:
    accuracy = ev.train_accuracy()
    if not ev.enough_epochs() or (accuracy is not None and accuracy >= CONVERGED_ACCURACY):
        return None
    if ev.loss_share() < CONVERGED_LOSS:  # jumps around a loss far below guessing: a fitted run's noise
        return None
    jitter = ev.jitter()
    if jitter < JITTER:
        return None
    return Verdict(
        f"the training loss jumps up and down from epoch to epoch instead of settling (by {jitter:.0%} of the "
        f"loss of guessing, on average). With a too large learning rate (now {ev.lr:g}) each step overshoots the "
        "valley and lands higher up the other side. A third of the rate lets it settle.",
        _scaled_lr(ev, 1 / 3, "Learning rate ÷3"))


def _no_hidden_layer(ev: Evidence) -> Verdict | None:
    accuracy = ev.train_accuracy()
    if ev.nonlinear_nodes() or accuracy is None or accuracy >= UNDERFIT_ACCURACY or not ev.stalled():
        return None
    out = ev.output
    feeding = ev.graph.inputs_of(out) if out else []
    fix = None
    if len(feeding) == 1:
        fix = make_fix("Add a hidden layer (8 ReLU units)", [insert_edit(
            ev.graph.unique_id("h"), "Dense", {"units": 8, "activation": "relu", "init": "he_uniform"},
            feeding[0], out or "")])
    return Verdict(
        f"the network has no hidden layer with a non-linear activation and its accuracy has stopped at "
        f"{accuracy:.1%}. Without one it is a linear model: it can only draw a straight boundary, and a "
        "problem like XOR needs a bent one (Minsky and Papert). One hidden layer of a few non-linear units "
        "can bend it.", fix)


Check = Callable[[Evidence], "Verdict | None"]


@dataclass(frozen=True)
class Rule:
    """One advisor rule. ``sticky``: once found it stays for the rest of the run (a divergence
    does not heal); otherwise a finding goes when its rule stops holding. ``suppresses``: rules
    whose findings this one explains, left out while it holds as a warning."""

    name: str
    #: what the app's Advisor view heads the finding with
    title: str
    severity: Severity
    watches: str
    check: Check
    sticky: bool = False
    suppresses: tuple[str, ...] = ()


RULES: dict[str, Rule] = {rule.name: rule for rule in (
    Rule("diverged", "Training diverged", "warning", "a NaN or infinite loss or gradient", _diverged,
         sticky=True, suppresses=("exploding_gradients", "lr_too_large", "underfitting")),
    Rule("exploding_gradients", "Exploding gradients", "warning",
         "gradient norms far above the output's or growing 100x, with a loss that does not improve", _exploding,
         sticky=True, suppresses=("lr_too_large",)),
    Rule("vanishing_gradients", "Vanishing gradients", "warning",
         "gradient norms below 1/100 of the output's, and those layers barely changing or the loss stalled",
         _vanishing, suppresses=("underfitting", "lr_too_small")),
    Rule("vanishing_through_time", "Vanishing gradients through time", "warning",
         "a recurrent layer's gradient at the first time step below 1/100 of the last step's, with a training "
         "accuracy below 90 % late in the run (a regression: a stalled loss)", _vanishing_through_time,
         suppresses=("vanishing_gradients", "underfitting", "lr_too_small")),
    Rule("symmetric_weights", "Symmetric weights", "warning",
         "hidden layers initialised to zero whose gradients stay exactly zero or whose loss stalls", _symmetric,
         suppresses=("vanishing_gradients", "underfitting", "lr_too_small")),
    Rule("dead_units", "Dead units", "warning",
         "ReLU units that are zero for every probe example, in several measurements", _dead,
         suppresses=("vanishing_gradients", "underfitting", "lr_too_small")),
    Rule("saturated_units", "Saturated units", "warning",
         "sigmoid/tanh outputs on their flat tails, in several measurements (a warning when the loss stalls or "
         "the weights barely move)", _saturated, suppresses=("lr_too_small",)),
    Rule("overfitting", "Overfitting", "warning",
         "the validation loss rising from its best while the training loss falls (a warning when validation "
         "accuracy trails training accuracy by 10 points, and no early stopping)", _overfitting),
    Rule("no_hidden_layer", "No hidden layer", "warning", "a linear network whose training accuracy stalls",
         _no_hidden_layer, suppresses=("underfitting", "lr_too_small")),
    Rule("underfitting", "Underfitting", "warning", "training accuracy stalled below 90 % late in the run",
         _underfitting),
    Rule("lr_too_small", "Learning rate too small", "warning",
         "a loss that falls steadily but very slowly, weights barely moving", _lr_too_small,
         suppresses=("underfitting",)),
    Rule("lr_too_large", "Learning rate too large", "warning",
         "a training loss that jumps between epochs by 15 % of the loss of guessing", _lr_too_large,
         suppresses=("overfitting", "underfitting")),
)}


# --------------------------------------------------------------------------- the advisor

class Advisor:
    """Watches one run's reports and keeps its current findings.

    ``feed`` each report in order (from any one thread); rules are judged at epoch ends and at
    ``finish``; ``findings`` lists what holds now, warnings first. Memory is bounded whatever
    the run's length.
    """

    def __init__(self, project: Project, rules: Mapping[str, Rule] = RULES) -> None:
        self.evidence = Evidence(project)
        self.rules = dict(rules)
        self._found: dict[str, Finding] = {}

    def feed(self, report: Report) -> bool:
        """Take one report; True when the findings changed."""
        self.evidence.add(report)
        if report.epoch_end or (self.evidence.nonfinite is not None and "diverged" not in self._found):
            return self._judge()
        return False

    def feed_all(self, reports: Iterable[Report]) -> bool:
        changed = False
        for report in reports:
            changed = self.feed(report) or changed
        return changed

    def finish(self, diverged: str | None = None) -> bool:
        """The run has ended; judge once more. ``diverged``: the trainer's message when it says the
        run diverged (its first sentence names the step and the layer)."""
        ev = self.evidence
        ev.finished = True
        earlier = None
        if diverged is not None:
            ev.divergence_message = diverged.split(". ")[0]
            if ev.nonfinite is None:
                ev.nonfinite = (ev.step, None)
            earlier = self._found.pop("diverged", None)  # said again in the trainer's words
        changed = self._judge()
        if earlier is not None and "diverged" in self._found:
            self._found["diverged"] = dataclasses.replace(self._found["diverged"], step=earlier.step)
        return changed

    def findings(self) -> list[Finding]:
        order = list(self.rules)
        return sorted(self._found.values(), key=lambda f: (f.severity != "warning", order.index(f.rule)))

    def _judge(self) -> bool:
        before = dict(self._found)
        verdicts: dict[str, Verdict] = {}
        for name, rule in self.rules.items():
            if rule.sticky and name in self._found:
                continue
            verdict = rule.check(self.evidence)
            if verdict is not None:
                verdicts[name] = verdict
            elif not rule.sticky:
                self._found.pop(name, None)
        holding = {n for n, v in verdicts.items() if (v.severity or self.rules[n].severity) == "warning"}
        holding |= {n for n, f in self._found.items() if self.rules[n].sticky and f.severity == "warning"}
        silenced = {s for n in holding for s in self.rules[n].suppresses}
        for name, verdict in verdicts.items():
            if name in silenced:
                self._found.pop(name, None)
                continue
            old = self._found.get(name)
            self._found[name] = Finding(name, verdict.severity or self.rules[name].severity,
                                        old.step if old else self.evidence.step, tuple(verdict.nodes),
                                        verdict.message, verdict.fix)
        for name in silenced:
            if not self.rules[name].sticky:
                self._found.pop(name, None)
        return self._found != before


def save_advice(path: Path, findings: Sequence[Finding]) -> None:
    """Write ``advice.json`` (a list of ``Finding.to_json``) atomically."""
    text = json.dumps([f.to_json() for f in findings], indent=2, ensure_ascii=False) + "\n"
    write_atomic(path, text.encode("utf-8"))
