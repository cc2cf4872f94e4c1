"""Negative controls for topic C: each claim's judge, fed control evidence, must not give
the verdict the claim test expects -- so each claim test can fail.

For the claims the suite reproduces, the control evidence is the claim's own experiment
with the ingredient that should matter swapped out (Xavier where the claim wants a tiny
sigma, He where it wants Xavier, no clipping in the clipped arm, BN in both arms, the
training scale at test time) and the combined verdict must not be ``reproduced``. For
the claims the suite finds contradicted (C1, C5), the control is evidence in which the
source's statement holds, and the verdict must then not be ``contradicted``. Controls run
small (few seeds, small batches, one epoch) and never touch the result cache.
"""
from __future__ import annotations

import numpy as np
import pytest

from claims.init_runs import MLP002Run, StackTrain, _train_mlp002, _train_stack, mlp002_data, probe_batch, probe_layers
from claims.test_C_init import (BASE, C6_TRAIN, CLIP_NORM, EXPLODING, LAB_002_TRAIN, NON_SATURATING, SATURATING,
                                judge_C1, judge_C2, judge_C3, judge_C4, judge_C5, judge_C6, judge_C7, judge_C8)
from dataclasses import replace
from tests.controls import recorder, verdict
from deepclaims.verdict import CONTRADICTED, REPRODUCED

SEEDS = list(range(8))


@pytest.fixture(scope="module")
def stats():
    """stats(activation, init, sigma): per-layer statistics of a small probe (8 seeds, 128 images)."""
    x, y, _ = probe_batch(None, 128)
    memo = {}

    def get(act, init, sigma=None):
        key = (act, init, sigma)
        if key not in memo:
            memo[key] = probe_layers(replace(BASE, activation=act, init=init, sigma=sigma), SEEDS, x, y)
        return memo[key]
    return get


def c1_evidence(stats, **override):
    ev = {}
    for act in SATURATING:
        ev[f"{act}_small"] = stats(act, "normal", 0.01)
        ev[f"{act}_large"] = stats(act, "normal", 1.0)
        ev[f"{act}_xavier"] = stats(act, "glorot_normal")
    ev.update(override)
    return ev


def test_C1_real_evidence_is_contradicted_by_large_sigma_gradients(stats, tmp_path):
    rec = recorder("C1", tmp_path)
    judge_C1(rec, c1_evidence(stats))
    assert verdict(rec) == CONTRADICTED
    broken = [p.measured for p in rec.parts if p.verdict != REPRODUCED]
    assert broken and all("N(0, 1.0)" in m and "gradient" in m for m in broken)


def test_C1_control_no_tiny_sigma_no_collapse(stats, tmp_path):
    """Xavier for tanh and N(0, 1) for sigmoid in place of N(0, 0.01). (Sigmoid under
    Xavier is no control: its input-dependent spread collapses too, since sigmoid's
    derivative is at most 1/4 -- the C1 report notes it.)"""
    rec = recorder("C1", tmp_path)
    judge_C1(rec, c1_evidence(stats, tanh_small=stats("tanh", "glorot_normal"),
                              sigmoid_small=stats("sigmoid", "normal", 1.0)))
    collapse = [p for p in rec.parts if "spread" in p.measured]
    assert len(collapse) == 2 and all(p.verdict != REPRODUCED for p in collapse)
    assert verdict(rec) != REPRODUCED


def test_C1_control_world_where_saturated_gradients_vanish(stats, tmp_path):
    """If large-sigma gradients did vanish (here: the saturated stacks' statistics with the
    tiny-sigma stacks' gradients), C1 would reproduce and its test, expecting
    'contradicted', would fail."""
    ev = c1_evidence(stats)
    for act in SATURATING:
        ev[f"{act}_large"] = {**ev[f"{act}_large"], "grad_norm": ev[f"{act}_small"]["grad_norm"]}
    rec = recorder("C1", tmp_path)
    judge_C1(rec, ev)
    assert verdict(rec) == REPRODUCED


def test_C2_control_tiny_sigma_in_place_of_xavier(stats, tmp_path):
    rec = recorder("C2", tmp_path)
    judge_C2(rec, stats("tanh", "glorot_normal"))
    assert verdict(rec) == REPRODUCED
    rec = recorder("C2", tmp_path)
    judge_C2(rec, stats("tanh", "normal", 0.01))
    assert verdict(rec) != REPRODUCED


def _fake_training(loss):
    return {"train_loss": np.asarray(loss, dtype=float)}


def test_C3_control_he_in_place_of_xavier(stats, tmp_path):
    he, xavier = stats("relu", "he_normal"), stats("relu", "glorot_normal")
    same = _fake_training(np.linspace(1.0, 1.2, len(SEEDS)))
    close = _fake_training(np.linspace(1.0, 1.2, len(SEEDS)) + np.linspace(-0.01, 0.01, len(SEEDS)))
    rec = recorder("C3", tmp_path)
    judge_C3(rec, he, xavier, close, same)
    assert verdict(rec) == REPRODUCED
    rec = recorder("C3", tmp_path)
    judge_C3(rec, he, he, same, same)  # no halving without Xavier
    assert verdict(rec) != REPRODUCED


def test_C3_control_he_training_worse(stats, tmp_path):
    he, xavier = stats("relu", "he_normal"), stats("relu", "glorot_normal")
    rec = recorder("C3", tmp_path)
    judge_C3(rec, he, xavier, _fake_training(np.full(8, 2.0) + np.arange(8) * 0.01), _fake_training(np.ones(8)))
    assert verdict(rec) != REPRODUCED


def test_C4_control_swapped_sigmas(stats, tmp_path):
    real = {s: stats("relu", "normal", s) for s in (0.10, 0.14, 0.28)}
    rec = recorder("C4", tmp_path)
    judge_C4(rec, real)
    assert verdict(rec) == REPRODUCED
    rec = recorder("C4", tmp_path)
    judge_C4(rec, {0.10: real[0.14], 0.14: real[0.28], 0.28: real[0.10]})
    assert verdict(rec) != REPRODUCED


def test_C5_control_vanishing_tanh_makes_the_claim_hold(stats, tmp_path):
    """The claim test expects 'contradicted' (tanh's gradients are not smaller in this net);
    with a tanh stack whose gradients do vanish (N(0, 0.01)) the verdict turns."""
    grads = {a: stats(a, "glorot_uniform") for a in SATURATING + NON_SATURATING}
    rec = recorder("C5", tmp_path)
    judge_C5(rec, grads)
    assert verdict(rec) == CONTRADICTED
    rec = recorder("C5", tmp_path)
    judge_C5(rec, {**grads, "tanh": stats("tanh", "normal", 0.01)})
    assert verdict(rec) == REPRODUCED
    rec = recorder("C5", tmp_path)
    judge_C5(rec, {**grads, "relu": grads["sigmoid"]})  # a saturating net in the non-saturating slot
    assert verdict(rec) != REPRODUCED


@pytest.fixture(scope="module")
def clip_arms():
    cfg = replace(C6_TRAIN, epochs=1)
    run = lambda c: _train_stack(StackTrain(EXPLODING, c, 4), list(range(4)))
    return run(cfg), run(replace(cfg, clip_norm=CLIP_NORM))


def test_C6_control_no_clipping_in_the_clipped_arm(clip_arms, tmp_path):
    unclipped, _ = clip_arms
    rec = recorder("C6", tmp_path)
    judge_C6(rec, unclipped, unclipped)
    assert verdict(rec) != REPRODUCED


def test_C6_control_clipped_run_in_the_unclipped_arm(clip_arms, tmp_path):
    _, clipped = clip_arms
    rec = recorder("C6", tmp_path)
    judge_C6(rec, clipped, clipped)
    assert rec.parts[0].verdict != REPRODUCED and verdict(rec) != REPRODUCED


@pytest.fixture(scope="module")
def bn_run():
    """The 002 MLP with BN, 4 seeds, 2 epochs; 'unscaled' inputs at the training scale (factor 1)."""
    data, desc = mlp002_data("digits", None)
    cfg = MLP002Run(desc, True, replace(LAB_002_TRAIN, epochs=2), 4, 1.0)
    return _train_mlp002(cfg, list(range(4)), data)


def test_C7_control_bn_in_both_arms(bn_run, tmp_path):
    rec = recorder("C7", tmp_path)
    judge_C7(rec, bn_run, bn_run)
    assert verdict(rec) != REPRODUCED


def test_C8_control_test_inputs_scaled_like_training(bn_run, tmp_path):
    np.testing.assert_allclose(bn_run["unscaled_acc"], bn_run["val_acc"])
    rec = recorder("C8", tmp_path)
    judge_C8(rec, bn_run)
    assert verdict(rec) != REPRODUCED
