"""``--tensorboard DIR``: the report's per-epoch histograms as TensorBoard event files.

The lab this suite grew from looks at per-layer weight and gradient histograms in
TensorBoard; with the option, the figures that draw such histograms (A4's FFNet and
ResNet weights and gradients, B2's gradients) also write them, one TensorBoard run per
arm and seed shown, at ``DIR/<fidelity>/<claim>/<arm>/seed_<seed>``; one tag per layer
and quantity (``weights/bottom_dense_1``, ``gradients/dense_3``), step = epoch.

What is written is what the figure draws: its 30 bins over its binned range, with the
counts it draws (``add_histogram_raw``), not a re-binning by TensorBoard. Values a figure
leaves outside its range (B2 bins the middle 99% of a layer's pooled gradients) are left
out of ``num``, ``sum`` and ``sum_squares`` too.

TensorBoard is an optional extra: this module imports it only when the option is used.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping

import numpy as np

from deepclaims.startup import StartupError

INSTALL = 'pip install -e ".[tensorboard]" (or pip install tensorboard)'
EVENT_FILES = "events.out.tfevents.*"


def require_tensorboard() -> None:
    """Refuse ``--tensorboard`` at start-up, in one line, when its package is missing."""
    try:
        from torch.utils.tensorboard import SummaryWriter  # noqa: F401
    except ImportError as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise StartupError(f"--tensorboard needs the tensorboard package, which cannot be imported here "
                           f"({detail}); install it: {INSTALL}") from None


def raw_histogram(row: np.ndarray, edges: np.ndarray, counts: np.ndarray) -> dict:
    """``add_histogram_raw``'s arguments for one drawn row: the figure's bins and counts;
    num, sum and sum of squares of the values those counts hold (the finite values within
    the edges, as ``np.histogram`` counts them).

    ``min`` and ``max`` are the figure's outer edges, not the data's extremes: TensorBoard
    draws its first bucket from ``min`` to the first limit (and the last up to ``max``), so
    with the data's extremes a figure range wider than the data (a range shared across
    epochs) would give an inverted first bucket and bins other than the figure's.
    """
    values = np.asarray(row, dtype=np.float64).ravel()
    values = values[np.isfinite(values) & (values >= edges[0]) & (values <= edges[-1])]
    if values.size != int(np.sum(counts)):
        raise ValueError(f"{values.size} values within the edges, but the counts hold {int(np.sum(counts))}")
    return {"min": float(edges[0]), "max": float(edges[-1]),
            "num": int(values.size), "sum": float(values.sum()), "sum_squares": float(values @ values),
            "bucket_limits": np.asarray(edges[1:], dtype=np.float64).tolist(),
            "bucket_counts": np.asarray(counts, dtype=np.int64).tolist()}


class TensorBoardExport:
    """Writes the report's histograms under ``folder`` (``--tensorboard DIR``/<fidelity>)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def run_folder(self, claim_id: str, arm: str, seed: int) -> Path:
        return self.folder / claim_id / arm / f"seed_{seed}"

    def write(self, claim_id: str, arm: str, seed: int,
              series: Mapping[str, tuple[Iterable[int], tuple[np.ndarray, np.ndarray, np.ndarray]]]) -> Path:
        """One run: ``series`` maps each tag to (steps, (rows, edges, counts)), the epochs
        of a figure panel's rows and what the panel draws (``claims.figures.ridge_bins``).

        The run's earlier event files go first, so a rerun replaces them instead of
        doubling every step. Each run is written by the one process that draws its figure
        (under xdist, the worker running that claim), so workers never share a run folder.
        """
        from torch.utils.tensorboard import SummaryWriter

        folder = self.run_folder(claim_id, arm, seed)
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob(EVENT_FILES):
            old.unlink()
        writer = SummaryWriter(log_dir=str(folder))
        try:
            for tag, (steps, (rows, edges, counts)) in series.items():
                steps = list(steps)
                if len(steps) != len(rows) or len(rows) != len(counts):
                    raise ValueError(f"{tag}: {len(steps)} steps for {len(rows)} rows and {len(counts)} histograms")
                for step, row, row_counts in zip(steps, rows, counts):
                    writer.add_histogram_raw(tag, global_step=int(step), **raw_histogram(row, edges, row_counts))
        finally:
            writer.close()
        return folder
