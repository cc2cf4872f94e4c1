"""F2's fixed arm (issue 19): the best constant rate between the range test's bounds, not lr_max.

Before issue 19 the fixed arm ran at lr_max, the range test's lowest-loss candidate, one
candidate below divergence on the ci stand-in (0.77, next to 10): a weak comparator that
inflated "cyclic minus fixed" (+0.053 at ci, seed base 0). Now the fixed arm is, per seed,
the constant rate with the highest final validation accuracy among the range-test
candidates from lr_min to lr_max (the top ``fixed_candidates``), and F2 checks that it is.

- the intact run: every seed's fixed arm is that best rate, recomputed here from the
  search's own rows and bounds, and F2's check part reads reproduced;
- the old behaviour planted (the fixed arm given the lr_max row, on the same run; and the
  run's own ``fixed_rate="lr_max"`` option): F2 is not reproduced, because on the ci
  stand-in lr_max is not the best-validating constant rate;
- ``best_row``'s ties.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from claims.f_learning_rates import judges
from claims.f_learning_rates.experiments import TIERS, LRTier
from claims.f_learning_rates.runs import best_row, fixed_search_rates, lr_schedules
from tests.controls import judged, recorder

SEEDS = 4
ARM_KEYS = ("epoch_loss", "epoch_acc", "val_loss", "val_acc", "updates", "test_acc", "lr")


@pytest.fixture(scope="module")
def ci_run():
    """The ci configuration (600 images, 24 epochs) on 4 seeds: range test, cyclic and fixed arms."""
    config = replace(TIERS["ci"].run, sweep_steps=0, arms=("cyclic", "fixed"))
    return config, lr_schedules(config, list(range(SEEDS)))


def _judge_F2(claim, config, result):
    judges.judge_F2(claim, f_runs={"main": result}, f_tier=LRTier(run=config, seeds=SEEDS), seed_base=0)


def _check_part(config, result, tmp_path):
    rec = recorder("F2", tmp_path)
    _judge_F2(rec, config, result)
    (part,) = [p for p in rec.parts if "best constant rate between the bounds" in p.measured]
    return part.verdict


def _old_behaviour(result):
    """The same run with the fixed arm given the lr_max row: the arm as it was before issue 19."""
    return {**result, **{f"fixed_{k}": result[f"fixed_lr_max_{k}"] for k in ARM_KEYS}}


def test_fixed_arm_is_the_best_constant_rate_between_the_bounds(ci_run, tmp_path):
    config, result = ci_run
    lrs = result["grid_lrs"][0]
    for s in range(SEEDS):
        lo, hi = result["lr_min"][s], result["lr_max"][s]
        tried = np.flatnonzero(np.isfinite(result["fixed_search_val_acc"][s]))
        between = [i for i, v in enumerate(lrs) if lo <= v * (1 + 1e-9) and v <= hi * (1 + 1e-9)]
        assert list(tried) == between[-config.fixed_candidates:]
        assert np.isclose(lrs[tried[-1]], hi)                       # lr_max is always a candidate
        acc = result["fixed_search_val_acc"][s, tried]
        best = lrs[tried[acc == acc.max()]]                         # the highest final validation accuracy
        rate = result["fixed_lr"][s]
        assert np.allclose(rate, rate[0]) and np.isclose(best, rate[0]).any()
        assert np.allclose(result["fixed_lr_max_lr"][s], hi)
    assert _check_part(config, result, tmp_path) == "reproduced"


def test_F2_control_fixed_arm_at_lr_max_fails(ci_run, tmp_path):
    """Fails on the old behaviour: on the ci stand-in some seed validates better below lr_max."""
    config, result = ci_run
    best_below = result["fixed_lr"][:, 0] < result["lr_max"] * (1 - 1e-9)
    assert best_below.any(), "lr_max was the best constant rate on every seed: the control would prove nothing"
    old = _old_behaviour(result)
    assert _check_part(config, old, tmp_path) == "contradicted"
    assert judged("F2", _judge_F2, config, old, tmp_path=tmp_path) != "reproduced"


def test_F2_fixed_rate_option_lr_max_is_the_old_arm_and_is_caught(tmp_path):
    """``fixed_rate="lr_max"`` (the negative-control option) runs the old arm; F2's check
    catches it wherever a lower rate validates better, and the default run passes it."""
    config = replace(TIERS["ci"].run, train_size=200, sweep_steps=0, arms=("cyclic", "fixed"), schedule_epochs=4,
                     range_epochs=2)
    results = {rule: lr_schedules(replace(config, fixed_rate=rule), list(range(SEEDS))) for rule in ("best", "lr_max")}
    old, new = results["lr_max"], results["best"]
    assert np.allclose(old["fixed_lr"], old["lr_max"][:, None])
    for key in ("fixed_search_val_acc", "fixed_lr_max_test_acc", "cyclic_test_acc"):
        assert np.allclose(old[key], new[key], equal_nan=True)      # the same trainings; only the choice differs
    assert _check_part(config, new, tmp_path) == "reproduced"
    lower_is_better = not np.allclose(new["fixed_lr"][:, 0], new["lr_max"])
    assert _check_part(config, old, tmp_path) == ("contradicted" if lower_is_better else "reproduced")


def test_F2_without_a_search_is_not_reproduced(tmp_path):
    """A result whose fixed arm was not chosen by the search (the cyclic-schedule control) fails the check."""
    result = {"fixed_lr": np.ones((2, 3))}
    assert judges.fixed_is_best(result) == 0.0


def test_fixed_search_candidates_and_ties():
    lrs = np.logspace(-9, 1, 10)
    config = TIERS["ci"].run
    rates = fixed_search_rates(config, lrs, np.array([lrs[5], lrs[7], lrs[2]]), np.array([lrs[8], lrs[8], lrs[8]]))
    assert np.allclose(rates[0], lrs[5:9]) and np.allclose(rates[1], lrs[7:9]) and np.allclose(rates[2], lrs[5:9])
    assert best_row(np.array([0.9, 0.95, 0.95]), np.array([0.3, 0.2, 0.1])) == 2     # tie: lower validation loss
    assert best_row(np.array([0.9, 0.95, 0.95]), np.array([0.3, 0.2, 0.2])) == 1     # then the lower rate
    assert best_row(np.array([np.nan, 0.5]), np.array([np.nan, 1.0])) == 1           # a diverged row loses
