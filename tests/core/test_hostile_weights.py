"""Hostile weights files (File > Load Weights, ``export RUN_DIR``): each is refused with a message
naming the file and the tensor, from the header where it can be, and nothing is ever unpickled
(issue 11, section 3)."""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import safetensors.torch
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.core.build import GraphModel, build_model
from playground.core.datasets import load_dataset
from playground.core.export import WeightsError, load_weights, read_weights, save_weights
from playground.core.export.weights import MAX_TENSORS, WEIGHTS_FORMAT
from playground.core.project import dumps, parse_project
from tests.core.io_helpers import Trap

PROJECT = parse_project({
    "format": "nn-playground/1", "name": "bn", "dataset": {"name": "spiral", "samples": 100},
    "graph": {"nodes": [{"id": "in", "type": "Input"}, {"id": "h", "type": "Dense",
                                                         "params": {"units": 4, "batchnorm": True}},
                        {"id": "out", "type": "Output"}], "edges": [["in", "h"], ["h", "out"]]},
    "training": {}})


def model() -> GraphModel:
    data = load_dataset(PROJECT.dataset)
    return build_model(PROJECT.graph, data.meta, data.mean, data.std)


def state() -> dict[str, torch.Tensor]:
    return model().state_dict()


def write(path: Path, tensors: dict[str, torch.Tensor], **metadata: str) -> Path:
    meta = {"format": WEIGHTS_FORMAT, "project": dumps(PROJECT)} | metadata
    safetensors.torch.save_file(tensors, str(path), metadata=meta)
    return path


def refused(path: Path, *fragments: str) -> str:
    """``read_weights`` and ``load_weights`` both refuse ``path`` with a WeightsError naming it and ``fragments``."""
    for read in (read_weights, lambda p: load_weights(p, model())):
        with pytest.raises(WeightsError) as info:
            read(path)
        for fragment in (str(path), *fragments):
            assert fragment in str(info.value), str(info.value)
    return str(info.value)


def test_the_weights_of_a_batch_norm_network_load_with_their_integer_counter(tmp_path: Path) -> None:
    saved = state()
    saved["h.bn.num_batches_tracked"] = torch.tensor(7)
    save_weights(tmp_path / "w.safetensors", saved, PROJECT)
    loaded = load_weights(tmp_path / "w.safetensors", model())
    assert loaded["h.bn.num_batches_tracked"].dtype == torch.int64
    assert all(torch.equal(loaded[k], v) for k, v in saved.items())


@pytest.mark.parametrize("marker", ["nn-playground-weights/²", "nn-playground-weights/١", "nn-playground-weights/1.0",
                                    "nn-playground-weights/" + "1" * 5000, "nn-playground-weights/"])
def test_format_markers_other_than_ascii_digits_are_refused(marker: str, tmp_path: Path) -> None:
    refused(write(tmp_path / "w.safetensors", state(), format=marker), "unknown format marker")


def test_a_deeply_nested_embedded_project_is_reported_as_damaged(tmp_path: Path) -> None:
    path = write(tmp_path / "w.safetensors", state(), project="[" * 200_000 + "]" * 200_000)
    with pytest.raises(WeightsError, match="its embedded project is damaged"):
        load_weights(path, model())


def header_file(path: Path, header: dict[str, Any], data: bytes = b"") -> Path:
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)
    return path


def test_hundreds_of_thousands_of_empty_tensors_are_refused_from_the_header(tmp_path: Path) -> None:
    empty = {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}
    path = header_file(tmp_path / "w.safetensors", {f"t{i}": empty for i in range(300_000)})
    refused(path, "holds 300,000 tensors", f"at most {MAX_TENSORS:,}")


@pytest.mark.parametrize("length", [2**60, 2**40, 1000])
def test_a_header_length_beyond_the_file_or_the_limit_is_refused(length: int, tmp_path: Path) -> None:
    path = tmp_path / "w.safetensors"
    path.write_bytes(struct.pack("<Q", length) + b"{}")
    refused(path, "truncated or corrupt", "its header says it is")


def test_a_deeply_nested_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "w.safetensors"
    raw = b"[" * 200_000 + b"]" * 200_000
    path.write_bytes(struct.pack("<Q", len(raw)) + raw)
    refused(path, "its header is not JSON")


@pytest.mark.parametrize("dtype", [torch.bool, torch.complex64, torch.float8_e4m3fn, torch.float8_e5m2, torch.uint8,
                                   torch.int32, torch.int8])
def test_tensor_types_no_network_here_holds_are_refused_by_name(dtype: torch.dtype, tmp_path: Path) -> None:
    tensors = state()
    tensors["h.linear.weight"] = tensors["h.linear.weight"].to(dtype)
    refused(write(tmp_path / "w.safetensors", tensors), "tensor 'h.linear.weight' holds")


def test_an_integer_where_the_network_has_floats_is_refused_by_node(tmp_path: Path) -> None:
    tensors = state()
    tensors["h.linear.weight"] = tensors["h.linear.weight"].long()
    tensors["h.bn.num_batches_tracked"] = tensors["h.bn.num_batches_tracked"].double()
    with pytest.raises(WeightsError) as info:
        load_weights(write(tmp_path / "w.safetensors", tensors), model())
    assert ("'h.linear.weight' of Dense 'h' holds torch.int64 values in the file but torch.float32 in this network "
            "(and 1 more difference)") in str(info.value)
    tensors["h.linear.weight"] = tensors["h.linear.weight"].float()
    with pytest.raises(WeightsError, match=r"'h.bn.num_batches_tracked' of Dense 'h' holds torch.float64 values in "
                                           r"the file but torch.int64 in this network$"):
        load_weights(write(tmp_path / "w.safetensors", tensors), model())


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_tensors_are_refused_by_name(bad: float, tmp_path: Path) -> None:
    tensors = state()
    tensors["out.bias"][1] = bad
    refused(write(tmp_path / "w.safetensors", tensors), "tensor 'out.bias' holds NaN or infinite values")


@settings(max_examples=60, deadline=None)
@given(entries=st.dictionaries(
    st.text(max_size=8),
    st.one_of(st.fixed_dictionaries({
        "dtype": st.sampled_from(["F32", "F64", "F16", "BF16", "I64", "BOOL", "C64", "F8_E4M3", "U8", "x", ""]),
        "shape": st.lists(st.one_of(st.integers(-2, 4), st.just(2**40), st.floats(0, 2)), max_size=3),
        "data_offsets": st.lists(st.integers(-1, 2**40), max_size=3)}), st.integers(), st.text(max_size=4)),
    max_size=5),
       metadata=st.one_of(st.none(), st.dictionaries(st.sampled_from(["format", "project"]),
                                                     st.one_of(st.text(max_size=30), st.integers()))),
       data=st.binary(max_size=64))
def test_random_headers_are_read_or_refused_by_name(tmp_path_factory: pytest.TempPathFactory, entries: dict[str, Any],
                                                    metadata: dict[str, Any] | None, data: bytes) -> None:
    header: dict[str, Any] = dict(entries)
    if metadata is not None:
        header["__metadata__"] = metadata
    path = header_file(tmp_path_factory.mktemp("w") / "random.safetensors", header, data)
    for read in (read_weights, lambda p: load_weights(p, model())):
        try:
            read(path)
        except WeightsError as exc:
            message = str(exc)
        else:
            message = str(path)
        assert str(path) in message


# --------------------------------------------------------------------------- not regular files


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_given_as_weights_is_refused_without_blocking(tmp_path: Path) -> None:
    """In a child process with a deadline: safetensors opening a FIFO blocked holding the GIL, so a
    thread could not have timed it out."""
    fifo = tmp_path / "w.safetensors"
    os.mkfifo(fifo)
    code = ("import sys\nfrom playground.core.export import WeightsError, read_weights\n"
            "try:\n    read_weights(sys.argv[1])\nexcept WeightsError as exc:\n    print(exc)\n")
    try:
        done = subprocess.run([sys.executable, "-c", code, str(fifo)], capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("reading a FIFO blocked")
    assert f"{fifo}: is a pipe (FIFO), not a file" in done.stdout, done.stderr


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_device_given_as_weights_is_refused() -> None:
    refused(Path("/dev/zero"), "is a device, not a file")


# --------------------------------------------------------------------------- pickles are never executed


def test_a_pickle_given_as_weights_is_never_unpickled(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    path = tmp_path / "model.pt"
    torch.save({"h.linear.weight": torch.zeros(4, 2), "trap": Trap(marker)}, path)
    refused(path, "truncated or corrupt")
    assert not marker.exists()


SOURCE = Path(__file__).resolve().parents[2] / "playground"


def test_nothing_in_the_playground_can_unpickle() -> None:
    """Every torch.load passes weights_only=True, numpy never allows pickles, and pickle is never imported."""
    offending = []
    for path in sorted(SOURCE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for call in re.finditer(r"torch\.load\(([^()]|\([^()]*\))*\)", text):
            if "weights_only=True" not in call.group(0):
                offending.append(f"{path.name}: {call.group(0)[:60]}")
        for pattern in (r"allow_pickle\s*=\s*True", r"^\s*(import|from)\s+(c?pickle|dill|joblib)\b",
                        r"pickle\.loads?\("):
            offending += [f"{path.name}: {m.group(0).strip()}" for m in re.finditer(pattern, text, re.MULTILINE)]
    assert not offending
