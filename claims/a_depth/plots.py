"""Topic A's figures: each maker takes fixtures by name and returns {figure name: figure}
(``ClaimSpec.figures``); the evidence it draws comes from the judges' own helpers."""
from __future__ import annotations

import numpy as np
from matplotlib.ticker import FixedLocator, NullFormatter, ScalarFormatter

from claims import figures
from claims.a_depth.judges import (LAB_FFNET_TEST, LAB_RESNET_TEST, LEARNED_ACCURACY, ffnet_outcomes,
                                   relu_evidence, tanh_sweeps)
from deepclaims.stats import proportion


def outcome_histogram(outcomes: dict, published: float):
    fig, ax = figures.plt.subplots(figsize=(5, 3))
    bins = np.linspace(0.3, 1.0, 29)
    for label, acc in outcomes.items():
        ax.hist(acc, bins=bins, alpha=0.6, label=f"{label}, {len(acc)} runs")
    ax.axvline(LEARNED_ACCURACY, color="black", lw=0.8, ls="--", label=f"learned (>= {LEARNED_ACCURACY})")
    ax.axvline(published, color="red", lw=0.8, label=f"lab notebook's single run ({published})")
    ax.set_xlabel("test accuracy"); ax.set_ylabel("runs"); ax.legend()
    ax.set_title("test accuracy of each run: the notebook's single run against our seeds")
    return fig


def ffnet_outcome_histogram(a_lab_pair, a_ffnet_outcomes) -> dict:
    outcomes = {"FFNet (31 hidden)": ffnet_outcomes(a_lab_pair, a_ffnet_outcomes)}
    return {"test_accuracy_per_run": outcome_histogram(outcomes, LAB_FFNET_TEST)}


def training_loss(a_lab_pair) -> dict:
    fig, ax = figures.plt.subplots(figsize=(5, 3))
    x = np.arange(1, a_lab_pair["ffnet"]["epoch_loss"].shape[1] + 1)
    figures.lines_with_band(ax, x, a_lab_pair["ffnet"]["epoch_loss"], "FFNet (31 hidden)")
    figures.lines_with_band(ax, x, a_lab_pair["resnet"]["epoch_loss"], "ResNet (20 blocks)")
    ax.set_xlabel("epoch"); ax.set_ylabel("training loss (mean, 10-90% band)"); ax.legend()
    ax.set_title("training loss over epochs, the lab pair")
    return {"training_loss": fig}


def resnet_outcome_histogram(a_lab_pair) -> dict:
    outcomes = {"ResNet (20 blocks)": a_lab_pair["resnet"]["test_acc"]}
    return {"test_accuracy_per_run": outcome_histogram(outcomes, LAB_RESNET_TEST)}


def gradient_norm_per_layer(a_lab_pair) -> dict:
    fig, axes = figures.plt.subplots(1, 3, figsize=(11, 3), sharey=True)
    for ax, (when, epoch) in zip(axes, (("at initialisation", 0), ("averaged over epochs 1..E", None),
                                        ("at the end of training", -1))):
        for name, res in a_lab_pair.items():
            g = res["grad_norm"][:, 1:].mean(1) if epoch is None else res["grad_norm"][:, epoch]  # [S, layers]
            figures.lines_with_band(ax, np.arange(1, g.shape[1] + 1), g, name, log=True)
        ax.set_title(f"gradient norm per layer, {when}")
        ax.set_xlabel("dense layer (1 = bottom)")
    axes[0].set_ylabel("full-batch gradient norm\n(mean, 10-90% band)"); axes[0].legend()
    fig.tight_layout()
    return {"gradient_norm_per_layer": fig}


def weight_change_per_layer(a_lab_pair) -> dict:
    fig, ax = figures.plt.subplots(figsize=(5, 3))
    for name, res in a_lab_pair.items():
        change = res["final_weight_change"]
        figures.lines_with_band(ax, np.arange(1, change.shape[1] + 1), change, name, log=True)
    ax.set_xlabel("dense layer (1 = bottom)"); ax.set_ylabel("||W_end - W_0|| / ||W_0||\n(mean, 10-90% band)")
    ax.set_title("how far each layer's weights moved in training"); ax.legend()
    return {"weight_change_per_layer": fig}


def histogram_panels(a_lab_pair, a_tier) -> tuple[int, dict[str, dict]]:
    """What A4's histogram figures draw, per net: every how many epochs a row is drawn, and
    for each net its panels (label -> the first seed's [epochs+1, values], with the panel's
    TensorBoard tag) and the groups binned on one x-scale."""
    every = max(1, a_tier.epochs // 20)
    nets = {}
    for name, res in a_lab_pair.items():
        keys = sorted(int(k.split("_")[1]) for k in res if k.startswith("weights_"))
        panels, tags = {}, {}
        for key, where, place in zip(keys, ("bottom (first hidden)", "top (last hidden)"), ("bottom", "top")):
            for kind, prefix in (("weights", "weights"), ("gradients", "grads")):
                panels[f"{where} {kind}"] = res[f"{prefix}_{key}"][0]
                tags[f"{where} {kind}"] = f"{kind}/{place}_dense_{key + 1}"
        # Bottom and top share an x-scale per quantity: comparing them is what the lab asks.
        shared = [[label for label in panels if label.endswith(kind)] for kind in ("weights", "gradients")]
        nets[name] = {"panels": panels, "tags": tags, "shared": shared}
    return every, nets


def weight_and_gradient_histograms(a_lab_pair, a_tier, seed_base, tensorboard_export) -> dict:
    """Each net's bottom and top layers' weights and gradients, binned every few epochs
    (with --tensorboard, the same bins per epoch as one TensorBoard run per net)."""
    every, nets = histogram_panels(a_lab_pair, a_tier)
    drawn = {}
    for name, net in nets.items():
        title = (f"{name}: 30-bin histograms every {every} epochs, seed {seed_base} (top: initialisation, "
                 "purple; lower and lighter: later epochs)")
        drawn[f"{name}_histograms"] = figures.histogram_grid(
            net["panels"], title, every, net["shared"],
            xlabel=lambda label: "weight gradient" if label.endswith("gradients") else "weight")
        if tensorboard_export is not None:
            binned = figures.grid_bins(net["panels"], every, net["shared"])
            tensorboard_export.write("A4", name, seed_base, {
                net["tags"][label]: (range(0, len(snaps), every), binned[label])
                for label, snaps in net["panels"].items()})
    return drawn


# Neighbouring depth labels closer than this ratio overlap on the log axis (lab: 20 and 21).
MIN_TICK_RATIO = 1.08


def trainable_against_depth(curves: dict, title: str = "fraction of runs trainable against depth"):
    fig, ax = figures.plt.subplots(figsize=(7, 3.5))
    for label, (depths, flags) in curves.items():
        ests = [proportion(row) for row in flags]
        ax.errorbar(depths, [e.value for e in ests],
                    yerr=[[e.value - e.low for e in ests], [e.high - e.value for e in ests]],
                    marker="o", capsize=2, label=label)
    ax.axhline(0.5, color="grey", lw=0.5)
    ax.set_xscale("log"); ax.set_xlabel("weight layers (log scale; ticks at the swept depths)")
    ax.set_ylabel("fraction trainable (95% Wilson)")
    # Label only the swept depths, in plain numbers: log-scale minor labels overlap them.
    swept = sorted({d for depths, _ in curves.values() for d in depths})
    labelled = [d for i, d in enumerate(swept) if i == 0 or d / swept[i - 1] > MIN_TICK_RATIO]
    ax.xaxis.set_major_locator(FixedLocator(labelled))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    figures.plt.setp(ax.get_xticklabels(), rotation=60)
    ax.set_title(title); ax.legend()
    return fig


def trainable_fraction_vs_depth(a_tanh_sweeps, a_tier) -> dict:
    sweeps = tanh_sweeps(a_tanh_sweeps, a_tier)
    fig = trainable_against_depth({"FFNet tanh": sweeps["ffnet"], "ResNet tanh": sweeps["resnet"]},
                                  "fraction of runs trainable against depth, tanh FFNet and ResNet")
    return {"trainable_fraction_vs_depth": fig}


def trainable_fraction_by_activation(a_tanh_sweeps, a_relu_runs, a_tier) -> dict:
    ev = relu_evidence(a_tanh_sweeps, a_relu_runs, a_tier)
    fig = trainable_against_depth({"FFNet tanh, Glorot": ev["tanh"], "FFNet ReLU, Glorot": ev["relu_glorot"],
                                   "FFNet ReLU, He": ev["relu_he"]},
                                  "fraction of FFNet runs trainable against depth, by activation and init")
    return {"trainable_fraction_by_activation": fig}
