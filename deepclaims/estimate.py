"""How long a run would take, measured before it starts.

Each planned experiment is shrunk by its ``one_step`` (the lab dry run's shrink), run
once on one shard of seeds on the chosen device, and the time scaled up by the
experiment's work ratio (full work over the shrunk run's, per seed) and by the number
of shards. Where a second point can be timed (the experiment's ``two_step``, twice the
one step's work, or a one-epoch ``TrainConfig`` run timed again at two epochs), only the
difference of the two timings is scaled and the rest (loading data, building the nets,
evaluating) counted once; otherwise the fixed costs are scaled too and the estimate
leans high. The first call of each experiment function in a process is run once,
untimed: it pays for torch's lazy start-up, which the real run pays once.

With several workers (``pytest -n N``) experiments and shards run side by side: the
estimate is the serial time divided by N, or the longest single experiment's share of
it when that is longer.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import Sequence

from deepclaims.experiment import Planned


@dataclass(frozen=True)
class Estimate:
    """One planned experiment's estimated cost."""

    experiment: str
    shard_seconds: float    # one shard of the shrunk run, measured
    shards: int
    ratio: float            # full work / shrunk work, per seed
    fixed_seconds: float = 0.0   # the part of the shrunk run that does not grow with the work

    @property
    def full_shard_seconds(self) -> float:
        return self.fixed_seconds + (self.shard_seconds - self.fixed_seconds) * self.ratio

    @property
    def serial_seconds(self) -> float:
        return self.full_shard_seconds * self.shards

    def wall_seconds(self, workers: int) -> float:
        return self.full_shard_seconds * math.ceil(self.shards / max(workers, 1))


_warmed: set[str] = set()


def _timed(exp, config, seeds: list[int], device: str) -> float:
    started = time.perf_counter()
    exp(config, seeds)
    if device.startswith("cuda"):
        import torch
        torch.cuda.synchronize()
    return time.perf_counter() - started


def _two_epochs(small):
    """The second point of a one-epoch shrink trained by a TrainConfig at ``.train`` (the
    dense, stack and 002 trainings): the same configuration for two epochs; else None."""
    train = getattr(small, "train", None)
    if getattr(train, "epochs", None) == 1:
        return replace(small, train=replace(train, epochs=2))
    return None


def estimate_run(planned: Planned, device: str) -> Estimate:
    """Time ``planned``'s one-step version on one shard of its seeds. An experiment with a
    ``two_step`` (twice the one step's work) is timed at both sizes: the difference is the
    cost of the work, the rest a fixed cost (data, nets, evaluation) that is not scaled."""
    exp = planned.experiment
    on_device = lambda c: replace(c, device=device) if hasattr(c, "device") else c
    small = on_device(exp.one_step(planned.config))
    seeds = list(range(min(exp.shard_size, planned.seeds)))
    if exp.name not in _warmed:
        exp(small, seeds[:1])
        _warmed.add(exp.name)
    one = _timed(exp, small, seeds, device)
    fixed = 0.0
    two = exp.two_step(planned.config) if exp.two_step is not None else _two_epochs(small)
    if two is not None:
        work = max(_timed(exp, on_device(two), seeds, device) - one, 0.0)
        fixed = max(one - work, 0.0)
    return Estimate(exp.name, one, math.ceil(planned.seeds / exp.shard_size), exp.work_ratio(planned.config), fixed)


def estimate_runs(runs: Sequence[Planned], device: str) -> list[Estimate]:
    return [estimate_run(planned, device) for planned in runs]


def total_wall_seconds(estimates: Sequence[Estimate], workers: int) -> float:
    """Estimated wall time with ``workers`` processes: the work shared evenly, unless one
    experiment's shards alone take longer."""
    if not estimates:
        return 0.0
    shared = sum(e.serial_seconds for e in estimates) / max(workers, 1)
    return max(shared, max(e.wall_seconds(workers) for e in estimates))


def duration(seconds: float) -> str:
    """'45 s', '12 min', '3.4 h', '2.1 days'."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"
