"""Which layers' gradients vanish or explode: the gradient view flags bars with it, and the
editor puts badges on nodes with the same answer.

Qt-free: the definitions are the training advisor's (``playground.core.advisor``). Absolute
gradient norms depend on the loss, the batch and the layer's size; what the lectures point at
is the *profile*: the first layers' gradients orders of magnitude below the last. So a node's
norm below ``low`` times the reference (the Output node's norm) is the vanishing profile, above
``high`` times it the exploding one, and a non-finite norm (a diverging run) is exploding
whatever the reference.

A profile alone is not a problem: networks that learn well often have one (a spiral net at 78 %
and rising had both tanh layers 100 x below the output). Given the run's ``RunTrends``, a node
is flagged only when the consequence is there too, as the advisor's findings require: for
vanishing, the loss has stalled or the node's weights barely change while the Output layer's
do; for exploding, the loss does not improve.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Literal

from playground.core.advisor import EXPLODING_RATIO, VANISHING_RATIO, RunTrends, gradient_profile

Flag = Literal["vanishing", "exploding"]
VANISHING: Flag = "vanishing"
EXPLODING: Flag = "exploding"
#: Defaults: a hundred times smaller or larger than the output layer's gradient (the advisor's).
DEFAULT_LOW = VANISHING_RATIO
DEFAULT_HIGH = EXPLODING_RATIO


def gradient_flags(grad_norm: Mapping[str, float], order: Sequence[str], low: float = DEFAULT_LOW,
                   high: float = DEFAULT_HIGH, reference: str | None = None,
                   trends: RunTrends | None = None) -> dict[str, Flag]:
    """Flag each node of ``grad_norm`` whose norm is below ``low`` x or above ``high`` x the
    reference norm, and, given ``trends``, whose consequence the run shows.

    ``order`` runs input -> output; the reference is ``reference`` or else the last node of
    ``order`` that has a norm (the Output node). The result follows ``order`` (nodes missing
    from it come last) and leaves out unflagged nodes. Without a usable reference (missing,
    zero or non-finite) only non-finite norms are flagged; a non-finite norm needs no
    confirmation.
    """
    if not (0 < low <= high):
        raise ValueError(f"thresholds must satisfy 0 < low <= high, got low={low}, high={high}")
    nodes = [n for n in order if n in grad_norm] + [n for n in grad_norm if n not in set(order)]
    if reference is None:
        reference = next((n for n in reversed(order) if n in grad_norm), None)
    profile = gradient_profile(grad_norm, reference, low, high)
    if trends is not None and trends.output is None:
        trends.output = reference
    flags: dict[str, Flag] = {}
    for node in nodes:
        flag = profile.get(node)
        if flag is None:
            continue
        confirmed = (trends is None or not math.isfinite(grad_norm[node])
                     or (trends.confirms_vanishing(node) if flag == VANISHING else trends.confirms_exploding()))
        if confirmed:
            flags[node] = flag
    return flags
