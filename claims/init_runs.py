"""Experiments for topic C: activations and gradients at initialisation, and short trainings.

Configuration is data (frozen dataclasses); each experiment runs through the result cache
in fixed seed shards, so claims sharing one (C1/C2 share the tanh grid, C7/C8 share the
002 MLP trainings) compute it once per session and once across xdist workers.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from deepclaims import seeding
from deepclaims.cache import ResultCache
from deepclaims.data.embedded import digits, split_half
from deepclaims.data.real import load_arrays
from deepclaims.training import Split, TrainConfig, evaluate, one_cpu_thread, train
from models.init_stacks import StackSpec, build_stack
from models.mlp002 import MLP002Spec, build_mlp002

VIOLIN_VALUES = 400  # per layer and seed kept for the violin figures
SHARD = 32


# ---------------------------------------------------------------- inputs

def upsampled_digits(data_seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 digits bilinearly resized to 28x28 and flattened, in [0, 1].

    The MNIST-shaped stand-in for Perunicic's MNIST input: 784 features with MNIST's value
    range, so the input layer sees fan-in 784 as in his code.
    """
    x, y = digits(data_seed)
    img = torch.as_tensor(x, dtype=torch.float32).view(-1, 1, 8, 8)
    big = F.interpolate(img, size=(28, 28), mode="bilinear", align_corners=False).clamp(0, 1)
    return big.view(len(y), -1).numpy(), y


def probe_batch(data_dir: Path | None, n: int) -> tuple[torch.Tensor, torch.Tensor, str]:
    """(x [N, 784], y [N], description): MNIST test images when --data-dir holds MNIST,
    otherwise the upsampled embedded digits (the report names which)."""
    real = load_arrays("mnist", data_dir)
    if real is not None:
        x = real.x_test[:n].reshape(-1, 784).astype(np.float32) / 255.0
        return torch.as_tensor(x), torch.as_tensor(real.y_test[:n]), f"first {n} MNIST test images ({real.folder})"
    x, y = upsampled_digits()
    return (torch.as_tensor(x[:n]), torch.as_tensor(y[:n]),
            f"{n} embedded 8x8 digits resized to 28x28 in [0, 1] (stand-in for MNIST)")


# ---------------------------------------------------------------- forward pass at init

@dataclass(frozen=True)
class ProbeRun:
    """Per-layer statistics of one initialiser x activation stack on the fixed batch."""

    spec: StackSpec
    seeds: int
    source: str  # which probe batch: part of the cache key


def _saturation(a: torch.Tensor, act: str) -> torch.Tensor:
    """Fraction of activations on a flat part of a squashing function: |tanh| > 0.99, or a
    sigmoid output outside [0.01, 0.99] (derivative below 1% / 4% of its peak)."""
    if act == "tanh":
        return (a.abs() > 0.99).float().mean((1, 2))
    if act == "sigmoid":
        return ((a < 0.01) | (a > 0.99)).float().mean((1, 2))
    return torch.zeros(a.shape[0])


def probe_layers(spec: StackSpec, seeds: list[int], x: torch.Tensor, y: torch.Tensor) -> dict[str, np.ndarray]:
    with one_cpu_thread():
        return _probe_layers(spec, seeds, x, y)


def _probe_layers(spec: StackSpec, seeds: list[int], x: torch.Tensor, y: torch.Tensor) -> dict[str, np.ndarray]:
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


def probe(cache: ResultCache, config: ProbeRun, seed_base: int, x: torch.Tensor, y: torch.Tensor):
    seeds = seeding.seed_range(seed_base, config.seeds)
    return cache.sharded("C_probe", config, seeds, lambda s: probe_layers(config.spec, s, x, y), SHARD)


def layer_ratio(values: np.ndarray, first: int = 1) -> np.ndarray:
    """Per seed, the geometric-mean ratio of a statistic from one layer to the next over
    layers ``first``.. (1 = from the first hidden layer on; the input layer has fan-in
    784 and its own scale, so the width-100 transitions are the ones the claims are about)."""
    v = np.log(np.maximum(values[:, first:], 1e-300))
    return np.exp((v[:, -1] - v[:, 0]) / (v.shape[1] - 1))


def log10_ratio_last_first(values: np.ndarray, first: int = 1) -> np.ndarray:
    """Per seed, log10 of the last hidden layer's statistic over the first hidden layer's."""
    return np.log10(np.maximum(values[:, -1], 1e-300) / np.maximum(values[:, first], 1e-300))


# ---------------------------------------------------------------- short trainings

@dataclass(frozen=True)
class StackTrain:
    """Train an init stack on the 8x8 digits (C3's budget, C6's clipping arms).

    The trainings use the 64-pixel digits rather than the 784-pixel resized ones: the
    width-100 hidden stack the claims are about is the same, and a 64-input first layer
    makes them 5 times cheaper on a 2-core CPU."""

    spec: StackSpec
    train: TrainConfig
    seeds: int
    device: str = "cpu"


def stack_split() -> Split:
    x, y = digits(0)
    return split_half(x, y)


def _finite(a: np.ndarray, sentinel: float) -> np.ndarray:
    """Divergence (inf/NaN) mapped to a finite sentinel so intervals stay decidable."""
    return np.where(np.isfinite(a), a, sentinel)


DIVERGED_LOSS = 1e6


def _train_stack(config: StackTrain, seeds: list[int]) -> dict[str, np.ndarray]:
    with one_cpu_thread():
        return _train_stack_body(config, seeds)


def _train_stack_body(config: StackTrain, seeds: list[int]) -> dict[str, np.ndarray]:
    device = torch.device(config.device)
    data = stack_split().to(device)
    model = build_stack(config.spec, seeding.generators(seeds, "init")).to(device)
    init_loss, _ = evaluate(model, data.x_train, data.y_train, "ce")
    with np.errstate(all="ignore"):
        out = train(model, data, config.train, seeds)
    result = {"init_loss": init_loss, "epoch_loss": out["epoch_loss"], "train_loss": out["train_loss"],
              "test_loss": out["test_loss"], "test_acc": out["test_acc"], "train_acc": out["train_acc"]}
    if "grad_norm_before_clip" in out:
        result["grad_norm_before_clip"] = out["grad_norm_before_clip"]
    return result


def train_stack(cache: ResultCache, experiment: str, config: StackTrain, seed_base: int):
    seeds = seeding.seed_range(seed_base, config.seeds)
    return cache.sharded(experiment, config, seeds, lambda s: _train_stack(config, s), SHARD)


# ---------------------------------------------------------------- the 002 MLP (C7, C8)

@dataclass(frozen=True)
class MLP002Run:
    dataset: str          # what mlp002_data() resolved: its description (so the cache key
                          # differs between the real data set and the embedded stand-in)
    batch_norm: bool
    train: TrainConfig
    seeds: int
    mismatch_scale: float  # C8: the unscaled test inputs are the scaled ones times this
    device: str = "cpu"


def mlp002_data(dataset: str, data_dir: Path | None) -> tuple[Split, str]:
    """(train/validation split in [0, 1], description).

    Fashion-MNIST as the lab: the first 5000 training images are the validation set, the
    remaining 55000 the training set, pixels divided by 255. The embedded stand-in: the
    8x8 digits (values 0..16 divided by 16), half for training and half for validation.
    """
    if dataset == "fashion_mnist":
        real = load_arrays("fashion_mnist", data_dir)
        if real is not None:
            x = torch.as_tensor(real.x_train.reshape(len(real.x_train), -1), dtype=torch.float32) / 255.0
            y = torch.as_tensor(real.y_train, dtype=torch.long)
            return Split(x[5000:], y[5000:], x[:5000], y[:5000]), f"Fashion-MNIST ({real.folder}), 55000/5000"
    x, y = digits(0)
    return split_half(x, y), "embedded 8x8 digits (898 train / 899 validation)"


def _train_mlp002(config: MLP002Run, seeds: list[int], data: Split) -> dict[str, np.ndarray]:
    with one_cpu_thread():
        return _train_mlp002_body(config, seeds, data)


def _train_mlp002_body(config: MLP002Run, seeds: list[int], data: Split) -> dict[str, np.ndarray]:
    device = torch.device(config.device)
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
            "unscaled_loss": _finite(raw_loss, DIVERGED_LOSS), "unscaled_acc": raw_acc}


def train_mlp002(cache: ResultCache, config: MLP002Run, seed_base: int, data: Split):
    seeds = seeding.seed_range(seed_base, config.seeds)
    return cache.sharded("C_mlp002", config, seeds, lambda s: _train_mlp002(config, s, data), 16)


__all__ = ["ProbeRun", "StackTrain", "MLP002Run", "probe", "train_stack", "train_mlp002", "replace"]
