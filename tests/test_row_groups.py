"""Row groups (``deepclaims.row_groups``): several learning rates trained as groups of rows of
one model follow their solo runs bitwise.

G's learning-rate search trains every grid rate side by side this way, so a rate's search
loss must be exactly what a run at that rate alone gives. Checked for SGD with momentum and
the five adaptive methods, with L2 and dropout on (the search's net), at two rates per
method; the negative control hands the groups their rates in the wrong order and requires
the comparison to fail.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from deepclaims import seeding
from deepclaims.data.embedded import embedded
from deepclaims.errors import ConfigError
from deepclaims.row_groups import RowGroupOptimiser, flat_optimiser
from deepclaims.training import TrainConfig, make_optimizer, train
from models.dropout_mlp import DropoutMLPSpec, build_dropout_mlp
from tests.test_optimiser_seed_batching import CONFIGS

SEEDS = [5, 6]
SPEC = DropoutMLPSpec(in_features=64, width=24, input_rate=0.2, hidden_rate=0.5, rule="weight_scaling")
METHODS = {**CONFIGS, "sgd": TrainConfig(epochs=2, batch_size=64, lr=0.05, momentum=0.9, loss="ce",
                                         weight_decay=1e-4)}


def _model(rows):
    return build_dropout_mlp(SPEC, seeding.generators(rows, "init"), seeding.generators(rows, "dropout"))


def _solo(config):
    model = _model(SEEDS)
    out = train(model, embedded("digits"), config, SEEDS)
    return out["epoch_loss"], torch.cat([p.detach().flatten(1) for p in model.parameters()], 1).numpy()


def _grouped(configs):
    rows = SEEDS * len(configs)
    model = _model(rows)
    optimiser = RowGroupOptimiser(model.parameters(), configs, make_optimizer)
    out = train(model, embedded("digits"), configs[0], rows, optimizer=optimiser)
    weights = torch.cat([p.detach().flatten(1) for p in model.parameters()], 1).numpy()
    return np.split(out["epoch_loss"], len(configs)), np.split(weights, len(configs))


def _rates(method):
    config = METHODS[method]
    return [config, dataclasses.replace(config, lr=config.lr * 3)]


@pytest.mark.parametrize("method", sorted(METHODS))
def test_each_group_follows_its_solo_run_bitwise(method):
    configs = _rates(method)
    losses, weights = _grouped(configs)
    for config, loss, weight in zip(configs, losses, weights):
        solo_loss, solo_weight = _solo(config)
        assert np.array_equal(loss, solo_loss)
        assert np.array_equal(weight, solo_weight)


def test_flat_optimiser_matches_one_optimiser_per_parameter():
    config = METHODS["adam"]
    model = _model(SEEDS)
    out = train(model, embedded("digits"), config, SEEDS, optimizer=flat_optimiser(model.parameters(), config,
                                                                                   make_optimizer))
    solo_loss, solo_weight = _solo(config)
    assert np.array_equal(out["epoch_loss"], solo_loss)
    assert np.array_equal(torch.cat([p.detach().flatten(1) for p in model.parameters()], 1).numpy(), solo_weight)


def test_negative_control_rates_in_the_wrong_order_differ():
    configs = _rates("adam")
    losses, _ = _grouped(configs[::-1])
    assert not np.array_equal(losses[0], _solo(configs[0])[0])


def test_rows_must_split_evenly():
    with pytest.raises(ConfigError, match="3 rows cannot be split into 2 equal groups"):
        RowGroupOptimiser(_model([0, 1, 2]).parameters(), _rates("adam"), make_optimizer)


def test_a_step_without_gradients_is_refused():
    optimiser = RowGroupOptimiser(_model(SEEDS * 2).parameters(), _rates("adam"), make_optimizer)
    with pytest.raises(ConfigError, match="gradient"):
        optimiser.step()
