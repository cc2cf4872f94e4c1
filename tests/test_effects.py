"""The three-way rule for comparisons and the seeds a power calculation asks for
(``deepclaims.effects``), pinned on constructed intervals and known cases."""
from __future__ import annotations

import numpy as np
import pytest

from deepclaims.effects import (ACCURACY_POINT, CONVENTIONS, NON_INFERIORITY, SmallestEffect, boundary, seeds_for,
                                seeds_to_decide, spread)
from deepclaims.errors import ConfigError
from deepclaims.recorder import CatalogueEntry, ClaimRecorder
from deepclaims.stats import Estimate, paired_difference, t_interval
from deepclaims.verdict import CONTRADICTED, NOT_REPRODUCED, REPRODUCED

POINT = ACCURACY_POINT   # 0.01


def recorder(tmp_path) -> ClaimRecorder:
    return ClaimRecorder("Z1", CatalogueEntry("a constructed claim", "a test"), "ci", "cpu", tmp_path)


def t_estimate(value: float, low: float, high: float, n: int = 8) -> Estimate:
    return Estimate(value, low, high, 0.95, "t", n)


@pytest.mark.parametrize("interval, verdict", [
    ((0.03, 0.02, 0.04), REPRODUCED),          # clear above the smallest effect
    ((0.005, 0.001, 0.009), CONTRADICTED),     # above 0 but wholly short of it: too small to matter
    ((0.0, -0.004, 0.004), CONTRADICTED),      # a tie, decided
    ((-0.03, -0.04, -0.02), CONTRADICTED),     # the other way
    ((0.01, 0.0, 0.02), NOT_REPRODUCED),       # straddles the smallest effect
    ((0.011, 0.01, 0.02), NOT_REPRODUCED),     # touches it: decides nothing
])
def test_rule_on_constructed_intervals(tmp_path, interval, verdict):
    part = recorder(tmp_path).compare("difference", t_estimate(*interval), "above", POINT)
    assert part.threshold == pytest.approx(0.01)
    assert part.verdict == verdict


def test_rule_below_moves_the_boundary_down(tmp_path):
    rec = recorder(tmp_path)
    assert rec.compare("d", t_estimate(-0.03, -0.04, -0.02), "below", POINT).verdict == REPRODUCED
    assert rec.compare("d", t_estimate(-0.005, -0.009, -0.001), "below", POINT).verdict == CONTRADICTED
    assert rec.parts[0].threshold == pytest.approx(-0.01)


def test_non_inferiority_holds_unless_the_loss_reaches_the_margin(tmp_path):
    margin = SmallestEffect(0.01, "a loss of one point", NON_INFERIORITY)
    rec = recorder(tmp_path)
    assert boundary(0.0, "above", margin) == pytest.approx(-0.01)
    assert rec.compare("d", t_estimate(-0.002, -0.006, 0.002), "above", margin).verdict == REPRODUCED
    assert rec.compare("d", t_estimate(-0.03, -0.04, -0.02), "above", margin).verdict == CONTRADICTED
    assert rec.compare("d", t_estimate(-0.01, -0.02, 0.0), "above", margin).verdict == NOT_REPRODUCED


def test_ratio_null(tmp_path):
    twice = SmallestEffect(1.0, "twice as deep")
    part = recorder(tmp_path).compare("depth ratio", Estimate(3.0, 2.5, 3.5, 0.95, "bootstrap", 20), "above",
                                      twice, null=1.0)
    assert part.threshold == 2.0 and part.verdict == REPRODUCED


def test_undecided_part_reports_seeds_and_decided_parts_do_not(tmp_path):
    rec = recorder(tmp_path)
    undecided = rec.compare("d", t_estimate(0.012, -0.001, 0.025), "above", POINT)
    decided = rec.compare("d", t_estimate(0.03, 0.02, 0.04), "above", POINT)
    assert undecided.seeds_to_decide is not None and undecided.seeds_to_decide > 8
    assert decided.seeds_to_decide is None
    assert "seeds would decide it" in undecided.message()
    record = rec.record()["parts"][0]
    assert record["smallest_effect"] == POINT.as_dict() and record["seeds_to_decide"] == undecided.seeds_to_decide


def test_a_comparison_against_zero_must_declare_its_effect(tmp_path):
    with pytest.raises(ConfigError, match="smallest effect"):
        recorder(tmp_path).part("difference", t_estimate(0.03, 0.02, 0.04), 0.0, "above")
    with pytest.raises(ConfigError, match="SmallestEffect"):
        recorder(tmp_path).compare("difference", t_estimate(0.03, 0.02, 0.04), "above", 0.01)


@pytest.mark.parametrize("size, source, kind", [(0.0, "x", "superiority"), (-1.0, "x", "superiority"),
                                                (float("nan"), "x", "superiority"), (0.1, " ", "superiority"),
                                                (0.1, "x", "equivalence")])
def test_smallest_effect_refuses_bad_input(size, source, kind):
    with pytest.raises(ConfigError):
        SmallestEffect(size, source, kind)


def test_conventions_are_stated_with_their_source():
    for name, effect in CONVENTIONS.items():
        assert effect.size > 0 and effect.source.startswith("convention: "), name


# G*Power 3.1 (Faul et al. 2007), one-sample t test, two-tailed alpha 0.05, power 0.80:
# d = 0.2 -> 199, d = 0.5 -> 34, d = 0.8 -> 15 (its "total sample size").
@pytest.mark.parametrize("d, n", [(0.2, 199), (0.5, 34), (0.8, 15)])
def test_power_calculation_matches_gpower(d, n):
    assert seeds_for(d) == n


def test_power_calculation_edges():
    assert seeds_for(0.0) is None
    assert seeds_for(-0.5) == 34                   # the side does not matter
    assert seeds_for(0.3, power=0.9) > seeds_for(0.3)
    assert seeds_to_decide(Estimate(1.0, 1.0, 1.0, 1.0, "exact", 1), 0.0) is None


def test_spread_read_back_from_a_t_interval():
    rng = np.random.default_rng(0)
    x = rng.normal(0.3, 2.0, size=40)
    est = t_interval(x, 0.95)
    assert spread(est, est.high + 1) == pytest.approx(x.std(ddof=1), rel=1e-9)


def test_the_seeds_asked_for_decide_about_80_percent_of_reruns():
    """Simulated: a true gap of 0.4 sd from the boundary; reruns at the number of seeds the
    calculation asks for clear the boundary in about 80% of runs (the power asked for)."""
    rng = np.random.default_rng(1)
    n = seeds_for(0.4)
    assert n == 52
    cleared = [t_interval(rng.normal(0.4, 1.0, size=n), 0.95).low > 0 for _ in range(4000)]
    assert 0.77 <= np.mean(cleared) <= 0.83


def test_paired_difference_undecided_then_decided_with_the_seeds_asked_for(tmp_path):
    """A paired comparison left undecided at 8 seeds is decided at the seeds it asks for."""
    rng = np.random.default_rng(3)
    base = rng.normal(0.9, 0.02, size=400)
    better = base + 0.02 + rng.normal(0, 0.01, size=400)      # a true gain of two points
    rec = recorder(tmp_path)
    small = rec.compare("d", paired_difference(better[:3], base[:3], 0.95), "above", POINT)
    assert small.verdict == NOT_REPRODUCED and small.seeds_to_decide
    large = rec.compare("d", paired_difference(better[:max(small.seeds_to_decide, 3) * 3],
                                               base[:max(small.seeds_to_decide, 3) * 3], 0.95), "above", POINT)
    assert large.verdict == REPRODUCED
