"""Seed-batched training with each adaptive optimiser equals each seed's solo run.

Every method's update is element-wise, and a seed's gradient depends only on its own
slice of the stacked parameters, so S seeds trained in one model must follow the same
trajectories as S separate trainings. Checked for the five methods of topic G with L2
on, on a two-hidden-layer ReLU net (the lab's MLP, narrowed) trained by
``deepclaims.training.train``. The negative control couples the seeds through their
gradients (a planted bug: each seed's gradient nudged towards the seeds' mean) and
requires the comparison to fail.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from deepclaims import seeding
from deepclaims.data.embedded import embedded
from deepclaims.training import TrainConfig, train
from models.mlp import DenseSpec, build

SEEDS = [0, 1, 2]
SPEC = DenseSpec(64, 32, 2, 10, "relu", "he_uniform")      # digits: 8x8 inputs, 10 classes
WEIGHT_DECAY = 1e-4
# The learning rates are each method's usual starting point; AdaDelta's 1.0 is the paper's rule.
CONFIGS = {
    "adagrad": TrainConfig(epochs=2, batch_size=64, lr=0.01, optimizer="adagrad", loss="ce",
                           weight_decay=WEIGHT_DECAY),
    "rmsprop": TrainConfig(epochs=2, batch_size=64, lr=1e-3, optimizer="rmsprop", loss="ce",
                           weight_decay=WEIGHT_DECAY),
    "rmsprop_nesterov": TrainConfig(epochs=2, batch_size=64, lr=1e-3, momentum=0.9, optimizer="rmsprop_nesterov",
                                    loss="ce", weight_decay=WEIGHT_DECAY),
    "adadelta": TrainConfig(epochs=2, batch_size=64, lr=1.0, optimizer="adadelta", loss="ce",
                            weight_decay=WEIGHT_DECAY),
    "adam": TrainConfig(epochs=2, batch_size=64, lr=1e-3, optimizer="adam", loss="ce", weight_decay=WEIGHT_DECAY),
}
# float32; a batched matmul may round differently from a single-seed one, and the
# adaptive methods divide by running RMS values, so allow a little more than SGD's test.
RTOL, ATOL = 1e-4, 1e-5


def _train(seeds, config, on_step=None):
    data = embedded("digits")
    model = build("ffnet", len(seeds), SPEC, seeding.generators(seeds, "init"))
    result = train(model, data, config, seeds, on_step=on_step)
    result["weights"] = np.concatenate([layer.weight.detach().flatten(1).numpy()
                                        for _, layer in model.dense_layers()], 1)
    return result


def _batched_and_solo(config, on_step=None):
    together = _train(SEEDS, config, on_step)
    alone = [_train([seed], config, on_step) for seed in SEEDS]
    return together, {key: np.concatenate([run[key] for run in alone]) for key in ("weights", "epoch_loss", "test_acc")}


def _assert_same(together, alone):
    for key in ("weights", "epoch_loss", "test_acc"):
        np.testing.assert_allclose(together[key], alone[key], rtol=RTOL, atol=ATOL, err_msg=key)


@pytest.mark.parametrize("method", list(CONFIGS))
def test_each_seed_trains_as_it_would_alone(method):
    together, alone = _batched_and_solo(CONFIGS[method])
    _assert_same(together, alone)
    start = _train(SEEDS, dataclasses.replace(CONFIGS[method], epochs=0))
    assert not np.allclose(together["weights"], start["weights"])      # the optimiser moved the weights
    assert not np.allclose(together["weights"][0], together["weights"][1])   # and the seeds differ


def _couple_seeds(model, step, losses):
    """Planted bug: each seed's gradient pulled a tenth of the way to the seeds' mean."""
    with torch.no_grad():
        for p in model.parameters():
            p.grad.add_(p.grad.mean(0, keepdim=True) - p.grad, alpha=0.1)


@pytest.mark.parametrize("method", ["adam", "rmsprop_nesterov"])
def test_coupled_seeds_fail_the_comparison(method):
    together, alone = _batched_and_solo(CONFIGS[method], on_step=_couple_seeds)
    with pytest.raises(AssertionError):
        _assert_same(together, alone)
