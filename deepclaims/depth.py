"""Maximum trainable depth from a depth sweep over seeds.

At each swept depth a seed is "trainable" when its run learned (the claim decides what
that means, e.g. test accuracy clearly above chance). The fraction trainable gets a
Wilson interval. The maximum trainable depth is bracketed by

- ``low``: the deepest swept depth up to which every depth is confidently trainable
  (Wilson lower bound of the fraction above one half), and
- ``high``: the first swept depth that is confidently untrainable (Wilson upper bound
  below one half), or infinity when no swept depth is (the sweep is censored);

the point estimate interpolates where the observed fraction crosses one half.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from deepclaims.errors import ConfigError
from deepclaims.stats import Estimate, proportion


@dataclass(frozen=True)
class DepthLimit:
    depths: tuple[int, ...]
    fractions: tuple[float, ...]
    lows: tuple[float, ...]
    highs: tuple[float, ...]
    estimate: float
    low: float
    high: float


def max_trainable_depth(depths, trainable, confidence: float = 0.95) -> DepthLimit:
    """``trainable`` is a boolean array [len(depths), seeds]; depths must increase."""
    depths = [int(d) for d in depths]
    flags = np.asarray(trainable, dtype=bool)
    if flags.ndim != 2 or flags.shape[0] != len(depths) or len(depths) == 0:
        raise ConfigError(f"trainable must be [depths={len(depths)}, seeds], got shape {flags.shape}")
    if any(b <= a for a, b in zip(depths, depths[1:])):
        raise ConfigError(f"depths must strictly increase, got {depths}")
    ests = [proportion(row, confidence) for row in flags]
    fractions = [e.value for e in ests]
    low = 0.0
    for d, e in zip(depths, ests):
        if e.low > 0.5:
            low = float(d)
        else:
            break
    high = math.inf
    for d, e in zip(depths, ests):
        if e.high < 0.5 and d > low:
            high = float(d)
            break
    # Point estimate: the first crossing of one half, linearly interpolated.
    estimate = crossing_depth(depths, fractions)
    estimate = min(max(estimate, low), high)
    return DepthLimit(tuple(depths), tuple(float(f) for f in fractions), tuple(float(e.low) for e in ests),
                      tuple(float(e.high) for e in ests), float(estimate), low, high)


def crossing_depth(depths, fractions) -> float:
    """Where the trainable fraction first falls below one half, linearly interpolated;
    the deepest swept depth when it never does (a censored, conservative value)."""
    if fractions[0] < 0.5:
        return float(depths[0])
    for (d0, f0), (d1, f1) in zip(zip(depths, fractions), zip(depths[1:], fractions[1:])):
        if f0 >= 0.5 > f1:
            return d0 + (f0 - 0.5) / (f0 - f1) * (d1 - d0)
    return float(depths[-1])


def bootstrap_depth_ratio(deeper, shallower, confidence: float = 0.95, resamples: int = 2000,
                          seed: int = 0) -> Estimate:
    """Ratio of two sweeps' crossing depths with a percentile bootstrap over seeds.

    ``deeper`` and ``shallower`` are (depths, trainable [depths, seeds]) pairs. Seeds are
    resampled independently per sweep (each sweep's seeds are columns of its array); the
    generator is fixed, so the same evidence always gives the same interval.
    """
    rng = np.random.default_rng(seed)

    def crossing(sweep, idx=None):
        depths, flags = sweep
        flags = np.asarray(flags, dtype=bool)
        chosen = flags if idx is None else flags[:, idx]
        return crossing_depth(list(depths), chosen.mean(1))

    n_deep, n_shallow = np.asarray(deeper[1]).shape[1], np.asarray(shallower[1]).shape[1]
    unobserved = [f"{name}: {why}" for name, sweep in (("deeper sweep", deeper), ("shallower sweep", shallower))
                  if (why := crossing_unobserved(sweep[0], np.asarray(sweep[1], dtype=bool).mean(1)))]
    ratios = np.array([crossing(deeper, rng.integers(0, n_deep, n_deep))
                       / crossing(shallower, rng.integers(0, n_shallow, n_shallow)) for _ in range(resamples)])
    alpha = 1 - confidence
    low, high = np.quantile(ratios, [alpha / 2, 1 - alpha / 2])
    return Estimate(crossing(deeper) / crossing(shallower), float(low), float(high), confidence,
                    "bootstrap over seeds", int(min(n_deep, n_shallow)), "; ".join(unobserved))


def crossing_unobserved(depths, fractions) -> str:
    """Why a sweep's crossing of one half is not observed (empty when it is).

    When even the shallowest swept depth is not trainable, or the deepest still is, the
    crossing lies outside the sweep and ``crossing_depth`` only clamps it to an end: a
    ratio of such values measures the sweep's ends, not the nets (with a learning rate of
    zero both sweeps 'cross' at their first depth and the ratio is theirs).
    """
    if fractions[0] < 0.5:
        return f"no swept depth is trainable (fraction {fractions[0]:.2f} at the shallowest, {depths[0]})"
    if fractions[-1] >= 0.5:
        return f"every swept depth is trainable (fraction {fractions[-1]:.2f} at the deepest, {depths[-1]})"
    return ""

