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

Where dropout goes (:data:`DROPOUT_PLACEMENTS`) is a set-up choice the lab leaves open and
that decides E3 and E4. The lab says "For hidden layers use a dropout probability of 0.5 and
for input, layer take it to be 0.2"; LeNet-5's hidden layers are C1, C3, F5 and F6, so the
judged placement (``all_hidden``) drops 0.5 after each of the four, the two conv layers
included. It is the lab's most direct reading, and a student following it writes this net;
it is also a heavy regulariser for a LeNet-5 (6 and 16 channels) on 300 images, so the two
other readings are sensitivity rows: ``dense_only`` (0.2 on the input, 0.5 after F5 and F6,
none after the convolutions: the placement of most framework examples) and
``srivastava_conv`` (the retain probabilities Srivastava et al. 2014 used for their conv net,
section 6.1.2 and appendix B.2, SVHN: "p = (0.9, 0.75, 0.75, 0.5, 0.5, 0.5) ... going from
input to convolutional layers to fully connected layers": retain 0.9 on the input, 0.75 after
the conv layers, 0.5 after the dense ones, i.e. drop 0.1 / 0.25 / 0.5; their net had three conv
layers, the third at 0.5, LeNet-5 has two and takes the first two's 0.75). Their MNIST nets,
whose 0.8 / 0.5 the lab copies, were fully connected, so the paper states no LeNet-5 placement.

E5's weight-scaling net trains at TRAIN's rate divided by p**2, p the hidden layers' retain
probability (:func:`train_config` says why): at TRAIN's rate it learned nothing (loss 2.306 to
2.272, test accuracy 0.18 at ci).

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
# Where dropout goes (see the module docstring); the judged placement first.
DROPOUT_PLACEMENTS = {
    "all_hidden": dict(input_dropout=0.2, hidden_dropout=0.5),                       # the lab's words, judged
    "dense_only": dict(input_dropout=0.2, hidden_dropout=0.5, conv_dropout=0.0),
    "srivastava_conv": dict(input_dropout=0.1, conv_dropout=0.25, hidden_dropout=0.5),  # SVHN, appendix B.2
}
JUDGED_PLACEMENT = "all_hidden"
PLACEMENT_ROWS = ("dense_only", "srivastava_conv")
PLACEMENT_SETUPS = {
    "all_hidden": "dropout 0.2 on the input and 0.5 after every hidden layer, the two conv layers included",
    "dense_only": "dropout 0.2 on the input and 0.5 after the dense hidden layers only, none after the conv layers",
    "srivastava_conv": "Srivastava et al. 2014's conv-net retain probabilities (appendix B.2, SVHN): 0.9 on the "
                       "input, 0.75 after the conv layers, 0.5 after the dense ones",
}
DROPOUT = DROPOUT_PLACEMENTS[JUDGED_PLACEMENT]
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
    row_seeds: int            # seeds of E2's sensitivity rows and of E3's and E4's placement rows
    rule_seeds: int           # random layers of E5's enumerated-mask check


TIERS = {
    "smoke": BNDropoutTier(dataset="digits28", train_size=128, epochs=1, seeds=3, row_seeds=3, rule_seeds=3),
    "ci": BNDropoutTier(dataset="digits28", train_size=300, epochs=15, seeds=8, row_seeds=8, rule_seeds=16),
    "lab": BNDropoutTier(dataset="mnist", train_size=None, epochs=10, seeds=16, row_seeds=16, rule_seeds=64),
}


def train_config(spec: LeNetSpec, epochs: int) -> TrainConfig:
    """TRAIN for ``epochs``; a net trained under Srivastava's weight-scaling rule at TRAIN's
    rate divided by p**2, p the hidden layers' retain probability (0.5: 0.04).

    Why: weight scaling trains without inverted dropout's 1/p, so a layer after a dropout
    layer with retain p receives p times the inputs the inverted net's layer receives; its
    weights W compute what the inverted net's weights p W compute, in training and at test
    time alike. An SGD step of size lr on W moves p W by p**2 lr times the gradient with
    respect to p W (momentum is linear, so the same holds with momentum): at one rate the
    weight-scaling net learns like the inverted net at a quarter of its rate (p = 0.5) from
    weights half as large, in every layer after a hidden dropout layer (C3, F5, F6 and the
    output; C1, after the input's retain 0.8, then steps 1.56 times the inverted net's). At
    TRAIN's 0.01 it learned nothing in 15 epochs (test accuracy 0.18 at ci). Dividing the
    rate by p**2 gives those layers the inverted net's step in what they compute; the weights
    still start at Glorot's draw, as a user's weight-scaling net would.
    """
    config = replace(TRAIN, epochs=epochs)
    if spec.dropout_rule == "weight_scaling":
        config = replace(config, lr=TRAIN.lr / (1.0 - spec.hidden_dropout) ** 2)
    return config


def arm_run(tier: BNDropoutTier, environment: RunEnvironment, spec: LeNetSpec, how: str, **probes) -> LeNetRun:
    data_dir = environment.data_dir_for("mnist") if tier.dataset == "mnist" else None
    return LeNetRun(dataset=tier.dataset, input=how, spec=spec, train=train_config(spec, tier.epochs),
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


def placement_arms(placement: str) -> dict[str, tuple[LeNetSpec, str]]:
    """Dropout alone and BN + dropout (usual order) with dropout placed as ``placement``
    says: the arms E3's and E4's comparisons use beside BN alone, which has no dropout."""
    rates = DROPOUT_PLACEMENTS[placement]
    return {"dropout": (LeNetSpec(**rates), "standardised"),
            "bn_dropout": (LeNetSpec(**PYTORCH_BN, **rates), "standardised")}


def placement_rows_plan(tier: BNDropoutTier, environment: RunEnvironment) -> dict[str, Planned]:
    """E3's and E4's sensitivity rows: each other dropout placement's two arms on the first
    ``row_seeds`` of the run's seeds (paired with E1's and E2's arms on those seeds)."""
    return {f"{placement}_{name}": Planned(train_lenet, arm_run(tier, environment, spec, how), tier.row_seeds)
            for placement in PLACEMENT_ROWS for name, (spec, how) in placement_arms(placement).items()}


PLANS = {"e_arms": arms_plan, "e_input_bn_rows": input_bn_rows_plan, "e_rule_check": rule_check_plan,
         "e_longer_runs": longer_plan, "e_placement_rows": placement_rows_plan}
