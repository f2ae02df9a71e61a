"""The bias/variance verdict: the lecture's worked cases, and a reference error from the registry."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from playground.core.bias_variance import (
    BIAS_REMEDIES,
    GAP,
    VARIANCE_REMEDIES,
    diagnose_errors,
    diagnose_losses,
    reference_error,
)


@pytest.mark.parametrize(("reference", "train", "val", "verdict"), [
    (0.01, 0.08, 0.10, "high bias"),                # the lecture: human 1%, train 8%, dev 10%
    (0.01, 0.01, 0.11, "high variance"),            # human 1%, train 1%, dev 11%
    (0.01, 0.15, 0.30, "high bias and variance"),
    (0.01, 0.015, 0.02, "balanced"),
    (0.075, 0.08, 0.10, "balanced"),                # a hard task: 8% is near the best known
])
def test_the_lectures_cases(reference: float, train: float, val: float, verdict: str) -> None:
    d = diagnose_errors(train, val, reference)
    assert d.verdict == verdict
    assert d.avoidable_bias == pytest.approx(max(train - reference, 0))
    assert d.variance == pytest.approx(val - train)
    expected = {"high bias": BIAS_REMEDIES, "high variance": VARIANCE_REMEDIES, "balanced": ()}
    if verdict in expected:
        assert d.remedies == expected[verdict]


def test_the_larger_gap_comes_first() -> None:
    assert diagnose_errors(0.30, 0.35, 0.0).remedies == BIAS_REMEDIES
    assert diagnose_errors(0.05, 0.40, 0.0).remedies == VARIANCE_REMEDIES


def test_without_a_reference_zero_is_assumed_and_said() -> None:
    d = diagnose_errors(0.2, 0.21, None)
    assert d.verdict == "high bias"
    assert "0% assumed" in d.message
    assert d.avoidable_bias is None


@given(st.floats(0, 1), st.floats(0, 1), st.one_of(st.none(), st.floats(0, 1)))
def test_a_verdict_names_only_gaps_beyond_the_margin(train: float, val: float, reference: float | None) -> None:
    d = diagnose_errors(train, val, reference)
    bias = train - (reference or 0.0) > GAP
    variance = val - train > GAP
    assert ("bias" in d.verdict) == bias
    assert ("variance" in d.verdict) == variance


def test_regression_judges_variance_only() -> None:
    assert diagnose_losses(0.01, 0.05).verdict == "high variance"
    assert diagnose_losses(0.2, 0.21).verdict == "unknown"


def test_the_registry_knows_a_human_level_for_mnist_and_nothing_for_generated_data() -> None:
    assert reference_error({"name": "mnist"}) == pytest.approx(0.002)
    assert reference_error({"name": "fashion_mnist"}) == pytest.approx(0.165)
    assert reference_error({"name": "spiral"}) is None
    assert reference_error({"name": "no such dataset"}) is None
