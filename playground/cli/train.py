"""``playground train PROJECT.json [--epochs N] [--device D] [--run-dir DIR]``: train headless.

Writes ``DIR/metrics.jsonl`` as training goes, then ``DIR/model.safetensors`` and
``DIR/project.json``; shows a progress bar on a terminal and stays quiet otherwise. Ctrl-C stops
at the next step and still writes what was trained (a second Ctrl-C aborts at once). Started by
``torchrun`` with several processes, the same command trains with DistributedDataParallel and
rank 0 writes the run folder; every rank prints a digest of its final parameters.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from tqdm import tqdm

from playground.core.devices import DistributedInfo, distributed_session, launched_by_torchrun
from playground.core.examples import resolve_project_arg
from playground.core.params import UserError
from playground.core.project import Project, load_project
from playground.core.run_dir import (
    MetricsLog,
    default_run_dir,
    resolved_project,
    weights_digest,
    write_run_dir,
)
from playground.core.training import Callback, Report, TrainControl, Trainer, TrainResult
from playground.core.training_config import parse_training

#: Exit status of a run stopped with Ctrl-C (the shell's convention for SIGINT).
INTERRUPTED = 130


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="PROJECT.json",
                        help="the project file to train, or the name of a shipped example")
    parser.add_argument("--epochs", type=_positive, metavar="N", help="train for N epochs instead of the "
                        "project's setting")
    parser.add_argument("--device", metavar="D", help="auto, cpu, cuda, cuda:N or mps instead of the project's "
                        "setting")
    parser.add_argument("--run-dir", type=Path, metavar="DIR", help="where to write the results (default: "
                        "runs/<project>-<date>-<time>)")


class _Progress(Callback):
    """A tqdm bar over the steps, updated at the report cadence; disabled off a terminal."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.bar = tqdm(total=total, unit="step", disable=not enabled, dynamic_ncols=True, file=sys.stderr)

    def on_report(self, trainer: Trainer, report: Report) -> None:
        self.bar.update(report.step - self.bar.n)
        if report.epoch_end:
            self.bar.set_description(f"epoch {report.epoch}/{report.total_epochs}")
            self.bar.set_postfix_str(_metrics_text(report, short=True), refresh=False)

    def on_finish(self, trainer: Trainer, result: TrainResult) -> None:
        self.bar.close()


class _Metrics(Callback):
    """One ``metrics.jsonl`` line per epoch, plus the final state of a run that ended mid-epoch."""

    def __init__(self, log: MetricsLog) -> None:
        self.log = log

    def on_epoch_end(self, trainer: Trainer, report: Report) -> None:
        self.log.append(report.metrics())

    def on_finish(self, trainer: Trainer, result: TrainResult) -> None:
        if result.report is not None and not result.report.epoch_end:
            self.log.append(result.report.metrics())


def _metrics_text(report: Report, short: bool = False) -> str:
    parts = []
    for split, loss, acc in (("train", report.train_loss, report.train_acc),
                             ("val", report.val_loss, report.val_acc)):
        if loss is None:
            continue
        text = f"{split} loss {loss:.4g}"
        if acc is not None:
            text += f" acc {acc:.1%}" if not short else f" {acc:.1%}"
        parts.append(text)
    return ", ".join(parts)


@contextmanager
def _ctrl_c_stops(control: TrainControl) -> Iterator[None]:
    """The first Ctrl-C asks the trainer to stop after the current step; a second one raises
    KeyboardInterrupt as usual (which the trainer also turns into a stop when it lands in a step)."""
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum: int, frame: FrameType | None) -> None:
        print("\nstopping after this step (Ctrl-C again to abort)", file=sys.stderr)
        control.stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run(args: argparse.Namespace) -> int:
    project = resolved_project(load_project(resolve_project_arg(args.project)), epochs=args.epochs,
                               device=args.device)
    config, problems = parse_training(project.training)
    if problems:
        raise UserError(problems[0].message, problems)
    if launched_by_torchrun():
        with distributed_session(config.device) as info:
            return _train(args, project, info)
    return _train(args, project, None)


def _train(args: argparse.Namespace, project: Project, info: DistributedInfo | None) -> int:
    main = info is None or info.is_main
    trainer = Trainer(project, device=info.device if info else None, probes=False)
    run_dir = args.run_dir or default_run_dir(args.project)
    log = None
    if main:
        log = MetricsLog(run_dir)
        on_terminal = sys.stdout.isatty() and sys.stderr.isatty()
        trainer.callbacks += [_Metrics(log), _Progress(trainer.total_steps, on_terminal)]
    try:
        with _ctrl_c_stops(trainer.control):
            result = trainer.fit()
    finally:
        if log is not None:
            log.close()
    if info is not None:
        digest = weights_digest(dict(trainer.model.named_parameters()))
        print(f"rank {info.rank}/{info.world_size}: parameters sha256 {digest}", file=sys.stderr)
    if not main:
        return 0
    write_run_dir(run_dir, project, trainer.model.state_dict())
    _summary(result, run_dir)
    # a headless run stops early only when Ctrl-C asked it to
    return {"diverged": 1, "stopped": INTERRUPTED}.get(result.status, 0)


def _summary(result: TrainResult, run_dir: Path) -> None:
    report = result.report
    took = f" in {report.time:.1f} s" if report else ""
    metrics = f"; {_metrics_text(report)}" if report else ""
    head = {"finished": "trained", "early_stopped": "stopped early after", "stopped": "stopped after",
            "diverged": "diverged after"}[result.status]
    print(f"{head} {result.epochs} epoch{'s' if result.epochs != 1 else ''} ({result.steps} steps{took}){metrics}; "
          f"wrote {run_dir}/ (metrics.jsonl, model.safetensors, project.json)")
    if result.status == "diverged":
        print(f"error: {result.message}", file=sys.stderr)
    elif result.status == "early_stopped":
        print(f"stopped early {result.message}")
