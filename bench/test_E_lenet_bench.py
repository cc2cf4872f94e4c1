"""Benchmark: one LeNet-5 epoch for S=8 seeds (topic E's heaviest arm: BN after every hidden
layer, dropout 0.2 on the input and 0.5 on hidden layers), three ways:

- vectorised: the suite's seed-batched LeNet-5 (models/lenet.py) through ``train``, with its
  convolutions batched per seed (``conv_mode="per_seed"``, what ``auto`` picks on a CPU) and,
  as a second timing, as one grouped convolution (``groups=S``, what ``auto`` picks on CUDA);
- seed loop: the same engine with one seed per model, S models trained one after another;
- vmap recipe: PyTorch's model-ensembling recipe, the thing a user would write instead: S
  plain ``PlainLeNet5`` modules stacked with ``torch.func.stack_module_state`` and trained by
  ``vmap(grad(loss))`` over parameters, buffers (BN's running averages) and each seed's own
  minibatch, with an SGD-with-momentum update on the stacked tensors. Its dropout masks come
  from the global generator (``randomness="different"``): it cannot give each seed its own
  stream, one reason the engine does not use it.

Every path sees the same data (the 28x28 digits stand-in, 256 training and 256 test images),
batch 32, SGD 0.05 / 0.9, and ends with loss and accuracy on both splits, as ``train`` does.
CPU timings run on one thread, as the claims train (``one_cpu_thread``). Timings are never
pass/fail thresholds; ratios (other / vectorised) go into ``extra_info`` and the run's summary.

Measured on this suite's 2-core CPU machine (torch 2.13 CPU build, one thread, other jobs
running; ``OMP_NUM_THREADS=1 pytest bench/test_E_lenet_bench.py``), best of 3 epochs:

    vectorised, per-seed convolutions    0.390 s
    vectorised, grouped convolutions     0.492 s   (1.3x the per-seed one)
    seed loop (8 single-seed models)     0.395 s   (1.0x)
    torch.func.vmap recipe               0.806 s   (2.1x)

So on a CPU, batching LeNet-5's seeds buys nothing over a loop of single-seed models: the
convolutions and pooling, which cost the same either way, dominate the epoch; it beats the
vmap recipe by 2x and grouped convolutions by 1.3x, which is why ``auto`` computes the
convolutions per seed there. The engine stays batched for what it guarantees (one model,
one optimiser, per-seed streams, per-seed BN) at no cost. CUDA was not measured (no GPU on
the machine this was written on); the cuda case of this benchmark measures it.
"""
import copy

import pytest
import torch
import torch.nn.functional as F
from torch.func import functional_call, grad, stack_module_state, vmap

from bench.timing import best_of
from deepclaims import seeding
from deepclaims.data.digits28 import digits28, standardised
from deepclaims.training import TrainConfig, one_cpu_thread, train
from models.lenet import LeNetSpec, PlainLeNet5, build_lenet

SEEDS = list(range(8))
OPTIONS = dict(batch_norm=True, input_dropout=0.2, hidden_dropout=0.5, bn_momentum=0.1)
ONE_EPOCH = TrainConfig(epochs=1, batch_size=32, lr=0.05, momentum=0.9, loss="ce")
ROUNDS = 3


class VmapEnsemble:
    """S plain LeNet-5s trained together with torch.func (PyTorch's model-ensembling recipe)."""

    def __init__(self, device):
        models = [PlainLeNet5(batch_norm=True, input_dropout=OPTIONS["input_dropout"],
                              hidden_dropout=OPTIONS["hidden_dropout"], bn_momentum=OPTIONS["bn_momentum"]).to(device)
                  for _ in SEEDS]
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
        orders = torch.stack([torch.randperm(n, generator=g) for g in seeding.generators(SEEDS, "order")])
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
                F.cross_entropy(logits.flatten(0, 1), y.repeat(len(SEEDS)), reduction="none").view(len(SEEDS), -1).mean(1).cpu()
                (logits.argmax(-1) == y).float().mean(1).cpu()


@pytest.mark.parametrize("device_name", ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA device"))])
def test_lenet_epoch_vectorised_vs_seed_loop_vs_vmap(benchmark, ratio, device_name):
    device = torch.device(device_name)
    data = standardised(digits28(train_size=256, test_size=256)).to(device)
    per_seed = build_lenet(LeNetSpec(conv_mode="per_seed", **OPTIONS), SEEDS).to(device)
    grouped = build_lenet(LeNetSpec(conv_mode="grouped", **OPTIONS), SEEDS).to(device)
    singles = [build_lenet(LeNetSpec(conv_mode="per_seed", **OPTIONS), [s]).to(device) for s in SEEDS]
    ensemble = VmapEnsemble(device)
    run_per_seed = lambda: train(per_seed, data, ONE_EPOCH, SEEDS)
    run_grouped = lambda: train(grouped, data, ONE_EPOCH, SEEDS)
    run_loop = lambda: [train(m, data, ONE_EPOCH, [s]) for m, s in zip(singles, SEEDS)]
    run_vmap = lambda: ensemble.epoch(data)
    with one_cpu_thread(device):
        for run in (run_per_seed, run_grouped, run_loop, run_vmap):  # warm-up: allocator, kernels, vmap tracing
            run()
        loop_s = best_of(run_loop, ROUNDS, device)
        vmap_s = best_of(run_vmap, ROUNDS, device)
        grouped_s = best_of(run_grouped, ROUNDS, device)
        per_seed_s = best_of(run_per_seed, ROUNDS, device)
        vectorised_choice = "grouped" if device.type == "cuda" else "per_seed"
        benchmark.pedantic(run_grouped if vectorised_choice == "grouped" else run_per_seed, rounds=ROUNDS,
                           warmup_rounds=0)
    vectorised_s = min(benchmark.stats.stats.min, grouped_s if vectorised_choice == "grouped" else per_seed_s)
    threads = f"{device_name}, {torch.get_num_threads() if device.type == 'cuda' else 1} thread(s)"
    ratio(f"seed loop, {threads}", loop_s, vectorised_s)
    ratio(f"torch.func.vmap recipe, {threads}", vmap_s, vectorised_s)
    ratio(f"vectorised with the other conv mode, {threads}",
          per_seed_s if vectorised_choice == "grouped" else grouped_s, vectorised_s)
    benchmark.extra_info.update({"seeds": len(SEEDS), "device": device_name, "vectorised_conv_mode": vectorised_choice,
                                 "seed_loop_best_s": loop_s, "vmap_recipe_best_s": vmap_s,
                                 "vectorised_per_seed_conv_best_s": per_seed_s,
                                 "vectorised_grouped_conv_best_s": grouped_s})
