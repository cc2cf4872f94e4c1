"""Wall-clock timing for the benchmarks: CUDA synchronised around each round, best round kept."""
from __future__ import annotations

import time
from typing import Callable, Sequence

import torch


def sync(device: torch.device) -> None:
    """Wait for queued CUDA work, so a round's time covers the kernels it launched."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


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
            sync(device)
            start = time.perf_counter()
            fn()
            sync(device)
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def best_of(fn: Callable[[], object], rounds: int, device: torch.device, warmup: int = 0) -> float:
    return best_of_paired([fn], rounds, device, warmup)[0]
