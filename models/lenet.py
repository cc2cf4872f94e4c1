"""LeNet-5 over S seeds at once, with batch norm and dropout options (topic E), and a
plain-PyTorch LeNet-5 written as a user would, for cross-checks.

Architecture (LeCun et al. 1998, section II.B): C1 conv 6@5x5, S2 subsampling 2x2, C3 conv
16@5x5, S4 subsampling 2x2, C5/F5 120 units, F6 84 units, output 10. On MNIST's 28x28
images the first convolution is padded by 2 (LeCun's inputs were 32x32), so S4 is 16@5x5
and the first dense layer has 400 inputs. Modern defaults, as the lab's "implementation in
all major frameworks" has them: ReLU and max pooling (``activation``, ``pool`` select
tanh / average pooling), Glorot-uniform kernels and zero biases (Keras' defaults).

Options, each fixed in ``LeNetSpec``:

- ``batch_norm``: a BN layer after each hidden layer (C1, C3, F5, F6), before its
  activation (Ioffe and Szegedy 2015, section 3.2);
- ``input_batch_norm``: a BN layer on the input image (one channel per seed), the lab's
  replacement for standardising the input with whole-training-set statistics;
- ``input_dropout`` / ``hidden_dropout``: dropout rates on the input and after each hidden
  layer (Srivastava et al. 2014 on MNIST: 0.2 and 0.5);
- ``conv_dropout``: the rate after each convolutional layer (C1, C3) where it differs from
  the dense hidden layers' (F5, F6: ``hidden_dropout``). None, the default, drops the conv
  layers at ``hidden_dropout`` too (every hidden layer at one rate); 0 puts dropout on the
  dense layers only. Where dropout goes is a set-up choice the lab's "hidden layers" leaves
  open (topic E judges it and records the others as sensitivity rows);
- ``dropout_order``: where dropout sits relative to BN in a hidden layer.
  ``bn_first``: layer -> BN -> activation (-> pool) -> dropout, the usual stacking, so the
  dropped units reach the next layer's BN through its weights. ``dropout_first``: layer ->
  dropout -> BN -> activation (-> pool), so BN normalises dropped units directly (the case
  of Li et al., CVPR 2019, figure 1). On the input: BN then dropout, or dropout then BN.
  Without BN the two orders differ only in dropping before or after pooling;
- ``dropout_rule``: ``inverted`` (PyTorch) or ``weight_scaling`` (Srivastava's test-time
  rule), see ``deepclaims.dropout``;
- ``bn_eps``, ``bn_momentum``: Keras' BatchNormalization defaults (1e-3, 0.99 decay, i.e.
  momentum 0.01) as the other labs' nets use; with few training steps the running averages
  then lag the weights, so short runs may want PyTorch's 0.1;
- ``conv_mode``: how convolutions are batched, see ``deepclaims.batched_conv``.

The seed-batched net maps [S, B, 784] (or [S, B, 1, 28, 28]) to logits [S, B, 10], so it
trains with ``deepclaims.training.train``. Seed i's initial weights come from its ``init``
generator, its dropout masks from its ``dropout`` generator.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from torch import nn

from deepclaims import seeding
from deepclaims.batched import SeedBatchNorm, SeedLinear, activation, init_bound_or_std
from deepclaims.batched_conv import (EVAL_CHUNK, SeedBatchNorm2d, SeedConv2d, check_conv_mode, grouped_to_columns,
                                     pool, to_grouped)
from deepclaims.dropout import SeedDropout, check_rate, check_rule
from deepclaims.errors import ConfigError

DROPOUT_ORDERS = ("bn_first", "dropout_first")
HIDDEN = ("conv1", "conv2", "fc1", "fc2")        # the hidden layers, bottom to top
CONV_CHANNELS = (6, 16)
DENSE_WIDTHS = (120, 84)
KERNEL, FIRST_PADDING = 5, 2


@dataclass(frozen=True)
class LeNetSpec:
    image_size: int = 28
    in_channels: int = 1
    classes: int = 10
    activation: str = "relu"
    pool: str = "max"
    init: str = "glorot_uniform"
    init_scale: float | None = None
    batch_norm: bool = False
    input_batch_norm: bool = False
    input_dropout: float = 0.0
    hidden_dropout: float = 0.0
    conv_dropout: float | None = None
    dropout_order: str = "bn_first"
    dropout_rule: str = "inverted"
    bn_eps: float = 1e-3
    bn_momentum: float = 0.01
    conv_mode: str = "auto"

    def __post_init__(self):
        for name in ("in_channels", "classes"):
            if getattr(self, name) < 1:
                raise ConfigError(f"LeNetSpec.{name} must be at least 1, got {getattr(self, name)}")
        if self.image_size < 10:
            raise ConfigError(f"LeNet-5 needs images of at least 10x10 pixels (two 5x5 convolutions and two "
                              f"2x2 poolings), got image_size={self.image_size}")
        activation(self.activation)
        pool(self.pool)
        init_bound_or_std(self.init, 1, 1, self.init_scale if self.init_scale else 1.0)
        check_rate(self.input_dropout, "input_dropout")
        check_rate(self.hidden_dropout, "hidden_dropout")
        if self.conv_dropout is not None:
            check_rate(self.conv_dropout, "conv_dropout")
        check_rule(self.dropout_rule)
        check_conv_mode(self.conv_mode)
        if self.dropout_order not in DROPOUT_ORDERS:
            raise ConfigError(f"unknown dropout_order {self.dropout_order!r}; accepted: {', '.join(DROPOUT_ORDERS)}")
        if not self.bn_eps > 0 or not 0 < self.bn_momentum <= 1:
            raise ConfigError(f"bn_eps must be > 0 and bn_momentum in (0, 1], got {self.bn_eps}, {self.bn_momentum}")

    def dropout_rate(self, layer: str) -> float:
        """The dropout rate after ``layer`` ('input' or one of HIDDEN)."""
        if layer == "input":
            return self.input_dropout
        if layer.startswith("conv") and self.conv_dropout is not None:
            return self.conv_dropout
        return self.hidden_dropout

    @property
    def feature_side(self) -> int:
        """Side of S4's feature maps: C1 keeps the size (padding 2), S2 halves, C3 takes 4, S4 halves."""
        return (self.image_size // 2 - (KERNEL - 1)) // 2

    @property
    def flat_features(self) -> int:
        return CONV_CHANNELS[1] * self.feature_side ** 2


class SeedLeNet5(nn.Module):
    """LeNet-5 for S seeds; see the module docstring for the options."""

    def __init__(self, n_seeds: int, spec: LeNetSpec, eval_chunk: int = EVAL_CHUNK):
        super().__init__()
        if n_seeds < 1:
            raise ConfigError(f"a model needs at least one seed, got {n_seeds}")
        self.n_seeds, self.spec, self.eval_chunk = n_seeds, spec, eval_chunk
        self.act = activation(spec.activation)
        self.pool = pool(spec.pool)
        s, c1, c2 = n_seeds, *CONV_CHANNELS
        self.conv1 = SeedConv2d(s, spec.in_channels, c1, KERNEL, FIRST_PADDING, spec.conv_mode)
        self.conv2 = SeedConv2d(s, c1, c2, KERNEL, 0, spec.conv_mode)
        self.fc1 = SeedLinear(s, spec.flat_features, DENSE_WIDTHS[0])
        self.fc2 = SeedLinear(s, DENSE_WIDTHS[0], DENSE_WIDTHS[1])
        self.output = SeedLinear(s, DENSE_WIDTHS[1], spec.classes)
        bn2d = lambda c: SeedBatchNorm2d(s, c, spec.bn_eps, spec.bn_momentum)
        bn1d = lambda f: SeedBatchNorm(s, f, spec.bn_eps, spec.bn_momentum)
        self.norms = nn.ModuleDict()
        if spec.input_batch_norm:
            self.norms["input"] = bn2d(spec.in_channels)
        if spec.batch_norm:
            self.norms.update({"conv1": bn2d(c1), "conv2": bn2d(c2), "fc1": bn1d(DENSE_WIDTHS[0]),
                               "fc2": bn1d(DENSE_WIDTHS[1])})
        rule = spec.dropout_rule
        self.drops = nn.ModuleDict()
        if spec.input_dropout > 0:
            self.drops["input"] = SeedDropout(spec.input_dropout, "grouped", rule)
        self.drops.update({name: SeedDropout(spec.dropout_rate(name), "grouped" if name.startswith("conv") else
                                             "columns", rule) for name in HIDDEN if spec.dropout_rate(name) > 0})
        self._captured: dict[str, torch.Tensor] | None = None

    # ------------------------------------------------------------------ set-up

    def reset(self, init_gens: Sequence[torch.Generator], dropout_gens: Sequence[torch.Generator] | None = None):
        """Draw seed i's weights from init_gens[i], layer by layer bottom to top; give the
        dropout layers the seeds' dropout generators. BN starts at gamma 1, beta 0."""
        for layer in (self.conv1, self.conv2, self.fc1, self.fc2, self.output):
            layer.reset(init_gens, self.spec.init, self.spec.init_scale)
        if self.drops:
            if dropout_gens is None:
                raise ConfigError("a LeNet with dropout needs its seeds' dropout generators")
            for layer in self.drops.values():
                layer.set_generators(dropout_gens)
        return self

    def conv_layers(self) -> list[tuple[str, SeedConv2d]]:
        return [("conv1", self.conv1), ("conv2", self.conv2)]

    def dense_layers(self) -> list[tuple[str, SeedLinear]]:
        return [("fc1", self.fc1), ("fc2", self.fc2), ("output", self.output)]

    def bn_parameters(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Learned (gamma, beta) of each BN layer, bottom to top: arrays [S, units]."""
        out = {}
        for name, norm in self.norms.items():
            gamma, beta = norm.weight.detach().cpu(), norm.bias.detach().cpu()
            out[name] = (gamma.reshape(self.n_seeds, -1).numpy(), beta.reshape(self.n_seeds, -1).numpy())
        return out

    # ------------------------------------------------------------------ forward

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x [S, B, C*H*W] or [S, B, C, H, W] -> logits [S, B, classes].

        Without autograd and in eval mode the batch is cut into chunks of ``eval_chunk``
        samples: nothing then couples samples (BN uses running averages, dropout is off),
        so the result is the same and evaluating on a whole data set fits in memory.
        """
        images = self._images(x)
        b = images.shape[1]
        if not self.training and not torch.is_grad_enabled() and b > self.eval_chunk and self._captured is None:
            return torch.cat([self._logits(part) for part in images.split(self.eval_chunk, dim=1)], dim=1)
        return self._logits(images)

    def forward_with_bn_inputs(self, x: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Logits and the input of each BN layer (grouped [B, S*C, H, W] for the input and
        conv layers, columns [S, F, B] for the dense ones), in the current mode."""
        self._captured = {}
        try:
            logits = self._logits(self._images(x))
            return logits, self._captured
        finally:
            self._captured = None

    def _images(self, x: torch.Tensor) -> torch.Tensor:
        spec = self.spec
        expected = (self.n_seeds, spec.in_channels, spec.image_size, spec.image_size)
        if x.dim() == 3 and x.shape[0] == self.n_seeds and x.shape[2] == spec.in_channels * spec.image_size ** 2:
            x = x.reshape(*x.shape[:2], *expected[1:])
        if x.dim() != 5 or (x.shape[0], *x.shape[2:]) != expected:
            raise ConfigError(f"LeNet-5 for {self.n_seeds} seeds expects input [S={self.n_seeds}, batch, "
                              f"{spec.in_channels * spec.image_size ** 2}] or [S, batch, {spec.in_channels}, "
                              f"{spec.image_size}, {spec.image_size}], got {list(x.shape)}")
        return x

    def _norm(self, name: str, z: torch.Tensor) -> torch.Tensor:
        if name not in self.norms:
            return z
        if self._captured is not None:
            self._captured[name] = z.detach()
        return self.norms[name](z)

    def _drop(self, name: str, z: torch.Tensor) -> torch.Tensor:
        return self.drops[name](z) if name in self.drops else z

    def _hidden(self, name: str, z: torch.Tensor, pooled: bool) -> torch.Tensor:
        """One hidden layer after its linear map: BN, activation, pooling, dropout in the spec's order."""
        if self.spec.dropout_order == "dropout_first":
            z = self.act(self._norm(name, self._drop(name, z)))
            return self.pool(z, 2) if pooled else z
        z = self.act(self._norm(name, z))
        return self._drop(name, self.pool(z, 2) if pooled else z)

    def _logits(self, images: torch.Tensor) -> torch.Tensor:
        h = to_grouped(images, self.spec.conv_mode)
        if self.spec.dropout_order == "dropout_first":
            h = self._norm("input", self._drop("input", h))
        else:
            h = self._drop("input", self._norm("input", h))
        h = self._hidden("conv1", self.conv1(h), pooled=True)
        h = self._hidden("conv2", self.conv2(h), pooled=True)
        h = grouped_to_columns(h, self.n_seeds)
        h = self._hidden("fc1", self.fc1(h), pooled=False)
        h = self._hidden("fc2", self.fc2(h), pooled=False)
        return self.output(h).mT


def bn_input_variances(model: SeedLeNet5, x: torch.Tensor) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Variance of each BN layer's input in training mode (dropout on, batch statistics) and
    in eval mode (dropout off, running averages), on the same batch: per seed [S], the
    variance of each unit (channel: over batch and pixels; dense unit: over the batch)
    averaged over the layer's units. Li et al. (CVPR 2019) call the ratio eval / train of
    these the "variance shift" that dropout before BN causes.

    The model is left as it was: BN's running averages, the dropout generators' states and
    the training flag are restored, so probing mid-training does not change the run.
    """
    was_training = model.training
    buffers = {k: v.clone() for k, v in model.state_dict().items() if "running" in k}
    gens = {id(g): g for layer in model.drops.values() for g in (layer.gens or [])}
    states = {k: g.get_state() for k, g in gens.items()}

    def unit_variance(z: torch.Tensor, name: str) -> np.ndarray:
        if name in ("fc1", "fc2"):                    # columns [S, F, B]
            return z.var(dim=2, unbiased=False).mean(1).cpu().numpy()
        b, sc, h, w = z.shape                           # grouped [B, S*C, H, W]
        per_channel = z.transpose(0, 1).reshape(sc, -1).var(dim=1, unbiased=False)
        return per_channel.view(model.n_seeds, -1).mean(1).cpu().numpy()

    try:
        with torch.no_grad():
            model.train()
            _, train_inputs = model.forward_with_bn_inputs(x)
            model.eval()
            _, eval_inputs = model.forward_with_bn_inputs(x)
    finally:
        model.load_state_dict({**model.state_dict(), **buffers})
        for k, g in gens.items():
            g.set_state(states[k])
        model.train(was_training)
    return {name: (unit_variance(train_inputs[name], name), unit_variance(eval_inputs[name], name))
            for name in train_inputs}


def build_lenet(spec: LeNetSpec, seeds: Sequence[int], eval_chunk: int = EVAL_CHUNK) -> SeedLeNet5:
    """A seed-batched LeNet-5 for ``seeds``, initialised from their ``init`` streams, its
    dropout drawing from their ``dropout`` streams."""
    seeds = list(seeds)
    model = SeedLeNet5(len(seeds), spec, eval_chunk)
    return model.reset(seeding.generators(seeds, "init"), seeding.generators(seeds, "dropout"))


# ---------------------------------------------------------------------- plain reference

class PlainLeNet5(nn.Module):
    """LeNet-5 for one seed as a user writes it: nn.Conv2d, nn.BatchNorm2d/1d, nn.MaxPool2d,
    nn.Linear, nn.Dropout (BN before the activation, dropout after, the ``bn_first`` order).
    ``conv_dropout``: the rate after the conv layers, None for ``hidden_dropout``'s."""

    def __init__(self, batch_norm: bool = False, input_batch_norm: bool = False, input_dropout: float = 0.0,
                 hidden_dropout: float = 0.0, bn_eps: float = 1e-3, bn_momentum: float = 0.01,
                 conv_dropout: float | None = None):
        super().__init__()
        conv_rate = hidden_dropout if conv_dropout is None else conv_dropout
        bn2d = lambda c: nn.BatchNorm2d(c, eps=bn_eps, momentum=bn_momentum) if batch_norm else nn.Identity()
        bn1d = lambda f: nn.BatchNorm1d(f, eps=bn_eps, momentum=bn_momentum) if batch_norm else nn.Identity()
        self.input = nn.Sequential(
            nn.BatchNorm2d(1, eps=bn_eps, momentum=bn_momentum) if input_batch_norm else nn.Identity(),
            nn.Dropout(input_dropout))
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), bn2d(6), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(conv_rate),
            nn.Conv2d(6, 16, 5), bn2d(16), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(conv_rate))
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(400, 120), bn1d(120), nn.ReLU(), nn.Dropout(hidden_dropout),
            nn.Linear(120, 84), bn1d(84), nn.ReLU(), nn.Dropout(hidden_dropout),
            nn.Linear(84, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x [B, 784] or [B, 1, 28, 28] -> logits [B, 10]."""
        return self.classifier(self.features(self.input(x.reshape(-1, 1, 28, 28))))


def copy_seed_lenet_weights(plain: PlainLeNet5, engine: SeedLeNet5, seed_index: int) -> PlainLeNet5:
    """Load seed ``seed_index``'s weights, biases and BN parameters from the engine into the
    plain net (layers in the same order, bottom to top); returns ``plain``."""
    convs = [m for m in plain.modules() if isinstance(m, nn.Conv2d)]
    linears = [m for m in plain.modules() if isinstance(m, nn.Linear)]
    norms = [m for m in plain.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    with torch.no_grad():
        for layer, (_, seeded) in zip(convs, engine.conv_layers(), strict=True):
            layer.weight.copy_(seeded.weight[seed_index])
            layer.bias.copy_(seeded.bias[seed_index])
        for layer, (_, seeded) in zip(linears, engine.dense_layers(), strict=True):
            layer.weight.copy_(seeded.weight[seed_index])
            layer.bias.copy_(seeded.bias[seed_index, :, 0])
        for layer, seeded in zip(norms, engine.norms.values(), strict=True):
            layer.weight.copy_(seeded.weight[seed_index].reshape(-1))
            layer.bias.copy_(seeded.bias[seed_index].reshape(-1))
            layer.running_mean.copy_(seeded.running_mean[seed_index].reshape(-1))
            layer.running_var.copy_(seeded.running_var[seed_index].reshape(-1))
    return plain
