"""Optimiser steps for the training loop, without ``optimizer.step()``'s per-call Python.

``optimizer.step()`` spends about 100 µs per call outside the arithmetic (its profiler record,
hooks, per-group set-up, a Python loop over the parameters): a third of a step of a network the
size of TensorFlow Playground's, which trains in a few hundred µs a step (``bench/step_speed.py``).
For SGD (with or without (Nesterov) momentum) and Adam/AdamW, the optimisers of the lectures'
small networks, ``direct_step`` does the same arithmetic in a few foreach calls, operation for
operation as torch's own foreach implementation does it, which on the CPU is bitwise what
torch's default (single-tensor) loop computes; ``tests/core/test_step_speed.py`` compares the
weights after every step. The state (momentum buffers, moments, step counts) lives in
``optimizer.state`` with torch's own layout and is looked up every step, so checkpoints,
resuming (which replaces the state) and schedulers (which change the learning rate in the
parameter group) see one optimiser. Every other optimiser, or a setting these do not cover,
keeps ``optimizer.step``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn


def direct_step(optimizer: torch.optim.Optimizer, params: Sequence[nn.Parameter]) -> Callable[[], None]:
    """A function that steps ``optimizer`` over ``params`` (all of its parameters, one group)."""
    groups = optimizer.param_groups
    group = groups[0]
    build = _STEPS.get(type(optimizer))
    if build is None or len(groups) != 1 or not params:
        return optimizer.step
    plain = (not group["maximize"] and not group["differentiable"] and not group.get("foreach")
             and not group.get("fused") and not isinstance(group["lr"], torch.Tensor))
    step = build(optimizer, list(params)) if plain else None
    if step is None:
        return optimizer.step
    # what an LR scheduler's wrapper of optimizer.step() records; without it the first
    # scheduler step warns that the optimiser has not stepped
    optimizer._opt_called = True  # type: ignore[attr-defined]
    return step


def _with_grads(params: list[nn.Parameter]) -> tuple[list[nn.Parameter], list[torch.Tensor]]:
    """The parameters that have a gradient, and their gradients (torch's optimisers leave the
    others alone)."""
    grads = [p.grad for p in params]
    if any(g is None for g in grads):
        kept = [(p, g) for p, g in zip(params, grads) if g is not None]
        return [p for p, _ in kept], [g for _, g in kept]
    return params, grads  # type: ignore[return-value]


def _sgd(optimizer: torch.optim.Optimizer, params: list[nn.Parameter]) -> Callable[[], None] | None:
    group = optimizer.param_groups[0]
    if group["dampening"] != 0:
        return None
    momentum, nesterov, decay = group["momentum"], group["nesterov"], group["weight_decay"]

    @torch.no_grad()
    def step() -> None:
        stepped, grads = _with_grads(params)
        if not stepped:
            return
        if decay != 0:
            grads = torch._foreach_add(grads, stepped, alpha=decay)
        if momentum != 0:
            state = optimizer.state
            buffers = [state[p].get("momentum_buffer") for p in stepped]
            if any(b is None for b in buffers):
                buffers = [g.detach().clone() if b is None else b.mul_(momentum).add_(g)
                           for b, g in zip(buffers, grads)]
                for p, b in zip(stepped, buffers):
                    state[p]["momentum_buffer"] = b
            else:
                torch._foreach_mul_(buffers, momentum)
                torch._foreach_add_(buffers, grads)
            grads = torch._foreach_add(grads, buffers, alpha=momentum) if nesterov else buffers
        torch._foreach_add_(stepped, grads, alpha=-optimizer.param_groups[0]["lr"])

    return step


def _adam(optimizer: torch.optim.Optimizer, params: list[nn.Parameter]) -> Callable[[], None] | None:
    group = optimizer.param_groups[0]
    beta1, beta2 = group["betas"]
    if group["amsgrad"] or group["capturable"] or isinstance(beta1, torch.Tensor) or isinstance(beta2, torch.Tensor):
        return None
    decay, eps = group["weight_decay"], group["eps"]
    decoupled = group.get("decoupled_weight_decay", isinstance(optimizer, torch.optim.AdamW))
    scalar = torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32

    def moments(p: nn.Parameter) -> dict[str, Any]:
        state = optimizer.state[p]
        if not state:
            state["step"] = torch.tensor(0.0, dtype=scalar, device="cpu")
            state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        return state

    @torch.no_grad()
    def step() -> None:
        stepped, grads = _with_grads(params)
        if not stepped:
            return
        lr = optimizer.param_groups[0]["lr"]
        states = [moments(p) for p in stepped]
        steps = [s["step"] for s in states]
        exp_avgs = [s["exp_avg"] for s in states]
        exp_avg_sqs = [s["exp_avg_sq"] for s in states]
        torch._foreach_add_(steps, torch.tensor(1.0, device="cpu"), alpha=1.0)
        if decay != 0:
            if decoupled:
                torch._foreach_mul_(stepped, 1 - lr * decay)
            else:
                grads = torch._foreach_add(grads, stepped, alpha=decay)
        torch._foreach_lerp_(exp_avgs, grads, 1 - beta1)
        torch._foreach_mul_(exp_avg_sqs, beta2)
        torch._foreach_addcmul_(exp_avg_sqs, grads, grads, 1 - beta2)
        counts = [s.item() for s in steps]
        step_size = [(lr / (1 - beta1**n)) * -1 for n in counts]
        denominators = torch._foreach_sqrt(exp_avg_sqs)
        torch._foreach_div_(denominators, [(1 - beta2**n) ** 0.5 for n in counts])
        torch._foreach_add_(denominators, eps)
        torch._foreach_addcdiv_(stepped, exp_avgs, denominators, step_size)

    return step


#: The optimisers ``direct_step`` steps itself (exact types: a subclass may change the step).
_STEPS: dict[type, Callable[[torch.optim.Optimizer, list[nn.Parameter]], Callable[[], None] | None]] = {
    torch.optim.SGD: _sgd,
    torch.optim.Adam: _adam,
    torch.optim.AdamW: _adam,
}
