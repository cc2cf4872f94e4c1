"""Negative controls for topic G, through the claims' own experiments and judges.

- G1 fails against a deliberately wrong reference (epsilon inside the square root;
  Adam without bias correction), and holds with the papers' rules on the same cases.
- G2 reads contradicted when Adam barely trains (a ten-thousandth of its rate) and
  reproduced when every other method is crippled so, so its verdict follows the runs;
- G3 fails when dropout is switched off in one arm (its dropout arm trains the plain net),
  and holds on the same small plan with dropout on.
- G5 fails when the nets are evaluated in training mode (dropout masks drawn at test time,
  no test-time scaling), and holds when they are evaluated in eval mode; it also fails
  when the nets are evaluated in eval mode but without the x p test-time scaling (the
  mismatched rule, planted two ways), which the comparison with one dropout mask alone let
  pass (the unscaled nets still beat one mask).

The small plan (width 32, 5 epochs, 8 seeds, no learning-rate search) is the claims' own
``runs_plan`` on a small tier, so each control fails for the mechanism it switches off,
not for lack of power: the intact run beside it reproduces the claim.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from claims.g_optimisers import judges as G
from claims.g_optimisers import runs
from claims.g_optimisers.experiments import METHODS, OptimiserTier, arm_key, rules_plan, runs_plan
from claims.g_optimisers.rules import RULES, draw_case, rule_errors
from deepclaims.dropout import SeedDropout, set_dropout_rule
from deepclaims.experiment import RunEnvironment
from deepclaims.training import evaluate, per_seed_accuracy, per_seed_loss, per_seed_view
from deepclaims.verdict import REPRODUCED
from tests.controls import judged, recorder, verdict
from tests.plan_runs import compute_plan

SMALL = OptimiserTier(dataset="digits", width=32, epochs=5, seeds=8, tuning_seeds=0, lr_grid=(0.0,), rule_cases=64)


# ---------------------------------------------------------------- G1

def adam_without_bias_correction(param, grad, state, *, lr, beta1, beta2, eps, weight_decay=0.0):
    t = state.get("step", 0) + 1
    g = grad + weight_decay * param
    m = beta1 * state.get("m", torch.zeros_like(param)) + (1 - beta1) * g
    v = beta2 * state.get("v", torch.zeros_like(param)) + (1 - beta2) * g * g
    return param - lr * m / (v.sqrt() + eps), {"step": t, "m": m, "v": v}


def rmsprop_eps_inside_root(param, grad, state, *, lr, rho, eps, weight_decay=0.0):
    g = grad + weight_decay * param
    mean_sq = rho * state.get("mean_sq", torch.zeros_like(param)) + (1 - rho) * g * g
    return param - lr * g / (mean_sq + eps).sqrt(), {"mean_sq": mean_sq}


@pytest.fixture(scope="module")
def intact_rules():
    return compute_plan(rules_plan(SMALL, RunEnvironment()))


def test_G1_holds_with_the_papers_rules(intact_rules, tmp_path):
    assert judged("G1", G.judge_G1, intact_rules, SMALL, 0, tmp_path=tmp_path) == "reproduced"


@pytest.mark.parametrize("method, wrong", [("adam", adam_without_bias_correction),
                                           ("rmsprop", rmsprop_eps_inside_root)])
def test_G1_fails_against_a_wrong_reference(intact_rules, method, wrong, tmp_path):
    seeds = list(range(SMALL.rule_cases))
    broken = dict(intact_rules)
    broken[method] = {"max_rel_error": rule_errors(method, seeds, reference=wrong),
                      "steps": intact_rules[method]["steps"]}
    assert judged("G1", G.judge_G1, broken, SMALL, 0, tmp_path=tmp_path) == "contradicted"


def test_G1_cases_change_with_the_seed():
    """Another seed base checks other cases (hyper-parameters and starting points)."""
    first, other = (draw_case(seed, RULES["adam"], 6) for seed in (0, 1000))
    assert first[2] != other[2] and first[0].tolist() != other[0].tolist()
    assert draw_case(0, RULES["adam"], 6)[2] == first[2]       # and one seed always draws the same case


# ---------------------------------------------------------------- G3 and G5

@pytest.fixture(scope="module")
def intact_runs():
    return compute_plan(runs_plan(SMALL, RunEnvironment()))


def test_G3_holds_with_dropout_on(intact_runs, tmp_path):
    assert judged("G3", G.judge_G3, intact_runs, SMALL, 0, tmp_path=tmp_path) == "reproduced"


def test_G3_fails_when_one_arm_has_no_dropout(intact_runs, tmp_path):
    plan = runs_plan(SMALL, RunEnvironment())
    key = arm_key("adam", "dropout")
    switched_off = replace(plan[key], config=replace(plan[key].config, input_rate=0.0, hidden_rate=0.0))
    broken = {**intact_runs, key: compute_plan({key: switched_off})[key]}
    assert judged("G3", G.judge_G3, broken, SMALL, 0, tmp_path=tmp_path) != "reproduced"


def test_G5_holds_in_eval_mode(intact_runs, tmp_path):
    assert judged("G5", G.judge_G5, intact_runs, SMALL, 0, tmp_path=tmp_path) == "reproduced"


def evaluate_in_train_mode(model, x, y, loss):
    """The planted bug: test scores with dropout active (model.train()), as a net left in
    training mode is evaluated."""
    model.train()
    xs, ys = per_seed_view(x, y, model.n_seeds)
    with torch.no_grad():
        logits = model(xs)
    return per_seed_loss(logits, ys, loss).numpy(), per_seed_accuracy(logits, ys, loss).numpy()


def test_G5_fails_when_evaluated_in_train_mode(monkeypatch, tmp_path):
    monkeypatch.setattr(runs, "evaluate", evaluate_in_train_mode)
    plan = runs_plan(SMALL, RunEnvironment())
    broken = compute_plan({arm_key(m, arm): plan[arm_key(m, arm)] for m in METHODS for arm in ("no_dropout", "dropout")})
    assert judged("G5", G.judge_G5, broken, SMALL, 0, tmp_path=tmp_path) != "reproduced"


def evaluate_without_scaling(model, x, y, loss):
    """Planted bug 1: the evaluation switches the dropout layers to the inverted rule (no
    x p at test time) for a net trained under weight scaling, and switches them back after,
    so nothing outside the evaluation sees the mistake."""
    set_dropout_rule(model, "inverted")
    try:
        return evaluate(model, x, y, loss)
    finally:
        set_dropout_rule(model, "weight_scaling")


def unscaled_test_time_forward(self, x):
    """Planted bug 2: the dropout layer's test-time branch forgets the x p (training unchanged)."""
    if not self.training or self.rate == 0.0:
        return x
    return self.apply_mask(x, self._mask_like(x))


@pytest.mark.parametrize("plant", ["evaluation_switches_the_rule", "layer_forgets_the_scaling"])
def test_G5_fails_under_the_wrong_test_time_scaling(intact_runs, plant, monkeypatch, tmp_path):
    """Evaluated without the x p, the dropout nets still beat one mask (the parts G5 had
    before) but their test-time outputs are 1/p times the training-time mask average, so
    G5 reads contradicted; the intact runs read reproduced (test_G5_holds_in_eval_mode)."""
    if plant == "evaluation_switches_the_rule":
        monkeypatch.setattr(runs, "evaluate", evaluate_without_scaling)
    else:
        monkeypatch.setattr(SeedDropout, "forward", unscaled_test_time_forward)
    plan = runs_plan(SMALL, RunEnvironment())
    keys = [arm_key(m, "dropout") for m in METHODS]
    broken = {**intact_runs, **compute_plan({k: plan[k] for k in keys})}
    rec = recorder("G5", tmp_path)
    G.judge_G5(rec, broken, SMALL, 0)
    assert verdict(rec) == "contradicted"
    one_mask = [p for p in rec.parts if "one dropout mask" in p.measured]
    assert one_mask and all(p.verdict == REPRODUCED for p in one_mask)        # the old parts let it pass
    scaling = [p for p in rec.parts if "test-time output" in p.measured]
    assert [p.verdict for p in scaling] == ["contradicted"] * 3
    assert scaling[0].estimate.value == pytest.approx(np.log10(1 / 0.8), abs=0.01)   # input: retain 0.8
    assert scaling[1].estimate.value == pytest.approx(np.log10(1 / 0.5), abs=0.01)   # hidden: retain 0.5
    if plant == "evaluation_switches_the_rule":
        # the loss the report shows: under the planted bug the "evaluated" loss is the mismatched rule's
        intact = intact_runs[arm_key("adam", "dropout")]
        assert broken[arm_key("adam", "dropout")]["test_loss"] == pytest.approx(intact["test_loss_mismatched_rule"])


def test_G5_scaling_check_reads_the_training_rule(intact_runs):
    """The check compares with the training-time average: on intact nets each layer's
    ratio is 0 up to the masks' sampling error, its interval far inside the 1% tolerance."""
    ratios = np.concatenate([intact_runs[arm_key(m, "dropout")]["scaling_log_ratio"] for m in METHODS])
    assert ratios.shape == (len(METHODS) * SMALL.seeds, 3)
    for layer in range(3):
        est = G.t_interval(ratios[:, layer])
        assert -G.SCALING_TOLERANCE / 2 < est.low and est.high < G.SCALING_TOLERANCE / 2
    assert np.all(intact_runs[arm_key("adam", "no_dropout")]["scaling_log_ratio"].shape == (SMALL.seeds, 0))


# ---------------------------------------------------------------- G4

def _benchmark_json(methods) -> dict:
    """A pytest-benchmark JSON as bench/test_G4_dropout_bench.py writes it, for ``methods``."""
    benchmarks = []
    for method in methods:
        for dropout in (False, True):
            info = {"method": method, "shape": "ci", "device": "cpu", "dropout": dropout}
            if dropout:
                info.update(ratios={"with / without dropout": 1.9}, dropout_ops_share=0.45,
                            paired_with_dropout_best_s=0.0011, paired_without_dropout_best_s=0.0006)
            benchmarks.append({"name": f"test_G4_training_step[ci-{method}]", "extra_info": info})
    return {"benchmarks": benchmarks, "datetime": "2026-11-25T00:00:00"}


def test_G4_reports_every_method_and_fails_when_one_was_not_timed(tmp_path):
    assert judged("G4", G.judge_G4, _benchmark_json(G.METHOD_ORDER), tmp_path=tmp_path) == "reproduced"
    assert judged("G4", G.judge_G4, _benchmark_json(G.METHOD_ORDER[:-1]), tmp_path=tmp_path) == "contradicted"


def test_G4_refuses_a_json_that_is_not_the_benchmark_and_skips_without_one(tmp_path):
    with pytest.raises(G.BenchmarkFileError, match="not a pytest-benchmark JSON"):
        judged("G4", G.judge_G4, {"claims": []}, tmp_path=tmp_path)
    with pytest.raises(pytest.skip.Exception, match="--benchmark-json-in"):
        judged("G4", G.judge_G4, None, tmp_path=tmp_path)


# ---------------------------------------------------------------- G2

def _with_lr_scaled(plan, keys, factor: float) -> dict:
    """The plan's arms ``keys`` trained at ``factor`` times their learning rate, no search."""
    return compute_plan({k: replace(plan[k], config=replace(plan[k].config, lr=plan[k].config.lr * factor))
                         for k in keys})


@pytest.mark.parametrize("crippled, verdict", [("adam", "contradicted"), ("others", "reproduced")])
def test_G2_answers_which_method_is_best_from_the_runs(intact_runs, crippled, verdict, tmp_path):
    """G2's judge follows the runs both ways: Adam at a ten-thousandth of its rate (it barely
    trains) reads contradicted; every other method crippled so reads reproduced."""
    plan = runs_plan(SMALL, RunEnvironment())
    others = [m for m in METHODS if m != "adam"]
    keys = [arm_key("adam", "no_dropout")] if crippled == "adam" else [arm_key(m, "no_dropout") for m in others]
    runs = {**intact_runs, **_with_lr_scaled(plan, keys, 1e-4)}
    assert judged("G2", G.judge_G2, runs, runs, runs, {}, SMALL, 0, tmp_path=tmp_path) == verdict
