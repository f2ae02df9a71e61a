"""Where training runs: the devices this machine offers, and the torchrun process group.

The training panel's device picker lists ``available_devices()``; project files name a device
as ``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps`` and ``resolve_device`` turns that into a
``torch.device``, refusing one this machine does not have with a message that lists what it
does have. Under ``torchrun`` (``WORLD_SIZE`` > 1) ``distributed_session`` joins the process
group with the backend that suits the device: gloo on the CPU, nccl on CUDA.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import torch
import torch.distributed as dist

from playground.core.params import UserError

DeviceKind = Literal["cpu", "cuda", "mps"]


@dataclass(frozen=True)
class DeviceInfo:
    """One entry of the device picker: the name a project stores, and what a person reads."""

    id: str
    kind: DeviceKind
    name: str
    memory_bytes: int | None = None

    @property
    def label(self) -> str:
        """'cuda:0 · NVIDIA H100 (79.1 GB)' or 'cpu · up to 8 threads'."""
        if self.memory_bytes is None:
            return f"{self.id} · {self.name}"
        return f"{self.id} · {self.name} ({self.memory_bytes / 1e9:.1f} GB)"


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def available_devices() -> list[DeviceInfo]:
    """The CPU, then every CUDA device with its name and memory, then Apple's MPS when present."""
    # "up to": the trainer runs a small network on one thread (threads.py)
    found = [DeviceInfo("cpu", "cpu", f"up to {torch.get_num_threads()} threads")]
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(i)
            found.append(DeviceInfo(f"cuda:{i}", "cuda", props.name, int(props.total_memory)))
    if _mps_available():
        found.append(DeviceInfo("mps", "mps", "Apple GPU"))
    return found


def resolve_device(spec: str) -> torch.device:
    """Turn a project's device setting into a device this machine has.

    ``auto`` picks a GPU when there is one (CUDA first, then MPS), else the CPU; an explicit
    device that is absent is a ``UserError`` naming the devices that exist, because silently
    training on the CPU instead would look like a hang on a large model.
    """
    if spec == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", torch.cuda.current_device())
        return torch.device("mps") if _mps_available() else torch.device("cpu")
    try:
        device = torch.device(spec)
    except RuntimeError:
        raise UserError(f"training: device must be auto, cpu, cuda, cuda:N or mps, got {spec!r}") from None
    ids = [d.id for d in available_devices()]
    if device.type == "cuda" and device.index is None and torch.cuda.is_available():
        return torch.device("cuda", torch.cuda.current_device())
    if device.type == "cpu" or str(device) in ids:
        return device
    raise UserError(f"training: device '{spec}' is not available on this machine (it has: {', '.join(ids)}); "
                    "choose one of those or 'auto'")


@dataclass(frozen=True)
class DistributedInfo:
    """This process's place in a torchrun job and the device it trains on."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        """Rank 0 writes files and prints; the others only train."""
        return self.rank == 0


def launched_by_torchrun() -> bool:
    """Whether this process is one of several started by torchrun (``WORLD_SIZE`` > 1)."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


@contextmanager
def distributed_session(device_spec: str) -> Iterator[DistributedInfo]:
    """Join the torchrun process group for the duration of a run, and leave it afterwards.

    Each process takes the GPU of its ``LOCAL_RANK`` when the device is CUDA (or ``auto`` on a
    GPU machine) and talks over nccl; on the CPU it uses gloo. MPS has no collective backend,
    so it is refused rather than half-working.
    """
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if device_spec == "mps":
        raise UserError("training: torch.distributed does not support the 'mps' device; use cpu or cuda")
    if device_spec.startswith("cuda") or (device_spec == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise UserError(f"training: device '{device_spec}' is not available on this machine (no CUDA GPU)")
        torch.cuda.set_device(local_rank)
        device, backend = torch.device("cuda", local_rank), "nccl"
    else:
        device, backend = torch.device("cpu"), "gloo"
    dist.init_process_group(backend)
    try:
        yield DistributedInfo(dist.get_rank(), dist.get_world_size(), local_rank, device)
    finally:
        dist.destroy_process_group()
