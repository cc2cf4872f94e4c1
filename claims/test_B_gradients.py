"""Topic B: gradient distributions, sigmoid beside ReLU (lab 001, after MATLAB's example
"Detect Vanishing Gradients in Deep Neural Networks by Plotting Gradient Distributions").

The example trains two copies of one digit classifier, one with sigmoid and one with
ReLU activations, bins each learnable layer's weight gradients into 30-bin histograms
at the end of every epoch, and plots the mean gradient magnitude per layer over
iterations. Embedded stand-in: scikit-learn's 8x8 digits (1797 images, half for
training) and a fully connected classifier 64 -> 4 x 64 -> 10 with Glorot-uniform
weights (MATLAB's default), trained with SGD with momentum, minibatch 128.

B1 and B3 are also judged with twice the budget (a sensitivity row): the first lab-fidelity
run (60 epochs) read B1 not reproduced and B3 contradicted, and at ci the 60-epoch rows do
the same, so both record that they depend on the training budget (claims/expected.py).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pytest
from scipy.stats import spearmanr

from claims import figures
from claims.runs import Run, run
from deepclaims.fidelity import select
from deepclaims.seeding import seed_range
from deepclaims.stats import t_interval
from deepclaims.training import TrainConfig
from models.mlp import DenseSpec

CONFIDENCE = 0.95
DIGIT_NET = DenseSpec(64, 64, 4, 10, "sigmoid", "glorot_uniform")
TRAIN = TrainConfig(epochs=30, batch_size=128, lr=0.01, momentum=0.9, loss="ce")
MUCH_CLOSER = -0.5  # "much closer to 0": at least half an order of magnitude (about 3x) smaller
TRACKED_LAYER = 3   # the lab's "4th layer" (0-based index 3)


@dataclass(frozen=True)
class Tier:
    epochs: int
    seeds: int


TIERS = {"smoke": Tier(3, 4), "ci": Tier(30, 16), "lab": Tier(60, 32)}


# The two arms of the example: each arm's name and the activation its net is built with.
ARMS = {"sigmoid": "sigmoid", "relu": "relu"}


def arm_run(activation: str, tier: Tier, device="cpu", every_layer: bool = True) -> Run:
    """One arm's experiment: the digit classifier with ``activation`` in every hidden layer,
    its weight gradients kept for every layer (``every_layer``) at every epoch end."""
    return Run("digits", "ffnet", replace(DIGIT_NET, activation=activation), replace(TRAIN, epochs=tier.epochs),
               tier.seeds, epoch_probe=True, probe_every_layer=every_layer, step_probe=True, device=str(device))


def gradient_runs_for(result_cache, tier: Tier, seed_base: int, device="cpu", arms: dict[str, str] = ARMS,
                      every_layer: bool = True):
    """Both arms trained and probed; ``arms`` maps each arm's name to the activation it is
    built with (a negative control builds both with one activation, or keeps only the
    bottom and top layers' gradients with ``every_layer=False``)."""
    return {name: run(result_cache, "B_digits", arm_run(act, tier, device, every_layer), seed_base)
            for name, act in arms.items()}


@pytest.fixture(scope="module")
def gradient_runs(result_cache, fidelity, seed_base, device):
    return gradient_runs_for(result_cache, select(TIERS, fidelity), seed_base, device)


def longer_budget(tier: Tier) -> Tier:
    """Twice the tier's epochs: a sensitivity set-up (at ci it is the lab tier's 60 epochs,
    under which the first lab-fidelity run read B1 not reproduced and B3 contradicted)."""
    return replace(tier, epochs=2 * tier.epochs)


@pytest.fixture(scope="module")
def longer_runs(result_cache, fidelity, seed_base, device):
    return gradient_runs_for(result_cache, longer_budget(select(TIERS, fidelity)), seed_base, device)


def mean_abs_gradient(result) -> np.ndarray:
    """[S, layers]: mean |full-batch weight gradient| per layer, averaged over epoch ends."""
    layers = sorted(int(k.split("_")[1]) for k in result if k.startswith("grads_"))
    return np.stack([np.abs(result[f"grads_{i}"][:, 1:]).mean((1, 2)) for i in layers], 1)


def judge_B1(claim, sigmoid, relu) -> None:
    sig, rel = mean_abs_gradient(sigmoid), mean_abs_gradient(relu)
    hidden = sig.shape[1] - 1  # layers whose outputs pass through the activation
    for layer in range(hidden):
        ratio = np.log10(sig[:, layer] / rel[:, layer])
        claim.part(f"layer {layer + 1}: log10 mean|grad| sigmoid / ReLU", t_interval(ratio, CONFIDENCE),
                   MUCH_CLOSER, "below")
    claim.part("sigmoid net: log10 mean|grad| first / last hidden layer",
               t_interval(np.log10(sig[:, 0] / sig[:, hidden - 1]), CONFIDENCE), 0.0, "below",
               meaning="smallest in the earliest layers")


@pytest.mark.claim("B1")
def test_B1_sigmoid_gradients_closer_to_zero(claim, gradient_runs, longer_runs, fidelity, seed_base):
    claim.dataset = "sklearn 8x8 digits (embedded stand-in for the 28x28 digits)"
    claim.seeds = seed_range(seed_base, select(TIERS, fidelity).seeds)
    judge_B1(claim, gradient_runs["sigmoid"], gradient_runs["relu"])
    with claim.alternative(f"twice the budget ({longer_budget(select(TIERS, fidelity)).epochs} epochs)") as alt:
        judge_B1(alt, longer_runs["sigmoid"], longer_runs["relu"])
    claim.note("final test accuracy sigmoid / ReLU", f"{gradient_runs['sigmoid']['test_acc'].mean():.3f} / "
                                                      f"{gradient_runs['relu']['test_acc'].mean():.3f}")
    claim.conclude()


def judge_B2(claim, runs) -> None:
    """Every layer of both nets has a 30-bin histogram at every epoch end, with finite gradients."""
    for act, res in runs.items():
        layers = [k for k in res if k.startswith("grads_")]
        finite = np.mean([np.isfinite(res[k]).all(axis=(1, 2)).mean() for k in layers])
        claim.equals(f"{act}: fraction of layers x seeds with finite gradient histograms", finite, 1.0)
        claim.equals(f"{act}: learnable layers with a histogram per epoch", len(layers), DIGIT_NET.depth + 1)


@pytest.mark.claim("B2")
def test_B2_gradient_histograms_per_layer(claim, gradient_runs, fidelity, seed_base):
    claim.dataset = "sklearn 8x8 digits (embedded stand-in for the 28x28 digits)"
    claim.seeds = seed_range(seed_base, select(TIERS, fidelity).seeds)
    judge_B2(claim, gradient_runs)
    panels, shared = {}, []
    layers = DIGIT_NET.depth + 1
    for layer in range(layers):
        pair = [f"{act} layer {layer + 1}" for act in ("sigmoid", "relu")]
        for label, act in zip(pair, ("sigmoid", "relu")):
            panels[label] = gradient_runs[act][f"grads_{layer}"][0, 1:]
        shared.append(pair)   # one x-scale per layer, so sigmoid's narrowness shows against ReLU's
    fig = figures.histogram_grid(panels, f"weight gradients per epoch end, seed {seed_base}: sigmoid beside ReLU,\n"
                                         "each layer's pair binned on one x-scale (0.5-99.5% of their pooled "
                                         "values);\ntop: epoch 1, lower and lighter: later epochs",
                                 shared=shared, cols=2, tail=0.005, xlabel=lambda label: "weight gradient")
    claim.figure(fig, "gradient_ridges")
    claim.conclude()


def trend(series: np.ndarray) -> np.ndarray:
    """Per seed: Spearman correlation between iteration and the series ([S, steps])."""
    steps = np.arange(series.shape[1])
    return np.array([spearmanr(steps, row).statistic for row in series])


def judge_B3(claim, relu) -> None:
    grads = relu["step_mean_abs_grad"][:, :, TRACKED_LAYER]
    claim.part("ReLU net, 4th layer: Spearman rho of mean|grad| vs iteration", t_interval(trend(grads), CONFIDENCE),
               0.0, "above", meaning="the gradient grows over iterations")


@pytest.mark.claim("B3")
def test_B3_relu_fourth_layer_gradient_trend(claim, gradient_runs, longer_runs, fidelity, seed_base):
    claim.dataset = "sklearn 8x8 digits (embedded stand-in for the 28x28 digits)"
    claim.seeds = seed_range(seed_base, select(TIERS, fidelity).seeds)
    relu = gradient_runs["relu"]
    judge_B3(claim, relu)
    with claim.alternative(f"twice the budget ({longer_budget(select(TIERS, fidelity)).epochs} epochs)") as alt:
        judge_B3(alt, longer_runs["relu"])
    grads = relu["step_mean_abs_grad"][:, :, TRACKED_LAYER]
    loss_link = np.array([spearmanr(g, l).statistic for g, l in zip(grads, relu["step_loss"])])
    claim.note("Spearman rho of 4th-layer mean|grad| vs training loss, per seed",
               f"{t_interval(loss_link, CONFIDENCE)}; a negative value means the gradient grows while the "
               "loss falls: the deeper layers' gradients grow as the earlier layers' features sharpen and "
               "the net's outputs react more strongly to its weights")
    fig, axes = figures.plt.subplots(1, 2, figsize=(11, 3.5))
    x = np.arange(grads.shape[1])
    for act in ("sigmoid", "relu"):
        for layer in range(DIGIT_NET.depth + 1):
            series = gradient_runs[act]["step_mean_abs_grad"][:, :, layer].mean(0)
            axes[0 if act == "sigmoid" else 1].plot(x, series, label=f"layer {layer + 1}", lw=0.8)
    for ax, act in zip(axes, ("sigmoid", "relu")):
        ax.set_yscale("log"); ax.set_title(f"{act}: mean |weight gradient| per layer")
        ax.set_xlabel("iteration"); ax.set_ylabel("mean |weight gradient|"); ax.legend(ncol=2)
    ax2 = axes[1].twinx()
    ax2.plot(x, relu["step_loss"].mean(0), color="black", lw=0.6, ls="--")
    ax2.set_ylabel("training loss (dashed)")
    ax2.set_xlabel("iteration")   # the twin shares the x axis; its label is the same text in the same place
    claim.figure(fig, "mean_abs_gradient_over_iterations")
    claim.conclude()
