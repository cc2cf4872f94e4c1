"""Layers that hold S independent networks at once (one per seed) on a leading axis.

Activations have shape [S, batch, features]. A dense layer is one batched matmul over
the seeds, so S seeds cost one kernel launch per layer instead of S, which is what
makes training many seeds on a CPU fast. Seed i's slice never mixes with another's.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from deepclaims.errors import ConfigError

ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "identity": lambda x: x,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.01),
    "elu": F.elu,
    "selu": F.selu,
}


def activation(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ConfigError(f"unknown activation {name!r}; accepted: {', '.join(ACTIVATIONS)}") from None


def init_bound_or_std(scheme: str, fan_in: int, fan_out: int, scale: float | None) -> tuple[str, float, float]:
    """The distribution ('uniform' or 'normal') and its parameters for an init scheme.

    glorot_* follow Glorot & Bengio 2010 (variance 2/(fan_in+fan_out)); he_* follow
    He et al. 2015 (variance 2/fan_in); ``normal`` is N(0, scale); ``uniform`` is
    U(0, scale) as the tutorial's RandomUniform(0, 1) when scale=1.
    """
    if scheme == "glorot_uniform":
        a = math.sqrt(6.0 / (fan_in + fan_out))
        return "uniform", -a, a
    if scheme == "glorot_normal":
        return "normal", 0.0, math.sqrt(2.0 / (fan_in + fan_out))
    if scheme == "he_uniform":
        a = math.sqrt(6.0 / fan_in)
        return "uniform", -a, a
    if scheme == "he_normal":
        return "normal", 0.0, math.sqrt(2.0 / fan_in)
    if scheme == "lecun_normal":
        return "normal", 0.0, math.sqrt(1.0 / fan_in)
    if scheme == "normal":
        if scale is None or scale <= 0:
            raise ConfigError(f"init 'normal' needs a positive std (scale), got {scale!r}")
        return "normal", 0.0, float(scale)
    if scheme == "uniform":
        if scale is None or scale <= 0:
            raise ConfigError(f"init 'uniform' needs a positive upper bound (scale), got {scale!r}")
        return "uniform", 0.0, float(scale)
    raise ConfigError(f"unknown initialiser {scheme!r}; accepted: {', '.join(INITIALISERS)}")


INITIALISERS = ("glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_normal", "normal", "uniform")


def draw(shape: Sequence[int], scheme: str, fan_in: int, fan_out: int, gen: torch.Generator,
         scale: float | None = None) -> torch.Tensor:
    kind, a, b = init_bound_or_std(scheme, fan_in, fan_out, scale)
    if kind == "uniform":
        return torch.empty(shape).uniform_(a, b, generator=gen)
    return torch.empty(shape).normal_(a, b, generator=gen)


class SeedLinear(nn.Module):
    """S dense layers: weight [S, in, out], bias [S, 1, out]; y = x @ W + b per seed."""

    def __init__(self, n_seeds: int, in_features: int, out_features: int, bias: bool = True):
        super().__init__()
        if min(n_seeds, in_features, out_features) < 1:
            raise ConfigError(f"SeedLinear needs positive sizes, got seeds={n_seeds}, "
                              f"in={in_features}, out={out_features}")
        self.in_features, self.out_features = in_features, out_features
        self.weight = nn.Parameter(torch.zeros(n_seeds, in_features, out_features))
        self.bias = nn.Parameter(torch.zeros(n_seeds, 1, out_features)) if bias else None

    def reset(self, gens: Sequence[torch.Generator], scheme: str, scale: float | None = None,
              bias_scheme: str | None = None, bias_scale: float | None = None) -> None:
        """Draw seed i's weights from gens[i] (biases zero unless ``bias_scheme`` is given)."""
        if len(gens) != self.weight.shape[0]:
            raise ConfigError(f"{len(gens)} generators for {self.weight.shape[0]} seeds")
        with torch.no_grad():
            for i, g in enumerate(gens):
                self.weight[i] = draw((self.in_features, self.out_features), scheme,
                                      self.in_features, self.out_features, g, scale)
                if self.bias is not None:
                    if bias_scheme is None:
                        self.bias[i].zero_()
                    else:
                        self.bias[i] = draw((1, self.out_features), bias_scheme,
                                            self.in_features, self.out_features, g, bias_scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.bias is None:
            return torch.bmm(x, self.weight)
        return torch.baddbmm(self.bias, x, self.weight)


def seed_linears(module: nn.Module) -> list[tuple[str, SeedLinear]]:
    """The SeedLinear layers of a model in registration order (bottom to top)."""
    return [(name, m) for name, m in module.named_modules() if isinstance(m, SeedLinear)]


def reset_seed_linears(module: nn.Module, gens: Sequence[torch.Generator], scheme: str,
                       scale: float | None = None) -> None:
    """Draw every SeedLinear's weights from the seeds' generators, layer by layer, bottom to top."""
    for _, layer in seed_linears(module):
        layer.reset(gens, scheme, scale)


class SeedBatchNorm(nn.Module):
    """Batch normalisation over the batch axis, separately for each seed.

    Training mode normalises with the batch's own statistics and updates running
    averages (momentum as in PyTorch); eval mode uses the running averages.
    """

    def __init__(self, n_seeds: int, features: int, eps: float = 1e-3, momentum: float = 0.01):
        super().__init__()
        # eps and momentum follow Keras' BatchNormalization defaults (0.001, 0.99 decay)
        # because the labs are Keras labs.
        self.eps, self.momentum = eps, momentum
        self.weight = nn.Parameter(torch.ones(n_seeds, 1, features))
        self.bias = nn.Parameter(torch.zeros(n_seeds, 1, features))
        self.register_buffer("running_mean", torch.zeros(n_seeds, 1, features))
        self.register_buffer("running_var", torch.ones(n_seeds, 1, features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            mean = x.mean(dim=1, keepdim=True)
            var = x.var(dim=1, unbiased=False, keepdim=True)
            with torch.no_grad():
                n = x.shape[1]
                unbiased = var * (n / max(n - 1, 1))
                self.running_mean.lerp_(mean, self.momentum)
                self.running_var.lerp_(unbiased, self.momentum)
        else:
            mean, var = self.running_mean, self.running_var
        return (x - mean) * torch.rsqrt(var + self.eps) * self.weight + self.bias
