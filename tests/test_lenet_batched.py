"""The seed-batched LeNet-5 (models/lenet.py): seed invariance with BN and dropout, agreement
with a plain-PyTorch LeNet-5, BN's eval semantics, per-seed dropout masks, option errors."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from deepclaims import seeding
from deepclaims.data.embedded import digits
from deepclaims.dropout import dropout_layers
from deepclaims.errors import ConfigError
from deepclaims.training import Split, TrainConfig, evaluate, train
from models.lenet import (LeNetSpec, PlainLeNet5, SeedLeNet5, bn_input_variances, build_lenet,
                          copy_seed_lenet_weights)

EVERYTHING_ON = dict(batch_norm=True, input_batch_norm=True, input_dropout=0.2, hidden_dropout=0.5, bn_momentum=0.1)
SHORT = TrainConfig(epochs=2, batch_size=32, lr=0.05, momentum=0.9, loss="ce")


def _digits28(n_train: int = 96, n_test: int = 64) -> Split:
    """The 8x8 digits resized to 28x28 (MNIST's shape), a small disjoint split."""
    x, y = digits()
    images = F.interpolate(torch.as_tensor(x, dtype=torch.float32).view(-1, 1, 8, 8), size=(28, 28),
                           mode="bilinear", align_corners=False).view(len(y), -1)
    y = torch.as_tensor(y)
    return Split(images[:n_train], y[:n_train], images[n_train:n_train + n_test], y[n_train:n_train + n_test])


def _state(model: SeedLeNet5) -> np.ndarray:
    """Every parameter and BN running average, one row per seed."""
    tensors = list(model.parameters()) + list(model.buffers())
    return np.concatenate([t.detach().reshape(model.n_seeds, -1).numpy() for t in tensors], 1)


def _train(seeds, spec, data, dropout_gens=None):
    model = build_lenet(spec, seeds)
    if dropout_gens is not None:
        for layer in dropout_layers(model):
            layer.set_generators(dropout_gens)
    result = train(model, data, SHORT, seeds)
    result["state"] = _state(model)
    return result


@pytest.mark.parametrize("conv_mode", ["per_seed", "grouped"])
def test_seed_results_do_not_depend_on_batching(conv_mode):
    """Seeds 0..15 in one batch equal 0..7 and 8..15 in two, with BN and dropout on."""
    spec, data = LeNetSpec(conv_mode=conv_mode, **EVERYTHING_ON), _digits28()
    whole = _train(range(16), spec, data)
    halves = [_train(range(0, 8), spec, data), _train(range(8, 16), spec, data)]
    for key in ("state", "epoch_loss", "train_loss", "test_acc"):
        np.testing.assert_allclose(whole[key], np.concatenate([h[key] for h in halves]), rtol=1e-4, atol=1e-5)
    assert not np.allclose(whole["state"][0], whole["state"][1]), "different seeds must give different nets"


def test_a_dropout_stream_shared_across_seeds_breaks_the_invariance():
    """Negative control for the test above: if the seeds drew their masks from one shared
    generator (the masks then depend on which seeds are batched together), the halves differ."""
    spec, data = LeNetSpec(**EVERYTHING_ON), _digits28()
    shared = lambda n: [torch.Generator().manual_seed(0)] * n
    whole = _train(range(4), spec, data, shared(4))
    halves = [_train(range(0, 2), spec, data, shared(2)), _train(range(2, 4), spec, data, shared(2))]
    assert not np.allclose(whole["state"], np.concatenate([h["state"] for h in halves]), rtol=1e-4, atol=1e-5)


def _in_float64(split: Split) -> Split:
    return Split(split.x_train.double(), split.y_train, split.x_test.double(), split.y_test)


def test_grouped_and_per_seed_convolutions_agree():
    """The two convolution modes compute the same nets, checked in float64. In float32 the
    two paths round differently, and over SHORT's six steps with batch norm and max-pooling
    that difference grows: on one intra-op thread (as under ``pytest -n 2``, and as the
    claims train) seed 0's weights differed by 1e-2 after two epochs, from 1e-5 after one.
    In float64 they agree to 1e-14 on one thread or two."""
    spec, data = LeNetSpec(**EVERYTHING_ON), _in_float64(_digits28())
    nets = {}
    for mode in ("grouped", "per_seed"):
        model = build_lenet(LeNetSpec(**{**spec.__dict__, "conv_mode": mode}), range(3)).double()
        train(model, data, SHORT, range(3))
        nets[mode] = _state(model)
    np.testing.assert_allclose(nets["grouped"], nets["per_seed"], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("batch_norm", [False, True])
def test_each_seed_equals_a_plain_lenet_with_its_weights(batch_norm):
    """Forward (train and eval mode) and one SGD step of seed i equal a plain nn.Conv2d /
    nn.BatchNorm LeNet-5 loaded with seed i's weights, on the same minibatch. In float64:
    in float32 the two round differently, and with batch norm in training mode seed 4's
    logits differed by up to 3e-5 (3% of a logit near zero) on one intra-op thread."""
    spec = LeNetSpec(batch_norm=batch_norm, input_batch_norm=batch_norm)
    seeds = [4, 7, 9]
    engine = build_lenet(spec, seeds).double()
    plains = [copy_seed_lenet_weights(PlainLeNet5(batch_norm, batch_norm).double(), engine, i)
              for i in range(len(seeds))]
    data = _in_float64(_digits28())
    xb, yb = data.x_train[:32], data.y_train[:32]
    xs = xb.expand(len(seeds), *xb.shape)

    engine.eval(); [p.eval() for p in plains]
    with torch.no_grad():
        eval_logits = engine(xs)
    for i, plain in enumerate(plains):
        np.testing.assert_allclose(eval_logits[i].numpy(), plain(xb).detach().numpy(), rtol=1e-9, atol=1e-12)

    engine.train(); [p.train() for p in plains]
    engine_opt = torch.optim.SGD(engine.parameters(), lr=0.1, momentum=0.9)
    logits = engine(xs)
    F.cross_entropy(logits.reshape(-1, 10), yb.repeat(len(seeds)), reduction="none").view(len(seeds), -1).mean(1).sum().backward()
    engine_opt.step()
    for i, plain in enumerate(plains):
        opt = torch.optim.SGD(plain.parameters(), lr=0.1, momentum=0.9)
        plain_logits = plain(xb)
        np.testing.assert_allclose(logits[i].detach().numpy(), plain_logits.detach().numpy(), rtol=1e-9, atol=1e-12)
        F.cross_entropy(plain_logits, yb).backward()
        opt.step()
        stepped = copy_seed_lenet_weights(PlainLeNet5(batch_norm, batch_norm).double(), engine, i)
        for mine, theirs in zip(stepped.state_dict().values(), plain.state_dict().values()):
            if mine.is_floating_point():
                np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-9, atol=1e-12)


def test_batch_norm_evaluates_on_running_averages():
    """evaluate() uses each seed's running averages and leaves them untouched; train-mode
    output (batch statistics) differs from it."""
    spec, data = LeNetSpec(batch_norm=True, input_batch_norm=True, bn_momentum=0.1), _digits28()
    model = build_lenet(spec, [0, 1])
    train(model, data, SHORT, [0, 1])
    before = {k: v.clone() for k, v in model.state_dict().items() if "running" in k}
    loss, _ = evaluate(model, data.x_test, data.y_test, "ce")
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())
    plain = copy_seed_lenet_weights(PlainLeNet5(True, True), model, 1).eval()
    with torch.no_grad():
        expected = F.cross_entropy(plain(data.x_test), data.y_test).item()
    assert loss[1] == pytest.approx(expected, rel=1e-4)
    model.train()
    with torch.no_grad():
        batch_logits = model(data.x_test.expand(2, *data.x_test.shape))
    batch_loss = F.cross_entropy(batch_logits[1], data.y_test).item()
    assert batch_loss != pytest.approx(expected, rel=1e-3)
    assert not all(torch.equal(v, model.state_dict()[k]) for k, v in before.items()), "train mode moves them"


def test_eval_in_chunks_equals_eval_in_one_batch():
    spec, data = LeNetSpec(batch_norm=True, hidden_dropout=0.5), _digits28()
    model = build_lenet(spec, [0, 1]).eval()
    with torch.no_grad():
        xs = data.x_test.expand(2, *data.x_test.shape)
        whole = model(xs)
        model.eval_chunk = 10
        chunked = model(xs)
    np.testing.assert_allclose(whole.numpy(), chunked.numpy(), rtol=1e-5, atol=1e-6)


def test_a_seed_draws_the_same_masks_whatever_seeds_share_its_batch():
    spec, data = LeNetSpec(input_dropout=0.2, hidden_dropout=0.5), _digits28()
    alone, batched = build_lenet(spec, [5]), build_lenet(spec, [2, 5, 7, 9])
    x = data.x_train[:16]
    with torch.no_grad():
        np.testing.assert_allclose(alone(x.expand(1, *x.shape))[0].numpy(), batched(x.expand(4, *x.shape))[1].numpy(),
                                   rtol=1e-5, atol=1e-6)


def test_dropout_is_active_in_training_and_off_in_eval():
    spec, data = LeNetSpec(hidden_dropout=0.5), _digits28()
    model = build_lenet(spec, [0])
    x = data.x_train[:16].expand(1, 16, 784)
    with torch.no_grad():
        first, second = model(x), model(x)
        model.eval()
        e1, e2 = model(x), model(x)
    assert not torch.allclose(first, second), "training passes draw fresh masks"
    assert torch.equal(e1, e2)


def test_bn_inputs_are_reported_per_layer():
    spec, data = LeNetSpec(batch_norm=True, input_batch_norm=True), _digits28()
    model = build_lenet(spec, [0, 1])
    _, inputs = model.forward_with_bn_inputs(data.x_train[:8].expand(2, 8, 784))
    assert list(inputs) == ["input", "conv1", "conv2", "fc1", "fc2"]
    assert inputs["conv1"].shape == (8, 2 * 6, 28, 28) and inputs["fc2"].shape == (2, 84, 8)
    gamma, beta = model.bn_parameters()["conv2"]
    assert gamma.shape == beta.shape == (2, 16)


@pytest.mark.parametrize("options, message", [
    (dict(hidden_dropout=1.0), "hidden_dropout must lie in"),
    (dict(input_dropout=-0.1), "input_dropout must lie in"),
    (dict(dropout_order="after"), "unknown dropout_order 'after'; accepted: bn_first, dropout_first"),
    (dict(dropout_rule="scale"), "unknown dropout rule 'scale'; accepted: inverted, weight_scaling"),
    (dict(pool="min"), "unknown pooling 'min'; accepted: max, avg"),
    (dict(conv_mode="vmap"), "unknown convolution mode 'vmap'"),
    (dict(activation="swish"), "unknown activation 'swish'"),
    (dict(image_size=8), "at least 10x10"),
    (dict(bn_momentum=0.0), "bn_momentum in"),
])
def test_bad_options_name_the_problem(options, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        LeNetSpec(**options)


def test_bad_input_shape_and_missing_dropout_streams_are_config_errors():
    model = build_lenet(LeNetSpec(), [0, 1])
    with pytest.raises(ConfigError, match=r"expects input \[S=2, batch, 784\]"):
        model(torch.zeros(3, 4, 784))
    with pytest.raises(ConfigError, match=r"got \[2, 4, 100\]"):
        model(torch.zeros(2, 4, 100))
    bare = SeedLeNet5(2, LeNetSpec(hidden_dropout=0.5))
    with pytest.raises(ConfigError, match="dropout generators"):
        bare.reset(seeding.generators([0, 1], "init"))


def test_variance_shift_probe_leaves_the_model_as_it_was():
    """The probe restores running averages and dropout streams; with dropout placed directly
    before BN, eval-mode BN inputs have a smaller variance than training-mode ones (dropout's
    inverted scaling inflates the variance in training: Li et al.'s shift), and without
    dropout the lowest BN layer's input variance is the same in both modes."""
    data = _digits28()
    x = data.x_train[:64].expand(2, 64, 784)
    spec = LeNetSpec(batch_norm=True, hidden_dropout=0.5, dropout_order="dropout_first")
    probed, twin = build_lenet(spec, [0, 1]), build_lenet(spec, [0, 1])
    with torch.no_grad():
        probed(x), twin(x)                      # both move their running averages and streams once
    state = {k: v.clone() for k, v in probed.state_dict().items()}
    variances = bn_input_variances(probed, x)
    assert all(torch.equal(v, probed.state_dict()[k]) for k, v in state.items())
    assert probed.training
    with torch.no_grad():
        assert torch.equal(probed(x), twin(x)), "the probe must not consume the dropout streams"
    train_var, eval_var = variances["conv1"]
    assert (eval_var < train_var).all()
    # Without dropout the lowest BN layer sees the same input in both modes (higher ones
    # differ: the BN layers below them switch from batch statistics to running averages).
    train_var, eval_var = bn_input_variances(build_lenet(LeNetSpec(batch_norm=True), [0, 1]), x)["conv1"]
    np.testing.assert_allclose(train_var, eval_var, rtol=1e-5)
