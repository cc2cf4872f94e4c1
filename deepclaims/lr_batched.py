"""Learning rates batched like seeds: R rows of one seed-batched model, each with its own
learning rate (and its own schedule), trained in one loop.

A seed-batched model (``deepclaims.batched``, ``deepclaims.batched_conv``) keeps every
parameter with the rows on axis 0, and row i's loss depends only on row i's parameters.
So an optimiser whose update is element-wise can give each row its own learning rate:
:class:`RowSGD` is PyTorch's SGD with momentum (buffer ``b = m b + g``, first buffer ``g``;
step ``p -= lr b``) with ``lr`` a vector over rows, changed at any step. With a row's
learning rate table equal to what a ``torch.optim.lr_scheduler`` would set, the row follows
exactly the solo run with ``torch.optim.SGD`` and that scheduler (tests/test_F_lr_batched.py).

:func:`train_rows` trains the rows on shared data with a per-epoch batch size; a batch
larger than ``micro_batch`` is accumulated over micro-batches whose gradients add up to the
whole batch's (each micro-batch's mean loss weighted by its share of the batch), the
"effective batch size" way of simulating a batch that does not fit in memory. Rows that
share a seed see the same minibatch order (the seed's ``order`` stream), so rows of one
seed differ only in their learning rates.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch

from deepclaims import seeding
from deepclaims.errors import ConfigError
from deepclaims.training import EpochMean, Split, evaluate, per_seed_accuracy, per_seed_loss

REDUCTIONS = ("mean", "sum")


class RowSGD(torch.optim.Optimizer):
    """SGD with momentum whose learning rate is a vector over rows (axis 0 of every parameter)."""

    def __init__(self, params, row_lr: torch.Tensor, momentum: float = 0.0):
        if not 0 <= momentum < 1:
            raise ConfigError(f"momentum must lie in [0, 1), got {momentum}")
        super().__init__(params, {"momentum": momentum})
        self.row_lr = torch.as_tensor(row_lr, dtype=torch.float32)
        self._check(self.row_lr)

    def _check(self, row_lr: torch.Tensor) -> None:
        if row_lr.dim() != 1 or not bool((row_lr >= 0).all()):
            raise ConfigError(f"row learning rates must be a vector of non-negative numbers, got {row_lr}")
        for group in self.param_groups:
            for p in group["params"]:
                if p.shape[0] != len(row_lr):
                    raise ConfigError(f"a parameter of shape {list(p.shape)} has {p.shape[0]} rows, "
                                      f"but {len(row_lr)} row learning rates were given")

    def set_row_lr(self, row_lr: torch.Tensor) -> None:
        row_lr = torch.as_tensor(row_lr, dtype=torch.float32)
        self._check(row_lr)
        self.row_lr = row_lr

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            m = group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                direction = p.grad
                if m:
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = p.grad.detach().clone()
                    else:
                        state["momentum_buffer"].mul_(m).add_(p.grad)
                    direction = state["momentum_buffer"]
                lr = self.row_lr.to(p.device, p.dtype).view(-1, *([1] * (p.dim() - 1)))
                p.sub_(lr * direction)
        return None


def row_layout(lrs: Sequence[float], seeds: Sequence[int]) -> tuple[list[float], list[int]]:
    """Rows for every (learning rate, seed) pair: row ``i * len(seeds) + j`` is (lrs[i], seeds[j])."""
    if len(lrs) == 0 or len(seeds) == 0:
        raise ConfigError("row_layout needs at least one learning rate and one seed")
    return [float(lr) for lr in lrs for _ in seeds], [int(s) for _ in lrs for s in seeds]


def steps_per_epoch(n: int, batch: int) -> int:
    return math.ceil(n / batch)


def total_steps(n: int, batch_sizes: Sequence[int]) -> int:
    """Parameter updates of a run with the given batch size per epoch on ``n`` samples."""
    return sum(steps_per_epoch(n, b) for b in batch_sizes)


def exponential_sweep(low: float, high: float, steps: int) -> np.ndarray:
    """[steps] learning rates growing geometrically from ``low`` to ``high`` (the single-run
    range test of torch-lr-finder's and fastai's ``lr_find``)."""
    if not 0 < low < high or steps < 2:
        raise ConfigError(f"a sweep needs 0 < low < high and at least 2 steps, got {low}, {high}, {steps}")
    return low * (high / low) ** (np.arange(steps) / (steps - 1))


def cyclic_schedule(base_lr: float, max_lr: float, step_size_up: int, steps: int, mode: str = "exp_range",
                    gamma: float = 1.0) -> np.ndarray:
    """[steps] learning rates that ``torch.optim.lr_scheduler.CyclicLR`` sets, step by step
    (read off the scheduler driving a one-parameter SGD; momentum is not cycled)."""
    if not 0 < base_lr <= max_lr:
        raise ConfigError(f"a cyclic schedule needs 0 < base_lr <= max_lr, got {base_lr}, {max_lr}")
    dummy = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr)
    scheduler = torch.optim.lr_scheduler.CyclicLR(dummy, base_lr=base_lr, max_lr=max_lr, step_size_up=step_size_up,
                                                  mode=mode, gamma=gamma, cycle_momentum=False)
    out = np.empty(steps)
    for t in range(steps):
        out[t] = dummy.param_groups[0]["lr"]
        dummy.step()
        scheduler.step()
    return out


def accumulate_gradients(model, xb: torch.Tensor, yb: torch.Tensor, loss: str, micro_batch: int,
                         reduction: str = "mean") -> tuple[torch.Tensor, torch.Tensor]:
    """Back-propagate one batch (x [R, B, ...], y [R, B]) in micro-batches of at most
    ``micro_batch`` samples; returns each row's batch loss and accuracy [R].

    ``mean`` (the correct rule) weights micro-batch k's mean loss by n_k / B, so the
    gradients add up to those of the whole batch's mean loss (BN aside: each micro-batch is
    normalised with its own statistics). ``sum`` adds the micro-batches' means unweighted,
    a k times larger gradient: the mistake a negative control plants.
    """
    if reduction not in REDUCTIONS:
        raise ConfigError(f"unknown reduction {reduction!r}; accepted: {', '.join(REDUCTIONS)}")
    if micro_batch < 1:
        raise ConfigError(f"micro_batch must be at least 1, got {micro_batch}")
    b = yb.shape[1]
    batch_loss = torch.zeros(yb.shape[0], device=yb.device)
    batch_acc = torch.zeros(yb.shape[0], device=yb.device)
    for start in range(0, b, micro_batch):
        x, y = xb[:, start:start + micro_batch], yb[:, start:start + micro_batch]
        logits = model(x)
        losses = per_seed_loss(logits, y, loss)
        share = y.shape[1] / b
        (losses.sum() * (share if reduction == "mean" else 1.0)).backward()
        batch_loss += losses.detach() * share
        batch_acc += per_seed_accuracy(logits.detach(), y, loss) * share
    return batch_loss, batch_acc


@dataclass(frozen=True)
class RowSchedule:
    """What each step of a row-batched run uses: the batch size per epoch, and the
    learning rate table [steps, R] (row r's learning rate at step t)."""

    batch_sizes: tuple[int, ...]
    lr_table: np.ndarray

    def __post_init__(self):
        if not self.batch_sizes or min(self.batch_sizes) < 1:
            raise ConfigError(f"batch sizes must be positive, one per epoch, got {self.batch_sizes}")
        if self.lr_table.ndim != 2 or not np.all(self.lr_table >= 0):
            raise ConfigError("the learning-rate table must be [steps, rows] of non-negative numbers")


EpochHook = Callable[[torch.nn.Module, int], dict[str, np.ndarray]]


def train_rows(model, data: Split, row_seeds: Sequence[int], schedule: RowSchedule, momentum: float = 0.9,
               loss: str = "ce", micro_batch: int | None = None, reduction: str = "mean",
               evaluate_on: dict[str, tuple[torch.Tensor, torch.Tensor]] | None = None) -> dict[str, np.ndarray]:
    """Train the R rows of ``model`` (row r drawn from seed ``row_seeds[r]``) on ``data``.

    Returns [R, epochs] arrays: ``epoch_loss`` / ``epoch_acc`` (the sample-weighted running
    averages over the epoch's batches, as Keras' history reports them; a row whose loss is
    not finite reads NaN), and for each name of ``evaluate_on`` its eval-mode ``<name>_loss``
    / ``<name>_acc`` after every epoch; ``step_loss`` [R, steps], each batch's loss before
    its update; and ``updates`` [R], the parameter updates made.
    """
    rows = model.n_seeds
    if len(row_seeds) != rows or schedule.lr_table.shape[1] != rows:
        raise ConfigError(f"{len(row_seeds)} row seeds and a table of {schedule.lr_table.shape[1]} rows for a "
                          f"model of {rows} rows")
    n = data.y_train.shape[0]
    steps = total_steps(n, schedule.batch_sizes)
    if schedule.lr_table.shape[0] != steps:
        raise ConfigError(f"the learning-rate table has {schedule.lr_table.shape[0]} steps; the batch sizes "
                          f"make {steps}")
    data.check_disjoint()
    device = next(model.parameters()).device
    distinct = sorted(set(int(s) for s in row_seeds))
    order_gens = dict(zip(distinct, seeding.generators(distinct, "order")))
    row_of_seed = torch.tensor([distinct.index(int(s)) for s in row_seeds], device=device)
    table = torch.as_tensor(schedule.lr_table, dtype=torch.float32)
    optimizer = RowSGD(model.parameters(), table[0], momentum)
    epochs = len(schedule.batch_sizes)
    out = {"epoch_loss": np.zeros((rows, epochs)), "epoch_acc": np.zeros((rows, epochs))}
    for name in evaluate_on or {}:
        out[f"{name}_loss"] = np.zeros((rows, epochs))
        out[f"{name}_acc"] = np.zeros((rows, epochs))
    step_loss = []
    step = 0
    model.train()
    for epoch, batch in enumerate(schedule.batch_sizes):
        perms = torch.stack([torch.randperm(n, generator=order_gens[s]) for s in distinct]).to(device)
        row_perms = perms[row_of_seed]
        epoch_loss, epoch_acc = EpochMean(rows, device), EpochMean(rows, device)
        for start in range(0, n, batch):
            idx = row_perms[:, start:start + batch]
            optimizer.zero_grad(set_to_none=True)
            batch_loss, batch_acc = accumulate_gradients(model, data.x_train[idx], data.y_train[idx], loss,
                                                         micro_batch or batch, reduction)
            optimizer.set_row_lr(table[step])
            optimizer.step()
            epoch_loss.add(batch_loss, idx.shape[1])
            epoch_acc.add(batch_acc, idx.shape[1])
            step_loss.append(batch_loss)
            step += 1
        out["epoch_loss"][:, epoch] = epoch_loss.value()
        out["epoch_acc"][:, epoch] = epoch_acc.value()
        for name, (x, y) in (evaluate_on or {}).items():
            losses, accs = evaluate(model, x, y, loss)
            out[f"{name}_loss"][:, epoch], out[f"{name}_acc"][:, epoch] = losses, accs
    out["step_loss"] = torch.stack(step_loss, 1).cpu().numpy()
    out["updates"] = np.full(rows, step, dtype=np.int64)
    return out


def sweep_losses(model, data: Split, row_seeds: Sequence[int], lrs: np.ndarray, batch_size: int,
                 momentum: float = 0.9, loss: str = "ce") -> np.ndarray:
    """The single-run range test: one training whose learning rate at step t is ``lrs[t]``
    (every row alike), batches in each seed's order (a new permutation each time the data
    run out); returns each row's minibatch loss at every step of the sweep, [R, len(lrs)]."""
    per_epoch = steps_per_epoch(data.y_train.shape[0], batch_size)
    epochs = math.ceil(len(lrs) / per_epoch)
    # Steps after the sweep's end, up to the epoch's end, take learning rate 0 (never read).
    padded = np.concatenate([np.asarray(lrs, dtype=np.float64), np.zeros(epochs * per_epoch - len(lrs))])
    table = np.repeat(padded[:, None], model.n_seeds, axis=1)
    run = train_rows(model, data, row_seeds, RowSchedule((batch_size,) * epochs, table), momentum, loss)
    return run["step_loss"][:, :len(lrs)]
