"""Dropout for S seed-batched networks, each seed's masks drawn from its own generator.

Two rules for keeping a unit's expected contribution the same in training and at test time:

- ``inverted`` (what ``torch.nn.Dropout`` does): in training a kept unit is scaled by
  1/retain, so nothing changes at test time.
- ``weight_scaling`` (Srivastava et al. 2014, section 4: "the outgoing weights of that unit
  are multiplied by p at test time"): no scaling in training; at test time the unit's output
  is multiplied by the retain probability. Multiplying the unit's output by p equals
  multiplying every weight leaving it by p, W (p a) = (p W) a, so the rule is applied here,
  on the activation, and holds for whatever layer follows.

For a linear layer following the dropout, both rules give the same expected training-time
pre-activation as their own test-time pre-activation, exactly: E[W (m a / p)] = W a under
``inverted`` and E[W (m a)] = p W a under ``weight_scaling``. A net trained under one rule
and evaluated under the other is off by a factor p (or 1/p) at every dropped layer, which is
what claim E5's negative control relies on.

Masks: seed i's mask for a batch is one ``torch.rand`` draw of shape [batch, *unit_shape]
from seed i's generator (the ``dropout`` stream of ``deepclaims.seeding``), compared with
the retain probability: the same draw a user's single-seed net would make from that
generator, independent of how many seeds are batched or which shard holds seed i. Draws are
made on the CPU and moved, so the masks do not depend on the device either. All dropout
layers of one model share the seed's generator and draw in forward order.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from deepclaims.errors import ConfigError

RULES = ("inverted", "weight_scaling")
LAYOUTS = ("columns", "grouped")


def check_rate(rate: float, what: str = "dropout rate") -> float:
    """A dropout rate (probability of dropping a unit) must lie in [0, 1)."""
    rate = float(rate)
    if not 0.0 <= rate < 1.0:
        raise ConfigError(f"{what} must lie in [0, 1) (the probability of dropping a unit), got {rate!r}")
    return rate


def check_rule(rule: str) -> str:
    if rule not in RULES:
        raise ConfigError(f"unknown dropout rule {rule!r}; accepted: {', '.join(RULES)}")
    return rule


def seed_masks(gens: Sequence[torch.Generator], batch: int, unit_shape: Sequence[int], retain: float) -> torch.Tensor:
    """Keep-masks [S, batch, *unit_shape] (float 0/1), seed i's from gens[i] alone.

    Seed i's row is ``torch.rand((batch, *unit_shape), generator=gens[i]) < retain`` as a
    float: the same draw (``uniform_`` is what ``torch.rand`` fills with), made in place in
    one buffer and compared in place, which saves a comparison per seed, the stack and the
    conversion (G's three masks per step: 1.0 -> 0.7 ms and 2.0 -> 1.3 ms each at 32 seeds,
    one thread). tests/test_dropout.py checks it against the per-seed ``torch.rand``.
    """
    masks = torch.empty((len(gens), batch, *unit_shape))
    for row, gen in zip(masks, gens):
        row.uniform_(generator=gen)
    return masks.lt_(retain)


class SeedDropout(nn.Module):
    """Dropout with rate ``rate`` on seed-batched activations.

    ``layout`` says where the seeds are: ``columns`` is the dense engine's [S, features,
    batch] (``deepclaims.batched``); ``grouped`` is the convolutional engine's [batch,
    S*C, H, W] (``deepclaims.batched_conv``). The generators are set once per model with
    ``set_generators`` (one per seed); ``rule`` may be changed after training to evaluate
    a net under the other test-time rule.
    """

    def __init__(self, rate: float, layout: str, rule: str = "inverted"):
        super().__init__()
        self.rate = check_rate(rate)
        if layout not in LAYOUTS:
            raise ConfigError(f"unknown dropout layout {layout!r}; accepted: {', '.join(LAYOUTS)}")
        self.layout, self.rule = layout, check_rule(rule)
        self.gens: list[torch.Generator] | None = None

    @property
    def retain(self) -> float:
        return 1.0 - self.rate

    def set_generators(self, gens: Sequence[torch.Generator]) -> None:
        self.gens = list(gens)

    def extra_repr(self) -> str:
        return f"rate={self.rate}, layout={self.layout}, rule={self.rule}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.rate == 0.0:
            return x
        if not self.training:
            return x if self.rule == "inverted" else x * self.retain
        if self.gens is None:
            raise ConfigError("a SeedDropout layer in training mode needs its seeds' generators "
                              "(set_generators(seeding.generators(seeds, 'dropout')))")
        return self.apply_mask(x, self._mask_like(x))

    def apply_mask(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The training-time output for a given 0/1 keep-mask: kept units scaled by
        1/retain under ``inverted``, unscaled under ``weight_scaling``."""
        return x * (mask / self.retain if self.rule == "inverted" else mask)

    def _mask_like(self, x: torch.Tensor) -> torch.Tensor:
        n_seeds = len(self.gens)
        if self.layout == "columns":      # x [S, F, B]; seed's draw [B, F]
            s, f, b = x.shape
            self._check_seeds(s, n_seeds)
            return seed_masks(self.gens, b, (f,), self.retain).mT.to(x.device, x.dtype)
        b, sc, *spatial = x.shape          # x [B, S*C, H, W]; seed's draw [B, C, H, W]
        if sc % n_seeds:
            raise ConfigError(f"{sc} channels cannot be split over {n_seeds} seeds")
        masks = seed_masks(self.gens, b, (sc // n_seeds, *spatial), self.retain)   # [S, B, C, H, W]
        return masks.transpose(0, 1).reshape(x.shape).to(x.device, x.dtype)

    @staticmethod
    def _check_seeds(got: int, expected: int) -> None:
        if got != expected:
            raise ConfigError(f"activations hold {got} seeds but the dropout layer has {expected} generators")


def dropout_layers(module: nn.Module) -> list[SeedDropout]:
    return [m for m in module.modules() if isinstance(m, SeedDropout)]


def set_dropout_rule(module: nn.Module, rule: str) -> None:
    """Switch every dropout layer of a model to ``rule`` (e.g. to evaluate a net trained
    with inverted dropout under Srivastava's weight scaling: E5's mismatched rule)."""
    check_rule(rule)
    for layer in dropout_layers(module):
        layer.rule = rule
