"""Topic D's experiments: many narrow nets trained at once, and born-dead counts at init.

Collapse experiment (lab 004 Problems 1.2-1.3, after Lu et al. 2020 section 6): for each
seed, 3000 inputs uniform on [-sqrt(7), sqrt(7)] from the seed's "data" stream, the three
1-D targets of the paper, and up to four arms (ReLU + He, leaky ReLU 0.01 + He, ReLU + RAI,
and ReLU + He with N(0, 2/fan_in) biases as a sensitivity arm; see ``models.lu_nets`` for
the initialisations: He leaves the biases at zero, as Keras, PyTorch and DeepXDE do).
All seeds x targets x arms train as one batched model: net (seed, target, arm) sees its
seed's data and minibatch order (stream "order", one permutation per seed and epoch shared
by the seed's nets, so the arms of a seed differ only in what the arm changes) and its
seed's "init" stream (so the ReLU and leaky arms of a seed start from the same weights,
and the bias-variant arm from the same weights with non-zero biases).
Seed s's result therefore does not depend on which other seeds share its batch.

Training: MSE, minibatch 64, Adam with learning rate 1e-3 (Keras' and PyTorch's default).
Lu et al. train their examples with Adam; neither the lab nor the public summaries of the
paper state a learning rate or an epoch count, so the budget is this suite's choice and
the experiment records the collapse status at several checkpoints to show the verdict
has stopped changing by the last one.

Collapse (defined before any result was seen): a trained net has collapsed when the
standard deviation of its output over a 1001-point grid of [-sqrt(7), sqrt(7)] is below
COLLAPSE_FRACTION (1%) of the target's standard deviation over the same grid. A net with
a dead hidden layer is exactly constant, so it falls far below that; a net that fits even
one kink of the target sits far above.

Both are :func:`deepclaims.experiment.experiment` functions: a keyword-built frozen
configuration and a list of seeds in, per-seed arrays out (seeds on axis 0); the seed
count is the plan's (``Planned.seeds``), not the configuration's. A seed's numbers do not
depend on which shard holds it (the four-arm ci run gives bit-identical arrays as one
shard of 96 seeds and as two of 48), so the shard sizes only trade workers against
per-step overhead.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import torch

from deepclaims import seeding
from deepclaims.errors import ConfigError
from deepclaims.experiment import experiment
from models.lu_nets import INITS, LuNet, LuNetSpec, dead_layers, input_grid

HALF_WIDTH = math.sqrt(7.0)
GRID_POINTS = 1001
COLLAPSE_FRACTION = 0.01
# Seeds per cached shard. The nets are a few units wide, so a step costs its kernel
# launches more than its arithmetic, and every further shard pays the training loop's
# per-step overhead again: D1's 1500 ci seeds took 5.5 s as one shard against 9.4 s as
# three of 500, each seed's numbers bitwise the same. Every run is one shard at ci and
# at lab (the four-arm run, 12 nets a seed, has 96 and 1000 seeds).
COLLAPSE_SHARD = 2000
# Born-dead draws are initialisation only (about 1.6 s for 1000 nets of every ci width).
BORN_DEAD_SHARD = 1000


def _abs(x):
    return x.abs()


def _xsin(x):
    return x * torch.sin(5 * x)


def _step_sin(x):
    return (x > 0).to(x.dtype) + 0.2 * torch.sin(5 * x)


# The three 1-D targets of Lu et al. (page 13 of the arXiv version, as the lab names them).
TARGETS = {"abs": _abs, "xsin5x": _xsin, "step_sin": _step_sin}
TARGET_LABELS = {"abs": "|x|", "xsin5x": "x sin(5x)", "step_sin": "1{x>0} + 0.2 sin(5x)"}
# (activation slope, initialisation) per arm.
ARMS = {"relu_he": (0.0, "he"), "leaky_he": (0.01, "he"), "relu_rai": (0.0, "rai"),
        "relu_he_bias": (0.0, "he_bias")}
ARM_LABELS = {"relu_he": "ReLU, He", "leaky_he": "leaky ReLU 0.01, He", "relu_rai": "ReLU, RAI",
              "relu_he_bias": "ReLU, He + N(0, 2/fan_in) biases"}


@dataclass(frozen=True, kw_only=True)
class CollapseRun:
    epochs: int
    checkpoints: tuple[int, ...]   # epochs after which the collapse status is recorded
    n_train: int = 3000
    batch_size: int = 64
    lr: float = 1e-3
    hidden: int = 9                # Lu et al.'s 10-layer net: 9 hidden layers + output
    width: int = 2
    targets: tuple[str, ...] = tuple(TARGETS)
    arms: tuple[str, ...] = ("relu_he", "leaky_he", "relu_rai")
    # Negative controls only: (arm, slope, init) triples that replace what an arm names,
    # e.g. (("leaky_he", 0.0, "he"),) trains the leaky arm with slope 0 through the same code.
    overrides: tuple[tuple[str, float, str], ...] = ()
    device: str = "cpu"

    def arm_setup(self, arm: str) -> tuple[float, str]:
        """(activation slope, initialisation) the arm's nets get."""
        for name, slope, init in self.overrides:
            if name == arm:
                return float(slope), init
        return ARMS[arm]

    def __post_init__(self):
        if not self.checkpoints or self.checkpoints[-1] != self.epochs or list(self.checkpoints) != sorted(
                set(self.checkpoints)):
            raise ConfigError(f"checkpoints must increase and end at epochs={self.epochs}, got {self.checkpoints}")
        unknown = [t for t in self.targets if t not in TARGETS] + [a for a in self.arms if a not in ARMS]
        if unknown:
            raise ConfigError(f"unknown targets/arms {unknown}; accepted: {list(TARGETS)} / {list(ARMS)}")
        for arm, slope, init in self.overrides:
            if arm not in self.arms or init not in INITS or not 0 <= slope < 1:
                raise ConfigError(f"override {(arm, slope, init)!r} needs one of this run's arms {self.arms}, "
                                  f"a slope in [0, 1) and an initialisation in {INITS}")


def seed_inputs(seeds, n: int) -> torch.Tensor:
    """[S, n, 1] training inputs, seed s's drawn uniformly on the interval from its "data" stream."""
    return torch.stack([torch.empty(n, 1).uniform_(-HALF_WIDTH, HALF_WIDTH, generator=g)
                        for g in seeding.generators(seeds, "data")])


def build(config: CollapseRun, seeds) -> LuNet:
    """One LuNet holding net (seed, target, arm) at index (s * T + t) * A + a."""
    per_net = [(s, arm) for s in seeds for _ in config.targets for arm in config.arms]
    setups = [config.arm_setup(arm) for _, arm in per_net]
    model = LuNet(len(per_net), LuNetSpec(config.hidden, config.width), [slope for slope, _ in setups])
    model.reset([seeding.generator(int(s), "init") for s, _ in per_net], [init for _, init in setups])
    return model


def output_spread(model: LuNet, grid: torch.Tensor) -> torch.Tensor:
    """[nets] standard deviation of each net's output over the shared grid."""
    with torch.no_grad():
        out = model(grid.unsqueeze(0).expand(model.n_seeds, *grid.shape)).squeeze(-1)
    return out.std(dim=1)


def collapse_one_epoch(config: CollapseRun) -> CollapseRun:
    """The run trained for one epoch, checked once (the lab dry run's shrink)."""
    return replace(config, epochs=1, checkpoints=(1,))


def collapse_size(config: CollapseRun) -> tuple[int, int]:
    """Every (target, arm) net of a seed is one training."""
    return len(config.targets) * len(config.arms), config.epochs


@experiment("D_collapse", one_step=collapse_one_epoch, size=collapse_size, shard_size=COLLAPSE_SHARD,
            concurrent=True)   # every draw comes from the seeds' generators
def train_collapse(config: CollapseRun, seeds: list[int]) -> dict[str, np.ndarray]:
    """Train every (seed, target, arm) net; arrays are [seeds, targets, arms(, checkpoints)]."""
    device = torch.device(config.device)
    s_n, t_n, a_n = len(seeds), len(config.targets), len(config.arms)
    x = seed_inputs(seeds, config.n_train).to(device)                                   # [S, N, 1]
    y = torch.stack([TARGETS[t](x.squeeze(-1)) for t in config.targets], 1)             # [S, T, N]
    grid = input_grid(-HALF_WIDTH, HALF_WIDTH, GRID_POINTS).to(device)
    target_spread = torch.stack([TARGETS[t](grid.squeeze(-1)).std() for t in config.targets])  # [T]
    model = build(config, seeds).to(device)
    born_dead = dead_layers(model, grid).any(1).view(s_n, t_n, a_n)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, foreach=True)
    order = seeding.generators(seeds, "order")
    spreads = []
    model.train()
    for epoch in range(1, config.epochs + 1):
        perms = torch.stack([torch.randperm(config.n_train, generator=g) for g in order]).to(device)  # [S, N]
        # Put each seed's data in this epoch's order once, so minibatches are slices.
        xs = torch.gather(x.squeeze(-1), 1, perms)                                      # [S, N]
        ys = torch.gather(y, 2, perms.unsqueeze(1).expand(s_n, t_n, config.n_train))    # [S, T, N]
        for start in range(0, config.n_train, config.batch_size):
            xb = xs[:, start:start + config.batch_size]                                 # [S, B]
            yb = ys[:, :, start:start + config.batch_size]                              # [S, T, B]
            # Every (target, arm) net of a seed sees the seed's minibatch.
            xb = xb.unsqueeze(1).expand(s_n, t_n * a_n, xb.shape[1]).reshape(s_n * t_n * a_n, -1, 1)
            yb = yb.unsqueeze(2).expand(s_n, t_n, a_n, yb.shape[2]).reshape(s_n * t_n * a_n, -1)
            # Summing per-net mean losses gives each net exactly its own gradient.
            loss = ((model(xb).squeeze(-1) - yb) ** 2).mean(1).sum()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        if epoch in config.checkpoints:
            spreads.append(output_spread(model, grid).view(s_n, t_n, a_n) / target_spread.view(1, t_n, 1))
    dead_end = dead_layers(model, grid).any(1).view(s_n, t_n, a_n)
    with torch.no_grad():
        out = model(grid.unsqueeze(0).expand(model.n_seeds, *grid.shape)).squeeze(-1).view(s_n, t_n, a_n, -1)
        truth = torch.stack([TARGETS[t](grid.squeeze(-1)) for t in config.targets]).view(1, t_n, 1, -1)
        grid_mse = ((out - truth) ** 2).mean(-1)
    return {"spread_ratio": torch.stack(spreads, -1).cpu().numpy().astype(np.float64),
            "born_dead": born_dead.cpu().numpy(), "dead_end": dead_end.cpu().numpy(),
            "grid_mse": grid_mse.cpu().numpy().astype(np.float64)}


def collapsed(result: dict, checkpoint: int = -1) -> np.ndarray:
    """[seeds, targets, arms] booleans: output spread below COLLAPSE_FRACTION of the target's."""
    return result["spread_ratio"][..., checkpoint] < COLLAPSE_FRACTION


# ---------------------------------------------------------------- born dead at init (D3)

@dataclass(frozen=True, kw_only=True)
class BornDeadGrid:
    widths: tuple[int, ...]
    max_hidden: int
    grid_points: int = GRID_POINTS
    slope: float = 0.0              # 0 = ReLU; a leaky slope gives the negative control
    init: str = "he"                # "he" (zero biases) or the "he_bias" sensitivity variant
    device: str = "cpu"


def as_drawn(config: BornDeadGrid) -> BornDeadGrid:
    """Born-dead counts draw nets and train none: the dry run's 'one step' is the run itself."""
    return config


def no_training(config: BornDeadGrid) -> tuple[int, int]:
    return 0, 0


@experiment("D_born_dead", one_step=as_drawn, size=no_training, shard_size=BORN_DEAD_SHARD,
            concurrent=True)   # every draw comes from the seeds' generators
def born_dead_by_depth(config: BornDeadGrid, seeds: list[int]) -> dict[str, np.ndarray]:
    """[seeds, widths, depths] booleans: is the net of ``d`` hidden layers born dead?

    For each width one net (initialised by ``config.init``) of ``max_hidden`` hidden layers is drawn per seed;
    its first d hidden layers are distributed exactly as a d-hidden-layer net's, and that
    net is dead iff one of them is dead on the grid. So one draw gives every depth, and
    the depths are paired (a net dead at depth d is dead at every greater depth).
    """
    grid = input_grid(-HALF_WIDTH, HALF_WIDTH, config.grid_points).to(config.device)
    out = []
    for width in config.widths:
        model = LuNet(len(seeds), LuNetSpec(config.max_hidden, width), config.slope)
        model.reset(seeding.generators(seeds, "init"), config.init)
        dead = dead_layers(model.to(config.device), grid)          # [S, hidden]
        out.append(torch.cummax(dead.to(torch.int8), dim=1).values.bool())
    return {"born_dead": torch.stack(out, 1).cpu().numpy()}
