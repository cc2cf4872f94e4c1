"""Topic G's figures: the update-rule check, training-loss curves per method without and
with dropout with G2's judged ratio to Adam, and the ten runs' test accuracy with G5's
test-time scaling check."""
from __future__ import annotations

import numpy as np

from claims import figures
from claims.g_optimisers.benchmark import draw, g4_ratios
from claims.g_optimisers.experiments import HIDDEN_DROPOUT, INPUT_DROPOUT, METHODS, arm_key
from claims.g_optimisers.judges import (BUDGET_FRACTIONS, CONFIDENCE, DROPOUT_LAYER_NAMES, NAMES, RULE_TOLERANCE,
                                        SCALING_TOLERANCE, epoch_losses, area_ratio, epoch_at, on_fashion_mnist)
from deepclaims.stats import t_interval

ARM_TITLES = {"no_dropout": "without dropout", "dropout": "with dropout (0.2 input, 0.5 hidden)"}


def rule_errors(g_update_rules) -> dict:
    fig, ax = figures.plt.subplots(figsize=(6, 3.2))
    names = [NAMES[m] for m in g_update_rules]
    worst = [max(float(np.max(r["max_rel_error"])), 1e-18) for r in g_update_rules.values()]
    ax.bar(names, worst, color="tab:blue")
    ax.axhline(RULE_TOLERANCE, color="tab:red", ls="--", label=f"tolerance {RULE_TOLERANCE:g}")
    ax.set_yscale("log")
    ax.set_ylabel("largest relative difference")
    ax.set_title("torch's optimisers against the papers' rules (float64, all cases)")
    ax.legend()
    ax.tick_params(axis="x", labelrotation=15)
    return {"update_rule_differences": fig}


def _ratio_panel(ax, runs, title: str) -> None:
    """Per epoch, each method's paired log10 loss ratio to Adam (mean, 95% t band); its
    judged area (the mean over epochs) as a dashed level; the 25/50/100% marks."""
    epochs = runs[arm_key("adam", "no_dropout")]["epoch_loss"].shape[1]
    x = np.arange(1, epochs + 1)
    for method in METHODS:
        if method == "adam":
            continue
        per_epoch = [t_interval(np.log10(epoch_losses(runs[arm_key(method, "no_dropout")], e)
                                         / epoch_losses(runs[arm_key("adam", "no_dropout")], e)), CONFIDENCE)
                     for e in x]
        area = area_ratio(runs, method)
        line, = ax.plot(x, [e.value for e in per_epoch],
                        label=f"{NAMES[method]} (area {area.value:+.2f} [{area.low:+.2f}, {area.high:+.2f}])")
        ax.fill_between(x, [e.low for e in per_epoch], [e.high for e in per_epoch], color=line.get_color(), alpha=0.15)
        ax.axhline(area.value, color=line.get_color(), ls="--", lw=0.9)
    ax.axhline(0.0, color="black", lw=1.0)
    for fraction in BUDGET_FRACTIONS:
        ax.axvline(epoch_at(fraction, epochs), color="grey", ls=":", lw=1.0)
    ax.set_title(title)
    ax.set_xlabel("epoch")
    ax.set_ylabel("log10 (method's loss / Adam's)\nabove 0: Adam lower")
    ax.legend(fontsize=8)


def loss_curves(g_runs, g_fashion_runs) -> dict:
    """Top: training-loss curves without and with dropout (mean over seeds, 10-90% band).
    Bottom: G2's judged quantity, each method's loss relative to Adam's per epoch, whose
    mean over the epochs (dashed) is the area G2 judges; beside it the same on real
    Fashion-MNIST, or a line saying that row was not run."""
    fig, axes = figures.plt.subplots(2, 2, figsize=(12, 8.4))
    for ax, arm in zip(axes[0], ("no_dropout", "dropout")):
        for method in METHODS:
            losses = g_runs[arm_key(method, arm)]["epoch_loss"]
            lr = g_runs[arm_key(method, arm)]["lr"][0]
            figures.lines_with_band(ax, np.arange(1, losses.shape[1] + 1), losses, f"{NAMES[method]} (lr {lr:.2g})",
                                    log=True)
        ax.set_title(f"training loss {ARM_TITLES[arm]}")
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss (cross-entropy, log scale)")
        ax.legend(fontsize=8)
    _ratio_panel(axes[1][0], g_runs, "G2 (judged): each method / Adam, no dropout")
    if on_fashion_mnist(g_fashion_runs):
        _ratio_panel(axes[1][1], g_fashion_runs, "G2's row: the same on real Fashion-MNIST")
    else:
        axes[1][1].axis("off")
        axes[1][1].text(0.5, 0.5, "G2's Fashion-MNIST row was not run:\nFashion-MNIST was not found in the data "
                        "folders", ha="center", va="center", fontsize=10, transform=axes[1][1].transAxes)
    fig.suptitle("Five adaptive methods with L2. Top: training loss per epoch (mean over seeds, 10-90% band). "
                 f"Bottom: log10 loss ratio to Adam per epoch\n(mean, {CONFIDENCE:.0%} t band); dashed: its mean over "
                 "the epochs (the area), which G2 judges above 0; dotted: 25%, 50%, 100% of the budget")
    fig.tight_layout()
    return {"training_loss_curves": fig}


def dropout_against_plain(g_runs) -> dict:
    """One panel per method: its curve without and with dropout."""
    fig, axes = figures.plt.subplots(1, len(METHODS), figsize=(3.0 * len(METHODS), 3.2), sharey=True)
    for ax, method in zip(axes, METHODS):
        for arm in ("no_dropout", "dropout"):
            losses = g_runs[arm_key(method, arm)]["epoch_loss"]
            figures.lines_with_band(ax, np.arange(1, losses.shape[1] + 1), losses, ARM_TITLES[arm].split(" (")[0],
                                    log=True)
        ax.set_title(NAMES[method])
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss (log scale)")
    axes[0].legend()
    fig.suptitle("Each method's training loss without and with dropout (mean over seeds, 10-90% band)")
    fig.tight_layout()
    return {"loss_with_and_without_dropout": fig}


def test_accuracy(g_runs) -> dict:
    """Left: the ten runs' test accuracy with 95% t intervals, the dropout nets' single-mask
    accuracy beside. Right: G5's scaling check per dropout layer (the five nets' seeds
    pooled) inside its tolerance band, and where the mismatched rule would put it."""
    fig, (ax, check) = figures.plt.subplots(1, 2, figsize=(13, 4.0), gridspec_kw={"width_ratios": [3, 2]})
    x = np.arange(len(METHODS))
    for offset, arm, colour in ((-0.15, "no_dropout", "tab:blue"), (0.15, "dropout", "tab:orange")):
        ests = [t_interval(g_runs[arm_key(m, arm)]["test_acc"], CONFIDENCE) for m in METHODS]
        values = np.array([e.value for e in ests])
        errors = np.array([[e.value - e.low for e in ests], [e.high - e.value for e in ests]])
        ax.errorbar(x + offset, values, yerr=errors, fmt="o", color=colour, capsize=3,
                    label=f"{ARM_TITLES[arm].split(' (')[0]} (eval mode)")
    one_mask = [g_runs[arm_key(m, "dropout")]["test_acc_one_mask"].mean() for m in METHODS]
    ax.plot(x + 0.15, one_mask, "x", color="tab:red", label="dropout net with one mask (wrong: train mode)")
    ax.set_xticks(x, [NAMES[m] for m in METHODS])
    ax.set_ylabel("test accuracy")
    ax.set_title(f"Test accuracy of the ten runs ({CONFIDENCE:.0%} t intervals over seeds)")
    ax.legend(fontsize=8)

    ratios = np.concatenate([g_runs[arm_key(m, "dropout")]["scaling_log_ratio"] for m in METHODS])
    layers = np.arange(ratios.shape[1])
    ests = [t_interval(ratios[:, i], CONFIDENCE) for i in layers]
    check.axhspan(-SCALING_TOLERANCE, SCALING_TOLERANCE, color="tab:green", alpha=0.2,
                  label=f"tolerance: within 1% (log10 {SCALING_TOLERANCE:.4f})")
    check.errorbar(layers, [e.value for e in ests], yerr=[[e.value - e.low for e in ests], [e.high - e.value for e in ests]],
                   fmt="o", color="black", capsize=3, label=f"measured (mean, {CONFIDENCE:.0%} t)")
    mismatched = [np.log10(1 / (1 - INPUT_DROPOUT))] + [np.log10(1 / (1 - HIDDEN_DROPOUT))] * (len(layers) - 1)
    check.plot(layers, mismatched, "x", color="tab:red", markersize=9, label="the mismatched rule (no x p): log10 1/p")
    check.axhline(0.0, color="black", lw=0.8)
    check.set_xticks(layers, [DROPOUT_LAYER_NAMES[i].replace(" (", "\n(") for i in layers])
    check.set_ylabel("log10 test-time output / training-time mean")
    check.set_title("G5: test-time output against the mask average")
    check.legend(fontsize=8, loc="center right")
    fig.tight_layout()
    return {"test_accuracy": fig}


def dropout_time_ratio(benchmark_json_in) -> dict:
    """G4's bars (drawn only when a benchmark JSON was given: the judge skips otherwise)."""
    return {"dropout_time_ratio": draw(g4_ratios(benchmark_json_in))}
