"""Real data sets found under ``--data-dir``: MNIST, Fashion-MNIST (IDX) and CIFAR-10.

Nothing is downloaded. A data set is looked for in the folders its usual tools leave it
in (Keras' ``fashion-mnist``, torchvision's ``FashionMNIST/raw``, the plain
``cifar-10-batches-py``, ...), and MNIST's four files also directly in it. When none
of its files is present the loader returns None and the claim falls back to its
embedded stand-in (and says so); when some are
present but others are missing, or a file is bad, it raises DataFileError naming the
file, because a half-present data set is a mistake the user wants to hear about.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from deepclaims.data import cifar, idx
from deepclaims.errors import ConfigError, DataFileError
from deepclaims.training import Split

IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
# Folder names relative to --data-dir, in the order they are tried.
FOLDERS = {
    # "." last: the four IDX files directly in --data-dir are read as MNIST (Fashion-MNIST
    # uses the same file names, so it must sit in a folder of its own).
    "mnist": ("mnist", "MNIST/raw", "MNIST", "mnist/raw", "."),
    "fashion_mnist": ("fashion-mnist", "fashion_mnist", "FashionMNIST/raw", "FashionMNIST", "fashion-mnist/raw"),
    "cifar10": ("cifar-10-batches-py", "cifar10/cifar-10-batches-py", "CIFAR10/cifar-10-batches-py", "cifar10"),
}
COUNTS = {"mnist": (60000, 10000), "fashion_mnist": (60000, 10000), "cifar10": (50000, 10000)}
REAL = tuple(FOLDERS)


@dataclass
class RealData:
    """A real data set as stored: uint8 images [N, H, W] or [N, H, W, 3] and int64 labels."""

    name: str
    folder: Path
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def describe(self) -> str:
        return (f"{self.name} from {self.folder} ({len(self.y_train)} training, "
                f"{len(self.y_test)} test images)")


def _idx_file(folder: Path, stem: str) -> Path | None:
    """The file for ``stem`` in ``folder``: raw, gzip, or with the '.idx' dot spelling."""
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        path = folder / name
        if path.is_file():
            return path
    return None


def _find_idx(name: str, data_dir: Path) -> tuple[Path, dict[str, Path]] | None:
    for rel in FOLDERS[name]:
        folder = data_dir / rel
        if not folder.is_dir():
            continue
        found = {key: _idx_file(folder, stem) for key, stem in IDX_FILES.items()}
        present = {k: p for k, p in found.items() if p is not None}
        if not present:
            continue
        if len(present) < len(IDX_FILES):
            missing = [IDX_FILES[k] for k in IDX_FILES if k not in present]
            raise DataFileError(f"{folder}: {name} is incomplete, missing {', '.join(missing)} "
                                "(raw or .gz)")
        return folder, present
    return None


def _find_cifar(data_dir: Path) -> Path | None:
    for rel in FOLDERS["cifar10"]:
        folder = data_dir / rel
        if folder.is_dir() and any((folder / n).exists() for n in cifar.TRAIN_BATCHES + (cifar.TEST_BATCH,)):
            return folder
    return None


def locate(name: str, data_dir: Path) -> Path | None:
    """The folder under ``data_dir`` holding ``name``'s files, or None; reads no file (an
    incomplete IDX set still raises DataFileError, as loading it would)."""
    if name == "cifar10":
        return _find_cifar(data_dir)
    hit = _find_idx(name, data_dir)
    return None if hit is None else hit[0]


def folder_signature(data_dir: Path | str | None) -> str:
    """What the data sets under ``data_dir`` are, for cache keys: the name, size and
    modification time of every file in the folders the loaders look in. A result computed
    on a stand-in because a data set was absent is then not reused once it is present
    (nor after a file is replaced)."""
    if data_dir is None:
        return "-"
    root = Path(data_dir)
    entries = []
    for rel in sorted({rel for folders in FOLDERS.values() for rel in folders}):
        folder = root / rel
        if folder.is_dir():
            for path in sorted(p for p in folder.iterdir() if p.is_file()):
                stat = path.stat()
                entries.append(f"{path.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns}")
    return "|".join(entries)


def load_arrays(name: str, data_dir: Path | None, check_counts: bool = True) -> RealData | None:
    """The data set ``name`` from ``data_dir`` as stored, or None when it is absent.

    ``check_counts`` also requires the published sizes (60000/10000 for the MNISTs,
    10000 per CIFAR batch); tests that write small files turn it off.
    """
    if name not in FOLDERS:
        raise ConfigError(f"unknown real data set {name!r}; accepted: {', '.join(REAL)}")
    if data_dir is None:
        return None
    data_dir = Path(data_dir)
    if name == "cifar10":
        folder = _find_cifar(data_dir)
        if folder is None:
            return None
        arrays = cifar.read_cifar10(folder, cifar.BATCH_SIZE if check_counts else None)
        return RealData(name, folder, *arrays)
    hit = _find_idx(name, data_dir)
    if hit is None:
        return None
    folder, files = hit
    n_train, n_test = COUNTS[name] if check_counts else (None, None)
    x_train, y_train = idx.read_pair(files["train_images"], files["train_labels"], n_train)
    x_test, y_test = idx.read_pair(files["test_images"], files["test_labels"], n_test)
    return RealData(name, folder, x_train, y_train, x_test, y_test)


def to_split(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray,
             scale: float = 1 / 255.0, flatten: bool = True) -> Split:
    """uint8 images to a float Split: multiplied by ``scale`` and flattened to [N, features]."""
    def prep(x):
        x = torch.as_tensor(np.ascontiguousarray(x), dtype=torch.float32) * scale
        return x.reshape(len(x), -1) if flatten else x
    return Split(prep(x_train), torch.as_tensor(y_train, dtype=torch.long),
                 prep(x_test), torch.as_tensor(y_test, dtype=torch.long))


def load_real(name: str, data_dir: Path | None, scale: float = 1 / 255.0, flatten: bool = True,
              check_counts: bool = True) -> Split | None:
    """A real data set's train/test Split (pixels times ``scale``), or None when absent."""
    data = load_arrays(name, data_dir, check_counts)
    if data is None:
        return None
    return to_split(data.x_train, data.y_train, data.x_test, data.y_test, scale, flatten)


__all__ = ["RealData", "folder_signature", "locate", "load_arrays", "load_real", "to_split", "REAL", "DataFileError"]
