"""Topic C's set-ups, tiers and plans: which stacks are probed, which nets trained, at
each fidelity.

The forward-pass claims (C1-C5) use one stack shape (models.init_stacks): Dense(784->100),
5 x Dense(100->100), Dense(100->10), zero biases, as CLAIMS.md describes Perunicic's code,
probed on one fixed batch of MNIST-shaped images (the embedded 8x8 digits resized to 28x28
in [0, 1]; real MNIST test images at lab fidelity when --data-dir holds them).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from claims.c_init.runs import MLP002Run, ProbeRun, StackTrain, probe_stack, train_mlp002, train_stack
from deepclaims.experiment import Planned, RunEnvironment
from deepclaims.training import TrainConfig
from models.init_stacks import StackSpec

SMALL_SIGMA = 0.01   # Godoy's sigmoid + N(0, 0.01)
LARGE_SIGMA = 1.0    # a standard normal, the classic "too large" initialisation
MID_SIGMA = 0.1      # a reference stack between the two (figures only)
PERUNICIC_SIGMAS = (0.10, 0.14, 0.28)   # ReLU: shrinks, holds, grows (C4)

BASE = StackSpec(in_features=784, width=100, hidden=5, out_features=10)
NON_SATURATING = ("relu", "leaky_relu", "elu", "selu")
SATURATING = ("sigmoid", "tanh")
RECOMMENDED_INIT = {"sigmoid": "glorot_normal", "tanh": "glorot_normal", "relu": "he_normal",
                    "leaky_relu": "he_normal", "elu": "he_normal", "selu": "lecun_normal"}
ALL_GLOROT_UNIFORM = {a: "glorot_uniform" for a in RECOMMENDED_INIT}
# Godoy's pairing uses the uniform variants (tanh + Glorot-uniform, ReLU + He-uniform);
# SELU keeps LeCun-normal, the only initialiser its self-normalisation is derived for.
UNIFORM_VARIANTS = {"sigmoid": "glorot_uniform", "tanh": "glorot_uniform", "relu": "he_uniform",
                    "leaky_relu": "he_uniform", "elu": "he_uniform", "selu": "lecun_normal"}
DEEPER_HIDDEN = 10   # "deep net": twice the sources' five hidden layers
# The 'another seed base' sensitivity rows start this far above the run's seed base, far
# from any base a user would pass, so their seeds overlap none of the run's own.
OTHER_SEED_OFFSET = 100_000

LAB_002_TRAIN = TrainConfig(epochs=15, batch_size=32, lr=0.01, loss="ce")  # Keras SGD defaults
EXPLODING = StackSpec(in_features=64, activation="relu", init="normal", sigma=0.28)
C6_TRAIN = TrainConfig(epochs=3, batch_size=32, lr=0.05, momentum=0.9, loss="ce")
CLIP_NORM = 1.0
UNSCALED_FACTOR = 255.0       # the lab's mismatch: 0..255 pixels into a net trained on 0..1


@dataclass(frozen=True, kw_only=True)
class InitTier:
    probe_seeds: int
    probe_images: int     # the fixed input batch of C1-C5
    train_seeds: int      # C3 budget and C6 arms
    c3_epochs: int
    c6_epochs: int
    c7_seeds: int
    c7_epochs: int
    real_data: bool       # use --data-dir's MNIST / Fashion-MNIST when present
    # Seeds of the C1/C5 sensitivity rows that need probes of their own. The findings'
    # deciding parts lie several interval widths from their thresholds, so half the
    # claim's seeds decide each row.
    row_seeds: int


TIERS = {
    "smoke": InitTier(probe_seeds=6, probe_images=128, train_seeds=4, c3_epochs=1, c6_epochs=1, c7_seeds=2,
                      c7_epochs=2, real_data=False, row_seeds=4),
    "ci": InitTier(probe_seeds=32, probe_images=256, train_seeds=10, c3_epochs=2, c6_epochs=3, c7_seeds=8,
                   c7_epochs=15, real_data=False, row_seeds=16),
    "lab": InitTier(probe_seeds=64, probe_images=1000, train_seeds=32, c3_epochs=5, c6_epochs=5, c7_seeds=16,
                    c7_epochs=15, real_data=True, row_seeds=32),
}


def normal(act: str, sigma: float) -> StackSpec:
    return replace(BASE, activation=act, init="normal", sigma=sigma)


def scheme(act: str, init: str) -> StackSpec:
    return replace(BASE, activation=act, init=init, sigma=None)


def c1_stacks(references: bool = True) -> dict[str, StackSpec]:
    """The C1/C2 stacks: each saturating activation under N(0, 0.01) and N(0, 1), and with
    ``references`` N(0, 0.1) and Glorot-normal too."""
    stacks = {}
    for act in SATURATING:
        stacks[f"{act}_small"] = normal(act, SMALL_SIGMA)
        stacks[f"{act}_large"] = normal(act, LARGE_SIGMA)
        if references:
            stacks[f"{act}_xavier"] = scheme(act, "glorot_normal")
            stacks[f"{act}_mid"] = normal(act, MID_SIGMA)
    return stacks


def sigma_key(sigma: float) -> str:
    return f"sigma_{sigma:.2f}"


def relu_stacks() -> dict[str, StackSpec]:
    """C3's and C4's ReLU stacks: He- and Glorot-normal, and Perunicic's three sigmas."""
    return {"he": scheme("relu", "he_normal"), "xavier": scheme("relu", "glorot_normal"),
            **{sigma_key(s): normal("relu", s) for s in PERUNICIC_SIGMAS}}


def c5_stacks(inits: dict[str, str], hidden: int = BASE.hidden) -> dict[str, StackSpec]:
    """activation -> stack, each activation under ``inits[activation]``."""
    return {a: replace(scheme(a, inits[a]), hidden=hidden) for a in SATURATING + NON_SATURATING}


def evidence(probe_spec, stacks: dict[str, StackSpec]) -> dict:
    """``probe_spec(spec)`` of every stack, by the stacks' keys (tests probe directly)."""
    return {key: probe_spec(spec) for key, spec in stacks.items()}


# ---------------------------------------------------------------- plans

def probe_plan(stacks: dict[str, StackSpec], tier: InitTier, environment: RunEnvironment, seeds: int,
               first_seed: int = 0) -> dict[str, Planned]:
    """Every stack probed on the tier's fixed batch (real MNIST at a real-data tier)."""
    dataset, data_dir = ("mnist", environment.data_dir_for("mnist")) if tier.real_data else ("upsampled_digits", None)
    return {key: Planned(probe_stack, ProbeRun(spec=spec, images=tier.probe_images, dataset=dataset,
                                               data_dir=data_dir), seeds, first_seed)
            for key, spec in stacks.items()}


def saturating_plan(tier: InitTier, environment: RunEnvironment) -> dict[str, Planned]:
    return probe_plan(c1_stacks(), tier, environment, tier.probe_seeds)


def saturating_other_base_plan(tier: InitTier, environment: RunEnvironment) -> dict[str, Planned]:
    return probe_plan(c1_stacks(references=False), tier, environment, tier.row_seeds, OTHER_SEED_OFFSET)


def relu_plan(tier: InitTier, environment: RunEnvironment) -> dict[str, Planned]:
    return probe_plan(relu_stacks(), tier, environment, tier.probe_seeds)


def activations_plan(tier: InitTier, environment: RunEnvironment) -> dict[str, Planned]:
    return probe_plan(c5_stacks(RECOMMENDED_INIT), tier, environment, tier.probe_seeds)


def glorot_uniform_rows_plan(tier: InitTier, environment: RunEnvironment) -> dict[str, Planned]:
    return probe_plan(c5_stacks(ALL_GLOROT_UNIFORM), tier, environment, tier.row_seeds)


def uniform_variant_rows_plan(tier: InitTier, environment: RunEnvironment) -> dict[str, Planned]:
    return probe_plan(c5_stacks(UNIFORM_VARIANTS), tier, environment, tier.row_seeds)


def deeper_rows_plan(tier: InitTier, environment: RunEnvironment) -> dict[str, Planned]:
    return probe_plan(c5_stacks(RECOMMENDED_INIT, DEEPER_HIDDEN), tier, environment, tier.row_seeds)


def activations_other_base_plan(tier: InitTier, environment: RunEnvironment) -> dict[str, Planned]:
    return probe_plan(c5_stacks(RECOMMENDED_INIT), tier, environment, tier.row_seeds, OTHER_SEED_OFFSET)


def budget_run(init: str, tier: InitTier, device: str = "cpu") -> StackTrain:
    """C3's training budget: a ReLU stack on the 64-pixel digits under ``init``."""
    return StackTrain(spec=StackSpec(in_features=64, activation="relu", init=init),
                      train=replace(LAB_002_TRAIN, epochs=tier.c3_epochs), device=device)


def budget_plan(tier: InitTier, environment: RunEnvironment) -> dict[str, Planned]:
    return {init: Planned(train_stack, budget_run(init, tier, environment.device), tier.train_seeds)
            for init in ("he_normal", "glorot_normal")}


def c6_train(tier: InitTier) -> TrainConfig:
    return replace(C6_TRAIN, epochs=tier.c6_epochs)


def clipping_plan(tier: InitTier, environment: RunEnvironment) -> dict[str, Planned]:
    """C6's arms: the exploding stack trained without and with gradient-norm clipping."""
    arm = lambda train: Planned(train_stack, StackTrain(spec=EXPLODING, train=train, device=environment.device),
                                tier.train_seeds)
    return {"unclipped": arm(c6_train(tier)), "clipped": arm(replace(c6_train(tier), clip_norm=CLIP_NORM))}


def mlp002_run(batch_norm: bool, tier: InitTier, environment: RunEnvironment) -> MLP002Run:
    """The 002 MLP on Fashion-MNIST at a real-data tier (the digits when absent), else the digits."""
    return MLP002Run(dataset="fashion_mnist" if tier.real_data else "digits", batch_norm=batch_norm,
                     train=replace(LAB_002_TRAIN, epochs=tier.c7_epochs), mismatch_scale=UNSCALED_FACTOR,
                     data_dir=environment.data_dir_for("fashion_mnist") if tier.real_data else None, device=environment.device)


def mlp002_plan(tier: InitTier, environment: RunEnvironment) -> dict[str, Planned]:
    return {"bn": Planned(train_mlp002, mlp002_run(True, tier, environment), tier.c7_seeds),
            "plain": Planned(train_mlp002, mlp002_run(False, tier, environment), tier.c7_seeds)}


PLANS = {"c_saturating": saturating_plan, "c_saturating_other_base": saturating_other_base_plan,
         "c_relu": relu_plan, "c_activations": activations_plan, "c_glorot_uniform_rows": glorot_uniform_rows_plan,
         "c_uniform_variant_rows": uniform_variant_rows_plan, "c_deeper_rows": deeper_rows_plan,
         "c_activations_other_base": activations_other_base_plan, "c_budget": budget_plan,
         "c_clipping": clipping_plan, "c_mlp002": mlp002_plan}
