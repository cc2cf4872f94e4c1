"""An MNIST-shaped stand-in for topic E at ``ci``: scikit-learn's 8x8 digits, resized to 28x28.

The 1,797 digits (pixel values 0..16) are scaled to [0, 1] and bilinearly resized to 28x28,
so a LeNet-5 built for MNIST runs on them unchanged. A small training subset (300 images by
default) keeps a LeNet-5 trained for a few epochs off the ceiling, so that batch norm and
dropout arms can differ; the test split is every remaining image, disjoint from training.
``standardised`` applies the lab's "standard normalisation" of the input: one mean and one
standard deviation over all pixels of the whole training split (as MNIST's usual 0.1307 /
0.3081), applied to both splits.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from deepclaims.data.embedded import digits
from deepclaims.errors import ConfigError
from deepclaims.training import Split

SIDE = 28
DIGITS = 1797


def resized_digits(data_seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """All 1,797 digits bilinearly resized to 28x28 and flattened: x [N, 784] float32 in
    [0, 1], y [N] int64 (the MNIST-shaped stand-in topics C and E read)."""
    x, y = digits(data_seed)
    small = torch.as_tensor(x, dtype=torch.float32).view(-1, 1, 8, 8)
    images = F.interpolate(small, size=(SIDE, SIDE), mode="bilinear", align_corners=False).clamp(0, 1)
    return images.view(len(y), SIDE * SIDE), torch.as_tensor(y, dtype=torch.long)


def digits28(train_size: int = 300, test_size: int | None = None, data_seed: int = 0) -> Split:
    """Training split of ``train_size`` images and a disjoint test split (all the remaining
    images when ``test_size`` is None); x [N, 784] float32 in [0, 1], y [N] int64."""
    if test_size is None:
        test_size = DIGITS - train_size
    if train_size < 1 or test_size < 1 or train_size + test_size > DIGITS:
        raise ConfigError(f"digits28 needs train_size >= 1 and test_size >= 1 with train_size + test_size <= "
                          f"{DIGITS} (the digits available), got {train_size} and {test_size}")
    images, labels = resized_digits(data_seed)
    end = train_size + test_size
    return Split(images[:train_size].contiguous(), labels[:train_size],
                 images[train_size:end].contiguous(), labels[train_size:end])


def standardised(data: Split) -> Split:
    """Both splits shifted and scaled by the training split's pixel mean and standard deviation."""
    mean, std = data.x_train.mean(), data.x_train.std()
    if not std > 0:
        raise ConfigError("the training split has constant pixels; it cannot be standardised")
    return Split((data.x_train - mean) / std, data.y_train, (data.x_test - mean) / std, data.y_test)
