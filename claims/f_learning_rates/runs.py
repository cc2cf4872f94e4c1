"""Topic F's experiment: the lab's whole workflow per seed, as one cached computation.

For each seed (lab 004 Problem 3, Smith 2017, Smith et al. 2018):

1. LR range test: one network per candidate learning rate, all from the seed's initial
   weights and minibatch order, trained for ``epochs`` at batch 64, the candidates x seeds
   batched as rows of one model (``deepclaims.lr_batched``); and, as a second method, the
   single-run exponential sweep of torch-lr-finder / fastai's ``lr_find``.
2. lr_min and lr_max read off the seed's range-test curve by :func:`read_range` (below).
3. Arms trained from the seed's initial weights for ``schedule_epochs``: ``cyclic``
   (``torch.optim.lr_scheduler.CyclicLR``, mode ``clr_mode`` = exp_range, the lab's "cyclical
   learning rate policy (with exponential decay)", between the seed's lr_min and lr_max,
   batch 64); ``fixed`` (one constant rate throughout, batch 64, chosen by the rule below);
   and ``growing`` (lr_max throughout, as the lab says: "Fix learning rate to lr_max", batch
   size doubled from 32 every ``double_every`` epochs up to ``max_batch``, batches over
   ``micro_batch`` accumulated from micro-batches).

The fixed arm's rate (F2's comparator). The lab states no fixed rate for part 2, and the
range test's "best single rate" (its lowest loss after 5 epochs) is lr_max itself, which
on the ci stand-in sits one candidate below divergence (and the lab's only stated fixed
rate, part 3's, is lr_max too). Smith (2017) compares CLR with the fixed rates of tuned,
published set-ups, and gives as a reason CLR works that "it is likely the optimum learning
rate will be between the bounds". So the fixed arm is the best constant
rate between the bounds: each range-test candidate from lr_min to lr_max (the top
``fixed_candidates`` of them, lr_max included) trains at that constant rate for the
schedule's epochs, and the seed's fixed arm is the one with the highest final validation
accuracy (ties: the lower final validation loss). Test accuracy never enters the choice.
The lr_max row is kept as ``fixed_lr_max`` (F2's sensitivity row, and the arm before issue
19). ``fixed_rate="lr_max"`` makes the fixed arm that row (the old behaviour: a negative
control); ``fixed_schedule="cyclic"`` gives it the cyclic schedule (another).

Optimiser: SGD with momentum 0.9, no weight decay (the reference article's optimiser).
Data: ``digits`` is the embedded stand-in (scikit-learn's 8x8 digits resized to 28x28 by
``deepclaims.data.digits28``, then to the net's input side); ``fashion_mnist`` is read from
``data_dir`` (55,000 training images, the last 5,000 of the training split for validation,
the official 10,000 test images), resized to the net's input side as the article does
(32x32); without the files it falls back to the stand-in and the result says so.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F

from deepclaims.data.digits28 import digits28
from deepclaims.data.real import load_real
from deepclaims.errors import ConfigError
from deepclaims.experiment import experiment
from deepclaims.lr_batched import (RowSchedule, cyclic_schedule, exponential_sweep, row_layout, steps_per_epoch,
                                   sweep_losses, total_steps, train_rows)
from deepclaims.training import Split
from models.minigooglenet import MiniGoogLeNetSpec, build_minigooglenet

ARMS = ("cyclic", "fixed", "growing")
FIXED_SCHEDULES = ("constant", "cyclic")
FIXED_RATES = ("best", "lr_max")
CLR_MODES = ("triangular", "triangular2", "exp_range")   # torch's CyclicLR modes (Smith 2017's three policies)
DATASETS = ("digits", "fashion_mnist")
# read_range: the loss "has fallen" once the last epoch's loss is below this share of the initial loss.
FALLEN = 0.9
# The single-run sweep's loss smoothing: fastai's exponential moving average (beta 0.98, bias-corrected).
SMOOTHING = 0.98


@dataclass(frozen=True, kw_only=True)
class LRScheduleRun:
    spec: MiniGoogLeNetSpec
    dataset: str = "digits"
    data_dir: str | None = None
    train_size: int = 600        # stand-in only: training images; the rest split into validation and test
    candidate_lrs: tuple[float, ...] = tuple(float(v) for v in np.logspace(-9, 1, 10))
    range_epochs: int = 5
    batch_size: int = 64
    momentum: float = 0.9
    sweep_steps: int = 100       # the single-run sweep's iterations (0: no sweep)
    arms: tuple[str, ...] = ARMS
    schedule_epochs: int = 24
    cycle_epochs: int = 4        # CyclicLR's step_size_up, in epochs of batch-64 iterations
    clr_mode: str = "exp_range"  # the lab: "cyclical learning rate policy (with exponential decay)"
    final_amplitude: float = 0.015   # exp_range's gamma: the amplitude left at the last iteration
    fixed_candidates: int = 4    # the fixed arm's search: the top range-test candidates from lr_min to lr_max
    fixed_rate: str = "best"     # negative control: "lr_max" gives the fixed arm lr_max (the old behaviour)
    fixed_schedule: str = "constant"  # negative control: "cyclic" gives the fixed arm the cyclic schedule
    start_batch: int = 32
    double_every: int = 4        # epochs per batch size in the growing arm
    max_batch: int = 16384
    micro_batch: int = 128       # largest batch computed at once; larger ones are accumulated
    subset: int | None = None    # the lab dry run only: keep the first `subset` images of each split
    device: str = "cpu"

    def __post_init__(self):
        if self.dataset not in DATASETS:
            raise ConfigError(f"unknown dataset {self.dataset!r}; accepted: {', '.join(DATASETS)}")
        if len(self.candidate_lrs) < 3 or list(self.candidate_lrs) != sorted(set(self.candidate_lrs)):
            raise ConfigError(f"candidate_lrs must be at least 3 increasing values, got {self.candidate_lrs}")
        unknown = [a for a in self.arms if a not in ARMS]
        if unknown or self.fixed_schedule not in FIXED_SCHEDULES or self.fixed_rate not in FIXED_RATES:
            raise ConfigError(f"arms {self.arms} / fixed_schedule {self.fixed_schedule!r} / fixed_rate "
                              f"{self.fixed_rate!r}: accepted arms {ARMS}, fixed schedules {FIXED_SCHEDULES}, "
                              f"fixed rates {FIXED_RATES}")
        if self.clr_mode not in CLR_MODES:
            raise ConfigError(f"unknown clr_mode {self.clr_mode!r}; accepted: {', '.join(CLR_MODES)}")
        if self.fixed_candidates < 1:
            raise ConfigError(f"fixed_candidates must be at least 1, got {self.fixed_candidates}")
        if min(self.range_epochs, self.batch_size, self.schedule_epochs, self.cycle_epochs, self.start_batch,
               self.double_every, self.micro_batch) < 1 or self.max_batch < self.start_batch:
            raise ConfigError("epochs, batch sizes, cycle_epochs and double_every must be positive and "
                              f"max_batch >= start_batch; got {self}")
        if self.subset is not None and self.subset < 1:
            raise ConfigError(f"subset must be None or at least 1, got {self.subset}")
        if not 0 < self.final_amplitude <= 1:
            raise ConfigError(f"final_amplitude must lie in (0, 1], got {self.final_amplitude}")

    def growing_batches(self) -> tuple[int, ...]:
        """The growing arm's batch size per epoch: start_batch doubled every double_every epochs, capped."""
        return tuple(min(self.start_batch * 2 ** (e // self.double_every), self.max_batch)
                     for e in range(self.schedule_epochs))


def load_data(config: LRScheduleRun) -> tuple[Split, Split, str]:
    """(train/test split, train/validation split, description), images at the net's input side."""
    side = config.spec.image_size
    real = load_real("fashion_mnist", config.data_dir, flatten=False) if config.dataset == "fashion_mnist" else None
    if real is not None:
        x, y = _resize(real.x_train, side), real.y_train
        cut = len(y) - 5000
        train_x, train_y, val_x, val_y = x[:cut], y[:cut], x[cut:], y[cut:]
        test_x, test_y = _resize(real.x_test, side), real.y_test
        described = f"Fashion-MNIST ({cut} training, 5000 validation, {len(test_y)} test images, {side}x{side})"
    else:
        stand_in = digits28(config.train_size)
        train_x, train_y = _resize(stand_in.x_train, side), stand_in.y_train
        rest_x, rest_y = _resize(stand_in.x_test, side), stand_in.y_test
        half = len(rest_y) // 2
        val_x, val_y, test_x, test_y = rest_x[:half], rest_y[:half], rest_x[half:], rest_y[half:]
        fallback = " (Fashion-MNIST not found in the data folders)" if config.dataset == "fashion_mnist" else ""
        described = (f"scikit-learn 8x8 digits resized to {side}x{side}{fallback} ({len(train_y)} training, "
                     f"{half} validation, {len(test_y)} test images)")
    if config.subset is not None:
        k = config.subset
        train_x, train_y, val_x, val_y, test_x, test_y = (t[:k] for t in (train_x, train_y, val_x, val_y, test_x, test_y))
    return (Split(train_x, train_y, test_x, test_y), Split(train_x, train_y, val_x, val_y), described)


def _resize(images: torch.Tensor, side: int) -> torch.Tensor:
    """Images [N, 784] or [N, 28, 28] or [N, 1, H, W] -> [N, side*side], bilinear."""
    x = images.reshape(len(images), 1, *((28, 28) if images.dim() == 2 else images.shape[-2:])).float()
    if x.shape[-1] != side:
        x = F.interpolate(x, size=(side, side), mode="bilinear", align_corners=False)
    return x.reshape(len(x), side * side).contiguous()


def read_range(lrs: np.ndarray, final_loss: np.ndarray, initial_loss: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """lr_min and lr_max per seed from a range-test curve (the rule fixed before any result).

    ``final_loss`` [S, L] at ``lrs`` [L] (increasing), ``initial_loss`` [S]; a loss that is not
    finite counts as infinite. lr_max is the learning rate of the lowest loss (where the curve
    stops falling); lr_min is the largest learning rate below it whose loss has not yet fallen
    by 10% (loss > FALLEN x initial: the end of the flat part, where the fall starts), or the
    smallest learning rate when the loss has fallen already there.
    """
    ratio = np.where(np.isfinite(final_loss), final_loss, np.inf) / initial_loss[:, None]
    lr_min, lr_max = np.empty(len(ratio)), np.empty(len(ratio))
    for s, row in enumerate(ratio):
        best = int(np.argmin(row))
        flat = [i for i in range(best) if row[i] > FALLEN]
        lr_max[s] = lrs[best]
        lr_min[s] = lrs[max(flat)] if flat else lrs[0]
    return lr_min, lr_max


def smoothed(losses: np.ndarray, beta: float = SMOOTHING) -> np.ndarray:
    """fastai's bias-corrected exponential moving average along axis 1; once a value is not
    finite the rest of the row is NaN (the sweep has diverged)."""
    out = np.full(losses.shape, np.nan)
    for s, row in enumerate(losses):
        avg = 0.0
        for t, value in enumerate(row):
            if not np.isfinite(value):
                break
            avg = beta * avg + (1 - beta) * value
            out[s, t] = avg / (1 - beta ** (t + 1))
    return out


def read_sweep(lrs: np.ndarray, losses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The same rule on the single-run sweep's smoothed loss: the initial loss is the first
    smoothed value, the curve is read up to its divergence."""
    smooth = smoothed(losses)
    return read_range(lrs, smooth, smooth[:, 0])


def one_step(config: LRScheduleRun) -> LRScheduleRun:
    """The lab dry run's shrink: one batch of each split, one epoch each (one step, two for the
    growing arm's batch of 32), a two-step sweep, three candidates."""
    return replace(config, candidate_lrs=config.candidate_lrs[:2] + config.candidate_lrs[-1:], range_epochs=1,
                   sweep_steps=min(config.sweep_steps, 2), schedule_epochs=1, double_every=1,
                   subset=config.batch_size)


def arm_trainings(config: LRScheduleRun) -> int:
    """Trainings per seed of the schedule arms: one each, the fixed arm's search one per
    candidate (at most ``fixed_candidates``; fewer when the seed's bounds hold fewer)."""
    searched = "fixed" in config.arms and config.fixed_schedule == "constant"
    search = min(config.fixed_candidates, len(config.candidate_lrs)) if searched else 0
    return len(config.arms) - searched + search


def size(config: LRScheduleRun) -> tuple[int, int]:
    """Per seed: one training per candidate, the sweep and the arms' trainings (an upper
    bound: the fixed arm's full search); epochs of the longest."""
    trainings = len(config.candidate_lrs) + (config.sweep_steps > 0) + arm_trainings(config)
    return trainings, max(config.range_epochs, config.schedule_epochs)


FASHION_TRAIN = 55000   # Fashion-MNIST's training images less the 5000 held out for validation


def images_processed(config: LRScheduleRun) -> int:
    """Training images pushed through the net per seed: every candidate's range test, the
    sweep's steps and each arm training's epochs (a growing batch sees each image once per
    epoch too; the fixed arm's search counted in full, an upper bound)."""
    n = FASHION_TRAIN if config.dataset == "fashion_mnist" else config.train_size
    n = n if config.subset is None else min(n, config.subset)
    return (len(config.candidate_lrs) * config.range_epochs * n + config.sweep_steps * config.batch_size
            + arm_trainings(config) * config.schedule_epochs * n)


def work_ratio(config: LRScheduleRun) -> float:
    """The time estimate's multiplier: ``one_step`` trains on one batch, so the ratio is of
    images processed, not of epochs."""
    return images_processed(config) / images_processed(one_step(config))


def two_steps(config: LRScheduleRun) -> LRScheduleRun:
    """``one_step`` on twice the images (the time estimate's second point)."""
    return replace(one_step(config), subset=2 * config.batch_size)


@experiment("F_lr_schedules", one_step=one_step, size=size, shard_size=8, scale=work_ratio, two_step=two_steps,
            concurrent=True)   # every draw comes from the seeds' generators
def lr_schedules(config: LRScheduleRun, seeds: list[int]) -> dict[str, np.ndarray]:
    """Range test, sweep and schedule arms for each seed; arrays [seeds, ...]."""
    train_test, train_val, described = load_data(config)
    train_test, train_val = train_test.to(config.device), train_val.to(config.device)
    n_seeds, lrs = len(seeds), np.asarray(config.candidate_lrs)
    n = train_val.y_train.shape[0]
    out: dict[str, np.ndarray] = {"dataset": np.array([described] * n_seeds)}

    # 1. the range test: candidates x seeds as rows, row i * S + j = (lrs[i], seeds[j])
    row_lrs, row_seeds = row_layout(lrs, seeds)
    model = build_minigooglenet(config.spec, row_seeds, device=config.device)
    table = np.repeat(np.asarray(row_lrs)[None, :], total_steps(n, (config.batch_size,) * config.range_epochs), 0)
    grid = train_rows(model, train_val, row_seeds, RowSchedule((config.batch_size,) * config.range_epochs, table),
                      config.momentum)
    epoch_loss = grid["epoch_loss"].reshape(len(lrs), n_seeds, -1).transpose(1, 0, 2)   # [S, L, epochs]
    out["grid_lrs"] = np.repeat(lrs[None, :], n_seeds, 0)
    out["grid_epoch_loss"] = epoch_loss
    initial = epoch_loss[:, 0, 0]
    lr_min, lr_max = read_range(lrs, epoch_loss[:, :, -1], initial)
    out["lr_min"], out["lr_max"] = lr_min, lr_max

    # the single-run exponential sweep, from the same initial weights and order
    if config.sweep_steps:
        sweep = exponential_sweep(lrs[0], lrs[-1], config.sweep_steps)
        losses = sweep_losses(build_minigooglenet(config.spec, seeds, device=config.device), train_val, seeds, sweep,
                              config.batch_size, config.momentum)
        out["sweep_lrs"] = np.repeat(sweep[None, :], n_seeds, 0)
        out["sweep_loss"] = losses
        out["sweep_lr_min"], out["sweep_lr_max"] = read_sweep(sweep, losses)

    # 2./3. the schedule arms
    evaluate_on = {"val": (train_val.x_test, train_val.y_test)}
    steady = [a for a in config.arms if a in ("cyclic", "fixed")]
    if steady:
        batches = (config.batch_size,) * config.schedule_epochs
        cyclic = cyclic_table(config, lr_min, lr_max, n)                                  # [steps, S]
        searched = "fixed" in steady and config.fixed_schedule == "constant"
        search = fixed_search_rates(config, lrs, lr_min, lr_max) if searched else []      # per seed
        # rows: the cyclic arm's (one per seed), then each seed's constant-rate candidates
        # (or, with fixed_schedule="cyclic", the cyclic schedule again as the fixed arm)
        columns, row_seeds, row_rates = [], [], []
        if "cyclic" in steady:
            columns.append(cyclic)
            row_seeds += list(seeds)
        if "fixed" in steady and not searched:
            columns.append(cyclic)
            row_seeds += list(seeds)
        for s, rates in enumerate(search):
            columns.append(np.repeat(np.asarray(rates)[None, :], cyclic.shape[0], 0))
            row_seeds += [seeds[s]] * len(rates)
            row_rates += [(s, r) for r in rates]
        table = np.concatenate(columns, 1)
        model = build_minigooglenet(config.spec, row_seeds, device=config.device)
        run = train_rows(model, train_val, row_seeds, RowSchedule(batches, table), config.momentum,
                         evaluate_on=evaluate_on)
        test = _test_accuracy(model, train_test)
        first = 0
        if "cyclic" in steady:
            rows = np.arange(n_seeds)
            _store_arm(out, "cyclic", run, rows, test[rows])
            out["cyclic_lr"] = table[:, rows].T
            first = n_seeds
        if "fixed" in steady and not searched:
            rows = np.arange(first, first + n_seeds)
            _store_arm(out, "fixed", run, rows, test[rows])
            out["fixed_lr"] = table[:, rows].T
        if searched:
            rows_of = [[first + k for k, (s, _) in enumerate(row_rates) if s == seed] for seed in range(n_seeds)]
            val_acc, val_loss = run["val_acc"][:, -1], run["val_loss"][:, -1]
            best = np.array([rows[best_row(val_acc[rows], val_loss[rows])] for rows in rows_of])
            at_lr_max = np.array([rows[-1] for rows in rows_of])        # candidates ascend: lr_max is last
            chosen = at_lr_max if config.fixed_rate == "lr_max" else best
            for arm, rows in (("fixed", chosen), ("fixed_lr_max", at_lr_max)):
                _store_arm(out, arm, run, rows, test[rows])
                out[f"{arm}_lr"] = table[:, rows].T
            # the search, per seed and candidate (NaN where a candidate was not tried)
            for key, values in (("val_acc", val_acc), ("val_loss", val_loss), ("test_acc", test)):
                grid = np.full((n_seeds, len(lrs)), np.nan)
                for k, (s, rate) in enumerate(row_rates):
                    grid[s, int(np.argmin(np.abs(np.log(lrs) - np.log(rate))))] = values[first + k]
                out[f"fixed_search_{key}"] = grid
            out["fixed_best_lr"] = table[0, best]
    if "growing" in config.arms:
        batches, table = growing_table(config, lr_max, n)
        model = build_minigooglenet(config.spec, seeds, device=config.device)
        run = train_rows(model, train_val, seeds, RowSchedule(batches, table), config.momentum,
                         micro_batch=config.micro_batch, evaluate_on=evaluate_on)
        _store_arm(out, "growing", run, np.arange(n_seeds), _test_accuracy(model, train_test))
        out["growing_batch"] = np.repeat(np.minimum(np.asarray(batches), n)[None, :], n_seeds, 0)
    return out


def cyclic_table(config: LRScheduleRun, lr_min: np.ndarray, lr_max: np.ndarray, n: int) -> np.ndarray:
    """[steps, S]: the cyclic arm's learning rate per iteration for each seed's bounds, on
    ``n`` training images: CyclicLR in ``config.clr_mode`` from lr_min to lr_max, step_size_up
    ``cycle_epochs`` epochs of batch-``batch_size`` iterations, gamma leaving
    ``final_amplitude`` of the amplitude at the last iteration."""
    steps = total_steps(n, (config.batch_size,) * config.schedule_epochs)
    gamma = config.final_amplitude ** (1 / steps)
    step_size_up = config.cycle_epochs * steps_per_epoch(n, config.batch_size)
    return np.stack([cyclic_schedule(lo, hi, step_size_up, steps, config.clr_mode, gamma)
                     for lo, hi in zip(lr_min, lr_max)], 1)


def growing_table(config: LRScheduleRun, lr_max: np.ndarray, n: int) -> tuple[tuple[int, ...], np.ndarray]:
    """The growing arm's batch size per epoch and its learning-rate table [steps, S]: lr_max
    throughout."""
    batches = config.growing_batches()
    return batches, np.repeat(np.asarray(lr_max, dtype=float)[None, :], total_steps(n, batches), 0)


def fixed_search_rates(config: LRScheduleRun, lrs: np.ndarray, lr_min: np.ndarray,
                       lr_max: np.ndarray) -> list[list[float]]:
    """Per seed, the fixed arm's candidates, ascending: the range test's candidates from the
    seed's lr_min to its lr_max, both included, the top ``fixed_candidates`` of them."""
    out = []
    for lo, hi in zip(lr_min, lr_max):
        between = [float(v) for v in lrs if lo * (1 - 1e-9) <= v <= hi * (1 + 1e-9)]
        out.append(between[-config.fixed_candidates:])
    return out


def best_row(val_acc: np.ndarray, val_loss: np.ndarray) -> int:
    """Index of the highest final validation accuracy; ties go to the lower final validation
    loss (a loss that is not finite loses), then to the first (the lowest rate)."""
    loss = np.where(np.isfinite(val_loss), val_loss, np.inf)
    acc = np.where(np.isfinite(val_acc), val_acc, -np.inf)
    return int(np.lexsort((np.arange(len(acc)), loss, -acc))[0])


def _test_accuracy(model, data: Split) -> np.ndarray:
    from deepclaims.training import evaluate
    return evaluate(model, data.x_test, data.y_test, "ce")[1]


def _store_arm(out: dict, arm: str, run: dict, rows: np.ndarray, test_acc: np.ndarray) -> None:
    for key in ("epoch_loss", "epoch_acc", "val_loss", "val_acc", "updates"):
        out[f"{arm}_{key}"] = run[key][rows]
    out[f"{arm}_test_acc"] = test_acc
