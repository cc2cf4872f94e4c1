"""Benchmark: one epoch of the lab's FFNet (31 hidden tanh layers of width 5, spirals,
batch 32, SGD 0.01/0.9) for S=64 seeds, vectorised against a Python loop over seeds
doing the same work (64 single-seed models, each with its own optimiser and batch order,
each evaluated on the training and test sets at the end as ``train`` does).

Both paths run the same code (the S=1 model is the batched model with one seed), so the
ratio is what batching the seeds buys, not a difference between two implementations. As
a check that the loop is not slowed by the batched layers, a third timing runs 64 plain
``torch.nn.Sequential`` models (``nn.Linear``, ``nn.Tanh``, ``torch.optim.SGD``) through
the same batches: the way one would write the loop without this suite.

Everything is measured in one run, each timing the best of several rounds, at the
process's thread count and again at one thread; the ratios (loop / vectorised) go into
the benchmark's extra_info and the run's summary (bench/conftest.py). Timings are never
pass/fail thresholds.
"""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from bench.timing import best_of
from deepclaims import seeding
from deepclaims.data.embedded import embedded
from deepclaims.training import Split, TrainConfig, one_cpu_thread, train
from models.mlp import DenseSpec, build

SEEDS = list(range(64))
SPEC = DenseSpec(2, 5, 31, 1, "tanh", "glorot_uniform")
ONE_EPOCH = TrainConfig(epochs=1, batch_size=32, lr=0.01, momentum=0.9, loss="bce")
LOOP_ROUNDS, VECTORISED_ROUNDS = 3, 10


def _models(device):
    vectorised = build("ffnet", len(SEEDS), SPEC, seeding.generators(SEEDS, "init")).to(device)
    singles = [build("ffnet", 1, SPEC, seeding.generators([s], "init")).to(device) for s in SEEDS]
    return vectorised, singles


def _plain_model(seed: int) -> nn.Sequential:
    widths = [SPEC.in_features] + [SPEC.width] * SPEC.depth
    layers = []
    with torch.random.fork_rng():  # PyTorch's default init draws from the global generator
        torch.manual_seed(seed)
        for a, b in zip(widths[:-1], widths[1:]):
            layers += [nn.Linear(a, b), nn.Tanh()]
        return nn.Sequential(*layers, nn.Linear(SPEC.width, SPEC.out_features))


def _plain_epoch(model: nn.Sequential, data: Split, seed: int) -> None:
    """One epoch of SGD on shuffled batches, then loss and accuracy on both sets."""
    optimiser = torch.optim.SGD(model.parameters(), lr=ONE_EPOCH.lr, momentum=ONE_EPOCH.momentum)
    order = torch.randperm(len(data.y_train), generator=seeding.generator(seed, "order"))
    for start in range(0, len(order), ONE_EPOCH.batch_size):
        idx = order[start:start + ONE_EPOCH.batch_size]
        loss = F.binary_cross_entropy_with_logits(model(data.x_train[idx]).squeeze(-1), data.y_train[idx].float())
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
    with torch.no_grad():
        for x, y in ((data.x_train, data.y_train), (data.x_test, data.y_test)):
            logits = model(x).squeeze(-1)
            F.binary_cross_entropy_with_logits(logits, y.float()).item()
            ((logits > 0).long() == y.long()).float().mean().item()


@pytest.mark.parametrize("device_name", ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA device"))])
def test_lab_ffnet_epoch_vectorised_vs_seed_loop(benchmark, ratio, device_name):
    device = torch.device(device_name)
    data = embedded("spirals").to(device)
    vectorised, singles = _models(device)
    plain = [_plain_model(s).to(device) for s in SEEDS]
    numel = lambda model: sum(p.numel() for p in model.parameters())
    assert numel(plain[0]) == numel(singles[0]), "the plain reference must be the same network"
    run_vectorised = lambda: train(vectorised, data, ONE_EPOCH, SEEDS)
    run_loop = lambda: [train(m, data, ONE_EPOCH, [s]) for m, s in zip(singles, SEEDS)]
    run_plain = lambda: [_plain_epoch(m, data, s) for m, s in zip(plain, SEEDS)]
    run_vectorised(), run_loop(), run_plain()  # warm-up: allocator, kernels, thread pools
    loop_s = best_of(run_loop, LOOP_ROUNDS, device)
    plain_s = best_of(run_plain, LOOP_ROUNDS, device)
    benchmark.pedantic(run_vectorised, rounds=VECTORISED_ROUNDS, warmup_rounds=1)
    vectorised_s = benchmark.stats.stats.min
    info = {"seeds": len(SEEDS), "device": device_name, "threads": torch.get_num_threads(),
            "loop_best_s": loop_s, "plain_torch_loop_best_s": plain_s, "vectorised_best_s": vectorised_s}
    threads = f"{device_name}, {torch.get_num_threads()} threads"
    ratio(f"seed loop, {threads}", loop_s, vectorised_s)
    ratio(f"plain nn.Sequential loop, {threads}", plain_s, vectorised_s)
    if device_name == "cpu":
        with one_cpu_thread():
            loop_1 = best_of(run_loop, LOOP_ROUNDS, device)
            plain_1 = best_of(run_plain, LOOP_ROUNDS, device)
            vectorised_1 = best_of(run_vectorised, VECTORISED_ROUNDS, device)
        info.update({"loop_best_s_one_thread": loop_1, "plain_torch_loop_best_s_one_thread": plain_1,
                     "vectorised_best_s_one_thread": vectorised_1})
        ratio("seed loop, cpu, 1 thread", loop_1, vectorised_1)
        ratio("plain nn.Sequential loop, cpu, 1 thread", plain_1, vectorised_1)
    benchmark.extra_info.update(info)
