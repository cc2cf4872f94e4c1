"""Topic C's data: the fixed probe batch of C1-C5, the 8x8 digits the init stacks train
on (C3, C6), and the lab 002 MLP's train / validation split (C7, C8).

Each loader takes the data set by name and the real-data folder, so an experiment's
configuration names everything its computation reads.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from deepclaims.data.digits28 import resized_digits
from deepclaims.data.embedded import digits, split_half
from deepclaims.data.real import load_arrays
from deepclaims.errors import ConfigError
from deepclaims.training import Split

# The probe batch's sources: real MNIST test images when the folder holds them (else the
# stand-in), or the stand-in itself.
PROBE_DATASETS = ("mnist", "upsampled_digits")
MLP002_DATASETS = ("fashion_mnist", "digits")
STAND_IN_IMAGES = 1797   # scikit-learn's digits


def probe_batch(dataset: str, data_dir: str | Path | None, n: int) -> tuple[torch.Tensor, torch.Tensor, str]:
    """(x [n, 784], y [n], description): the first ``n`` MNIST test images when ``dataset``
    is 'mnist' and ``data_dir`` holds MNIST, otherwise the first ``n`` upsampled embedded
    digits (the description says which)."""
    if dataset not in PROBE_DATASETS:
        raise ConfigError(f"unknown probe data set {dataset!r}; accepted: {', '.join(PROBE_DATASETS)}")
    if not 1 <= n <= STAND_IN_IMAGES:
        raise ConfigError(f"the probe batch takes 1 to {STAND_IN_IMAGES} images (the stand-in's count), got {n}")
    real = load_arrays("mnist", None if data_dir is None else Path(data_dir)) if dataset == "mnist" else None
    if real is not None:
        x = real.x_test[:n].reshape(-1, 784).astype(np.float32) / 255.0
        return torch.as_tensor(x), torch.as_tensor(real.y_test[:n]), f"first {n} MNIST test images ({real.folder})"
    x, y = resized_digits()
    return (x[:n], y[:n],
            f"{n} embedded 8x8 digits resized to 28x28 in [0, 1] (stand-in for MNIST)")


def stack_split() -> Split:
    """The 64-pixel digits, half for training and half for testing (C3's and C6's trainings)."""
    x, y = digits(0)
    return split_half(x, y)


def mlp002_data(dataset: str, data_dir: str | Path | None) -> tuple[Split, str]:
    """(train/validation split in [0, 1], description).

    Fashion-MNIST as the lab: the first 5000 training images are the validation set, the
    remaining 55000 the training set, pixels divided by 255. The embedded stand-in (also
    when ``data_dir`` holds no Fashion-MNIST): the 8x8 digits (values 0..16 divided by 16),
    half for training and half for validation.
    """
    if dataset not in MLP002_DATASETS:
        raise ConfigError(f"unknown data set {dataset!r} for the 002 MLP; accepted: {', '.join(MLP002_DATASETS)}")
    if dataset == "fashion_mnist":
        real = load_arrays("fashion_mnist", None if data_dir is None else Path(data_dir))
        if real is not None:
            x = torch.as_tensor(real.x_train.reshape(len(real.x_train), -1), dtype=torch.float32) / 255.0
            y = torch.as_tensor(real.y_train, dtype=torch.long)
            return Split(x[5000:], y[5000:], x[:5000], y[:5000]), f"Fashion-MNIST ({real.folder}), 55000/5000"
    x, y = digits(0)
    return split_half(x, y), "embedded 8x8 digits (898 train / 899 validation)"
