"""The MLP of lab 004 Problem 4 (and Kingma and Ba 2015, section 6.2) over S seeds at once,
with optional dropout on the input and after each hidden layer (topic G).

Layers: [dropout(input_rate)] -> Dense(in -> width, ReLU) -> [dropout(hidden_rate)] ->
... (``depth`` hidden layers) -> Dense(width -> out). The lab's net is in=3072 (CIFAR-10),
width 1000, depth 2, out 10, with input_rate 0.2 and hidden_rate 0.5 when dropout is on.

Seeds are batched as in ``deepclaims.batched`` (columns [S, features, batch]); seed i's
initial weights come from its ``init`` generator and its dropout masks from its own
``dropout`` generator (``deepclaims.dropout.SeedDropout``), so a seed's run does not depend
on which seeds share its batch. A rate of 0 means no dropout layer at all.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn

from deepclaims.batched import ColumnNet, SeedLinear, init_bound_or_std, reset_seed_linears, seed_linears
from deepclaims.dropout import SeedDropout, check_rate, check_rule, dropout_layers
from deepclaims.errors import ConfigError


@dataclass(frozen=True, kw_only=True)
class DropoutMLPSpec:
    in_features: int
    width: int
    depth: int = 2
    out_features: int = 10
    init: str = "he_uniform"
    input_rate: float = 0.0
    hidden_rate: float = 0.0
    rule: str = "inverted"     # see deepclaims.dropout: "inverted" or Srivastava's "weight_scaling"

    def __post_init__(self):
        for name in ("in_features", "width", "depth", "out_features"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        check_rate(self.input_rate, "input dropout rate")
        check_rate(self.hidden_rate, "hidden dropout rate")
        check_rule(self.rule)
        init_bound_or_std(self.init, 1, 1, 1.0)   # raises on an unknown initialiser

    @property
    def has_dropout(self) -> bool:
        return self.input_rate > 0 or self.hidden_rate > 0


class DropoutMLP(ColumnNet):
    """ReLU MLP over S seeds; ``dropout_layers()`` lists its SeedDropout layers in forward order."""

    def __init__(self, n_seeds: int, spec: DropoutMLPSpec):
        super().__init__()
        self.n_seeds, self.spec = n_seeds, spec
        widths = [spec.in_features] + [spec.width] * spec.depth
        self.input_drop = self._dropout(spec.input_rate)
        self.hidden = nn.ModuleList(SeedLinear(n_seeds, a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.hidden_drops = nn.ModuleList(self._dropout(spec.hidden_rate) for _ in range(spec.depth))
        self.output = SeedLinear(n_seeds, spec.width, spec.out_features)

    def _dropout(self, rate: float) -> nn.Module:
        return SeedDropout(rate, "columns", self.spec.rule) if rate > 0 else nn.Identity()

    def columns(self, x, acts):
        x = self.input_drop(x)
        for layer, drop in zip(self.hidden, self.hidden_drops):
            x = torch.relu(layer(x))
            acts.append(x)
            x = drop(x)
        return self.output(x)

    def dense_layers(self) -> list[tuple[str, SeedLinear]]:
        return seed_linears(self)

    def reset(self, init_gens: Sequence[torch.Generator], dropout_gens: Sequence[torch.Generator]) -> "DropoutMLP":
        """Draw seed i's weights from ``init_gens[i]``; its masks will come from ``dropout_gens[i]``."""
        if len(init_gens) != self.n_seeds or len(dropout_gens) != self.n_seeds:
            raise ConfigError(f"a {self.n_seeds}-seed net needs {self.n_seeds} init and dropout generators, "
                              f"got {len(init_gens)} and {len(dropout_gens)}")
        reset_seed_linears(self, init_gens, self.spec.init)
        for layer in dropout_layers(self):
            layer.set_generators(dropout_gens)
        return self


def build_dropout_mlp(spec: DropoutMLPSpec, init_gens: Sequence[torch.Generator],
                      dropout_gens: Sequence[torch.Generator]) -> DropoutMLP:
    return DropoutMLP(len(init_gens), spec).reset(init_gens, dropout_gens)
