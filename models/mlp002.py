"""The MLP of lab 002 (DS620 HOS07, after Geron's Hands-On ML chapter 11), S seeds at once.

Keras original::

    Flatten(input_shape=(28, 28))
    Dense(600, activation="relu", kernel_initializer="he_normal")
    BatchNormalization()
    Dense(200, activation="relu", kernel_initializer="he_normal")
    BatchNormalization()
    Dense(10, activation="softmax")

BN follows the activation here, as in the lab (not before it, as in Ioffe and Szegedy).
The output layer keeps Keras' default Glorot-uniform kernel; biases start at zero; BN uses
Keras' defaults (epsilon 1e-3, momentum 0.99), which SeedBatchNorm already follows. The
softmax lives in the cross-entropy loss. ``batch_norm=False`` removes both BN layers and
changes nothing else (the C7 comparison).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn

from deepclaims.batched import ColumnNet, SeedBatchNorm, SeedLinear
from deepclaims.errors import ConfigError


@dataclass(frozen=True)
class MLP002Spec:
    in_features: int = 784
    hidden: tuple[int, ...] = (600, 200)
    out_features: int = 10
    batch_norm: bool = True

    def __post_init__(self):
        if self.in_features < 1 or self.out_features < 1 or not self.hidden or min(self.hidden) < 1:
            raise ConfigError(f"MLP002 needs positive sizes, got in={self.in_features}, hidden={self.hidden}, "
                              f"out={self.out_features}")


class MLP002(ColumnNet):
    def __init__(self, n_seeds: int, spec: MLP002Spec):
        super().__init__()
        self.n_seeds, self.spec = n_seeds, spec
        widths = (spec.in_features,) + tuple(spec.hidden)
        self.hidden = nn.ModuleList(SeedLinear(n_seeds, a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.norms = nn.ModuleList(SeedBatchNorm(n_seeds, b) if spec.batch_norm else nn.Identity()
                                   for b in spec.hidden)
        self.output = SeedLinear(n_seeds, widths[-1], spec.out_features)

    def dense_layers(self) -> list[tuple[str, SeedLinear]]:
        return [(name, m) for name, m in self.named_modules() if isinstance(m, SeedLinear)]

    def reset(self, gens: Sequence[torch.Generator]) -> "MLP002":
        for layer in self.hidden:
            layer.reset(gens, "he_normal")
        self.output.reset(gens, "glorot_uniform")
        return self

    def columns(self, x, acts):
        for layer, norm in zip(self.hidden, self.norms):
            x = norm(torch.relu(layer(x)))
            acts.append(x)
        return self.output(x)


def build_mlp002(spec: MLP002Spec, gens: Sequence[torch.Generator]) -> MLP002:
    return MLP002(len(gens), spec).reset(gens)
