"""Topic C's figures: per-layer violins and lines of the init-stack probes, and the
training curves of C3, C6 and C7 and C8's accuracies. Each maker takes fixtures by name
and returns ``{figure name: Figure}``."""
from __future__ import annotations

import numpy as np

from claims import figures
from claims.c_init.experiments import CLIP_NORM, LARGE_SIGMA, PERUNICIC_SIGMAS, SMALL_SIGMA
from claims.c_init.judges import LAB_UNSCALED, LAB_VAL_ACC, by_sigma, c1_order, mlp002_dataset, on_fashion_mnist

VIOLIN_POINTS = 2000
VIOLIN_YLABEL = {"violin_act": "activation value", "violin_pre": "pre-activation value"}


def violin_grid(results: dict[str, dict], suptitle: str, key: str = "violin_act", cols: int = 4):
    """Per-layer violin plots, one panel per initialiser x activation (Perunicic's and
    Godoy's per-layer activation violins); values pooled over seeds. Layer 0 is the first
    dense layer (784 -> 100), 1-5 the hidden 100 -> 100 layers."""
    n = len(results)
    cols = min(cols, n)
    rows = (n + cols - 1) // cols
    fig, axes = figures.plt.subplots(rows, cols, figsize=(3.3 * cols, 2.9 * rows), squeeze=False)
    for ax, (label, res) in zip(axes.flat, results.items()):
        values = res[key]  # [S, layers, values]
        data = [values[:, i, :].ravel() for i in range(values.shape[1])]
        # A KDE over every pooled value costs seconds per panel; an evenly strided subset
        # of at most VIOLIN_POINTS values draws the same shape.
        data = [d[np.isfinite(d)][::max(1, d.size // VIOLIN_POINTS)] for d in data]
        ax.violinplot(data, positions=range(len(data)), showextrema=False, widths=0.8)
        ax.set_xticks(range(len(data)), [str(i) for i in range(len(data))])
        ax.set_title(label, fontsize=9)
        ax.tick_params(labelsize=8)
        ax.set_xlabel("dense layer (0: 784 -> 100)", fontsize=8)
        ax.set_ylabel(VIOLIN_YLABEL.get(key, key), fontsize=8)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.suptitle(suptitle, fontsize=10)
    fig.tight_layout()
    return fig


def per_layer_lines(results: dict[str, np.ndarray], ylabel: str, title: str, log: bool = True):
    """One line per set-up (mean over seeds, 10-90% band) of a per-layer statistic."""
    fig, ax = figures.plt.subplots(figsize=(6.5, 3.4))
    for label, values in results.items():
        figures.lines_with_band(ax, np.arange(values.shape[1]), values, label, log=log)
    ax.set_xlabel("dense layer (0: 784 -> 100, then hidden)"); ax.set_ylabel(ylabel); ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return fig


def loss_from_init(result: dict) -> np.ndarray:
    """[S, epochs + 1]: the loss at initialisation, then after each epoch."""
    return np.concatenate([result["init_loss"][:, None], result["epoch_loss"]], 1)


# ---------------------------------------------------------------- C1, C2

def saturating_figures(c_saturating) -> dict:
    ev = c_saturating
    labelled = {lbl: ev[k] for k, lbl in c1_order()}
    return {
        "activation_violins": violin_grid(labelled, "activations per layer at initialisation"),
        "preactivation_violins": violin_grid(labelled, "pre-activations per layer at initialisation",
                                             key="violin_pre"),
        "gradient_norm_per_layer": per_layer_lines({lbl: r["grad_norm"][:, :-1] for lbl, r in labelled.items()},
                                                   "weight-gradient norm",
                                                   "C1: weight-gradient norm per layer at initialisation"),
        "delta_norm_per_layer": per_layer_lines({lbl: r["delta_norm"] for lbl, r in labelled.items()},
                                                "back-propagated gradient norm |dL/dz|",
                                                "C1: back-propagated gradient per layer at initialisation"),
    }


def tanh_figures(c_saturating) -> dict:
    ev = c_saturating
    return {
        "tanh_violins": violin_grid({f"N(0, {SMALL_SIGMA})": ev["tanh_small"], "Glorot-normal": ev["tanh_xavier"],
                                     f"N(0, {LARGE_SIGMA})": ev["tanh_large"]}, "tanh activations per layer", cols=3),
        "tanh_std_per_layer": per_layer_lines({"tanh Glorot-normal": ev["tanh_xavier"]["std"],
                                               "tanh N(0, 0.1)": ev["tanh_mid"]["std"]}, "activation std",
                                              "C2: tanh activation spread per layer", log=False),
    }


# ---------------------------------------------------------------- C3, C4

def relu_figures(c_relu) -> dict:
    he, xavier = c_relu["he"], c_relu["xavier"]
    return {
        "relu_violins": violin_grid({"ReLU, He-normal": he, "ReLU, Glorot-normal": xavier},
                                    "ReLU activations per layer", cols=2),
        "second_moment_per_layer": per_layer_lines({"He-normal": he["second_moment"],
                                                    "Glorot-normal": xavier["second_moment"]},
                                                   "activation second moment",
                                                   "C3: ReLU activations' second moment per layer"),
    }


def budget_figure(c_budget) -> dict:
    fig, ax = figures.plt.subplots(figsize=(5, 3))
    for label, key in (("He-normal", "he_normal"), ("Glorot-normal", "glorot_normal")):
        curve = loss_from_init(c_budget[key])
        figures.lines_with_band(ax, np.arange(curve.shape[1]), curve, label)
    ax.set_xlabel("epoch (0 = initial loss)"); ax.set_ylabel("training loss"); ax.legend(fontsize=8)
    ax.set_title("C3: ReLU stack on the digits, He vs Glorot (mean, 10-90%)", fontsize=10)
    return {"training_loss": fig}


def sigma_figures(c_relu) -> dict:
    sigmas = by_sigma(c_relu)
    return {
        "relu_sigma_violins": violin_grid({f"ReLU N(0, {s:.2f})": sigmas[s] for s in PERUNICIC_SIGMAS},
                                          "Perunicic's sigmas: ReLU activations per layer", cols=3),
        "second_moment_per_layer": per_layer_lines({f"N(0, {s:.2f})": sigmas[s]["second_moment"]
                                                    for s in PERUNICIC_SIGMAS}, "activation second moment",
                                                   "C4: Perunicic's sigmas, second moment per layer"),
    }


# ---------------------------------------------------------------- C5

def activation_gradient_figures(c_activations, c_glorot_uniform_rows, c_tier) -> dict:
    fig, axes = figures.plt.subplots(1, 2, figsize=(9, 3), sharey=True)
    panels = ((c_activations, "recommended init each (judged)"),
              (c_glorot_uniform_rows, f"Glorot-uniform for all (sensitivity, {c_tier.row_seeds} seeds)"))
    for ax, (probes, label) in zip(axes, panels):
        names = list(probes)
        ax.boxplot([probes[a]["grad_norm"][:, 0] for a in names], positions=range(len(names)))
        ax.set_xticks(range(len(names)), names, fontsize=8); ax.set_yscale("log"); ax.set_title(label, fontsize=8)
        ax.set_xlabel("activation", fontsize=8)
    axes[0].set_ylabel("first-layer weight-gradient norm")
    fig.suptitle("C5: first-layer gradients at initialisation, 5 x 100 net", fontsize=10)
    fig.tight_layout()
    # ReLU's line lies under leaky ReLU's (slope 0.01 changes the norms in the third digit)
    label = lambda a: "relu (under leaky_relu)" if a == "relu" else a
    lines = per_layer_lines({label(a): r["grad_norm"][:, :-1] for a, r in c_activations.items()},
                            "weight-gradient norm", "C5: weight-gradient norm per layer, recommended init each")
    return {"first_layer_gradients": fig, "gradient_norm_per_layer": lines}


# ---------------------------------------------------------------- C6

def clipping_figure(c_clipping) -> dict:
    fig, ax = figures.plt.subplots(figsize=(5, 3))
    arms = (("no clipping", c_clipping["unclipped"]), (f"clip norm {CLIP_NORM}", c_clipping["clipped"]))
    for (label, res), colour in zip(arms, ("C3", "C0")):
        curve = loss_from_init(res)
        epochs = np.arange(curve.shape[1])
        for i, row in enumerate(curve):  # one thin line per seed; a diverged run stops at its last finite loss
            ok = np.isfinite(row)
            ax.plot(epochs[ok], row[ok], color=colour, alpha=0.35, lw=0.8, marker=".", label=label if i == 0 else None)
        n_bad = int((~np.isfinite(curve).all(1)).sum())
        if n_bad:
            ax.annotate(f"{label}: {n_bad}/{len(curve)} runs reach NaN/inf after epoch 0", (0.02, 0.05),
                        xycoords="axes fraction", fontsize=8, color=colour)
    ax.set_yscale("log")
    ax.set_xlabel("epoch (0 = initial loss)"); ax.set_ylabel("training loss"); ax.legend(fontsize=8)
    ax.set_title("C6: exploding ReLU stack, one line per seed", fontsize=10)
    return {"loss_curves": fig}


# ---------------------------------------------------------------- C7, C8

def mlp002_training_figure(c_mlp002) -> dict:
    bn, plain = c_mlp002["bn"], c_mlp002["plain"]
    fig, axes = figures.plt.subplots(1, 2, figsize=(9, 3))
    x = np.arange(1, bn["epoch_loss"].shape[1] + 1)
    for label, res in (("with BN", bn), ("without BN", plain)):
        figures.lines_with_band(axes[0], x, res["epoch_loss"], label)
        figures.lines_with_band(axes[1], x, res["val_acc_curve"], label)
    axes[0].set_ylabel("training loss"); axes[1].set_ylabel("validation accuracy")
    if on_fashion_mnist(c_mlp002):
        axes[1].axhline(LAB_VAL_ACC, color="grey", lw=0.6, ls="--", label="lab 002")
    for ax in axes:
        ax.set_xlabel("epoch"); ax.legend(fontsize=8)
    fig.suptitle(f"C7: the 002 MLP with and without BN ({mlp002_dataset(c_mlp002)}; mean, 10-90%)", fontsize=10)
    fig.tight_layout()
    return {"training_curves": fig}


def scaling_figure(c_mlp002) -> dict:
    bn, plain = c_mlp002["bn"], c_mlp002["plain"]
    fig, ax = figures.plt.subplots(figsize=(6, 3.2))
    labels = ["BN, scaled", "BN, x255", "no BN, scaled", "no BN, x255"]
    vals = [bn["val_acc"], bn["unscaled_acc"], plain["val_acc"], plain["unscaled_acc"]]
    ax.boxplot(vals, positions=range(4))
    ax.set_xticks(range(4), labels, fontsize=8)
    ax.axhline(LAB_UNSCALED[1], color="red", lw=0.6, ls="--", label="lab 002 unscaled (0.797)")
    ax.axhline(LAB_VAL_ACC, color="grey", lw=0.6, ls="--", label="lab 002 validation (0.89)")
    ax.set_ylabel("validation accuracy"); ax.legend(fontsize=8)
    ax.set_title("C8: inputs scaled as in training vs x255, same nets", fontsize=10)
    return {"scaled_vs_unscaled": fig}
