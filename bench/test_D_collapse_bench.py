"""Benchmark: the lab's 1000 trainings vectorised vs a Python loop over trainings.

Both sides run the same code (``train_collapse``: data draw, He init, born-dead check,
Adam on minibatches of 64 from 3000 points, collapse evaluation on the grid) for the
same number of epochs; the loop trains one net per call. The loop over all 1000
trainings would take minutes, so it times LOOP_SAMPLE trainings and scales by
1000 / LOOP_SAMPLE (stated in extra_info). Both are measured in the same run, and the
ratio (loop / vectorised) goes to ``extra_info["ratios"]`` and the run's summary. Work
per training: BENCH_EPOCHS epochs (the claim runs train longer; per-epoch cost is what
the ratio compares).
"""
from __future__ import annotations

import time

import pytest
import torch

from claims.d_dying_relu.runs import CollapseRun, train_collapse

TRAININGS = 1000
LOOP_SAMPLE = 8
BENCH_EPOCHS = 2


def _config(device: str = "cpu") -> CollapseRun:
    return CollapseRun(epochs=BENCH_EPOCHS, checkpoints=(BENCH_EPOCHS,), targets=("abs",), arms=("relu_he",),
                       device=device)


def test_D_vectorised_vs_loop_cpu(benchmark, ratio):
    def loop_sample() -> float:
        start = time.perf_counter()
        for seed in range(LOOP_SAMPLE):
            train_collapse(_config(), [seed])
        return time.perf_counter() - start

    loop_s = loop_sample()
    result = benchmark.pedantic(lambda: train_collapse(_config(), range(TRAININGS)), rounds=1,
                                iterations=1)
    vectorised_s = benchmark.stats.stats.mean
    loop_estimate_s = loop_s * TRAININGS / LOOP_SAMPLE
    ratio(f"{LOOP_SAMPLE} looped trainings scaled to {TRAININGS}, cpu", loop_estimate_s, vectorised_s)
    benchmark.extra_info.update({
        "trainings": TRAININGS, "epochs_per_training": BENCH_EPOCHS, "points_per_training": 3000,
        "loop_trainings_timed": LOOP_SAMPLE, "loop_seconds_for_sample": round(loop_s, 3),
        "loop_seconds_scaled_to_1000": round(loop_estimate_s, 2),
        "vectorised_seconds": round(vectorised_s, 3),
        "note": f"loop time measured on {LOOP_SAMPLE} trainings and scaled by {TRAININGS}/{LOOP_SAMPLE}",
    })
    assert result["spread_ratio"].shape[0] == TRAININGS


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_D_vectorised_cuda(benchmark):
    config = _config("cuda")
    train_collapse(config, range(8))                       # warm up kernels and the allocator

    def run():
        out = train_collapse(config, range(TRAININGS))     # returns numpy arrays: synchronised
        torch.cuda.synchronize()
        return out

    benchmark.pedantic(run, rounds=3, iterations=1)
    benchmark.extra_info.update({"trainings": TRAININGS, "epochs_per_training": BENCH_EPOCHS,
                                 "device": torch.cuda.get_device_name(0)})
