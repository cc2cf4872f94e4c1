"""Topic D's figures: collapse fraction against epoch per arm (D1, D2, D4) and the
born-dead fraction against depth per width (D3), with the paper's figures marked."""
from __future__ import annotations

import numpy as np

from claims import figures
from claims.d_dying_relu.judges import (CLOSE, CONFIDENCE, OVER_90, PAPER_HE_COLLAPSE, born_dead_panels, flags,
                                        trainings, width2_curves)
from claims.d_dying_relu.runs import ARM_LABELS, TARGET_LABELS, CollapseRun
from deepclaims.stats import proportion

ARM_COLOURS = {"relu_he": "tab:blue", "leaky_he": "tab:orange", "relu_rai": "tab:green",
               "relu_he_bias": "tab:purple"}
TARGET_STYLES = {"abs": "-", "xsin5x": "--", "step_sin": ":"}
PAPER_MARKS = ((3, 0.6, "paper w3 ~60%"), (5, 0.10, "paper w5 >10%"), (10, 0.01, "paper w10 <1%"))


def d1_collapse(d_width2_runs, d_tier) -> dict:
    return {"collapse_vs_epoch": collapse_figure(width2_curves(d_width2_runs, d_tier),
                                                 "D1: 10-layer width-2 ReLU nets on |x|", ylim=(0.8, 1.0))}


def d2_collapse(d_arms_runs, d_tier) -> dict:
    return {"collapse_relu_vs_leaky": collapse_figure([(d_arms_runs["arms"], d_tier.arms, ("relu_he", "leaky_he"))],
                                                      "D2: ReLU vs leaky ReLU 0.01, both He (zero biases)")}


def d3_born_dead(d_born_dead, d_tier) -> dict:
    return {"born_dead_vs_depth": born_dead_figure(born_dead_panels(d_born_dead, d_tier), d_tier.born.widths)}


def d4_collapse(d_arms_runs, d_tier) -> dict:
    return {"collapse_he_vs_rai": collapse_figure([(d_arms_runs["arms"], d_tier.arms,
                                                    ("relu_he", "relu_he_bias", "relu_rai"))],
                                                  "D4: He vs RAI (ReLU nets)")}


def collapse_figure(runs, title: str, ylim: tuple[float, float] = (0.0, 1.02)):
    """Collapse fraction against epoch; ``runs`` is a list of (result, config, arms), each
    arm drawn on every target of its run. The paper's figures are drawn (and listed in the
    legend) only for the arms shown."""
    fig, ax = figures.plt.subplots(figsize=(8.5, 4.2))
    shown = [a for _, _, arms in runs for a in arms]
    for result, config, arms in runs:
        _collapse_lines(ax, result, config, arms)
    if "relu_he" in shown:
        ax.axhline(OVER_90, color="grey", lw=0.8, ls="--", label="paper, He: over 90%")
        ax.axhspan(PAPER_HE_COLLAPSE - CLOSE, PAPER_HE_COLLAPSE + CLOSE, color="tab:blue", alpha=0.08,
                   label=f"'close' to the paper's He 92-94%: {PAPER_HE_COLLAPSE:g} +- {CLOSE:g}")
    if "relu_rai" in shown:
        ax.axhspan(0.29, 0.33, color="tab:green", alpha=0.15, label="paper, RAI: about 29-33%")
    ax.set_ylim(*ylim)
    ax.set_xticks(sorted({c for _, config, _ in runs for c in config.checkpoints}))
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("epoch"); ax.set_ylabel("fraction collapsed (95% Wilson)")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="arm, target (trainings)",
              title_fontsize=8)
    return fig


def _collapse_lines(ax, result, config: CollapseRun, arms) -> None:
    for t in config.targets:
        for a in arms:
            ests = [proportion(flags(result, config, a, t, k), CONFIDENCE) for k in range(len(config.checkpoints))]
            ax.errorbar(config.checkpoints, [e.value for e in ests],
                        yerr=[[e.value - e.low for e in ests], [e.high - e.value for e in ests]],
                        marker="o", ms=3, capsize=2, color=ARM_COLOURS[a], ls=TARGET_STYLES[t],
                        label=f"{ARM_LABELS[a]}, {TARGET_LABELS[t]} (n={trainings(result)})")


def born_dead_figure(panels: dict[str, np.ndarray], widths):
    """One panel per initialisation: born-dead fraction against layers L, one line per width."""
    fig, axes = figures.plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4.2), sharey=True, squeeze=False)
    for ax, (title, born) in zip(axes[0], panels.items()):
        depths = np.arange(1, born.shape[2] + 1) + 1     # weight layers L = hidden + 1
        for wi, w in enumerate(widths):
            ests = [proportion(born[:, wi, d], CONFIDENCE) for d in range(born.shape[2])]
            line, = ax.plot(depths, [e.value for e in ests], marker=".", ms=3, label=f"width {w}")
            ax.fill_between(depths, [e.low for e in ests], [e.high for e in ests], color=line.get_color(),
                            alpha=0.2)
        for _, value, label in PAPER_MARKS:
            ax.plot([10], [value], marker="x", color="k", ms=7)
            ax.annotate(label, (10, value), fontsize=8, xytext=(4, 2), textcoords="offset points")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("layers L (hidden + output)")
    axes[0][0].set_ylabel("born dead (95% Wilson)")
    fig.suptitle("D3: nets born dead (a hidden layer zero on the whole input interval)", fontsize=10)
    axes[0][0].legend(fontsize=8)
    return fig
