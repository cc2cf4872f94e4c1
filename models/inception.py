"""Inception modules, naive and with dimension reduction, built from a filter-count table.

Source: C. Szegedy et al., "Going Deeper with Convolutions", CVPR 2015, Figure 2:
(a) the naive module runs 1x1, 3x3 and 5x5 convolutions and a 3x3 max pooling on the
same input and concatenates their outputs; (b) the dimension-reduction module puts 1x1
convolutions before the 3x3 and 5x5 convolutions and after the pooling. Convolutions
are "same"-padded and followed by ReLU, the pooling has stride 1 and padding 1, so
every branch keeps the spatial size.

:class:`InceptionConfig` holds the filter counts; :func:`inception_layers` turns it into
a layer table (one :class:`~models.arithmetic.Parallel` layer) that the closed forms and
:func:`build_inception` both read.

Two worked examples use these modules:

- lab 004, Problem 5.4: a 32x32x256 input, 1x1: 128, 3x3: 192, 5x5: 96 filters, 3x3
  max pooling, and (reduction version) 64 1x1 filters before the 3x3 and 5x5
  convolutions and after the pooling (:data:`LAB_NAIVE`, :data:`LAB_REDUCED`);
- the widely copied lecture version of the same example on a 28x28x256 input:
  Stanford CS231n, Lecture 9 "CNN Architectures" (Fei-Fei Li, Justin Johnson, Serena
  Yeung, 2 May 2017), "Case Study: GoogLeNet" slides. Its listed multiply terms and
  stated totals are transcribed verbatim in :data:`LECTURE_NAIVE_TERMS`,
  :data:`LECTURE_REDUCED_TERMS` and :data:`LECTURE_STATED_TOTALS`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from torch import nn

from models.arithmetic import Conv, Layer, MaxPool, Parallel, Pointwise, analyse, totals
from models.counting import instantiate


@dataclass(frozen=True)
class InceptionConfig:
    """Filter counts of one inception module; ``reduce_*`` and ``pool_proj`` of ``None``
    make the naive module (no 1x1 convolution on that path)."""

    in_channels: int
    conv1x1: int
    conv3x3: int
    conv5x5: int
    reduce3x3: int | None = None
    reduce5x5: int | None = None
    pool_proj: int | None = None

    @property
    def naive(self) -> bool:
        return self.reduce3x3 is None and self.reduce5x5 is None and self.pool_proj is None

    def reduced(self, reduce3x3: int, reduce5x5: int, pool_proj: int) -> "InceptionConfig":
        return InceptionConfig(self.in_channels, self.conv1x1, self.conv3x3, self.conv5x5,
                               reduce3x3, reduce5x5, pool_proj)


LAB_NAIVE = InceptionConfig(in_channels=256, conv1x1=128, conv3x3=192, conv5x5=96)
LAB_REDUCED = LAB_NAIVE.reduced(reduce3x3=64, reduce5x5=64, pool_proj=64)
LAB_INPUT = (256, 32, 32)
LECTURE_INPUT = (256, 28, 28)

# CS231n 2017 Lecture 9, naive module slide: "Conv Ops: [1x1 conv, 128] 28x28x128x1x1x256
# [3x3 conv, 192] 28x28x192x3x3x256 [5x5 conv, 96] 28x28x96x5x5x256 Total: 854M ops".
LECTURE_NAIVE_TERMS: dict[str, tuple[int, ...]] = {
    "[1x1 conv, 128]": (28, 28, 128, 1, 1, 256),
    "[3x3 conv, 192]": (28, 28, 192, 3, 3, 256),
    "[5x5 conv, 96]": (28, 28, 96, 5, 5, 256),
}
# The next slide ("Using same parallel layers as naive example, and adding '1x1 conv,
# 64 filter' bottlenecks"), its six terms in the slide's order, then "Total: 358M ops
# Compared to 854M ops for naive version".
LECTURE_REDUCED_TERMS: dict[str, tuple[int, ...]] = {
    "[1x1 conv, 64] (before 3x3)": (28, 28, 64, 1, 1, 256),
    "[1x1 conv, 64] (before 5x5)": (28, 28, 64, 1, 1, 256),
    "[1x1 conv, 128]": (28, 28, 128, 1, 1, 256),
    "[3x3 conv, 192]": (28, 28, 192, 3, 3, 64),
    "[5x5 conv, 96]": (28, 28, 96, 5, 5, 64),
    "[1x1 conv, 64] (after pool)": (28, 28, 64, 1, 1, 256),
}
LECTURE_STATED_TOTALS = {"naive": 854e6, "reduced": 358e6}
LECTURE_PRECISION = 1e6  # the slides round to the million ("854M ops")

# The catalogue's (CLAIMS.md, H4) sum of the lecture's listed reduced terms.
PUBLISHED_LECTURE_REDUCED_TERMS_SUM = 271_351_808


def inception_layers(config: InceptionConfig, name: str = "inception") -> list[Layer]:
    """The layer table of one module: a single Parallel layer with four branches."""
    c = config

    def conv(layer_name, in_ch, out_ch, kernel):
        return (Conv(layer_name, in_ch, out_ch, kernel, padding=kernel // 2),
                Pointwise("relu", f"relu_{layer_name}"))

    def reduce_then(reduce, kernel, width):
        if reduce is None:
            return conv(f"conv{kernel}x{kernel}", c.in_channels, width, kernel)
        return conv("reduce", c.in_channels, reduce, 1) + conv(f"conv{kernel}x{kernel}", reduce, width, kernel)

    pool: tuple[Layer, ...] = (MaxPool("pool", 3, stride=1, padding=1),)
    if c.pool_proj is not None:
        pool += conv("proj", c.in_channels, c.pool_proj, 1)
    branches = (("b1x1", conv("conv1x1", c.in_channels, c.conv1x1, 1)),
                ("b3x3", reduce_then(c.reduce3x3, 3, c.conv3x3)),
                ("b5x5", reduce_then(c.reduce5x5, 5, c.conv5x5)),
                ("bpool", pool))
    return [Parallel(name, branches)]


def build_inception(config: InceptionConfig, device: str = "cpu") -> nn.Sequential:
    """The torch module of one inception module, built from the same table."""
    return instantiate(inception_layers(config), device)


def reduction_multiplies(naive: InceptionConfig, input_shape: tuple[int, int, int],
                         widths: Iterable[tuple[int, int, int]]) -> dict[tuple[int, int, int], int]:
    """Multiplies of the reduction module for each bottleneck-width triple (before 3x3,
    before 5x5, after pooling), the naive module's filters kept; closed forms only.
    Used to look for a consistent reading of a published total."""
    return {triple: totals(analyse(inception_layers(naive.reduced(*triple)), input_shape)).multiplies
            for triple in widths}
