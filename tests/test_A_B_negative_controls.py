"""Negative controls for topics A and B: evidence under which each claim's assertion must fail.

Each control feeds a claim's own judge function with evidence from a set-up that breaks
the claim (a shallow net, a ResNet without skips, the same activation in both arms) and
checks the combined verdict is no longer the one the claim test expects.
"""
from dataclasses import replace

import numpy as np
import pytest

from claims import test_A_depth as A
from claims import test_B_gradients as B
from claims.runs import Run, run
from deepclaims.verdict import REPRODUCED
from tests.controls import judged

CONTROL_SEEDS = 16
CONTROL_EPOCHS = 60


def spirals_run(result_cache, spec, model, epochs=CONTROL_EPOCHS, probe=True):
    config = Run("spirals", model, spec, replace(A.LAB_TRAIN, epochs=epochs), CONTROL_SEEDS, epoch_probe=probe)
    return run(result_cache, "control_A", config, seed_base=0)


@pytest.fixture(scope="module")
def control_runs(result_cache):
    return {
        "shallow_ffnet": spirals_run(result_cache, replace(A.LAB_FFNET, depth=3), "ffnet"),
        "deep_ffnet": spirals_run(result_cache, A.LAB_FFNET, "ffnet"),
        "resnet": spirals_run(result_cache, A.LAB_RESNET, "resnet"),
        "resnet_without_skips": spirals_run(result_cache, A.LAB_RESNET, "resnet_noskip"),
    }


def test_A1_fails_for_a_shallow_ffnet(control_runs, tmp_path):
    assert judged("A1", A.judge_A1, control_runs["shallow_ffnet"], tmp_path=tmp_path) != REPRODUCED


def test_A2_fails_when_the_resnet_loses_its_skips(control_runs, tmp_path):
    verdict = judged("A2", A.judge_A2, control_runs["resnet_without_skips"], control_runs["deep_ffnet"],
                     tmp_path=tmp_path)
    assert verdict != REPRODUCED


def test_A3_fails_when_the_resnet_loses_its_skips(control_runs, tmp_path):
    verdict = judged("A3", A.judge_A3, control_runs["deep_ffnet"], control_runs["resnet_without_skips"],
                     tmp_path=tmp_path)
    assert verdict != REPRODUCED


def test_A4_finding_breaks_if_the_ffnet_bottom_layer_were_frozen(control_runs, tmp_path):
    """A4's test expects 'contradicted' (the FFNet's first layer does move). Evidence in
    which the bottom layer barely moves, as the lab says, must break that expectation."""
    frozen = dict(control_runs["deep_ffnet"])
    change = frozen["weight_change"].copy()
    change[:, :, 0] = change[:, :, -2] * 1e-3
    frozen["weight_change"] = change
    assert judged("A4", A.judge_A4, frozen, control_runs["resnet"], tmp_path=tmp_path) != "contradicted"


def test_A5_fails_when_the_resnet_is_no_deeper(tmp_path):
    depths = [4, 8, 16, 32, 64]
    flags = np.array([[True] * 16, [True] * 16, [True] * 8 + [False] * 8, [False] * 16, [False] * 16])
    assert judged("A5", A.judge_A5, (depths, flags), (depths, flags), tmp_path=tmp_path) != REPRODUCED


def test_A6_fails_when_the_activations_are_swapped(tmp_path):
    depths = [3, 5, 9, 17, 33]
    deep = np.array([[True] * 16] * 4 + [[False] * 16])
    shallow = np.array([[True] * 16] * 2 + [[False] * 16] * 3)
    learned = {"test_acc": np.full(16, 0.9)}
    chance = {"test_acc": np.full(16, 0.5)}
    # tanh trains shallower than ReLU, and the tutorial's two arms trade places.
    evidence = {"tanh": (depths, shallow), "relu_glorot": (depths, deep),
                "tutorial_tanh": learned, "tutorial_relu": chance}
    assert judged("A6", A.judge_A6, evidence, tmp_path=tmp_path) != REPRODUCED


def test_A7_fails_when_both_arms_lack_batch_norm(result_cache, tmp_path):
    plain = spirals_run(result_cache, replace(A.LAB_FFNET, activation="relu", depth=12), "ffnet", probe=False)
    assert judged("A7", A.judge_A7, plain, plain, tmp_path=tmp_path) != REPRODUCED


def test_A8_fails_for_a_wrong_block_count(tmp_path):
    rows, total = A.resnet_summary(A.LAB_RESNET)
    assert judged("A8", A.judge_A8, rows, total, replace(A.LAB_RESNET, depth=19), tmp_path=tmp_path) != REPRODUCED


@pytest.fixture(scope="module")
def relu_digits(result_cache):
    config = Run("digits", "ffnet", replace(B.DIGIT_NET, activation="relu"), replace(B.TRAIN, epochs=8), 8,
                 epoch_probe=True, probe_every_layer=True, step_probe=True)
    return run(result_cache, "control_B", config, seed_base=0)


def test_B1_fails_when_both_nets_use_relu(relu_digits, tmp_path):
    assert judged("B1", B.judge_B1, relu_digits, relu_digits, tmp_path=tmp_path) != REPRODUCED


def test_B2_fails_when_a_gradient_histogram_is_missing(relu_digits, tmp_path):
    broken = dict(relu_digits)
    broken["grads_2"] = broken["grads_2"].copy()
    broken["grads_2"][0, 1, 0] = np.nan
    assert judged("B2", B.judge_B2, {"sigmoid": broken, "relu": relu_digits}, tmp_path=tmp_path) != REPRODUCED


def test_B3_fails_when_iterations_run_backwards(relu_digits, tmp_path):
    """B3's finding is a trend over iterations; reversing time must flip its verdict."""
    forward = judged("B3", B.judge_B3, relu_digits, tmp_path=tmp_path)
    backwards = dict(relu_digits)
    backwards["step_mean_abs_grad"] = relu_digits["step_mean_abs_grad"][:, ::-1]
    assert judged("B3", B.judge_B3, backwards, tmp_path=tmp_path) != forward
