"""Convolutional layers that hold S independent networks at once, one per seed.

Layout. Inside the convolutional part of a network, activations are [batch, S*C, H, W]:
seed i owns channels i*C .. (i+1)*C-1 (the "grouped" layout). In it, a per-channel
operation is already a per-seed one: batch norm over (batch, H, W) for each of the S*C
channels is each seed's own BatchNorm2d, and pooling never mixes channels. So only the
convolution needs care, and two ways of computing it give the same numbers:

- ``grouped``: one ``conv2d`` with ``groups=S`` (weights [S*out, in, k, k]);
- ``per_seed``: S ``conv2d`` calls, one per seed's channel slice, concatenated.

(The third way a user would pick, ``torch.func.vmap`` over stacked parameters, PyTorch's
model-ensembling recipe, batches a conv2d the same way, by folding the seeds into groups.)

Which mode, measured (torch 2.13 CPU build, one thread, this suite's 2-core machine). In
PyTorch's default NCHW layout oneDNN's grouped conv2d was slower than S separate ones on
LeNet-5's shapes, and NCHW max pooling and batch norm are slow on a CPU (max_pool2d forward
on [32, 48, 28, 28]: 5.1 ms NCHW, 0.48 ms channels-last). So on a CPU the grouped layout is
kept channels-last in memory (``to_grouped``) and ``auto`` computes every convolution as one
grouped conv2d, on any device: a LeNet-5 training run of 8 seeds (3 epochs, 300 images,
evaluation on 1497) took 0.98 s against 1.72 s per seed in NCHW, and topic E's claims at ci
79 s against 136-144 s; a MiniGoogLeNet range-test run of 160 rows 1.5x faster. Per-seed
convolutions (``per_seed``) stay for the tests. Either mode gives seed i the same result for
any S up to float rounding (tests/test_lenet_batched.py); the channels-last grouped path
rounds differently from the NCHW per-seed path it replaced, which changes trained nets at
the level of seed-to-seed noise (issue 20's note lists the differences).
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from deepclaims.batched import draw
from deepclaims.errors import ConfigError

CONV_MODES = ("auto", "grouped", "per_seed")
# Examples per chunk when a conv engine evaluates without autograd (nothing couples examples
# then, so chunks give the whole batch's logits bitwise). Small chunks keep a chunk's
# activations in the CPU's caches: on this suite's 2-core machine (one thread) LeNet-5's
# 8 seeds evaluate the 1497-image test split in 0.54 s in chunks of 64 against 1.06 s in
# chunks of 1024, and MiniGoogLeNet's 160 rows on 598 images in 1.83 s against 2.24 s.
EVAL_CHUNK = 64


def check_conv_mode(mode: str) -> str:
    if mode not in CONV_MODES:
        raise ConfigError(f"unknown convolution mode {mode!r}; accepted: {', '.join(CONV_MODES)}")
    return mode


def to_grouped(x: torch.Tensor, conv_mode: str = "auto") -> torch.Tensor:
    """Seed-major images [S, B, C, H, W] -> the grouped layout [B, S*C, H, W]; channels-last in
    memory on a CPU unless the convolutions are per seed (see the module docstring: grouped
    convolutions on channels-last run 1.5-1.8x faster; per-seed ones keep the NCHW path)."""
    s, b, c, h, w = x.shape
    grouped = x.transpose(0, 1).reshape(b, s * c, h, w)
    if x.device.type == "cpu" and check_conv_mode(conv_mode) != "per_seed":
        return grouped.contiguous(memory_format=torch.channels_last)
    return grouped


def grouped_to_columns(x: torch.Tensor, n_seeds: int) -> torch.Tensor:
    """Grouped [B, S*C, H, W] -> dense columns [S, C*H*W, B] (each seed's features in
    nn.Flatten's C, H, W order), the layout of ``deepclaims.batched.SeedLinear``."""
    b = x.shape[0]
    return x.reshape(b, n_seeds, -1).permute(1, 2, 0)


class SeedConv2d(nn.Module):
    """S convolutions on the grouped layout: weight [S, out, in, k, k], bias [S, out]."""

    def __init__(self, n_seeds: int, in_channels: int, out_channels: int, kernel_size: int,
                 padding: int = 0, mode: str = "auto"):
        super().__init__()
        if min(n_seeds, in_channels, out_channels, kernel_size) < 1 or padding < 0:
            raise ConfigError(f"SeedConv2d needs positive sizes and padding >= 0, got seeds={n_seeds}, "
                              f"in={in_channels}, out={out_channels}, kernel={kernel_size}, padding={padding}")
        self.n_seeds, self.in_channels, self.out_channels = n_seeds, in_channels, out_channels
        self.kernel_size, self.padding, self.mode = kernel_size, padding, check_conv_mode(mode)
        self.weight = nn.Parameter(torch.zeros(n_seeds, out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(n_seeds, out_channels))

    def reset(self, gens: Sequence[torch.Generator], scheme: str, scale: float | None = None) -> None:
        """Draw seed i's kernel [out, in, k, k] from gens[i]; biases zero (Keras' defaults).

        Fans as Keras and PyTorch count them: fan_in = in*k*k, fan_out = out*k*k.
        """
        if len(gens) != self.n_seeds:
            raise ConfigError(f"{len(gens)} generators for {self.n_seeds} seeds")
        area = self.kernel_size ** 2
        with torch.no_grad():
            for i, g in enumerate(gens):
                self.weight[i] = draw(self.weight.shape[1:], scheme, self.in_channels * area,
                                      self.out_channels * area, g, scale)
            self.bias.zero_()

    def resolved_mode(self, x: torch.Tensor) -> str:
        return "grouped" if self.mode == "auto" else self.mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x [B, S*in, H, W] -> [B, S*out, H', W']."""
        if x.shape[1] != self.n_seeds * self.in_channels:
            raise ConfigError(f"SeedConv2d expects {self.n_seeds}*{self.in_channels} input channels, got {x.shape[1]}")
        if self.resolved_mode(x) == "grouped":
            return F.conv2d(x, self.weight.flatten(0, 1), self.bias.flatten(), padding=self.padding,
                            groups=self.n_seeds)
        slices = x.split(self.in_channels, dim=1)
        return torch.cat([F.conv2d(part, w, b, padding=self.padding)
                          for part, w, b in zip(slices, self.weight, self.bias)], dim=1)


class SeedBatchNorm2d(nn.Module):
    """Batch normalisation of the grouped layout, each seed with its own statistics.

    Channel c of seed i is normalised over (batch, H, W) with its own batch statistics in
    training, and with its own running averages (updated with ``momentum``, the running
    variance from the unbiased batch variance, as PyTorch does) in eval mode. Parameters
    and buffers are [S, C]; the op itself is PyTorch's batch norm over S*C channels, which
    is exactly S per-seed BatchNorm2d layers side by side.
    """

    def __init__(self, n_seeds: int, channels: int, eps: float = 1e-3, momentum: float = 0.01):
        super().__init__()
        if not eps > 0 or not 0 < momentum <= 1:
            raise ConfigError(f"batch norm needs eps > 0 and momentum in (0, 1], got eps={eps}, momentum={momentum}")
        self.n_seeds, self.channels, self.eps, self.momentum = n_seeds, channels, eps, momentum
        self.weight = nn.Parameter(torch.ones(n_seeds, channels))
        self.bias = nn.Parameter(torch.zeros(n_seeds, channels))
        self.register_buffer("running_mean", torch.zeros(n_seeds, channels))
        self.register_buffer("running_var", torch.ones(n_seeds, channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # The flattened buffers are views: F.batch_norm's in-place update lands in [S, C].
        return F.batch_norm(x, self.running_mean.view(-1), self.running_var.view(-1), self.weight.view(-1),
                            self.bias.view(-1), self.training, self.momentum, self.eps)


POOLS = {"max": F.max_pool2d, "avg": F.avg_pool2d}


def pool(kind: str):
    try:
        return POOLS[kind]
    except KeyError:
        raise ConfigError(f"unknown pooling {kind!r}; accepted: {', '.join(POOLS)}") from None
