"""Cross-check of topic B's vectorised digit classifiers against plain PyTorch.

The reference (``models.plain_reference.plain_ffnet``) is nn.Linear + nn.Sigmoid / nn.ReLU,
trained with torch.optim.SGD(momentum) and nn.CrossEntropyLoss one seed at a time.

1. From the engine's initial weights and minibatch order it reaches the same training
   losses and weights over the first epochs (float64; these shallow nets do not amplify
   rounding the way A's 31-layer nets do, so three epochs agree).
2. From its own initialisation (torch.manual_seed, nn.init.xavier_uniform_, zero biases)
   its full-batch weight gradients, read off ``layer.weight.grad`` at each epoch end, show
   B1's direction: the sigmoid net's first-layer gradients are far smaller than the ReLU
   net's, and smaller than its own last hidden layer's.
"""
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from claims.b_gradients.experiments import DIGIT_NET, TRAIN
from claims.b_gradients.judges import MUCH_CLOSER
from deepclaims import seeding
from deepclaims.data.embedded import embedded
from deepclaims.training import Split, one_cpu_thread, train
from models.mlp import build
from models.plain_reference import copy_seed_weights, fit, keras_init_, linears, plain_ffnet

SEEDS = [0, 1, 2]
EPOCHS = 3
LOSS_TOLERANCE = 1e-6      # the engine sums an epoch's losses in float32
WEIGHT_TOLERANCE = 1e-6


def plain_digit_net(activation: str) -> nn.Sequential:
    net = DIGIT_NET
    return plain_ffnet(net.in_features, net.width, net.depth, net.out_features, activation)


def digits64() -> Split:
    d = embedded("digits")
    return Split(d.x_train.double(), d.y_train, d.x_test.double(), d.y_test)


def engine_and_reference(activation: str, **fit_options):
    data = digits64()
    options = dict(epochs=EPOCHS, batch_size=TRAIN.batch_size, lr=TRAIN.lr, momentum=TRAIN.momentum,
                   loss="ce") | fit_options
    with one_cpu_thread():
        engine = build("ffnet", len(SEEDS), replace(DIGIT_NET, activation=activation),
                       seeding.generators(SEEDS, "init")).double()
        reference_activation = options.pop("reference_activation", activation)
        nets = []
        for i in range(len(SEEDS)):
            net = plain_digit_net(reference_activation).double()
            copy_seed_weights(net, engine, i)
            nets.append(net)
        engine_loss = train(engine, data, replace(TRAIN, epochs=EPOCHS), SEEDS)["epoch_loss"]
        reference_loss = np.stack([fit(net, data.x_train, data.y_train, data.x_test, data.y_test,
                                       shuffle=seeding.generator(seed, "order"), **options).epoch_loss
                                   for net, seed in zip(nets, SEEDS)])
    weight_gap = max(float((seeded.weight[i] - layer.weight).detach().abs().max())
                     for i, net in enumerate(nets) for (_, seeded), layer in zip(engine.dense_layers(), linears(net)))
    return engine_loss, reference_loss, weight_gap


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_reference_matches_the_engine_from_the_same_weights_and_batches(activation):
    engine_loss, reference_loss, weight_gap = engine_and_reference(activation)
    np.testing.assert_allclose(reference_loss, engine_loss, rtol=0, atol=LOSS_TOLERANCE)
    assert weight_gap < WEIGHT_TOLERANCE


@pytest.mark.parametrize("activation, planted", [
    ("sigmoid", {"reference_activation": "relu"}),   # the sigmoid arm built as ReLU
    ("relu", {"momentum": 0.0}),
])
def test_the_comparison_catches_a_planted_difference(activation, planted):
    engine_loss, reference_loss, weight_gap = engine_and_reference(activation, **planted)
    assert np.abs(reference_loss - engine_loss).max() > 10 * LOSS_TOLERANCE
    assert weight_gap > 10 * WEIGHT_TOLERANCE


def own_init_mean_abs_gradients(activation: str, seed: int, epochs: int) -> np.ndarray:
    """[layers]: mean |full-batch weight gradient| per dense layer, averaged over epoch ends,
    for the reference trained from its own draws (as B1 measures the engine's nets)."""
    data = embedded("digits")
    torch.manual_seed(seed)
    net = keras_init_(plain_digit_net(activation))
    per_epoch = []

    def full_batch_gradients(model):
        model.zero_grad()
        nn.CrossEntropyLoss()(model(data.x_train), data.y_train).backward()
        per_epoch.append([float(layer.weight.grad.abs().mean()) for layer in linears(model)])
        model.zero_grad()

    fit(net, data.x_train, data.y_train, data.x_test, data.y_test, epochs=epochs, batch_size=TRAIN.batch_size,
        lr=TRAIN.lr, momentum=TRAIN.momentum, loss="ce", on_epoch_end=full_batch_gradients)
    return np.mean(per_epoch, 0)


def test_reference_from_its_own_init_agrees_in_direction_with_B1():
    epochs = 10
    with one_cpu_thread():
        for seed in SEEDS:
            sigmoid = own_init_mean_abs_gradients("sigmoid", seed, epochs)
            relu = own_init_mean_abs_gradients("relu", seed, epochs)
            assert np.log10(sigmoid[0] / relu[0]) < -MUCH_CLOSER.size, (seed, sigmoid, relu)
            assert sigmoid[0] < sigmoid[DIGIT_NET.depth - 1], (seed, sigmoid)
