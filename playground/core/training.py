"""The training loop: every setting of the project format, controllable from another thread.

``Trainer(project)`` loads the dataset onto the training device, builds the model and its
optimiser; ``iter_fit()`` trains, yielding after every step so each yield is a cancellation
point (tests and scripts drive it synchronously, the UI runs it on a worker thread).
Commands from other threads arrive through ``TrainControl`` and take effect between steps.
``Callback`` hooks receive frozen ``Report``s of plain floats and numpy arrays at a bounded,
time-based cadence plus every epoch end, never tensors.

The per-step path follows DESIGN.md: batches are views of a per-epoch gather on the device,
per-step values (loss, per-parameter gradient norms from one fused call, logits) are only
kept as device tensors, and everything is read to the host at the report cadence in one
transfer. A NaN or infinite loss, gradient or weight found there stops the run, names the
step and the node with the largest gradients, and puts back the last weights that were finite.
For small networks a step is mostly Python and per-operation overhead, so the run uses the
intra-op thread count its work calls for (``threads.py``: one for tiny networks), and the step
calls each layer's ``forward`` directly and steps SGD and Adam in foreach calls
(``optim_steps.py``), both bitwise what the module call and ``optimizer.step()`` compute
(``bench/step_speed.py`` measures each).

Under torchrun (``torch.distributed`` initialised with more than one process) the model is
wrapped in DistributedDataParallel, each process trains on its DistributedSampler share of
the data, and every decision that ends a run (stop, divergence, early stopping) is taken at an
epoch end from values all-reduced across processes, so no process waits for one that left.

``checkpoint_state()`` captures everything a run needs to go on (weights, optimiser and
scheduler state, counters, random generators, the epoch's running totals, early stopping) and
``Trainer(project, resume=state)`` continues from it on the same trajectory: the training order
of an epoch is a function of the seed and the epoch, so a run resumed mid-epoch skips the
batches it has done and takes the same steps as one never interrupted.
"""

from __future__ import annotations

import math
import re
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from playground.core.augment import Augment
from playground.core.build import GraphModel, build_model, data_dependent_init, needs_data_init, node_weights
from playground.core.datasets import Dataset, LoadContext, load_dataset
from playground.core.devices import resolve_device
from playground.core.graph import Graph, node_activations
from playground.core.layers import RECONSTRUCTION_LOSSES, reconstructs
from playground.core.optim_steps import direct_step
from playground.core.params import Problem, UserError
from playground.core.probes import (
    ActivationStats,
    GradNorms,
    WeightStats,
    activation_stats,
    evaluating,
    weight_stats,
)
from playground.core.project import Project, check_project
from playground.core.sequence_probe import recurrent_nodes, time_gradients
from playground.core.threads import intra_op_threads, threads_for
from playground.core.training_config import TrainConfig

#: Default time between reports, in seconds: the live views redraw at most this often.
REPORT_INTERVAL = 1 / 30
#: Training examples the activation probes and LSUV initialisation look at.
PROBE_BATCH = 128
#: Examples per forward pass when validating (no gradients are kept, so larger than training).
EVAL_BATCH = 1024
#: Steps whose values may wait on the device before they are read, whatever the cadence.
MAX_PENDING = 1024
#: Memory that the gradients of pending steps may hold when their norms are taken at report
#: time (``GradNorms(defer=True)``); larger models measure every step instead.
DEFERRED_GRAD_BYTES = 64 * 2**20
#: Output values of one training batch above which a step counts its right answers at once
#: instead of keeping its outputs until the next read-back: a prediction at every position of
#: a text (batch 32 × 64 steps × 72 characters: 590 KB a step) would otherwise hold hundreds of
#: MB between two reads (up to MAX_PENDING steps).
KEPT_OUTPUT_VALUES = 1 << 16
#: How often a paused trainer wakes up to yield (so a generator driver stays responsive).
PAUSE_POLL = 0.05
#: Activation and weight statistics may take at most 1/PROBE_BUDGET of the training time.
PROBE_BUDGET = 20

Status = Literal["finished", "stopped", "diverged", "early_stopped"]
#: Where a run stands between two steps: inside an epoch ("mid"), after an epoch's validation
#: and report but before its early-stopping check and scheduler step ("validated"), or with
#: the epoch wholly done ("closed"; epoch 0 before the first step).
Phase = Literal["mid", "validated", "closed"]
#: Version of the ``checkpoint_state`` layout; a state of another version is refused.
STATE_VERSION = 1
T = TypeVar("T")


# --------------------------------------------------------------------------- plain-data results

@dataclass(frozen=True)
class Report:
    """What the trainer tells its callbacks, as plain data safe to hand to another thread.

    ``train_loss``/``train_acc`` are running means over the current epoch so far (the epoch's
    mean in an epoch-end report). ``val_*`` are set in epoch-end reports only. ``grad_norm``
    holds each node's gradient L2 norm at the latest step. ``activations`` and ``weights`` are
    measured at the time-based cadence and are None in reports between two measurements.
    Accuracies are None for regression.
    """

    step: int
    epoch: int
    total_epochs: int
    time: float
    lr: float
    train_loss: float | None
    train_acc: float | None
    val_loss: float | None
    val_acc: float | None
    grad_norm: dict[str, float]
    activations: dict[str, ActivationStats] | None
    weights: dict[str, WeightStats] | None
    epoch_end: bool
    #: For each recurrent node, the norm of the loss gradient reaching its hidden state at each
    #: time step (backpropagation through time), measured at the probes' cadence; empty otherwise.
    time_grad: dict[str, list[float]] = field(default_factory=dict)

    def metrics(self) -> dict[str, Any]:
        """The ``metrics.jsonl`` object of FORMAT.md; non-finite numbers become null."""
        line = {"epoch": self.epoch, "step": self.step, "time": round(self.time, 4), "lr": self.lr,
                "train_loss": _finite(self.train_loss), "val_loss": _finite(self.val_loss),
                "train_acc": _finite(self.train_acc), "val_acc": _finite(self.val_acc),
                "grad_norm": {k: _finite(v) for k, v in self.grad_norm.items()}}
        if self.time_grad:
            line["time_grad"] = {k: [_finite(g) for g in v] for k, v in self.time_grad.items()}
        return line


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


@dataclass(frozen=True)
class TrainResult:
    """How a run ended. ``epochs`` counts completed epochs; ``report`` holds the final metrics.

    ``test_loss``/``test_acc`` are measured once, on the test split, with the weights the run
    ended with (the best epoch's after early stopping): the one figure no choice made while
    training has seen. None when there is no test split, when the run diverged or was
    interrupted inside a step, and (``test_acc``) for regression.
    """

    status: Status
    #: Reads after the status word: "Stopped: at step 1,234, as requested".
    message: str
    epochs: int
    steps: int
    report: Report | None
    test_loss: float | None = None
    test_acc: float | None = None

    def metrics(self) -> dict[str, Any] | None:
        """The last ``metrics.jsonl`` line: the final report's metrics and the test split's."""
        if self.report is None:
            return None
        return {**self.report.metrics(), "test_loss": _finite(self.test_loss), "test_acc": _finite(self.test_acc)}


class Callback:
    """Hooks the trainer calls on its own thread; every default does nothing (Lightning style).

    A callback must return quickly: it runs between training steps.
    """

    def on_start(self, trainer: Trainer) -> None:
        """Before the first step; the model and data are ready."""

    def on_report(self, trainer: Trainer, report: Report) -> None:
        """At the report cadence and at every epoch end."""

    def on_epoch_end(self, trainer: Trainer, report: Report) -> None:
        """After each epoch's validation pass (after ``on_report`` for the same report)."""

    def on_finish(self, trainer: Trainer, result: TrainResult) -> None:
        """When the run ends for any reason except an exception."""

    def on_exception(self, trainer: Trainer, error: BaseException) -> None:
        """When the run fails with an exception, just before it propagates."""


# --------------------------------------------------------------------------- control

@dataclass
class _Commands:
    stop: bool
    paused: bool
    single_step: bool
    lr: float | None
    calls: list[tuple[Callable[[Trainer], Any], Future]]


def _run_call(fn: Callable[[Trainer], T], future: Future, trainer: Trainer) -> None:
    if not future.set_running_or_notify_cancel():
        return
    try:
        future.set_result(fn(trainer))
    except Exception as exc:  # the caller gets it from the future
        future.set_exception(exc)


class TrainControl:
    """Thread-safe commands for a running trainer; each takes effect between two steps.

    ``pending`` is a plain attribute the training loop reads every step without locking: it is
    True whenever there is something to do (a command, a call, or being paused).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._paused = False
        self._stop = False
        self._steps = 0
        self._lr: float | None = None
        self._calls: deque[tuple[Callable[[Trainer], Any], Future]] = deque()
        self._finished: Trainer | None = None
        self.pending = False

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def stop_requested(self) -> bool:
        return self._stop

    def _poke(self) -> None:
        self.pending = True
        self._wake.set()

    def pause(self) -> None:
        """Hold the run after the current step (a report goes out when it pauses)."""
        with self._lock:
            self._paused = True
            self._poke()

    def resume(self) -> None:
        with self._lock:
            self._paused = False
            self._poke()

    def stop(self) -> None:
        """End the run after the current step, paused or not."""
        with self._lock:
            self._stop = True
            self._poke()

    def step(self, n: int = 1) -> None:
        """While paused, train ``n`` more batches (each followed by a report); ignored when running."""
        with self._lock:
            self._steps += n
            self._poke()

    def set_lr(self, lr: float) -> None:
        """Change the learning rate of every parameter group from the next step on."""
        if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
            raise UserError(f"the learning rate must be a number above 0, got {lr!r}")
        with self._lock:
            self._lr = float(lr)
            self._poke()

    def call_between_steps(self, fn: Callable[[Trainer], T]) -> Future:
        """Run ``fn(trainer)`` on the training thread between two steps (also while paused), where
        it may use the live model; the future holds its result or exception. After the run has
        ended the model is idle, so ``fn`` runs at once on the calling thread."""
        future: Future = Future()
        with self._lock:
            finished = self._finished
            if finished is None:
                self._calls.append((fn, future))
                self._poke()
        if finished is not None:
            _run_call(fn, future, finished)
        return future

    # ---- the training thread's side
    def _take(self) -> _Commands:
        with self._lock:
            single = self._paused and self._steps > 0
            self._steps = self._steps - 1 if single else 0
            commands = _Commands(self._stop, self._paused, single, self._lr, list(self._calls))
            self._lr = None
            self._calls.clear()
            self._wake.clear()
            self.pending = self._paused or self._stop
            return commands

    def _wait(self, timeout: float) -> None:
        self._wake.wait(timeout)

    def _close(self, trainer: Trainer) -> None:
        """The run has ended: serve calls still queued, and run later ones on their caller's thread."""
        with self._lock:
            self._finished = trainer
            calls = list(self._calls)
            self._calls.clear()
        for fn, future in calls:
            _run_call(fn, future, trainer)


# --------------------------------------------------------------------------- building blocks

def make_optimizer(config: TrainConfig, params: Sequence[nn.Parameter]) -> torch.optim.Optimizer:
    """The optimiser the settings name. ``weight_decay`` is the optimiser's own L2 term, except
    for Rprop, which has none (the trainer adds the penalty to the loss instead)."""
    lr, wd, m = config.lr, config.weight_decay, config.momentum
    name = config.optimizer
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, weight_decay=wd)
    if name in ("momentum", "nesterov"):
        return torch.optim.SGD(params, lr=lr, momentum=m, nesterov=name == "nesterov", weight_decay=wd)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, weight_decay=wd)
    if name == "rmsprop":  # the lectures' smoothing constant of the squared-gradient average
        return torch.optim.RMSprop(params, lr=lr, alpha=m, weight_decay=wd)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=wd)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=wd)
    if name == "rprop":
        return torch.optim.Rprop(params, lr=lr)
    raise UserError(f"training: unknown optimizer {name!r}")


def make_scheduler(config: TrainConfig, optimizer: torch.optim.Optimizer
                   ) -> torch.optim.lr_scheduler.LRScheduler | None:
    """The per-epoch learning-rate schedule, or None for a constant rate."""
    s = config.scheduler
    sched = torch.optim.lr_scheduler
    if s["name"] == "step":
        return sched.StepLR(optimizer, step_size=s["step_size"], gamma=s["gamma"])
    if s["name"] == "exponential":
        return sched.ExponentialLR(optimizer, gamma=s["gamma"])
    if s["name"] == "cosine":
        return sched.CosineAnnealingLR(optimizer, T_max=s["t_max"] or config.epochs, eta_min=s["eta_min"])
    return None


@dataclass(frozen=True)
class Objective:
    """A loss with its target encoding: ``targets`` turns a split's labels into what ``loss`` takes,
    ``correct`` counts right answers in a batch (None for regression).

    The outputs are (B, C), or (B, T, C) with targets (B, T) where the network predicts at every
    position of a sequence: losses then average over every position, and ``correct`` counts each
    example as its share of right positions, so that right answers over examples seen is the
    share of positions right."""

    name: str
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    targets: Callable[[torch.Tensor], torch.Tensor]
    correct: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None
    #: The targets are the raw inputs themselves (an autoencoder), not the labels.
    reconstruct: bool = False

    def targets_of(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """What the loss compares the outputs with, for examples ``x`` with labels ``y``."""
        return self.targets(x if self.reconstruct else y)


def _right(hits: torch.Tensor) -> torch.Tensor:
    """Right answers in a batch from its hits, (B,) or per position (B, T, ...): an example with
    predictions at every position counts as the share of them that is right."""
    return hits.flatten(1).float().mean(dim=1).sum() if hits.ndim > 1 else hits.sum()


def _argmax_correct(out: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Right answers where the largest output (on the last axis) is at the class index."""
    return _right(out.argmax(dim=-1).eq(t))


def _cross_entropy(label_smoothing: float) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """Cross-entropy averaged over every prediction: one per example, or one per position."""
    def loss(out: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(out.flatten(0, -2), t.flatten(), label_smoothing=label_smoothing)
    return loss


def make_objective(loss: str, label_smoothing: float = 0.0, *, classes: bool = False,
                   reconstruct: bool = False) -> Objective:
    """Cross-entropy (with label smoothing), two-class BCE on one logit (smoothing moves the
    targets to ε/2 and 1 - ε/2), MSE or L1. With ``classes`` the labels are class indices and
    MSE or L1 compare the outputs with their one-hot encoding (smoothed like cross-entropy's),
    the lecture's squared error for classification: the predicted class is the largest output,
    as for cross-entropy.

    With ``reconstruct`` the targets are the raw inputs (not normalised: the model maps raw
    input to raw reconstruction, as every export does): MSE or L1 on the values, or BCE with
    each output a logit of its value (inputs in [0, 1]; ``reconstruction`` reads it back). There
    are no right answers to count, and label smoothing does not apply."""
    if reconstruct:
        if loss not in RECONSTRUCTION_LOSSES:
            raise UserError(f"loss {loss!r} cannot reconstruct an input: use 'mse' or 'bce'")
        distance = {"mse": F.mse_loss, "l1": F.l1_loss, "bce": F.binary_cross_entropy_with_logits}[loss]
        return Objective(loss, distance, lambda x: x.float(), None, reconstruct=True)
    if loss == "cross_entropy":
        return Objective(loss, _cross_entropy(label_smoothing), lambda y: y, _argmax_correct)
    if loss in ("mse", "l1") and classes:
        distance = F.mse_loss if loss == "mse" else F.l1_loss

        def one_hot_loss(out: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
            k = out.shape[-1]
            return distance(out, F.one_hot(t, k).to(out.dtype) * (1 - label_smoothing) + label_smoothing / k)

        return Objective(loss, one_hot_loss, lambda y: y, _argmax_correct)
    if loss == "bce":
        return Objective(loss, F.binary_cross_entropy_with_logits,
                         lambda y: y.float().unsqueeze(-1) * (1 - label_smoothing) + label_smoothing / 2,
                         lambda out, t: _right((out > 0).eq(t > 0.5)))
    if loss in ("mse", "l1"):
        return Objective(loss, F.mse_loss if loss == "mse" else F.l1_loss, lambda y: y.float(), None)
    raise UserError(f"unknown loss {loss!r}")


def reconstruction(output: torch.Tensor, loss: str) -> torch.Tensor:
    """The reconstructed input a reconstructing model's ``output`` stands for: the values
    themselves, or under BCE (whose outputs are logits) their sigmoid."""
    return torch.sigmoid(output) if loss == "bce" else output


def reconstruction_problem(loss: str, x: torch.Tensor, who: str, dataset: str) -> str | None:
    """Why ``loss`` cannot reconstruct the raw inputs ``x`` (BCE needs values in [0, 1]), or None."""
    if loss != "bce" or len(x) == 0:
        return None
    low, high = (float(v) for v in torch.aminmax(x.float()))
    if low >= 0.0 and high <= 1.0:
        return None
    return (f"{who}: loss 'bce' reconstructs values in [0, 1] but the inputs of dataset '{dataset}' run "
            f"from {low:g} to {high:g}: use 'mse'")


def shuffled_indices(n: int, seed: int, epoch: int, rank: int = 0, world_size: int = 1) -> torch.Tensor:
    """This process's training order for an epoch, with DistributedSampler's semantics: one
    permutation seeded by ``seed + epoch`` shared by all processes, padded by repetition to a
    multiple of ``world_size``, every ``world_size``-th index from ``rank`` on."""
    generator = torch.Generator().manual_seed(seed + epoch)
    order = torch.randperm(n, generator=generator)
    if world_size > 1:
        total = math.ceil(n / world_size) * world_size
        order = torch.cat((order, order[: total - n]))[rank::world_size]
    return order


def usable_length(n: int, batch_size: int) -> int:
    """Examples used per epoch: a last batch of one example is dropped, since batch
    normalisation cannot normalise a single example."""
    return n - 1 if n > 1 and n % batch_size == 1 else n


def _cpu(value: Any) -> Any:
    """``value`` with every tensor in it copied to the CPU (dicts, lists and tuples followed)."""
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", copy=True)
    if isinstance(value, Mapping):
        return {k: _cpu(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cpu(v) for v in value)
    return value


def _like(template: Any, value: Any, where: str) -> None:
    """Raise ValueError unless ``value`` has the structure of ``template``: for the keys both
    have (a newer torch may add settings), list lengths and kinds of value (numbers of either
    kind count alike; None matches anything)."""
    number = (int, float)
    if isinstance(template, Mapping):
        if not isinstance(value, Mapping):
            raise ValueError(f"{where} is not a mapping")
        for key in template.keys() & value.keys():
            _like(template[key], value[key], f"{where}/{key}")
    elif isinstance(template, (list, tuple)):
        if not isinstance(value, (list, tuple)) or len(value) != len(template):
            raise ValueError(f"{where} has another length than this project's")
        for i, (a, b) in enumerate(zip(template, value)):
            _like(a, b, f"{where}/{i}")
    elif isinstance(template, bool) or template is None or isinstance(template, str):
        if type(value) is not type(template) and not (template is None or value is None):
            raise ValueError(f"{where} is not a {type(template).__name__}")
    elif isinstance(template, number):
        if isinstance(value, bool) or not isinstance(value, number):
            raise ValueError(f"{where} is not a number")
    elif isinstance(template, torch.Tensor) and (not isinstance(value, torch.Tensor) or value.shape != template.shape):
        raise ValueError(f"{where} is not a tensor of shape {tuple(template.shape)}")


def _resume_part(state: Mapping[str, Any], key: str, kind: type[T]) -> T:
    """``state[key]``, checked to be a ``kind``: a saved state is a file someone may have edited."""
    value = state.get(key)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise UserError(f"the saved training state has no valid {key!r}")
    return value


def _world() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


# --------------------------------------------------------------------------- the trainer

class Trainer:
    """Trains a frozen copy of a project; owns the model for the duration of the run.

    Construct it on the thread that will train (it loads data and builds the model there).
    ``device`` overrides the project's setting: a setting such as ``"cpu"``, or the exact device
    torchrun gives each process. ``report_interval`` is the time between reports in seconds
    (None: epoch ends only); ``probes=False`` leaves activation and weight statistics out;
    ``initial_state`` continues from earlier weights of the same network (a state dict) instead
    of a fresh initialisation; ``resume`` continues a whole run from its ``checkpoint_state()``
    (``UserError`` when that state does not fit this project). ``threads`` is torch's intra-op
    thread count while it trains (None: chosen by the work of a step, at most the count of the
    thread that builds the trainer; see ``threads.py``).

    For the views: ``model`` (the live ``GraphModel``; touch it only through
    ``control.call_between_steps`` while training runs), ``dataset``, ``device``, ``loss_name``,
    ``steps_per_epoch``, ``total_steps``, ``step``, ``epoch``, ``last_report`` and, once it has
    ended, ``result`` or ``error``.
    """

    def __init__(self, project: Project, *, callbacks: Sequence[Callback] = (),
                 control: TrainControl | None = None, report_interval: float | None = REPORT_INTERVAL,
                 probes: bool = True, device: torch.device | str | None = None,
                 initial_state: Mapping[str, torch.Tensor] | None = None,
                 resume: Mapping[str, Any] | None = None, threads: int | None = None) -> None:
        self.project = project.copy()
        check = check_project(self.project)
        if check.problems:
            raise UserError(f"the project cannot be trained: {check.problems[0].message}", check.problems)
        self.config: TrainConfig = check.config
        self.graph: Graph = self.project.graph
        self.callbacks = list(callbacks)
        self.control = control or TrainControl()
        self.report_interval = report_interval
        self.probes = probes
        if isinstance(device, torch.device):
            self.device = device
        else:
            self.device = resolve_device(device or self.config.device)
        self.rank, self.world_size = _world()

        self.dataset: Dataset = load_dataset(self.project.dataset,
                                             LoadContext(self.project.base_dir, self.config.val_fraction))
        output = self.graph.nodes_of_type("Output")[0].resolved_params()
        self.loss_name: str = output["loss"]
        self.objective = make_objective(self.loss_name, output["label_smoothing"],
                                        classes=self.dataset.meta.target_kind == "classification",
                                        reconstruct=reconstructs(output))
        self._check_settings()
        output_shape = check.report.nodes[self.graph.nodes_of_type("Output")[0].id].shape or ()
        self._count_each_step = math.prod(output_shape) * self.config.batch_size > KEPT_OUTPUT_VALUES

        data = self.dataset
        self._train_x = data.train.x.to(self.device)
        self._train_t = self.objective.targets_of(data.train.x, data.train.y).to(self.device)
        val_rows = slice(self.rank, None, self.world_size)
        self._val_x = data.val.x[val_rows].to(self.device)
        self._val_t = self.objective.targets_of(data.val.x[val_rows], data.val.y[val_rows]).to(self.device)
        self._val_chunks = list(zip(self._val_x.split(EVAL_BATCH), self._val_t.split(EVAL_BATCH)))
        self.model: GraphModel = build_model(self.graph, data.meta, data.mean, data.std,
                                             seed=self.config.seed).to(self.device)
        probe_order = torch.randperm(len(data.train), generator=torch.Generator().manual_seed(self.config.seed))
        probe_rows = probe_order[:PROBE_BATCH].to(self.device)
        self.probe_batch = self._train_x[probe_rows]
        self._probe_targets = self._train_t[probe_rows]
        self._recurrent = bool(recurrent_nodes(self.model))
        self._next_time_grad = 0.0
        if resume is not None:
            initial_state = _resume_part(resume, "model", dict)
        if initial_state is not None:
            try:
                self.model.load_state_dict(dict(initial_state))
            except (RuntimeError, TypeError, AttributeError, ValueError) as exc:
                raise UserError(f"the saved weights do not fit this network: {str(exc).splitlines()[-1].strip()}"
                                ) from None
        elif needs_data_init(self.graph):
            data_dependent_init(self.model, self.graph, self.probe_batch)
        self.threads = threads or threads_for(self.model, self._train_x[: self.config.batch_size],
                                              torch.get_num_threads())
        # the training step's forward; under torchrun, DistributedDataParallel's call, which is
        # what synchronises the gradients
        self._forward: Callable[[torch.Tensor], torch.Tensor] = self.model.direct_forward()
        if self.world_size > 1:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self._forward = nn.parallel.DistributedDataParallel(self.model, device_ids=ids)

        params = list(self.model.parameters())
        self.optimizer = make_optimizer(self.config, params)
        self.scheduler = make_scheduler(self.config, self.optimizer)
        grad_bytes = sum(p.numel() * p.element_size() for p in params)
        defer = self.config.grad_clip is None and grad_bytes * 64 <= DEFERRED_GRAD_BYTES
        self._grad_norms = GradNorms(self.model.node_parameters(), defer=defer)
        self._max_pending = min(MAX_PENDING, DEFERRED_GRAD_BYTES // max(grad_bytes, 1)) if defer else MAX_PENDING
        self._activations = node_activations(self.graph)
        self._penalty = self._make_penalty()
        self._clip = self._make_clip(params)
        self._constrain = self._make_max_norm()
        self._params = params
        self._update = direct_step(self.optimizer, params)
        self._augment_generator = (torch.Generator(self.device).manual_seed(self.config.seed)
                                   if self.config.augment else None)
        self._augment = (Augment(self.config.augment, self.config.augment_strength, data.raw_std.to(self.device),
                                 self._augment_generator) if self._augment_generator is not None else None)
        self._state = list(self.model.state_dict().values())
        # weights copied at the latest read-back, and the copy before it, which the finite losses
        # of the steps since then have shown to be finite: what a diverged run falls back to
        self._candidate = [t.clone() for t in self._state]
        self._good = [t.clone() for t in self._state]
        self._best: list[torch.Tensor] | None = None
        self._best_loss = math.inf
        self._best_epoch = 0
        self._waited = 0

        shard = math.ceil(len(data.train) / self.world_size)
        self.steps_per_epoch = math.ceil(usable_length(shard, self.config.batch_size) / self.config.batch_size)
        self.total_steps = self.steps_per_epoch * self.config.epochs
        self.step = 0
        self.epoch = 0
        self.result: TrainResult | None = None
        self.error: BaseException | None = None
        self.last_report: Report | None = None
        self._started = False
        self._completed = 0
        self._last_norms: list[float] = []
        self._divergence: str | None = None
        self._divergence_step = 0
        self._candidate_step = 0
        self._phase: Phase = "closed"
        self._val_loss: float | None = None
        self._interrupted = False
        self._resume_batch: int | None = None
        self._resume_time = 0.0
        self._resume_rng: Mapping[str, Any] | None = None
        self._reset_epoch()
        if resume is not None:
            try:
                self._restore(resume)
            except (TypeError, ValueError, KeyError, IndexError, AttributeError, RuntimeError) as exc:
                raise UserError(f"the saved training state cannot be used: {exc}") from None

    # ------------------------------------------------------------------ setup helpers
    def _check_settings(self) -> None:
        """What only the loaded data can tell (``check_project`` has refused the rest)."""
        if len(self.dataset.train) == 0:
            raise UserError(f"dataset '{self.dataset.name}' has no training examples")
        if self.objective.reconstruct:
            output = self.graph.nodes_of_type("Output")[0]
            why = reconstruction_problem(self.loss_name, self.dataset.train.x, output.label, self.dataset.name)
            if why:
                raise UserError(why, [Problem(why, output.id, "params.loss")])

    def _layer_weights(self) -> list[nn.Parameter]:
        """Every node's weight matrices (``node_weights``): what the L1/L2 penalties and the
        max-norm constraint act on."""
        return [w for _, module in self.model.node_modules() for w in node_weights(module)]

    def _make_penalty(self) -> Callable[[], torch.Tensor] | None:
        """L1 on the weights (biases left out), plus L2 for Rprop, which has no weight decay of its own."""
        weights = self._layer_weights()
        l1 = self.config.l1
        l2 = self.config.weight_decay if self.config.optimizer == "rprop" else 0.0
        if not weights or (l1 == 0 and l2 == 0):
            return None

        def penalty() -> torch.Tensor:
            total = torch.zeros((), device=self.device)
            if l1:
                total = total + l1 * torch.stack(torch._foreach_norm(weights, 1)).sum()
            if l2:
                total = total + 0.5 * l2 * torch.stack(torch._foreach_norm(weights, 2)).square().sum()
            return total

        return penalty

    def _make_max_norm(self) -> Callable[[], None] | None:
        """The max-norm constraint: after each step, every unit's incoming weights (a row of a
        Linear, a filter of a Conv2d) scaled back to at most ``max_norm``; one in-place
        ``renorm_`` per layer, which leaves rows inside the limit untouched."""
        limit = self.config.max_norm
        weights = self._layer_weights()
        if limit is None or not weights:
            return None

        @torch.no_grad()
        def constrain() -> None:
            for w in weights:
                w.renorm_(2, 0, limit)

        return constrain

    def _make_clip(self, params: list[nn.Parameter]) -> Callable[[], Any] | None:
        clip = self.config.grad_clip
        if not clip:
            return None
        limit = clip["max"]
        if clip["mode"] == "norm":
            return lambda: nn.utils.clip_grad_norm_(params, limit, foreach=True)
        return lambda: nn.utils.clip_grad_value_(params, limit, foreach=True)

    def _reset_epoch(self) -> None:
        self._loss_sum = 0.0
        self._seen = 0
        self._correct = 0
        self._losses: list[torch.Tensor] = []
        self._norms: list[list[torch.Tensor]] = []
        self._outs: list[torch.Tensor] = []
        self._targets: list[torch.Tensor] = []
        self._sizes: list[int] = []
        self._pending_from = 0

    # ------------------------------------------------------------------ running
    def fit(self) -> TrainResult:
        """Train to the end (or until stopped) and return how it ended."""
        run = self.iter_fit()
        while True:
            try:
                next(run)
            except StopIteration as done:
                return done.value

    def run_in_thread(self, name: str = "playground-trainer") -> threading.Thread:
        """Start ``fit`` on a daemon thread; ``result`` or ``error`` is set when it ends."""

        def main() -> None:
            try:
                self.fit()
            except BaseException as exc:  # kept for the owner of the thread; callbacks were told
                self.error = exc

        thread = threading.Thread(target=main, name=name, daemon=True)
        thread.start()
        return thread

    def iter_fit(self) -> Generator[int, None, TrainResult]:
        """Train, yielding the step count after every step (and periodically while paused).

        Closing the generator abandons the run; its return value is the ``TrainResult``.
        """
        if self._started:
            raise RuntimeError("a Trainer trains once; build a new one to train again")
        self._started = True
        torch.manual_seed(self.config.seed)
        if self._resume_rng is not None:
            self._set_rng(self._resume_rng)
        self._t0 = time.perf_counter() - self._resume_time
        self._paused_for = 0.0
        self._next_probe = 0.0
        self._next_report = self._t0 + self.report_interval if self.report_interval is not None else math.inf
        try:
            with intra_op_threads(self.threads):
                self._emit("on_start")
                status, message = yield from self._epochs()
        except KeyboardInterrupt:
            self._interrupted = True  # it may have landed inside a step: no checkpoint from here
            status, message = "stopped", "training was interrupted"
        except torch.OutOfMemoryError:
            error = UserError(f"the {self.device.type} device ran out of memory: use a smaller batch size or a "
                              "smaller network")
            self._fail(error)
            raise error from None
        except BaseException as exc:
            if not isinstance(exc, GeneratorExit):
                self._fail(exc)
            raise
        finally:
            self.control._close(self)
        if self.last_report is None or self.last_report.step != self.step:
            self._report(epoch_end=False, probes=False)
        test_loss, test_acc = self._test() if status != "diverged" and not self._interrupted else (None, None)
        self.result = TrainResult(status, message, self._completed, self.step, self.last_report, test_loss, test_acc)
        self._emit("on_finish", self.result)
        return self.result

    def _fail(self, error: BaseException) -> None:
        self.error = error
        self._emit("on_exception", error)

    def _emit(self, hook: str, *args: Any) -> None:
        for callback in self.callbacks:
            getattr(callback, hook)(self, *args)

    def _epochs(self) -> Generator[int, None, tuple[Status, str]]:
        config = self.config
        single = self.world_size == 1
        if self._phase == "validated":  # resumed between an epoch's report and its close
            with warnings.catch_warnings():  # the optimiser stepped before the run was saved
                warnings.filterwarnings("ignore", re.escape("Detected call of `lr_scheduler.step()`"), UserWarning)
                verdict = self._close_epoch()
            if verdict is not None:
                return verdict
        first = self.epoch if self._phase == "mid" else self.epoch + 1
        for epoch in range(first, config.epochs + 1):
            self.epoch = epoch
            done = self._resume_batch or 0
            if self._resume_batch is None:
                self._reset_epoch()
            self._resume_batch = None
            self._phase = "mid"
            order = shuffled_indices(len(self._train_x), config.seed, epoch, self.rank, self.world_size)
            order = order[: usable_length(len(order), config.batch_size)].to(self.device)
            xs = self._train_x.index_select(0, order).split(config.batch_size)[done:]
            ts = self._train_t.index_select(0, order).split(config.batch_size)[done:]
            self._sizes = [len(t) for t in ts]
            stop = yield from self._train_epoch(xs, ts, single)
            if stop is not None:
                return stop
            verdict = self._end_epoch()
            if verdict is None:
                verdict = self._close_epoch()
            if verdict is not None:
                return verdict
        return "finished", f"trained {config.epochs} epoch{'s' if config.epochs != 1 else ''}"

    def _close_epoch(self) -> tuple[Status, str] | None:
        """After an epoch's report: early stopping decides, then the schedule moves on."""
        verdict = self._early_stopping(self._val_loss)
        if verdict is not None:
            return verdict
        if self.scheduler is not None:
            self.scheduler.step()
        self._phase = "closed"
        return None

    def _train_epoch(self, xs: Sequence[torch.Tensor], ts: Sequence[torch.Tensor],
                     single: bool) -> Generator[int, None, tuple[Status, str] | None]:
        """The hot loop: one step per batch, no host synchronisation, control checked every step."""
        control = self.control
        forward = self._forward
        loss_fn = self.objective.loss
        correct = self.objective.correct
        count_each_step = self._count_each_step
        augment, penalty, clip, constrain = self._augment, self._penalty, self._clip, self._constrain
        capture = self._grad_norms.capture
        max_pending = self._max_pending
        update, params = self._update, self._params
        losses, norms, outs, targets = self._losses, self._norms, self._outs, self._targets
        clock = time.perf_counter
        for xb, tb in zip(xs, ts):
            if control.pending and single:
                stop = yield from self._between_steps()
                if stop:
                    return "stopped", f"at step {self.step:,}, as requested"
            if augment is not None:
                xb = augment(xb)
            out = forward(xb)
            loss = loss_fn(out, tb)
            if penalty is not None:
                loss = loss + penalty()
            loss.backward()
            norms.append(capture())
            if clip is not None:
                clip()
            update()
            if constrain is not None:
                constrain()
            for p in params:  # what zero_grad(set_to_none=True) does, without its profiler record
                p.grad = None
            losses.append(loss.detach())
            if correct is not None:
                if count_each_step:
                    outs.append(correct(out.detach(), tb))
                else:
                    outs.append(out.detach())
                    targets.append(tb)
            self.step += 1
            if clock() >= self._next_report:
                self._report(epoch_end=False, probes=self.probes)
                if self._divergence and single:
                    return self._diverged()
            elif len(losses) >= max_pending:
                self._collect(snapshot=False)
                if self._divergence and single:
                    return self._diverged()
            yield self.step
        return None

    def _between_steps(self) -> Generator[int, None, bool]:
        """Apply commands; while paused, serve calls and wait (yielding) until resumed, asked for
        a single step, or stopped. Returns True to stop."""
        control = self.control
        announced = False
        while True:
            commands = control._take()
            if commands.lr is not None:
                self._set_lr(commands.lr)
            for fn, future in commands.calls:
                _run_call(fn, future, self)
            if commands.stop:
                return True
            if commands.single_step:
                self._next_report = 0.0  # report right after the single step
                return False
            if not commands.paused:
                return False
            if not announced:
                self._report(epoch_end=False, probes=self.probes)
                announced = True
            began = time.perf_counter()
            control._wait(PAUSE_POLL)
            self._paused_for += time.perf_counter() - began
            yield self.step

    def _set_lr(self, lr: float) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        if self.scheduler is not None:
            self.scheduler.base_lrs = [lr] * len(self.optimizer.param_groups)

    # ------------------------------------------------------------------ checkpoints
    def checkpoint_state(self) -> dict[str, Any] | None:
        """Everything ``Trainer(project, resume=...)`` needs to continue this run where it
        stands, as nested dicts and lists of plain values and CPU tensors; None when no run
        can continue from here (it diverged, or an interrupt may have landed inside a step).

        Call it on the training thread between two steps, which is where callbacks run.
        """
        if self._divergence is not None or self._interrupted:
            return None
        self._collect(snapshot=False)
        return {
            "version": STATE_VERSION,
            "phase": self._phase,
            "epoch": self.epoch,
            "step": self.step,
            "completed": self._completed,
            "batch": self.step - (self.epoch - 1) * self.steps_per_epoch if self._phase == "mid" else 0,
            "steps_per_epoch": self.steps_per_epoch,
            "world_size": self.world_size,
            "time": self._time(),
            "model": _cpu(self.model.state_dict()),
            "optimizer_name": self.config.optimizer,
            "scheduler_name": self.config.scheduler["name"],
            "optimizer": _cpu(self.optimizer.state_dict()),
            "scheduler": _cpu(self.scheduler.state_dict()) if self.scheduler is not None else None,
            "totals": [self._loss_sum, self._seen, self._correct],
            "val_loss": self._val_loss,
            "last_norms": list(self._last_norms),
            "rng": self._rng_state(),
            "early_stopping": {
                "best": _cpu(self._best) if self._best is not None else None,
                "best_loss": self._best_loss, "best_epoch": self._best_epoch, "waited": self._waited,
            },
        }

    def _restore(self, state: Mapping[str, Any]) -> None:
        """Take over a ``checkpoint_state()`` (the weights are already loaded); ``UserError``
        naming what does not fit."""
        if state.get("version") != STATE_VERSION:
            raise UserError(f"the saved training state has version {state.get('version')!r}; this version of the "
                            f"app continues version {STATE_VERSION}")
        if _resume_part(state, "world_size", int) != self.world_size:
            raise UserError(f"the run was trained by {state['world_size']} processes and cannot continue in "
                            f"{self.world_size}")
        if _resume_part(state, "steps_per_epoch", int) != self.steps_per_epoch:
            raise UserError(f"the run took {state['steps_per_epoch']} steps per epoch and this project takes "
                            f"{self.steps_per_epoch}: the dataset or batch size changed since")
        phase = _resume_part(state, "phase", str)
        completed = _resume_part(state, "completed", int)
        if phase not in ("mid", "validated", "closed"):
            raise UserError(f"the saved training state is at an unknown point ({phase!r})")
        if completed > self.config.epochs:
            raise UserError(f"{completed} epochs are trained already, more than the {self.config.epochs} planned")
        epoch, step, batch = (_resume_part(state, key, int) for key in ("epoch", "step", "batch"))
        spe = self.steps_per_epoch
        where = ((epoch >= 1 and completed == epoch - 1 and 0 <= batch <= spe and step == completed * spe + batch)
                 if phase == "mid" else (epoch >= 0 and completed == epoch and batch == 0 and step == epoch * spe))
        if not where:
            raise UserError(f"the saved training state's counters disagree (epoch {epoch}, step {step}, batch {batch}, "
                            f"{completed} epochs completed)")
        for kind, what, ours in (("optimizer", "optimiser", self.config.optimizer),
                                 ("scheduler", "learning-rate schedule", self.config.scheduler["name"])):
            if state.get(f"{kind}_name") != ours:
                raise UserError(f"the run was trained with the {state.get(f'{kind}_name')} {what}; this project uses "
                                f"{ours}")
        optimizer = _resume_part(state, "optimizer", dict)
        try:
            # torch loads whatever it is given and a file may hold anything: the project's
            # settings make the parameter groups (only the learning rates, which schedules and
            # the window change, come from the run), and the per-parameter state must fit
            groups = self.optimizer.state_dict()["param_groups"]
            saved_groups = _resume_part(optimizer, "param_groups", list)
            _like(groups, saved_groups, "param_groups")
            for group, saved_group in zip(groups, saved_groups):
                for key in ("lr", "initial_lr"):
                    value = saved_group.get(key, group.get(key))
                    if key in group and not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                        raise ValueError(f"the saved {key} {value!r} is not a number above 0")
                    if key in group:
                        group[key] = float(value)
            params = [p for group in self.optimizer.param_groups for p in group["params"]]
            states = _resume_part(optimizer, "state", dict)
            for index, values in states.items():
                for key, value in values.items():  # a count of steps, or a tensor like the parameter
                    shape = () if key == "step" else params[index].shape
                    if not (isinstance(value, torch.Tensor) and value.is_floating_point() and value.shape == shape):
                        raise ValueError(f"state {index}/{key} does not fit parameter {index}")
            self.optimizer.load_state_dict({"state": states, "param_groups": groups})
            if self.scheduler is not None:
                scheduler = _resume_part(state, "scheduler", dict)
                _like(self.scheduler.state_dict(), scheduler, "scheduler")
                self.scheduler.load_state_dict(scheduler)
        except (ValueError, KeyError, TypeError, IndexError, AttributeError, RuntimeError) as exc:
            raise UserError(f"the saved optimiser state does not fit this project's training settings: {exc}"
                            ) from None
        early = _resume_part(state, "early_stopping", dict)
        best = early.get("best")
        if best is not None:
            try:
                _like(self._state, best, "early_stopping/best")
            except ValueError as exc:
                raise UserError(f"the saved early-stopping weights do not fit this network: {exc}") from None
            self._best = [b.to(self.device, t.dtype) for b, t in zip(best, self._state)]
        try:
            self._best_loss, self._best_epoch, self._waited = (
                float(early["best_loss"]), int(early["best_epoch"]), int(early["waited"]))
            loss_sum, seen, correct = _resume_part(state, "totals", list)
            self._loss_sum, self._seen, self._correct = float(loss_sum), int(seen), float(correct)
            self._last_norms = [float(x) for x in _resume_part(state, "last_norms", list)]
            val_loss = state.get("val_loss")
            self._val_loss = None if val_loss is None else float(val_loss)
        except (KeyError, TypeError, ValueError) as exc:
            raise UserError(f"the saved training state has invalid running totals ({exc})") from None
        self._phase = phase
        self.epoch, self.step, self._completed = epoch, step, completed
        if phase == "mid":
            self._resume_batch = batch
        self._resume_time = _resume_part(state, "time", float)
        if not (math.isfinite(self._resume_time) and self._resume_time >= 0):
            raise UserError(f"the saved training time {self._resume_time} is not a number of seconds")
        self._resume_rng = _resume_part(state, "rng", dict)
        # what a divergence falls back to: the resumed weights, which were finite when saved
        torch._foreach_copy_(self._candidate, self._state)
        torch._foreach_copy_(self._good, self._state)
        self._candidate_step = self.step

    def _rng_state(self) -> dict[str, Any]:
        """The random generators training draws from: dropout and noise layers (the global
        generators), and the augmentation's own."""
        device = None
        if self.device.type == "cuda":
            device = torch.cuda.get_rng_state(self.device)
        elif self.device.type == "mps":
            device = torch.mps.get_rng_state()
        return {"cpu": torch.get_rng_state(), "device_type": self.device.type, "device": device,
                "augment": self._augment_generator.get_state() if self._augment_generator is not None else None}

    def _set_rng(self, rng: Mapping[str, Any]) -> None:
        """Put the generators back; a device generator only on the same kind of device (a run
        moved to another device goes on with that device's own random numbers)."""
        try:
            torch.set_rng_state(rng["cpu"])
            if rng.get("device") is not None and rng.get("device_type") == self.device.type:
                if self.device.type == "cuda":
                    torch.cuda.set_rng_state(rng["device"], self.device)
                elif self.device.type == "mps":
                    torch.mps.set_rng_state(rng["device"])
            if rng.get("augment") is not None and self._augment_generator is not None:
                self._augment_generator.set_state(rng["augment"].to(self._augment_generator.get_state().device))
        except (KeyError, TypeError, AttributeError, ValueError, RuntimeError) as exc:
            raise UserError(f"the saved random-number state cannot be restored ({exc})") from None

    # ------------------------------------------------------------------ reading back
    def _collect(self, snapshot: bool) -> None:
        """Read the pending per-step values back in one transfer and add them to the epoch's
        totals in step order (so the sums do not depend on when reports happened).

        A non-finite gradient makes the next step's loss non-finite, so the losses plus the
        newest step's gradient norms reveal every divergence; only then are every pending
        step's norms read, to name where it blew up. With ``snapshot`` the weights are copied:
        the copy before becomes the fallback, proven finite by the finite losses since.
        """
        k = len(self._losses)
        if k == 0:
            return
        grads = self._grad_norms
        values = torch.stack(self._losses + grads.latest(self._norms)).tolist()
        if self._outs:  # each step's right answers, or the outputs and targets to count them in
            right = (torch.stack(self._outs).sum() if self._count_each_step
                     else self.objective.correct(torch.cat(self._outs), torch.cat(self._targets)))
            self._correct += float(right)
        latest = grads.per_node(values[k:])
        bad = None
        for i, (loss, size) in enumerate(zip(values[:k], self._sizes[self._pending_from:])):
            self._loss_sum += loss * size
            self._seen += size
            if bad is None and not math.isfinite(loss):
                bad = i
        if bad is None and not all(map(math.isfinite, latest)):
            bad = k - 1
        if bad is not None and self._divergence is None:
            rows = [grads.per_node(row) for row in grads.rows(self._norms).tolist()]
            self._divergence_step = self.step - k + 1 + bad
            self._divergence = self._divergence_message(values[bad], rows[: bad + 1])
        self._pending_from += k
        for pending in (self._losses, self._norms, self._outs, self._targets):
            pending.clear()
        if bad is not None:
            return
        self._last_norms = latest
        if snapshot:
            self._good, self._candidate = self._candidate, self._good
            torch._foreach_copy_(self._candidate, self._state)
            self._candidate_step = self.step

    def _divergence_message(self, loss: float, rows: list[list[float]]) -> str:
        """Name the step, what became non-finite, and the node whose gradients were largest at
        the last step where all of them were still finite (where the explosion built up)."""
        if not math.isfinite(loss):
            what = "the loss became NaN" if math.isnan(loss) else "the loss became infinite"
        else:
            what = "the gradients became NaN or infinite"
        clean = [row for row in rows if all(map(math.isfinite, row))]
        row = clean[-1] if clean else self._last_norms
        culprit = ""
        if row:
            i = max(range(len(row)), key=lambda j: -1.0 if math.isnan(row[j]) else row[j])
            label = self.graph.nodes[self._grad_norms.node_ids[i]].label
            culprit = f"; the largest gradients were in {label} (norm {row[i]:.1e})"
        return (f"training diverged at step {self._divergence_step}: {what}{culprit}. Lower the learning rate "
                "or enable gradient clipping.")

    def _diverged(self) -> tuple[Status, str]:
        """Put back the newest weights known to be finite and end the run: the latest copy when a
        finite step followed it, else the one before."""
        proven = self._divergence_step > self._candidate_step + 1
        torch._foreach_copy_(self._state, self._candidate if proven else self._good)
        return "diverged", self._divergence or "training diverged"

    def _time(self) -> float:
        return time.perf_counter() - self._t0 - self._paused_for

    def _report(self, *, epoch_end: bool, probes: bool, val: tuple[float, float | None] | None = None,
                train: tuple[float, float | None] | None = None) -> Report:
        """Collect, measure (when ``probes``), and hand a report to every callback. A report
        that measures, or a timed one, starts the next interval; epoch-end reports in between
        do not, so the probes keep their cadence however short the epochs are."""
        self._collect(snapshot=self.world_size == 1 and not epoch_end)
        if probes or not epoch_end:
            interval = self.report_interval
            self._next_report = time.perf_counter() + interval if interval is not None else math.inf
        if train is None:
            classify = self.objective.correct is not None
            train = ((self._loss_sum / self._seen, self._correct / self._seen if classify else None)
                     if self._seen else (None, None))
        measure = probes and self._divergence is None and time.perf_counter() >= self._next_probe
        began = time.perf_counter()
        activations = activation_stats(self.model, self.probe_batch, self._activations) if measure else None
        weights = weight_stats(self.model) if measure else None
        if measure:
            # Probes may cost far more than a step (a CNN's statistics on the probe batch): keep
            # them to a fixed share of the run's time, whatever the report cadence.
            cost = time.perf_counter() - began
            self._next_probe = time.perf_counter() + max(self.report_interval or 0.0, PROBE_BUDGET * cost)
        time_grad = self._time_gradients(epoch_end) if measure or epoch_end else {}
        report = Report(
            step=self.step, epoch=self.epoch, total_epochs=self.config.epochs, time=self._time(),
            lr=float(self.optimizer.param_groups[0]["lr"]), train_loss=train[0], train_acc=train[1],
            val_loss=val[0] if val else None, val_acc=val[1] if val else None,
            grad_norm=dict(zip(self._grad_norms.node_ids, self._last_norms)),
            activations=activations, weights=weights, epoch_end=epoch_end, time_grad=time_grad,
        )
        self.last_report = report
        self._emit("on_report", report)
        if epoch_end:
            self._emit("on_epoch_end", report)
        return report

    def _time_gradients(self, epoch_end: bool) -> dict[str, list[float]]:
        """``time_grad`` on the probe batch: at every epoch end, so that each ``metrics.jsonl``
        epoch line of a recurrent run carries it, and for the views' measuring reports in
        between within the probes' share of the run's time (an unrolled pass costs more than a
        fused step)."""
        due = epoch_end or time.perf_counter() >= self._next_time_grad
        if not self._recurrent or self._divergence is not None or not due:
            return {}
        began = time.perf_counter()
        grads = time_gradients(self.model, self.probe_batch, self._probe_targets, self.objective.loss)
        self._next_time_grad = time.perf_counter() + PROBE_BUDGET * (time.perf_counter() - began)
        return grads

    # ------------------------------------------------------------------ epoch end
    def _validate(self) -> tuple[float, float, int] | None:
        """Summed loss and right answers over this process's validation share; None when a stop
        request arrives mid-way (validation can be long; stopping must not wait for it)."""
        return self._evaluate(self._val_chunks, stoppable=self.world_size == 1)

    def _evaluate(self, chunks: Iterable[tuple[torch.Tensor, torch.Tensor]],
                  stoppable: bool) -> tuple[float, float, int] | None:
        """Summed loss, right answers and count over ``chunks``; None when ``stoppable`` and a
        stop request arrives mid-way."""
        correct = self.objective.correct
        loss_sum = right = 0.0
        count = 0
        with evaluating(self.model):
            for xb, tb in chunks:
                if stoppable and self.control.stop_requested:
                    return None
                out = self.model(xb)
                loss = self.objective.loss(out, tb)
                pair = torch.stack((loss, correct(out, tb).to(loss.dtype) if correct else loss)).tolist()
                loss_sum += pair[0] * len(tb)
                right += pair[1]
                count += len(tb)
        return loss_sum, right, count

    def _test(self) -> tuple[float | None, float | None]:
        """Mean loss and accuracy on the whole test split (every process measures all of it: it
        happens once, and needs no agreement); (None, None) without a test split or when the
        weights are not finite."""
        test = self.dataset.test
        if len(test) == 0:
            return None, None
        chunks = ((x.to(self.device), self.objective.targets_of(x, y).to(self.device))
                  for x, y in zip(test.x.split(EVAL_BATCH), test.y.split(EVAL_BATCH)))
        measured = self._evaluate(chunks, stoppable=False)
        assert measured is not None  # only a stoppable evaluation gives up
        loss_sum, right, count = measured
        loss = loss_sum / count
        if not math.isfinite(loss):
            return None, None
        return loss, (right / count if self.objective.correct is not None else None)

    def _end_epoch(self) -> tuple[Status, str] | None:
        """Validate, agree across processes, report, and decide whether the run goes on."""
        single = self.world_size == 1
        due = self.report_interval is not None and time.perf_counter() >= self._next_report
        # processes copy weights at epoch ends only, where they all are at the same step
        self._collect(snapshot=due or not single)
        if self._divergence and single:
            return self._diverged()
        val = self._validate()
        if val is None:
            return "stopped", f"at step {self.step:,}, as requested"
        totals = [self._loss_sum, self._seen, self._correct, *val,
                  float(self.control.stop_requested), float(self._divergence is not None)]
        if not single:
            reduced = torch.tensor(totals, dtype=torch.float64, device=self.device)
            dist.all_reduce(reduced)
            totals = reduced.tolist()
        loss_sum, seen, correct, val_loss, val_right, val_n, stop, diverged = totals
        classify = self.objective.correct is not None
        train = (loss_sum / seen, correct / seen if classify else None)
        val_metrics = (val_loss / val_n, val_right / val_n if classify else None) if val_n else None
        if diverged:
            self._divergence = self._divergence or "training diverged in another process"
            return self._diverged()
        self._phase, self._val_loss, self._completed = "validated", val_metrics[0] if val_metrics else None, self.epoch
        self._report(epoch_end=True, probes=self.probes and due, val=val_metrics, train=train)
        if stop:
            return "stopped", f"after epoch {self.epoch}, as requested"
        return None

    def _early_stopping(self, val_loss: float | None) -> tuple[Status, str] | None:
        settings = self.config.early_stopping
        if not settings or val_loss is None:
            return None
        if self._best is None or val_loss < self._best_loss - settings["min_delta"]:
            if self._best is None:
                self._best = [t.clone() for t in self._state]
            else:
                torch._foreach_copy_(self._best, self._state)
            self._best_loss, self._best_epoch, self._waited = val_loss, self.epoch, 0
            return None
        self._waited += 1
        if self._waited < settings["patience"]:
            return None
        torch._foreach_copy_(self._state, self._best)
        return "early_stopped", (
            f"after epoch {self.epoch} (the validation loss had not improved for "
            f"{self._waited} epoch{'s' if self._waited != 1 else ''}); kept the weights of epoch {self._best_epoch} "
            f"(validation loss {self._best_loss:.4g})")
