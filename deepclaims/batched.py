"""Layers that hold S independent networks at once (one per seed) on a leading axis.

Inside a network, activations are columns: shape [S, features, batch], one column per
sample. A dense layer is one batched matmul over the seeds, W [S, out, in] @ x [S, in,
batch], so S seeds cost one kernel launch per layer instead of S, which is what makes
training many seeds on a CPU fast. Seed i's slice never mixes with another's.

Why columns and not rows ([S, batch, features], the usual layout): the labs' nets are
narrow (width 5), and for such small matrices the batched GEMM's cost is dominated by a
per-matrix overhead that is about three times lower when the long axis (the batch) is
the output's inner one (measured on this suite's CPU, torch 2.13 with MKL: 7 us against
23 us for 64 seeds of a 32 x 5 x 5 product; the backward's two products gain alike).
Keeping the layout for the whole stack means no transpose per layer; models turn their
[S, batch, in] input into columns once and their output back into rows once.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from deepclaims.errors import ConfigError


def tanh(x: torch.Tensor) -> torch.Tensor:
    """``torch.tanh``, computed by NumPy where autograd records nothing and x is a CPU float.

    Why: torch 2.13's CPU tanh is scalar code, 22 us for 10,240 floats on this suite's
    2-core machine (sigmoid takes 3 us), while NumPy's is vectorised (2 us) and as accurate
    (largest error 0.9 ulp against torch's 0.5 over [-10, 10], measured in float64).
    Evaluation and probes on 500 points x 64 seeds x 32 layers spent most of their time
    here. Where autograd records the op (training), torch.tanh stays: a custom autograd
    Function costs more per call than it saves on one seed's tensors. The choice depends
    only on whether x requires a gradient, never on the number of seeds, so a seed's
    result does not depend on how many seeds are batched with it.
    """
    if x.requires_grad or x.device.type != "cpu" or x.dtype not in (torch.float32, torch.float64):
        return torch.tanh(x)
    return torch.from_numpy(np.asarray(np.tanh(x.numpy())))  # asarray: a 0-d input gives a NumPy scalar


ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "identity": lambda x: x,
    "tanh": tanh,
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
    """S dense layers on columns: weight [S, out, in], bias [S, out, 1]; y = W @ x + b per
    seed, x [S, in, batch] -> y [S, out, batch] (``torch.nn.Linear``'s weight layout)."""

    def __init__(self, n_seeds: int, in_features: int, out_features: int, bias: bool = True):
        super().__init__()
        if min(n_seeds, in_features, out_features) < 1:
            raise ConfigError(f"SeedLinear needs positive sizes, got seeds={n_seeds}, "
                              f"in={in_features}, out={out_features}")
        self.in_features, self.out_features = in_features, out_features
        self.weight = nn.Parameter(torch.zeros(n_seeds, out_features, in_features))
        self.bias = nn.Parameter(torch.zeros(n_seeds, out_features, 1)) if bias else None

    def reset(self, gens: Sequence[torch.Generator], scheme: str, scale: float | None = None,
              bias_scheme: str | None = None, bias_scale: float | None = None) -> None:
        """Draw seed i's weights from gens[i] (biases zero unless ``bias_scheme`` is given).

        Seed i draws its in x out kernel in row-major order (Keras' kernel layout, so a
        seed's numbers are those of an [in, out] draw) and stores its transpose.
        """
        if len(gens) != self.weight.shape[0]:
            raise ConfigError(f"{len(gens)} generators for {self.weight.shape[0]} seeds")
        with torch.no_grad():
            for i, g in enumerate(gens):
                self.weight[i] = draw((self.in_features, self.out_features), scheme,
                                      self.in_features, self.out_features, g, scale).T
                if self.bias is not None:
                    if bias_scheme is None:
                        self.bias[i].zero_()
                    else:
                        self.bias[i] = draw((1, self.out_features), bias_scheme,
                                            self.in_features, self.out_features, g, bias_scale).T

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.bias is None:
            return torch.bmm(self.weight, x)
        return torch.baddbmm(self.bias, self.weight, x)


class ColumnNet(nn.Module):
    """A seed-batched network computed on columns: subclasses define ``columns``; callers
    see rows, [S, batch, features], as in the rest of the suite."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x [S, batch, in] -> logits [S, batch, out]."""
        return self.columns(x.mT, []).mT

    def forward_with_activations(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Logits [S, batch, out] and each hidden layer's activations [S, batch, width]."""
        acts: list[torch.Tensor] = []
        logits = self.columns(x.mT, acts)
        return logits.mT, [a.mT for a in acts]

    def columns(self, x: torch.Tensor, acts: list[torch.Tensor]) -> torch.Tensor:
        """x [S, in, batch] -> logits [S, out, batch], appending hidden activations to ``acts``."""
        raise NotImplementedError


def seed_linears(module: nn.Module) -> list[tuple[str, SeedLinear]]:
    """The SeedLinear layers of a model in registration order (bottom to top)."""
    return [(name, m) for name, m in module.named_modules() if isinstance(m, SeedLinear)]


def reset_seed_linears(module: nn.Module, gens: Sequence[torch.Generator], scheme: str,
                       scale: float | None = None) -> None:
    """Draw every SeedLinear's weights from the seeds' generators, layer by layer, bottom to top."""
    for _, layer in seed_linears(module):
        layer.reset(gens, scheme, scale)


class SeedBatchNorm(nn.Module):
    """Batch normalisation over the batch axis of columns [S, features, batch], separately
    for each seed.

    Training mode normalises with the batch's own statistics and updates running
    averages (momentum as in PyTorch); eval mode uses the running averages.
    """

    def __init__(self, n_seeds: int, features: int, eps: float = 1e-3, momentum: float = 0.01):
        super().__init__()
        # eps and momentum follow Keras' BatchNormalization defaults (0.001, 0.99 decay)
        # because the labs are Keras labs.
        self.eps, self.momentum = eps, momentum
        self.weight = nn.Parameter(torch.ones(n_seeds, features, 1))
        self.bias = nn.Parameter(torch.zeros(n_seeds, features, 1))
        self.register_buffer("running_mean", torch.zeros(n_seeds, features, 1))
        self.register_buffer("running_var", torch.ones(n_seeds, features, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            mean = x.mean(dim=2, keepdim=True)
            var = x.var(dim=2, unbiased=False, keepdim=True)
            with torch.no_grad():
                n = x.shape[2]
                unbiased = var * (n / max(n - 1, 1))
                self.running_mean.lerp_(mean, self.momentum)
                self.running_var.lerp_(unbiased, self.momentum)
        else:
            mean, var = self.running_mean, self.running_var
        return (x - mean) * torch.rsqrt(var + self.eps) * self.weight + self.bias
