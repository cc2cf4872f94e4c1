"""Seeded, vectorised training of S networks at once.

The model holds S independent networks on a leading axis (see ``deepclaims.batched``).
Each step sums the S per-seed mean losses and back-propagates once: since seed i's loss
depends only on seed i's parameters, the gradient each seed receives is exactly the
gradient it would receive alone. Element-wise optimisers (SGD with momentum and every
adaptive method in OPTIMISERS) then update each seed exactly as S separate optimisers would. Seed i's minibatch order
comes from its own generator, so its trajectory does not depend on S or on which
shard it was trained in.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from deepclaims import seeding
from deepclaims.errors import ConfigError
from deepclaims.optimisers import RMSPropNesterov

@contextlib.contextmanager
def one_cpu_thread(device: torch.device | str = "cpu"):
    """Run an experiment on one intra-op CPU thread, then restore the setting.

    The suite's networks are small: each op touches a few thousand numbers, so a second
    thread gains little, while on a busy 2-core machine its per-op barrier stalls every
    op (measured here: C6's training 75x and D's training step 60x slower on 2 threads
    than on 1 while other jobs ran). It never raises the count the plugin gave a worker.
    """
    before = torch.get_num_threads()
    if torch.device(device).type == "cpu":
        torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


LOSSES = ("bce", "ce", "mse")
OPTIMISERS = ("sgd", "adam", "adagrad", "rmsprop", "rmsprop_nesterov", "adadelta")
# Decay rate (rho) and epsilon each adaptive method takes when TrainConfig leaves them
# None: the values its paper states, else PyTorch's (see deepclaims.optimisers for the
# update rules and where PyTorch departs from the papers). Adam keeps torch's defaults,
# which are the paper's. AdaGrad has no decay; Duchi et al. leave delta free (torch: 1e-10).
PAPER_DEFAULTS: dict[str, dict[str, float]] = {
    "adagrad": {"eps": 1e-10},
    "rmsprop": {"rho": 0.9, "eps": 1e-8},            # Hinton, lecture 6e: 0.9; torch's alpha is 0.99
    "rmsprop_nesterov": {"rho": 0.9, "eps": 1e-8},   # as RMSProp (Goodfellow et al. 2016, Alg. 8.6)
    "adadelta": {"rho": 0.95, "eps": 1e-6},          # Zeiler 2012, section 4; torch's rho is 0.9
    "adam": {"eps": 1e-8},
}
USES_MOMENTUM = ("sgd", "rmsprop_nesterov")


@dataclass(frozen=True)
class TrainConfig:
    epochs: int
    batch_size: int
    lr: float
    momentum: float = 0.0
    optimizer: str = "sgd"
    loss: str = "bce"
    clip_norm: float | None = None
    # L2 regularisation: weight_decay * theta added to every gradient (all optimisers).
    weight_decay: float = 0.0
    # The adaptive methods' decay rate and epsilon; None takes PAPER_DEFAULTS[optimizer].
    rho: float | None = None
    eps: float | None = None

    def __post_init__(self):
        if self.epochs < 0:
            raise ConfigError(f"epochs must be >= 0, got {self.epochs}")
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {self.batch_size}")
        if not self.lr > 0:
            raise ConfigError(f"lr must be positive, got {self.lr}")
        if self.loss not in LOSSES:
            raise ConfigError(f"unknown loss {self.loss!r}; accepted: {', '.join(LOSSES)}")
        if self.optimizer not in OPTIMISERS:
            raise ConfigError(f"unknown optimizer {self.optimizer!r}; accepted: {', '.join(OPTIMISERS)}")
        if self.clip_norm is not None and not self.clip_norm > 0:
            raise ConfigError(f"clip_norm must be positive or None, got {self.clip_norm}")
        if self.weight_decay < 0:
            raise ConfigError(f"weight_decay must be >= 0, got {self.weight_decay}")
        if self.optimizer in USES_MOMENTUM:
            if not 0 <= self.momentum < 1:
                raise ConfigError(f"momentum must lie in [0, 1), got {self.momentum}")
            if self.optimizer == "rmsprop_nesterov" and self.momentum == 0:
                raise ConfigError("rmsprop_nesterov needs a momentum in (0, 1); with 0 it is plain rmsprop")
        elif self.momentum != 0:
            raise ConfigError(f"optimizer {self.optimizer!r} takes no momentum, got {self.momentum}; "
                              f"momentum is accepted by: {', '.join(USES_MOMENTUM)}")
        takes_rho = self.optimizer in ("rmsprop", "rmsprop_nesterov", "adadelta")
        if self.rho is not None and not (takes_rho and 0 <= self.rho < 1):
            raise ConfigError(f"rho must be None or in [0, 1) for rmsprop, rmsprop_nesterov or adadelta; "
                              f"got {self.rho} for {self.optimizer!r}")
        if self.eps is not None and not (self.optimizer in PAPER_DEFAULTS and self.eps >= 0):
            raise ConfigError(f"eps must be None or >= 0 for an adaptive optimizer "
                              f"({', '.join(PAPER_DEFAULTS)}); got {self.eps} for {self.optimizer!r}")

    def hyper(self, name: str) -> float:
        """The adaptive method's ``rho`` or ``eps``: the config's value, else the paper's default."""
        value = getattr(self, name)
        return PAPER_DEFAULTS[self.optimizer][name] if value is None else value


MAX_SHARED_TEST_ROWS = 0.01


@dataclass
class Split:
    """Training and test tensors: shared by every seed (x [N, d], y [N]) or one set per
    seed (x [S, N, d], y [S, N]) when each training draws its own data."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor

    def to(self, device) -> "Split":
        return Split(*(t.to(device) for t in (self.x_train, self.y_train, self.x_test, self.y_test)))

    def check_disjoint(self, tolerated: float = MAX_SHARED_TEST_ROWS) -> None:
        """Refuse a split whose test rows largely appear in its training rows.

        A test split equal to (or drawn from) the training split turns test accuracy into
        training accuracy, and several claims would still pass on it. Real data sets hold
        a few exact duplicates across their official splits, so a small share is tolerated.
        """
        x_train, x_test = self.x_train, self.x_test
        if x_train.dim() == 3:          # one data set per seed: check each seed's own
            pairs = list(zip(x_train, x_test))
        else:
            pairs = [(x_train, x_test)]
        for seed_index, (a, b) in enumerate(pairs):
            seen = {row.tobytes() for row in a.detach().cpu().numpy().reshape(len(a), -1)}
            test_rows = b.detach().cpu().numpy().reshape(len(b), -1)
            shared = sum(row.tobytes() in seen for row in test_rows)
            if shared > tolerated * len(test_rows):
                where = f" (data set {seed_index})" if len(pairs) > 1 else ""
                raise ConfigError(f"{shared} of {len(test_rows)} test rows{where} also appear in the training split; "
                                  "train and test must be disjoint (at most "
                                  f"{tolerated:.0%} shared rows are tolerated)")


def per_seed_loss(logits: torch.Tensor, y: torch.Tensor, kind: str) -> torch.Tensor:
    """Mean loss over the batch axis, one value per seed: logits [S, B, k], y [S, B]."""
    if kind == "bce":
        return F.binary_cross_entropy_with_logits(logits.squeeze(-1), y.float(), reduction="none").mean(1)
    if kind == "ce":
        s, b, k = logits.shape
        return F.cross_entropy(logits.reshape(s * b, k), y.reshape(-1).long(), reduction="none").view(s, b).mean(1)
    if kind == "mse":
        return ((logits.squeeze(-1) - y.float()) ** 2).mean(1)
    raise ConfigError(f"unknown loss {kind!r}; accepted: {', '.join(LOSSES)}")


def per_seed_accuracy(logits: torch.Tensor, y: torch.Tensor, kind: str) -> torch.Tensor:
    if kind == "bce":
        return ((logits.squeeze(-1) > 0).long() == y.long()).float().mean(1)
    if kind == "ce":
        return (logits.argmax(-1) == y.long()).float().mean(1)
    raise ConfigError(f"accuracy is defined for 'bce' and 'ce' losses, not {kind!r}")


def make_optimizer(params, config: TrainConfig) -> torch.optim.Optimizer:
    """The configured optimiser; ``weight_decay`` is L2 added to the gradient in each.

    Every method's update is element-wise, so S seeds stacked in one tensor update as S
    separate optimisers would (tests/test_optimiser_seed_batching.py checks all five).
    """
    name, lr, wd = config.optimizer, config.lr, config.weight_decay
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=config.momentum, weight_decay=wd)
    eps = config.hyper("eps")
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, eps=eps, weight_decay=wd)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, eps=eps, weight_decay=wd)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=config.hyper("rho"), eps=eps, weight_decay=wd)
    if name == "rmsprop_nesterov":
        return RMSPropNesterov(params, lr=lr, rho=config.hyper("rho"), momentum=config.momentum, eps=eps,
                               weight_decay=wd)
    if name == "adadelta":
        return torch.optim.Adadelta(params, lr=lr, rho=config.hyper("rho"), eps=eps, weight_decay=wd)
    raise ConfigError(f"unknown optimizer {name!r}; accepted: {', '.join(OPTIMISERS)}")


def clip_per_seed(model: torch.nn.Module, max_norm: float) -> torch.Tensor:
    """Scale each seed's gradient so its global norm is at most ``max_norm``.

    torch.nn.utils.clip_grad_norm_ would take one norm over all seeds together and so
    couple them; here the norm is taken per seed over that seed's slices.
    """
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    sq = sum(g.pow(2).flatten(1).sum(1) for g in grads)
    norms = sq.sqrt()
    scale = (max_norm / (norms + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(scale.view(-1, *([1] * (g.dim() - 1))))
    return norms


def per_seed_view(x: torch.Tensor, y: torch.Tensor, n_seeds: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Shared data broadcast to [S, N, ...] without copying; per-seed data as it is."""
    if y.dim() == 2:
        if y.shape[0] != n_seeds:
            raise ConfigError(f"per-seed data holds {y.shape[0]} sets for {n_seeds} seeds")
        return x, y
    return x.unsqueeze(0).expand(n_seeds, *x.shape), y.unsqueeze(0).expand(n_seeds, *y.shape)


def evaluate(model, x: torch.Tensor, y: torch.Tensor, loss: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-seed loss and accuracy, in eval mode (BN uses running statistics)."""
    was_training = model.training
    model.eval()
    xs, ys = per_seed_view(x, y, model.n_seeds)
    with torch.no_grad():
        logits = model(xs)
        losses = per_seed_loss(logits, ys, loss)
        accs = per_seed_accuracy(logits, ys, loss) if loss != "mse" else torch.full_like(losses, float("nan"))
    model.train(was_training)
    return losses.cpu().numpy(), accs.cpu().numpy()


class EpochMean:
    """An epoch's mean of a per-batch, per-row quantity, each batch weighted by its samples.

    The mean over every training sample seen in the epoch, as Keras' history reports it:
    an unweighted mean of batch means would let a last batch of 2 images count as much as a
    full one (with 898 images and batch 128, 1/8 of the epoch's loss). ``train`` and
    ``lr_batched.train_rows`` both report their epoch curves through it.
    """

    def __init__(self, rows: int, device):
        self.total = torch.zeros(rows, device=device)
        self.samples = 0

    def add(self, batch_mean: torch.Tensor, samples: int) -> None:
        self.total += batch_mean.detach() * samples
        self.samples += samples

    def value(self) -> np.ndarray:
        if self.samples == 0:
            raise ConfigError("an epoch mean over no samples is undefined")
        return (self.total / self.samples).cpu().numpy()


StepHook = Callable[[torch.nn.Module, int, torch.Tensor], None]
EpochHook = Callable[[torch.nn.Module, int], None]


def train(model, data: Split, config: TrainConfig, seeds: Sequence[int],
          on_step: StepHook | None = None, on_epoch_end: EpochHook | None = None,
          optimizer=None) -> dict[str, np.ndarray]:
    """Train the S seeds of ``model`` on ``data``; returns per-seed histories and final scores.

    ``optimizer`` (anything with ``zero_grad`` and ``step``) replaces the default
    ``make_optimizer(model.parameters(), config)``, e.g. a
    ``deepclaims.row_groups.RowGroupOptimiser`` giving groups of rows their own rates.

    ``on_step(model, step, losses)`` runs after back-propagation and before the update
    (gradients are in ``.grad``); ``on_epoch_end(model, epoch)`` runs after epoch 0
    (initial state, epoch index 0) and after each epoch (index 1..epochs).
    """
    if len(seeds) != model.n_seeds:
        raise ConfigError(f"{len(seeds)} seeds for a model of {model.n_seeds} seeds")
    data.check_disjoint()
    device = next(model.parameters()).device
    order_gens = seeding.generators(seeds, "order")
    per_seed_data = data.y_train.dim() == 2
    n = data.y_train.shape[-1]
    rows = torch.arange(model.n_seeds, device=device).unsqueeze(1)
    if optimizer is None:
        optimizer = make_optimizer(model.parameters(), config)
    history = np.zeros((model.n_seeds, config.epochs), dtype=np.float64)
    grad_norms = []
    model.train()
    if on_epoch_end:
        on_epoch_end(model, 0)
    step = 0
    for epoch in range(config.epochs):
        perms = torch.stack([torch.randperm(n, generator=g) for g in order_gens]).to(device)
        epoch_loss = EpochMean(model.n_seeds, device)
        for start in range(0, n, config.batch_size):
            idx = perms[:, start:start + config.batch_size]
            if per_seed_data:
                xb, yb = data.x_train[rows, idx], data.y_train[rows, idx]
            else:
                xb, yb = data.x_train[idx], data.y_train[idx]
            losses = per_seed_loss(model(xb), yb, config.loss)
            optimizer.zero_grad(set_to_none=True)
            losses.sum().backward()
            if config.clip_norm is not None:
                grad_norms.append(clip_per_seed(model, config.clip_norm))
            if on_step:
                on_step(model, step, losses.detach())
            optimizer.step()
            epoch_loss.add(losses, idx.shape[1])
            step += 1
        history[:, epoch] = epoch_loss.value()
        if on_epoch_end:
            on_epoch_end(model, epoch + 1)
    train_loss, train_acc = evaluate(model, data.x_train, data.y_train, config.loss)
    test_loss, test_acc = evaluate(model, data.x_test, data.y_test, config.loss)
    out = {"epoch_loss": history, "train_loss": train_loss, "train_acc": train_acc,
           "test_loss": test_loss, "test_acc": test_acc}
    if grad_norms:
        out["grad_norm_before_clip"] = torch.stack(grad_norms, 1).cpu().numpy()
    return out
