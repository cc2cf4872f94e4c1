"""Benchmark: the ten-candidate LR range test (1e-9 .. 1e1, batch 64) for S seeds, batched
as rows of one model (``deepclaims.lr_batched``: every candidate x seed a row with its own
learning rate) against ten separate runs, one per candidate (each holding the S seeds, as
the seed-batched engine trains them), one epoch of the ci MiniGoogLeNet on the ci stand-in.
The ratio (separate / batched) goes into ``extra_info``. Timings are never pass/fail.

Measured on this suite's 2-core CPU machine (torch 2.13 CPU build, one thread, other jobs
running; ``OMP_NUM_THREADS=1 pytest bench/test_F_lr_range_bench.py``), best of 3: batched
1.08 s, ten separate runs 1.15 s, ratio 1.1x. On a CPU the convolutions cost per row either
way (``auto`` computes them row by row there), so batching the candidates saves only the
per-step overhead; the rows buy one model, one data order per seed and one loop. CUDA was
not measured.
"""
import time

import numpy as np

from claims.f_learning_rates.experiments import TIERS
from claims.f_learning_rates.runs import load_data
from deepclaims.lr_batched import RowSchedule, row_layout, total_steps, train_rows
from deepclaims.training import one_cpu_thread
from models.minigooglenet import build_minigooglenet

SEEDS = list(range(4))
CANDIDATES = tuple(np.logspace(-9, 1, 10))
BATCH = 64
ROUNDS = 3


def _epoch(data, lrs, seeds) -> float:
    row_lrs, row_seeds = row_layout(lrs, seeds)
    model = build_minigooglenet(TIERS["ci"].run.spec, row_seeds)
    steps = total_steps(len(data.y_train), (BATCH,))
    table = np.repeat(np.asarray(row_lrs)[None, :], steps, 0)
    start = time.perf_counter()
    train_rows(model, data, row_seeds, RowSchedule((BATCH,), table))
    return time.perf_counter() - start


def test_ten_candidate_range_test_batched_against_ten_runs(benchmark, ratio):
    data = load_data(TIERS["ci"].run)[1]
    with one_cpu_thread():
        batched = min(_epoch(data, CANDIDATES, SEEDS) for _ in range(ROUNDS))
        separate = min(sum(_epoch(data, (lr,), SEEDS) for lr in CANDIDATES) for _ in range(ROUNDS))
        benchmark.pedantic(_epoch, args=(data, CANDIDATES, SEEDS), rounds=1, iterations=1)
    benchmark.extra_info["batched_s"] = round(batched, 4)
    benchmark.extra_info["ten_separate_runs_s"] = round(separate, 4)
    ratio(f"{len(CANDIDATES)} learning rates x {len(SEEDS)} seeds, one epoch", separate, batched)
