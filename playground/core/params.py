"""Declarative parameter schemas shared by layers, datasets and training settings.

One schema type serves validation (the CLI and the project loader), the defaults that make
every ``params`` key optional, and the inspector widgets the editor builds: a parameter is
described once and every consumer reads the same description.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

ParamKind = Literal["int", "float", "bool", "choice", "str", "path"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with user input, named so a person can find and fix it.

    ``node`` is the node id when the problem belongs to a node; ``field`` is a dotted path
    to the offending value (``"params.units"``, ``"training.lr"``, ``"dataset.path"``).
    Problems are values, not exceptions, so an editor can show all of them at once.
    """

    message: str
    node: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        return self.message


class UserError(Exception):
    """Bad user input that deserves a one-paragraph message rather than a traceback."""

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


@dataclass(frozen=True)
class Param:
    """A named, typed, bounded setting with a default and a one-sentence help text."""

    name: str
    kind: ParamKind
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    min_exclusive: bool = False
    max_exclusive: bool = False
    choices: tuple[str, ...] = ()
    nullable: bool = False
    label: str = ""
    log_scale: bool = False
    null_label: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    def describe_range(self) -> str:
        """The allowed values in words, for messages and tooltips."""
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == "bool":
            return "true or false"
        if self.kind in ("str", "path"):
            return "a text" if self.kind == "str" else "a file or folder path"
        what = "a whole number" if self.kind == "int" else "a number"
        lo, hi = self.minimum, self.maximum
        if lo is not None and hi is not None:
            left = "above" if self.min_exclusive else "from"
            right = "below" if self.max_exclusive else "to"
            return f"{what} {left} {_fmt(lo)} {right} {_fmt(hi)}"
        if lo is not None:
            return f"{what} {'above' if self.min_exclusive else 'of at least'} {_fmt(lo)}"
        if hi is not None:
            return f"{what} {'below' if self.max_exclusive else 'of at most'} {_fmt(hi)}"
        return what

    def check(self, value: Any) -> tuple[Any, str | None]:
        """Return the normalised value, or an error text saying what is allowed."""
        if value is None:
            if self.nullable:
                return None, None
            return None, f"must be {self.describe_range()}, got null"
        if self.kind == "bool":
            if isinstance(value, bool):
                return value, None
            return None, f"must be true or false, got {_show(value)}"
        if self.kind == "choice":
            if isinstance(value, str) and value in self.choices:
                return value, None
            return None, f"must be {self.describe_range()}, got {_show(value)}"
        if self.kind in ("str", "path"):
            if isinstance(value, str) and (value.strip() or self.kind == "str"):
                return value, None
            return None, f"must be {self.describe_range()}, got {_show(value)}"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None, f"must be {self.describe_range()}, got {_show(value)}"
        if self.kind == "int":
            if isinstance(value, float) and not value.is_integer():
                return None, f"must be {self.describe_range()}, got {_show(value)}"
            value = int(value)
        else:
            value = float(value)
            if not math.isfinite(value):
                return None, f"must be {self.describe_range()}, got {_show(value)}"
        if not self._in_range(value):
            return None, f"must be {self.describe_range()}, got {_show(value)}"
        return value, None

    def _in_range(self, value: float) -> bool:
        lo, hi = self.minimum, self.maximum
        if lo is not None and (value <= lo if self.min_exclusive else value < lo):
            return False
        return not (hi is not None and (value >= hi if self.max_exclusive else value > hi))


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value).replace("True", "true").replace(
        "False", "false"
    )
    return text if len(text) <= 40 else text[:37] + "..."


def resolve_params(
    schema: Sequence[Param],
    given: Any,
    *,
    owner: str,
    node: str | None = None,
    field_prefix: str = "params",
) -> tuple[dict[str, Any], list[Problem]]:
    """Fill defaults, check types and ranges, and reject unknown names.

    ``owner`` starts every message (for example ``"Dense 'h1'"`` or ``"training"``) so the
    text names its culprit wherever it is shown. Invalid values fall back to the default in
    the returned dict so later stages (shape inference) can still run and report more.
    """
    problems: list[Problem] = []
    by_name = {p.name: p for p in schema}
    resolved = {p.name: p.default for p in schema}
    if given is None:
        given = {}
    if not isinstance(given, Mapping):
        problems.append(
            Problem(f"{owner}: {field_prefix} must be an object of name: value pairs", node, field_prefix)
        )
        return resolved, problems
    for name, value in given.items():
        where = f"{field_prefix}.{name}" if field_prefix else str(name)
        param = by_name.get(name)
        if param is None:
            known = ", ".join(by_name) or "none"
            problems.append(
                Problem(f"{owner}: unknown parameter '{name}' (known: {known})", node, where)
            )
            continue
        checked, error = param.check(value)
        if error:
            problems.append(Problem(f"{owner}: {param.name} {error}", node, where))
        else:
            resolved[name] = checked
    return resolved, problems


def non_default(schema: Sequence[Param], values: Mapping[str, Any]) -> dict[str, Any]:
    """The values that differ from their defaults: what a saved file needs to record."""
    defaults = {p.name: p.default for p in schema}
    return {k: v for k, v in values.items() if k not in defaults or defaults[k] != v}
