"""Weights files: safetensors with the project embedded, read without ever unpickling.

A weights file is the model's state dict plus metadata ``{"format": "nn-playground-weights/1",
"project": <project JSON>}``, so the file alone tells which network it belongs to. Reading one
checks it against the network it is meant for and names the node, tensor and shapes that do
not fit, because "size mismatch for h1.linear.weight" helps nobody who drew the network.
"""

from __future__ import annotations

import json
import os
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import safetensors
import safetensors.torch
import torch

from playground.core.build import GraphModel
from playground.core.params import UserError
from playground.core.project import Project, dumps, load_project, write_atomic
from playground.core.safe_read import MAX_DECODED_BYTES, open_regular

WEIGHTS_FORMAT_PREFIX = "nn-playground-weights/"
WEIGHTS_VERSION = 1
WEIGHTS_FORMAT = f"{WEIGHTS_FORMAT_PREFIX}{WEIGHTS_VERSION}"

#: Limits on a weights file (FORMAT.md, "Limits on files"), checked from its first bytes before
#: safetensors reads anything: the file, its JSON header (the tensor table and the embedded
#: project, which may itself be up to 20 MB), and the tensor count (no network within the node
#: limit has this many: batch norm, the most, has five per node).
MAX_WEIGHTS_BYTES = MAX_DECODED_BYTES
MAX_HEADER_BYTES = 64 << 20
MAX_TENSORS = 20_000
#: The tensor types a network of the playground holds: floating weights and buffers, and
#: integer counters (batch norm's ``num_batches_tracked``). Anything else (bool, complex,
#: float8, unsigned) is refused by name.
_DTYPES = {"F16": torch.float16, "BF16": torch.bfloat16, "F32": torch.float32, "F64": torch.float64,
           "I64": torch.int64}
_VERSION = re.compile(r"[0-9]{1,6}")

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


class TensorSpec(NamedTuple):
    """A tensor as the file's header declares it: enough to compare with a network before reading."""

    shape: tuple[int, ...]
    dtype: torch.dtype


def weights_bytes(state: Mapping[str, torch.Tensor], project: Project) -> bytes:
    """The file content for ``state``: contiguous CPU tensors and the project as metadata."""
    tensors = {k: v.detach().cpu().contiguous() for k, v in state.items()}
    return safetensors.torch.save(tensors, metadata={"format": WEIGHTS_FORMAT, "project": dumps(project)})


def save_weights(path: str | os.PathLike[str], state: Mapping[str, torch.Tensor], project: Project) -> None:
    """Write atomically, so an interrupted save never leaves half a file."""
    write_atomic(Path(path), weights_bytes(state, project))


def _corrupt(path: Path, detail: str) -> WeightsError:
    return WeightsError(f"{path}: is not a readable safetensors weights file; it may be truncated or corrupt "
                        f"({detail})")


def _too_many(path: Path, count: int) -> WeightsError:
    return WeightsError(f"{path}: holds {count:,} tensors; a network of the playground has at most {MAX_TENSORS:,}, "
                        "so this is not a weights file for one")


def read_header(path: str | os.PathLike[str]) -> tuple[dict[str, TensorSpec], dict[str, str]]:
    """The tensor table and metadata of a weights file, from its header alone.

    safetensors starts with the length of its JSON header in 8 bytes; the length, the JSON
    and every entry are checked against the limits here, so a file of 300,000 empty tensors,
    a nested header or an unknown tensor type is refused before ``safe_open`` reads anything.
    """
    path = Path(path)
    with open_regular(path, WeightsError, MAX_WEIGHTS_BYTES) as f:
        size = os.fstat(f.fileno()).st_size
        head = f.read(8)
        if len(head) < 8:
            raise _corrupt(path, f"{len(head)} bytes")
        (length,) = struct.unpack("<Q", head)
        if length > min(MAX_HEADER_BYTES, size - 8):
            limit = "longer than the file" if length > size - 8 else f"over the {MAX_HEADER_BYTES >> 20} MB limit"
            raise _corrupt(path, f"its header says it is {length:,} bytes, {limit}")
        raw = f.read(length)
    # Every tensor's entry has a "data_offsets" key: counting them first refuses a file of
    # 300,000 empty tensors in milliseconds rather than after parsing all of its header.
    if raw.count(b'"data_offsets"') > MAX_TENSORS:
        raise _too_many(path, raw.count(b'"data_offsets"'))
    try:
        header = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise _corrupt(path, f"its header is not JSON: {str(exc)[:80]}") from None
    if not isinstance(header, dict):
        raise _corrupt(path, "its header is not a table of tensors")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise _corrupt(path, "its metadata is not a table of texts")
    _check_format(path, metadata.get("format"))
    if len(header) > MAX_TENSORS:
        raise _too_many(path, len(header))
    specs = {}
    for key, entry in header.items():
        shape = entry.get("shape") if isinstance(entry, dict) else None
        if not isinstance(shape, list) or not all(type(d) is int and d >= 0 for d in shape):
            raise _corrupt(path, f"tensor '{key}' has no valid shape")
        dtype = _DTYPES.get(entry.get("dtype"))
        if dtype is None:
            raise WeightsError(f"{path}: tensor '{key}' holds {str(entry.get('dtype'))[:20]} values; weights must be "
                               "floating-point numbers (F16, BF16, F32, F64) or 64-bit integer counters (I64)")
        specs[key] = TensorSpec(tuple(shape), dtype)
    return specs, dict(metadata)


def _check_format(path: Path, fmt: str | None) -> None:
    """Our own files carry ``nn-playground-weights/N`` (ASCII digits); a newer N is refused."""
    if fmt is None or not fmt.startswith(WEIGHTS_FORMAT_PREFIX):
        return
    version = fmt[len(WEIGHTS_FORMAT_PREFIX):]
    if not _VERSION.fullmatch(version):
        raise WeightsError(f"{path}: has the unknown format marker {fmt[:60]!r}; this version reads "
                           f"{WEIGHTS_FORMAT!r}")
    if int(version) > WEIGHTS_VERSION:
        raise WeightsError(f"{path}: was written by a newer Neural Network Playground (format {fmt!r}); "
                           f"this version reads {WEIGHTS_FORMAT!r}: please update the app")


def read_weights(path: str | os.PathLike[str]) -> WeightsFile:
    """Read a safetensors file without checking it against any network.

    safetensors holds raw tensors and a JSON header, nothing executable, so this is safe on a
    file someone was handed. The header is checked first (``read_header``); a truncated or
    corrupt file raises ``WeightsError`` saying so, and so does a tensor holding NaN or
    infinities, named, since training on from it would only continue a diverged run.
    """
    path = Path(path)
    _, metadata = read_header(path)
    try:
        with safetensors.safe_open(str(path), framework="pt") as f:
            tensors = {key: f.get_tensor(key) for key in f.keys()}  # noqa: SIM118 (not a dict)
    except safetensors.SafetensorError as exc:
        raise _corrupt(path, str(exc)) from None
    except OSError as exc:
        raise WeightsError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    for key, tensor in tensors.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise WeightsError(f"{path}: tensor '{key}' holds NaN or infinite values; these weights come from a "
                               "run that diverged or a damaged file")
    return WeightsFile(tensors, metadata.get("project"), metadata)


def load_weights(path: str | os.PathLike[str], model: GraphModel) -> dict[str, torch.Tensor]:
    """Read a weights file meant for ``model``'s network and return its tensors, ready for
    ``model.load_state_dict``.

    The embedded graph must have the same node ids and types, and every tensor the same name
    and shape; otherwise ``WeightsError`` names the first node that differs (and how many
    more problems there are). Activations, dropout rates and the like may differ: they hold
    no weights, and changing them before training on is legitimate.
    """
    specs, metadata = read_header(path)
    problems = _graph_problems(metadata.get("project"), model)
    problems += state_problems(specs, model)
    if problems:
        raise WeightsError(f"{path}: the weights do not fit this network: {summarise(problems)}")
    return read_weights(path).tensors


def summarise(problems: list[str]) -> str:
    """The first problem in full and how many more there are: one paragraph, not a wall of text."""
    more = len(problems) - 1
    return problems[0] + (f" (and {more} more difference{'s' if more > 1 else ''})" if more else "")


def state_problems(tensors: Mapping[str, torch.Tensor | TensorSpec], model: GraphModel) -> list[str]:
    """Every tensor that is missing, extra, of the wrong shape or of the wrong kind of number
    (an integer where the network has floats, or the reverse) for ``model``, naming its node."""
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
        elif tensors[key].dtype.is_floating_point != tensor.dtype.is_floating_point:
            problems.append(f"'{key}' of {node_of(key)} holds {tensors[key].dtype} values in the file but "
                            f"{tensor.dtype} in this network")
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
    except (ValueError, KeyError, TypeError, RecursionError):
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
