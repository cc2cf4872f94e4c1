"""Figures the labs ask for, drawn from probe results (matplotlib, no display needed)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# A reader's minimum: no text under 8 pt (deepclaims.figure_check holds every figure to it).
plt.rcParams.update({"font.size": 9, "legend.fontsize": 8, "xtick.labelsize": 8, "ytick.labelsize": 8,
                     "axes.titlesize": 9, "axes.labelsize": 9})
import numpy as np  # noqa: E402

from deepclaims.probes import HISTOGRAM_BINS  # noqa: E402


def value_range(*snapshots: np.ndarray, every: int = 1, tail: float = 0.0) -> tuple[float, float]:
    """The finite values' range over the epochs a ridge plot draws (every ``every``-th);
    with ``tail`` > 0, the [tail, 1 - tail] quantiles instead of min and max, so that a few
    outliers do not squeeze every histogram into one bin."""
    finite = np.concatenate([s[::every][np.isfinite(s[::every])] for s in snapshots])
    lo, hi = ((float(np.quantile(finite, tail)), float(np.quantile(finite, 1 - tail))) if finite.size
              else (-1.0, 1.0))
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return lo, hi


def ridge_bins(snapshots: np.ndarray, every: int = 1, span: tuple[float, float] | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What a ridge plot draws: (rows, edges, counts), the rows of ``snapshots`` drawn
    (every ``every``-th), the bins' edges [bins+1] over ``span`` (default: the rows' value
    range) and each row's 30-bin counts of its finite values [rows, bins]."""
    rows = snapshots[::every]
    lo, hi = span if span is not None else value_range(snapshots, every=every)
    edges = np.linspace(lo, hi, HISTOGRAM_BINS + 1)
    counts = np.array([np.histogram(r[np.isfinite(r)], bins=edges)[0] for r in rows], dtype=np.int64)
    return rows, edges, counts


def grid_bins(panels: dict[str, np.ndarray], every: int = 1, shared: list[list[str]] | None = None,
              tail: float = 0.0) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Each panel's ``ridge_bins`` as :func:`histogram_grid` draws it with these arguments
    (the TensorBoard export writes these, so its histograms are the figure's)."""
    spans = grid_spans(panels, every, shared, tail)
    return {label: ridge_bins(snaps, every, spans.get(label)) for label, snaps in panels.items()}


def grid_spans(panels: dict[str, np.ndarray], every: int = 1, shared: list[list[str]] | None = None,
               tail: float = 0.0) -> dict[str, tuple[float, float]]:
    """The common binned range of each panel in a ``shared`` group."""
    span = {}
    for group in shared or []:
        common = value_range(*(panels[label] for label in group), every=every, tail=tail)
        span.update({label: common for label in group})
    return span


def ridge(ax, snapshots: np.ndarray, title: str, every: int = 1, span: tuple[float, float] | None = None,
          xlabel: str = "value") -> None:
    """Per-epoch 30-bin histograms stacked with an offset (TensorBoard's 'offset' view).

    ``snapshots`` is [epochs+1, values]; the first row drawn (top, dark purple) is epoch 0
    and later epochs are drawn lower and lighter (viridis, ending in yellow). ``span``
    fixes the binned range (and x-axis), so panels that compare can share one scale.
    """
    _, edges, counts = ridge_bins(snapshots, every, span)
    lo, hi = float(edges[0]), float(edges[-1])
    centres = (edges[:-1] + edges[1:]) / 2
    counts = counts.astype(float)
    scale = counts.max() or 1.0
    cmap = plt.get_cmap("viridis")
    for i, c in enumerate(counts):
        offset = -i * 0.35
        ax.fill_between(centres, offset, offset + c / scale, color=cmap(i / max(len(counts) - 1, 1)), alpha=0.6,
                        linewidth=0.4)
    ax.set_yticks([])
    ax.set_xlim(lo, hi)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel(xlabel)
    ax.tick_params(labelsize=8)
    ax.ticklabel_format(axis="x", style="sci", scilimits=(-2, 2))
    ax.xaxis.get_offset_text().set_fontsize(8)


def histogram_grid(panels: dict[str, np.ndarray], suptitle: str, every: int = 1,
                   shared: list[list[str]] | None = None, cols: int = 4, tail: float = 0.0,
                   xlabel=lambda label: "value"):
    """A grid of ridge plots, one panel per (label, [epochs+1, values]) entry; the panels of
    each group in ``shared`` are binned over one common range (their pooled values' range,
    or its [tail, 1 - tail] quantiles) and drawn on one x-scale. ``xlabel(label)`` names
    what a panel's x axis shows."""
    span = grid_spans(panels, every, shared, tail)
    n = len(panels)
    cols = min(n, cols)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.0 * rows), squeeze=False)
    for ax, (label, snaps) in zip(axes.flat, panels.items()):
        ridge(ax, snaps, label, every, span.get(label), xlabel(label))
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.suptitle(suptitle, fontsize=11)
    fig.tight_layout()
    return fig


def lines_with_band(ax, x, samples: np.ndarray, label: str, log: bool = False) -> None:
    """Mean over seeds (rows of ``samples``) with a 10-90% band."""
    mean = np.nanmean(samples, 0)
    lo, hi = np.nanpercentile(samples, [10, 90], axis=0)
    ax.plot(x, mean, label=label)
    ax.fill_between(x, lo, hi, alpha=0.2)
    if log:
        ax.set_yscale("log")
