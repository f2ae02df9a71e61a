"""Small networks at full speed (issue 12, item 2): the trainer's epochs/s against a bare PyTorch
loop, per thread count and per way of cutting the per-step overhead.

Cases: the circle task (``bench/projects/circle.json``: TensorFlow Playground's default,
2-4-2-1 tanh, SGD, batch 10, 25 steps an epoch) and the LeNet digits CNN (the example
``lenet_digits``). Options, each measured in the same process in alternating rounds so that
load from other processes hits all alike, and reported as the median of the rounds:

- ``trainer``: ``Trainer.iter_fit()`` with its default reports and probes (what the window
  runs), on 1 thread and on every core (the count it chooses is printed);
- ``trainer, step as before``: the same with the step path this issue replaced: the model
  called as a module and ``optimizer.step()`` (the trainer's private ``_forward`` and
  ``_update`` set back; both paths take bitwise the same steps);
- ``bare``: the same model, optimiser, loss, per-epoch shuffling by an index gather, one
  validation pass per epoch, and nothing else (``optimizer.step()``, ``zero_grad``);
- ``bare, foreach`` / ``bare, fused``: the same optimiser with ``foreach=True`` / ``fused=True``;
- ``bare, grads to None``: gradients dropped by hand instead of ``zero_grad(set_to_none=True)``;
- with ``--compile``, ``torch.compile`` (inductor) of the model only, of one whole step (loss,
  gradients by ``torch.func.grad_and_value`` and an SGD update) and of one whole epoch; each
  compile time is printed; the circle case only, whose optimiser is plain SGD.

Ratios are to ``bare`` on the same thread count. The load average is printed before and after.

    .venv/bin/python bench/step_speed.py [--seconds S] [--rounds N] [--compile] [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import torch

from playground.core.examples import example_path
from playground.core.project import Project, load_project
from playground.core.threads import intra_op_threads
from playground.core.training import Trainer, shuffled_indices, usable_length

CASES: dict[str, Path] = {
    "circle 2-4-2-1 tanh, SGD, batch 10": Path(__file__).parent / "projects" / "circle.json",
    "lenet_digits CNN, Adam, batch 32": example_path("lenet_digits") or Path("lenet_digits"),
}
#: Epochs of every run measured: more than any round trains (an idle machine ran the shipped
#: LeNet's 30 epochs within one round of 1 s).
EPOCHS = 100_000
#: One measurement: train for about this many seconds, return epochs per second.
Measure = Callable[[float], float]


def trainer_measure(project: Project, threads: int, old_step: bool = False) -> Measure:
    """Epochs/s of ``Trainer.iter_fit`` with its default reports and probes; with ``old_step``
    the step path before issue 12."""

    def measure(seconds: float) -> float:
        trainer = Trainer(project, device="cpu", threads=threads)
        if old_step:
            trainer._forward, trainer._update = trainer.model, trainer.optimizer.step
        run = trainer.iter_fit()
        for _ in range(trainer.steps_per_epoch):
            next(run)
        first, began = trainer.step, time.perf_counter()
        while time.perf_counter() - began < seconds:
            next(run)
        rate = (trainer.step - first) / (time.perf_counter() - began) / trainer.steps_per_epoch
        run.close()
        return rate

    return measure


class _Bare:
    """What a bare loop needs, taken from a trainer so model, data and optimiser are the same."""

    def __init__(self, project: Project, optimizer_flags: dict[str, bool]) -> None:
        trainer = Trainer(project, device="cpu", threads=1)
        self.model, self.objective, self.config = trainer.model, trainer.objective, trainer.config
        self.x, self.t = trainer._train_x, trainer._train_t
        self.val = trainer._val_chunks
        self.params = list(self.model.parameters())
        optimizer = trainer.optimizer
        defaults = {k: v for k, v in optimizer.defaults.items() if k not in ("foreach", "fused")}
        self.optimizer = type(optimizer)(self.params, **defaults, **optimizer_flags)

    def batches(self, epoch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        bs = self.config.batch_size
        order = shuffled_indices(len(self.x), self.config.seed, epoch)[: usable_length(len(self.x), bs)]
        return zip(self.x.index_select(0, order).split(bs), self.t.index_select(0, order).split(bs))

    def validate(self) -> None:
        self.model.eval()
        with torch.no_grad():
            for xb, tb in self.val:
                out = self.model(xb)
                self.objective.loss(out, tb).item()
        self.model.train()


def bare_measure(project: Project, flags: dict[str, bool], grads_by_hand: bool = False) -> Measure:
    """Epochs/s of a plain loop (see the module's docstring)."""

    def measure(seconds: float) -> float:
        bare = _Bare(project, flags)
        loss_fn, optimizer, params = bare.objective.loss, bare.optimizer, bare.params
        epochs, began = 0, time.perf_counter()
        while epochs < 1 or time.perf_counter() - began < seconds:
            for xb, tb in bare.batches(epochs + 1):
                loss_fn(bare.model(xb), tb).backward()
                optimizer.step()
                if grads_by_hand:
                    for p in params:
                        p.grad = None
                else:
                    optimizer.zero_grad(set_to_none=True)
            bare.validate()
            epochs += 1
            if epochs == 1:
                began = time.perf_counter()
        return (epochs - 1) / (time.perf_counter() - began)

    return measure


def compiled_measures(project: Project) -> dict[str, Measure]:
    """``torch.compile`` of the model, of one SGD step and of one epoch (circle only); each is
    compiled, and its compile time printed, before the rounds start."""
    from torch.func import functional_call, grad_and_value

    bare = _Bare(project, {})
    model, loss_fn, lr = bare.model, bare.objective.loss, bare.config.lr
    names = [n for n, _ in model.named_parameters()]
    buffers = dict(model.named_buffers())
    params = bare.params

    def loss_of(weights: dict[str, torch.Tensor], xb: torch.Tensor, tb: torch.Tensor) -> torch.Tensor:
        return loss_fn(functional_call(model, (weights, buffers), (xb,)), tb)

    gradient = grad_and_value(loss_of)

    def sgd_step(ps: list[torch.Tensor], xb: torch.Tensor, tb: torch.Tensor) -> torch.Tensor:
        grads, loss = gradient(dict(zip(names, ps)), xb, tb)
        torch._foreach_add_(ps, [grads[n] for n in names], alpha=-lr)
        return loss

    def sgd_epoch(ps: list[torch.Tensor], xs: list[torch.Tensor], ts: list[torch.Tensor]) -> torch.Tensor:
        return torch.stack([sgd_step(ps, xb, tb) for xb, tb in zip(xs, ts)])

    compiled_model = torch.compile(model)
    step = torch.compile(sgd_step)
    epoch = torch.compile(sgd_epoch)
    optimizer = torch.optim.SGD(params, lr=lr)

    def model_epoch(e: int) -> None:
        for xb, tb in bare.batches(e):
            loss_fn(compiled_model(xb), tb).backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)

    def step_epoch(e: int) -> None:
        with torch.no_grad():
            for xb, tb in bare.batches(e):
                step(params, xb, tb)

    def whole_epoch(e: int) -> None:
        xs, ts = zip(*bare.batches(e))
        with torch.no_grad():
            epoch(params, list(xs), list(ts))

    measures = {}
    for name, run in (("torch.compile, model only", model_epoch), ("torch.compile, one step per call", step_epoch),
                      ("torch.compile, one epoch per call", whole_epoch)):
        began = time.perf_counter()
        run(1)
        print(f"  {name}: compiled in {time.perf_counter() - began:.1f} s")

        def measure(seconds: float, run: Callable[[int], None] = run) -> float:
            epochs, began = 0, time.perf_counter()
            while time.perf_counter() - began < seconds:
                epochs += 1
                run(epochs)
                bare.validate()
            return epochs / (time.perf_counter() - began)

        measures[name] = measure
    return measures


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def run_case(name: str, project: Project, rounds: int, seconds: float, compiled: bool) -> None:
    cores = torch.get_num_threads()
    probe = Trainer(project, device="cpu")
    chosen = probe.threads
    sgd = probe.config.optimizer == "sgd"
    options: dict[str, tuple[int, Measure]] = {}
    for threads in sorted({1, cores}):
        options[f"trainer, {threads} thread(s)"] = (threads, trainer_measure(project, threads))
        options[f"bare, {threads} thread(s)"] = (threads, bare_measure(project, {}))
    options[f"trainer, step as before, {chosen} thread(s)"] = (chosen, trainer_measure(project, chosen, True))
    flags: dict[str, dict[str, bool]] = {"foreach": {"foreach": True}, "fused": {"fused": True}}
    for flag, value in flags.items():
        options[f"bare, {flag}, {chosen} thread(s)"] = (chosen, bare_measure(project, value))
    options[f"bare, grads to None, {chosen} thread(s)"] = (chosen, bare_measure(project, {}, grads_by_hand=True))
    if compiled and sgd:
        with intra_op_threads(chosen):
            for option, measure in compiled_measures(project).items():
                options[f"{option}, {chosen} thread(s)"] = (chosen, measure)
    rates: dict[str, list[float]] = {option: [] for option in options}
    for _ in range(rounds):
        for option, (threads, measure) in options.items():
            with intra_op_threads(threads):
                rates[option].append(measure(seconds))
    print(f"{name}: the trainer chooses {chosen} thread(s) ({cores} allowed)")
    print(f"  {'option':<48} {'epochs/s':>9} {'steps/s':>8} {'vs bare':>8}  rounds")
    for option, values in rates.items():
        median = statistics.median(values)
        threads = options[option][0]
        bare = statistics.median(rates[f"bare, {threads} thread(s)"])
        spread = " ".join(f"{v:.0f}" for v in values)
        print(f"  {option:<48} {median:>9.1f} {median * probe.steps_per_epoch:>8.0f} {median / bare:>8.2f}  {spread}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="seconds per option and round")
    parser.add_argument("--rounds", type=int, default=9, help="rounds (each option is measured once per round)")
    parser.add_argument("--compile", action="store_true", help="also torch.compile (about a minute per option)")
    parser.add_argument("--quick", action="store_true", help="two rounds of 0.3 s (CI smoke)")
    args = parser.parse_args()
    rounds, seconds = (2, 0.3) if args.quick else (args.rounds, args.seconds)
    print(f"torch {torch.__version__}, {os.cpu_count()} cores, {torch.get_num_threads()} threads by default, "
          f"median of {rounds} rounds of {seconds:.1f} s; {load()}")
    for name, path in CASES.items():
        project = load_project(path)
        project.training["epochs"] = EPOCHS  # a round must never reach the end of the run
        run_case(name, project, rounds, seconds, args.compile)
    print(load())


if __name__ == "__main__":
    main()
