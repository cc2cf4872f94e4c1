"""Embedded data sets: the lab's two spirals, scikit-learn's circles and 8x8 digits.

Each takes a ``data_seed`` so the data set is fixed for a claim while the training
seeds vary; the claims keep it fixed, as the labs train every run on one data set.
"""
from __future__ import annotations

import numpy as np
import torch

from deepclaims.errors import ConfigError
from deepclaims.training import Split


def two_spirals(points_per_class: int = 500, noise: float = 1.5, data_seed: int = 0):
    """The Gradient_vanishing notebook's spirals, as the project's CLAIMS.md gives them.

    n = sqrt(U) * 600 * 2*pi/360; x1 = -cos(n)*n + U*noise; x2 = sin(n)*n + U*noise with a
    fresh U ~ uniform[0,1) for each draw; the second class is the negation of the first;
    features MinMax-scaled to [-1, 1]; then shuffled. Returns (x [2P, 2], y [2P]).
    """
    if points_per_class < 1:
        raise ConfigError(f"points_per_class must be >= 1, got {points_per_class}")
    rng = np.random.default_rng(data_seed)
    n = np.sqrt(rng.random((points_per_class, 1))) * 600 * (2 * np.pi) / 360
    x1 = -np.cos(n) * n + rng.random((points_per_class, 1)) * noise
    x2 = np.sin(n) * n + rng.random((points_per_class, 1)) * noise
    first = np.hstack([x1, x2])
    x = np.vstack([first, -first])
    y = np.hstack([np.zeros(points_per_class), np.ones(points_per_class)])
    lo, hi = x.min(0), x.max(0)
    x = 2 * (x - lo) / (hi - lo) - 1
    order = rng.permutation(len(y))
    return x[order], y[order]


def circles(n_samples: int = 1000, noise: float = 0.1, data_seed: int = 1):
    """scikit-learn's make_circles, as the machinelearningmastery tutorial uses it."""
    from sklearn.datasets import make_circles

    x, y = make_circles(n_samples=n_samples, noise=noise, random_state=data_seed)
    return x, y.astype(float)


def digits(data_seed: int = 0):
    """scikit-learn's 8x8 digits (1797 images, pixel values 0..16 scaled to [0, 1])."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = bunch.data.astype(np.float64) / 16.0
    y = bunch.target.astype(np.int64)
    order = np.random.default_rng(data_seed).permutation(len(y))
    return x[order], y[order]


def split_half(x: np.ndarray, y: np.ndarray, train_fraction: float = 0.5, dtype=torch.float32) -> Split:
    """First ``train_fraction`` of the (already shuffled) rows for training, the rest for testing."""
    if not 0 < train_fraction < 1:
        raise ConfigError(f"train_fraction must lie in (0, 1), got {train_fraction}")
    k = int(round(len(y) * train_fraction))
    label_dtype = torch.long if np.issubdtype(np.asarray(y).dtype, np.integer) else dtype
    t = lambda a, d: torch.as_tensor(np.ascontiguousarray(a), dtype=d)
    return Split(t(x[:k], dtype), t(y[:k], label_dtype), t(x[k:], dtype), t(y[k:], label_dtype))


EMBEDDED = {"spirals": two_spirals, "circles": circles, "digits": digits}


def embedded(name: str, data_seed: int = 0, train_fraction: float = 0.5) -> Split:
    """An embedded data set by name, split into training and test halves."""
    try:
        make = EMBEDDED[name]
    except KeyError:
        raise ConfigError(f"unknown embedded data set {name!r}; accepted: {', '.join(EMBEDDED)}") from None
    x, y = make(data_seed=data_seed)
    return split_half(x, y, train_fraction)
