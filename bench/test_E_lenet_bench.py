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
job; ``pytest bench/test_E_lenet_bench.py -k cpu``), with glibc's malloc keeping freed
memory, as ``bench/conftest.py`` has every benchmark run do (``deepclaims.allocator``):

    8 seeds:  engine 0.25-0.28 s; seed loop 2.0-2.1x, vmap recipe 2.7-2.9x,
              per-seed NCHW convs 1.7x
    64 seeds: engine 2.87-2.90 s; seed loop 1.6x [1.57, 1.62] and [1.55, 1.59],
              vmap recipe 2.1x [2.11, 2.13] and 2.2x [2.08, 2.42], per-seed NCHW convs 1.4x

(two runs, the second inside ``pytest bench/``). Before the allocator setting, the same
day: 64 seeds, engine 3.6 s, loop 1.2x [1.20, 1.28], vmap 2.8x [2.60, 3.06]. With glibc's
defaults every block over 32 MiB was mapped afresh and faulted in page by page each time
it was allocated; the engine's 38 MB activations paid that (3.6 -> 2.8 s), and the vmap
recipe, whose batched intermediates are larger, paid it most (10.2 -> 6.1 s). The seed
loop's tensors are small and did not change. Earlier runs' intervals were narrow while the runs disagreed beyond them: an
interval measures the rounds of one run, not the drift of the machine between runs.

Where the 64-seed engine epoch goes (``torch.profiler``, allocator on, a profile of 3.05 s
against 2.75 s unprofiled): convolutions 1.10 s (forward 0.64, backward 0.45; oneDNN's
grouped channels-last path, the fastest of the four eager paths issue 20 measured), batch
norm forward and backward 0.49 s, ReLU forward and backward 0.45 s, max pooling 0.30 s,
copies 0.15 s, matrix products 0.12 s, mask draws 0.11 s (per-seed mt19937, the same draws
the loop makes). The convolutions, matrix products and draws alone take 1.33 s, and 3x the
loop (4.57 s) needs the whole epoch under 1.52 s: the element-wise passes (batch norm,
ReLU, pooling, dropout and their backward, about 1.4 s now) would have to shrink about
sevenfold, which needs them fused into the convolutions (not available in eager PyTorch).
The arithmetic (about 68 GFLOP per 64-seed epoch, training and evaluation) takes 0.36 s
at this machine's measured matmul rate (190 GFLOP/s, one thread). CUDA was not measured
(no GPU on the machine this was written on).
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
