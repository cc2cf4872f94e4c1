"""Dense-network experiments topics A and B share: the seed-batched engine's training
with probes (:data:`train_dense`), and the plain-PyTorch reference trained one seed at a
time (:data:`train_plain_reference`).

Each is an :func:`deepclaims.experiment.experiment`: a frozen, keyword-built configuration
and a list of seeds in, per-seed arrays out; the plugin's ``experiments.run`` caches it
per seed shard, so several claims (and several xdist workers) share one training.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch

from deepclaims import seeding
from deepclaims.data.embedded import embedded
from deepclaims.errors import ConfigError
from deepclaims.experiment import experiment
from deepclaims.probes import EpochProbe, StepGradientProbe, activation_stats, dense_weights, relative_change
from deepclaims.row_groups import flat_optimiser
from deepclaims.training import TrainConfig, make_optimizer, train
from models.mlp import DenseSpec, build
from models.plain_reference import PlainResNet, fit, keras_init_, plain_ffnet


@dataclass(frozen=True, kw_only=True)
class DenseRun:
    """One training set-up: data set, model, training, and which probes to record."""

    dataset: str
    model: str
    spec: DenseSpec
    train: TrainConfig
    epoch_probe: bool = False
    probe_every_layer: bool = False  # keep raw values of every layer, not only bottom and top
    step_probe: bool = False
    data_seed: int = 0
    device: str = "cpu"

    def at_depth(self, depth: int) -> "DenseRun":
        return replace(self, spec=replace(self.spec, depth=depth))


def one_epoch(config):
    """The configuration trained for one epoch (the lab dry run's shrink)."""
    return replace(config, train=replace(config.train, epochs=1))


def one_training(config) -> tuple[int, int]:
    return 1, config.train.epochs


# Seeds per shard of a dense run. The nets here are a few units wide, so a step costs its
# kernel launches, not its arithmetic: the lab FFNet's 5 epochs took 0.19 s for 32 seeds and
# 0.46 s for 160 (the ResNet 0.27 and 0.69 s), each seed's numbers bitwise the same however
# the seeds are sharded. A1's 160 extra outcome seeds and A7's 48 thus train as one model each.
DENSE_SHARD = 256


# concurrent: every draw comes from the seeds' generators (unlike the plain reference below,
# which seeds the global one).
@experiment("dense_training", one_step=one_epoch, size=one_training, shard_size=DENSE_SHARD, concurrent=True)
def train_dense(run: DenseRun, seeds: list[int]) -> dict[str, np.ndarray]:
    """Train ``run`` for every seed at once and record its probes, per seed."""
    device = torch.device(run.device)
    data = embedded(run.dataset, data_seed=run.data_seed).to(device)
    model = build(run.model, len(seeds), run.spec, seeding.generators(seeds, "init")).to(device)
    layers = len(model.dense_layers())
    keep = tuple(range(layers)) if run.probe_every_layer else (0, layers - 2)
    epoch_probe = EpochProbe(data.x_train, data.y_train, run.train.loss, keep) if run.epoch_probe else None
    step_probe = StepGradientProbe() if run.step_probe else None
    initial = [w.detach().clone() for w in dense_weights(model)]
    # One flat optimiser over all parameters: the deep, narrow nets here have 2 tensors per
    # layer, and updating them as one tensor takes one call per update operation instead of
    # one per tensor, with bitwise the same numbers.
    optimizer = flat_optimiser(model.parameters(), run.train, make_optimizer)
    result = train(model, data, run.train, seeds, on_step=step_probe, on_epoch_end=epoch_probe, optimizer=optimizer)
    result.update(weight_change_since(initial, model))
    stats = activation_stats(model, data.x_test)
    result.update({f"act_{k}": v for k, v in stats.items()})
    if epoch_probe:
        result.update(epoch_probe.result())
    if step_probe:
        result.update(step_probe.result())
    return result


def weight_change_since(initial: list[torch.Tensor], model) -> dict[str, np.ndarray]:
    """How far each dense layer's weights moved in training, per seed [S, layers]:
    ``final_weight_change`` relative to the initial norm, ``final_weight_rms_change`` in
    absolute terms (RMS of the change). Cheap, so every run records it (A4's alternative
    set-ups need it without per-epoch probes)."""
    final = [w.detach() for w in dense_weights(model)]
    rms = [(w - w0).flatten(1).pow(2).mean(1).sqrt() for w, w0 in zip(final, initial)]
    return {"final_weight_change": relative_change(final, initial).cpu().numpy(),
            "final_weight_rms_change": torch.stack(rms, 1).cpu().numpy()}


@dataclass(frozen=True, kw_only=True)
class PlainRun:
    """The plain-PyTorch reference (``models.plain_reference``) trained one seed at a time
    from its own initialisation: ``torch.manual_seed(seed)``, then Keras' defaults drawn by
    ``nn.init`` (Glorot-uniform kernels, zero biases) and a reshuffle every epoch."""

    dataset: str
    model: str            # "ffnet" or "resnet"
    spec: DenseSpec
    train: TrainConfig
    data_seed: int = 0


def plain_net(model: str, spec: DenseSpec) -> torch.nn.Module:
    if model == "ffnet":
        return plain_ffnet(spec.in_features, spec.width, spec.depth, spec.out_features, spec.activation)
    if model == "resnet":
        return PlainResNet(spec.in_features, spec.width, spec.depth, spec.out_features, spec.activation)
    raise ConfigError(f"no plain reference for model {model!r}; accepted: ffnet, resnet")


@experiment("plain_reference_training", one_step=one_epoch, size=one_training)
def train_plain_reference(config: PlainRun, seeds: list[int]) -> dict[str, np.ndarray]:
    """The reference trained once per seed, one after another."""
    data = embedded(config.dataset, data_seed=config.data_seed)
    histories = []
    for seed in seeds:
        torch.manual_seed(seed)
        net = keras_init_(plain_net(config.model, config.spec))
        histories.append(fit(net, data.x_train, data.y_train, data.x_test, data.y_test,
                             epochs=config.train.epochs, batch_size=config.train.batch_size,
                             lr=config.train.lr, momentum=config.train.momentum, loss=config.train.loss))
    return {"test_acc": np.array([h.test_acc for h in histories]),
            "epoch_loss": np.stack([h.epoch_loss for h in histories]),
            "final_weight_change": np.stack([h.relative_weight_change() for h in histories])}
