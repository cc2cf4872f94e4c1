"""Negative controls for topic F, judged by the claims' own judges on the claims' own experiment.

- F1 fails on a loss curve without a divergent end (the range test's largest candidates
  removed), while the intact curve of the same run reproduces it;
- F2 fails when both arms use the same schedule (the fixed arm given the cyclic one);
- F3's update count fails when the batch never grows (capped at its starting 32), and
  holds when it doubles;
- the reading rule finds lr_min / lr_max where a hand-made curve puts them.
(The issue's F3 control, accumulation with summed instead of averaged losses, is in
tests/test_F_lr_batched.py: it is a property of the engine, not of a verdict.)
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from claims.f_learning_rates import judges
from claims.f_learning_rates.experiments import TIERS, LRTier
from claims.f_learning_rates.runs import lr_schedules, read_range
from tests.controls import judged

SEEDS = 8


@pytest.fixture(scope="module")
def range_test():
    """The ci range test on 8 seeds, without sweep or arms."""
    config = replace(TIERS["ci"].run, sweep_steps=0, arms=())
    return config, lr_schedules(config, list(range(SEEDS)))


def _judge_F1(claim, config, result):
    judges.judge_F1(claim, f_runs={"main": result}, f_tier=LRTier(run=config, seeds=SEEDS), seed_base=0)


def test_F1_intact_range_test_reproduces(range_test, tmp_path):
    assert judged("F1", _judge_F1, *range_test, tmp_path=tmp_path) == "reproduced"


def test_F1_control_a_curve_without_divergent_end_fails(range_test, tmp_path):
    config, result = range_test
    keep = 8                        # candidates up to 0.77: the last one (10) is where the loss diverges
    cut = {**result, "grid_lrs": result["grid_lrs"][:, :keep], "grid_epoch_loss": result["grid_epoch_loss"][:, :keep]}
    assert judged("F1", _judge_F1, replace(config, candidate_lrs=config.candidate_lrs[:keep]), cut,
                  tmp_path=tmp_path) != "reproduced"


def _judge_F2(claim, config, result):
    judges.judge_F2(claim, f_runs={"main": result}, f_tier=LRTier(run=config, seeds=4), seed_base=0)


@pytest.mark.parametrize("fixed_schedule, holds", [("constant", True), ("cyclic", False)])
def test_F2_control_both_arms_on_one_schedule_fails(fixed_schedule, holds, tmp_path):
    config = replace(TIERS["ci"].run, train_size=200, sweep_steps=0, arms=("cyclic", "fixed"), schedule_epochs=2,
                     range_epochs=2, fixed_schedule=fixed_schedule)
    result = lr_schedules(config, list(range(4)))
    rec_verdict = judged("F2", _judge_F2, config, result, tmp_path=tmp_path)
    # Two epochs decide nothing about accuracy; what must hold is that identical schedules never pass.
    if holds:
        assert judges.schedules_differ(result, "cyclic", "fixed") == 1.0
    else:
        assert rec_verdict != "reproduced" and judges.schedules_differ(result, "cyclic", "fixed") == 0.0


def test_reading_rule_on_a_hand_made_curve():
    lrs = np.logspace(-4, 1, 6)                     # 1e-4 .. 1e1
    loss = np.array([[1.0, 0.99, 0.95, 0.5, 0.2, np.nan],     # falls from 1e-2, lowest at 1, diverges
                     [0.8, 0.6, 0.4, 0.3, 0.9, 5.0]])         # has fallen already at the smallest
    lr_min, lr_max = read_range(lrs, loss, np.array([1.0, 1.0]))
    assert np.allclose(lr_min, [1e-2, 1e-4]) and np.allclose(lr_max, [1.0, 1e-1])


def _judge_F3(claim, config, result):
    judges.judge_F3(claim, f_runs={"main": result}, f_tier=LRTier(run=config, seeds=4), seed_base=0)


@pytest.mark.parametrize("max_batch, fewer_updates", [(16384, "reproduced"), (32, "contradicted")])
def test_F3_control_a_batch_that_never_grows_makes_no_fewer_updates(max_batch, fewer_updates, tmp_path):
    """The growing arm capped at its starting batch of 32 is the fixed-rate arm at the cyclic
    arm's batch size: as many updates as the cyclic schedule, so F3's update part fails."""
    from tests.controls import recorder

    config = replace(TIERS["ci"].run, train_size=200, sweep_steps=0, arms=("cyclic", "fixed", "growing"), schedule_epochs=8,
                     range_epochs=1, double_every=2, max_batch=max_batch)
    result = lr_schedules(config, list(range(4)))
    rec = recorder("F3", tmp_path)
    _judge_F3(rec, config, result)
    (updates_part,) = [p for p in rec.parts if "fewer parameter updates" in p.measured]
    assert updates_part.verdict == fewer_updates
