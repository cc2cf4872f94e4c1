"""Lu et al.'s deep, narrow ReLU nets over S seeds at once, RAI, and the born-dead check.

Source: Lu, Shin, Su, Karniadakis, "Dying ReLU and Initialization: Theory and Numerical
Examples" (CiCP 28:1671, 2020; arXiv 1903.06733). Their L-layer net has L weight layers:
L-1 hidden ReLU layers of width N and a linear output layer (N_0 = d_in, N_L = d_out), so
"a 10-layer net of width 2" is 9 hidden layers of 2 units. ``LuNetSpec.hidden`` counts
hidden layers explicitly so that choice is visible where it is made.

Initialisations:
- ``he``: He initialisation as Keras' ``he_normal`` and PyTorch's ``kaiming_normal_``
  define it, and as Lu et al.'s own code base (DeepXDE) uses it: every weight
  ~ N(0, 2 / fan_in), every bias zero. This is the symmetric initialisation the paper
  shows dies;
- ``he_bias``: the same weights (the same numbers, drawn from the same stream) with the
  biases also ~ N(0, 2 / fan_in). Not what the paper or the usual libraries do; kept as a
  named sensitivity arm, because the born-dead and collapse fractions depend on it;
- ``rai``: the paper's randomized asymmetric initialisation. For each unit j of a layer
  with fan_in n, the row V_j = [w_j, b_j] of n + 1 numbers is drawn N(0, sigma^2) with
  sigma = 0.6007 / sqrt(n), except one entry, chosen uniformly among the n + 1, which is
  drawn from the asymmetric Beta(2, 1). RAI draws its biases as part of V_j, as the paper
  defines it. The paper derives sigma from a second-moment
  condition for P = Beta(2, 1); the constant 0.6007 (sigma^2 ~= 0.36 / n) is the one
  public implementations of the paper's RAI use (not checked against the paper's own
  table here). Beta(2, 1) has CDF x^2 on [0, 1], so it is drawn as sqrt(U) with U
  uniform, from the seed's own generator, as is the uniform position.

The activation is z if z > 0 else slope * z with a per-net slope, so ReLU (slope 0) and
leaky ReLU (slope 0.01) nets train side by side in one batched model.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn

from deepclaims.batched import SeedLinear
from deepclaims.errors import ConfigError

INITS = ("he", "he_bias", "rai")
RAI_SIGMA = 0.6007
# Up to this width a layer is computed unit by unit with element-wise multiply-adds:
# batched 2x2 matrix products cost a kernel's overhead per net, which made them (and
# torch.maximum's backward) 80% of a training step; unit by unit a step is 3-4x faster.
UNIT_WISE_MAX_WIDTH = 4


@dataclass(frozen=True)
class LuNetSpec:
    """A 1-D-in, 1-D-out net: ``hidden`` layers of ``width`` units, then a linear output."""

    hidden: int = 9
    width: int = 2
    in_features: int = 1
    out_features: int = 1

    def __post_init__(self):
        for name in ("hidden", "width", "in_features", "out_features"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")

    @property
    def sizes(self) -> list[int]:
        return [self.in_features] + [self.width] * self.hidden + [self.out_features]


def draw_nets(sizes: Sequence[int], gens: Sequence[torch.Generator], scheme: str
              ) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Per layer, (weights [S, out, in], biases [S, out, 1]) for nets drawn from ``gens``
    (``SeedLinear``'s layout).

    Net s's numbers come from one or two calls on gens[s] only (not one per layer), and
    are then cut into layers for all nets at once, which keeps initialising thousands of
    nets cheap.
    """
    shapes = list(zip(sizes[:-1], sizes[1:]))
    s_n = len(gens)
    total = sum((n + 1) * m for n, m in shapes)
    z = torch.stack([torch.randn(total, generator=g) for g in gens]) if s_n else torch.zeros(0, total)
    layers = []
    if scheme in ("he", "he_bias"):
        # Weights ~ N(0, 2 / fan_in); biases zero ("he") or ~ N(0, 2 / fan_in) ("he_bias").
        # Both schemes cut the weights from the same numbers, so a seed's "he" and
        # "he_bias" nets differ only in their biases.
        at = 0
        for n, m in shapes:
            v = z[:, at:at + (n + 1) * m].reshape(s_n, n + 1, m) * math.sqrt(2.0 / n)
            weights, biases = v[:, :n].mT, v[:, n:].mT
            layers.append((weights, biases if scheme == "he_bias" else torch.zeros_like(biases)))
            at += (n + 1) * m
        return layers
    if scheme == "rai":
        # Lu et al. 2020, section 5: row V_j = [w_j, b_j] ~ N(0, sigma^2), one entry at a
        # uniformly chosen position replaced by a Beta(2, 1) draw.
        units = sum(m for _, m in shapes)
        u = torch.stack([torch.rand(2 * units, generator=g) for g in gens]) if s_n else torch.zeros(0, 2 * units)
        at = ut = 0
        for n, m in shapes:
            v = z[:, at:at + (n + 1) * m].reshape(s_n, m, n + 1) * (RAI_SIGMA / math.sqrt(n))
            k = (u[:, ut:ut + m] * (n + 1)).long().clamp(max=n)       # uniform position in 0..n
            beta21 = u[:, ut + m:ut + 2 * m].sqrt()                    # inverse CDF of Beta(2, 1)
            v.scatter_(2, k.unsqueeze(2), beta21.unsqueeze(2))
            layers.append((v[:, :, :n], v[:, :, n:]))
            at += (n + 1) * m
            ut += 2 * m
        return layers
    raise ConfigError(f"unknown initialisation {scheme!r}; accepted: {', '.join(INITS)}")


class LuNet(nn.Module):
    """S independent nets of one shape; net s uses activation slope ``slopes[s]``."""

    def __init__(self, n_seeds: int, spec: LuNetSpec, slopes: Sequence[float] | torch.Tensor | float = 0.0):
        super().__init__()
        self.n_seeds, self.spec = n_seeds, spec
        sizes = spec.sizes
        self.layers = nn.ModuleList(SeedLinear(n_seeds, a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        slopes = torch.as_tensor(slopes, dtype=torch.float32)
        if slopes.dim() == 0:
            slopes = slopes.expand(n_seeds)
        if slopes.shape != (n_seeds,):
            raise ConfigError(f"need one slope per net ({n_seeds}), got shape {tuple(slopes.shape)}")
        if bool(((slopes < 0) | (slopes >= 1)).any()):
            raise ConfigError("activation slopes must lie in [0, 1) (0 = ReLU, 0.01 = leaky ReLU)")
        self.register_buffer("slopes", slopes.clone().view(n_seeds, 1, 1))
        self.relu_only = bool((slopes == 0).all())   # plain ReLU has a cheaper kernel

    def reset(self, gens: Sequence[torch.Generator], init: str | Sequence[str] = "he") -> "LuNet":
        """Draw net s's parameters from gens[s], layer by layer bottom to top.

        ``init`` is one scheme for every net or one per net; net s draws only from gens[s],
        so its parameters never depend on the other nets.
        """
        if len(gens) != self.n_seeds:
            raise ConfigError(f"{len(gens)} generators for {self.n_seeds} nets")
        inits = [init] * self.n_seeds if isinstance(init, str) else list(init)
        if len(inits) != self.n_seeds or any(s not in INITS for s in inits):
            raise ConfigError(f"init must be one of {INITS} or one per net, got {init!r}")
        with torch.no_grad():
            for scheme in INITS:
                idx = [i for i, x in enumerate(inits) if x == scheme]
                if not idx:
                    continue
                draws = draw_nets(self.spec.sizes, [gens[i] for i in idx], scheme)
                where = torch.tensor(idx, device=self.layers[0].weight.device)
                for layer, (w, b) in zip(self.layers, draws):
                    layer.weight[where] = w.to(layer.weight.device)
                    layer.bias[where] = b.to(layer.bias.device)
        return self

    def hidden_outputs(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The output [S, B, out] and every hidden layer's post-activation [S, B, width]."""
        hidden = []
        x = x.mT                      # columns inside (see deepclaims.batched), rows outside
        for layer in self.layers[:-1]:
            x = self._act(layer(x), self.slopes)
            hidden.append(x.mT)
        return self.layers[-1](x).mT, hidden

    def _act(self, z: torch.Tensor, slopes: torch.Tensor) -> torch.Tensor:
        if self.relu_only:
            return torch.relu(z)
        # z * (1 if z > 0 else slope): one multiply whose backward is one multiply.
        return z * torch.where(z > 0, 1.0, slopes)

    def narrow(self) -> bool:
        return max(self.spec.sizes) <= UNIT_WISE_MAX_WIDTH

    def unit_layers(self, x: torch.Tensor):
        """Yield each layer's units (a list of [S, B] tensors), hidden layers activated,
        the output layer last; the same numbers as ``hidden_outputs``, without batched
        matrix products (see UNIT_WISE_MAX_WIDTH)."""
        h = [x[:, :, k] for k in range(x.shape[2])]
        slopes = self.slopes.view(-1, 1)
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            w, b = layer.weight, layer.bias
            units = []
            for j in range(w.shape[1]):
                z = torch.addcmul(b[:, j], h[0], w[:, j, 0:1])
                for k in range(1, len(h)):
                    z = torch.addcmul(z, h[k], w[:, j, k:k + 1])
                units.append(z)
            h = units if i == last else [self._act(z, slopes) for z in units]
            yield h

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[S, B, in] -> [S, B, out]."""
        if not self.narrow():
            return self.hidden_outputs(x)[0]
        for h in self.unit_layers(x):
            pass
        return torch.stack(h, -1)


def dead_layers(model: LuNet, grid: torch.Tensor) -> torch.Tensor:
    """[S, hidden] booleans: is hidden layer l of net s zero at every point of ``grid``?

    ``grid`` is [G, in] (shared by all nets) or [S, G, in]. A layer that outputs zero on a
    dense grid of the input interval is dead on the interval up to the grid's resolution;
    every later layer then sees a constant, so the net is a constant function there.
    Only exact zeros count, so leaky-ReLU layers (never exactly zero) are never dead.
    """
    if grid.dim() == 2:
        grid = grid.unsqueeze(0).expand(model.n_seeds, *grid.shape)
    dead = []
    with torch.no_grad():
        # Layer by layer, keeping only the current activations: a grid of 1001 points
        # through thousands of nets and dozens of layers would not fit otherwise.
        if model.narrow():
            for i, units in enumerate(model.unit_layers(grid)):
                if i < len(model.layers) - 1:      # the output layer is linear, never dead
                    dead.append(torch.stack([(u == 0).all(dim=1) for u in units]).all(dim=0))
        else:
            x = grid.mT
            for layer in model.layers[:-1]:
                x = model._act(layer(x), model.slopes)
                dead.append((x == 0).flatten(1).all(dim=1))
    return torch.stack(dead, dim=1)


def born_dead(model: LuNet, grid: torch.Tensor) -> torch.Tensor:
    """[S] booleans: net s is dead (some hidden layer zero on the whole grid)."""
    return dead_layers(model, grid).any(dim=1)


def input_grid(low: float, high: float, points: int) -> torch.Tensor:
    """``points`` equally spaced inputs on [low, high] as a [points, 1] tensor."""
    if points < 2 or not high > low:
        raise ConfigError(f"a grid needs at least 2 points on a non-empty interval, got {points} on [{low}, {high}]")
    return torch.linspace(low, high, points).unsqueeze(1)
