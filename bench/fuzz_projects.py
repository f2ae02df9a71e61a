"""Fuzz the project loader (issue 11, "Done when"): mutated project files through ``load`` and
``check_project`` must end in success or a ``UserError`` (``ProjectError``, ``DataError``),
never another exception, and no case may take over 10 s.

Mutations start from the shipped example projects and stack one to three of: a value replaced
by any JSON (hypothesis-drawn, or words the loader knows: dataset, layer and parameter names),
a value written as a literal ``json.dumps`` cannot produce (NaN, 1e400, 5,000-digit integers,
lone surrogates, deep nesting), a key dropped or written twice, and byte-level flips, inserts
and truncations of the file text. Sockets are refused while it runs: a mutated project must
never make the loader reach the network.

    .venv/bin/python bench/fuzz_projects.py [--cases N] [--seed S]

prints cases tried, refused, accepted, the total time, the slowest case and the peak memory.
``tests/core/test_fuzz_projects.py`` runs a few hundred cases by default and the 10,000 under
``-m slow``.
"""

from __future__ import annotations

import argparse
import copy
import json
import resource
import socket
import tempfile
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from playground.core.datasets import REGISTRY
from playground.core.examples import shipped_examples
from playground.core.layers import LAYER_TYPES
from playground.core.params import UserError
from playground.core.project import check_project, parse_project_bytes
from playground.core.training_config import AUGMENTATIONS, OPTIMIZERS, SCHEDULERS, TRAINING_PARAMS

#: The issue's bound on any single case.
CASE_LIMIT_S = 10.0


def example_projects() -> list[dict[str, Any]]:
    """The shipped examples."""
    paths = [example.path for example in shipped_examples()]
    if not paths:
        raise SystemExit("no shipped example projects found")
    return [json.loads(p.read_text(encoding="utf-8")) for p in paths]


EXAMPLES = example_projects()

# Words the loader looks for, so mutations reach the checks behind the first lookup.
WORDS = sorted({*REGISTRY, *LAYER_TYPES, *OPTIMIZERS, *SCHEDULERS, *AUGMENTATIONS,
                *(p.name for p in TRAINING_PARAMS), *(p.name for t in LAYER_TYPES.values() for p in t.params),
                *(p.name for e in REGISTRY.values() for p in e.params), "in", "out", "h1", "name", "id", "type",
                "params", "nodes", "edges", "format", "nn-playground/1", "nn-playground/2", "graph", "layout"})

# Literals that json.dumps cannot write, spliced into the text where a placeholder stands.
ODD_LITERALS = ["NaN", "Infinity", "-Infinity", "1e400", "-1e999", "1" + "0" * 400, "9" * 5000, "-" + "7" * 4400,
                "1e-400", "-0", "0.1e1", "1E+2", '"\\ud800"', '"a\\udfffb"', '"\\u0000"', '"' + "a" * 300 + '"',
                '"' + "a/" * 3000 + '"', "[" * 40 + "]" * 40, "[" * 3000 + "]" * 3000, '{"a":' * 40 + "1" + "}" * 40,
                '"nn-playground/\\u00b2"', '"nn-playground/\\u0661"', "[" + "1," * 20000 + "1]", '"\\ud83d\\ude00"']

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats() | st.text(max_size=20) | st.sampled_from(WORDS),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8) | st.sampled_from(WORDS),
                                                                inner, max_size=4),
    max_leaves=10,
)

HOLE = "\x00hole{}"


def _places(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every value's path in a parsed project, containers included."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _places(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _places(item, (*path, i))


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        data = data[key]
    return data


@st.composite
def mutated_projects(draw: st.DrawFn) -> bytes:
    """The text of a shipped example after one to three mutations."""
    data = copy.deepcopy(draw(st.sampled_from(EXAMPLES)))
    splices: dict[str, str] = {}
    byte_ops = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["replace", "replace", "odd", "drop", "duplicate", "bytes"]))
        if kind == "bytes":
            byte_ops.append((draw(st.sampled_from(["flip", "insert", "truncate"])), draw(st.integers(0, 10**6)),
                             draw(st.binary(min_size=1, max_size=4))))
            continue
        places = [p for p in _places(data) if p] or [()]
        path = places[draw(st.integers(0, len(places) - 1))]
        if not path:
            continue
        parent = _parent(data, path)
        if kind == "replace":
            parent[path[-1]] = draw(json_values)
        elif kind == "odd":
            hole = HOLE.format(len(splices))
            splices[json.dumps(hole)] = draw(st.sampled_from(ODD_LITERALS))
            parent[path[-1]] = hole
        elif kind == "drop":
            del parent[path[-1]]
        elif isinstance(parent, dict):  # duplicate: the key again, with another value
            hole = HOLE.format(len(splices))
            splices[json.dumps(hole)] = json.dumps(path[-1])
            parent[hole] = draw(json_values)
    text = json.dumps(data, indent=1)
    for hole, literal in splices.items():
        text = text.replace(hole, literal)
    raw = bytearray(text.encode("utf-8", "surrogatepass"))
    for op, at, chunk in byte_ops:
        at %= max(len(raw), 1)
        if op == "flip":
            raw[at:at + len(chunk)] = chunk
        elif op == "insert":
            raw[at:at] = chunk
        else:
            del raw[at:]
    return bytes(raw)


@dataclass
class Figures:
    """What a fuzz run found: counts, time, the slowest case, memory, and every traceback."""

    tried: int = 0
    refused: int = 0
    accepted: int = 0
    total_s: float = 0.0
    slowest_s: float = 0.0
    slowest: bytes = b""
    connects: int = 0
    failures: list[tuple[bytes, str]] = field(default_factory=list)
    start_rss_mb: float = 0.0
    peak_rss_mb: float = 0.0

    @property
    def over_limit(self) -> bool:
        return self.slowest_s > CASE_LIMIT_S

    def summary(self) -> str:
        return (f"cases tried {self.tried:,}: refused {self.refused:,}, accepted {self.accepted:,}, "
                f"tracebacks {len(self.failures)}; total {self.total_s:.1f} s, slowest case {self.slowest_s:.3f} s "
                f"({len(self.slowest):,} bytes); peak memory {self.peak_rss_mb:.0f} MB (process peak RSS; "
                f"{self.start_rss_mb:.0f} MB before the first case); "
                f"network connections attempted {self.connects}")


def check_one(raw: bytes, base: Path, figures: Figures) -> None:
    """Load and check one file's content, recording the outcome and the time it took."""
    start = time.perf_counter()
    try:
        project = parse_project_bytes(raw, "fuzz.json")
        project.path = base / "fuzz.json"
        check_project(project)
        figures.accepted += 1
    except UserError:
        figures.refused += 1
    except Exception:  # what the fuzz looks for: anything else is a bug to report
        figures.failures.append((raw, traceback.format_exc()))
    took = time.perf_counter() - start
    figures.tried += 1
    figures.total_s += took
    if took > figures.slowest_s:
        figures.slowest_s, figures.slowest = took, raw


@contextmanager
def no_network(figures: Figures) -> Iterator[None]:
    """Refuse (and count) every socket connection while the fuzz runs."""
    original = socket.socket.connect

    def refuse(self: socket.socket, address: Any) -> None:
        figures.connects += 1
        raise OSError("the project fuzz does not allow network access")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    try:
        yield
    finally:
        socket.socket.connect = original  # type: ignore[method-assign]


def run_fuzz(cases: int, seed: int | None = None) -> Figures:
    """Run ``cases`` mutated projects through load + check; a ``seed`` draws the same cases each time."""
    figures = Figures(start_rss_mb=_peak_rss_mb())
    with tempfile.TemporaryDirectory(prefix="fuzz-projects-") as folder, no_network(figures):
        base = Path(folder)

        @settings(max_examples=cases, database=None, deadline=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(mutated_projects())
        def one(raw: bytes) -> None:
            check_one(raw, base, figures)

        (hypothesis_seed(seed)(one) if seed is not None else one)()
    figures.peak_rss_mb = _peak_rss_mb()
    return figures


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=None, help="draw the same cases on every run")
    args = parser.parse_args()
    figures = run_fuzz(args.cases, args.seed)
    print(figures.summary())
    for raw, trace in figures.failures[:5]:
        print(f"\n--- {raw[:300]!r}\n{trace}")
    raise SystemExit(1 if figures.failures or figures.over_limit or figures.connects else 0)


if __name__ == "__main__":
    main()
