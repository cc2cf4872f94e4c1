"""Unit tests pinning the mechanisms topics A and B rest on: the ResNet's skips, each
B arm's activation, A7's batch-normalised net, and per-epoch snapshots that move.

Each of these was a bug the claims once caught and no unit test did (issue 9): a ResNet
without its skips, a sigmoid arm built as ReLU, frozen per-epoch weight histograms.
"""
from dataclasses import replace

import numpy as np
import pytest
import torch

from claims.a_depth.experiments import LAB_FFNET, LAB_RESNET, LAB_TRAIN, bn_spec
from claims.b_gradients.experiments import ARMS, DIGIT_NET, TIERS as B_TIERS, gradient_plan
from claims.runs import DenseRun, train_dense
from deepclaims import seeding
from deepclaims.experiment import RunEnvironment
from deepclaims.batched import SeedBatchNorm, SeedLinear
from deepclaims.data.embedded import embedded
from models.mlp import DenseSpec, FFNet, build

ONE_BLOCK = DenseSpec(2, 5, 1, 1, "tanh", "glorot_uniform")


def _dense(layer: SeedLinear, x: torch.Tensor) -> torch.Tensor:
    """Seed 0 of ``layer`` applied to rows x [batch, in], written out as x W^T + b."""
    return x @ layer.weight[0].T + layer.bias[0, :, 0]


def _with_random_biases(model):
    """Non-zero biases, so a test also sees a bias that is dropped or misplaced."""
    gen = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for _, layer in model.dense_layers():
            layer.bias.copy_(torch.randn(layer.bias.shape, generator=gen) * 0.3)
    return model


@pytest.mark.parametrize("skips", [True, False])
def test_the_resnet_block_computes_x_plus_f_of_f_of_x(skips):
    """The notebook's block: skip = x; x = tanh(D1(x)); x = tanh(D2(x)); x = x + skip."""
    model = _with_random_biases(build("resnet" if skips else "resnet_noskip", 1, ONE_BLOCK,
                                      seeding.generators([3], "init")))
    x = torch.randn(9, 2, generator=torch.Generator().manual_seed(1))
    (stem1, stem2), (first, second) = model.stem, model.blocks[0]
    h = torch.tanh(_dense(stem2, torch.tanh(_dense(stem1, x))))
    block = torch.tanh(_dense(second, torch.tanh(_dense(first, h))))
    h = block + h if skips else block
    expected = _dense(model.output, torch.tanh(_dense(model.head, h)))
    with torch.no_grad():
        got = model(x.unsqueeze(0))[0]
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)


def test_the_lab_resnet_has_a_skip_around_every_block():
    """Removing the skips must change the lab ResNet's output: every block carries one."""
    gens = lambda: seeding.generators([0], "init")
    with_skips, without = build("resnet", 1, LAB_RESNET, gens()), build("resnet_noskip", 1, LAB_RESNET, gens())
    x = torch.randn(1, 16, 2, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        assert not torch.allclose(with_skips(x), without(x))
    assert len(with_skips.blocks) == LAB_RESNET.depth and with_skips.skips and not without.skips


@pytest.mark.parametrize("arm", sorted(ARMS))
def test_each_B_arm_is_built_with_the_activation_it_names(arm):
    """The experiment the B claims run for an arm computes that arm's function in every
    hidden layer (a sigmoid arm built as ReLU was once caught only by the claims)."""
    function = {"sigmoid": torch.sigmoid, "relu": torch.relu}[arm]
    config = gradient_plan(B_TIERS["smoke"], RunEnvironment())[arm].config
    model = _with_random_biases(build(config.model, 1, config.spec, seeding.generators([0], "init")))
    x = torch.randn(12, DIGIT_NET.in_features, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        _, acts = model.forward_with_activations(x.unsqueeze(0))
    h = x
    layers = [layer for _, layer in model.dense_layers()]
    assert len(acts) == DIGIT_NET.depth == len(layers) - 1
    for layer, act in zip(layers[:-1], acts):
        h = function(_dense(layer, h))
        torch.testing.assert_close(act[0], h, rtol=1e-5, atol=1e-6)


def test_the_two_B_arms_differ_only_in_their_activation():
    plan = gradient_plan(B_TIERS["ci"], RunEnvironment())
    sigmoid, relu = plan["sigmoid"].config, plan["relu"].config
    assert sigmoid.spec.activation == "sigmoid" and relu.spec.activation == "relu"
    assert replace(sigmoid, spec=replace(sigmoid.spec, activation="relu")) == relu


def test_A7_bn_arm_has_batch_norm_after_each_hidden_dense_layer_and_the_plain_arm_none():
    """A7's 'bn' arm: Dense -> BN -> ReLU in every hidden layer, BN evaluated on running
    statistics; its plain arm has no BN at all."""
    depth = 4
    bn = build("ffnet", 1, bn_spec(depth, True), seeding.generators([0], "init"))
    plain = build("ffnet", 1, bn_spec(depth, False), seeding.generators([0], "init"))
    assert sum(isinstance(m, SeedBatchNorm) for m in bn.modules()) == depth
    assert not any(isinstance(m, SeedBatchNorm) for m in plain.modules())
    assert bn_spec(depth, True).activation == "relu" and isinstance(bn, FFNet)
    gen = torch.Generator().manual_seed(5)
    with torch.no_grad():
        for norm in bn.norms:
            norm.running_mean.copy_(torch.randn(norm.running_mean.shape, generator=gen))
            norm.running_var.copy_(torch.rand(norm.running_var.shape, generator=gen) + 0.5)
            norm.weight.copy_(torch.rand(norm.weight.shape, generator=gen) + 0.5)
            norm.bias.copy_(torch.randn(norm.bias.shape, generator=gen))
    bn.eval()
    x = torch.randn(10, 2, generator=gen)
    with torch.no_grad():
        _, acts = bn.forward_with_activations(x.unsqueeze(0))
    h = x
    for layer, norm, act in zip(bn.hidden, bn.norms, acts):
        z = _dense(layer, h)
        z = (z - norm.running_mean[0, :, 0]) / torch.sqrt(norm.running_var[0, :, 0] + norm.eps)
        h = torch.relu(z * norm.weight[0, :, 0] + norm.bias[0, :, 0])
        torch.testing.assert_close(act[0], h, rtol=1e-5, atol=1e-6)


def test_per_epoch_weight_snapshots_move_wherever_the_weights_moved():
    """The A4 histograms: each epoch's snapshot is that epoch's weights, so snapshots differ
    from epoch 0 exactly as much as ``weight_change`` says (the frozen-probe bug stored
    views, making every epoch's snapshot the final weights)."""
    config = DenseRun(dataset="spirals", model="ffnet", spec=replace(LAB_FFNET, depth=3),
                      train=replace(LAB_TRAIN, epochs=3), epoch_probe=True)
    result = train_dense(config, [0, 1])
    change = result["weight_change"]          # [S, epochs+1, layers]
    for key, layer in (("weights_0", 0), ("weights_2", 2)):
        snaps = result[key]                   # [S, epochs+1, values]
        moved = np.linalg.norm(snaps - snaps[:, :1], axis=2) / np.linalg.norm(snaps[:, :1], axis=2)
        np.testing.assert_allclose(moved, change[:, :, layer], rtol=1e-4, atol=1e-7)
        assert (change[:, 1:, layer] > 0).all()
        assert not np.allclose(snaps[:, 0], snaps[:, -1])
    np.testing.assert_allclose(result["final_weight_change"], change[:, -1], rtol=1e-5)


@pytest.mark.parametrize("name", ["spirals", "circles", "digits"])
def test_A_B_data_sets_split_into_disjoint_training_and_test_points(name):
    data = embedded(name, data_seed=1 if name == "circles" else 0)
    train = {tuple(row) for row in data.x_train.numpy().round(6).tolist()}
    test = {tuple(row) for row in data.x_test.numpy().round(6).tolist()}
    assert not train & test
    assert len(data.y_train) + len(data.y_test) == {"spirals": 1000, "circles": 1000, "digits": 1797}[name]


@pytest.mark.parametrize("model, spec", [("ffnet", LAB_FFNET), ("resnet", LAB_RESNET), ("ffnet", DIGIT_NET)])
def test_each_seed_of_an_A_B_net_starts_from_its_own_weights(model, spec):
    """Seeds that shared their initial weights would differ only in minibatch order, and the
    claims' intervals would measure that alone (a planted bug once left A1 passing so)."""
    net = build(model, 3, spec, seeding.generators([0, 1, 2], "init"))
    for _, layer in net.dense_layers():
        w = layer.weight.detach()
        assert not torch.equal(w[0], w[1]) and not torch.equal(w[1], w[2]) and not torch.equal(w[0], w[2])
