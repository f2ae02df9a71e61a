"""Torch's intra-op thread count, chosen by the work of one training step.

A step of a tiny network (TensorFlow Playground's circle: 2-4-2-1, batch 10) is a few dozen
operations on a few hundred numbers. No operation is worth splitting across threads, and on a
busy machine an OpenMP team that waits for a descheduled thread stalls the whole step: one
thread was measured up to 10 times faster there. Convolutions on images do gain from more
threads. ``bench/step_speed.py`` measures both sides; ``ONE_THREAD_FLOPS`` is the line drawn from them.

How ``torch.set_num_threads`` behaves with OpenMP (torch's CPU backend) decides where it is
called: it sets the count of the calling thread, and the default that threads which have not
run a parallel operation yet will take up; a thread that already has keeps its own. So the
trainer sets the count on the training thread, at the start of its run, and puts the caller's
count back at the end: the window's GUI thread and a script's other threads keep theirs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn

#: Below this many forward floating-point operations per step, one intra-op thread. Measured
#: with the trainer on 2 cores shared with other work (load average 2.5; steps/s on 2 threads
#: over 1): the circle (360 flops) 0.06, an MLP 64-64-64-10 at batch 32 (0.6 M) 1.03, the LeNet
#: digits CNN (1.8 M) 0.81, MLPs of 256, 512 and 1,024 units (11 M to 290 M) 0.10 to 0.34: a
#: second thread that must wait for a busy core stalls every step. On an idle machine more
#: threads gained 10% at 3.3 M (bench/README.md) and gain more on larger work, so the networks
#: of the lectures' size run on one thread and only large ones (a CIFAR-sized CNN) on more.
ONE_THREAD_FLOPS = 20_000_000


#: Per-step work of a recurrent layer below which a network with one trains on one thread. Its
#: T steps are T small parallel regions in the forward pass and T in the backward pass, and a
#: stalled thread holds up each: with 2 threads on 2 loaded cores (load average 3.5), an LSTM of
#: 128 units over 64 steps of 32 features at batch 32 (4 M flops a step, 340 M a pass) took 21
#: to 509 ms a step against 6.5 to 9.4 ms on one, and the character model around it (an output of
#: 72 classes) ran 9 to 18 steps/s against 77 to 93.
RECURRENT_STEP_FLOPS = ONE_THREAD_FLOPS


def _work(model: nn.Module, batch: torch.Tensor) -> tuple[int, int]:
    """(forward flops of ``model`` on ``batch``, the largest flops of one time step of one of its
    recurrent layers, 0 without any): see ``forward_flops``."""
    total = largest_step = 0

    def count(module: nn.Module, _inputs: object, output: torch.Tensor) -> None:
        nonlocal total
        weight = module.weight
        if isinstance(module, nn.Linear):
            total += 2 * output.numel() * weight.shape[1]
        else:  # a convolution: each output value sums (input channels / groups) x kernel products
            total += 2 * output.numel() * weight[0].numel()

    def count_recurrent(module: nn.RNNBase, _inputs: object, output: tuple[torch.Tensor, object]) -> None:
        nonlocal total, largest_step
        batch_size, steps = output[0].shape[:2]  # batch first
        step = 2 * batch_size * (module.weight_ih_l0.numel() + module.weight_hh_l0.numel())
        total += steps * step
        largest_step = max(largest_step, step)

    hooks = [m.register_forward_hook(count) for m in model.modules()
             if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d))]
    hooks += [m.register_forward_hook(count_recurrent) for m in model.modules() if isinstance(m, nn.RNNBase)]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(batch)
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    return total, largest_step


def forward_flops(model: nn.Module, batch: torch.Tensor) -> int:
    """Floating-point operations of one forward pass on ``batch``: two per multiply-add of its
    matrix products and convolutions (what threads can split), recurrent layers' at every time
    step included, counted from each such layer's weight and output shape in a pass run in eval
    mode without gradients, so that nothing in the model changes (batch-norm statistics, the
    random generators).

    By hand rather than with ``torch.utils.flop_counter``'s dispatch mode: the same counts, in
    2 ms instead of 46 ms at a run's start for the LeNet digits CNN."""
    return _work(model, batch)[0]


def choose_threads(flops: int, device: torch.device, ceiling: int) -> int:
    """Intra-op threads for training steps of ``flops`` forward operations on ``device``, at
    most ``ceiling`` (the caller's count: torch's default of one per core, the window's cores
    less one for the GUI, a benchmark's choice).

    On a GPU the host only launches kernels, which one thread does best; on the CPU a step
    below ``ONE_THREAD_FLOPS`` takes one thread and a larger one every thread allowed.
    """
    if device.type != "cpu" or flops < ONE_THREAD_FLOPS:
        return 1
    return max(1, ceiling)


def threads_for(model: nn.Module, batch: torch.Tensor, ceiling: int) -> int:
    """``choose_threads`` for training ``model`` on batches like ``batch``; the forward pass that
    counts the work runs only where the count matters (on the CPU). A recurrent layer whose time
    step is small work keeps the whole network on one thread (``RECURRENT_STEP_FLOPS``)."""
    device = batch.device
    if device.type != "cpu":
        return choose_threads(0, device, ceiling)
    total, recurrent_step = _work(model, batch)
    if 0 < recurrent_step < RECURRENT_STEP_FLOPS:
        return 1
    return choose_threads(total, device, ceiling)


@contextmanager
def intra_op_threads(count: int) -> Iterator[None]:
    """Run the block with ``count`` intra-op threads on this thread, then put back the count
    it had (see the module's note on where this takes effect)."""
    before = torch.get_num_threads()
    if count != before:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)
