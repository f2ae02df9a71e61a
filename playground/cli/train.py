"""``playground train PROJECT.json [--epochs N] [--device D] [--run-dir DIR]``: train headless;
``playground train --resume DIR [--epochs N] [--device D]``: continue a run folder.

Writes ``DIR/project.json`` when training starts, ``DIR/metrics.jsonl`` as training goes and a
checkpoint every CHECKPOINT_SECONDS (``playground.core.checkpoint``), then
``DIR/model.safetensors`` and the training advisor's findings, ``DIR/advice.json`` (also printed
as ``advice: RULE: MESSAGE`` lines); shows a progress bar on a terminal and stays quiet otherwise. Ctrl-C
stops at the next step and still writes what was trained (a second Ctrl-C aborts at once);
``--resume`` continues a run stopped, killed or finished (with more ``--epochs``) from its last
checkpoint, on the trajectory it would have taken uninterrupted. Started by ``torchrun`` with
several processes, the same command trains with DistributedDataParallel and rank 0 writes the
run folder; every rank prints a digest of its final parameters.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from playground.cli.interrupt import first_ctrl_c_calls
from playground.core.advisor import Advisor, save_advice
from playground.core.advisor_callback import AdvisingCallback
from playground.core.checkpoint import Checkpoint, RunRecorder, read_checkpoint, run_project
from playground.core.devices import DistributedInfo, distributed_session, launched_by_torchrun
from playground.core.examples import resolve_project_arg
from playground.core.params import UserError
from playground.core.project import Project, load_project
from playground.core.run_dir import default_run_dir, resolved_project, weights_digest
from playground.core.training import Callback, Report, Trainer, TrainResult
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
    parser.add_argument("project", metavar="PROJECT.json", nargs="?",
                        help="the project file to train, or the name of a shipped example")
    parser.add_argument("--epochs", type=_positive, metavar="N", help="train for N epochs instead of the "
                        "project's setting")
    parser.add_argument("--device", metavar="D", help="auto, cpu, cuda, cuda:N or mps instead of the project's "
                        "setting")
    parser.add_argument("--run-dir", type=Path, metavar="DIR", help="where to write the results (default: "
                        "runs/<project>-<date>-<time>)")
    parser.add_argument("--resume", type=Path, metavar="RUN_DIR", help="continue the run in RUN_DIR from its last "
                        "checkpoint (instead of a PROJECT); --epochs may extend it")


class _Progress(Callback):
    """A tqdm bar over the steps, updated at the report cadence; disabled off a terminal."""

    def __init__(self, total: int, enabled: bool, initial: int = 0) -> None:
        self.bar = tqdm(total=total, initial=initial, unit="step", disable=not enabled, dynamic_ncols=True,
                        file=sys.stderr)

    def on_report(self, trainer: Trainer, report: Report) -> None:
        self.bar.update(report.step - self.bar.n)
        if report.epoch_end:
            self.bar.set_description(f"epoch {report.epoch}/{report.total_epochs}")
            self.bar.set_postfix_str(_metrics_text(report, short=True), refresh=False)

    def on_finish(self, trainer: Trainer, result: TrainResult) -> None:
        self.bar.close()


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


def run(args: argparse.Namespace) -> int:
    if args.resume is not None:
        return _resume(args)
    if args.project is None:
        raise UserError("train: give the PROJECT to train, or --resume RUN_DIR to continue a run")
    project = resolved_project(load_project(resolve_project_arg(args.project)), epochs=args.epochs,
                               device=args.device)
    config, problems = parse_training(project.training)
    if problems:
        raise UserError(problems[0].message, problems)
    run_dir = args.run_dir or default_run_dir(args.project)
    if launched_by_torchrun():
        with distributed_session(config.device) as info:
            return _train(project, run_dir, info, None)
    return _train(project, run_dir, None, None)


def _resume(args: argparse.Namespace) -> int:
    """Continue the run folder ``args.resume`` with the project it holds."""
    if args.project is not None or args.run_dir is not None:
        raise UserError("train --resume RUN_DIR continues that run folder: give no PROJECT or --run-dir with it")
    if launched_by_torchrun():
        raise UserError("train --resume continues a run in one process: start it without torchrun")
    run_dir: Path = args.resume
    saved = run_project(run_dir)
    checkpoint = read_checkpoint(run_dir)
    project = resolved_project(saved, epochs=args.epochs, device=args.device)
    config, problems = parse_training(project.training)
    if problems:
        raise UserError(f"{run_dir / 'project.json'}: {problems[0].message}", problems)
    if checkpoint is None:
        print(f"{run_dir}: no checkpoint yet, so the run starts again from its first step", file=sys.stderr)
    else:
        if checkpoint.completed > config.epochs:
            raise UserError(f"{run_dir}: the run has trained {checkpoint.completed} epochs already; --epochs must "
                            f"be at least that")
        done = _nothing_to_resume(checkpoint, config.epochs)
        if done:
            print(f"{run_dir}: {done}")
            return 0
        print(f"{run_dir}: resuming at step {checkpoint.step:,} ({checkpoint.completed} of {config.epochs} epochs "
              "done)", file=sys.stderr)
    return _train(project, run_dir, None, checkpoint)


def _nothing_to_resume(checkpoint: Checkpoint, epochs: int) -> str | None:
    """Why a run that ended by itself has nothing left to train, or None."""
    done = checkpoint.completed
    if checkpoint.status == "early_stopped":
        return f"the run already ended: it stopped early after epoch {done}; there is nothing to resume"
    if checkpoint.status == "finished" and done >= epochs:
        return (f"the run already finished: it trained {done} epoch{'s' if done != 1 else ''}; give --epochs N "
                f"(more than {done}) to train it further")
    return None


def _train(project: Project, run_dir: Path, info: DistributedInfo | None, resume: Checkpoint | None) -> int:
    main = info is None or info.is_main
    trainer = Trainer(project, device=info.device if info else None, probes=False,
                      resume=resume.state if resume else None)
    advising = AdvisingCallback(Advisor(project))
    if main:
        on_terminal = sys.stdout.isatty() and sys.stderr.isatty()
        trainer.callbacks += [RunRecorder(run_dir, project, resume=resume),
                              _Progress(trainer.total_steps, on_terminal, initial=trainer.step), advising]
    # a second Ctrl-C raises KeyboardInterrupt, which the trainer also turns into a stop in a step
    with first_ctrl_c_calls(trainer.control.stop, "stopping after this step"):
        result = trainer.fit()
    if info is not None:
        digest = weights_digest(dict(trainer.model.named_parameters()))
        print(f"rank {info.rank}/{info.world_size}: parameters sha256 {digest}", file=sys.stderr)
    if not main:
        return 0
    save_advice(run_dir / "advice.json", advising.findings())
    _summary(result, run_dir)
    for finding in advising.findings():
        print(finding.line())
    # a headless run stops early only when Ctrl-C asked it to
    return {"diverged": 1, "stopped": INTERRUPTED}.get(result.status, 0)


def _summary(result: TrainResult, run_dir: Path) -> None:
    report = result.report
    took = f" in {report.time:.1f} s" if report else ""
    metrics = f"; {_metrics_text(report)}" if report else ""
    if result.test_loss is not None:
        metrics += f", test loss {result.test_loss:.4g}"
        metrics += f" acc {result.test_acc:.1%}" if result.test_acc is not None else ""
    head = {"finished": "trained", "early_stopped": "stopped early after", "stopped": "stopped after",
            "diverged": "diverged after"}[result.status]
    print(f"{head} {result.epochs} epoch{'s' if result.epochs != 1 else ''} ({result.steps} steps{took}){metrics}; "
          f"wrote {run_dir}/ ({', '.join(sorted(p.name for p in run_dir.iterdir() if not p.name.startswith('.')))})")
    if result.status == "diverged":
        print(f"error: {result.message}", file=sys.stderr)
    elif result.status == "early_stopped":
        print(f"stopped early {result.message}")
    elif result.status == "stopped":
        print(f"continue it with: playground train --resume {run_dir}")
