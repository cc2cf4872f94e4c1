"""Statistics and verdicts: known values and properties."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deepclaims.errors import ConfigError
from deepclaims.stats import (bootstrap_interval, exact_interval, paired_difference,
                              paired_proportion_difference, proportion, t_interval, wilson_interval)
from deepclaims.verdict import CONTRADICTED, NOT_REPRODUCED, REPRODUCED, combine, decide


def test_wilson_matches_textbook_value():
    # 81 of 263 at 95%: Newcombe (1998) gives 0.2553 to 0.3662.
    e = wilson_interval(81, 263)
    assert e.low == pytest.approx(0.2553, abs=1e-4) and e.high == pytest.approx(0.3662, abs=1e-4)


def test_exact_interval_edges():
    e = exact_interval(0, 10)
    assert e.low == 0.0 and e.high == pytest.approx(1 - 0.025 ** (1 / 10), rel=1e-6)


@given(st.integers(1, 500), st.data())
@settings(max_examples=60, deadline=None)
def test_proportion_intervals_bracket_the_estimate(n, data):
    k = data.draw(st.integers(0, n))
    for e in (wilson_interval(k, n), exact_interval(k, n)):
        assert 0.0 <= e.low <= e.value <= e.high <= 1.0


def test_t_interval_known_value():
    e = t_interval([1.0, 2.0, 3.0, 4.0, 5.0])
    assert e.value == 3.0 and e.high - 3.0 == pytest.approx(2.776445 * math.sqrt(2.5) / math.sqrt(5), rel=1e-5)


def test_degenerate_sample_collapses_to_point():
    e = t_interval([0.5] * 10)
    assert e.low == e.high == 0.5


def test_bootstrap_is_reproducible_and_brackets_mean():
    x = np.random.default_rng(1).normal(size=50)
    a, b = bootstrap_interval(x), bootstrap_interval(x)
    assert a == b and a.low < x.mean() < a.high


def test_paired_difference_uses_pairs():
    base = np.random.default_rng(2).normal(size=40) * 10
    e = paired_difference(base + 1.0, base)
    assert e.low == pytest.approx(1.0) and e.high == pytest.approx(1.0)


def test_paired_proportions():
    a = np.array([True] * 30 + [False] * 10)
    b = np.array([True] * 5 + [False] * 35)
    e = paired_proportion_difference(a, b)
    assert e.value == pytest.approx(25 / 40) and 0 < e.low < e.value < e.high <= 1


@pytest.mark.parametrize("bad", [lambda: wilson_interval(5, 0), lambda: wilson_interval(6, 5),
                                 lambda: t_interval([]), lambda: t_interval([1.0, float("nan")]),
                                 lambda: paired_difference([1.0], [1.0, 2.0]),
                                 lambda: wilson_interval(1, 2, confidence=1.5)])
def test_bad_input_is_a_clear_error(bad):
    with pytest.raises(ConfigError):
        bad()


def test_decide_three_ways():
    above = proportion([True] * 95 + [False] * 5)
    assert decide(above, 0.5, "above") == REPRODUCED
    assert decide(above, 0.5, "below") == CONTRADICTED
    assert decide(proportion([True, False] * 5), 0.5, "above") == NOT_REPRODUCED
    with pytest.raises(ConfigError):
        decide(above, 0.5, "sideways")


def test_combine_any_contradiction_wins():
    assert combine([REPRODUCED, REPRODUCED]) == REPRODUCED
    assert combine([REPRODUCED, NOT_REPRODUCED]) == NOT_REPRODUCED
    assert combine([NOT_REPRODUCED, CONTRADICTED]) == CONTRADICTED
    with pytest.raises(ConfigError):
        combine(["maybe"])


def test_identical_values_are_refused_not_read_as_certainty():
    from deepclaims.stats import bootstrap_interval, paired_difference, t_interval

    for est in (t_interval([0.7] * 8), bootstrap_interval([0.7] * 8), paired_difference([0.9] * 8, [0.5] * 8)):
        assert est.degenerate and est.low == est.high
        assert decide(est, 0.0, "above") == NOT_REPRODUCED
    assert t_interval([0.1, 0.2, 0.3]).degenerate == ""


def test_within_is_an_equivalence_with_three_outcomes():
    from deepclaims.stats import Estimate

    def est(low, high):
        return Estimate((low + high) / 2, low, high, 0.95, "t", 10)

    assert decide(est(0.91, 0.95), 0.93, "within", 0.05) == REPRODUCED
    assert decide(est(0.80, 0.85), 0.93, "within", 0.05) == CONTRADICTED
    assert decide(est(0.86, 0.92), 0.93, "within", 0.05) == NOT_REPRODUCED
    assert decide(est(0.88, 0.92), 0.93, "within", 0.05) == NOT_REPRODUCED  # touching the edge decides nothing
    with pytest.raises(ConfigError):
        decide(est(0.9, 0.95), 0.93, "within")


def test_an_interval_touching_its_threshold_decides_nothing():
    from deepclaims.stats import Estimate

    assert decide(Estimate(0.7, 0.6, 0.8, 0.95, "t", 10), 0.6, "above") == NOT_REPRODUCED
    assert decide(Estimate(0.5, 0.4, 0.6, 0.95, "t", 10), 0.6, "below") == NOT_REPRODUCED


def test_a_published_single_run_is_placed_in_the_seed_distribution():
    from deepclaims.stats import percentile_of

    runs = np.linspace(0.70, 0.90, 101)
    inside = percentile_of(runs, 0.80)
    assert inside["percentile"] == pytest.approx(50.0, abs=1) and inside["inside"]
    outside = percentile_of(runs, 0.962)
    assert outside["percentile"] == 100.0 and not outside["inside"]
