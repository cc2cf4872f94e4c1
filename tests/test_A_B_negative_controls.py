"""Negative controls for topics A and B, through the claims' own plans and judges.

Each control builds a claim's evidence with the plan functions the claim's fixtures use,
with one mechanism switched off or swapped (a shallow FFNet, a ResNet without its skips,
a learning rate near zero, one activation in both arms, no batch norm in either arm, a
probe that keeps two layers), judges it with the claim's own judge, and checks the verdict
is no longer the one the claim test expects. Where the control's smaller configuration
has the power, the same configuration with the mechanism intact is judged too and must
give the expected verdict, so the mechanism, not the configuration, made the difference.
"""
from dataclasses import replace

import pytest

from claims.a_depth import experiments as A
from claims.a_depth import judges as A_judges
from claims.b_gradients import experiments as B
from claims.b_gradients import judges as B_judges
from claims.expected import EXPECTED
from claims.runs import train_dense
from deepclaims.experiment import Planned
from deepclaims.verdict import REPRODUCED
from tests.controls import judged, recorder, verdict
from tests.plan_runs import CPU, run_plan

# A smaller configuration of the claims' tier for the controls (same code, fewer runs), at ci's
# 100 epochs: at 60 the intact A3 control read -2.41 [-3.37, -1.45] on this machine's CPU, not
# clear of its -2 threshold (the deep tanh FFNet's training differs in the last digits between
# CPUs, and 16 seeds at 60 epochs left no margin); at 100 it reads -3.12 [-3.73, -2.51].
CONTROL = replace(A.TIERS["ci"], epochs=100, seeds=16, sweep_epochs=50, sweep_seeds=16,
                  ffnet_depths=(4, 16, 32, 48), resnet_blocks=(4, 8, 16, 32), relu_depths=(2, 8, 16),
                  tutorial_epochs=100, bn_depth=12, outcome_seeds=16, row_seeds=4, reference_seeds=2)
NEAR_ZERO_LR = 1e-7   # 'the learning rate silently near zero' of issue 9
B_CONTROL = B.TIERS["ci"]


def expected(claim_id: str) -> str:
    return EXPECTED[claim_id].verdict if claim_id in EXPECTED else REPRODUCED


def judged_on(claim_id: str, judge, tmp_path, **fixtures) -> str:
    """The verdict ``judge`` reaches on fixture-shaped evidence, passed by fixture name."""
    rec = recorder(claim_id, tmp_path)
    judge(rec, **fixtures)
    return verdict(rec)


def pair_member(spec, model) -> Planned:
    """One net trained as the lab pair is (with per-epoch probes), at the control's tier."""
    return Planned(train_dense, A.lab_run(spec, model, CONTROL, CPU, probe=True), CONTROL.seeds)


@pytest.fixture(scope="module")
def lab_nets(result_cache):
    """The lab pair's nets and their broken variants, each trained as the pair is."""
    return run_plan({"ffnet": pair_member(A.LAB_FFNET, "ffnet"),
                     "resnet": pair_member(A.LAB_RESNET, "resnet"),
                     "resnet_without_skips": pair_member(A.LAB_RESNET, "resnet_noskip"),
                     "shallow_ffnet": pair_member(replace(A.LAB_FFNET, depth=3), "ffnet"),
                     "sigmoid_ffnet": pair_member(replace(A.LAB_FFNET, activation="sigmoid"), "ffnet")},
                    result_cache)


def pair(lab_nets, ffnet: str = "ffnet", resnet: str = "resnet") -> dict:
    """An ``a_lab_pair`` fixture value made of two of the control's nets."""
    return {"ffnet": lab_nets[ffnet], "resnet": lab_nets[resnet]}


def judged_pair(claim_id: str, judge, pair_value: dict, tmp_path, **more) -> str:
    return judged_on(claim_id, judge, tmp_path, a_lab_pair=pair_value, a_tier=CONTROL, seed_base=0, **more)


def test_A1_fails_for_a_shallow_ffnet(lab_nets, tmp_path):
    """(16 runs are too few to decide A1 for the lab's FFNet, whose runs learn about a third
    of the time: the claim test uses 96; a 4-layer FFNet learns in nearly every run.)"""
    shallow = pair(lab_nets, ffnet="shallow_ffnet")
    assert judged_pair("A1", A_judges.judge_A1, shallow, tmp_path, a_ffnet_outcomes={}) != expected("A1")


def test_A2_fails_when_the_resnet_loses_its_skips(lab_nets, tmp_path):
    assert judged_pair("A2", A_judges.judge_A2, pair(lab_nets), tmp_path) == expected("A2")
    broken = judged_pair("A2", A_judges.judge_A2, pair(lab_nets, resnet="resnet_without_skips"), tmp_path)
    assert broken != expected("A2")


def test_A3_fails_when_the_resnet_loses_its_skips(lab_nets, tmp_path):
    assert judged_pair("A3", A_judges.judge_A3, pair(lab_nets), tmp_path) == expected("A3")
    broken = judged_pair("A3", A_judges.judge_A3, pair(lab_nets, resnet="resnet_without_skips"), tmp_path)
    assert broken != expected("A3")


def test_A4_finding_does_not_survive_a_ffnet_whose_bottom_layers_do_stall(lab_nets, tmp_path):
    """A4 expects 'contradicted': the tanh FFNet's first layer moves more than its last.
    A deep sigmoid FFNet (sigmoid's derivative is at most 1/4, so its bottom layers get
    almost no gradient) is the case the lab describes; run through the same code, the
    finding must not hold for it. The parts that decide A4 are judged here, not the whole
    judge: its sensitivity rows retrain the lab's FFNet, and its note on the first layers'
    ratio has no floor, so a first layer that never moves at all (this net's, in float32)
    would divide by zero there."""
    change = lambda name: lab_nets[name]["final_weight_change"]
    parts = A_judges.weight_change_parts
    assert judged("A4", parts, change("ffnet"), change("resnet"), tmp_path=tmp_path) == expected("A4")
    assert judged("A4", parts, change("sigmoid_ffnet"), change("resnet"), tmp_path=tmp_path) != expected("A4")


# The depth sweeps' controls: the ResNet's sweep must reach past where it stops training
# for A5 to be decided. At CONTROL's four shallow depths every ResNet run trains, the sweep
# is censored and A5 reads 'not reproduced' with every mechanism intact, so a control there
# could not tell a broken mechanism from an intact one.
SWEEP_CONTROL = replace(CONTROL, resnet_blocks=(4, 8, 16, 32, 64, 96))


def sweeps_verdict(claim_id: str, tmp_path, result_cache, lr: float = A.LAB_TRAIN.lr,
                   resnet_model: str = "resnet", activations: tuple[str, str] = ("tanh", "relu")) -> str:
    """A5's or A6's verdict on the sweeps (and A6's tutorial) built with these options."""
    fixtures = {"a_tanh_sweeps": run_plan(A.tanh_sweeps_plan(SWEEP_CONTROL, CPU, lr=lr, resnet_model=resnet_model),
                                          result_cache)}
    judge = A_judges.judge_A5
    if claim_id == "A6":
        judge = A_judges.judge_A6
        fixtures["a_relu_runs"] = run_plan(A.relu_runs_plan(SWEEP_CONTROL, CPU, lr=lr, activations=activations),
                                           result_cache)
    return judged_on(claim_id, judge, tmp_path, a_tier=SWEEP_CONTROL, seed_base=0, **fixtures)


@pytest.mark.parametrize("claim_id", ["A5", "A6"])
def test_the_sweep_controls_configuration_gives_the_expected_verdict_when_intact(claim_id, result_cache, tmp_path):
    """So each control below fails because of its broken mechanism alone."""
    assert sweeps_verdict(claim_id, tmp_path, result_cache) == expected(claim_id)


@pytest.mark.parametrize("claim_id", ["A5", "A6"])
def test_A5_A6_fail_with_a_learning_rate_near_zero(claim_id, result_cache, tmp_path):
    """No depth trains, so there is no maximum trainable depth to compare (once, both
    sweeps 'crossed' at their shallowest depth and A5 read 'reproduced' with [4, 4])."""
    assert sweeps_verdict(claim_id, tmp_path, result_cache, lr=NEAR_ZERO_LR) != expected(claim_id)


def test_A5_fails_when_the_resnet_loses_its_skips(result_cache, tmp_path):
    assert sweeps_verdict("A5", tmp_path, result_cache, resnet_model="resnet_noskip") != expected("A5")


def test_A6_fails_when_the_tutorial_arms_swap_activations(result_cache, tmp_path):
    """The tutorial's tanh arm built with ReLU and its ReLU arm with tanh (same inits)."""
    assert sweeps_verdict("A6", tmp_path, result_cache, activations=("relu", "tanh")) != expected("A6")


# A7 at ci's own pair (48 seeds, 16 hidden layers): the share of runs that learn must rise by
# ten points (its smallest effect), which the control's 16 seeds at 12 layers leave undecided
# (about 51 seeds would decide it). The intact pair is the one ``pytest claims/`` caches.
A7_CONTROL = replace(CONTROL, bn_seeds=A.TIERS["ci"].bn_seeds, bn_depth=A.TIERS["ci"].bn_depth)


def test_A7_fails_when_both_arms_lack_batch_norm(result_cache, tmp_path):
    intact = run_plan(A.bn_pair_plan(A7_CONTROL, CPU), result_cache)
    assert judged_on("A7", A_judges.judge_A7, tmp_path, a_bn_pair=intact, a_tier=A7_CONTROL,
                     seed_base=0) == expected("A7")
    broken = run_plan(A.bn_pair_plan(A7_CONTROL, CPU, with_bn=False), result_cache)
    assert judged_on("A7", A_judges.judge_A7, tmp_path, a_bn_pair=broken, a_tier=A7_CONTROL,
                     seed_base=0) != expected("A7")


def test_A8_fails_for_a_wrong_block_count(tmp_path):
    """A8's judge reads the lab ResNet itself; its parts are checked here against the
    arithmetic for 19 blocks, which the 20-block module must not match."""
    rows, total = A_judges.resnet_summary(A.LAB_RESNET)
    wrong = replace(A.LAB_RESNET, depth=19)
    assert judged("A8", A_judges.resnet_summary_parts, rows, total, wrong, tmp_path=tmp_path) != REPRODUCED


def gradient_evidence(result_cache, **plan_options) -> dict:
    """B's two fixtures (``gradient_runs``, ``longer_runs``) at the control tier, built
    with the given plan options (``arms``, ``every_layer``)."""
    return {"gradient_runs": run_plan(B.gradient_plan(B_CONTROL, CPU, **plan_options), result_cache),
            "longer_runs": run_plan(B.gradient_plan(B.longer_budget(B_CONTROL), CPU, **plan_options), result_cache)}


def judged_B(claim_id: str, judge, tmp_path, **fixtures) -> str:
    return judged_on(claim_id, judge, tmp_path, b_tier=B_CONTROL, seed_base=0, **fixtures)


def test_B1_fails_when_both_arms_are_built_with_relu(result_cache, tmp_path):
    assert judged_B("B1", B_judges.judge_B1, tmp_path, **gradient_evidence(result_cache)) == expected("B1")
    broken = gradient_evidence(result_cache, arms={"sigmoid": "relu", "relu": "relu"})
    assert judged_B("B1", B_judges.judge_B1, tmp_path, **broken) != expected("B1")


def test_B2_fails_when_the_probe_keeps_only_the_bottom_and_top_layers(result_cache, tmp_path):
    broken = run_plan(B.gradient_plan(B_CONTROL, CPU, every_layer=False), result_cache)
    assert judged_B("B2", B_judges.judge_B2, tmp_path, gradient_runs=broken) != expected("B2")


def with_relu_steps_reversed(runs: dict) -> dict:
    relu = runs["relu"]
    return {**runs, "relu": dict(relu, step_mean_abs_grad=relu["step_mean_abs_grad"][:, ::-1])}


def test_B3_verdict_flips_when_iterations_run_backwards(result_cache, tmp_path):
    """B3's finding is a trend over iterations; the same gradients in reverse order must not
    give it (a check of the judge on real evidence: no mechanism of training sets the sign)."""
    evidence = gradient_evidence(result_cache)
    assert judged_B("B3", B_judges.judge_B3, tmp_path, **evidence) == expected("B3")
    backwards = {fixture: with_relu_steps_reversed(runs) for fixture, runs in evidence.items()}
    assert judged_B("B3", B_judges.judge_B3, tmp_path, **backwards) != expected("B3")
