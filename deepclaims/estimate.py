"""How long a run would take, measured before it starts.

Each planned experiment is shrunk by its ``one_step`` (the lab dry run's shrink), run
once on one shard of seeds on the chosen device, and the time scaled up by the
experiment's work ratio (full work over the shrunk run's, per seed) and by the number
of shards. The fixed costs of the shrunk run (loading data, building the nets) are
scaled with it, so the estimate leans high for runs whose one step is short. The first
call of each experiment function in a process is run once untimed first: it pays for
torch's lazy start-up, which the real run pays once, not once per epoch.

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

    @property
    def serial_seconds(self) -> float:
        return self.shard_seconds * self.ratio * self.shards

    def wall_seconds(self, workers: int) -> float:
        return self.shard_seconds * self.ratio * math.ceil(self.shards / max(workers, 1))


_warmed: set[str] = set()


def estimate_run(planned: Planned, device: str) -> Estimate:
    """Time ``planned``'s one-step version on one shard of its seeds."""
    exp = planned.experiment
    small = exp.one_step(planned.config)
    if hasattr(small, "device"):
        small = replace(small, device=device)
    seeds = list(range(min(exp.shard_size, planned.seeds)))
    if exp.name not in _warmed:
        exp(small, seeds[:1])
        _warmed.add(exp.name)
    started = time.perf_counter()
    exp(small, seeds)
    if device.startswith("cuda"):
        import torch
        torch.cuda.synchronize()
    return Estimate(exp.name, time.perf_counter() - started, math.ceil(planned.seeds / exp.shard_size),
                    exp.work_ratio(planned.config))


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
