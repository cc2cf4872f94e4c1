"""Deep dense stacks for looking at activations and gradients at initialisation (topic C).

The shape follows Perunicic's article code (intoli.com, "Understand neural network weight
initialization"): a Dense(100) input layer, then 5 x Dense(100), then a 10-way output, every
weight drawn from one initialiser and every bias zero, as CLAIMS.md section C describes it;
Godoy's DeepReplay example uses the same 5 hidden layers of 100 units. Perunicic and Godoy
plot each hidden layer's outputs as violins; :meth:`InitStack.trace` returns exactly those
per-layer pre-activations and activations, for S seeds at once.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import torch
from torch import nn

from deepclaims.batched import SeedLinear, activation, init_bound_or_std, reset_seed_linears, seed_linears
from deepclaims.errors import ConfigError


@dataclass(frozen=True)
class StackSpec:
    """in -> width (input layer), ``hidden`` x (width -> width), width -> out.

    ``sigma`` is the standard deviation for ``init='normal'``; other schemes ignore it.
    """

    in_features: int = 784
    width: int = 100
    hidden: int = 5
    out_features: int = 10
    activation: str = "relu"
    init: str = "he_normal"
    sigma: float | None = None

    def __post_init__(self):
        for name in ("in_features", "width", "out_features"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.hidden < 0:
            raise ConfigError(f"hidden must be >= 0, got {self.hidden}")
        activation(self.activation)
        init_bound_or_std(self.init, 1, 1, self.sigma if self.init in ("normal", "uniform") else None)

    def label(self) -> str:
        init = f"N(0, {self.sigma:g})" if self.init == "normal" else self.init
        return f"{self.activation}, {init}"

    def with_(self, **changes) -> "StackSpec":
        return replace(self, **changes)


class InitStack(nn.Module):
    """S independent stacks on a leading seed axis: x [S, N, in] -> logits [S, N, out]."""

    def __init__(self, n_seeds: int, spec: StackSpec):
        super().__init__()
        self.n_seeds, self.spec = n_seeds, spec
        self.act = activation(spec.activation)
        widths = [spec.in_features] + [spec.width] * (spec.hidden + 1)
        self.layers = nn.ModuleList(SeedLinear(n_seeds, a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.output = SeedLinear(n_seeds, spec.width, spec.out_features)

    def dense_layers(self) -> list[tuple[str, SeedLinear]]:
        return seed_linears(self)

    def reset(self, gens: Sequence[torch.Generator]) -> "InitStack":
        """Seed i's weights from gens[i], bottom to top; biases zero (as in both sources)."""
        reset_seed_linears(self, gens, self.spec.init, self.spec.sigma)
        return self

    def trace(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
        """(logits, pre-activations, activations) of every layer before the output:
        index 0 is the input layer, 1..hidden the hidden layers."""
        if x.dim() == 2:
            x = x.unsqueeze(0).expand(self.n_seeds, *x.shape)
        x = x.mT                      # columns inside (see deepclaims.batched), rows outside
        pre, post = [], []
        for layer in self.layers:
            # The returned rows are the tensors the next step computes from, so a probe
            # can ask for their gradients (dL/dz per layer) with retain_grad().
            z_rows = layer(x).mT
            x = self.act(z_rows.mT)
            pre.append(z_rows)
            post.append(x.mT)
        return self.output(x).mT, pre, post

    def forward_with_activations(self, x):
        logits, _, acts = self.trace(x)
        return logits, acts

    def forward(self, x):
        return self.trace(x)[0]


def build_stack(spec: StackSpec, gens: Sequence[torch.Generator]) -> InitStack:
    return InitStack(len(gens), spec).reset(gens)
