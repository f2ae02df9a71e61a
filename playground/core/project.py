"""Project files (format ``nn-playground/1``): parse, migrate, check, save atomically.

A project is graph + layout + dataset + training settings. Loading refuses what cannot be
represented (not JSON, not a project, a newer format, unknown node types, parameters or
values out of range) with one message naming the culprit; a network that is merely
unfinished (a node not wired yet) loads, so work in progress can be saved and reopened.
``check_project`` then reports everything else.
"""

from __future__ import annotations

import gc
import json
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playground.core.datasets import (
    DataError,
    DatasetMeta,
    LoadContext,
    dataset_meta,
    resolve_dataset_spec,
)
from playground.core.graph import Graph, Node
from playground.core.params import Problem, UserError, show_value
from playground.core.safe_read import read_capped
from playground.core.shapes import ShapeReport, infer_shapes
from playground.core.training_config import TrainConfig, augment_problems, parse_training

FORMAT_PREFIX = "nn-playground/"
CURRENT_VERSION = 1
#: Largest project file read. A project is a few kB, one at the node and edge limits well under
#: 1 MB; the bound keeps reading any file under a few seconds.
MAX_FILE_BYTES = 4 * 1024 * 1024
#: Largest activation memory one training batch may need, in float32 values (8 GB).
MAX_BATCH_ELEMENTS = 2 * 1024**3
#: Deepest nesting of objects and lists in a project file (the format itself needs six levels).
MAX_DEPTH = 32
#: Longest integer a project file may write, in digits: every setting's range ends far below, and
#: Python refuses to convert integers of more than 4,300 digits at all.
MAX_INT_DIGITS = 300
#: Largest magnitude of any number in a project file (a float ends near 1.8e308); messages say 1e300.
MAX_NUMBER = 1e300

#: Upgrades from format N to N+1, applied in turn on load. Each takes and returns the raw dict.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}

TOP_LEVEL_KEYS = ("format", "name", "dataset", "graph", "training", "layout")


class ProjectError(UserError):
    """A project file that cannot be opened; the message names the file and the problem."""


@dataclass
class Project:
    """Everything a project file holds. ``dataset`` and ``training`` keep the user's own values
    (defaults are not written out), so a file saved unchanged is byte-for-byte the same."""

    name: str = "Untitled"
    dataset: dict[str, Any] = field(default_factory=lambda: {"name": "spiral"})
    graph: Graph = field(default_factory=Graph)
    training: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def load_context(self) -> LoadContext:
        return LoadContext(self.base_dir, float(self.train_config().val_fraction))

    def train_config(self) -> TrainConfig:
        return parse_training(self.training)[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": f"{FORMAT_PREFIX}{CURRENT_VERSION}",
            "name": self.name,
            "dataset": dict(self.dataset),
            "graph": self.graph.to_dict(),
            "training": dict(self.training),
            "layout": self.graph.layout_dict(),
        }

    def copy(self) -> Project:
        """A detached copy for the training thread: later edits in the editor do not reach it."""
        return Project(self.name, json.loads(json.dumps(self.dataset)), self.graph.copy(),
                       json.loads(json.dumps(self.training)), self.path)


def dumps(project: Project) -> str:
    """The file text: one node per line, so diffs of a project stay readable."""
    d = project.to_dict()
    line = lambda v: json.dumps(v, ensure_ascii=False)  # noqa: E731
    nodes = ",\n".join(f"      {line(n)}" for n in d["graph"]["nodes"])
    return (
        "{\n"
        f'  "format": {line(d["format"])},\n'
        f'  "name": {line(d["name"])},\n'
        f'  "dataset": {line(d["dataset"])},\n'
        '  "graph": {\n'
        f'    "nodes": [\n{nodes}\n    ],\n'
        f'    "edges": {line(d["graph"]["edges"])}\n'
        "  },\n"
        f'  "training": {line(d["training"])},\n'
        f'  "layout": {line(d["layout"])}\n'
        "}\n"
    )


def file_stem(name: str) -> str:
    """A file name made from a project name ("XOR / 2" -> "XOR_2"), for Save As and exports."""
    return re.sub(r"[^\w.-]+", "_", name).strip("._") or "model"


def save_project(project: Project, path: str | os.PathLike[str]) -> None:
    """Write atomically (temp file in the same folder, then rename): a crash mid-write leaves
    the previous file intact."""
    write_atomic(Path(path), dumps(project).encode("utf-8"))


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so readers see either the old or the new file, never half."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes a private file; keep the old file's mode, or the usual one for a new file.
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_project(path: str | os.PathLike[str]) -> Project:
    """Read a project file, or raise ``ProjectError`` naming the file and what is wrong."""
    path = Path(path)
    # the one reader with limits: a FIFO, /dev/zero or a folder is refused before it is read
    project = parse_project_bytes(read_capped(path, ProjectError, MAX_FILE_BYTES), str(path))
    project.path = path
    return project


def parse_project_bytes(raw: bytes, source: str = "project") -> Project:
    """Parse file content; ``source`` names the file in messages."""
    if not raw.strip():
        raise ProjectError(f"{source}: the file is empty, not a project file")
    if b"\x00" in raw[:4096]:
        raise ProjectError(f"{source}: is a binary file, not a project file (expected JSON text)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProjectError(f"{source}: is not UTF-8 text (byte {exc.start}), not a project file") from None
    try:
        with _collector_paused():
            data = json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_BadNumber)
    except json.JSONDecodeError as exc:
        raise ProjectError(f"{source}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise ProjectError(f"{source}: invalid JSON: nested too deeply") from None
    return parse_project(data, source)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Hold the cyclic garbage collector while JSON is parsed: it would otherwise scan every new
    list and object again and again (a file of a million empty lists: 2.3 s instead of 0.2 s)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_project(data: Any, source: str = "project") -> Project:
    """Build a project from parsed JSON, migrating older formats and refusing newer ones."""
    if not isinstance(data, Mapping):
        raise ProjectError(f"{source}: the top level must be a JSON object, not {_json_type(data)}")
    unusable = content_problem(data)
    if unusable is not None:
        raise ProjectError(f"{source}: {unusable.message}", [unusable])
    data = migrate(dict(data), source)
    unknown = [k for k in data if k not in TOP_LEVEL_KEYS]
    problems: list[Problem] = [
        Problem(f"unknown top-level key '{k}' (a project has {', '.join(TOP_LEVEL_KEYS)})", field=k)
        for k in unknown
    ]
    name = data.get("name", "Untitled")
    if not isinstance(name, str):
        problems.append(Problem("name must be a text", field="name"))
        name = "Untitled"
    dataset = data.get("dataset", {"name": "spiral"})
    training = data.get("training", {})
    graph, graph_problems = Graph.from_dict(data.get("graph", {}), data.get("layout"))
    problems += graph_problems
    problems += _representation_problems(graph)
    _, _, dataset_problems = resolve_dataset_spec(dataset)
    problems += [p for p in dataset_problems if "does not exist" not in p.message]
    problems += parse_training(training)[1]
    if problems:
        raise ProjectError(f"{source}: {problems[0].message}" + (
            f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})" if len(problems) > 1 else ""),
            problems)
    return Project(name, dict(dataset), graph, dict(training) if training is not None else {})


def migrate(data: dict[str, Any], source: str = "project") -> dict[str, Any]:
    """Bring ``data`` to the current format, or refuse a missing, unknown or newer format."""
    fmt = data.get("format")
    if fmt is None:
        raise ProjectError(f"{source}: has no 'format' field, so it is not a Neural Network Playground project")
    version = None
    # ASCII digits only: str.isdigit() also takes '²' and Arabic-Indic digits, which int() reads or refuses
    if isinstance(fmt, str) and fmt.startswith(FORMAT_PREFIX) and re.fullmatch(r"[0-9]{1,9}",
                                                                            fmt[len(FORMAT_PREFIX):]):
        version = int(fmt[len(FORMAT_PREFIX):])
    if version is None or version < 1:
        readable = (f"only '{FORMAT_PREFIX}1'" if CURRENT_VERSION == 1
                    else f"'{FORMAT_PREFIX}1' to '{FORMAT_PREFIX}{CURRENT_VERSION}'")
        raise ProjectError(f"{source}: unknown format {show_value(fmt)}; this version reads {readable}")
    if version > CURRENT_VERSION:
        raise ProjectError(f"{source}: was written by a newer Neural Network Playground (format {version}); "
                           f"this version reads format {CURRENT_VERSION} and older: please update the app")
    while version < CURRENT_VERSION:
        data = MIGRATIONS[version](data)
        version += 1
        data["format"] = f"{FORMAT_PREFIX}{version}"
    return data


#: A value met while walking a parsed file: (value, its key in the parent, the parent's entry, depth).
_Entry = tuple[Any, "str | int | None", Any, int]


class _BadNumber:
    """A number the JSON text holds but no project can: NaN, Infinity, or a literal beyond the
    range of a float. The parser keeps it in its place so ``content_problem`` names its field."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text if len(self.text) <= 24 else f"{self.text[:12]}... ({len(self.text):,} characters)"


def _parse_int(text: str) -> int | _BadNumber:
    return int(text) if len(text) <= MAX_INT_DIGITS else _BadNumber(text)


def _parse_float(text: str) -> float | _BadNumber:
    value = float(text)
    return value if abs(value) <= MAX_NUMBER else _BadNumber(text)


def content_problem(data: Any) -> Problem | None:
    """The first value (in file order) that no project may hold, wherever it is: nesting deeper
    than ``MAX_DEPTH``, a number that is not finite or beyond ``MAX_NUMBER``, a text or key with a
    lone surrogate (JSON can write '\\ud800'; it is not a character, and printing or saving it
    fails later). One pass over everything, before any other check looks at the values: scalars
    are checked in place and only containers are stacked, so a file of millions of numbers
    takes seconds, not minutes."""
    root: _Entry = (data, None, None, 0)
    if not isinstance(data, (Mapping, list)):
        return _value_problem(data, root)
    stack = [(_items(data), root)]
    while stack:
        items, parent = stack[-1]
        depth = parent[3] + 1
        for key, item in items:
            if type(key) is str and not key.isascii() and not _encodable(key):
                where = _field_path((item, key, parent, depth))
                return Problem(f"{where}: the key holds a lone surrogate ('{_escaped(key)}'), not a character",
                               field=where)
            kind = type(item)
            if kind is str:
                if not item.isascii() and not _encodable(item):
                    return _value_problem(item, (item, key, parent, depth))
            elif kind is int or kind is float:
                if not -MAX_NUMBER <= item <= MAX_NUMBER:  # NaN fails both comparisons
                    return _value_problem(item, (item, key, parent, depth))
            elif kind is dict or kind is list or isinstance(item, (Mapping, list)):
                entry = (item, key, parent, depth)
                if depth >= MAX_DEPTH:
                    return _value_problem(item, entry)
                if item:
                    stack.append((_items(item), entry))
                    break
            elif not (kind is bool or item is None):
                return _value_problem(item, (item, key, parent, depth))
        else:
            stack.pop()
    return None


def _items(container: Any) -> Iterator[tuple[str | int, Any]]:
    if type(container) is dict or isinstance(container, Mapping):
        return iter(container.items())
    return enumerate(container)


def _value_problem(value: Any, entry: _Entry) -> Problem:
    """What is wrong with a value ``content_problem`` stopped at, named by its place in the file."""
    if isinstance(value, str):
        what = f"holds a lone surrogate ('{_escaped(value)}'), not a character"
    elif isinstance(value, (Mapping, list)):
        what = f"is nested more than {MAX_DEPTH} levels deep; a project is not nested like that"
    elif isinstance(value, (int, float, _BadNumber)):
        shown = value if isinstance(value, _BadNumber) else show_value(value)
        what = f"{shown} is not a usable number: write a finite number from -1e300 to 1e300"
    else:
        what = f"holds {type(value).__name__}, which is not a JSON value"
    where = _field_path(entry) or "the file"
    return Problem(f"{where}: {what}", field=where)


def _encodable(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _escaped(text: str) -> str:
    """``text`` with lone surrogates written as escapes, safe to print; shortened."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= 40 else text[:37] + "..."


def _field_path(entry: _Entry) -> str:
    """The dotted path of a value in the file, from the chain of parent entries."""
    parts: list[str] = []
    while entry is not None and entry[1] is not None:
        key = entry[1]
        parts.append(f"[{key}]" if isinstance(key, int) else f".{_escaped(key)}")
        entry = entry[2]
    return "".join(reversed(parts)).lstrip(".")


def _representation_problems(graph: Graph) -> list[Problem]:
    """Problems the editor could not display: unknown types, unknown parameters, bad values."""
    from playground.core.graph import structural_problems

    return [p for p in structural_problems(graph) if p.field and (p.field.startswith("params") or p.field
                                                                  in ("type", "id"))]


def _json_type(value: Any) -> str:
    return {list: "a list", str: "a text", int: "a number", float: "a number", bool: "true/false",
            type(None): "null"}.get(type(value), type(value).__name__)


@dataclass
class CheckResult:
    """Everything ``playground check`` and the editor report about a project."""

    report: ShapeReport
    meta: DatasetMeta | None
    config: TrainConfig
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_project(project: Project) -> CheckResult:
    """Validate dataset, training settings and network together; never raises for bad input.

    This is the one check both ``playground train`` and the app's Train button run before a run
    (``Trainer`` calls it), so what it passes, training starts on: the data file is read as far as
    its shapes, and the rules that tie settings to the data or the network are checked here.
    """
    problems: list[Problem] = []
    config, training_problems = parse_training(project.training)
    problems += training_problems
    ctx = LoadContext(project.base_dir, config.val_fraction)
    meta: DatasetMeta | None = None
    _, _, dataset_problems = resolve_dataset_spec(project.dataset, ctx)
    problems += dataset_problems
    if not dataset_problems:
        try:
            meta = dataset_meta(project.dataset, ctx)
        except DataError as exc:
            problems.append(Problem(str(exc), field="dataset"))
    report = infer_shapes(project.graph, meta)
    problems += report.problems
    problems += _settings_problems(config, meta)
    if meta is not None and report.ok:
        problems += _batch_memory_problems(report, config)
        problems += _batch_norm_problems(project.graph, report, config)
    return CheckResult(report, meta, config, problems)


def _settings_problems(config: TrainConfig, meta: DatasetMeta | None) -> list[Problem]:
    """Training settings that contradict each other or the data."""
    problems = augment_problems(config.augment, meta) if meta is not None else []
    if config.early_stopping and config.val_fraction == 0:
        problems.append(Problem("training: early stopping watches the validation loss, so val_fraction must be "
                                "above 0", field="training.early_stopping"))
    return problems


def _batch_norm_problems(graph: Graph, report: ShapeReport, config: TrainConfig) -> list[Problem]:
    """Batch normalisation needs more than one value per channel in a training batch: with a
    batch size of 1, a batch norm over features (or over 1×1 images) cannot normalise at all."""
    if config.batch_size > 1:
        return []
    problems = []
    for node in graph.nodes.values():
        shape = report.nodes[node.id].shape
        normalises = node.type == "BatchNorm" or node.resolved_params().get("batchnorm") is True
        if normalises and shape is not None and math.prod(shape[1:]) == 1:
            problems.append(Problem(
                f"{node.label} normalises over the mini-batch, which needs at least 2 examples, but "
                "training.batch_size is 1: use a batch size of 2 or more, or remove the batch norm",
                node.id, "training.batch_size"))
    return problems


def _batch_memory_problems(report: ShapeReport, config: TrainConfig) -> list[Problem]:
    per_sample = sum(math.prod(r.shape) for r in report.nodes.values() if r.shape)
    if per_sample * config.batch_size <= MAX_BATCH_ELEMENTS:
        return []
    gb = per_sample * config.batch_size * 4 / 1e9
    return [Problem(f"training: batch_size {config.batch_size} needs about {gb:.0f} GB for activations: use a "
                    "smaller batch size or a smaller network", field="training.batch_size")]


def new_project(name: str = "Untitled") -> Project:
    """The starting point of File > New: a small MLP on the spiral, ready to train."""
    g = Graph()
    for i, (node, pos) in enumerate([
        (Node("in", "Input"), (0, 0)),
        (Node("h1", "Dense", {"units": 8, "activation": "tanh"}), (200, 0)),
        (Node("h2", "Dense", {"units": 8, "activation": "tanh"}), (400, 0)),
        (Node("out", "Output"), (600, 0)),
    ]):
        g.add_node(node, pos)
        if i:
            g.connect(list(g.nodes)[i - 1], node.id)
    return Project(name, {"name": "spiral", "samples": 500, "noise": 0.1}, g,
                   {"optimizer": "adam", "lr": 0.03, "batch_size": 16, "epochs": 100})
