"""Topic E's set-up choices that issue 19 named: where dropout goes in LeNet-5 and the
weight-scaling net's learning rate.

The lab: "For hidden layers use a dropout probability of 0.5 and for input, layer take it to
be 0.2". LeNet-5's hidden layers are C1, C3 (conv) and F5, F6 (dense); the judged placement
drops after all four. Sensitivity rows: dense layers only, and Srivastava et al. 2014's
conv-net retain probabilities (appendix B.2, SVHN: "p = (0.9, 0.75, 0.75, 0.5, 0.5, 0.5) ...
going from input to convolutional layers to fully connected layers").
"""
from dataclasses import replace

import pytest
from torch import nn

from claims.e_batchnorm_dropout.experiments import (ARMS, DROPOUT_PLACEMENTS, JUDGED_PLACEMENT, PLACEMENT_ROWS, TIERS,
                                                    TRAIN, placement_rows_plan, train_config)
from deepclaims.errors import ConfigError
from deepclaims.experiment import RunEnvironment
from models.lenet import LeNetSpec, PlainLeNet5, build_lenet

# Drop rates after each layer, as the sources state them (retain = 1 - rate).
WHERE = {
    "all_hidden": {"input": 0.2, "conv1": 0.5, "conv2": 0.5, "fc1": 0.5, "fc2": 0.5},
    "dense_only": {"input": 0.2, "fc1": 0.5, "fc2": 0.5},
    "srivastava_conv": {"input": 0.1, "conv1": 0.25, "conv2": 0.25, "fc1": 0.5, "fc2": 0.5},
}


@pytest.mark.parametrize("placement", list(WHERE))
def test_each_placement_puts_dropout_where_its_source_says(placement):
    model = build_lenet(LeNetSpec(**DROPOUT_PLACEMENTS[placement]), [0])
    assert {name: pytest.approx(layer.rate) for name, layer in model.drops.items()} == WHERE[placement]


def test_the_judged_placement_is_the_labs_words_and_the_arms_use_it():
    assert JUDGED_PLACEMENT == "all_hidden" and set(PLACEMENT_ROWS) == set(WHERE) - {"all_hidden"}
    for arm in ("dropout", "bn_dropout", "dropout_bn", "dropout_weight_scaling"):
        spec = ARMS[arm][0]
        assert {n: spec.dropout_rate(n) for n in WHERE["all_hidden"]} == WHERE["all_hidden"], arm


def test_placement_rows_train_each_placements_dropout_and_bn_dropout_nets():
    tier = TIERS["ci"]
    plan = placement_rows_plan(tier, RunEnvironment())
    assert set(plan) == {f"{p}_{arm}" for p in PLACEMENT_ROWS for arm in ("dropout", "bn_dropout")}
    for placement in PLACEMENT_ROWS:
        for arm in ("dropout", "bn_dropout"):
            planned = plan[f"{placement}_{arm}"]
            spec = planned.config.spec
            assert {n: spec.dropout_rate(n) for n in WHERE["all_hidden"] if spec.dropout_rate(n)} == WHERE[placement]
            assert spec.batch_norm == (arm == "bn_dropout")
            assert planned.config.train == replace(TRAIN, epochs=tier.epochs)
            assert planned.seeds == tier.row_seeds


def test_plain_lenet_places_conv_dropout_as_the_engine_does():
    plain = PlainLeNet5(input_dropout=0.2, hidden_dropout=0.5, conv_dropout=0.0)
    rates = [m.p for m in plain.modules() if isinstance(m, nn.Dropout)]
    assert rates == [0.2, 0.0, 0.0, 0.5, 0.5]
    assert [m.p for m in PlainLeNet5(input_dropout=0.2, hidden_dropout=0.5).modules()
            if isinstance(m, nn.Dropout)] == [0.2, 0.5, 0.5, 0.5, 0.5]


def test_a_bad_conv_dropout_rate_is_a_config_error():
    with pytest.raises(ConfigError, match="conv_dropout must lie in"):
        LeNetSpec(conv_dropout=1.0)


def test_the_weight_scaling_net_trains_at_the_rate_divided_by_p_squared():
    """Srivastava's weight-scaling rule trains without inverted dropout's 1/p, so weights W
    after a layer with retain p play the inverted net's p W, which SGD moves p**2 times as
    fast: at 0.01 the net learned nothing (issue 19); at 0.01 / 0.5**2 it steps as the
    inverted net does. Every other arm keeps TRAIN's rate."""
    epochs = TIERS["ci"].epochs
    assert train_config(ARMS["dropout_weight_scaling"][0], epochs).lr == pytest.approx(TRAIN.lr / 0.5 ** 2)
    for arm in ARMS.keys() - {"dropout_weight_scaling"}:
        assert train_config(ARMS[arm][0], epochs) == replace(TRAIN, epochs=epochs), arm
