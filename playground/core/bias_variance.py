"""Bias or variance: which of the lecture's two kinds of remedy a run needs.

The lecture's recipe compares three errors: a reference (human-level or best known error on
the task), the training error and the validation error. The gap between the reference and
the training error is *avoidable bias* (the network does not even fit the data it sees: make
it bigger, train longer, optimise better, regularise less); the gap between the training and
the validation error is *variance* (it fits the training set but not new examples: more data,
augmentation, more regularisation, early stopping). Whichever gap is larger is the one to work
on first. Qt-free: the training workspace's panel and any script read the same verdict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from playground.core.datasets import REGISTRY

#: A gap of this many percentage points (as a fraction) counts as a problem: below it, what
#: is left is noise between small splits.
GAP = 0.03
#: For regression there is no error rate: a validation loss this many times the training loss
#: (and above a small floor) counts as high variance.
LOSS_RATIO = 1.5
LOSS_FLOOR = 1e-3

Verdict = Literal["high bias", "high variance", "high bias and variance", "balanced", "unknown"]

BIAS_REMEDIES = (
    "a bigger network (more units or layers)",
    "train longer",
    "a better optimiser (momentum or Adam) or learning rate",
    "less regularisation (lower L2 or dropout)",
)
VARIANCE_REMEDIES = (
    "more training data, or augmentation",
    "more regularisation (L2, dropout)",
    "early stopping",
    "a smaller network",
)


@dataclass(frozen=True)
class Diagnosis:
    """What the three errors say. ``avoidable_bias`` is None without a reference error."""

    verdict: Verdict
    train_error: float
    val_error: float
    reference_error: float | None
    avoidable_bias: float | None
    variance: float
    message: str
    remedies: tuple[str, ...]


def diagnose_errors(train_error: float, val_error: float, reference_error: float | None) -> Diagnosis:
    """The verdict for a classifier's error rates (fractions, 0..1). Without a known reference
    the avoidable bias is measured against zero error, and the message says so."""
    reference = reference_error if reference_error is not None else 0.0
    bias = max(train_error - reference, 0.0)
    variance = max(val_error - train_error, 0.0)
    high_bias, high_variance = bias > GAP, variance > GAP
    assumed = "" if reference_error is not None else " (no reference error is known for this data: 0% assumed)"
    if high_bias and high_variance:
        verdict: Verdict = "high bias and variance"
        first = "bias" if bias >= variance else "variance"
        message = (f"Both gaps are large: {bias:.1%} avoidable bias{assumed} and {variance:.1%} variance. "
                   f"Work on the {first} first: it is the larger gap.")
        remedies = BIAS_REMEDIES if first == "bias" else VARIANCE_REMEDIES
    elif high_bias:
        verdict, remedies = "high bias", BIAS_REMEDIES
        message = (f"The training error is {bias:.1%} above the reference{assumed}: the network does not fit "
                   "even the examples it trains on.")
    elif high_variance:
        verdict, remedies = "high variance", VARIANCE_REMEDIES
        message = (f"The validation error is {variance:.1%} above the training error: the network fits its "
                   "training examples better than new ones.")
    else:
        verdict, remedies = "balanced", ()
        message = f"Both gaps are under {GAP:.0%}{assumed}: neither bias nor variance stands out."
    return Diagnosis(verdict, train_error, val_error, reference_error,
                     bias if reference_error is not None else None, variance, message, remedies)


def diagnose_losses(train_loss: float, val_loss: float) -> Diagnosis:
    """The verdict for a regression's losses: only variance can be judged (no reference)."""
    variance = max(val_loss - train_loss, 0.0)
    if val_loss > LOSS_RATIO * train_loss and val_loss > LOSS_FLOOR:
        verdict: Verdict = "high variance"
        message = (f"The validation loss is {val_loss / max(train_loss, 1e-12):.1f}x the training loss: the network "
                   "fits its training examples better than new ones.")
        remedies = VARIANCE_REMEDIES
    else:
        verdict, remedies = "unknown", ()
        message = ("The validation loss is close to the training loss. Whether either is too high needs a "
                   "reference error, which regression data does not have: compare with a bigger network.")
    return Diagnosis(verdict, train_loss, val_loss, None, None, variance, message, remedies)


def reference_error(dataset: Mapping[str, Any]) -> float | None:
    """The human-level or best known error rate of a project's dataset (``dataset`` is the
    project's dataset spec), where the registry knows one."""
    entry = REGISTRY.get(str(dataset.get("name")))
    return entry.reference_error if entry is not None else None
