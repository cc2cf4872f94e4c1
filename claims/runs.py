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
from deepclaims.probes import EpochProbe, StepGradientProbe, activation_stats
from deepclaims.training import TrainConfig, one_cpu_thread, train
from models.mlp import DenseSpec, build


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
    result = train(model, data, run.train, seeds, on_step=step_probe, on_epoch_end=epoch_probe)
    stats = activation_stats(model, data.x_test)
    result.update({f"act_{k}": v for k, v in stats.items()})
    if epoch_probe:
        result.update(epoch_probe.result())
    if step_probe:
        result.update(step_probe.result())
    return result


def run(cache: ResultCache, experiment: str, config: Run, seed_base: int, shard_size: int = 32):
    """The merged results of ``config`` over seeds seed_base .. seed_base+config.seeds-1."""
    seeds = seeding.seed_range(seed_base, config.seeds)
    return cache.sharded(experiment, config, seeds, lambda s: _compute(config, s), shard_size)
