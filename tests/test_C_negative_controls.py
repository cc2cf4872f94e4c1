"""Negative controls for topic C, through the claims' own experiment code.

Each control runs the claim's experiment (the same stacks, probes, plans and trainings
the claim uses, at a small size and outside the result cache) with one
mechanism switched off, swapped, or broken the way a plausible bug would break it, and
asserts that the claim's judge then gives a verdict other than the one the claim test
expects -- so the claim test would fail. Where it matters, the same small run without the
change is checked to give the expected verdict, so the difference is the mechanism's.

Planted bugs use pytest's monkeypatch on the code the experiment calls (the activation
table, the seeds' generators, the model's train/eval switch, the stack's layer trace);
mechanism swaps go through the ``probe_spec`` argument of the evidence builders or the
arms handed to the claims' judges.
"""
from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from claims.c_init.experiments import (ALL_GLOROT_UNIFORM, LAB_002_TRAIN, RECOMMENDED_INIT, SMALL_SIGMA, TIERS,
                                       UNSCALED_FACTOR, budget_run, c1_stacks, c5_stacks, clipping_plan, evidence,
                                       mlp002_plan, normal, scheme)
from claims.c_init.judges import (clipping_tames, collapse_saturate_vanish, he_holds_relu, judge_C6, judge_C7, judge_C8,
                                  non_saturating_far_larger, sigmas_shrink_hold_grow, tanh_spread_held,
                                  unscaled_inputs_degrade)
from claims.c_init.runs import MLP002Run, ProbeRun, probe_stack, train_mlp002, train_stack
from claims.expected import EXPECTED
from deepclaims import batched, seeding
from deepclaims.experiment import RunEnvironment
from deepclaims.verdict import REPRODUCED
from models.init_stacks import InitStack
from models.mlp002 import MLP002
from tests.controls import recorder, verdict
from tests.plan_runs import compute_plan
from tests.init_stack_fixtures import one_thread  # noqa: F401 (fixtures)

SEEDS = list(range(8))


def expected(claim_id: str) -> str:
    return EXPECTED[claim_id].verdict if claim_id in EXPECTED else REPRODUCED


@pytest.fixture
def probe():
    """probe(spec): the claims' probe experiment on 8 seeds and the first 128 images of the
    stand-in batch, computed afresh (outside the cache), so a bug planted by the test is in the path."""
    return lambda spec: probe_stack(ProbeRun(spec=spec, images=128), SEEDS)


def c1_evidence(probe_spec) -> dict:
    return evidence(probe_spec, c1_stacks())


def c5_evidence(probe_spec, inits: dict[str, str]) -> dict:
    return evidence(probe_spec, c5_stacks(inits))


def swapped(probe_spec, swaps: dict):
    """A probe that runs another stack in place of the ones named in ``swaps``."""
    return lambda spec: probe_spec(swaps.get(spec, spec))


def judged(claim_id: str, judge, *results, tmp_path, **options) -> str:
    rec = recorder(claim_id, tmp_path)
    judge(rec, *results, **options)
    return verdict(rec)


def same_weights_for_every_seed(monkeypatch):
    """Planted bug: every seed draws seed 0's weights (intervals of zero width)."""
    real = seeding.generators
    monkeypatch.setattr(seeding, "generators", lambda seeds, stream: real([0] * len(list(seeds)), stream))


# ------------------------------------------------------------------- C1 (expected contradicted)

def test_C1_unchanged_run_gives_the_expected_verdict(probe, tmp_path):
    assert judged("C1", collapse_saturate_vanish, c1_evidence(probe), tmp_path=tmp_path) == expected("C1")


def test_C1_control_probe_reads_one_layer_for_all(probe, monkeypatch, tmp_path):
    """Planted bug: the trace hands back the last hidden layer for every layer, and the
    gradient probe reads that layer's weights for every layer. The layer ratios are then
    exactly 0 for every seed, which the judges refuse, so C1 is no longer 'contradicted'."""
    real_trace = InitStack.trace

    def last_layer_for_all(self, x):
        logits, pre, post = real_trace(self, x)
        return logits, [pre[-1]] * len(pre), [post[-1]] * len(post)

    monkeypatch.setattr(InitStack, "trace", last_layer_for_all)
    monkeypatch.setattr(InitStack, "dense_layers", lambda self: [("layer", self.layers[-1])] * (len(self.layers) + 1))
    assert judged("C1", collapse_saturate_vanish, c1_evidence(probe), tmp_path=tmp_path) != expected("C1")


def test_C1_control_every_seed_draws_the_same_weights(probe, monkeypatch, tmp_path):
    same_weights_for_every_seed(monkeypatch)
    assert judged("C1", collapse_saturate_vanish, c1_evidence(probe), tmp_path=tmp_path) != expected("C1")


def test_C1_control_no_tiny_sigma_no_collapse(probe, tmp_path):
    """Mechanism off: Glorot-normal in place of N(0, 0.01) for tanh, N(0, 1) for sigmoid
    (sigmoid under Glorot collapses too: its derivative is at most 1/4). The collapse
    parts, reproduced in the claim test, then fail."""
    swaps = {normal("tanh", SMALL_SIGMA): scheme("tanh", "glorot_normal"),
             normal("sigmoid", SMALL_SIGMA): normal("sigmoid", 1.0)}
    rec = recorder("C1", tmp_path)
    collapse_saturate_vanish(rec, c1_evidence(swapped(probe, swaps)))
    collapse = [p for p in rec.parts if "spread" in p.measured]
    assert len(collapse) == 2 and all(p.verdict != REPRODUCED for p in collapse)


def test_C1_control_sigmoid_arm_built_as_relu(probe, monkeypatch, tmp_path):
    """Planted bug: the sigmoid arm computes ReLU. Its N(0, 0.01) gradients then no longer
    vanish (a ReLU stack's weight gradients are equal across layers), so the one gradient
    part the claim test finds reproduced fails."""
    monkeypatch.setitem(batched.ACTIVATIONS, "sigmoid", torch.relu)
    rec = recorder("C1", tmp_path)
    collapse_saturate_vanish(rec, c1_evidence(probe))
    part = next(p for p in rec.parts if p.measured.startswith(f"sigmoid, N(0, {SMALL_SIGMA}): log10 weight-gradient"))
    assert part.verdict != REPRODUCED


# ------------------------------------------------------------------- C2

def test_C2_control_tiny_sigma_in_place_of_xavier(probe, tmp_path):
    assert judged("C2", tanh_spread_held, probe(scheme("tanh", "glorot_normal")), tmp_path=tmp_path) == expected("C2")
    assert judged("C2", tanh_spread_held, probe(normal("tanh", SMALL_SIGMA)), tmp_path=tmp_path) != expected("C2")


# ------------------------------------------------------------------- C3

def c3_verdict(probe, tmp_path, he_init: str = "he_normal") -> str:
    """C3's experiment at a small size: the probes and the training budget, with ``he_init``
    in He's place."""
    small_tier = SimpleNamespace(c3_epochs=2)
    train = lambda init: train_stack(budget_run(init, small_tier), SEEDS)
    return judged("C3", he_holds_relu, probe(scheme("relu", he_init)), probe(scheme("relu", "glorot_normal")),
                  train(he_init), train("glorot_normal"), tmp_path=tmp_path)


def test_C3_unchanged_run_gives_the_expected_verdict(probe, tmp_path):
    assert c3_verdict(probe, tmp_path) == expected("C3")


def test_C3_control_xavier_in_place_of_he(probe, tmp_path):
    assert c3_verdict(probe, tmp_path, he_init="glorot_normal") != expected("C3")


# ------------------------------------------------------------------- C4

def test_C4_control_swapped_sigmas(probe, tmp_path):
    sigmas = (0.10, 0.14, 0.28)
    unchanged = {s: probe(normal("relu", s)) for s in sigmas}
    assert judged("C4", sigmas_shrink_hold_grow, unchanged, tmp_path=tmp_path) == expected("C4")
    swaps = {normal("relu", 0.10): normal("relu", 0.28), normal("relu", 0.28): normal("relu", 0.10)}
    ev = {s: swapped(probe, swaps)(normal("relu", s)) for s in sigmas}
    assert judged("C4", sigmas_shrink_hold_grow, ev, tmp_path=tmp_path) != expected("C4")


# ------------------------------------------------------------------- C5 (expected contradicted)

def c5_verdict(probe, tmp_path) -> str:
    """C5's verdict on the probes of each activation under its recommended initialiser."""
    return judged("C5", non_saturating_far_larger, c5_evidence(probe, RECOMMENDED_INIT), tmp_path=tmp_path)


def test_C5_unchanged_run_gives_the_expected_verdict(probe, tmp_path):
    assert c5_verdict(probe, tmp_path) == expected("C5")


def test_C5_control_tanh_arm_built_as_sigmoid(probe, monkeypatch, tmp_path):
    """Planted bug: the tanh arm computes sigmoid, whose gradients do vanish. The claim then
    reads 'reproduced', and the claim test, expecting the finding, fails."""
    monkeypatch.setitem(batched.ACTIVATIONS, "tanh", torch.sigmoid)
    assert c5_verdict(probe, tmp_path) != expected("C5")


def test_C5_control_every_seed_draws_the_same_weights(probe, monkeypatch, tmp_path):
    same_weights_for_every_seed(monkeypatch)
    assert c5_verdict(probe, tmp_path) != expected("C5")


def test_C5_control_saturating_net_in_the_relu_slot(probe, tmp_path):
    """Mechanism swapped: the non-saturating slots run sigmoid stacks."""
    swaps = {scheme(a, i): scheme("sigmoid", "glorot_normal") for a, i in RECOMMENDED_INIT.items()
             if a not in ("sigmoid", "tanh")}
    ev = c5_evidence(swapped(probe, swaps), RECOMMENDED_INIT)
    rec = recorder("C5", tmp_path)
    non_saturating_far_larger(rec, ev)
    against_sigmoid = [p for p in rec.parts if p.measured.endswith("/ sigmoid (same seeds)")]
    assert against_sigmoid and all(p.verdict != REPRODUCED for p in against_sigmoid)


# ------------------------------------------------------------------- C6

# The C6 and C7 / C8 arms come from the claims' own plans at a small tier, and the claims'
# judges read them as the claim test's fixtures hand them over.
SMALL_TIER = replace(TIERS["ci"], train_seeds=len(SEEDS), c6_epochs=1, c7_seeds=len(SEEDS), c7_epochs=4)


def run_plan(plan) -> dict:
    """A plan's experiments at SMALL_TIER, seeds 0..7, computed afresh (outside the cache)."""
    return compute_plan(plan(SMALL_TIER, RunEnvironment()))


def judged_on(claim_id: str, judge, tmp_path, **fixtures) -> str:
    """The verdict of a claim's judge on fixture-shaped values at SMALL_TIER, seed base 0."""
    return judged(claim_id, judge, tmp_path=tmp_path, c_tier=SMALL_TIER, seed_base=0, **fixtures)


@pytest.fixture(scope="module")
def c6_arms():
    """C6's two arms at a small size (8 seeds, 1 epoch)."""
    return run_plan(clipping_plan)


def test_C6_unchanged_run_gives_the_expected_verdict(c6_arms, tmp_path):
    assert judged_on("C6", judge_C6, tmp_path, c_clipping=c6_arms) == expected("C6")


# One arm in both places: C6's parts (its notes read the clipped arm's gradient norms, which
# an unclipped run does not record).

def test_C6_control_clipping_off_in_both_arms(c6_arms, tmp_path):
    assert judged("C6", clipping_tames, c6_arms["unclipped"], c6_arms["unclipped"], tmp_path=tmp_path) != expected("C6")


def test_C6_control_clipping_on_in_both_arms(c6_arms, tmp_path):
    assert judged("C6", clipping_tames, c6_arms["clipped"], c6_arms["clipped"], tmp_path=tmp_path) != expected("C6")


# ------------------------------------------------------------------- C7, C8

def mlp002_run(batch_norm: bool, scale: float = UNSCALED_FACTOR, epochs: int = 4):
    """The 002 MLP on the embedded digits, 8 seeds, through the claims' training code."""
    return train_mlp002(MLP002Run(dataset="digits", batch_norm=batch_norm,
                                  train=replace(LAB_002_TRAIN, epochs=epochs), mismatch_scale=scale), SEEDS)


@pytest.fixture(scope="module")
def mlp002_arms():
    """The 002 MLP with and without BN at a small size (8 seeds, 4 epochs)."""
    return run_plan(mlp002_plan)


def test_C7_C8_unchanged_runs_give_the_expected_verdicts(mlp002_arms, tmp_path):
    assert judged_on("C7", judge_C7, tmp_path, c_mlp002=mlp002_arms) == expected("C7")
    assert judged_on("C8", judge_C8, tmp_path, c_mlp002=mlp002_arms) == expected("C8")


def test_C7_control_bn_off_in_both_arms(mlp002_arms, tmp_path):
    arms = {"bn": mlp002_arms["plain"], "plain": mlp002_arms["plain"]}
    assert judged_on("C7", judge_C7, tmp_path, c_mlp002=arms) != expected("C7")


def test_C8_control_evaluated_in_train_mode(monkeypatch, tmp_path):
    """Planted bug (issue 9): BN evaluated on the batch's own statistics. The x255 batch
    is then normalised back to the training scale and the drop disappears; under the old
    'any drop above 0' threshold C8 still read 'reproduced'."""
    monkeypatch.setattr(MLP002, "train", lambda self, mode=True: nn.Module.train(self, True))
    assert judged("C8", unscaled_inputs_degrade, mlp002_run(True), tmp_path=tmp_path) != expected("C8")


def test_C8_control_inputs_scaled_in_both_arms(tmp_path):
    run = mlp002_run(True, scale=1.0)
    assert (run["unscaled_acc"] == run["val_acc"]).all()
    assert judged("C8", unscaled_inputs_degrade, run, tmp_path=tmp_path) != expected("C8")


def test_C6_control_every_seed_draws_the_same_weights(monkeypatch, tmp_path):
    """Ten identical runs would count as 10 / 10 trained; the accuracies' interval refuses them."""
    same_weights_for_every_seed(monkeypatch)
    assert judged_on("C6", judge_C6, tmp_path, c_clipping=run_plan(clipping_plan)) != expected("C6")


# ------------------------------------------------------------------- the issue-9 fixes, pinned

def test_C1_vanishing_is_judged_within_one_net(probe, tmp_path):
    """Sigmoid under Glorot-normal vanishes within its own net (first hidden layer's weight
    gradient about 300 times below the last's). Judged against Glorot-normal itself, as
    before issue 9, it showed nothing; the within-net criterion must see it."""
    ev = c1_evidence(probe)
    ev["sigmoid_small"] = ev["sigmoid_xavier"]
    rec = recorder("C1", tmp_path)
    collapse_saturate_vanish(rec, ev)
    part = next(p for p in rec.parts if p.measured.startswith(f"sigmoid, N(0, {SMALL_SIGMA}): log10 weight-gradient"))
    assert part.verdict == REPRODUCED and part.estimate.high < -2


def test_C5_relu_gradient_exceeds_tanh_under_recommended_init(probe, tmp_path):
    """Under each activation's recommended initialiser ReLU's first-layer gradient is larger
    than tanh's; only with tanh's Glorot-uniform forced on ReLU (the pre-issue-9 set-up) is
    it smaller. Pins the set-up C5 is judged under."""
    def relu_over_tanh(inits):
        rec = recorder("C5", tmp_path)
        non_saturating_far_larger(rec, c5_evidence(probe, inits))
        return next(p for p in rec.parts if p.measured.startswith("log10 first-layer gradient norm, relu / tanh"))
    assert relu_over_tanh(RECOMMENDED_INIT).estimate.low > 0
    assert relu_over_tanh(ALL_GLOROT_UNIFORM).estimate.high < 0


def lab_shaped_arms(plain_loss_shift: float = 0.0, plain_acc_shift: float = 0.0) -> dict:
    """C7/C8 evidence shaped as the lab run on Fashion-MNIST recorded it (8 seeds, 15 epochs:
    BN loss 0.507 after epoch 1, without BN 0.656 then 0.466; final accuracy 0.888 / 0.885),
    with the net without BN optionally made worse."""
    import numpy as np

    rng = np.random.default_rng(0)
    epochs = np.arange(15)
    def arm(loss0: float, acc: float) -> dict:
        loss = loss0 * (0.75 ** np.minimum(epochs, 3))[None, :] + rng.normal(0, 0.002, (8, 15))
        curve = np.clip(acc - 0.02 * np.exp(-epochs / 3)[None, :] + rng.normal(0, 0.002, (8, 15)), 0, 1)
        return {"epoch_loss": loss, "val_acc_curve": curve, "val_acc": curve[:, -1], "val_loss": loss[:, -1],
                "unscaled_acc": curve[:, -1] - 0.087, "unscaled_loss": loss[:, -1] * 250,
                "dataset": np.array(["Fashion-MNIST (/usr/share/datasets/fashion-mnist), 55000/5000"] * 8)}
    return {"bn": arm(0.507, 0.888), "plain": arm(0.656 + plain_loss_shift, 0.885 + plain_acc_shift)}


def test_C7_lab_finding_flips_when_the_net_without_bn_is_held_back(tmp_path):
    """The lab finding (contradicted) is read from evidence shaped as the lab run's; the same
    judge reads reproduced once the net without BN trains a full epoch behind and ends 3
    points lower, so the finding comes from the measured gap, not from the judge."""
    from claims.expected import expectations

    lab = TIERS["lab"]
    as_measured = judged("C7", judge_C7, tmp_path=tmp_path, c_tier=lab, seed_base=0, c_mlp002=lab_shaped_arms())
    assert as_measured == expectations("lab")["C7"].verdict == "contradicted"
    held_back = lab_shaped_arms(plain_loss_shift=0.4, plain_acc_shift=-0.03)
    assert judged("C7", judge_C7, tmp_path=tmp_path, c_tier=lab, seed_base=0, c_mlp002=held_back) == REPRODUCED
