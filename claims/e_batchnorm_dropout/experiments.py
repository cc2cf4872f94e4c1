"""Topic E's set-ups, tiers and plans: LeNet-5 with batch norm, dropout, both, on MNIST
(lab) or the embedded 28x28 digits (ci), every arm on the same seeds.

Training, the same for every arm (fixed before any result was seen): SGD with learning rate
0.01 (Keras' SGD default) and momentum 0.9, minibatch 32, cross-entropy. Batch norm takes
PyTorch's nn.BatchNorm defaults (eps 1e-5, momentum 0.1), what a PyTorch user's LeNet-5
has: Keras' momentum 0.01 moves the running averages with a time constant of 100 steps,
and at ci an arm trains for 150 steps, so its eval-mode statistics would still sit near
their starting values (mean 0, variance 1); E2 records Keras' defaults as a sensitivity row.
Dropout: 0.2 on the input and 0.5 after each hidden layer (the lab, after Srivastava et al.
2014), inverted unless an arm says otherwise.

Data. lab: MNIST from --data-dir (60000 / 10000), else the stand-in. ci: the 8x8 digits
resized to 28x28 (deepclaims.data.digits28), 300 training images and the other 1497 for
testing, so a LeNet-5 is not at its ceiling and the arms can differ.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from claims.e_batchnorm_dropout.runs import LeNetRun, RuleCheck, rule_expectation, train_lenet
from deepclaims.experiment import Planned, RunEnvironment
from deepclaims.training import TrainConfig
from models.lenet import LeNetSpec

TRAIN = TrainConfig(epochs=15, batch_size=32, lr=0.01, momentum=0.9, loss="ce")
PYTORCH_BN = dict(batch_norm=True, bn_eps=1e-5, bn_momentum=0.1)
KERAS_BN = dict(batch_norm=True, bn_eps=1e-3, bn_momentum=0.01)
DROPOUT = dict(input_dropout=0.2, hidden_dropout=0.5)
# The 'another seed base' rows start this far above the run's seed base, so their seeds
# overlap none of the run's own for any base a user would pass.
OTHER_SEED_OFFSET = 100_000

# Each arm: (LeNet-5 options, input preparation). E1 standardises the input with the
# training split's statistics; E2 feeds raw [0, 1] pixels to a BN layer instead.
ARMS: dict[str, tuple[LeNetSpec, str]] = {
    "bn": (LeNetSpec(**PYTORCH_BN), "standardised"),                                             # E1
    "input_bn": (LeNetSpec(**PYTORCH_BN, input_batch_norm=True), "raw"),                         # E2
    "dropout": (LeNetSpec(**DROPOUT), "standardised"),                                           # E3, E5
    "dropout_weight_scaling": (LeNetSpec(**DROPOUT, dropout_rule="weight_scaling"), "standardised"),  # E5
    "bn_dropout": (LeNetSpec(**PYTORCH_BN, **DROPOUT), "standardised"),                          # E4, usual order
    "dropout_bn": (LeNetSpec(**PYTORCH_BN, **DROPOUT, dropout_order="dropout_first"), "standardised"),  # E4, Li
}
RULE_PROBED = ("dropout", "dropout_weight_scaling")
VARIANCE_PROBED = ("bn_dropout", "dropout_bn")


@dataclass(frozen=True, kw_only=True)
class BNDropoutTier:
    dataset: str              # "digits28" or "mnist" (read from --data-dir, else the stand-in)
    train_size: int | None    # training images (None: the whole MNIST training set)
    epochs: int
    seeds: int
    row_seeds: int            # seeds of E2's sensitivity rows
    rule_seeds: int           # random layers of E5's enumerated-mask check


TIERS = {
    "smoke": BNDropoutTier(dataset="digits28", train_size=128, epochs=1, seeds=3, row_seeds=3, rule_seeds=3),
    "ci": BNDropoutTier(dataset="digits28", train_size=300, epochs=15, seeds=8, row_seeds=8, rule_seeds=16),
    "lab": BNDropoutTier(dataset="mnist", train_size=None, epochs=10, seeds=16, row_seeds=16, rule_seeds=64),
}


def arm_run(tier: BNDropoutTier, environment: RunEnvironment, spec: LeNetSpec, how: str, **probes) -> LeNetRun:
    data_dir = environment.data_dir_for("mnist") if tier.dataset == "mnist" else None
    return LeNetRun(dataset=tier.dataset, input=how, spec=spec, train=replace(TRAIN, epochs=tier.epochs),
                    train_size=tier.train_size, data_dir=data_dir, device=environment.device, **probes)


def arms_plan(tier: BNDropoutTier, environment: RunEnvironment, arms: dict[str, tuple[LeNetSpec, str]] = ARMS
              ) -> dict[str, Planned]:
    """Every arm on the tier's seeds (E1-E5 share them, so arms compare paired by seed)."""
    return {name: Planned(train_lenet, arm_run(tier, environment, spec, how, rule_probe=name in RULE_PROBED,
                                               variance_probe=name in VARIANCE_PROBED), tier.seeds)
            for name, (spec, how) in arms.items()}


def keras_bn(spec: LeNetSpec) -> LeNetSpec:
    return replace(spec, bn_eps=KERAS_BN["bn_eps"], bn_momentum=KERAS_BN["bn_momentum"])


def input_bn_rows_plan(tier: BNDropoutTier, environment: RunEnvironment) -> dict[str, Planned]:
    """E2's sensitivity rows: E1's and E2's arms on another seed base, and with Keras'
    BatchNormalization defaults."""
    out = {}
    for name in ("bn", "input_bn"):
        spec, how = ARMS[name]
        out[f"other_seeds_{name}"] = Planned(train_lenet, arm_run(tier, environment, spec, how), tier.row_seeds,
                                             OTHER_SEED_OFFSET)
        out[f"keras_{name}"] = Planned(train_lenet, arm_run(tier, environment, keras_bn(spec), how), tier.row_seeds)
    return out


def rule_check_plan(tier: BNDropoutTier, environment: RunEnvironment) -> dict[str, Planned]:
    """E5's exact check: random layers after dropout with the lab's two retain probabilities."""
    return {f"retain_{p}": Planned(rule_expectation, RuleCheck(retain=p), tier.rule_seeds) for p in (0.5, 0.8)}


def longer_budget(tier: BNDropoutTier) -> BNDropoutTier:
    """Twice the tier's epochs: E3's and E4's sensitivity row (dropout alone learns slowly,
    so its comparisons depend on the budget)."""
    return replace(tier, epochs=2 * tier.epochs)


def longer_plan(tier: BNDropoutTier, environment: RunEnvironment) -> dict[str, Planned]:
    """BN alone, dropout alone and both (usual order) at twice the budget, on the same seeds."""
    return {name: Planned(train_lenet, arm_run(longer_budget(tier), environment, *ARMS[name]), tier.seeds)
            for name in ("bn", "dropout", "bn_dropout")}


PLANS = {"e_arms": arms_plan, "e_input_bn_rows": input_bn_rows_plan, "e_rule_check": rule_check_plan,
         "e_longer_runs": longer_plan}
