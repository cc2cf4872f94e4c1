"""Topic E's figures: the learned BN parameters per layer as violins (E2, the lab's
request), test accuracy of every arm by seed (the comparison of E3 and E4), the same
comparison under each dropout placement (E3's and E4's sensitivity rows), and the BN
inputs' variance shift by layer (E4, Li et al. 2019)."""
from __future__ import annotations

import numpy as np

from claims import figures
from claims.e_batchnorm_dropout.experiments import (DROPOUT_PLACEMENTS, JUDGED_PLACEMENT, PLACEMENT_ROWS,
                                                    PLACEMENT_SETUPS)
from claims.e_batchnorm_dropout.judges import HIDDEN_BN, bn_layers, first_seeds, placement_runs

ARM_LABELS = {"bn": "BN\n(E1)", "input_bn": "BN + input BN\n(E2)", "dropout": "dropout\n(E3)",
              "bn_dropout": "BN + dropout\n(E4)", "dropout_bn": "dropout before BN\n(E4, Li)",
              "dropout_weight_scaling": "dropout, weight scaling\n(E5, lr x 1/p\u00b2)"}
ARM_ORDER = ("bn", "input_bn", "dropout", "bn_dropout", "dropout_bn", "dropout_weight_scaling")


def _violins(ax, samples: list[np.ndarray], positions: np.ndarray, colour: str) -> None:
    parts = ax.violinplot(samples, positions=positions, widths=0.38, showmedians=True)
    for body in parts["bodies"]:
        body.set_facecolor(colour); body.set_edgecolor(colour); body.set_alpha(0.45)
    for key in ("cmedians", "cmins", "cmaxes", "cbars"):
        parts[key].set_color(colour)


def bn_parameter_violins(e_arms) -> dict:
    """gamma and beta of every BN layer, pooled over units and seeds: the input-BN net (E2)
    beside the standardised-input net (E1), which has no input layer."""
    with_input, standardised = e_arms["input_bn"], e_arms["bn"]
    layers = bn_layers(with_input)
    x = np.arange(len(layers))
    fig, axes = figures.plt.subplots(1, 2, figsize=(11, 3.8))
    for ax, kind in zip(axes, ("gamma", "beta")):
        _violins(ax, [with_input[f"{kind}_{n}"].ravel() for n in layers], x - 0.2, "tab:blue")
        present = [i for i, n in enumerate(layers) if f"{kind}_{n}" in standardised]
        _violins(ax, [standardised[f"{kind}_{layers[i]}"].ravel() for i in present], x[present] + 0.2, "tab:orange")
        ax.axhline(1.0 if kind == "gamma" else 0.0, color="grey", lw=0.6, ls=":")
        ax.set_xticks(x, layers)
        ax.set_xlabel("BN layer (input, then after each hidden layer)")
        ax.set_ylabel(f"learned {kind} (all units and seeds)")
        ax.set_title(f"{kind} (dotted: its initial value)")
    fig.suptitle(f"learned batch-norm parameters per layer, LeNet-5, {len(with_input['test_acc'])} seeds:\n"
                 "blue: input BN (E2); orange: standardised input (E1), which has no input BN layer")
    fig.subplots_adjust(top=0.8, wspace=0.25)
    return {"bn_parameter_violins": fig}


def test_accuracy_by_arm(e_arms) -> dict:
    """Every arm's test accuracy, one dot per seed, each seed's dots joined across arms."""
    arms = [a for a in ARM_ORDER if a in e_arms]
    values = np.stack([e_arms[a]["test_acc"] for a in arms], 1)      # [seeds, arms]
    fig, ax = figures.plt.subplots(figsize=(10, 4))
    x = np.arange(len(arms))
    for row in values:
        ax.plot(x, row, color="grey", lw=0.5, alpha=0.6)
    for i in x:
        ax.scatter(np.full(values.shape[0], i), values[:, i], s=14, zorder=3)
        ax.hlines(values[:, i].mean(), i - 0.25, i + 0.25, color="black", lw=1.5, zorder=4)
    ax.set_xticks(x, [ARM_LABELS[a] for a in arms])
    ax.set_ylabel("test accuracy")
    ax.set_title(f"LeNet-5 test accuracy by arm: dots are seeds (joined: the same seed), bars are means; "
                 f"{values.shape[0]} seeds\njudged placement: {PLACEMENT_SETUPS[JUDGED_PLACEMENT]}; "
                 "other placements: E3's figure", fontsize=9)
    return {"test_accuracy_by_arm": fig}


def _placement_label(placement: str) -> str:
    """A short axis label: the drop rates on the input, after the conv and the dense layers."""
    spec = DROPOUT_PLACEMENTS[placement]
    conv = spec.get("conv_dropout", spec["hidden_dropout"])
    judged = " (judged)" if placement == JUDGED_PLACEMENT else ""
    return f"{placement.replace('_', ' ')}{judged}\ndrop input {spec['input_dropout']:g}, conv {conv:g}, " \
           f"dense {spec['hidden_dropout']:g}"


def test_accuracy_by_placement(e_arms, e_placement_rows) -> dict:
    """Per dropout placement: BN alone, dropout alone and BN + dropout, one dot per seed on
    the placement rows' seeds (BN alone is the same net in every group)."""
    n = len(e_placement_rows[f"{PLACEMENT_ROWS[0]}_dropout"]["test_acc"])
    judged = {f"{JUDGED_PLACEMENT}_{k}": first_seeds(e_arms[k], n) for k in ("dropout", "bn_dropout")}
    groups = {p: placement_runs(e_arms, {**e_placement_rows, **judged}, p) for p in (JUDGED_PLACEMENT, *PLACEMENT_ROWS)}
    arms = (("bn", "BN alone", "tab:blue"), ("dropout", "dropout alone", "tab:orange"),
            ("bn_dropout", "BN + dropout", "tab:green"))
    fig, ax = figures.plt.subplots(figsize=(10, 4.2))
    for g, runs in enumerate(groups.values()):
        x = g + np.array([-0.25, 0.0, 0.25])
        values = np.stack([runs[key]["test_acc"] for key, _, _ in arms], 1)     # [seeds, arms]
        for row in values:
            ax.plot(x, row, color="grey", lw=0.5, alpha=0.5)
        for i, (_, label, colour) in enumerate(arms):
            ax.scatter(np.full(len(values), x[i]), values[:, i], s=14, color=colour, zorder=3,
                       label=label if g == 0 else None)
            ax.hlines(values[:, i].mean(), x[i] - 0.09, x[i] + 0.09, color="black", lw=1.5, zorder=4)
    ax.set_xticks(np.arange(len(groups)), [_placement_label(p) for p in groups])
    ax.set_ylabel("test accuracy")
    ax.set_title(f"LeNet-5 test accuracy by dropout placement: dots are seeds (joined: the same seed), bars are "
                 f"means; {n} seeds")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return {"test_accuracy_by_placement": fig}


def variance_shift_by_layer(e_arms) -> dict:
    """eval / training variance of each hidden BN layer's input, both dropout orders."""
    fig, ax = figures.plt.subplots(figsize=(7, 3.8))
    x = np.arange(len(HIDDEN_BN))
    for offset, (arm, label) in zip((-0.1, 0.1), (("bn_dropout", "dropout after BN (usual)"),
                                                  ("dropout_bn", "dropout before BN (Li et al.)"))):
        ratios = np.stack([e_arms[arm][f"bn_var_eval_{n}"] / e_arms[arm][f"bn_var_train_{n}"] for n in HIDDEN_BN], 1)
        for row in ratios:
            ax.scatter(x + offset, row, s=10, alpha=0.5, color="tab:blue" if offset < 0 else "tab:red")
        ax.plot(x + offset, np.exp(np.log(ratios).mean(0)), marker="_", ms=18, lw=1,
                color="tab:blue" if offset < 0 else "tab:red", label=f"{label} (geometric mean)")
    ax.axhline(1.0, color="grey", lw=0.6, ls=":")
    ax.set_yscale("log")
    ax.set_xticks(x, HIDDEN_BN)
    ax.set_xlabel("BN layer")
    ax.set_ylabel("input variance, eval / training mode")
    ax.set_title("variance shift of the BN inputs (1 = none), dots are seeds\n"
                 f"judged placement: {PLACEMENT_SETUPS[JUDGED_PLACEMENT]}", fontsize=9)
    ax.legend()
    return {"variance_shift_by_layer": fig}
