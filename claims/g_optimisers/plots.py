"""Topic G's figures: the update-rule check, training-loss curves per method without and
with dropout, and the ten runs' test accuracy."""
from __future__ import annotations

import numpy as np

from claims import figures
from claims.g_optimisers.benchmark import draw, g4_ratios
from claims.g_optimisers.experiments import METHODS, arm_key
from claims.g_optimisers.judges import CONFIDENCE, NAMES, RULE_TOLERANCE
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


def loss_curves(g_runs) -> dict:
    """Two panels (without, with dropout), one line per method: mean over seeds, 10-90% band."""
    fig, axes = figures.plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
    for ax, arm in zip(axes, ("no_dropout", "dropout")):
        for method in METHODS:
            losses = g_runs[arm_key(method, arm)]["epoch_loss"]
            lr = g_runs[arm_key(method, arm)]["lr"][0]
            figures.lines_with_band(ax, np.arange(1, losses.shape[1] + 1), losses, f"{NAMES[method]} (lr {lr:.2g})",
                                    log=True)
        ax.set_title(f"training loss {ARM_TITLES[arm]}")
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss (cross-entropy, log scale)")
        ax.legend()
    fig.suptitle("Training loss per epoch, five adaptive methods with L2 (mean over seeds, 10-90% band)")
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
    """The ten runs' test accuracy with 95% t intervals; the dropout nets' single-mask accuracy beside."""
    fig, ax = figures.plt.subplots(figsize=(8, 3.6))
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
    ax.legend()
    return {"test_accuracy": fig}


def dropout_time_ratio(benchmark_json_in) -> dict:
    """G4's bars (drawn only when a benchmark JSON was given: the judge skips otherwise)."""
    return {"dropout_time_ratio": draw(g4_ratios(benchmark_json_in))}
