"""Groups of rows of one seed-batched model, each updated by its own optimiser: several
learning rates (or any per-run optimiser setting) trained in one forward and backward pass
per step instead of one per setting.

A seed-batched model keeps every parameter with its rows on axis 0 and row i's loss
depends only on row i's parameters (``deepclaims.batched``). :class:`RowGroupOptimiser`
splits the R rows into equal consecutive groups and gives group g its own optimiser built
by ``deepclaims.training.make_optimizer`` from ``configs[g]``. The model's parameters are
first moved into one [R, total] buffer, each parameter becoming a view of its columns, so
that a group's rows are one contiguous tensor: group g's optimiser updates that flat alias
with one call per update operation instead of one per parameter (why it pays: the search
this serves trains small nets where per-call overhead, not arithmetic, is the cost).

Every optimiser here updates element by element, so each number of group g follows the same
arithmetic as in a solo run of ``configs[g]`` on that group's seeds; tests/test_row_groups.py
checks that the two agree bitwise for every method. A plain torch.optim.Optimizer with one
param group per learning rate would need separate tensors per group and cannot share one
forward pass.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import torch

from deepclaims.errors import ConfigError


class RowGroupOptimiser:
    """One optimiser per group of ``len(rows) // len(configs)`` consecutive rows (see the
    module docstring). Offers what ``deepclaims.training.train`` calls: ``zero_grad`` and
    ``step``."""

    def __init__(self, params: Iterable[torch.nn.Parameter], configs: Sequence, make_optimizer):
        self.params = [p for p in params if p.requires_grad]
        if not self.params or not configs:
            raise ConfigError("row groups need at least one parameter and one optimiser configuration")
        rows = self.params[0].shape[0]
        if any(p.dim() < 1 or p.shape[0] != rows for p in self.params):
            raise ConfigError("every parameter of a seed-batched model must hold its rows on axis 0, "
                              f"got shapes {[list(p.shape) for p in self.params]}")
        if rows % len(configs):
            raise ConfigError(f"{rows} rows cannot be split into {len(configs)} equal groups")
        self.rows, size = rows, rows // len(configs)
        self.flat = self._flatten()
        self.groups = [slice(g * size, (g + 1) * size) for g in range(len(configs))]
        self.aliases = [self.flat[group] for group in self.groups]
        self.optimisers = [make_optimizer([alias], config) for alias, config in zip(self.aliases, configs)]

    def _flatten(self) -> torch.Tensor:
        """Move the parameters into one [rows, total] buffer; each becomes a view of its columns."""
        with torch.no_grad():
            flat = torch.cat([p.detach().reshape(self.rows, -1) for p in self.params], 1)
        start = 0
        for p in self.params:
            width = p[0].numel()
            p.data = flat[:, start:start + width].view(p.shape)
            start += width
        return flat

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        if any(p.grad is None for p in self.params):
            raise ConfigError("a row-group step needs every parameter's gradient (call backward first)")
        grad = torch.cat([p.grad.reshape(self.rows, -1) for p in self.params], 1)
        for alias, group, optimiser in zip(self.aliases, self.groups, self.optimisers):
            alias.grad = grad[group]
            optimiser.step()


def flat_optimiser(params: Iterable[torch.nn.Parameter], config, make_optimizer) -> RowGroupOptimiser:
    """One optimiser over every parameter as a single flat buffer (one row group): for deep
    nets of many small tensors, one call per update operation instead of one per tensor, with
    bitwise the numbers of ``make_optimizer(params, config)``."""
    return RowGroupOptimiser(params, [config], make_optimizer)
