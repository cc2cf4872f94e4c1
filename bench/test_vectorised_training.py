"""Benchmark: one epoch of the lab's FFNet (31 hidden tanh layers of width 5, spirals,
batch 32, SGD 0.01/0.9) for S=64 seeds, vectorised against a Python loop over seeds
doing the same work (64 single-seed models, each with its own optimiser and batch order).

The ratio loop/vectorised is measured in the same run and stored in the benchmark's
extra_info; the timings themselves are never pass/fail thresholds. Both paths run the
same code (the S=1 model is the batched model with one seed), so the ratio is what
batching the seeds buys, not a difference between two implementations.
"""
import time

import pytest
import torch

from deepclaims import seeding
from deepclaims.data.embedded import embedded
from deepclaims.training import TrainConfig, train
from models.mlp import DenseSpec, build

SEEDS = list(range(64))
SPEC = DenseSpec(2, 5, 31, 1, "tanh", "glorot_uniform")
ONE_EPOCH = TrainConfig(epochs=1, batch_size=32, lr=0.01, momentum=0.9, loss="bce")


def _models(device):
    vectorised = build("ffnet", len(SEEDS), SPEC, seeding.generators(SEEDS, "init")).to(device)
    singles = [build("ffnet", 1, SPEC, seeding.generators([s], "init")).to(device) for s in SEEDS]
    return vectorised, singles


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def _best_of(fn, rounds: int, device) -> float:
    best = float("inf")
    for _ in range(rounds):
        _sync(device)
        start = time.perf_counter()
        fn()
        _sync(device)
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize("device_name", ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA device"))])
def test_lab_ffnet_epoch_vectorised_vs_seed_loop(benchmark, device_name):
    device = torch.device(device_name)
    data = embedded("spirals").to(device)
    vectorised, singles = _models(device)
    run_vectorised = lambda: train(vectorised, data, ONE_EPOCH, SEEDS)
    run_loop = lambda: [train(m, data, ONE_EPOCH, [s]) for m, s in zip(singles, SEEDS)]
    run_vectorised(), run_loop()  # warm-up: allocator, kernels, thread pools
    loop_s = _best_of(run_loop, 3, device)
    benchmark.pedantic(run_vectorised, rounds=10, warmup_rounds=1)
    vectorised_s = benchmark.stats.stats.min
    benchmark.extra_info.update({
        "seeds": len(SEEDS), "device": device_name, "loop_best_s": loop_s, "vectorised_best_s": vectorised_s,
        "speedup_loop_over_vectorised": loop_s / vectorised_s,
    })
    print(f"\n{device_name}: loop {loop_s:.3f}s, vectorised {vectorised_s:.4f}s, "
          f"ratio {loop_s / vectorised_s:.1f}x for {len(SEEDS)} seeds")
