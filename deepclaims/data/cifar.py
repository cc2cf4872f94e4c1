"""CIFAR-10 from its python batches (``cifar-10-batches-py``: data_batch_1..5, test_batch).

Each batch is a pickled dict with ``data``, a uint8 array [10000, 3072] (1024 red, then
1024 green, then 1024 blue values of a 32x32 image, row-major), and ``labels``, a list
of 10000 ints in 0..9 (Krizhevsky's CIFAR page). Keys are bytes when the batch was
pickled by Python 2, as the published files are.

Unpickling can run arbitrary code, so batches are read with an unpickler that only
rebuilds NumPy arrays and plain containers; anything else is refused as a bad file.
"""
from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np

from deepclaims.errors import DataFileError

TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
BATCH_SIZE = 10000
IMAGE_VALUES = 3 * 32 * 32
N_CLASSES = 10

# What a CIFAR batch legitimately references: numpy's array reconstruction machinery.
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),  # Python 3 pickles of Python 2 byte strings use it
}


class _ArrayUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def _get(batch: dict, key: str):
    for k in (key, key.encode()):
        if k in batch:
            return batch[k]
    return None


def read_batch(path: Path, expect_count: int | None = BATCH_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """One batch as (images uint8 [N, 32, 32, 3], labels int64 [N]), validated."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataFileError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    try:
        batch = _ArrayUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except Exception as exc:  # truncated or corrupt pickles raise many different types
        raise DataFileError(f"{path}: not a readable CIFAR-10 python batch "
                            f"({type(exc).__name__}: {exc})") from exc
    if not isinstance(batch, dict):
        raise DataFileError(f"{path}: a CIFAR-10 batch is a dict, found {type(batch).__name__}")
    data, labels = _get(batch, "data"), _get(batch, "labels")
    if data is None or labels is None:
        keys = ", ".join(repr(k) for k in batch)
        raise DataFileError(f"{path}: a CIFAR-10 batch needs 'data' and 'labels', found keys {keys}")
    data = np.asarray(data)
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != IMAGE_VALUES:
        raise DataFileError(f"{path}: 'data' must be uint8 [N, {IMAGE_VALUES}], found {data.dtype} "
                            f"{list(data.shape)}")
    try:
        labels = np.asarray(labels, dtype=np.int64)
    except (TypeError, ValueError) as exc:
        raise DataFileError(f"{path}: 'labels' are not integers ({exc})") from exc
    if labels.ndim != 1 or labels.shape[0] != data.shape[0]:
        raise DataFileError(f"{path}: {data.shape[0]} images but {labels.size} labels; counts must be equal")
    if labels.size and (labels.min() < 0 or labels.max() >= N_CLASSES):
        raise DataFileError(f"{path}: labels must lie in 0..{N_CLASSES - 1}, found "
                            f"{int(labels.min())}..{int(labels.max())}")
    if expect_count is not None and data.shape[0] != expect_count:
        raise DataFileError(f"{path}: holds {data.shape[0]} images, expected {expect_count}")
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


def read_cifar10(folder: Path, expect_count: int | None = BATCH_SIZE):
    """(x_train, y_train, x_test, y_test) from a ``cifar-10-batches-py`` folder."""
    folder = Path(folder)
    missing = [n for n in TRAIN_BATCHES + (TEST_BATCH,) if not (folder / n).is_file()]
    if missing:
        raise DataFileError(f"{folder}: CIFAR-10 folder lacks {', '.join(missing)}")
    parts = [read_batch(folder / n, expect_count) for n in TRAIN_BATCHES]
    x_test, y_test = read_batch(folder / TEST_BATCH, expect_count)
    x_train = np.concatenate([p[0] for p in parts])
    y_train = np.concatenate([p[1] for p in parts])
    return x_train, y_train, x_test, y_test


def batch_bytes(images: np.ndarray, labels, protocol: int = 2) -> bytes:
    """Pickle (images [N, 32, 32, 3] uint8, labels) the way the published batches are laid out."""
    images = np.asarray(images, dtype=np.uint8)
    data = images.transpose(0, 3, 1, 2).reshape(len(images), IMAGE_VALUES)
    return pickle.dumps({b"batch_label": b"test", b"labels": [int(v) for v in labels], b"data": data,
                         b"filenames": [b"x.png"] * len(images)}, protocol=protocol)
