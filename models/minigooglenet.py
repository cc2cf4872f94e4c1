"""MiniGoogLeNet over S networks at once ("rows": seeds, or seeds x learning rates), for topic F.

Architecture: the small inception net of Zhang, Bengio, Hardt, Recht and Vinyals,
"Understanding deep learning requires rethinking generalization" (ICLR 2017, appendix
figure: "Inception (small)"), as the lab's reference article builds it in Keras:

- conv module: convolution -> batch norm -> ReLU ("same" padding);
- inception module (k1, k3): a 1x1 conv module with k1 filters beside a 3x3 one with k3
  filters, concatenated on channels;
- downsample module (k): a 3x3 stride-2 conv module with k filters ("valid") beside a 3x3
  stride-2 max pooling, concatenated;
- net: conv module 96@3x3, inception (32, 32), (32, 48), downsample 80, inception (112, 48),
  (96, 64), (80, 80), (48, 96), downsample 96, inception (176, 160), (176, 160), average
  pooling over what is left (7x7 at the article's 32x32 input), dropout 0.5, dense classes.

The article resizes Fashion-MNIST's 28x28 images to 32x32 so that the two downsamplings
leave 7x7 maps; ``image_size`` says what the net is fed, and the average pooling is global
(so it equals the article's 7x7 pooling at 32x32 and still works at other sizes).

``MiniGoogLeNetSpec.blocks`` holds the body, so the suite's ci net is the same code at small
widths (``CI_SPEC``). Kernels are Glorot-uniform with zero biases (Keras' defaults). BN uses
PyTorch's momentum 0.1 rather than Keras' 0.99 decay: topic F's growing batches leave a few
hundred updates, after which running averages with decay 0.99 still lag the weights.

Layout: convolutional activations are grouped, [batch, S*C, H, W] (``deepclaims.batched_conv``);
the model maps [S, B, C*H*W] or [S, B, C, H, W] to logits [S, B, classes], so row i sees
only its own slice.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from deepclaims.batched import SeedLinear
from deepclaims.batched_conv import EVAL_CHUNK, SeedBatchNorm2d, SeedConv2d, check_conv_mode, to_grouped
from deepclaims.dropout import SeedDropout, check_rate
from deepclaims.errors import ConfigError

# Zhang et al.'s body, bottom to top: ("inception", k1x1, k3x3) or ("downsample", k3x3).
FULL_BLOCKS = (("inception", 32, 32), ("inception", 32, 48), ("downsample", 80),
               ("inception", 112, 48), ("inception", 96, 64), ("inception", 80, 80), ("inception", 48, 96),
               ("downsample", 96), ("inception", 176, 160), ("inception", 176, 160))
BLOCK_KINDS = ("inception", "downsample")


@dataclass(frozen=True)
class MiniGoogLeNetSpec:
    image_size: int = 32
    in_channels: int = 1
    classes: int = 10
    stem: int = 96
    blocks: tuple = FULL_BLOCKS
    dropout: float = 0.5
    bn_eps: float = 1e-3
    bn_momentum: float = 0.1
    conv_mode: str = "auto"

    def __post_init__(self):
        if min(self.in_channels, self.classes, self.stem) < 1:
            raise ConfigError(f"MiniGoogLeNetSpec needs positive in_channels, classes and stem, got "
                              f"{self.in_channels}, {self.classes}, {self.stem}")
        for block in self.blocks:
            kind = block[0] if block else None
            widths = block[1:]
            arity = 2 if kind == "inception" else 1
            if kind not in BLOCK_KINDS or len(widths) != arity or min(widths) < 1:
                raise ConfigError(f"block {block!r}: expected ('inception', k1x1, k3x3) or ('downsample', k) "
                                  "with positive widths")
        if self.feature_side < 1:
            raise ConfigError(f"{self.image_size}x{self.image_size} images are too small for "
                              f"{self.downsamplings} downsample modules")
        check_rate(self.dropout)
        check_conv_mode(self.conv_mode)

    @property
    def downsamplings(self) -> int:
        return sum(block[0] == "downsample" for block in self.blocks)

    @property
    def feature_side(self) -> int:
        side = self.image_size
        for _ in range(self.downsamplings):
            side = (side - 3) // 2 + 1     # 3x3 stride-2 'valid' conv and 3x3 stride-2 pooling agree
        return side


# The ci net: the same modules at small widths on 10x10 inputs (the stand-in's digits are 8x8
# images), one downsampling, no dropout (2,434 parameters; a forward and backward for 80 rows
# of 64 images takes about 0.2 s on one CPU thread, half what 14x14 inputs cost, and the
# ten-candidate range test pays it 50 times).
CI_SPEC = MiniGoogLeNetSpec(image_size=10, stem=6, blocks=(("inception", 4, 4), ("downsample", 8),
                                                             ("inception", 8, 8)), dropout=0.0)


class SeedStridedConv2d(SeedConv2d):
    """``SeedConv2d`` with a stride (the downsample module's 3x3 stride-2 convolution)."""

    def __init__(self, n_seeds: int, in_channels: int, out_channels: int, kernel_size: int,
                 padding: int = 0, stride: int = 1, mode: str = "auto"):
        super().__init__(n_seeds, in_channels, out_channels, kernel_size, padding, mode)
        if stride < 1:
            raise ConfigError(f"stride must be at least 1, got {stride}")
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] != self.n_seeds * self.in_channels:
            raise ConfigError(f"convolution expects {self.n_seeds}*{self.in_channels} input channels, got {x.shape[1]}")
        if self.resolved_mode(x) == "grouped":
            return F.conv2d(x, self.weight.flatten(0, 1), self.bias.flatten(), stride=self.stride,
                            padding=self.padding, groups=self.n_seeds)
        return torch.cat([F.conv2d(part, w, b, stride=self.stride, padding=self.padding)
                          for part, w, b in zip(x.split(self.in_channels, dim=1), self.weight, self.bias)], dim=1)


class ConvModule(nn.Module):
    """Convolution -> batch norm -> ReLU, for S rows."""

    def __init__(self, n_seeds: int, spec: MiniGoogLeNetSpec, in_channels: int, out_channels: int,
                 kernel: int, stride: int = 1, padding: int | None = None):
        super().__init__()
        same = (kernel - 1) // 2
        self.conv = SeedStridedConv2d(n_seeds, in_channels, out_channels, kernel,
                                      same if padding is None else padding, stride, spec.conv_mode)
        self.norm = SeedBatchNorm2d(n_seeds, out_channels, spec.bn_eps, spec.bn_momentum)
        self.out_channels = out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.norm(self.conv(x)))


def concat_rows(parts: Sequence[torch.Tensor], n_seeds: int) -> torch.Tensor:
    """Concatenate grouped maps [B, S*C_k, H, W] on each row's own channels -> [B, S*sum C_k, H, W].

    Channels-last maps (the CPU layout, ``batched_conv.to_grouped``) are concatenated in
    that layout, as [B, H, W, S, C_k] views: reshaping them as NCHW would copy the result
    back to NCHW, and every later convolution and pooling would run on the slow layout."""
    b, _, h, w = parts[0].shape
    if all(p.is_contiguous(memory_format=torch.channels_last) for p in parts):
        nhwc = [p.permute(0, 2, 3, 1).reshape(b, h, w, n_seeds, -1) for p in parts]
        return torch.cat(nhwc, dim=4).reshape(b, h, w, -1).permute(0, 3, 1, 2)
    return torch.cat([p.reshape(b, n_seeds, -1, h, w) for p in parts], dim=2).reshape(b, -1, h, w)


class InceptionModule(nn.Module):
    def __init__(self, n_seeds: int, spec: MiniGoogLeNetSpec, in_channels: int, k1: int, k3: int):
        super().__init__()
        self.n_seeds = n_seeds
        self.one = ConvModule(n_seeds, spec, in_channels, k1, 1)
        self.three = ConvModule(n_seeds, spec, in_channels, k3, 3)
        self.out_channels = k1 + k3

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return concat_rows([self.one(x), self.three(x)], self.n_seeds)


class DownsampleModule(nn.Module):
    def __init__(self, n_seeds: int, spec: MiniGoogLeNetSpec, in_channels: int, k: int):
        super().__init__()
        self.n_seeds = n_seeds
        self.conv = ConvModule(n_seeds, spec, in_channels, k, 3, stride=2, padding=0)
        self.out_channels = k + in_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return concat_rows([self.conv(x), F.max_pool2d(x, 3, 2)], self.n_seeds)


class SeedMiniGoogLeNet(nn.Module):
    """MiniGoogLeNet for S rows; see the module docstring."""

    def __init__(self, n_seeds: int, spec: MiniGoogLeNetSpec, eval_chunk: int = EVAL_CHUNK):
        super().__init__()
        if n_seeds < 1:
            raise ConfigError(f"a model needs at least one row, got {n_seeds}")
        self.n_seeds, self.spec, self.eval_chunk = n_seeds, spec, eval_chunk
        self.stem = ConvModule(n_seeds, spec, spec.in_channels, spec.stem, 3)
        body, channels = [], spec.stem
        for kind, *widths in spec.blocks:
            module = (InceptionModule(n_seeds, spec, channels, *widths) if kind == "inception"
                      else DownsampleModule(n_seeds, spec, channels, *widths))
            body.append(module)
            channels = module.out_channels
        self.body = nn.Sequential(*body)
        self.drop = SeedDropout(spec.dropout, "columns")
        self.output = SeedLinear(n_seeds, channels, spec.classes)

    def reset(self, init_gens: Sequence[torch.Generator], dropout_gens: Sequence[torch.Generator]):
        """Draw row i's kernels from init_gens[i], layer by layer bottom to top (Glorot
        uniform, zero biases); BN starts at gamma 1, beta 0; dropout masks from dropout_gens[i]."""
        for layer in self.modules():
            if isinstance(layer, (SeedConv2d, SeedLinear)):
                layer.reset(init_gens, "glorot_uniform")
        self.drop.set_generators(dropout_gens)
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x [S, B, C*H*W] or [S, B, C, H, W] -> logits [S, B, classes]; evaluation without
        autograd goes in chunks of ``eval_chunk`` samples (nothing couples samples then)."""
        images = self._images(x)
        if not self.training and not torch.is_grad_enabled() and images.shape[1] > self.eval_chunk:
            return torch.cat([self._logits(part) for part in images.split(self.eval_chunk, dim=1)], dim=1)
        return self._logits(images)

    def _images(self, x: torch.Tensor) -> torch.Tensor:
        spec = self.spec
        shape = (spec.in_channels, spec.image_size, spec.image_size)
        if x.dim() == 3 and x.shape[0] == self.n_seeds and x.shape[2] == shape[0] * shape[1] * shape[2]:
            x = x.reshape(*x.shape[:2], *shape)
        if x.dim() != 5 or x.shape[0] != self.n_seeds or tuple(x.shape[2:]) != shape:
            raise ConfigError(f"MiniGoogLeNet for {self.n_seeds} rows expects input [S={self.n_seeds}, batch, "
                              f"{shape[0] * shape[1] * shape[2]}] or [S, batch, {', '.join(map(str, shape))}], "
                              f"got {list(x.shape)}")
        return x

    def _logits(self, images: torch.Tensor) -> torch.Tensor:
        h = self.body(self.stem(to_grouped(images, self.spec.conv_mode)))
        b = h.shape[0]
        pooled = h.mean(dim=(2, 3)).reshape(b, self.n_seeds, -1).permute(1, 2, 0)   # [S, C, B]
        return self.output(self.drop(pooled)).mT


def build_minigooglenet(spec: MiniGoogLeNetSpec, row_seeds: Sequence[int], eval_chunk: int = EVAL_CHUNK,
                        device: str | torch.device = "cpu") -> SeedMiniGoogLeNet:
    """A MiniGoogLeNet whose row i draws its weights and dropout masks from seed
    ``row_seeds[i]``'s streams: rows sharing a seed start from the same weights."""
    from deepclaims import seeding

    seeds = [int(s) for s in row_seeds]
    model = SeedMiniGoogLeNet(len(seeds), spec, eval_chunk)
    model.reset(seeding.generators(seeds, "init"), seeding.generators(seeds, "dropout"))
    return model.to(device)


def parameter_count(spec: MiniGoogLeNetSpec) -> int:
    """Learnable parameters of one network (one row)."""
    return sum(p[0].numel() for p in SeedMiniGoogLeNet(1, spec).parameters())
