"""Probes: what the labs look at inside a network while it trains.

All probes work on the seed-batched models (leading seed axis) and return NumPy arrays
with the seeds on their first axis, so their results shard and merge like any other.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from deepclaims.errors import ConfigError
from deepclaims.training import per_seed_loss, per_seed_view

HISTOGRAM_BINS = 30  # the MATLAB example and the lab bin gradients into 30 bins


def dense_weights(model) -> list[torch.Tensor]:
    return [layer.weight for _, layer in model.dense_layers()]


def relative_change(weights: list[torch.Tensor], initial: list[torch.Tensor]) -> torch.Tensor:
    """[S, layers]: ||W - W_0|| / ||W_0|| per seed and dense layer (how far weights moved)."""
    return torch.stack([(w - w0).flatten(1).norm(dim=1) / w0.flatten(1).norm(dim=1).clamp_min(1e-12)
                        for w, w0 in zip(weights, initial)], 1)


def full_batch_gradients(model, x: torch.Tensor, y: torch.Tensor, loss: str) -> list[torch.Tensor]:
    """Each dense layer's weight gradient of the loss over the whole of (x, y), per seed.

    The training state is left untouched: existing gradients are restored afterwards and
    batch-norm running statistics are put back, so probing does not change training.
    """
    saved_grads = [p.grad for p in model.parameters()]
    saved_buffers = {k: v.clone() for k, v in model.named_buffers()}
    for p in model.parameters():
        p.grad = None
    xs, ys = per_seed_view(x, y, model.n_seeds)
    per_seed_loss(model(xs), ys, loss).sum().backward()
    grads = [w.grad.detach().clone() for w in dense_weights(model)]
    for p, g in zip(model.parameters(), saved_grads):
        p.grad = g
    with torch.no_grad():
        for k, v in model.named_buffers():
            v.copy_(saved_buffers[k])
    return grads


class EpochProbe:
    """An ``on_epoch_end`` hook recording, per epoch (0 = initial) and per dense layer:

    - ``grad_norm`` [S, E+1, L]: norm of the full-batch weight gradient;
    - ``weight_change`` [S, E+1, L]: ||W_t - W_0|| / ||W_0||, how far weights moved;
    - ``weights_<i>`` and ``grads_<i>`` [S, E+1, n_i]: raw values of the layers in
      ``keep`` (for per-layer histograms over epochs, as the notebook's TensorBoard view).
    """

    def __init__(self, x: torch.Tensor, y: torch.Tensor, loss: str, keep: Sequence[int] = ()):
        self.x, self.y, self.loss, self.keep = x, y, loss, list(keep)
        self.grad_norm: list[np.ndarray] = []
        self.weight_change: list[np.ndarray] = []
        self.kept_weights: dict[int, list[np.ndarray]] = {i: [] for i in self.keep}
        self.kept_grads: dict[int, list[np.ndarray]] = {i: [] for i in self.keep}
        self.initial: list[torch.Tensor] | None = None

    def __call__(self, model, epoch: int) -> None:
        weights = [w.detach() for w in dense_weights(model)]
        if self.initial is None:
            self.initial = [w.clone() for w in weights]
        grads = full_batch_gradients(model, self.x, self.y, self.loss)
        self.grad_norm.append(torch.stack([g.flatten(1).norm(dim=1) for g in grads], 1).cpu().numpy())
        self.weight_change.append(relative_change(weights, self.initial).cpu().numpy())
        for i in self.keep:
            # Copies: on the CPU ``.numpy()`` of a detached weight shares the live tensor's
            # memory, so storing it would make every epoch's snapshot the final weights.
            self.kept_weights[i].append(weights[i].flatten(1).cpu().numpy().copy())
            self.kept_grads[i].append(grads[i].flatten(1).cpu().numpy().copy())

    def result(self) -> dict[str, np.ndarray]:
        out = {"grad_norm": np.stack(self.grad_norm, 1), "weight_change": np.stack(self.weight_change, 1)}
        for i in self.keep:
            out[f"weights_{i}"] = np.stack(self.kept_weights[i], 1)
            out[f"grads_{i}"] = np.stack(self.kept_grads[i], 1)
        return out


class StepGradientProbe:
    """An ``on_step`` hook recording each dense layer's mean |weight gradient| per step: [S, steps, L]."""

    def __init__(self):
        self.rows: list[np.ndarray] = []
        self.losses: list[np.ndarray] = []

    def __call__(self, model, step: int, losses: torch.Tensor) -> None:
        # torch.stack allocates, so these arrays own their memory; losses is copied because
        # on the CPU .numpy() would share the caller's tensor.
        self.rows.append(torch.stack([w.grad.detach().abs().flatten(1).mean(1)
                                      for w in dense_weights(model)], 1).cpu().numpy())
        self.losses.append(losses.cpu().numpy().copy())

    def result(self) -> dict[str, np.ndarray]:
        return {"step_mean_abs_grad": np.stack(self.rows, 1), "step_loss": np.stack(self.losses, 1)}


def activation_stats(model, x: torch.Tensor) -> dict[str, np.ndarray]:  # x: [N, d] or [S, N, d]
    """Per-seed, per-hidden-layer activation statistics on inputs x (eval mode):

    ``mean``, ``std``, ``second_moment`` [S, L]; ``dead_fraction`` [S, L], the fraction of a
    layer's units that output exactly 0 for every input (dead ReLU units).
    """
    was_training = model.training
    model.eval()
    with torch.no_grad():
        xs = x if x.dim() == 3 else x.unsqueeze(0).expand(model.n_seeds, *x.shape)
        _, acts = model.forward_with_activations(xs)
    model.train(was_training)
    stack = lambda f: torch.stack([f(a) for a in acts], 1).cpu().numpy()
    return {
        "mean": stack(lambda a: a.mean((1, 2))),
        "std": stack(lambda a: a.std((1, 2))),
        "second_moment": stack(lambda a: a.pow(2).mean((1, 2))),
        "dead_fraction": stack(lambda a: (a == 0).all(1).float().mean(1)),
    }


def histogram(values: np.ndarray, bins: int = HISTOGRAM_BINS) -> tuple[np.ndarray, np.ndarray]:
    """A ``bins``-bin histogram of all finite values (counts, edges)."""
    v = np.asarray(values, dtype=float).ravel()
    v = v[np.isfinite(v)]
    if v.size == 0:
        raise ConfigError("histogram of no finite values")
    lo, hi = float(v.min()), float(v.max())
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return np.histogram(v, bins=bins, range=(lo, hi))
