"""Topic C's experiments: init stacks probed at initialisation (C1-C5), init stacks
trained on the 8x8 digits (C3's budget, C6's clipping arms), and the lab 002 MLP with
and without batch normalisation (C7, C8).

Each is an :func:`deepclaims.experiment.experiment` over a keyword-built frozen
configuration that names its data set and real-data folder; the data are loaded inside
(``claims.c_init.inputs``), so the cache key covers everything a result depends on.
Results carry, per seed, a description of the data actually read (``source`` for the
probes, ``dataset`` for the 002 MLP): a real data set asked for but absent falls back to
the embedded stand-in, and the claim says which it got.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F

from claims.c_init import inputs
from deepclaims import seeding
from deepclaims.experiment import experiment
from deepclaims.training import TrainConfig, evaluate, train
from models.init_stacks import StackSpec, build_stack
from models.mlp002 import MLP002Spec, build_mlp002

VIOLIN_VALUES = 400  # per layer and seed kept for the violin figures
DIVERGED_LOSS = 1e6  # the finite stand-in for a diverged (inf / NaN) loss


# ---------------------------------------------------------------- forward pass at init

@dataclass(frozen=True, kw_only=True)
class ProbeRun:
    """Per-layer statistics of one initialiser x activation stack on a fixed batch: the
    first ``images`` images of ``dataset`` (see ``inputs.probe_batch``)."""

    spec: StackSpec
    images: int
    dataset: str = "upsampled_digits"
    data_dir: str | None = None


def no_training(config: ProbeRun) -> ProbeRun:
    """A probe is one forward and backward pass already: the dry run runs it as it is."""
    return config


def probe_size(config: ProbeRun) -> tuple[int, int]:
    return 0, 0   # no training


def _saturation(a: torch.Tensor, act: str) -> torch.Tensor:
    """Fraction of activations on a flat part of a squashing function: |tanh| > 0.99, or a
    sigmoid output outside [0.01, 0.99] (derivative below 1% / 4% of its peak)."""
    if act == "tanh":
        return (a.abs() > 0.99).float().mean((1, 2))
    if act == "sigmoid":
        return ((a < 0.01) | (a > 0.99)).float().mean((1, 2))
    return torch.zeros(a.shape[0])


def probe_layers(spec: StackSpec, seeds: list[int], x: torch.Tensor, y: torch.Tensor) -> dict[str, np.ndarray]:
    """Everything C1-C5 look at, per seed [S, ...]; layer axis: input layer then hidden layers.

    - ``std``: spread of all activations of a layer (what the violins show);
    - ``input_spread``: per-unit std over the input images, averaged over units -- how much
      a layer's output still depends on the input (0 when it has collapsed to a constant);
    - ``second_moment``, ``mean``, ``centre_dev`` (mean |a - activation(0)|), ``saturation``;
    - ``grad_norm``: Frobenius norm of each dense layer's weight gradient (output included)
      of the mean cross-entropy on the batch's labels;
    - ``delta_norm``: norm of the back-propagated gradient dL/dz at each layer's
      pre-activations (input layer and hidden layers), the other common meaning of "the
      gradient at a layer";
    - ``violin_act`` / ``violin_pre``: a fixed subsample of values per layer for figures.
    """
    # In float64: a collapsed sigmoid layer sits at 0.5 +- 1e-9, below float32's resolution
    # at 0.5 (6e-8), so in float32 its input-dependent spread is rounding noise (and exactly
    # 0 for some seeds). The weights are drawn as in training (float32) and then widened.
    model = build_stack(spec, seeding.generators(seeds, "init")).double()
    x = x.double()
    logits, pre, post = model.trace(x)
    for z in pre:
        z.retain_grad()  # dL/dz per layer, for ``delta_norm``
    s, n = len(seeds), x.shape[0]
    loss = F.cross_entropy(logits.reshape(s * n, -1), y.repeat(s).long(), reduction="none").view(s, n).mean(1)
    loss.sum().backward()  # each seed's loss depends only on its own weights
    centre = float(model.act(torch.zeros(())))
    pick = torch.randperm(n * spec.width, generator=torch.Generator().manual_seed(0))[:VIOLIN_VALUES]
    with torch.no_grad():
        deltas = [z.grad for z in pre]
        # Contiguous copies: reductions over the views' strided layout are several times slower.
        post = [a.detach().contiguous() for a in post]
        pre = [z.detach().contiguous() for z in pre]
        stack = lambda f, seq: torch.stack([f(a) for a in seq], 1).numpy()
        out = {
            "std": stack(lambda a: a.std((1, 2)), post),
            "input_spread": stack(lambda a: a.std(1).mean(1), post),
            "second_moment": stack(lambda a: a.pow(2).mean((1, 2)), post),
            "mean": stack(lambda a: a.mean((1, 2)), post),
            "centre_dev": stack(lambda a: (a - centre).abs().mean((1, 2)), post),
            "saturation": stack(lambda a: _saturation(a, spec.activation), post),
            "pre_std": stack(lambda a: a.std((1, 2)), pre),
            "grad_norm": np.stack([layer.weight.grad.flatten(1).norm(dim=1).numpy()
                                   for _, layer in model.dense_layers()], 1),
            "delta_norm": stack(lambda g: g.flatten(1).norm(dim=1), deltas),
            "violin_act": stack(lambda a: a.reshape(s, -1)[:, pick], post),
            "violin_pre": stack(lambda a: a.reshape(s, -1)[:, pick], pre),
            "loss": loss.detach().numpy(),
        }
    return out


@experiment("C_probe", one_step=no_training, size=probe_size)
def probe_stack(config: ProbeRun, seeds: list[int]) -> dict[str, np.ndarray]:
    """The stack's per-layer statistics on the configured batch, and that batch's description."""
    x, y, source = inputs.probe_batch(config.dataset, config.data_dir, config.images)
    out = probe_layers(config.spec, seeds, x, y)
    out["source"] = np.array([source] * len(seeds))
    return out


# ---------------------------------------------------------------- short trainings

def one_epoch(config):
    """The configuration trained for one epoch (the lab dry run's shrink)."""
    return replace(config, train=replace(config.train, epochs=1))


def one_training(config) -> tuple[int, int]:
    return 1, config.train.epochs


@dataclass(frozen=True, kw_only=True)
class StackTrain:
    """Train an init stack on the 8x8 digits (C3's budget, C6's clipping arms).

    The trainings use the 64-pixel digits rather than the 784-pixel resized ones: the
    width-100 hidden stack the claims are about is the same, and a 64-input first layer
    makes them 5 times cheaper on a 2-core CPU."""

    spec: StackSpec
    train: TrainConfig
    device: str = "cpu"


@experiment("C_stack_training", one_step=one_epoch, size=one_training)
def train_stack(config: StackTrain, seeds: list[int]) -> dict[str, np.ndarray]:
    """Initial loss, the loss history and final scores per seed (and, with clipping, the
    gradient norm before each clip)."""
    device = torch.device(config.device)
    data = inputs.stack_split().to(device)
    model = build_stack(config.spec, seeding.generators(seeds, "init")).to(device)
    init_loss, _ = evaluate(model, data.x_train, data.y_train, "ce")
    with np.errstate(all="ignore"):
        out = train(model, data, config.train, seeds)
    result = {"init_loss": init_loss, "epoch_loss": out["epoch_loss"], "train_loss": out["train_loss"],
              "test_loss": out["test_loss"], "test_acc": out["test_acc"], "train_acc": out["train_acc"]}
    if "grad_norm_before_clip" in out:
        result["grad_norm_before_clip"] = out["grad_norm_before_clip"]
    return result


# ---------------------------------------------------------------- the 002 MLP (C7, C8)

@dataclass(frozen=True, kw_only=True)
class MLP002Run:
    """Lab 002's MLP (600 / 200 ReLU units, He-normal) with or without batch normalisation,
    trained on ``dataset`` (see ``inputs.mlp002_data``)."""

    dataset: str
    batch_norm: bool
    train: TrainConfig
    mismatch_scale: float  # C8: the unscaled test inputs are the scaled ones times this
    data_dir: str | None = None
    device: str = "cpu"


def _finite(a: np.ndarray, sentinel: float) -> np.ndarray:
    """Divergence (inf/NaN) mapped to a finite sentinel so intervals stay decidable."""
    return np.where(np.isfinite(a), a, sentinel)


@experiment("C_mlp002", one_step=one_epoch, size=one_training, shard_size=8)
def train_mlp002(config: MLP002Run, seeds: list[int]) -> dict[str, np.ndarray]:
    """Loss history, validation accuracy per epoch and final scores per seed, and the same
    nets' scores on the validation images times ``mismatch_scale``."""
    device = torch.device(config.device)
    data, description = inputs.mlp002_data(config.dataset, config.data_dir)
    data = data.to(device)
    spec = MLP002Spec(in_features=data.x_train.shape[-1], batch_norm=config.batch_norm)
    model = build_mlp002(spec, seeding.generators(seeds, "init")).to(device)
    val_curve = []
    hook = lambda m, epoch: val_curve.append(evaluate(m, data.x_test, data.y_test, "ce")[1]) if epoch else None
    out = train(model, data, config.train, seeds, on_epoch_end=hook)
    # C8: the same trained nets on the validation images without the training scaling
    raw_loss, raw_acc = evaluate(model, data.x_test * config.mismatch_scale, data.y_test, "ce")
    return {"epoch_loss": out["epoch_loss"], "val_acc_curve": np.stack(val_curve, 1),
            "val_loss": out["test_loss"], "val_acc": out["test_acc"], "train_acc": out["train_acc"],
            "unscaled_loss": _finite(raw_loss, DIVERGED_LOSS), "unscaled_acc": raw_acc,
            "dataset": np.array([description] * len(seeds))}
