"""Mutated project files (bench/fuzz_projects.py) through load + check: only success or a
``UserError``, never a traceback, no case over the issue's 10 s, no network. A few hundred
cases by default; the issue's 10,000 under ``-m slow``."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "fuzz_projects.py"


def fuzz_module() -> ModuleType:
    """The fuzzer lives with the benchmarks (it prints the figures the issue asks for)."""
    name = "bench_fuzz_projects"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, BENCH)
        assert spec is not None
        assert spec.loader is not None
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


def assert_clean(figures: object) -> None:
    failures = figures.failures  # type: ignore[attr-defined]
    assert not failures, f"{len(failures)} tracebacks; first on {failures[0][0][:200]!r}:\n{failures[0][1]}"
    assert not figures.over_limit, figures.summary()  # type: ignore[attr-defined]
    assert figures.connects == 0  # type: ignore[attr-defined]


def test_mutated_projects_are_loaded_or_refused_by_name() -> None:
    fuzz = fuzz_module()
    figures = fuzz.run_fuzz(300)
    assert_clean(figures)
    assert figures.tried == 300
    assert figures.refused > 0


def test_the_odd_literals_reach_the_loader() -> None:
    """Each literal json.dumps cannot write is refused on its own, spliced into a real example."""
    fuzz = fuzz_module()
    figures = fuzz.Figures()
    example = fuzz.json.dumps(fuzz.EXAMPLES[0])
    for literal in fuzz.ODD_LITERALS:
        fuzz.check_one(example.replace('"Input"', literal, 1).encode("utf-8", "surrogatepass"), Path("."), figures)
    assert_clean(figures)
    assert figures.refused == len(fuzz.ODD_LITERALS)


@pytest.mark.slow
def test_ten_thousand_mutated_projects() -> None:
    figures = fuzz_module().run_fuzz(10_000)
    print(figures.summary())
    assert_clean(figures)
    assert figures.tried == 10_000
