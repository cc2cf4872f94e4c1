"""Dense networks over S seeds at once: the lab's FFNet and ResNet, and a deep MLP.

Every model maps [S, batch, in] to [S, batch, out] logits (the labs' final sigmoid or
softmax lives in the loss), lists its dense layers bottom to top for the probes, and
draws seed i's initial weights from the i-th generator it is given. Inside, activations
are columns [S, features, batch] (see ``deepclaims.batched``); the hidden activations a
model reports are [S, batch, width] views of them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn

from deepclaims.batched import (ColumnNet, SeedBatchNorm, SeedLinear, activation, init_bound_or_std,
                                reset_seed_linears, seed_linears)
from deepclaims.errors import ConfigError


@dataclass(frozen=True)
class DenseSpec:
    """Shape and initialisation of a dense network.

    ``depth`` is the number of hidden dense layers for FFNet and DeepMLP, and the number
    of residual blocks for ResNet.
    """

    in_features: int
    width: int
    depth: int
    out_features: int
    activation: str = "tanh"
    init: str = "glorot_uniform"
    init_scale: float | None = None
    batch_norm: bool = False

    def __post_init__(self):
        for name in ("in_features", "width", "depth", "out_features"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        activation(self.activation)  # raises on an unknown name
        init_bound_or_std(self.init, 1, 1, self.init_scale if self.init_scale else 1.0)


class _SeedNet(ColumnNet):
    """Shared parts: layer bookkeeping and per-seed initialisation."""

    def __init__(self, n_seeds: int, spec: DenseSpec):
        super().__init__()
        self.n_seeds, self.spec = n_seeds, spec
        self.act = activation(spec.activation)

    def dense_layers(self) -> list[tuple[str, SeedLinear]]:
        return seed_linears(self)

    def reset(self, gens: Sequence[torch.Generator]) -> "_SeedNet":
        """Draw every seed's weights from its generator, layer by layer, bottom to top."""
        reset_seed_linears(self, gens, self.spec.init, self.spec.init_scale)
        return self

    def _norm(self, features: int) -> nn.Module:
        return SeedBatchNorm(self.n_seeds, features) if self.spec.batch_norm else nn.Identity()


class FFNet(_SeedNet):
    """The lab's FFNet: Dense(in->w, act), (depth-1) x Dense(w->w, act), Dense(w->out).

    The lab's 32-layer net is depth=31 (L1 plus the 30 looped layers) and width 5. With
    ``batch_norm`` a BN layer follows each hidden dense layer, before its activation.
    """

    def __init__(self, n_seeds: int, spec: DenseSpec):
        super().__init__(n_seeds, spec)
        widths = [spec.in_features] + [spec.width] * spec.depth
        self.hidden = nn.ModuleList(SeedLinear(n_seeds, a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.norms = nn.ModuleList(self._norm(spec.width) for _ in range(spec.depth))
        self.output = SeedLinear(n_seeds, spec.width, spec.out_features)

    def columns(self, x, acts):
        for layer, norm in zip(self.hidden, self.norms):
            x = self.act(norm(layer(x)))
            acts.append(x)
        return self.output(x)


class ResNetMLP(_SeedNet):
    """The lab's ResNet: Dense(in->w), Dense(w->w), depth blocks, Dense(w->w), Dense(w->out).

    A block is ``skip = x; x = act(D(x)); x = act(D(x)); x = x + skip``. ``skips=False``
    removes the identity path (the negative control: the same layers as a plain stack).
    """

    def __init__(self, n_seeds: int, spec: DenseSpec, skips: bool = True):
        super().__init__(n_seeds, spec)
        w = spec.width
        self.skips = skips
        self.stem = nn.ModuleList([SeedLinear(n_seeds, spec.in_features, w), SeedLinear(n_seeds, w, w)])
        self.blocks = nn.ModuleList(
            nn.ModuleList([SeedLinear(n_seeds, w, w), SeedLinear(n_seeds, w, w)]) for _ in range(spec.depth))
        self.block_norms = nn.ModuleList(self._norm(w) for _ in range(spec.depth))
        self.head = SeedLinear(n_seeds, w, w)
        self.output = SeedLinear(n_seeds, w, spec.out_features)

    def columns(self, x, acts):
        for layer in self.stem:
            x = self.act(layer(x))
            acts.append(x)
        for (first, second), norm in zip(self.blocks, self.block_norms):
            skip = x
            x = self.act(first(norm(x)))
            acts.append(x)
            x = self.act(second(x))
            x = x + skip if self.skips else x
            acts.append(x)
        x = self.act(self.head(x))
        acts.append(x)
        return self.output(x)


def build(kind: str, n_seeds: int, spec: DenseSpec, gens: Sequence[torch.Generator], **options) -> _SeedNet:
    """Build and initialise a model by name: ``ffnet``, ``resnet`` or ``resnet_noskip``."""
    if kind == "ffnet":
        model = FFNet(n_seeds, spec)
    elif kind == "resnet":
        model = ResNetMLP(n_seeds, spec, skips=True)
    elif kind == "resnet_noskip":
        model = ResNetMLP(n_seeds, spec, skips=False)
    else:
        raise ConfigError(f"unknown model {kind!r}; accepted: ffnet, resnet, resnet_noskip")
    return model.reset(gens)
