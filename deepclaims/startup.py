"""Checks made once at start-up, before any experiment runs.

Every bad input becomes one line naming the problem and what is accepted, raised as
:class:`StartupError`; the plugin turns it into pytest's usage error (exit code 4), so a
mistake costs seconds, not the minutes of training that would run before it surfaced.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from deepclaims.errors import DataFileError, DeepClaimsError


class StartupError(DeepClaimsError):
    """A bad option or input found at start-up; the message is one line."""


def writable_folder(option: str, path: Path) -> Path:
    """``path`` is, or can be created as, a folder this process may write into."""
    if path.exists() and not path.is_dir():
        raise StartupError(f"{option} {str(path)!r} is a file, not a folder; give a folder (it is created if "
                           "missing)")
    probe = path
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise StartupError(f"{option} {str(path)!r} cannot be created: {str(probe)!r} is a file")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise StartupError(f"{option} {str(path)!r} is not writable (permission denied on {str(probe)!r})")
    return path


def resolve_device(choice: str) -> str:
    """``auto`` -> ``cuda`` when available else ``cpu``; ``cuda`` without a GPU is refused."""
    import torch

    available = torch.cuda.is_available()
    if choice == "cuda" and not available:
        raise StartupError("--device cuda was asked for but no CUDA device is available to this process; "
                           "accepted here: auto, cpu")
    if choice == "auto":
        return "cuda" if available else "cpu"
    return choice


@dataclass
class DataDirScan:
    """What ``--data-dir`` holds: the real data sets found, each checked in full."""

    folder: Path
    found: dict[str, str] = field(default_factory=dict)   # name -> description

    def summary(self) -> str:
        if not self.found:
            return f"{self.folder}: no data set"
        return "; ".join(self.found.values())


LAYOUT_HELP = ("MNIST as mnist/ or MNIST/raw/ or the four IDX files directly in the folder; Fashion-MNIST "
               "as fashion-mnist/ or FashionMNIST/raw/; CIFAR-10 as cifar-10-batches-py/ (IDX files raw or .gz)")


def scan_data_dir(folder: Path) -> DataDirScan:
    """Load and validate every real data set under ``folder`` (magic numbers, shapes, counts).

    A corrupt or truncated file is a one-line StartupError naming the file; a folder
    holding no recognised data set is one too, since the user meant it to hold some.
    """
    from deepclaims.data.real import REAL, load_arrays

    scan = DataDirScan(folder)
    for name in REAL:
        try:
            data = load_arrays(name, folder)
        except DataFileError as exc:
            raise StartupError(f"--data-dir: {exc}") from None
        if data is not None:
            scan.found[name] = data.describe()
    if not scan.found:
        raise StartupError(f"--data-dir {str(folder)!r} holds no recognised data set; accepted layouts: "
                           f"{LAYOUT_HELP}")
    return scan
