"""Comparing runs: one project trained once per combination of varied settings (× seeds).

``parse_vary("training.lr=0.1,0.01")`` reads one ``--vary``; ``plan_variants`` makes every
combination and validates each one with ``check_project`` before anything trains, so a bad
PATH or value is a ``UserError`` naming the PATH and value, never a run that fails half-way.
``Comparison`` trains the variants one after another, each with its own ``Trainer`` and
``RunRecorder`` (one ordinary run folder per variant, so any of them can be reopened, exported
or resumed), and rewrites ``summary.csv`` after each variant: a Ctrl-C, a Stop or a kill
leaves the summary of what has finished. The command line (``playground compare``) and the
app's Compare dialog both drive this module; the contract is FORMAT.md, "Comparing runs".

Values are JSON where they parse as JSON (``0.1``, ``true``, ``null``, ``{"max": 1}``), else
text (``relu``). Values are separated by commas outside brackets, braces and quotes, so a
JSON object or list with commas inside is one value.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playground.core.checkpoint import RunRecorder
from playground.core.edits import retype_node
from playground.core.layers import LAYER_TYPES
from playground.core.params import UserError
from playground.core.project import Project, check_project, write_atomic
from playground.core.run_dir import resolved_project
from playground.core.training import TrainControl, Trainer, TrainResult

SUMMARY_FILE = "summary.csv"
#: The result columns of ``summary.csv``, after one column per varied PATH (FORMAT.md).
METRIC_COLUMNS = ("final_train_loss", "final_val_loss", "final_train_acc", "final_val_acc", "test_loss",
                  "test_acc", "epochs", "seconds")
SEED_PATH = "training.seed"
#: More variants than anyone waits for on a laptop; a typo such as 1e5 seeds is refused instead.
MAX_VARIANTS = 1000
#: Longest part of a variant's folder name taken by one value.
MAX_NAME_VALUE = 24
SECTIONS = ("training", "dataset", "graph")


@dataclass(frozen=True)
class Vary:
    """One varied setting: ``path`` as written (``graph.*.activation``) and its values in order."""

    path: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Variant:
    """One run of a comparison: its 1-based ``index``, the ``settings`` (PATH, value) it differs
    by, its folder ``name`` and the ``project`` it trains."""

    index: int
    settings: tuple[tuple[str, Any], ...]
    name: str
    project: Project

    @property
    def label(self) -> str:
        """``lr=0.1, seed=0``: what a legend or a progress line calls this variant."""
        return ", ".join(f"{_short_names(p for p, _ in self.settings)[p]}={show_setting(v)}" for p, v in self.settings)


@dataclass(frozen=True)
class VariantResult:
    """How one variant ended: ``status`` is the trainer's (``finished``, ``early_stopped``,
    ``stopped``, ``diverged``) or ``failed`` (it could not start; ``message`` says why);
    ``metrics`` maps each of METRIC_COLUMNS to a number or None."""

    variant: Variant
    status: str
    message: str
    metrics: dict[str, float | int | None]
    run_dir: Path


# --------------------------------------------------------------------------- parsing

def split_values(text: str) -> list[str]:
    """``text`` cut at the commas that are outside brackets, braces and double quotes."""
    parts, depth, quoted, escaped, start = [], 0, False, False, 0
    for i, ch in enumerate(text):
        if quoted:
            escaped = ch == "\\" and not escaped
            quoted = escaped or ch != '"'
        elif ch == '"':
            quoted = True
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth = max(depth - 1, 0)
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def parse_value(text: str) -> Any:
    """A JSON scalar, object or list when ``text`` is JSON, else ``text`` itself (``relu``)."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_vary(text: str) -> Vary:
    """``PATH=V1,V2[,...]`` as a ``Vary``; ``UserError`` for text not of that form (the PATH
    itself is checked against a project by ``plan_variants``)."""
    path, sep, rest = text.partition("=")
    path = path.strip()
    if not sep or not path:
        raise UserError(f"--vary {text!r}: write PATH=V1,V2,... (for example training.lr=0.1,0.01)")
    raw = split_values(rest)
    if any(not v for v in raw):
        raise UserError(f"--vary {path}: a value is empty in {rest!r}; separate values by single commas")
    return Vary(path, tuple(parse_value(v) for v in raw))


def show_setting(value: Any) -> str:
    """A value as ``--vary`` takes it and ``summary.csv`` writes it: text as is, else JSON."""
    return value if isinstance(value, str) else json.dumps(value)


# --------------------------------------------------------------------------- applying a setting

def set_path(project: Project, path: str, value: Any) -> None:
    """Write ``value`` at ``path`` into ``project`` (in place); ``UserError`` naming the PATH
    when it does not name a setting this project can have."""
    section, _, rest = path.partition(".")
    if section not in SECTIONS or not rest:
        raise UserError(f"--vary {path}: PATH must be training.FIELD, dataset.FIELD, graph.NODE_ID.PARAM or "
                        "graph.*.PARAM")
    if section == "training":
        project.training[rest] = value
    elif section == "dataset":
        project.dataset[rest] = value
    else:
        param = path.rsplit(".", 1)[1]
        for node in _nodes_at(project, path, rest):
            if param == "type":
                retype_node(project.graph, node, value, f"--vary {path}")
            else:
                node.params[param] = value


def _nodes_at(project: Project, path: str, rest: str) -> list[Any]:
    """The nodes that ``graph.NODE_ID.PARAM`` or ``graph.*.PARAM`` names."""
    node_id, _, param = rest.partition(".")
    if not param or "." in param:
        raise UserError(f"--vary {path}: a graph PATH is graph.NODE_ID.PARAM or graph.*.PARAM")
    graph = project.graph
    if node_id == "*" and param == "type":
        raise UserError(f"--vary {path}: name the node whose type varies (graph.NODE_ID.type)")
    if node_id == "*":
        nodes = [n for n in graph.nodes.values()
                 if n.type in LAYER_TYPES and any(p.name == param for p in LAYER_TYPES[n.type].params)]
        if not nodes:
            raise UserError(f"--vary {path}: no node of this network has a parameter '{param}'")
        return nodes
    node = graph.nodes.get(node_id)
    if node is None:
        raise UserError(f"--vary {path}: the network has no node '{node_id}' (its nodes: "
                        f"{', '.join(graph.nodes) or 'none'})")
    return [node]


def _with_settings(project: Project, settings: Sequence[tuple[str, Any]]) -> Project:
    variant = project.copy()
    for path, value in settings:
        set_path(variant, path, value)
    return variant


def _problem(project: Project) -> str | None:
    problems = check_project(project).problems
    return problems[0].message if problems else None


# --------------------------------------------------------------------------- planning

def plan_variants(project: Project, varies: Sequence[Vary], *, seeds: int | None = None,
                  epochs: int | None = None) -> list[Variant]:
    """Every combination of the varied values (the first ``--vary`` outermost), each ``seeds``
    times with ``training.seed`` = the project's seed + 0, 1, ... when ``seeds`` is given;
    ``epochs`` overrides every variant's. Each variant is checked as ``playground check``
    would; the first bad one is a ``UserError`` naming its PATH and value."""
    base = resolved_project(project, epochs=epochs)
    problem = _problem(base)
    if problem:
        raise UserError(f"the project cannot be trained, whatever is varied: {problem}")
    varies = list(varies)
    paths = [v.path for v in varies]
    for path in paths:
        if paths.count(path) > 1:
            raise UserError(f"--vary {path}: given twice; list all its values in one --vary")
    if seeds is not None:
        if seeds < 1:
            raise UserError(f"--seeds must be at least 1, got {seeds}")
        if SEED_PATH in paths:
            raise UserError(f"--vary {SEED_PATH} and --seeds both set the seed: give one of them")
        first = base.train_config().seed
        varies.append(Vary(SEED_PATH, tuple(range(first, first + seeds))))
    if not varies:
        raise UserError("nothing to compare: give at least one --vary PATH=V1,V2 (or --seeds K)")
    count = math.prod(len(v.values) for v in varies)
    if count > MAX_VARIANTS:
        raise UserError(f"{count:,} variants are too many to train one after another (at most {MAX_VARIANTS:,}): "
                        "vary fewer settings or values")
    for vary in varies:
        for value in vary.values:
            problem = _problem(_with_settings(base, [(vary.path, value)]))
            if problem:
                raise UserError(f"--vary {vary.path}={show_setting(value)}: {problem}")
    names = _short_names(v.path for v in varies)
    width = max(2, len(str(count)))
    variants = []
    for index, values in enumerate(itertools.product(*(v.values for v in varies)), 1):
        settings = tuple(zip((v.path for v in varies), values))
        variant = _with_settings(base, settings)
        problem = _problem(variant) if len(settings) > 1 else None
        if problem:
            together = " with ".join(f"{p}={show_setting(v)}" for p, v in settings)
            raise UserError(f"--vary {together}: {problem}")
        parts = [f"{names[p]}={_name_part(v)}" for p, v in settings]
        variants.append(Variant(index, settings, "-".join([f"{index:0{width}d}", *parts]), variant))
    return variants


def _short_names(paths: Iterable[str]) -> dict[str, str]:
    """What folder names and labels call each PATH: ``lr`` for ``training.lr``, ``activation``
    for ``graph.*.activation``, ``h1.units`` for ``graph.h1.units``; the whole PATH where two
    would read the same (``training.seed`` and ``dataset.seed``)."""
    paths = list(paths)
    short = {p: p.split(".", 1)[1].removeprefix("*.") for p in paths}
    taken = list(short.values())
    return {p: s if taken.count(s) == 1 else p for p, s in short.items()}


def _name_part(value: Any) -> str:
    """A value as it may appear in a folder name on any system."""
    text = re.sub(r"[^\w.+-]+", "_", show_setting(value)).strip("_") or "_"
    return text[:MAX_NAME_VALUE]


# --------------------------------------------------------------------------- the summary

def summary_columns(variants: Sequence[Variant]) -> list[str]:
    """The header of ``summary.csv``: each varied PATH, then METRIC_COLUMNS."""
    paths = [p for p, _ in variants[0].settings] if variants else []
    return [*paths, *METRIC_COLUMNS]


def result_metrics(result: TrainResult) -> dict[str, float | int | None]:
    """The summary's numbers for one finished run (None where the run has no finite number)."""
    report = result.report

    def finite(x: float | None) -> float | None:
        return float(x) if x is not None and math.isfinite(x) else None

    return {
        "final_train_loss": finite(report.train_loss) if report else None,
        "final_val_loss": finite(report.val_loss) if report else None,
        "final_train_acc": finite(report.train_acc) if report else None,
        "final_val_acc": finite(report.val_acc) if report else None,
        "test_loss": finite(result.test_loss),
        "test_acc": finite(result.test_acc),
        "epochs": result.epochs,
        "seconds": round(report.time, 3) if report else None,
    }


def summary_csv(variants: Sequence[Variant], results: Sequence[VariantResult]) -> str:
    """The text of ``summary.csv`` for the results so far (just the header before the first)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(summary_columns(variants))
    for r in results:
        cells = [show_setting(v) for _, v in r.variant.settings]
        cells += ["" if r.metrics[c] is None else str(r.metrics[c]) for c in METRIC_COLUMNS]
        writer.writerow(cells)
    return out.getvalue()


def summary_table(results: Sequence[VariantResult]) -> str:
    """The summary as aligned text for a terminal, with each variant's status."""
    if not results:
        return "no variant finished"
    header = ["#", *summary_columns([r.variant for r in results]), "status"]
    rows = [[str(r.variant.index), *(show_setting(v) for _, v in r.variant.settings),
             *(format_cell(c, r.metrics[c]) for c in METRIC_COLUMNS), r.status.replace("_", " ")] for r in results]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in [header, *rows])


def format_cell(column: str, value: float | int | None) -> str:
    """One cell of the printed table (and the app's): 4 significant digits, accuracies in percent."""
    if value is None:
        return "-"
    if column.endswith("_acc"):
        return f"{value:.1%}"
    if column == "epochs":
        return str(value)
    if column == "seconds":
        return f"{value:.2f}"
    return f"{value:.4g}"


# --------------------------------------------------------------------------- running

class CompareListener:
    """Hooks a ``Comparison`` calls on the thread that runs it; every default does nothing."""

    def on_variant_start(self, variant: Variant, trainer: Trainer) -> None:
        """A variant's trainer is built and about to train (add callbacks to it here)."""

    def on_variant_end(self, result: VariantResult) -> None:
        """A variant has ended and ``summary.csv`` holds it."""


@dataclass
class Comparison:
    """Trains ``variants`` one after another into ``out_dir``/NAME and keeps ``summary.csv``.

    ``stop()`` may be called from any thread (a Stop button, a Ctrl-C handler): the current
    variant stops after its current step, keeps its run folder and its row, and no further
    variant starts. ``trainer_options`` go to every ``Trainer`` (``device``, ``probes``...).
    """

    variants: Sequence[Variant]
    out_dir: Path
    trainer_options: dict[str, Any] = field(default_factory=dict)
    results: list[VariantResult] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.out_dir = Path(self.out_dir)
        self._lock = threading.Lock()
        self._stopped = False
        self._control: TrainControl | None = None

    @property
    def summary_path(self) -> Path:
        return self.out_dir / SUMMARY_FILE

    @property
    def stopped(self) -> bool:
        return self._stopped

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            if self._control is not None:
                self._control.stop()

    def run(self, listener: CompareListener | None = None) -> list[VariantResult]:
        """Train every variant not yet stopped; returns the results (also in ``results``).
        ``UserError`` when ``out_dir`` holds something already (nothing is overwritten)."""
        listener = listener or CompareListener()
        if self.out_dir.exists() and (not self.out_dir.is_dir() or any(self.out_dir.iterdir())):
            raise UserError(f"{self.out_dir}: already exists and is not an empty folder; give another output folder "
                            "(nothing was overwritten)")
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._write_summary()
        for variant in self.variants:
            control = TrainControl()
            with self._lock:
                if self._stopped:
                    break
                self._control = control
            result = self._train(variant, control, listener)
            self.results.append(result)
            self._write_summary()
            listener.on_variant_end(result)
        with self._lock:
            self._control = None
        return self.results

    def _train(self, variant: Variant, control: TrainControl, listener: CompareListener) -> VariantResult:
        run_dir = self.out_dir / variant.name
        try:
            recorder = RunRecorder(run_dir, variant.project)
            trainer = Trainer(variant.project, control=control, callbacks=[recorder], **self.trainer_options)
            listener.on_variant_start(variant, trainer)
            result = trainer.fit()
        except UserError as exc:  # out of memory, a data file gone since the check: the others still run
            return VariantResult(variant, "failed", str(exc), dict.fromkeys(METRIC_COLUMNS), run_dir)
        return VariantResult(variant, result.status, result.message, result_metrics(result), run_dir)

    def _write_summary(self) -> None:
        write_atomic(self.summary_path, summary_csv(self.variants, self.results).encode("utf-8"))
