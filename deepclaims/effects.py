"""Smallest effects of interest, the three-way rule for comparisons, and seeds by power.

A comparison (a difference or a ratio between arms, a trend) is never judged against
"no difference" alone: an effect whose true value is about zero straddles zero at any
seed count, so that reading decides nothing. Each comparative part declares the
smallest effect that would matter (a :class:`SmallestEffect`, taken from the source's
words where it gives one, else from one of the conventions below), and the rule,
written here once, is the minimum-effect reading of Lakens (2017, "Equivalence tests")
on a two-sided 95% interval:

- **reproduced**: the interval clears the smallest effect in the claimed direction (the
  effect is at least as large as the smallest that matters);
- **contradicted**: the interval lies wholly short of it (an effect too small to matter,
  or one the other way);
- **not reproduced**: the interval holds the smallest effect, i.e. it is wider than the
  data can separate; the part then reports the seeds that would decide it
  (:func:`seeds_to_decide`).

For a non-inferiority comparison ("at least as good as") the smallest effect is the
margin of loss that would matter: reproduced when the interval lies above
``null - margin`` (no loss that matters), contradicted when it lies below it.

Conventions, fixed before the results they judge were seen (issue 21), for comparisons
whose source gives no size. Each is the smallest change a reader of the quantity would
call a change:

- ``ACCURACY_POINT`` = 0.01: a difference of test or validation accuracy between arms.
  One accuracy point: labs and papers report accuracy to the point (LeNet-5's tables,
  lab 002's epoch log, whose largest epoch-to-epoch wobble is 0.0078).
- ``SHARE_POINTS`` = 0.10: a difference between two shares (of runs that learn or
  collapse, of units born dead): one run or unit in ten.
- ``LOG10_TENTH`` = log10(1.1): a log10 ratio of two positive magnitudes (losses,
  gradient norms, variances, distances): a change by a tenth, the smallest step a curve
  on a log axis shows.
- ``RANK_CORRELATION`` = 0.1: a Spearman correlation taken as a trend; Cohen's (1988)
  "small" correlation.
- ``LOSS_NATS`` = 0.05: a difference between two cross-entropy losses in nats (C3's
  non-inferiority margin; about 5% of a typical loss near 1 nat).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats as _sps

from deepclaims.errors import ConfigError
from deepclaims.stats import Estimate

SUPERIORITY = "superiority"
NON_INFERIORITY = "non-inferiority"
KINDS = (SUPERIORITY, NON_INFERIORITY)
POWER = 0.8           # the usual 80% power for the seeds that would decide a part
MAX_SEEDS = 1_000_000
T_METHODS = ("t", "paired-t")   # the stats module's Student-t intervals  # past this the search stops: the part cannot be decided by seeds


@dataclass(frozen=True)
class SmallestEffect:
    """The smallest effect that would matter for one comparison, and where it came from."""

    size: float
    source: str
    kind: str = SUPERIORITY

    def __post_init__(self):
        if not (isinstance(self.size, (int, float)) and math.isfinite(self.size) and self.size > 0):
            raise ConfigError(f"a smallest effect must be a positive finite number, got {self.size!r}")
        if not self.source.strip():
            raise ConfigError("a smallest effect must say where it came from (the source's words or a convention)")
        if self.kind not in KINDS:
            raise ConfigError(f"unknown kind of comparison {self.kind!r}; accepted: {', '.join(KINDS)}")

    def because(self, source: str) -> "SmallestEffect":
        """The same size, with the source's words saying why it applies here."""
        return SmallestEffect(self.size, source, self.kind)

    def as_dict(self) -> dict:
        return {"size": self.size, "source": self.source, "kind": self.kind}


ACCURACY_POINT = SmallestEffect(0.01, "convention: one accuracy point")
SHARE_POINTS = SmallestEffect(0.10, "convention: ten points of a share, one run or unit in ten")
LOG10_TENTH = SmallestEffect(math.log10(1.1), "convention: a change by a tenth, log10 1.1")
RANK_CORRELATION = SmallestEffect(0.1, "convention: Cohen's small correlation")
LOSS_NATS = SmallestEffect(0.05, "convention: 0.05 nats of cross-entropy")
CONVENTIONS = {"ACCURACY_POINT": ACCURACY_POINT, "SHARE_POINTS": SHARE_POINTS, "LOG10_TENTH": LOG10_TENTH,
               "RANK_CORRELATION": RANK_CORRELATION, "LOSS_NATS": LOSS_NATS}


def boundary(null: float, direction: str, effect: SmallestEffect) -> float:
    """The value the interval is judged against: the null moved by the smallest effect,
    in the claimed direction for a superiority claim, against it for non-inferiority."""
    if direction not in ("above", "below"):
        raise ConfigError(f"a comparison's direction must be 'above' or 'below', got {direction!r}")
    sign = 1.0 if direction == "above" else -1.0
    if effect.kind == NON_INFERIORITY:
        sign = -sign
    return float(null + sign * effect.size)


def critical_value(estimate: Estimate) -> float:
    """The two-sided quantile the interval's half-width was built with: Student's t for t
    intervals over n values, the normal quantile otherwise (Wilson, Newcombe, bootstrap)."""
    upper = 0.5 + estimate.confidence / 2
    if estimate.method in T_METHODS:
        return float(_sps.t.ppf(upper, max(estimate.n - 1, 1)))
    return float(_sps.norm.ppf(upper))


def spread(estimate: Estimate, toward: float) -> float:
    """The per-seed standard deviation the interval implies, read from its half-width on
    the side facing ``toward`` (half-width x sqrt(n) / critical value)."""
    half = (estimate.high - estimate.value) if toward >= estimate.value else (estimate.value - estimate.low)
    return half * math.sqrt(estimate.n) / critical_value(estimate)


def power_at(n: int, standardised_gap: float, confidence: float) -> float:
    """Probability that a t interval over ``n`` values lies wholly on the far side of a
    boundary that the true mean clears by ``standardised_gap`` standard deviations."""
    if n < 2:
        return 0.0
    crit = _sps.t.ppf(0.5 + confidence / 2, n - 1)
    return float(_sps.nct.sf(crit, n - 1, standardised_gap * math.sqrt(n)))


def seeds_for(standardised_gap: float, confidence: float = 0.95, power: float = POWER) -> int | None:
    """The smallest n at which a t interval separates a mean from a boundary
    ``standardised_gap`` standard deviations away with probability ``power`` (a one-sample
    t test at the interval's two-sided level, non-central t); None when no n up to
    ``MAX_SEEDS`` does (a gap of zero)."""
    gap = abs(standardised_gap)
    if not gap > 0 or not math.isfinite(gap):
        return None
    if power_at(MAX_SEEDS, gap, confidence) < power:
        return None
    low, high = 2, 2
    while power_at(high, gap, confidence) < power:
        low, high = high, high * 2
    while low < high:
        mid = (low + high) // 2
        if power_at(mid, gap, confidence) >= power:
            high = mid
        else:
            low = mid + 1
    return low


def seeds_to_decide(estimate: Estimate, toward: float, power: float = POWER) -> int | None:
    """Seeds that would decide a part at its observed spread: the n at which an interval
    of this method would clear ``toward`` (the boundary) with 80% power if the true value
    were the observed one. An approximation for intervals other than t (Wilson, Newcombe,
    bootstrap), whose width also shrinks as 1/sqrt(n). None for exact or degenerate
    evidence, or an estimate sitting on its boundary (no seed count decides it)."""
    if estimate.method == "exact" or estimate.degenerate or estimate.n < 2:
        return None
    sd = spread(estimate, toward)
    if not sd > 0:
        return None
    return seeds_for((estimate.value - toward) / sd, estimate.confidence, power)
