"""Wall-clock timing for the benchmarks, CUDA synchronised around each round.

Two ways to time:

- ``best_of`` / ``best_of_paired``: each callable's best round (the least disturbed one).
  Simple, but on a machine other jobs share, the best rounds of two arms may come from
  quiet and busy moments alike, and their ratio can be off by a factor with nothing to
  say so.
- ``paired_ratio``: the ratio of two arms from paired rounds. The arms run alternately,
  each pair's ratio compares two rounds taken back to back (so a change in load hits both),
  and the reported ratio is the geometric mean of the per-pair ratios with a bootstrap
  interval (the engine's expanded percentile bootstrap). A measurement whose interval
  spans more than ``UNSTABLE_SPREAD``, or taken while other processes kept the machine
  busy, is re-measured with more rounds, and kept but marked ``unstable`` if it stays so.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from statistics import median
from typing import Callable, Sequence

import numpy as np
import torch

from deepclaims.errors import ConfigError
from deepclaims.stats import bootstrap_interval

Clock = Callable[[], float]

# The widest 95% interval, as its high end over its low end, that a ratio may have and
# still be printed as a number. 1.25 puts each end of the interval within about 12% of
# the geometric-mean ratio (sqrt 1.25 = 1.118): the ratios these benchmarks report lie
# between about 1 and 50 and are read to one or two significant figures, so a 12%
# uncertainty leaves the first figure settled (1.5x reads as 1.3x..1.7x, not 0.07x or
# 3x). On a quiet machine whole training steps repeat to within a few percent, and ten
# or more pairs give an interval far narrower than 1.25; only load that shifts within a
# measurement widens it past the limit.
UNSTABLE_SPREAD = 1.25
CONFIDENCE = 0.95
# 2000 resamples: at 10 pairs the expanded interval reads about the 0.9% and 99.1%
# quantiles, 17 resampled means each; rerunning with another seed moves the ends by well
# under the spread limit.
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20
# An unstable measurement is taken again, from scratch (the disturbed rounds are not
# pooled in), with REMEASURE_GROWTH times the rounds each time, at most REMEASURES times:
# bounded, so a machine that stays busy costs at most 1 + 2 + 4 = 7 times the rounds.
REMEASURES = 2
REMEASURE_GROWTH = 2
# Other processes' CPU use, in cores on average over a measurement, above which its ratio is
# marked unstable however narrow its interval: contention can bias a ratio consistently
# (the two arms use memory and caches differently), which alternating rounds do not cancel.
# Measured: G4's lab-shape AdaGrad ratio read 1.02 [0.93, 1.13] beside a CPU-bound job and
# 1.45 [1.41, 1.48] on the idle machine. Half a core: a suite's own workers on a 2-core box
# stay below it when idle, any second CPU-bound job is above it.
BUSY_CORES = 0.5


def sync(device: torch.device) -> None:
    """Wait for queued CUDA work, so a round's time covers the kernels it launched."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed_round(fn: Callable[[], object], device: torch.device, clock: Clock = time.perf_counter) -> float:
    """Seconds one call of ``fn`` takes, device work included."""
    sync(device)
    start = clock()
    fn()
    sync(device)
    return clock() - start


def best_of_paired(fns: Sequence[Callable[[], object]], rounds: int, device: torch.device,
                   warmup: int = 0) -> list[float]:
    """Each callable's best round in seconds, the callables taking turns round by round
    (so a change in machine load hits every arm alike)."""
    for _ in range(warmup):
        for fn in fns:
            fn()
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            best[i] = min(best[i], timed_round(fn, device))
    return best


def best_of(fn: Callable[[], object], rounds: int, device: torch.device, warmup: int = 0) -> float:
    return best_of_paired([fn], rounds, device, warmup)[0]


# ---------------------------------------------------------------- paired ratios

@dataclass(frozen=True)
class PairedRatio:
    """numerator / denominator from paired rounds: ``ratio`` is the geometric mean of the
    per-pair ratios, ``low``..``high`` its bootstrap interval at ``CONFIDENCE``."""
    ratio: float
    low: float
    high: float
    numerator_s: tuple[float, ...]      # each round's seconds, pair by pair
    denominator_s: tuple[float, ...]
    unstable: bool                      # too wide an interval, or a busy machine, after re-measuring
    attempts: int                       # measurements taken: 1 + the re-measurements
    spread_limit: float = UNSTABLE_SPREAD
    other_cores: float | None = None    # other processes' CPU use during the last measurement (None: unknown)

    @property
    def pair_ratios(self) -> tuple[float, ...]:
        return tuple(n / d for n, d in zip(self.numerator_s, self.denominator_s))

    @property
    def pairs(self) -> int:
        return len(self.numerator_s)

    @property
    def spread(self) -> float:
        """The interval's high end over its low end (1.0: no disagreement at all)."""
        return self.high / self.low

    @property
    def numerator_median_s(self) -> float:
        return median(self.numerator_s)

    @property
    def denominator_median_s(self) -> float:
        return median(self.denominator_s)

    @property
    def numerator_best_s(self) -> float:
        return min(self.numerator_s)

    @property
    def denominator_best_s(self) -> float:
        return min(self.denominator_s)

    def summary(self) -> dict:
        """The interval and its verdict, rounded, for a benchmark's ``extra_info``."""
        return {"low": round(self.low, 3), "high": round(self.high, 3), "spread": round(self.spread, 3),
                "spread_limit": self.spread_limit, "unstable": self.unstable, "pairs": self.pairs,
                "attempts": self.attempts, "confidence": CONFIDENCE,
                "other_cores": None if self.other_cores is None else round(self.other_cores, 2)}

    @property
    def busy(self) -> bool:
        return is_busy(self.other_cores)

    def describe(self) -> str:
        why = (f"other processes used {self.other_cores:.1f} cores" if self.busy
               else f"interval spans more than x{self.spread_limit:g}")
        mark = f" UNSTABLE ({why})" if self.unstable else ""
        return f"{self.ratio:.3g}x [{self.low:.3g}, {self.high:.3g}]{mark}"


def geometric_mean_interval(ratios: Sequence[float], confidence: float = CONFIDENCE,
                            resamples: int = BOOTSTRAP_RESAMPLES,
                            seed: int = BOOTSTRAP_SEED) -> tuple[float, float, float]:
    """(geometric mean, low, high): the engine's bootstrap interval
    (``deepclaims.stats.bootstrap_interval``, the expanded percentile bootstrap whose
    coverage tests/test_stats_coverage.py measures) of the mean log ratio, seeded so the same
    ratios give the same interval. Ratios multiply, so their logs are averaged: 2x and 0.5x
    cancel to 1x."""
    logs = np.log(np.asarray(ratios, dtype=float))
    if logs.ndim != 1 or len(logs) < 2:
        raise ConfigError(f"need at least 2 per-pair ratios for an interval, got {len(logs)}")
    if not np.all(np.isfinite(logs)):
        raise ConfigError(f"per-pair ratios must be positive and finite, got {list(ratios)}")
    est = bootstrap_interval(logs, confidence=confidence, resamples=resamples, seed=seed)
    return float(np.exp(est.value)), float(np.exp(est.low)), float(np.exp(est.high))


def alternate_rounds(numerator_fn: Callable[[], object], denominator_fn: Callable[[], object], rounds: int,
                     device: torch.device, clock: Clock = time.perf_counter) -> tuple[list[float], list[float]]:
    """Each arm's seconds in ``rounds`` pairs. Even pairs run the numerator first, odd pairs
    the denominator first, so whatever the first of two back-to-back runs pays (a cold
    cache, a clock ramping up) falls on each arm equally often."""
    numerator_s, denominator_s = [], []
    for pair in range(rounds):
        if pair % 2 == 0:
            numerator_s.append(timed_round(numerator_fn, device, clock))
            denominator_s.append(timed_round(denominator_fn, device, clock))
        else:
            denominator_s.append(timed_round(denominator_fn, device, clock))
            numerator_s.append(timed_round(numerator_fn, device, clock))
    if min(numerator_s + denominator_s) <= 0:
        raise ConfigError("a round took no measurable time (the clock did not advance): time more work per round")
    return numerator_s, denominator_s


def _check_paired_settings(rounds: int, warmup: int, remeasures: int, spread_limit: float) -> None:
    if not isinstance(rounds, int) or rounds < 2:
        raise ConfigError(f"rounds must be an integer of at least 2 (one pair gives no interval), got {rounds!r}")
    if not isinstance(warmup, int) or warmup < 0:
        raise ConfigError(f"warmup must be a non-negative integer, got {warmup!r}")
    if not isinstance(remeasures, int) or remeasures < 0:
        raise ConfigError(f"remeasures must be a non-negative integer, got {remeasures!r}")
    if not spread_limit > 1:
        raise ConfigError(f"spread_limit (the interval's high / low) must be above 1, got {spread_limit!r}")


def paired_ratio(numerator_fn: Callable[[], object], denominator_fn: Callable[[], object], rounds: int,
                 device: torch.device, warmup: int = 1, *, spread_limit: float = UNSTABLE_SPREAD,
                 remeasures: int = REMEASURES, clock: Clock = time.perf_counter,
                 load: Callable[[], float | None] | None = None) -> PairedRatio:
    """t(numerator_fn) / t(denominator_fn) from ``rounds`` alternating pairs of rounds.

    Each arm first runs ``warmup`` times untimed. If the ratio's interval spans more than
    ``spread_limit`` (high / low), the whole measurement is taken again with
    ``REMEASURE_GROWTH`` times the rounds, at most ``remeasures`` times; the last
    measurement is returned, with ``unstable`` set if its interval is still too wide. A
    measurement during which other processes used more than ``BUSY_CORES`` cores is treated
    the same way (re-measured, then marked), however narrow its interval. ``clock`` and
    ``load`` (the machine's CPU seconds) are injectable so tests control what is measured."""
    _check_paired_settings(rounds, warmup, remeasures, spread_limit)
    for _ in range(warmup):
        numerator_fn()
        denominator_fn()
    for attempt in range(remeasures + 1):
        with OtherProcessesLoad(load or machine_cpu_seconds) as busy:
            numerator_s, denominator_s = alternate_rounds(numerator_fn, denominator_fn,
                                                          rounds * REMEASURE_GROWTH ** attempt, device, clock)
        ratio, low, high = geometric_mean_interval([n / d for n, d in zip(numerator_s, denominator_s)])
        unstable = high / low > spread_limit or is_busy(busy.cores)
        if not unstable:
            break
    return PairedRatio(ratio, low, high, tuple(numerator_s), tuple(denominator_s), unstable=unstable,
                       attempts=attempt + 1, spread_limit=spread_limit, other_cores=busy.cores)


def is_busy(other_cores: float | None) -> bool:
    """Other processes used more than ``BUSY_CORES`` cores (False where that is unknown)."""
    return other_cores is not None and other_cores > BUSY_CORES


def machine_cpu_seconds() -> float | None:
    """CPU seconds all processes have used since boot (Linux /proc/stat: user, nice, system,
    irq, softirq, steal), or None where that is not readable."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
        ticks = os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, AttributeError):
        return None
    if not fields or fields[0] != "cpu":
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[1:9])
    return (user + nice + system + irq + softirq + steal) / ticks


class OtherProcessesLoad:
    """Other processes' average CPU use in cores over a ``with`` block: the machine's CPU
    time (``load()``, default /proc/stat) less this process's own, over the wall time.
    ``cores`` is None where the machine's CPU time cannot be read."""

    def __init__(self, load: Callable[[], float | None] = machine_cpu_seconds):
        self.load, self.cores = load, None

    def __enter__(self) -> "OtherProcessesLoad":
        self.start = (self.load(), time.process_time(), time.perf_counter())
        return self

    def __exit__(self, *exc) -> None:
        machine0, own0, wall0 = self.start
        machine1, own1, wall1 = self.load(), time.process_time(), time.perf_counter()
        if machine0 is None or machine1 is None or wall1 <= wall0:
            return
        self.cores = max(0.0, (machine1 - machine0) - (own1 - own0)) / (wall1 - wall0)
