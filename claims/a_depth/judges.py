"""Topic A's judges: depth and residual connections (lab 000, the student's report 003).

A run "learned" when its test accuracy is at least LEARNED_ACCURACY: on 500 balanced
test points chance is 0.5 with a standard error of 0.022, so 0.6 is 4.5 standard
errors above chance, while the lab's failing nets sit at 0.47-0.53.

Smallest effects (issue 21; the rule is ``deepclaims.effects``'), from the sources' words
where they give a size:

- A2/A3 gradients and weight changes, first over last hidden layer (log10): the FFNet's
  "orders of magnitude smaller" is two orders (``ORDERS_SMALLER``); its "barely moves" is
  ten times less (``BARELY_MOVES``); the ResNet's "not orders of magnitude smaller" is a
  non-inferiority margin of one order (``NOT_AN_ORDER_SMALLER``).
- A5 "far deeper": at least twice as deep, a depth ratio of 2 (``FAR_DEEPER``, from 1).
- A6 the 003 report's "tanh trains deeper than ReLU": no size given; a ratio of depths
  by the convention for a change by a tenth (``RATIO_TENTH``, from 1).
- A1 ResNet minus FFNet test accuracy and A7's BN minus plain: the conventions of one
  accuracy point and ten points of a share (dead units, runs that learned).

Each judge reads its plan fixtures (``claims/a_depth/experiments.py``) by name; the
evidence several judges and figures share (A1's outcomes, the depth sweeps' flags) comes
from the plain functions here. The figures are drawn in ``claims/a_depth/plots.py``.
"""
from __future__ import annotations

import numpy as np

from claims.a_depth.experiments import (ANOTHER_SEED_BASE, LAB_RESNET, DepthTier, ffnet_weight_layers,
                                        resnet_weight_layers, sweep_key, twice_the_budget)
from deepclaims.depth import bootstrap_depth_ratio, max_trainable_depth
from deepclaims.effects import ACCURACY_POINT, NON_INFERIORITY, SHARE_POINTS, SmallestEffect, boundary
from deepclaims.seeding import seed_range
from deepclaims.stats import (paired_difference, paired_proportion_difference, percentile_of, proportion,
                              t_interval)
from deepclaims.verdict import decide
from models.mlp import DenseSpec, ResNetMLP

LEARNED_ACCURACY = 0.6
CONFIDENCE = 0.95
LAB_FFNET_TEST, LAB_RESNET_TEST = 0.484, 0.962   # the notebook's single runs (200 epochs)
SPIRALS = "two spirals (embedded)"
ORDERS_SMALLER = SmallestEffect(2.0, "the lab's 'orders of magnitude smaller': two orders")
BARELY_MOVES = SmallestEffect(1.0, "the lab's 'barely moves': ten times less than the last hidden layer")
NOT_AN_ORDER_SMALLER = SmallestEffect(1.0, "'not orders of magnitude smaller': a loss of one order would matter",
                                      NON_INFERIORITY)
FAR_DEEPER = SmallestEffect(1.0, "the lab's 'far deeper': at least twice as deep (ratio 2)")
RATIO_TENTH = SmallestEffect(0.1, "convention: a change by a tenth (ratio 1.1); the 003 report gives no size")


def learned_flags(test_acc: np.ndarray) -> np.ndarray:
    return np.asarray(test_acc) >= LEARNED_ACCURACY


def learned(result) -> np.ndarray:
    return learned_flags(result["test_acc"])


# ---------------------------------------------------------------- A1, A2

def ffnet_outcomes(a_lab_pair, a_ffnet_outcomes) -> np.ndarray:
    """Test accuracies of tier.outcome_seeds FFNet runs: the probed lab pair's seeds, then
    the next seeds trained without probes."""
    more = [a_ffnet_outcomes["ffnet"]["test_acc"]] if "ffnet" in a_ffnet_outcomes else []
    return np.concatenate([a_lab_pair["ffnet"]["test_acc"], *more])


def judge_A1(claim, a_lab_pair, a_ffnet_outcomes, a_tier, seed_base) -> None:
    """'Does not learn: test accuracy stays near chance' describes what a run of the lab's
    net does. Threshold, fixed from those words before the runs were looked at: the net
    does not learn when a run typically does not, i.e. the fraction of runs that learned
    (test accuracy >= LEARNED_ACCURACY) lies below 1/2 (Wilson interval). The mean test
    accuracy is reported beside it, not judged: the outcome is bimodal (a run either stays
    at chance or climbs well above it), and a mean of such runs says neither."""
    claim.dataset, claim.seeds = SPIRALS, seed_range(seed_base, a_tier.outcome_seeds)
    test_acc = ffnet_outcomes(a_lab_pair, a_ffnet_outcomes)
    claim.part("fraction of FFNet-32 runs that learned (test accuracy >= 0.6)",
               proportion(learned_flags(test_acc), CONFIDENCE), 0.5, "below",
               meaning="does not learn means fewer than half of the runs learn",
               mean_test_accuracy=str(t_interval(test_acc, CONFIDENCE)),
               lab_single_run=percentile_of(test_acc, LAB_FFNET_TEST))
    claim.note("lab notebook (one run, 200 epochs)", f"test {LAB_FFNET_TEST}; our runs train {a_tier.epochs} epochs")


def judge_A2(claim, a_lab_pair, a_tier, seed_base) -> None:
    """'Learns the same task', read as A1 reads 'does not learn': more than half of the
    ResNet's runs learn (Wilson interval above 1/2), and on the same seeds it reaches a
    higher test accuracy than the FFNet (paired difference above 0)."""
    claim.dataset, claim.seeds = SPIRALS, seed_range(seed_base, a_tier.seeds)
    resnet_acc, ffnet_acc = a_lab_pair["resnet"]["test_acc"], a_lab_pair["ffnet"]["test_acc"]
    claim.part("fraction of ResNet-20 runs that learned (test accuracy >= 0.6)",
               proportion(learned_flags(resnet_acc), CONFIDENCE), 0.5, "above",
               meaning="learns means more than half of the runs learn",
               mean_test_accuracy=str(t_interval(resnet_acc, CONFIDENCE)),
               lab_single_run=percentile_of(resnet_acc, LAB_RESNET_TEST))
    claim.compare("paired test accuracy ResNet - FFNet (same seeds)",
                  paired_difference(resnet_acc, ffnet_acc[:len(resnet_acc)], CONFIDENCE), "above", ACCURACY_POINT)
    claim.note("lab notebook (one run, 200 epochs)", f"test {LAB_RESNET_TEST}; our runs train {a_tier.epochs} epochs")


# ---------------------------------------------------------------- A3, A4

# When A3's gradients are measured. The lab logs full-batch gradient histograms every epoch
# and asks what the trained nets show, so the verdict is judged at the end of training;
# the other two moments are the claim's sensitivity rows.
GRADIENT_MOMENTS = {
    "end": "at the end of training (the trained nets the lab inspects)",
    "init": "at initialisation (epoch 0)",
    "mean": "averaged over training (mean over epochs 1..E of the per-epoch log ratio)",
    "mean_norm": "averaged over training (ratio of the norms' means over epochs 1..E)",
}


def log_bottom_top(values: np.ndarray, sizes: tuple[int, int], when: str = "end") -> np.ndarray:
    """Per seed: log10 of the first hidden layer's over the last hidden layer's RMS gradient.

    ``values`` is [S, epochs+1, layers] of norms; dividing by sqrt(size) turns a norm into
    an RMS so layers of different shapes compare. ``when`` picks the moment (see
    GRADIENT_MOMENTS).
    """
    bottom = values[:, :, 0] / np.sqrt(sizes[0])
    top = values[:, :, -2] / np.sqrt(sizes[1])
    ratio = np.log10(np.maximum(bottom, 1e-30) / np.maximum(top, 1e-30))   # [S, epochs+1]
    if when == "end":
        return ratio[:, -1]
    if when == "init":
        return ratio[:, 0]
    if when == "mean":
        return ratio[:, 1:].mean(1)
    if when == "mean_norm":   # arithmetic means: dominated by the epochs with the largest gradients
        return np.log10(np.maximum(bottom[:, 1:].mean(1), 1e-30) / np.maximum(top[:, 1:].mean(1), 1e-30))
    raise ValueError(f"when must be one of {list(GRADIENT_MOMENTS)}, got {when!r}")


def probed_sizes(result) -> tuple[int, int]:
    """Sizes of the bottom and top probed layers' weight matrices."""
    keys = sorted((int(k.split("_")[1]) for k in result if k.startswith("grads_")))
    return result[f"grads_{keys[0]}"].shape[2], result[f"grads_{keys[-1]}"].shape[2]


def gradient_ratio_parts(claim, ffnet, resnet, when: str = "end") -> None:
    """Thresholds from the claim's words: 'orders of magnitude below' is at least two orders
    (log10 ratio below -2); the ResNet's 'not' is less than one order (above -1)."""
    claim.compare(f"FFNet: log10 RMS gradient, first / last hidden layer, {when}",
               t_interval(log_bottom_top(ffnet["grad_norm"], probed_sizes(ffnet), when), CONFIDENCE), "below",
               ORDERS_SMALLER,
               meaning="orders of magnitude smaller means below -2", measured_when=GRADIENT_MOMENTS[when])
    claim.compare(f"ResNet: log10 RMS gradient, first / last hidden layer, {when}",
               t_interval(log_bottom_top(resnet["grad_norm"], probed_sizes(resnet), when), CONFIDENCE), "above",
               NOT_AN_ORDER_SMALLER,
               meaning="not orders of magnitude smaller means above -1", measured_when=GRADIENT_MOMENTS[when])


def judge_A3(claim, a_lab_pair, a_tier, seed_base) -> None:
    claim.dataset, claim.seeds = SPIRALS, seed_range(seed_base, a_tier.seeds)
    gradient_ratio_parts(claim, a_lab_pair["ffnet"], a_lab_pair["resnet"], "end")
    for when in ("init", "mean", "mean_norm"):
        with claim.alternative(f"gradients measured {GRADIENT_MOMENTS[when]}") as alt:
            gradient_ratio_parts(alt, a_lab_pair["ffnet"], a_lab_pair["resnet"], when)
    for name, res in a_lab_pair.items():
        claim.note(f"{name}: log10 RMS gradient first / last hidden layer (mean over seeds) at init / averaged "
                   "over training (log ratios) / averaged over training (norms) / at the end",
                   " / ".join(f"{log_bottom_top(res['grad_norm'], probed_sizes(res), w).mean():+.2f}"
                              for w in ("init", "mean", "mean_norm", "end")))


def weight_change_parts(claim, ffnet_change: np.ndarray, resnet_change: np.ndarray | None,
                        what: str = "relative") -> None:
    """``*_change`` are [S, dense layers] weight changes over training (initial to final).

    Threshold from the lab's words: 'barely move' while the top layers do means at least
    ten times less movement than the last hidden layer (log10 first / last below -1); the
    ResNet's 'do' means not that (above -1)."""
    def moved(change):
        return np.log10(np.maximum(change[:, 0], 1e-30) / np.maximum(change[:, -2], 1e-30))
    claim.compare(f"FFNet: log10 {what} weight change, first / last hidden layer",
               t_interval(moved(ffnet_change), CONFIDENCE), "below", BARELY_MOVES,
               meaning="barely moves means at least ten times less than the top layer")
    if resnet_change is not None:
        claim.compare(f"ResNet: log10 {what} weight change, first / last hidden layer",
                   t_interval(moved(resnet_change), CONFIDENCE), "above", NOT_AN_ORDER_SMALLER)


def weight_change_row_labels(tier: DepthTier, seed_base: int) -> dict[str, str]:
    """Each of A4's sensitivity rows (keys of the ``a_weight_change_rows`` plan) as its
    set-up reads in the report."""
    return {
        "glorot_normal": "Glorot-normal weights instead of Glorot-uniform; FFNet part",
        "twice_the_budget": f"twice the training budget ({twice_the_budget(tier)} epochs); FFNet part",
        "another_seed_base": f"another seed base ({seed_base + ANOTHER_SEED_BASE}); FFNet part",
        "plain_reference": "plain-PyTorch reference (nn.Linear, nn.init.xavier_uniform_, zero biases, "
                           "torch.optim.SGD, one seed at a time, its own draws); FFNet part",
    }


def judge_A4(claim, a_lab_pair, a_weight_change_rows, a_tier, seed_base) -> None:
    claim.dataset, claim.seeds = SPIRALS, seed_range(seed_base, a_tier.seeds)
    ffnet, resnet = a_lab_pair["ffnet"], a_lab_pair["resnet"]
    weight_change_parts(claim, ffnet["final_weight_change"], resnet["final_weight_change"])
    with claim.alternative("absolute (RMS) weight change instead of relative to the initial norm") as alt:
        weight_change_parts(alt, ffnet["final_weight_rms_change"], resnet["final_weight_rms_change"], "absolute RMS")
    for key, setup in weight_change_row_labels(a_tier, seed_base).items():
        with claim.alternative(setup) as alt:
            weight_change_parts(alt, a_weight_change_rows[key]["final_weight_change"], None)
    for name, res in a_lab_pair.items():
        profile = np.median(np.log10(np.maximum(res["final_weight_change"], 1e-30)), 0)
        claim.note(f"{name}: median log10 relative weight change per dense layer, bottom to top",
                   [round(float(v), 2) for v in profile])
    # floored as the parts are: a first layer that never moves (float32, a sigmoid net) is the
    # outcome A4 looks for, and must not crash the note
    bottom_gain = np.log10(np.maximum(resnet["final_weight_change"][:, 0], 1e-30)
                           / np.maximum(ffnet["final_weight_change"][:, 0], 1e-30))
    claim.note("log10 first-layer weight change ResNet / FFNet (same seeds)", str(t_interval(bottom_gain)))


# ---------------------------------------------------------------- A5, A6

def swept(results, arm: str, depths) -> np.ndarray:
    """[depths, seeds] booleans: did each run of ``arm`` at each depth learn?"""
    return np.stack([learned(results[sweep_key(arm, d)]) for d in depths])


def tanh_sweeps(a_tanh_sweeps, a_tier) -> dict:
    """A5's evidence: (weight layers, learned flags) of the tanh FFNet and ResNet sweeps."""
    return {"ffnet": ([ffnet_weight_layers(d) for d in a_tier.ffnet_depths],
                      swept(a_tanh_sweeps, "ffnet", a_tier.ffnet_depths)),
            "resnet": ([resnet_weight_layers(b) for b in a_tier.resnet_blocks],
                       swept(a_tanh_sweeps, "resnet", a_tier.resnet_blocks))}


def judge_A5(claim, a_tanh_sweeps, a_tier, seed_base) -> None:
    claim.dataset, claim.seeds = SPIRALS, seed_range(seed_base, a_tier.sweep_seeds)
    sweeps = tanh_sweeps(a_tanh_sweeps, a_tier)
    ff = max_trainable_depth(*sweeps["ffnet"], CONFIDENCE)
    res = max_trainable_depth(*sweeps["resnet"], CONFIDENCE)
    claim.compare("max trainable depth ResNet / FFNet (weight layers)",
               bootstrap_depth_ratio(sweeps["resnet"], sweeps["ffnet"], CONFIDENCE), "above", FAR_DEEPER, null=1.0,
               wilson_brackets=f"FFNet [{ff.low}, {ff.high}], ResNet [{res.low}, {res.high}]",
               meaning="far deeper means at least twice as deep")
    claim.note("trainable", f"test accuracy >= {LEARNED_ACCURACY} after {a_tier.sweep_epochs} epochs; the maximum "
                            "trainable depth is where the trainable fraction crosses 1/2 (interpolated), its "
                            "interval a bootstrap over seeds; the Wilson brackets give the deepest depth "
                            "confidently trainable and the first confidently not")
    claim.note("FFNet max trainable depth (weight layers)", f"{ff.estimate:.1f} in [{ff.low}, {ff.high}]")
    claim.note("ResNet max trainable depth (weight layers)", f"{res.estimate:.1f} in [{res.low}, {res.high}]")
    claim.note("003 reports", "tanh FFNet about 20 hidden layers (21 weight layers), ResNet about 74 blocks "
                              "(152 weight layers)")


def relu_evidence(a_tanh_sweeps, a_relu_runs, a_tier) -> dict:
    """A6's evidence: the tanh FFNet sweep, the ReLU FFNet sweeps ((weight layers, learned
    flags) each) and the tutorial's two results."""
    depths = [ffnet_weight_layers(d) for d in a_tier.relu_depths]
    return {"tanh": tanh_sweeps(a_tanh_sweeps, a_tier)["ffnet"],
            "relu_glorot": (depths, swept(a_relu_runs, "relu_glorot", a_tier.relu_depths)),
            "relu_he": (depths, swept(a_relu_runs, "relu_he", a_tier.relu_depths)),
            "tutorial_tanh": a_relu_runs["tutorial_tanh"], "tutorial_relu": a_relu_runs["tutorial_relu"]}


def judge_A6(claim, a_tanh_sweeps, a_relu_runs, a_tier, seed_base) -> None:
    """The two statements as their sources made them: 003's ReLU FFNet used the lab's
    Glorot-uniform init; the tutorial paired tanh with RandomUniform(0, 1) and ReLU with
    He-uniform. Where else each holds (ReLU with He init) is reported beside them."""
    claim.dataset = "two spirals and make_circles (embedded)"
    claim.seeds = seed_range(seed_base, a_tier.sweep_seeds)
    ev = relu_evidence(a_tanh_sweeps, a_relu_runs, a_tier)
    tanh = max_trainable_depth(*ev["tanh"], CONFIDENCE)
    relu = max_trainable_depth(*ev["relu_glorot"], CONFIDENCE)
    claim.compare("003: max trainable depth tanh / ReLU, both Glorot-uniform (the lab's init)",
               bootstrap_depth_ratio(ev["tanh"], ev["relu_glorot"], CONFIDENCE), "above", RATIO_TENTH, null=1.0,
               wilson_brackets=f"tanh [{tanh.low}, {tanh.high}], ReLU [{relu.low}, {relu.high}]")
    claim.part("tutorial: fraction of tanh + RandomUniform(0,1) runs that learn (make_circles)",
               proportion(learned(ev["tutorial_tanh"]), CONFIDENCE), 0.5, "below", source_result="0.530 / 0.468")
    claim.part("tutorial: fraction of ReLU + He-uniform runs that learn (make_circles)",
               proportion(learned(ev["tutorial_relu"]), CONFIDENCE), 0.5, "above", source_result="0.836 / 0.840")
    claim.note("ReLU with He-uniform init", relu_he_note(ev))


def relu_he_note(ev) -> str:
    he = max_trainable_depth(*ev["relu_he"], CONFIDENCE)
    ratio = bootstrap_depth_ratio(ev["tanh"], ev["relu_he"], CONFIDENCE)
    verdict = decide(ratio, boundary(1.0, "above", RATIO_TENTH), "above")
    return (f"the ReLU FFNet's max trainable depth is {he.estimate:.1f} in [{he.low}, {he.high}] "
            f"weight layers; tanh / ReLU ratio {ratio.value:.2f} in [{ratio.low:.2f}, {ratio.high:.2f}]: "
            f"003's statement is {verdict} under He init")


# ---------------------------------------------------------------- A7, A8

def dead_fraction(result) -> np.ndarray:
    """Per seed: fraction of hidden units dead (zero on every test input) after training."""
    return result["act_dead_fraction"].mean(1)


def judge_A7(claim, a_bn_pair, a_tier, seed_base) -> None:
    """Thresholds from the hint's words: 'prevents dying ReLU (fewer dead units)' is fewer
    dead units than the same net without BN (paired difference above 0); 'restores
    training' is the BN net learning as A2 reads 'learns' (more than half of its runs
    learn) and learning more often than the plain net on the same seeds."""
    claim.dataset, claim.seeds = SPIRALS, seed_range(seed_base, a_tier.bn_seeds)
    plain, bn = a_bn_pair["plain"], a_bn_pair["bn"]
    claim.compare("dead-unit fraction, plain - BN (same seeds)",
                  paired_difference(dead_fraction(plain), dead_fraction(bn), CONFIDENCE), "above", SHARE_POINTS)
    claim.part("fraction of BN runs that learned (test accuracy >= 0.6)", proportion(learned(bn), CONFIDENCE),
               0.5, "above", meaning="restores training means more than half of the runs learn",
               plain_arm=str(proportion(learned(plain), CONFIDENCE)))
    claim.compare("fraction that learned, BN - plain (same seeds)",
                  paired_proportion_difference(learned(bn), learned(plain), CONFIDENCE), "above", SHARE_POINTS)
    claim.note("network", f"FFNet, {a_tier.bn_depth} hidden ReLU layers of width 5, Glorot-uniform; BN after each "
                          "hidden dense layer, before the activation")
    claim.note("mean dead fraction plain / BN", f"{dead_fraction(plain).mean():.3f} / {dead_fraction(bn).mean():.3f}")


def resnet_summary(spec: DenseSpec) -> tuple[list[tuple[str, str, int]], int]:
    """(layer name, output shape, parameters) rows from the instantiated ResNet, and the total."""
    model = ResNetMLP(1, spec)
    rows = []
    for name, layer in model.dense_layers():
        params = layer.weight[0].numel() + (layer.bias[0].numel() if layer.bias is not None else 0)
        rows.append((name, f"(batch, {layer.out_features})", params))
    return rows, sum(r[2] for r in rows)


def keras_resnet_params(spec: DenseSpec) -> int:
    """The notebook's ResNet parameter count by hand: Dense(in->w), Dense(w->w),
    2 per block, Dense(w->w), Dense(w->out); each Dense has (in + 1) * out parameters."""
    w = spec.width
    dense = lambda a, b: (a + 1) * b
    return dense(spec.in_features, w) + dense(w, w) * (1 + 2 * spec.depth + 1) + dense(w, spec.out_features)


def resnet_summary_parts(claim, rows, total, spec) -> None:
    """The module's layers and parameters against the notebook's arithmetic for ``spec``."""
    claim.equals("ResNet parameters (module) vs the notebook's layer arithmetic", total, keras_resnet_params(spec))
    claim.equals("ResNet dense layers (module) vs 2 + 2 x blocks + 2", len(rows), 2 * spec.depth + 4)


def judge_A8(claim) -> None:
    claim.dataset = "none (model structure)"
    rows, total = resnet_summary(LAB_RESNET)
    resnet_summary_parts(claim, rows, total, LAB_RESNET)
    table = ["| layer | output shape | parameters |", "|---|---|---|"]
    table += [f"| {n} | {s} | {p} |" for n, s, p in rows]
    table.append(f"| **total** | | **{total}** |")
    claim.table("ResNet summary (20 blocks, width 5, tanh)", "\n".join(table))
