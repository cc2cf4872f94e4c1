"""Synthetic stand-ins for absent real data sets, at their published shapes and counts,
written in their published formats (IDX, CIFAR's python batches).

Only the time estimate uses them: a lab run's cost depends on the data's shape and
count, not its content, so timing one step on these files estimates a set that is not
on this machine. No claim is ever judged on them.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from deepclaims.data import cifar, idx
from deepclaims.data.real import COUNTS, FOLDERS, IDX_FILES


def write_synthetic(name: str, root: Path, seed: int = 0) -> Path:
    """Random images and labels for data set ``name`` under ``root`` in the layout the
    loaders read (``root/<first folder name>``); returns ``root``."""
    rng = np.random.default_rng(seed)
    folder = root / FOLDERS[name][0]
    folder.mkdir(parents=True, exist_ok=True)
    n_train, n_test = COUNTS[name]
    if name == "cifar10":
        per_batch = n_train // len(cifar.TRAIN_BATCHES)
        for batch, n in [(b, per_batch) for b in cifar.TRAIN_BATCHES] + [(cifar.TEST_BATCH, n_test)]:
            images = rng.integers(0, 256, (n, 32, 32, 3), np.uint8)
            (folder / batch).write_bytes(cifar.batch_bytes(images, rng.integers(0, 10, n).tolist()))
        return root
    for split, n in (("train", n_train), ("test", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), np.uint8)
        labels = rng.integers(0, 10, n).astype(np.uint8)
        (folder / IDX_FILES[f"{split}_images"]).write_bytes(idx.idx_bytes(images))
        (folder / IDX_FILES[f"{split}_labels"]).write_bytes(idx.idx_bytes(labels))
    return root
