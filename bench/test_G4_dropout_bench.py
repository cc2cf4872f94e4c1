"""Benchmark G4: training time with and without dropout for each adaptive method.

Lab 004 Problem 4.3 asks, for AdaGrad, RMSProp, RMSProp+Nesterov, AdaDelta and Adam, how
the time to train the MLP with dropout (0.2 on the input, 0.5 on each hidden layer)
compares with the time without. Timing needs no real images: each step here trains on a
random batch of CIFAR-10's shape (128 x 3 x 32 x 32, ten classes), so the work per step
is the lab's. The time per epoch, or per 200 epochs, is the time per step times the
number of steps (391 per CIFAR-10 epoch), so the per-step ratio is the lab's ratio.

Model: what the lab's user would write, a plain ``nn.Sequential`` of ``nn.Linear``, ReLU
and ``nn.Dropout`` (the lab shape: 3072 -> 1000 -> 1000 -> 10; the ci shape, small
enough for a quick run: 8 x 8 x 3 inputs, 192 -> 128 -> 128 -> 10), trained in train
mode with cross-entropy. Each method's optimiser is the one the suite trains with
(``deepclaims.training.make_optimizer``: torch's Adagrad, RMSprop, Adadelta, Adam and
the suite's RMSPropNesterov) with L2 weight decay on, as in the lab.

What one timing covers: a whole training step (forward, loss, backward, zero_grad,
optimiser step), on a batch drawn in turn from a small pool already on the device; on
CUDA the step ends with a synchronise, so the time is the device's. Each test times one
arm (method x dropout); tests of one method share a benchmark group, so pytest-benchmark
lists each method's pair together. The arm with dropout records, in ``extra_info``:

- ``ratios``: with dropout / without dropout, timed paired (``bench.timing.paired_ratio``):
  after the benchmark, rounds alternate between a fresh copy of each arm (which goes first
  alternating too), so both arms of a pair see the same load on a shared machine; the
  ratio is the geometric mean of the per-pair ratios;
- ``ratio_intervals``: under the same key, that ratio's 95% bootstrap interval, its
  spread (high / low) and ``unstable``: true when the interval stayed wider than
  ``bench.timing.UNSTABLE_SPREAD``, or other processes used more than
  ``bench.timing.BUSY_CORES`` cores while it was timed (``other_cores``), after
  re-measuring with more rounds: the ratio is not to be read as a fact. Measured here
  beside a CPU-bound job, all ten ratios were marked (other processes 0.5-1.0 cores, or
  too wide an interval); idle, all ten were stable, lab shape 1.36-1.49x, ci shape
  1.76-2.03x;
- ``paired_with_dropout_median_s`` / ``paired_without_dropout_median_s``: each arm's
  median paired round (``..._best_s``: its best round, as older runs recorded);
- ``dropout_ops_share``: the dropout operations alone (drawing and applying the three
  masks, and the masks' backward on the two hidden layers; the input's mask has no
  backward, as the input needs no gradient) timed on the step's activation shapes, best
  round, as a share of the best paired round with dropout;
- ``dropout_overhead_share``: 1 - 1 / ratio, the share of the step with dropout that
  dropout adds as measured end to end.

Timings are never pass/fail; the tests only check that each step trained the model.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from bench.timing import best_of, paired_ratio, sync
from deepclaims.training import TrainConfig, make_optimizer


@dataclass(frozen=True)
class Shape:
    image: tuple[int, int, int]      # channels, height, width
    hidden: int
    batch: int
    rounds: int                      # timed steps per arm, each its own round
    warmup: int
    pairs: int                       # paired rounds for the with / without ratio (more if unstable)

    @property
    def inputs(self) -> int:
        c, h, w = self.image
        return c * h * w


SHAPES = {
    # pairs: enough that a quiet machine's interval is far inside the spread limit; the ci
    # step lasts well under a millisecond, so its per-pair ratios scatter more and it needs more
    "lab": Shape((3, 32, 32), 1000, 128, rounds=3, warmup=1, pairs=10),    # CIFAR-10, the lab's MLP
    "ci": Shape((3, 8, 8), 128, 128, rounds=20, warmup=2, pairs=40),
}
CLASSES = 10
INPUT_DROPOUT, HIDDEN_DROPOUT = 0.2, 0.5
WEIGHT_DECAY = 5e-4
POOL_BATCHES = 4
# Each method's usual starting learning rate (AdaDelta's 1.0 is Zeiler's rule); the value
# does not change the work a step does.
OPTIMISER_CONFIGS = {
    "adagrad": TrainConfig(1, 128, 0.01, optimizer="adagrad", loss="ce", weight_decay=WEIGHT_DECAY),
    "rmsprop": TrainConfig(1, 128, 1e-3, optimizer="rmsprop", loss="ce", weight_decay=WEIGHT_DECAY),
    "rmsprop_nesterov": TrainConfig(1, 128, 1e-3, momentum=0.9, optimizer="rmsprop_nesterov", loss="ce",
                                    weight_decay=WEIGHT_DECAY),
    "adadelta": TrainConfig(1, 128, 1.0, optimizer="adadelta", loss="ce", weight_decay=WEIGHT_DECAY),
    "adam": TrainConfig(1, 128, 1e-3, optimizer="adam", loss="ce", weight_decay=WEIGHT_DECAY),
}


def lab_mlp(shape: Shape, dropout: bool) -> nn.Sequential:
    """Flatten, Dense(hidden, ReLU) x 2, Dense(10); with dropout before each dense layer."""
    def maybe_dropout(rate: float) -> list[nn.Module]:
        return [nn.Dropout(rate)] if dropout else []

    return nn.Sequential(
        nn.Flatten(), *maybe_dropout(INPUT_DROPOUT),
        nn.Linear(shape.inputs, shape.hidden), nn.ReLU(), *maybe_dropout(HIDDEN_DROPOUT),
        nn.Linear(shape.hidden, shape.hidden), nn.ReLU(), *maybe_dropout(HIDDEN_DROPOUT),
        nn.Linear(shape.hidden, CLASSES))


def _random_batches(shape: Shape, device: torch.device, gen: torch.Generator):
    """Images uniform in [0, 1) (scaled pixels) and labels uniform over the classes."""
    return [(torch.rand(shape.batch, *shape.image, generator=gen).to(device),
             torch.randint(CLASSES, (shape.batch,), generator=gen).to(device)) for _ in range(POOL_BATCHES)]


def _training_step(model: nn.Module, optimiser: torch.optim.Optimizer, batches, device: torch.device):
    """A callable running one whole training step on the next pooled batch."""
    turn = iter(range(10 ** 9))

    def step() -> None:
        x, y = batches[next(turn) % len(batches)]
        loss = F.cross_entropy(model(x), y)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        sync(device)
    return step


def dropout_ops_seconds(shape: Shape, device: torch.device) -> float:
    """Best time of the step's dropout work alone: the input mask (forward only) and the two
    hidden masks forward and backward, on activations of the step's shapes."""
    gen = torch.Generator().manual_seed(1)
    inputs = torch.rand(shape.batch, shape.inputs, generator=gen).to(device)
    hidden = [torch.rand(shape.batch, shape.hidden, generator=gen).to(device).requires_grad_() for _ in range(2)]
    upstream = torch.ones(shape.batch, shape.hidden, device=device)

    def masks() -> None:
        F.dropout(inputs, INPUT_DROPOUT, training=True)
        for h in hidden:
            torch.autograd.grad(F.dropout(h, HIDDEN_DROPOUT, training=True), h, upstream)

    return best_of(masks, shape.rounds, device, warmup=shape.warmup)


CASES = [pytest.param(shape, method, dropout, id=f"{shape}-{method}-{'dropout' if dropout else 'no_dropout'}")
         for shape in SHAPES for method in OPTIMISER_CONFIGS for dropout in (False, True)]


def _arm(shape: Shape, method: str, dropout: bool, device: torch.device):
    """A fresh model (PyTorch's default init from seed 0), its optimiser, and its step."""
    with torch.random.fork_rng(devices=[]):      # the default init draws from the global generator
        torch.manual_seed(0)
        model = lab_mlp(shape, dropout).to(device)
    model.train()
    optimiser = make_optimizer(model.parameters(), OPTIMISER_CONFIGS[method])
    batches = _random_batches(shape, device, torch.Generator().manual_seed(0))
    return model, _training_step(model, optimiser, batches, device)


@pytest.mark.parametrize("device_name", ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA device"))])
@pytest.mark.parametrize("shape_name, method, dropout", CASES)
def test_G4_training_step_with_and_without_dropout(benchmark, device_name, shape_name, method, dropout):
    device, shape = torch.device(device_name), SHAPES[shape_name]
    model, step = _arm(shape, method, dropout, device)
    before = [p.detach().clone() for p in model.parameters()]

    benchmark.group = f"G4 {shape_name} {device_name}: {method}"
    benchmark.pedantic(step, rounds=shape.rounds, iterations=1, warmup_rounds=shape.warmup)

    assert sum(isinstance(m, nn.Dropout) for m in model) == (3 if dropout else 0)
    assert all(not torch.equal(b, p) for b, p in zip(before, model.parameters())), "a step left weights unchanged"
    stats = getattr(benchmark, "stats", None)
    if stats is None:                            # --benchmark-disable: nothing was timed
        return
    info = {"method": method, "dropout": dropout, "shape": shape_name, "device": device_name,
            "threads": torch.get_num_threads(), "batch": shape.batch,
            "layers": f"{shape.inputs}-{shape.hidden}-{shape.hidden}-{CLASSES}",
            "best_step_s": stats.stats.min, "steps_per_cifar10_epoch": -(-50_000 // shape.batch)}
    if dropout:
        _, step_without = _arm(shape, method, False, device)
        _, step_with = _arm(shape, method, True, device)
        paired = paired_ratio(step_with, step_without, shape.pairs, device, warmup=shape.warmup)
        masks_s = dropout_ops_seconds(shape, device)
        info.update({"paired_without_dropout_median_s": paired.denominator_median_s,
                     "paired_with_dropout_median_s": paired.numerator_median_s,
                     "paired_without_dropout_best_s": paired.denominator_best_s,
                     "paired_with_dropout_best_s": paired.numerator_best_s,
                     # both best rounds: the masks' least disturbed time against the step's
                     "dropout_ops_s": masks_s, "dropout_ops_share": round(masks_s / paired.numerator_best_s, 3),
                     "dropout_overhead_share": round(1 - 1 / paired.ratio, 3)})
        key = f"with dropout / without dropout, {method}, {shape_name}, {device_name}"
        benchmark.extra_info["ratios"] = {key: round(paired.ratio, 3)}
        benchmark.extra_info["ratio_intervals"] = {key: paired.summary()}
    benchmark.extra_info.update(info)
