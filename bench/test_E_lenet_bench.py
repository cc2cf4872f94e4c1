"""Benchmark: one LeNet-5 epoch for S = 8 and S = 64 seeds (topic E's heaviest arm: BN after
every hidden layer, dropout 0.2 on the input and 0.5 on hidden layers), three ways:

- engine: the suite's seed-batched LeNet-5 (models/lenet.py) through ``train``, its
  convolutions one grouped conv2d on the channels-last grouped layout (what ``auto`` does);
  also timed with per-seed convolutions (``conv_mode="per_seed"``);
- seed loop: the same engine with one seed per model, S models trained one after another;
- vmap recipe: PyTorch's model-ensembling recipe, the thing a user would write instead: S
  plain ``PlainLeNet5`` modules stacked with ``torch.func.stack_module_state`` and trained by
  ``vmap(grad(loss))`` over parameters, buffers (BN's running averages) and each seed's own
  minibatch, with an SGD-with-momentum update on the stacked tensors. Its dropout masks come
  from the global generator (``randomness="different"``): it cannot give each seed its own
  stream, one reason the engine does not use it.

Every path sees the same data (the 28x28 digits stand-in, 256 training and 256 test images),
batch 32, SGD 0.05 / 0.9, and ends with loss and accuracy on both splits, as ``train`` does.
CPU timings run on one thread, as the claims train (``one_cpu_thread``). Each ratio (other /
engine) comes from alternating paired rounds with a bootstrap interval
(``bench.timing.paired_ratio``). Timings are never pass/fail thresholds.

Measured on this suite's 2-core CPU machine (torch 2.13 CPU build, one thread, no other
job; ``pytest bench/test_E_lenet_bench.py``), two runs at 8 seeds and three at 64 the same
afternoon, engine epoch 0.24-0.28 s at 8 seeds and 2.8-3.7 s at 64:

    8 seeds:  seed loop 2.0-2.2x, vmap recipe 3.2-3.5x, per-seed NCHW convs 1.5-1.8x
    64 seeds: seed loop 1.2-1.3x, vmap recipe 3.1x [3.08, 3.16], 2.5x [2.43, 2.52] and
              2.9x [2.74, 3.13]; per-seed NCHW convs 1.2-1.5x

Each run's interval is narrow, but the runs disagree with each other beyond them: the
intervals measure the rounds of one run, not the drift of the machine between runs.

The engine's epoch grows faster than its seeds (10-14x the time for 8x the seeds): at 64
seeds a layer's activations (64 x 32 images x 6 x 28 x 28 floats, 38 MB) leave the CPU's
caches and the element-wise passes (batch norm, ReLU, pooling, dropout, their backward)
run at memory bandwidth, which single-seed models, each small enough to stay in cache, do
not pay. The arithmetic (about 68 GFLOP per 64-seed epoch, training and evaluation) takes
0.36 s at this machine's measured matmul rate (190 GFLOP/s, one thread); issue 20's note
gives the profile. CUDA was not measured (no GPU on the machine this was written on).
"""
import copy

import pytest
import torch
import torch.nn.functional as F
from torch.func import functional_call, grad, stack_module_state, vmap

from bench.timing import paired_ratio
from deepclaims import seeding
from deepclaims.data.digits28 import digits28, standardised
from deepclaims.training import TrainConfig, one_cpu_thread, train
from models.lenet import LeNetSpec, PlainLeNet5, build_lenet

OPTIONS = dict(batch_norm=True, input_dropout=0.2, hidden_dropout=0.5, bn_momentum=0.1)
ONE_EPOCH = TrainConfig(epochs=1, batch_size=32, lr=0.05, momentum=0.9, loss="ce")
PAIRS = 4          # alternating rounds per ratio (bench.timing.paired_ratio re-measures if they disagree)


class VmapEnsemble:
    """S plain LeNet-5s trained together with torch.func (PyTorch's model-ensembling recipe)."""

    def __init__(self, device, seeds):
        self.seeds = seeds
        models = [PlainLeNet5(batch_norm=True, input_dropout=OPTIONS["input_dropout"],
                              hidden_dropout=OPTIONS["hidden_dropout"], bn_momentum=OPTIONS["bn_momentum"]).to(device)
                  for _ in seeds]
        self.params, self.buffers = stack_module_state(models)
        self.velocity = {k: torch.zeros_like(v) for k, v in self.params.items()}
        self.train_base = copy.deepcopy(models[0]).to("meta").train()
        self.eval_base = copy.deepcopy(models[0]).to("meta").eval()

        def loss(params, buffers, x, y):
            return F.cross_entropy(functional_call(self.train_base, (params, buffers), (x,)), y)

        self.grads = vmap(grad(loss), in_dims=(0, 0, 0, 0), randomness="different")
        self.logits = vmap(lambda p, b, x: functional_call(self.eval_base, (p, b), (x,)), in_dims=(0, 0, None))

    def epoch(self, data):
        n = len(data.y_train)
        orders = torch.stack([torch.randperm(n, generator=g) for g in seeding.generators(self.seeds, "order")])
        orders = orders.to(data.x_train.device)
        for start in range(0, n, ONE_EPOCH.batch_size):
            idx = orders[:, start:start + ONE_EPOCH.batch_size]
            grads = self.grads(self.params, self.buffers, data.x_train[idx], data.y_train[idx])
            with torch.no_grad():
                for k, p in self.params.items():
                    self.velocity[k].mul_(ONE_EPOCH.momentum).add_(grads[k])
                    p.sub_(ONE_EPOCH.lr * self.velocity[k])
        with torch.no_grad():
            for x, y in ((data.x_train, data.y_train), (data.x_test, data.y_test)):
                logits = self.logits(self.params, self.buffers, x)
                F.cross_entropy(logits.flatten(0, 1), y.repeat(len(self.seeds)), reduction="none").view(len(self.seeds), -1).mean(1).cpu()
                (logits.argmax(-1) == y).float().mean(1).cpu()


@pytest.mark.parametrize("n_seeds", [8, 64])
@pytest.mark.parametrize("device_name", ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA device"))])
def test_lenet_epoch_vectorised_vs_seed_loop_vs_vmap(benchmark, ratio, device_name, n_seeds):
    device = torch.device(device_name)
    seeds = list(range(n_seeds))
    data = standardised(digits28(train_size=256, test_size=256)).to(device)
    engine = build_lenet(LeNetSpec(**OPTIONS), seeds).to(device)
    per_seed = build_lenet(LeNetSpec(conv_mode="per_seed", **OPTIONS), seeds).to(device)
    singles = [build_lenet(LeNetSpec(**OPTIONS), [s]).to(device) for s in seeds]
    ensemble = VmapEnsemble(device, seeds)
    run_engine = lambda: train(engine, data, ONE_EPOCH, seeds)
    run_per_seed = lambda: train(per_seed, data, ONE_EPOCH, seeds)
    run_loop = lambda: [train(m, data, ONE_EPOCH, [s]) for m, s in zip(singles, seeds)]
    run_vmap = lambda: ensemble.epoch(data)
    threads = f"{n_seeds} seeds, {device_name}, {torch.get_num_threads() if device.type == 'cuda' else 1} thread(s)"
    with one_cpu_thread(device):
        loop = paired_ratio(run_loop, run_engine, PAIRS, device)
        vmap = paired_ratio(run_vmap, run_engine, PAIRS, device)
        per_seed_convs = paired_ratio(run_per_seed, run_engine, PAIRS, device)
        benchmark.pedantic(run_engine, rounds=1, warmup_rounds=0)
    ratio(f"seed loop, {threads}", loop)
    ratio(f"torch.func.vmap recipe, {threads}", vmap)
    ratio(f"the engine with per-seed convolutions, {threads}", per_seed_convs)
    benchmark.extra_info.update({"seeds": n_seeds, "device": device_name,
                                 "seed_loop_median_s": loop.numerator_median_s,
                                 "vmap_recipe_median_s": vmap.numerator_median_s,
                                 "per_seed_convolutions_median_s": per_seed_convs.numerator_median_s,
                                 "engine_median_s": loop.denominator_median_s})
