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


# Where real data sets are looked for, in this order: --data-dir, the folder this
# environment variable names, then Debian's shared data sets (the dataset-* packages,
# e.g. `apt-get install dataset-fashion-mnist`, put their files there, read-only).
DATA_ENV = "DEEPCLAIMS_DATA"
SYSTEM_DATASETS = Path("/usr/share/datasets")


@dataclass(frozen=True)
class DataRoot:
    """A folder data sets are looked for in, and why it is searched."""

    folder: Path
    origin: str          # "--data-dir", "$DEEPCLAIMS_DATA" or "system"


@dataclass
class DataScan:
    """The real data sets found: for each, the folder it was read from and a description."""

    roots: list[DataRoot]
    found: dict[str, tuple[DataRoot, str]] = field(default_factory=dict)   # name -> (root, description)

    def summary(self) -> str:
        if not self.found:
            return "no data set in " + ", ".join(f"{r.folder} ({r.origin})" for r in self.roots)
        return "; ".join(f"{desc} [{root.origin}]" for root, desc in self.found.values())

    def folders(self) -> tuple[tuple[str, str], ...]:
        """(data set, the folder to give its loader) for every set found."""
        return tuple((name, str(root.folder)) for name, (root, _) in self.found.items())


LAYOUT_HELP = ("MNIST as mnist/ or MNIST/raw/ or the four IDX files directly in the folder; Fashion-MNIST "
               "as fashion-mnist/ or FashionMNIST/raw/; CIFAR-10 as cifar-10-batches-py/ (IDX files raw or .gz)")


def data_roots(data_dir: str | None, environ: dict[str, str], system: Path = SYSTEM_DATASETS) -> list[DataRoot]:
    """The folders to look for real data in, in order. A folder the user named (option or
    environment variable) must exist; the system folder is searched only when present."""
    roots = []
    for value, origin in ((data_dir, "--data-dir"), (environ.get(DATA_ENV) or None, f"${DATA_ENV}")):
        if value is None:
            continue
        folder = Path(value).expanduser()
        if not folder.is_dir():
            raise StartupError(f"{origin} {value!r} is not a folder; give a folder holding the data sets, "
                               "or leave it unset")
        if not os.access(folder, os.R_OK | os.X_OK):
            raise StartupError(f"{origin} {value!r} cannot be read (permission denied)")
        roots.append(DataRoot(folder, origin))
    if system.is_dir():
        roots.append(DataRoot(system, "system"))
    return roots


def data_folders(roots: list[DataRoot]) -> dict[str, DataRoot]:
    """{data set: the first root holding it}; looks for files, reads none (cheap enough for
    every xdist worker to repeat the controller's choice)."""
    from deepclaims.data.real import REAL, locate

    chosen = {}
    for name in REAL:
        for root in roots:
            try:
                if locate(name, root.folder) is not None:
                    chosen[name] = root
                    break
            except DataFileError as exc:
                raise StartupError(f"{root.origin}: {exc}") from None
    return chosen


def scan_data(roots: list[DataRoot]) -> DataScan:
    """Each real data set from the first folder holding it, loaded and validated in full
    (magic numbers, shapes, counts).

    A corrupt or truncated file is a one-line StartupError naming the file; a folder the
    user named that holds no recognised data set is one too, since the user meant it to
    hold some.
    """
    from deepclaims.data.real import REAL, load_arrays, locate

    scan = DataScan(roots)
    for name, root in data_folders(roots).items():
        try:
            data = load_arrays(name, root.folder)
        except DataFileError as exc:
            raise StartupError(f"{root.origin}: {exc}") from None
        scan.found[name] = (root, data.describe())
    for root in roots:
        if root.origin != "system" and not any(locate(name, root.folder) for name in REAL):
            raise StartupError(f"{root.origin} {str(root.folder)!r} holds no recognised data set; accepted "
                               f"layouts: {LAYOUT_HELP}")
    return scan
