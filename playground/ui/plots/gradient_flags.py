"""Which layers' gradients vanish or explode, judged against the output layer's gradient.

Qt-free and numpy-free on purpose: the gradient view flags bars with it, the editor puts
badges on nodes with the same answer, and it can move to ``playground.core.probes``
unchanged (the CLI and the divergence message could use it too).

Absolute gradient norms depend on the loss, the batch and the layer's size; what the
lectures point at is the *profile*: the first layers' gradients orders of magnitude below
the last. So a node is "vanishing" when its norm is below ``low`` times the reference
(the Output node's norm) and "exploding" when above ``high`` times it. A non-finite norm
(a diverging run) is "exploding" whatever the reference.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Literal

Flag = Literal["vanishing", "exploding"]
VANISHING: Flag = "vanishing"
EXPLODING: Flag = "exploding"
#: Defaults: a hundred times smaller or larger than the output layer's gradient.
DEFAULT_LOW = 1e-2
DEFAULT_HIGH = 1e2


def gradient_flags(grad_norm: Mapping[str, float], order: Sequence[str], low: float = DEFAULT_LOW,
                   high: float = DEFAULT_HIGH, reference: str | None = None) -> dict[str, Flag]:
    """Flag each node of ``grad_norm`` whose norm is below ``low`` x or above ``high`` x the
    reference norm.

    ``order`` runs input -> output; the reference is ``reference`` or else the last node of
    ``order`` that has a norm (the Output node). The result follows ``order`` (nodes missing
    from it come last) and leaves out unflagged nodes. Without a usable reference (missing,
    zero or non-finite) only non-finite norms are flagged.
    """
    if not (0 < low <= high):
        raise ValueError(f"thresholds must satisfy 0 < low <= high, got low={low}, high={high}")
    nodes = [n for n in order if n in grad_norm] + [n for n in grad_norm if n not in set(order)]
    if reference is None:
        reference = next((n for n in reversed(order) if n in grad_norm), None)
    ref = grad_norm.get(reference) if reference is not None else None
    usable = ref is not None and math.isfinite(ref) and ref > 0
    flags: dict[str, Flag] = {}
    for node in nodes:
        value = grad_norm[node]
        if not math.isfinite(value):
            flags[node] = EXPLODING
        elif not usable or node == reference:
            continue
        elif value < low * ref:
            flags[node] = VANISHING
        elif value > high * ref:
            flags[node] = EXPLODING
    return flags
