"""Project files (format ``nn-playground/1``): parse, migrate, check, save atomically.

A project is graph + layout + dataset + training settings. Loading refuses what cannot be
represented (not JSON, not a project, a newer format, unknown node types, parameters or
values out of range) with one message naming the culprit; a network that is merely
unfinished (a node not wired yet) loads, so work in progress can be saved and reopened.
``check_project`` then reports everything else.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playground.core.datasets import DataError, DatasetMeta, LoadContext, dataset_meta, resolve_dataset_spec
from playground.core.graph import Graph, Node
from playground.core.params import Problem, UserError
from playground.core.shapes import ShapeReport, infer_shapes
from playground.core.training_config import TrainConfig, parse_training

FORMAT_PREFIX = "nn-playground/"
CURRENT_VERSION = 1
#: Largest project file read (a project is a few kB; anything huge is not one).
MAX_FILE_BYTES = 20 * 1024 * 1024
#: Largest activation memory one training batch may need, in float32 values (8 GB).
MAX_BATCH_ELEMENTS = 2 * 1024**3

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
    try:
        raw = path.read_bytes() if path.stat().st_size <= MAX_FILE_BYTES else None
    except FileNotFoundError:
        raise ProjectError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ProjectError(f"{path}: is a folder, not a project file") from None
    except OSError as exc:
        raise ProjectError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if raw is None:
        raise ProjectError(f"{path}: is larger than {MAX_FILE_BYTES // 2**20} MB, too large to be a project file")
    project = parse_project_bytes(raw, str(path))
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
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProjectError(f"{source}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise ProjectError(f"{source}: invalid JSON: nested too deeply") from None
    return parse_project(data, source)


def parse_project(data: Any, source: str = "project") -> Project:
    """Build a project from parsed JSON, migrating older formats and refusing newer ones."""
    if not isinstance(data, Mapping):
        raise ProjectError(f"{source}: the top level must be a JSON object, not {_json_type(data)}")
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
    return Project(name, dict(dataset), graph, dict(training))


def migrate(data: dict[str, Any], source: str = "project") -> dict[str, Any]:
    """Bring ``data`` to the current format, or refuse a missing, unknown or newer format."""
    fmt = data.get("format")
    if fmt is None:
        raise ProjectError(f"{source}: has no 'format' field, so it is not a Neural Network Playground project")
    version = None
    if isinstance(fmt, str) and fmt.startswith(FORMAT_PREFIX) and fmt[len(FORMAT_PREFIX):].isdigit():
        version = int(fmt[len(FORMAT_PREFIX):])
    if version is None or version < 1:
        readable = (f"only '{FORMAT_PREFIX}1'" if CURRENT_VERSION == 1
                    else f"'{FORMAT_PREFIX}1' to '{FORMAT_PREFIX}{CURRENT_VERSION}'")
        raise ProjectError(f"{source}: unknown format {fmt!r}; this version reads {readable}")
    if version > CURRENT_VERSION:
        raise ProjectError(f"{source}: was written by a newer Neural Network Playground (format {version}); "
                           f"this version reads format {CURRENT_VERSION} and older: please update the app")
    while version < CURRENT_VERSION:
        data = MIGRATIONS[version](data)
        version += 1
        data["format"] = f"{FORMAT_PREFIX}{version}"
    return data


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
    """Validate dataset, training settings and network together; never raises for bad input."""
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
    if meta is not None and report.ok:
        problems += _batch_memory_problems(report, config)
    return CheckResult(report, meta, config, problems)


def _batch_memory_problems(report: ShapeReport, config: TrainConfig) -> list[Problem]:
    import math

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
