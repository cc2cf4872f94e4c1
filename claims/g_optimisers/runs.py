"""Topic G's training experiment: the lab's ReLU MLP trained with one adaptive method, with
or without dropout, its learning rate first chosen on a grid as Kingma and Ba (2015,
section 6) chose theirs ("hyper-parameters, such as learning rate and momentum, are
searched over a dense grid and the results are reported using the best hyper-parameter
setting").

The search: each learning rate ``lr * 10**e`` (e in ``lr_grid``) trains ``tuning_seeds``
nets on seeds from TUNING_SEED_START (never judged seeds) for ``tuning_epochs``; the rate
whose mean last-epoch training loss is lowest is used for the judged seeds. A one-point
grid skips the search. The search runs inside the experiment, once per seed shard (one
shard at ci and lab), so the chosen rate is cached with the judged runs.

Evaluation (G5): the trained nets are evaluated twice in eval mode (dropout off, with the
net's test-time scaling) and once in training mode (one dropout mask per seed), on the
test split; the training split's loss is also evaluated in eval mode.
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
from deepclaims.errors import ConfigError
from deepclaims.experiment import experiment
from deepclaims.training import OPTIMISERS, Split, TrainConfig, evaluate, per_seed_accuracy, per_seed_view, train
from models.dropout_mlp import DropoutMLPSpec, build_dropout_mlp

TUNING_SEED_START = 1_000_000
NESTEROV_MOMENTUM = 0.9      # Sutskever et al. 2013's usual value; the lab states none
DIVERGED_LOSS = 100.0        # a non-finite final loss, kept finite so intervals stay decidable
DATASETS = ("digits", "cifar10")


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
    subset: int | None = None             # the dry run and the time estimate only: the first images of each split
    device: str = "cpu"

    def __post_init__(self):
        if self.subset is not None and self.subset < 1:
            raise ConfigError(f"subset must be None or at least 1, got {self.subset}")
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


def g_data(dataset: str, data_dir: str | None) -> tuple[Split, str]:
    """(split, description): CIFAR-10 from ``data_dir`` (pixels / 255, flattened to 3072),
    else scikit-learn's 8x8 digits (the embedded stand-in, also when CIFAR-10 is absent)."""
    if dataset == "cifar10":
        real = load_real("cifar10", None if data_dir is None else Path(data_dir))
        if real is not None:
            return real, "CIFAR-10 (50000 training / 10000 test images, 3072 pixels scaled to [0, 1])"
    data = embedded("digits")
    stand_in = " (CIFAR-10 not found in the data folders)" if dataset == "cifar10" else ""
    return data, ("scikit-learn 8x8 digits, 898 training / 899 test images (embedded stand-in for CIFAR-10)"
                  + stand_in)


def _fit(run: GRun, lr: float, seeds: list[int], data: Split):
    spec = DropoutMLPSpec(in_features=data.x_train.shape[-1], width=run.width, input_rate=run.input_rate,
                          hidden_rate=run.hidden_rate, rule=run.rule)
    model = build_dropout_mlp(spec, seeding.generators(seeds, "init"), seeding.generators(seeds, "dropout"))
    model = model.to(data.x_train.device)
    return model, train(model, data, run.train_config(lr), seeds)


def _final_loss(epoch_loss: np.ndarray) -> np.ndarray:
    last = epoch_loss[:, -1]
    return np.where(np.isfinite(last), last, DIVERGED_LOSS)


def run_data(run: GRun) -> tuple[Split, str]:
    """The run's data (``g_data``), cut to the first ``run.subset`` images of each split."""
    data, description = g_data(run.dataset, run.data_dir)
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
    """The grid's learning rate with the lowest mean last-epoch training loss on the tuning
    seeds, and that mean for every grid point (empty without a search)."""
    if len(run.lr_grid) == 1:
        return run.lr * 10 ** run.lr_grid[0], np.zeros(0)
    tuning = list(range(TUNING_SEED_START, TUNING_SEED_START + run.tuning_seeds))
    search = replace(run, epochs=run.tuning_epochs or run.epochs)
    means = np.array([_final_loss(_fit(search, run.lr * 10 ** e, tuning, data)[1]["epoch_loss"]).mean()
                      for e in run.lr_grid])
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


ONE_STEP_BATCHES = 4
TRAINING_IMAGES = {"digits": 898, "cifar10": 50000}


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
    return TRAINING_IMAGES[run.dataset] * (run.epochs + search) / (ONE_STEP_BATCHES * run.batch_size)


def run_size(run: GRun) -> tuple[int, int]:
    """(trainings per seed, epochs each): the judged training, plus the search's trainings
    (counted per judged seed: an upper bound when tuning_seeds < seeds, since the search
    runs once per arm)."""
    return 1 + (len(run.lr_grid) if len(run.lr_grid) > 1 else 0), run.epochs


def two_steps(run: GRun) -> GRun:
    """``one_step`` on twice the images (the time estimate's second point)."""
    return replace(one_step(run), subset=2 * ONE_STEP_BATCHES * run.batch_size)


@experiment("G_optimiser_training", one_step=one_step, size=run_size, shard_size=32, scale=work_ratio,
            two_step=two_steps)
def train_adaptive(run: GRun, seeds: list[int]) -> dict[str, np.ndarray]:
    """Search the learning rate, train the seeds, and evaluate them (see the module docstring)."""
    data, description = run_data(run)
    data = data.to(torch.device(run.device))
    lr, tuning_means = searched_lr(run)
    model, out = _fit(run, lr, seeds, data)
    train_loss, _ = evaluate(model, data.x_train, data.y_train, "ce")
    test_loss, test_acc = evaluate(model, data.x_test, data.y_test, "ce")
    _, test_acc_again = evaluate(model, data.x_test, data.y_test, "ce")
    n = len(seeds)
    return {"epoch_loss": out["epoch_loss"], "final_loss": _final_loss(out["epoch_loss"]),
            "train_loss_eval": np.where(np.isfinite(train_loss), train_loss, DIVERGED_LOSS),
            "test_loss": test_loss, "test_acc": test_acc, "test_acc_again": test_acc_again,
            "test_acc_one_mask": one_mask_accuracy(model, data.x_test, data.y_test),
            "lr": np.full(n, lr), "tuning_loss": np.tile(np.array(tuning_means), (n, 1)),
            "dataset": np.array([description] * n)}
