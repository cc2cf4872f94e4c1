"""Experiments the claims share: configuration as data, one cached run per configuration.

A claim module asks for a run by configuration; the run is computed once per seed shard
and kept in the result cache, so several claims (and several xdist workers) asserting
on one experiment share it.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch

from deepclaims import seeding
from deepclaims.cache import ResultCache
from deepclaims.data.embedded import embedded
from deepclaims.errors import ConfigError
from deepclaims.probes import EpochProbe, StepGradientProbe, activation_stats, dense_weights, relative_change
from deepclaims.training import TrainConfig, one_cpu_thread, train
from models.mlp import DenseSpec, build
from models.plain_reference import PlainResNet, fit, keras_init_, plain_ffnet


@dataclass(frozen=True)
class Run:
    """One training set-up: data set, model, training, and which probes to record."""

    dataset: str
    model: str
    spec: DenseSpec
    train: TrainConfig
    seeds: int
    epoch_probe: bool = False
    probe_every_layer: bool = False  # keep raw values of every layer, not only bottom and top
    step_probe: bool = False
    data_seed: int = 0
    device: str = "cpu"

    def at_depth(self, depth: int) -> "Run":
        return replace(self, spec=replace(self.spec, depth=depth))


def _compute(run: Run, seeds: list[int]) -> dict[str, np.ndarray]:
    with one_cpu_thread(run.device):
        return _train_and_probe(run, seeds)


def _train_and_probe(run: Run, seeds: list[int]) -> dict[str, np.ndarray]:
    device = torch.device(run.device)
    data = embedded(run.dataset, data_seed=run.data_seed).to(device)
    model = build(run.model, len(seeds), run.spec, seeding.generators(seeds, "init")).to(device)
    layers = len(model.dense_layers())
    keep = tuple(range(layers)) if run.probe_every_layer else (0, layers - 2)
    epoch_probe = EpochProbe(data.x_train, data.y_train, run.train.loss, keep) if run.epoch_probe else None
    step_probe = StepGradientProbe() if run.step_probe else None
    initial = [w.detach().clone() for w in dense_weights(model)]
    result = train(model, data, run.train, seeds, on_step=step_probe, on_epoch_end=epoch_probe)
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


def run(cache: ResultCache, experiment: str, config: Run, seed_base: int, shard_size: int = 32):
    """The merged results of ``config`` over seeds seed_base .. seed_base+config.seeds-1."""
    seeds = seeding.seed_range(seed_base, config.seeds)
    return cache.sharded(experiment, config, seeds, lambda s: _compute(config, s), shard_size)


@dataclass(frozen=True)
class PlainRun:
    """The plain-PyTorch reference (``models.plain_reference``) trained one seed at a time
    from its own initialisation: ``torch.manual_seed(seed)``, then Keras' defaults drawn by
    ``nn.init`` (Glorot-uniform kernels, zero biases) and a reshuffle every epoch."""

    dataset: str
    model: str            # "ffnet" or "resnet"
    spec: DenseSpec
    train: TrainConfig
    seeds: int
    data_seed: int = 0


def plain_net(model: str, spec: DenseSpec) -> torch.nn.Module:
    if model == "ffnet":
        return plain_ffnet(spec.in_features, spec.width, spec.depth, spec.out_features, spec.activation)
    if model == "resnet":
        return PlainResNet(spec.in_features, spec.width, spec.depth, spec.out_features, spec.activation)
    raise ConfigError(f"no plain reference for model {model!r}; accepted: ffnet, resnet")


def _plain_compute(config: PlainRun, seeds: list[int]) -> dict[str, np.ndarray]:
    data = embedded(config.dataset, data_seed=config.data_seed)
    histories = []
    with one_cpu_thread():
        for seed in seeds:
            torch.manual_seed(seed)
            net = keras_init_(plain_net(config.model, config.spec))
            histories.append(fit(net, data.x_train, data.y_train, data.x_test, data.y_test,
                                 epochs=config.train.epochs, batch_size=config.train.batch_size,
                                 lr=config.train.lr, momentum=config.train.momentum, loss=config.train.loss))
    return {"test_acc": np.array([h.test_acc for h in histories]),
            "epoch_loss": np.stack([h.epoch_loss for h in histories]),
            "final_weight_change": np.stack([h.relative_weight_change() for h in histories])}


def plain_run(cache: ResultCache, experiment: str, config: PlainRun, seed_base: int) -> dict[str, np.ndarray]:
    """The reference's results over seeds seed_base .. seed_base+config.seeds-1 (cached)."""
    seeds = seeding.seed_range(seed_base, config.seeds)
    return cache.sharded(experiment, config, seeds, lambda s: _plain_compute(config, s), 32)
