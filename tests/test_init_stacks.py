"""Unit tests for the topic-C models: the init stacks and the lab 002 MLP."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from deepclaims import seeding
from deepclaims.errors import ConfigError
from models.init_stacks import StackSpec, build_stack
from models.mlp002 import MLP002Spec, build_mlp002


def gens(seeds):
    return seeding.generators(seeds, "init")


def test_stack_shapes_and_trace():
    spec = StackSpec(in_features=12, width=7, hidden=3, out_features=4, activation="tanh", init="glorot_normal")
    model = build_stack(spec, gens([0, 1]))
    logits, pre, post = model.trace(torch.rand(5, 12))
    assert logits.shape == (2, 5, 4)
    assert len(pre) == len(post) == 4  # input layer + 3 hidden
    assert all(p.shape == (2, 5, 7) for p in post)
    torch.testing.assert_close(post[1], torch.tanh(pre[1]))
    assert len(model.dense_layers()) == 5
    assert all(float(layer.bias.detach().abs().sum()) == 0 for _, layer in model.dense_layers())


def test_stack_seed_independent_of_batch():
    spec = StackSpec(in_features=10, width=6, hidden=2, activation="relu", init="he_normal")
    together = build_stack(spec, gens([3, 4, 5]))
    alone = build_stack(spec, gens([4]))
    x = torch.rand(9, 10)
    torch.testing.assert_close(together(x)[1], alone(x)[0])


@pytest.mark.parametrize("init,sigma,expected", [("normal", 0.28, 0.28), ("he_normal", None, math.sqrt(2 / 100)),
                                                 ("glorot_normal", None, math.sqrt(2 / 200))])
def test_stack_weight_scales(init, sigma, expected):
    model = build_stack(StackSpec(in_features=100, width=100, hidden=1, activation="relu", init=init, sigma=sigma),
                        gens(range(4)))
    std = float(model.layers[1].weight.detach().std())
    assert abs(std - expected) < 0.03 * expected


def test_same_seed_same_normals_across_scales():
    """N(0, sigma) stacks of one seed share the underlying draws, which makes the C1/C5
    comparisons across initialisers paired."""
    a = build_stack(StackSpec(init="normal", sigma=0.1, hidden=1), gens([7]))
    b = build_stack(StackSpec(init="normal", sigma=0.3, hidden=1), gens([7]))
    torch.testing.assert_close(b.layers[0].weight, 3 * a.layers[0].weight)


def test_stack_rejects_bad_specs():
    with pytest.raises(ConfigError, match="accepted"):
        StackSpec(activation="swish")
    with pytest.raises(ConfigError, match="positive std"):
        StackSpec(init="normal", sigma=None)
    with pytest.raises(ConfigError, match="width"):
        StackSpec(width=0)


def test_he_keeps_relu_second_moment_in_expectation():
    """Sanity for the C3/C4 statistics: He's per-layer second-moment ratio is 1 on average."""
    from claims.c_init.judges import layer_ratio
    x = torch.randn(256, 100)
    model = build_stack(StackSpec(in_features=100, activation="relu", init="he_normal"), gens(range(16)))
    _, _, post = model.trace(x)
    m2 = torch.stack([a.pow(2).mean((1, 2)) for a in post], 1).detach().numpy()
    assert abs(float(np.mean(layer_ratio(m2))) - 1.0) < 0.1


def test_mlp002_structure_and_bn_toggle():
    with_bn = build_mlp002(MLP002Spec(in_features=64), gens([0, 1]))
    plain = build_mlp002(MLP002Spec(in_features=64, batch_norm=False), gens([0, 1]))
    assert [tuple(l.weight.shape[1:]) for _, l in with_bn.dense_layers()] == [(600, 64), (200, 600), (10, 200)]
    n_bn = sum(isinstance(m, type(with_bn.norms[0])) for m in with_bn.modules() if m.__class__.__name__ == "SeedBatchNorm")
    assert n_bn == 2
    assert all(isinstance(m, torch.nn.Identity) for m in plain.norms)
    # He-normal hidden weights, identical across the two variants for the same seed
    torch.testing.assert_close(with_bn.hidden[0].weight, plain.hidden[0].weight)
    assert abs(float(with_bn.hidden[0].weight.detach().std()) - math.sqrt(2 / 64)) < 0.01
    out = with_bn(torch.rand(2, 5, 64))
    assert out.shape == (2, 5, 10)


def test_mlp002_bn_follows_activation():
    """BN after the ReLU, as the lab's Keras model: in training mode each BN output has
    mean 0 over the batch even though ReLU outputs are non-negative."""
    model = build_mlp002(MLP002Spec(in_features=8, hidden=(16,)), gens([0]))
    model.train()
    _, acts = model.forward_with_activations(torch.rand(1, 64, 8))
    assert float(acts[0].detach().mean(1).abs().max()) < 1e-5


def test_models_do_not_import_pytest():
    import models.init_stacks, models.mlp002
    for mod in (models.init_stacks, models.mlp002):
        assert "pytest" not in open(mod.__file__).read()


def test_mlp002_rejects_bad_spec():
    with pytest.raises(ConfigError):
        MLP002Spec(hidden=())


REFERENCE_ACTIVATIONS = {"tanh": torch.nn.Tanh(), "sigmoid": torch.nn.Sigmoid(), "relu": torch.nn.ReLU(),
                         "leaky_relu": torch.nn.LeakyReLU(0.01), "elu": torch.nn.ELU(), "selu": torch.nn.SELU()}


@pytest.mark.parametrize("name", sorted(REFERENCE_ACTIVATIONS))
def test_each_arm_runs_the_activation_it_names(name):
    """A sigmoid arm built as ReLU, or a leaky slope of 0, fails here (issue 9's planted bugs)."""
    model = build_stack(StackSpec(in_features=20, width=30, hidden=2, activation=name, init="he_normal"), gens([1, 2]))
    _, pre, post = model.trace(torch.randn(50, 20))
    for z, a in zip(pre, post):
        torch.testing.assert_close(a, REFERENCE_ACTIVATIONS[name](z))
    if name == "leaky_relu":
        negative = pre[0] < 0
        torch.testing.assert_close(post[0][negative], 0.01 * pre[0][negative])


def test_mlp002_evaluates_on_running_statistics():
    """In evaluation, BN normalises with the running averages gathered in training, so a
    sample's prediction does not depend on the batch it is evaluated in (on batch
    statistics, a batch of inputs x255 would be normalised back to the training scale)."""
    from deepclaims.training import evaluate
    model = build_mlp002(MLP002Spec(in_features=8, hidden=(16, 12)), gens([0, 1]))
    model.train()
    with torch.no_grad():
        for _ in range(50):  # move the running averages away from their initial 0 / 1
            model(torch.rand(2, 32, 8) * 3 + 1)
    x, y = torch.rand(40, 8), torch.randint(0, 10, (40,))
    loss_all, acc_all = evaluate(model, x, y, "ce")
    assert model.training  # evaluate restores the mode it found
    model.eval()
    with torch.no_grad():
        together = model(x.expand(2, *x.shape))
        alone = torch.cat([model(x[i:i + 1].expand(2, 1, 8)) for i in range(len(x))], 1)
        torch.testing.assert_close(together, alone)
        # by hand, from the running statistics: BN(h) = (h - mean) / sqrt(var + eps) * gamma + beta
        h = x.expand(2, *x.shape).mT
        for layer, norm in zip(model.hidden, model.norms):
            h = torch.relu(layer(h))
            h = (h - norm.running_mean) / torch.sqrt(norm.running_var + norm.eps) * norm.weight + norm.bias
        torch.testing.assert_close(together, model.output(h).mT)
        expected_loss = torch.nn.functional.cross_entropy(together.reshape(80, 10), y.repeat(2), reduction="none")
    np.testing.assert_allclose(loss_all, expected_loss.view(2, 40).mean(1).numpy(), rtol=1e-5)
    assert float(model.norms[0].running_mean.abs().max()) > 0.1  # the check above used moved statistics
