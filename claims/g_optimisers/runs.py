"""Topic G's training experiment: the lab's ReLU MLP trained with one adaptive method, with
or without dropout, its learning rate first chosen on a grid as Kingma and Ba (2015,
section 6) chose theirs ("hyper-parameters, such as learning rate and momentum, are
searched over a dense grid and the results are reported using the best hyper-parameter
setting").

The search: each learning rate ``lr * 10**e`` (e in ``lr_grid``) trains ``tuning_seeds``
nets on seeds from TUNING_SEED_START (never judged seeds) for ``tuning_epochs``; the rate
whose mean ``curve_area`` (the mean over epochs of the log10 training loss: the quantity G2
judges, so each method runs at the rate that serves it best by that measure) is lowest is
used for the judged seeds. A one-point grid skips the search. The search runs inside the
experiment, once per arm and process, so the chosen rate is cached with the judged runs.
The grid's rates train side by side as row groups of one model (``_grid_epoch_loss``), each
group exactly the solo run at its rate.

Data: scikit-learn's 8x8 digits (embedded), CIFAR-10 or Fashion-MNIST from the data folder
(pixels / 255, flattened); ``train_images`` keeps the first images of the training split
(G2's Fashion-MNIST row trains on a subset). A real set that is absent falls back to the
digits, and the run's ``dataset`` column says so.

Evaluation (G5): the trained nets are evaluated twice in eval mode (dropout off, with the
net's test-time scaling) and once in training mode (one dropout mask per seed), on the
test split; the training split's loss is also evaluated in eval mode. During the first
test evaluation a hook on every dropout layer compares what the layer passes on at test
time with the average of SCALING_MASKS training-time outputs for the same input, each a
fresh mask under the rule the net was trained with (``scaling_log_ratio``): Srivastava et
al.'s condition for a correct test-time rule. The test loss is also evaluated under the
mismatched rule (the other of ``deepclaims.dropout.RULES``) for the report.
"""
from __future__ import annotations

import functools

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from deepclaims import seeding
from deepclaims.data.embedded import embedded
from deepclaims.data.real import load_real
from deepclaims.dropout import RULES as DROPOUT_RULES
from deepclaims.dropout import SeedDropout, dropout_layers, seed_masks, set_dropout_rule
from deepclaims.errors import ConfigError
from deepclaims.experiment import experiment
from deepclaims.row_groups import RowGroupOptimiser
from deepclaims.training import (OPTIMISERS, Split, TrainConfig, evaluate, make_optimizer, per_seed_accuracy,
                                 per_seed_view, train)
from models.dropout_mlp import DropoutMLPSpec, build_dropout_mlp

TUNING_SEED_START = 1_000_000
NESTEROV_MOMENTUM = 0.9      # Sutskever et al. 2013's usual value; the lab states none
DIVERGED_LOSS = 100.0        # a non-finite final loss, kept finite so intervals stay decidable
DATASETS = ("digits", "cifar10", "fashion_mnist")
REAL_NAMES = {"cifar10": "CIFAR-10", "fashion_mnist": "Fashion-MNIST"}
SCALING_MASKS = 8            # masks averaged per test image in the test-time scaling check


@dataclass(frozen=True, kw_only=True)
class GRun:
    """One arm: a method, its starting learning rate and search grid, the net, the data."""

    method: str
    lr: float
    lr_grid: tuple[float, ...] = (0.0,)   # base-10 exponents around ``lr`` tried on the tuning seeds
    tuning_seeds: int = 0
    tuning_epochs: int | None = None      # the search's budget; None: ``epochs``
    epochs: int
    width: int
    weight_decay: float
    input_rate: float = 0.0
    hidden_rate: float = 0.0
    rule: str = "weight_scaling"
    batch_size: int = 128
    dataset: str = "digits"
    data_dir: str | None = None
    train_images: int | None = None       # the first images of the training split only (None: all)
    subset: int | None = None             # the dry run and the time estimate only: the first images of each split
    device: str = "cpu"

    def __post_init__(self):
        if self.subset is not None and self.subset < 1:
            raise ConfigError(f"subset must be None or at least 1, got {self.subset}")
        if self.train_images is not None and self.train_images < 1:
            raise ConfigError(f"train_images must be None or at least 1, got {self.train_images}")
        if self.method not in OPTIMISERS or self.method == "sgd":
            raise ConfigError(f"unknown adaptive method {self.method!r}; accepted: "
                              f"{', '.join(m for m in OPTIMISERS if m != 'sgd')}")
        if self.dataset not in DATASETS:
            raise ConfigError(f"unknown data set {self.dataset!r} for topic G; accepted: {', '.join(DATASETS)}")
        if not self.lr_grid:
            raise ConfigError("lr_grid needs at least one exponent (0.0 alone: no search)")
        if self.tuning_epochs is not None and self.tuning_epochs < 1:
            raise ConfigError(f"tuning_epochs must be None or at least 1, got {self.tuning_epochs}")
        if len(self.lr_grid) > 1 and self.tuning_seeds < 1:
            raise ConfigError(f"a learning-rate grid of {len(self.lr_grid)} points needs tuning_seeds >= 1")

    def train_config(self, lr: float) -> TrainConfig:
        momentum = NESTEROV_MOMENTUM if self.method == "rmsprop_nesterov" else 0.0
        return TrainConfig(epochs=self.epochs, batch_size=self.batch_size, lr=lr, momentum=momentum,
                           optimizer=self.method, loss="ce", weight_decay=self.weight_decay)


STAND_IN = "scikit-learn 8x8 digits"


@functools.lru_cache(maxsize=2)
def g_data(dataset: str, data_dir: str | None) -> tuple[Split, str]:
    """(split, description): CIFAR-10 (3072 inputs) or Fashion-MNIST (784) from ``data_dir``,
    pixels / 255 and flattened, else scikit-learn's 8x8 digits (the embedded stand-in, also
    when the real set is absent: the description then says so).

    Cached per process: every arm and shard of a plan reads the same set (decoding
    Fashion-MNIST took 4 of G's seconds when each of its 25 runs read it again). Callers
    slice and index the split but never write into it."""
    if dataset in REAL_NAMES:
        real = load_real(dataset, None if data_dir is None else Path(data_dir))
        if real is not None:
            return real, (f"{REAL_NAMES[dataset]} ({len(real.y_train)} training / {len(real.y_test)} test images, "
                          f"{real.x_train.shape[-1]} pixels scaled to [0, 1])")
    data = embedded("digits")
    stand_in = f" ({REAL_NAMES[dataset]} not found in the data folders)" if dataset in REAL_NAMES else ""
    return data, (f"{STAND_IN}, 898 training / 899 test images (embedded stand-in for CIFAR-10)" + stand_in)


def curve_area(epoch_loss: np.ndarray) -> np.ndarray:
    """Per seed, the mean over epochs of log10 training loss: the area under the log-loss
    curve divided by the budget (a diverged epoch counts as DIVERGED_LOSS)."""
    loss = np.where(np.isfinite(epoch_loss), epoch_loss, DIVERGED_LOSS)
    return np.log10(loss).mean(axis=-1)


def _model(run: GRun, seeds: list[int], data: Split):
    spec = DropoutMLPSpec(in_features=data.x_train.shape[-1], width=run.width, input_rate=run.input_rate,
                          hidden_rate=run.hidden_rate, rule=run.rule)
    model = build_dropout_mlp(spec, seeding.generators(seeds, "init"), seeding.generators(seeds, "dropout"))
    return model.to(data.x_train.device)


def _fit(run: GRun, lr: float, seeds: list[int], data: Split):
    model = _model(run, seeds, data)
    return model, train(model, data, run.train_config(lr), seeds)


def _grid_epoch_loss(run: GRun, lrs: list[float], seeds: list[int], data: Split) -> np.ndarray:
    """Epoch losses [len(lrs), seeds, epochs] of every rate in ``lrs`` on ``seeds``, trained
    as one model whose row group g is rate g's seeds under its own optimiser
    (``RowGroupOptimiser``): group g follows exactly the solo run ``_fit(run, lrs[g], seeds,
    data)`` (tests/test_row_groups.py), in one forward and backward pass per step for the
    whole grid."""
    rows = [seed for _ in lrs for seed in seeds]
    model = _model(run, rows, data)
    optimiser = RowGroupOptimiser(model.parameters(), [run.train_config(lr) for lr in lrs], make_optimizer)
    out = train(model, data, run.train_config(lrs[0]), rows, optimizer=optimiser)
    return out["epoch_loss"].reshape(len(lrs), len(seeds), -1)


def _final_loss(epoch_loss: np.ndarray) -> np.ndarray:
    last = epoch_loss[:, -1]
    return np.where(np.isfinite(last), last, DIVERGED_LOSS)


def run_data(run: GRun) -> tuple[Split, str]:
    """The run's data (``g_data``): its training split cut to the first ``run.train_images``
    images, then each split to the first ``run.subset``."""
    data, description = g_data(run.dataset, run.data_dir)
    if run.train_images is not None and run.train_images < len(data.y_train):
        k = run.train_images
        data = Split(data.x_train[:k], data.y_train[:k], data.x_test, data.y_test)
        description = f"{description}; the first {k} training images"
    if run.subset is None:
        return data, description
    k = run.subset
    return Split(data.x_train[:k], data.y_train[:k], data.x_test[:k], data.y_test[:k]), f"{description}, first {k}"


@functools.lru_cache(maxsize=None)
def searched_lr(run: GRun) -> tuple[float, tuple[float, ...]]:
    """``choose_lr`` once per arm and process: the search depends on the arm's configuration
    only, not on the judged seeds, so a run split into several shards searches once."""
    data, _ = run_data(run)
    lr, means = choose_lr(run, data.to(torch.device(run.device)))
    return lr, tuple(means)


def choose_lr(run: GRun, data: Split) -> tuple[float, np.ndarray]:
    """The grid's learning rate with the lowest mean ``curve_area`` (mean log10 training
    loss over the epochs) on the tuning seeds, and that mean for every grid point (empty
    without a search)."""
    if len(run.lr_grid) == 1:
        return run.lr * 10 ** run.lr_grid[0], np.zeros(0)
    tuning = list(range(TUNING_SEED_START, TUNING_SEED_START + run.tuning_seeds))
    search = replace(run, epochs=run.tuning_epochs or run.epochs)
    epoch_loss = _grid_epoch_loss(search, [run.lr * 10 ** e for e in run.lr_grid], tuning, data)
    means = curve_area(epoch_loss).mean(axis=1)
    return run.lr * 10 ** run.lr_grid[int(np.argmin(means))], means


def one_mask_accuracy(model, x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """Test accuracy per seed with dropout active (one mask per seed and example)."""
    was_training = model.training
    model.train()
    xs, ys = per_seed_view(x, y, model.n_seeds)
    with torch.no_grad():
        accuracy = per_seed_accuracy(model(xs), ys, "ce")
    model.train(was_training)
    return accuracy.cpu().numpy()


class ScalingProbe:
    """Hooks on a model's dropout layers that, during one evaluation, compare each layer's
    test-time output with the average of ``masks`` training-time outputs for the same
    input, each under a fresh mask and the rule the net was trained with
    (``trained_rule``): Srivastava et al. 2014, section 4, "the expected output (under the
    distribution used to drop units at training time) is the same as the actual output at
    test time". Masks come from the seeds' ``eval`` streams, so the check draws nothing
    from the nets' own dropout generators.

    ``log_ratios()`` is [seeds, dropout layers]: log10 of the summed test-time output over
    the summed mask-averaged training output (units and images summed per seed; every
    input to a dropout layer here is a pixel or a ReLU output, so both sums are positive).
    Used as a context manager around one evaluation: it reads the first pass through each
    layer, whatever mode the evaluation ran it in (in training mode the output is one mask's,
    which the two-evaluations check of G5 catches).
    """

    def __init__(self, model, trained_rule: str, seeds: list[int], masks: int = SCALING_MASKS):
        self.layers = dropout_layers(model)
        self.trained_rule, self.masks = trained_rule, masks
        self.gens = seeding.generators(seeds, "eval")
        self.ratios: dict[int, torch.Tensor] = {}
        self.handles = []

    def __enter__(self) -> "ScalingProbe":
        self.handles = [layer.register_forward_hook(self._hook(i)) for i, layer in enumerate(self.layers)]
        return self

    def __exit__(self, *exc) -> None:
        for handle in self.handles:
            handle.remove()

    def _hook(self, index: int):
        def hook(layer: SeedDropout, inputs, output):
            if index in self.ratios:
                return
            if layer.layout != "columns":
                raise ConfigError(f"the scaling probe reads the dense engine's columns, not {layer.layout!r}")
            x = inputs[0]                                   # [S, F, B]
            trained = SeedDropout(layer.rate, layer.layout, self.trained_rule)
            s, f, b = x.shape
            mean_out = torch.zeros(s, device=x.device, dtype=torch.float64)
            for _ in range(self.masks):
                mask = seed_masks(self.gens, b, (f,), layer.retain).mT.to(x.device, x.dtype)
                mean_out += trained.apply_mask(x, mask).sum(dim=(1, 2)).double() / self.masks
            self.ratios[index] = torch.log10(output.sum(dim=(1, 2)).double() / mean_out)
        return hook

    def log_ratios(self) -> np.ndarray:
        if len(self.ratios) != len(self.layers):
            raise ConfigError(f"the scaling probe saw {len(self.ratios)} of {len(self.layers)} dropout layers "
                              "(was the model evaluated inside it?)")
        return torch.stack([self.ratios[i] for i in range(len(self.layers))], dim=1).cpu().numpy()


def mismatched_rule(rule: str) -> str:
    """The other test-time rule: the one a net trained under ``rule`` must not be evaluated with."""
    (other,) = [r for r in DROPOUT_RULES if r != rule]
    return other


def loss_under_rule(model, rule: str, x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """Per-seed eval-mode loss with every dropout layer switched to ``rule`` (restored after)."""
    before = [layer.rule for layer in dropout_layers(model)]
    set_dropout_rule(model, rule)
    try:
        loss, _ = evaluate(model, x, y, "ce")
    finally:
        for layer, kept in zip(dropout_layers(model), before):
            layer.rule = kept
    return loss


ONE_STEP_BATCHES = 4
TRAINING_IMAGES = {"digits": 898, "cifar10": 50000, "fashion_mnist": 60000}


def one_step(run: GRun) -> GRun:
    """Four batches of one epoch at the grid's first rate, no search (the lab dry run's and
    the time estimate's shrink: a full CIFAR-10 epoch of the 3072-1000-1000-10 net takes
    minutes on a CPU)."""
    return replace(run, epochs=1, lr_grid=run.lr_grid[:1], subset=ONE_STEP_BATCHES * run.batch_size)


def work_ratio(run: GRun) -> float:
    """Training images per seed of the full run over its one step's: every epoch of the
    judged training, plus the search's epochs at each grid point (counted per judged seed,
    an upper bound, as ``run_size`` counts them)."""
    search = len(run.lr_grid) * (run.tuning_epochs or run.epochs) if len(run.lr_grid) > 1 else 0
    images = min(TRAINING_IMAGES[run.dataset], run.train_images or TRAINING_IMAGES[run.dataset])
    return images * (run.epochs + search) / (ONE_STEP_BATCHES * run.batch_size)


def run_size(run: GRun) -> tuple[int, int]:
    """(trainings per seed, epochs each): the judged training, plus the search's trainings
    (counted per judged seed: an upper bound when tuning_seeds < seeds, since the search
    runs once per arm)."""
    return 1 + (len(run.lr_grid) if len(run.lr_grid) > 1 else 0), run.epochs


def two_steps(run: GRun) -> GRun:
    """``one_step`` on twice the images (the time estimate's second point)."""
    return replace(one_step(run), subset=2 * ONE_STEP_BATCHES * run.batch_size)


@experiment("G_optimiser_training", one_step=one_step, size=run_size, shard_size=32, scale=work_ratio,
            two_step=two_steps, concurrent=True)   # every draw comes from the seeds' generators
def train_adaptive(run: GRun, seeds: list[int]) -> dict[str, np.ndarray]:
    """Search the learning rate, train the seeds, and evaluate them (see the module docstring)."""
    data, description = run_data(run)
    data = data.to(torch.device(run.device))
    lr, tuning_means = searched_lr(run)
    model, out = _fit(run, lr, seeds, data)
    train_loss = out["train_loss"]     # ``train`` ends with this evaluation (eval mode, whole training split)
    with ScalingProbe(model, run.rule, seeds) as probe:
        test_loss, test_acc = evaluate(model, data.x_test, data.y_test, "ce")
    _, test_acc_again = evaluate(model, data.x_test, data.y_test, "ce")
    n = len(seeds)
    dropout = bool(dropout_layers(model))
    return {"epoch_loss": out["epoch_loss"], "final_loss": _final_loss(out["epoch_loss"]),
            "loss_area": curve_area(out["epoch_loss"]),
            "train_loss_eval": np.where(np.isfinite(train_loss), train_loss, DIVERGED_LOSS),
            "test_loss": test_loss, "test_acc": test_acc, "test_acc_again": test_acc_again,
            "test_acc_one_mask": one_mask_accuracy(model, data.x_test, data.y_test),
            "test_loss_mismatched_rule": (loss_under_rule(model, mismatched_rule(run.rule), data.x_test, data.y_test)
                                          if dropout else np.full(n, np.nan)),
            "scaling_log_ratio": probe.log_ratios() if dropout else np.zeros((n, 0)),
            "lr": np.full(n, lr), "tuning_loss": np.tile(np.array(tuning_means), (n, 1)),
            "dataset": np.array([description] * n)}
