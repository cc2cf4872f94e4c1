"""Topic E's experiments: LeNet-5 trained over seeds with batch norm and/or dropout
(:data:`train_lenet`), and the enumerated-mask check of dropout's test-time rules
(:data:`rule_expectation`).

Each is an :func:`deepclaims.experiment.experiment` over a keyword-built frozen
configuration naming its data set and real-data folder; the data are loaded inside
(:func:`lenet_data`), so the cache key covers everything a result depends on. Results
carry, per seed, a description of the data actually read (``dataset``): MNIST asked for
but absent from ``--data-dir`` falls back to the embedded stand-in, and the claim says so.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from deepclaims import seeding
from deepclaims.data.digits28 import digits28, standardised
from deepclaims.data.real import load_real
from deepclaims.dropout import RULES, set_dropout_rule
from deepclaims.errors import ConfigError
from deepclaims.experiment import experiment
from deepclaims.training import Split, TrainConfig, evaluate, train
from models.lenet import HIDDEN, LeNetSpec, PlainLeNet5, bn_input_variances, build_lenet, copy_seed_lenet_weights

DATASETS = ("digits28", "mnist")
INPUTS = ("standardised", "raw")   # raw: pixels in [0, 1], for the input-BN arm
PROBE_IMAGES = 256                 # the fixed batch of the BN-input variance probe and the mask average
MASK_DRAWS = 64                    # training-mode passes averaged for the expected logits (E5)
# The layer whose weights leave each dropout layer's units (dropout after BN, activation and pooling).
OUTGOING = {"input": "conv1", "conv1": "conv2", "conv2": "fc1", "fc1": "fc2", "fc2": "output"}


@dataclass(frozen=True, kw_only=True)
class LeNetRun:
    """One arm: a LeNet-5 set-up (``spec``), its input preparation and its training.

    ``train_size``: the first images of the training split used (digits28: the size of its
    training split, the rest is the test split; MNIST: None for all 60000). ``rule_probe``
    also evaluates a dropout net under the other test-time rule and against its
    mask-averaged training-mode logits (E5); ``variance_probe`` records each BN layer's
    input variance in training and in eval mode (E4, Li et al. 2019).
    """

    dataset: str
    input: str
    spec: LeNetSpec
    train: TrainConfig
    train_size: int | None
    data_dir: str | None = None
    variance_probe: bool = False
    rule_probe: bool = False
    device: str = "cpu"

    def __post_init__(self):
        if self.dataset not in DATASETS:
            raise ConfigError(f"unknown data set {self.dataset!r} for LeNet-5; accepted: {', '.join(DATASETS)}")
        if self.input not in INPUTS:
            raise ConfigError(f"unknown input preparation {self.input!r}; accepted: {', '.join(INPUTS)}")
        if self.train_size is not None and self.train_size < 1:
            raise ConfigError(f"train_size must be None or at least 1, got {self.train_size}")
        if self.rule_probe and not any(self.spec.dropout_rate(name) for name in ("input", *HIDDEN)):
            raise ConfigError("rule_probe compares dropout's test-time rules: the spec has no dropout")
        if self.rule_probe and (self.spec.dropout_order, self.spec.activation, self.spec.pool,
                                self.spec.image_size, self.spec.in_channels) != ("bn_first", "relu", "max", 28, 1):
            raise ConfigError("rule_probe's literal references (outgoing weights scaled by p; a plain nn.Dropout "
                              "LeNet-5) need the bn_first order, ReLU, max pooling and 28x28x1 images")


def lenet_data(dataset: str, data_dir: str | None, train_size: int | None) -> tuple[Split, str]:
    """(raw split with pixels in [0, 1], description). MNIST from ``data_dir`` when it holds
    it, else (and for ``digits28``) the embedded 28x28 digits stand-in."""
    if dataset == "mnist":
        real = load_real("mnist", None if data_dir is None else Path(data_dir))
        if real is not None:
            n = len(real.y_train) if train_size is None else min(train_size, len(real.y_train))
            split = Split(real.x_train[:n], real.y_train[:n].long(), real.x_test, real.y_test.long())
            return split, f"MNIST ({n} training / {len(real.y_test)} test images)"
    size = 300 if train_size is None else train_size
    split = digits28(train_size=size)
    fallback = " (MNIST not found in the data folders)" if dataset == "mnist" else ""
    return split, (f"embedded 8x8 digits resized to 28x28, {size} training / {len(split.y_test)} test "
                   f"images{fallback}")


def prepared(split: Split, how: str) -> Split:
    return standardised(split) if how == "standardised" else split


def one_step(config: LeNetRun) -> LeNetRun:
    """One minibatch of one epoch (the lab dry run's shrink), at the configured shapes."""
    return replace(config, train=replace(config.train, epochs=1), train_size=config.train.batch_size)


def one_training(config: LeNetRun) -> tuple[int, int]:
    return 1, config.train.epochs


MNIST_TRAIN = 60000


def work_ratio(config: LeNetRun) -> float:
    """The time estimate's multiplier: ``one_step`` trains one minibatch, so the ratio is of
    training images processed (all of MNIST's when ``train_size`` is None)."""
    n = config.train_size or (MNIST_TRAIN if config.dataset == "mnist" else 300)
    return config.train.epochs * n / config.train.batch_size


def two_steps(config: LeNetRun) -> LeNetRun:
    """``one_step`` with twice the training images (the time estimate's second point)."""
    return replace(one_step(config), train_size=2 * config.train.batch_size)


# concurrent: every draw comes from the seeds' generators (the plain reference's default
# initialisation draws from the global one, but its weights are overwritten and nothing reads it).
@experiment("E_lenet", one_step=one_step, size=one_training, shard_size=16, scale=work_ratio,
            two_step=two_steps, concurrent=True)
def train_lenet(config: LeNetRun, seeds: list[int]) -> dict[str, np.ndarray]:
    """Train the arm for every seed at once; per seed: scores, loss history, each BN layer's
    learned gamma and beta, and the probes the configuration asks for."""
    device = torch.device(config.device)
    raw, description = lenet_data(config.dataset, config.data_dir, config.train_size)
    data = prepared(raw, config.input).to(device)
    model = build_lenet(config.spec, seeds).to(device)
    out = train(model, data, config.train, seeds)
    for name, (gamma, beta) in model.bn_parameters().items():
        out[f"gamma_{name}"], out[f"beta_{name}"] = gamma, beta
    probe = data.x_train[:PROBE_IMAGES]
    if config.variance_probe:
        for name, (var_train, var_eval) in bn_input_variances(model, probe.expand(len(seeds), *probe.shape)).items():
            out[f"bn_var_train_{name}"], out[f"bn_var_eval_{name}"] = var_train, var_eval
    if config.rule_probe:
        out.update(rule_probe(model, data, config))
    out["dataset"] = np.array([description] * len(seeds))
    return out


def mask_averaged_logits(model, x: torch.Tensor, draws: int) -> torch.Tensor:
    """The mean over ``draws`` dropout masks of the training-time logits [S, B, classes]
    (dropout on, BN on its running averages): the expectation the test-time rules stand in for."""
    model.eval()
    for layer in model.drops.values():
        layer.train()
    try:
        with torch.no_grad():
            return torch.stack([model(x) for _ in range(draws)]).mean(0)
    finally:
        model.eval()


def rule_probe(model, data: Split, config: LeNetRun) -> dict[str, np.ndarray]:
    """E5's evidence on a trained dropout net: test loss and accuracy under the other rule,
    and the relative distance of the eval-mode logits under each rule from the
    mask-averaged training-mode logits, on the first PROBE_IMAGES test images."""
    trained = config.spec.dropout_rule
    other = next(r for r in RULES if r != trained)
    x = data.x_test[:PROBE_IMAGES]
    xs = x.expand(model.n_seeds, *x.shape)
    expected = mask_averaged_logits(model, xs, MASK_DRAWS)
    out, matching = {}, None
    for label, rule in (("matching", trained), ("mismatched", other)):
        set_dropout_rule(model, rule)
        model.eval()
        with torch.no_grad():
            logits = model(xs)
        matching = logits if rule == trained else matching
        out[f"{label}_logit_gap"] = relative_gap(logits, expected)
        loss, acc = evaluate(model, data.x_test, data.y_test, config.train.loss)
        out[f"{label}_test_loss"], out[f"{label}_test_acc"] = loss, acc
    set_dropout_rule(model, trained)
    literal = srivastava_logits(model, xs) if trained == "weight_scaling" else pytorch_logits(model, xs)
    out["literal_rule_max_gap"] = max_gap(matching, literal)
    return out


def relative_gap(logits: torch.Tensor, reference: torch.Tensor) -> np.ndarray:
    """Per seed: ||logits - reference|| / ||reference|| over the batch."""
    return ((logits - reference).flatten(1).norm(dim=1) / reference.flatten(1).norm(dim=1)).cpu().numpy()


def max_gap(logits: torch.Tensor, reference: torch.Tensor) -> np.ndarray:
    """Per seed: max |logits - reference| relative to max |reference| (float rounding: ~1e-7)."""
    return ((logits - reference).flatten(1).abs().max(1).values / reference.flatten(1).abs().max(1).values
            ).cpu().numpy()


def srivastava_logits(model, x: torch.Tensor) -> torch.Tensor:
    """Srivastava et al.'s test-time rule as the paper words it (section 4): no dropout, and
    "the outgoing weights of that unit are multiplied by p": each weight layer after a
    dropout layer is scaled by that layer's retain probability, then restored."""
    saved = {name: getattr(model, OUTGOING[name]).weight.detach().clone() for name in model.drops}
    rules = {name: layer.rule for name, layer in model.drops.items()}
    try:
        with torch.no_grad():
            for name, layer in model.drops.items():
                getattr(model, OUTGOING[name]).weight.mul_(layer.retain)
            set_dropout_rule(model, "inverted")      # the identity at test time: no dropout, no scaling
            model.eval()
            return model(x)
    finally:
        with torch.no_grad():
            for name, weight in saved.items():
                getattr(model, OUTGOING[name]).weight.copy_(weight)
        for name, layer in model.drops.items():
            layer.rule = rules[name]


def pytorch_logits(model, x: torch.Tensor) -> torch.Tensor:
    """Each seed's weights in a plain-PyTorch LeNet-5 (nn.Dropout, inverted) in eval mode."""
    spec, logits = model.spec, []
    for i in range(model.n_seeds):
        plain = PlainLeNet5(spec.batch_norm, spec.input_batch_norm, spec.input_dropout, spec.hidden_dropout,
                            spec.bn_eps, spec.bn_momentum, spec.conv_dropout).to(x.device)
        copy_seed_lenet_weights(plain, model, i).eval()
        with torch.no_grad():
            logits.append(plain(x[i]))
    return torch.stack(logits)


# ---------------------------------------------------------------- the test-time rules, exactly

@dataclass(frozen=True, kw_only=True)
class RuleCheck:
    """A random linear layer (``units`` inputs, ``outputs`` outputs) after dropout with
    retain probability ``retain``, its training-time output averaged over all 2**units
    masks, weighted by their probabilities (float64)."""

    units: int = 10
    outputs: int = 5
    retain: float = 0.5

    def __post_init__(self):
        if not 1 <= self.units <= 16:
            raise ConfigError(f"the mask enumeration takes 1 to 16 units (2**units masks), got {self.units}")
        if not 0 < self.retain <= 1:
            raise ConfigError(f"retain must lie in (0, 1], got {self.retain}")


def as_is(config):
    return config


def no_training(config) -> tuple[int, int]:
    return 0, 0


@experiment("E_rule_expectation", one_step=as_is, size=no_training)
def rule_expectation(config: RuleCheck, seeds: list[int]) -> dict[str, np.ndarray]:
    """Per seed and rule: max |E_masks[W (training-time dropout of a)] - W (test-time a)|
    over the outputs, and the same gap with the other rule's test-time output (the
    mismatched pairing), each relative to max |W a|."""
    masks = torch.tensor(list(itertools.product((0.0, 1.0), repeat=config.units)), dtype=torch.float64)
    kept = masks.sum(1)
    weights = config.retain ** kept * (1 - config.retain) ** (config.units - kept)    # P(mask)
    p = config.retain
    train_scale = {"inverted": 1 / p, "weight_scaling": 1.0}
    test_scale = {"inverted": 1.0, "weight_scaling": p}
    out = {f"{kind}_{rule}": [] for kind in ("matching", "mismatched") for rule in RULES}
    for gen in seeding.generators(seeds, "init"):
        w = torch.randn(config.outputs, config.units, generator=gen, dtype=torch.float64)
        a = torch.randn(config.units, generator=gen, dtype=torch.float64).abs()   # post-ReLU activations
        scale = (w @ a).abs().max()
        for rule in RULES:
            expected = weights @ ((masks * a * train_scale[rule]) @ w.T)
            other = next(r for r in RULES if r != rule)
            for kind, test_rule in (("matching", rule), ("mismatched", other)):
                gap = (expected - w @ (a * test_scale[test_rule])).abs().max() / scale
                out[f"{kind}_{rule}"].append(float(gap))
    return {k: np.array(v) for k, v in out.items()}

