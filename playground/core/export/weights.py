"""Weights files: safetensors with the project embedded, read without ever unpickling.

A weights file is the model's state dict plus metadata ``{"format": "nn-playground-weights/1",
"project": <project JSON>}``, so the file alone tells which network it belongs to. Reading one
checks it against the network it is meant for and names the node, tensor and shapes that do
not fit, because "size mismatch for h1.linear.weight" helps nobody who drew the network.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import safetensors
import safetensors.torch
import torch

from playground.core.build import GraphModel
from playground.core.params import UserError
from playground.core.project import Project, dumps, load_project, write_atomic

WEIGHTS_FORMAT_PREFIX = "nn-playground-weights/"
WEIGHTS_VERSION = 1
WEIGHTS_FORMAT = f"{WEIGHTS_FORMAT_PREFIX}{WEIGHTS_VERSION}"

#: The files ``playground train --run-dir DIR`` writes (FORMAT.md, command line).
RUN_PROJECT = "project.json"
RUN_WEIGHTS = "model.safetensors"


class WeightsError(UserError):
    """A weights file that cannot be read or does not fit the network; the message names both."""


@dataclass(frozen=True)
class WeightsFile:
    """What a weights file holds: tensors by state-dict key, and the embedded project text
    (None for a plain safetensors file written by something else)."""

    tensors: dict[str, torch.Tensor]
    project_text: str | None
    metadata: dict[str, str]


def weights_bytes(state: Mapping[str, torch.Tensor], project: Project) -> bytes:
    """The file content for ``state``: contiguous CPU tensors and the project as metadata."""
    tensors = {k: v.detach().cpu().contiguous() for k, v in state.items()}
    return safetensors.torch.save(tensors, metadata={"format": WEIGHTS_FORMAT, "project": dumps(project)})


def save_weights(path: str | os.PathLike[str], state: Mapping[str, torch.Tensor], project: Project) -> None:
    """Write a weights file atomically, so an interrupted save never leaves half a file."""
    write_atomic(Path(path), weights_bytes(state, project))


def read_weights(path: str | os.PathLike[str]) -> WeightsFile:
    """Read a safetensors file without checking it against any network.

    safetensors holds raw tensors and a JSON header, nothing executable, so this is safe on a
    file someone was handed. A truncated or corrupt file raises ``WeightsError`` saying so.
    """
    path = Path(path)
    if not path.exists():
        raise WeightsError(f"{path}: no such file")
    if path.is_dir():
        raise WeightsError(f"{path}: is a folder, not a weights file")
    try:
        with safetensors.safe_open(str(path), framework="pt") as f:
            metadata = dict(f.metadata() or {})
            tensors = {key: f.get_tensor(key) for key in f.keys()}  # noqa: SIM118 (not a dict)
    except safetensors.SafetensorError as exc:
        raise WeightsError(f"{path}: is not a readable safetensors weights file; it may be truncated or "
                           f"corrupt ({exc})") from None
    except OSError as exc:
        raise WeightsError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    fmt = metadata.get("format")
    if fmt is not None and fmt.startswith(WEIGHTS_FORMAT_PREFIX):
        version = fmt[len(WEIGHTS_FORMAT_PREFIX):]
        if not version.isdigit() or int(version) > WEIGHTS_VERSION:
            raise WeightsError(f"{path}: was written by a newer Neural Network Playground (format {fmt!r}); "
                               f"this version reads {WEIGHTS_FORMAT!r}: please update the app")
    return WeightsFile(tensors, metadata.get("project"), metadata)


def load_weights(path: str | os.PathLike[str], model: GraphModel) -> dict[str, torch.Tensor]:
    """Read a weights file meant for ``model``'s network and return its tensors, ready for
    ``model.load_state_dict``.

    The embedded graph must have the same node ids and types, and every tensor the same name
    and shape; otherwise ``WeightsError`` names the first node that differs (and how many
    more problems there are). Activations, dropout rates and the like may differ: they hold
    no weights, and changing them before training on is legitimate.
    """
    weights = read_weights(path)
    problems = _graph_problems(weights.project_text, model)
    problems += state_problems(weights.tensors, model)
    if problems:
        raise WeightsError(f"{path}: the weights do not fit this network: {summarise(problems)}")
    return weights.tensors


def summarise(problems: list[str]) -> str:
    """The first problem in full and how many more there are: one paragraph, not a wall of text."""
    more = len(problems) - 1
    return problems[0] + (f" (and {more} more difference{'s' if more > 1 else ''})" if more else "")


def state_problems(tensors: Mapping[str, torch.Tensor], model: GraphModel) -> list[str]:
    """Every tensor that is missing, extra or of the wrong shape for ``model``, naming its node."""
    expected = model.state_dict()
    owner = {attr: f"{model.node_types[node_id]} '{node_id}'" for node_id, attr in model.attrs.items()}

    def node_of(key: str) -> str:
        return owner.get(key.split(".", 1)[0], "no node of this network")

    problems = []
    for key, tensor in expected.items():
        if key not in tensors:
            problems.append(f"{node_of(key)} needs '{key}' ({_shape(tensor.shape)}) but the file does not "
                            "have it")
        elif tuple(tensors[key].shape) != tuple(tensor.shape):
            problems.append(f"'{key}' of {node_of(key)} has shape {_shape(tensors[key].shape)} in the file "
                            f"but {_shape(tensor.shape)} in this network")
    problems += [f"the file has '{key}' ({_shape(tensors[key].shape)}) but {node_of(key)} has no such "
                 "tensor in this network" for key in tensors if key not in expected]
    return problems


def _graph_problems(project_text: str | None, model: GraphModel) -> list[str]:
    """Differences in node ids and types between the embedded project and ``model``."""
    if project_text is None:
        return []
    try:
        nodes = json.loads(project_text)["graph"]["nodes"]
        embedded = {str(n["id"]): str(n["type"]) for n in nodes}
    except (ValueError, KeyError, TypeError):
        return ["its embedded project is damaged (not a project's JSON)"]
    problems = [f"node '{node_id}' ({node_type}) is in the file's network but not in this one"
                for node_id, node_type in embedded.items() if node_id not in model.node_types]
    for node_id, node_type in model.node_types.items():
        if node_id not in embedded:
            problems.append(f"{node_type} '{node_id}' of this network is not in the file's network")
        elif embedded[node_id] != node_type:
            problems.append(f"node '{node_id}' is {embedded[node_id]} in the file but {node_type} in this "
                            "network")
    return problems


def _shape(shape: Any) -> str:
    return "×".join(str(s) for s in shape) if len(shape) else "a scalar"


def load_run(run_dir: str | os.PathLike[str]) -> tuple[Project, WeightsFile]:
    """The project and weights of a run folder written by ``playground train --run-dir``.

    The weights are read but not yet checked: whoever builds the model checks them against it.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise WeightsError(f"{run_dir}: no such run folder")
    missing = [name for name in (RUN_PROJECT, RUN_WEIGHTS) if not (run_dir / name).is_file()]
    if missing:
        raise WeightsError(f"{run_dir}: is not a complete run folder: {' and '.join(missing)} missing "
                           f"(a run folder holds {RUN_PROJECT} and {RUN_WEIGHTS})")
    project = load_project(run_dir / RUN_PROJECT)
    return project, read_weights(run_dir / RUN_WEIGHTS)
