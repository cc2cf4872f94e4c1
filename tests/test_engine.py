"""The vectorised training engine: seed independence, initialisers, errors, probes."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from deepclaims import seeding
from deepclaims.batched import SeedLinear, activation, tanh
from deepclaims.data.embedded import embedded, two_spirals
from deepclaims.depth import max_trainable_depth
from deepclaims.errors import ConfigError
from deepclaims.probes import EpochProbe, activation_stats, histogram
from deepclaims.lr_batched import RowSchedule, total_steps, train_rows
from deepclaims.training import Split, TrainConfig, train
from models.mlp import DenseSpec, build

SPEC = DenseSpec(2, 5, 6, 1, "tanh", "glorot_uniform")
CONFIG = TrainConfig(epochs=3, batch_size=32, lr=0.01, momentum=0.9)


def _train(seeds, spec=SPEC):
    data = embedded("spirals")
    model = build("ffnet", len(seeds), spec, seeding.generators(seeds, "init"))
    result = train(model, data, CONFIG, seeds)
    result["weights"] = np.concatenate([l.weight.detach().flatten(1).numpy() for _, l in model.dense_layers()], 1)
    return result


def test_seed_results_do_not_depend_on_batching():
    """Seeds 0..63 as one batch equal 0..31 and 32..63 as two, within float tolerance."""
    whole = _train(list(range(64)))
    halves = [_train(list(range(0, 32))), _train(list(range(32, 64)))]
    for key in ("weights", "epoch_loss", "test_acc"):
        np.testing.assert_allclose(whole[key], np.concatenate([h[key] for h in halves]), rtol=1e-4, atol=1e-5)


def test_different_seeds_differ():
    r = _train([0, 1])
    assert not np.allclose(r["weights"][0], r["weights"][1])


def test_glorot_uniform_bound_and_he_variance():
    layer = SeedLinear(3, 100, 50)
    layer.reset(seeding.generators(range(3), "init"), "glorot_uniform")
    assert layer.weight.abs().max() <= (6 / 150) ** 0.5
    layer.reset(seeding.generators(range(3), "init"), "he_normal")
    assert layer.weight.var().item() == pytest.approx(2 / 100, rel=0.1)


def test_seed_linear_maps_columns_like_per_seed_linear_layers():
    """Seed i's layer is torch's Linear with weight W[i] and bias b[i] on columns [S, in, batch]."""
    layer = SeedLinear(3, 4, 2)
    layer.reset(seeding.generators(range(3), "init"), "glorot_uniform", bias_scheme="normal", bias_scale=1.0)
    x = torch.randn(3, 4, 7)
    expected = torch.stack([F.linear(x[i].T, layer.weight[i], layer.bias[i, :, 0]).T for i in range(3)])
    torch.testing.assert_close(layer(x), expected)


def test_seed_linear_stores_the_transpose_of_an_in_by_out_draw():
    """Seed i's kernel holds the numbers of an [in, out] draw from its generator (Keras' order)."""
    layer = SeedLinear(2, 3, 5)
    layer.reset(seeding.generators([7, 8], "init"), "he_normal")
    again = seeding.generators([7, 8], "init")
    for i, gen in enumerate(again):
        drawn = torch.empty(3, 5).normal_(0.0, (2 / 3) ** 0.5, generator=gen)
        torch.testing.assert_close(layer.weight[i].detach(), drawn.T)


def test_tanh_matches_torch_and_keeps_autograd():
    small = torch.logspace(-8, 0, 1000)    # relative accuracy near 0, where 2 * sigmoid(2x) - 1 fails
    x = torch.cat([torch.linspace(-12, 12, 10_001), small, -small])
    two_ulp = 2 * torch.finfo(torch.float32).eps
    torch.testing.assert_close(tanh(x), torch.tanh(x), rtol=two_ulp, atol=0)     # NumPy path, no grad
    assert tanh(torch.tensor(0.5)).shape == () and tanh(x).dtype == torch.float32
    leaf = x.clone().requires_grad_()
    y = tanh(leaf)
    assert y.grad_fn is not None                                                # torch path under autograd
    y.sum().backward()
    torch.testing.assert_close(leaf.grad, 1 - torch.tanh(x) ** 2)


@pytest.mark.parametrize("make, message", [
    (lambda: activation("swish"), "unknown activation 'swish'"),
    (lambda: DenseSpec(2, 5, 0, 1), "depth must be at least 1"),
    (lambda: DenseSpec(2, 5, 3, 1, init="orthogonal"), "unknown initialiser"),
    (lambda: TrainConfig(epochs=1, batch_size=0, lr=0.1), "batch_size"),
    (lambda: TrainConfig(epochs=1, batch_size=1, lr=0.1, loss="hinge"), "unknown loss"),
    (lambda: build("transformer", 1, SPEC, seeding.generators([0], "init")), "unknown model"),
    (lambda: seeding.generator(-1, "init"), "seeds must be >= 0"),
    (lambda: embedded("mnist-ish"), "unknown embedded data set"),
])
def test_bad_configuration_names_the_problem(make, message):
    with pytest.raises(ConfigError, match=message):
        make()


def test_spirals_follow_the_notebook_recipe():
    x, y = two_spirals()
    assert x.shape == (1000, 2) and y.mean() == 0.5
    assert x.min() == pytest.approx(-1) and x.max() == pytest.approx(1)
    again, _ = two_spirals()
    np.testing.assert_array_equal(x, again)


def test_epoch_probe_records_every_epoch_and_layer():
    data = embedded("spirals")
    model = build("ffnet", 2, SPEC, seeding.generators([0, 1], "init"))
    probe = EpochProbe(data.x_train, data.y_train, "bce", keep=(0,))
    train(model, data, CONFIG, [0, 1], on_epoch_end=probe)
    out = probe.result()
    assert out["grad_norm"].shape == (2, CONFIG.epochs + 1, SPEC.depth + 1)
    assert np.all(out["weight_change"][:, 0] == 0) and np.all(out["weight_change"][:, -1] > 0)
    assert out["weights_0"].shape == (2, CONFIG.epochs + 1, 10)


def test_dead_units_are_counted():
    model = build("ffnet", 1, DenseSpec(2, 5, 2, 1, "relu", "he_normal"), seeding.generators([0], "init"))
    with torch.no_grad():
        model.hidden[0].weight[0, 0, :] = 0.0   # weights are [seed, out, in]
        model.hidden[0].bias[0, 0, 0] = -1.0  # unit 0 of layer 1 never fires
    stats = activation_stats(model, torch.randn(50, 2))
    assert stats["dead_fraction"][0, 0] >= 0.2


def test_histogram_has_thirty_bins():
    counts, edges = histogram(np.random.default_rng(0).normal(size=1000))
    assert len(counts) == 30 and len(edges) == 31 and counts.sum() == 1000


def test_max_trainable_depth_brackets_the_crossing():
    flags = np.array([[1] * 24, [1] * 24, [1] * 12 + [0] * 12, [0] * 24], dtype=bool)
    limit = max_trainable_depth([4, 8, 16, 32], flags)
    assert (limit.low, limit.estimate, limit.high) == (8.0, 16.0, 32.0)
    censored = max_trainable_depth([4, 8], np.ones((2, 24), dtype=bool))
    assert censored.high == float("inf") and censored.low == 8.0
    with pytest.raises(ConfigError):
        max_trainable_depth([8, 4], flags[:2])


def test_epoch_probe_snapshots_change_wherever_the_weights_moved():
    """Each epoch's kept weights are a copy: with the live tensor stored instead, every
    snapshot would equal the final weights while weight_change reported movement."""
    data = embedded("spirals")
    model = build("ffnet", 2, SPEC, seeding.generators([0, 1], "init"))
    probe = EpochProbe(data.x_train, data.y_train, "bce", keep=(0, SPEC.depth - 1))
    train(model, data, CONFIG, [0, 1], on_epoch_end=probe)
    out = probe.result()
    for layer in (0, SPEC.depth - 1):
        w = out[f"weights_{layer}"]
        for epoch in range(1, CONFIG.epochs + 1):
            moved = out["weight_change"][:, epoch, layer] > 0
            assert np.all(moved)
            assert not np.allclose(w[:, epoch], w[:, 0])
        # The last snapshot is the model's weights now; the first is not.
        final = model.dense_layers()[layer][1].weight.detach().flatten(1).numpy()
        np.testing.assert_array_equal(w[:, -1], final)


def test_each_probed_layer_norm_is_that_layers_own():
    data = embedded("spirals")
    model = build("ffnet", 1, SPEC, seeding.generators([3], "init"))
    probe = EpochProbe(data.x_train, data.y_train, "bce", keep=tuple(range(SPEC.depth + 1)))
    probe(model, 0)
    out = probe.result()
    for i in range(SPEC.depth + 1):
        np.testing.assert_allclose(out["grad_norm"][0, 0, i], np.linalg.norm(out[f"grads_{i}"][0, 0]), rtol=1e-5)
    assert len(set(np.round(out["grad_norm"][0, 0], 8))) == SPEC.depth + 1


def test_a_sweep_whose_crossing_lies_outside_it_is_refused():
    """With a learning rate of zero nothing is trainable: both crossings clamp to the first
    depth and the ratio is the ratio of the sweeps' ends, which must decide nothing."""
    from deepclaims.depth import bootstrap_depth_ratio
    from deepclaims.verdict import NOT_REPRODUCED, decide

    dead = np.zeros((3, 16), dtype=bool)
    ratio = bootstrap_depth_ratio(([20, 40, 80], dead), ([5, 10, 20], dead))
    assert ratio.value == 4.0 and "no swept depth is trainable" in ratio.degenerate
    assert decide(ratio, 2.0, "above") == NOT_REPRODUCED
    alive = np.ones((3, 16), dtype=bool)
    assert "every swept depth is trainable" in bootstrap_depth_ratio(([20, 40, 80], alive),
                                                                   ([5, 10, 20], dead[:, :8] | True)).degenerate
    crossing = np.array([[1] * 16, [1] * 8 + [0] * 8, [0] * 16], dtype=bool)
    assert bootstrap_depth_ratio(([20, 40, 80], crossing), ([5, 10, 20], crossing)).degenerate == ""


@pytest.mark.parametrize("name", ["spirals", "circles", "digits"])
def test_embedded_train_and_test_splits_are_disjoint(name):
    split = embedded(name)
    train_rows = {r.tobytes() for r in split.x_train.numpy()}
    assert not any(r.tobytes() in train_rows for r in split.x_test.numpy())
    split.check_disjoint()


def test_training_refuses_a_test_split_drawn_from_the_training_split():
    data = embedded("spirals")
    leaked = type(data)(data.x_train, data.y_train, data.x_train[:100], data.y_train[:100])
    model = build("ffnet", 1, SPEC, seeding.generators([0], "init"))
    with pytest.raises(ConfigError, match="also appear in the training split"):
        train(model, leaked, CONFIG, [0])


def test_batch_norm_nets_evaluate_on_running_statistics():
    """evaluate() must use BN's running averages (eval semantics), as a user's
    nn.BatchNorm1d in model.eval() would, and must leave them untouched."""
    from deepclaims.training import evaluate

    data = embedded("spirals")
    spec = DenseSpec(2, 5, 4, 1, "relu", "he_uniform", batch_norm=True)
    model = build("ffnet", 2, spec, seeding.generators([0, 1], "init"))
    train(model, data, CONFIG, [0, 1])
    norms = [m for m in model.modules() if type(m).__name__ == "SeedBatchNorm"]
    assert len(norms) == spec.depth
    before = [m.running_mean.clone() for m in norms]
    loss, _ = evaluate(model, data.x_test, data.y_test, "bce")
    assert all(torch.equal(b, m.running_mean) for b, m in zip(before, norms))
    xs = data.x_test.unsqueeze(0).expand(2, *data.x_test.shape)
    with torch.no_grad():
        model.eval()
        eval_logits = model(xs)
        model.train()
        batch_logits = model(xs)
    for m, b in zip(norms, before):
        m.running_mean.copy_(b)  # the train-mode pass above moved them; put them back
    y = data.y_test.unsqueeze(0).expand(2, -1)
    eval_loss = F.binary_cross_entropy_with_logits(eval_logits.squeeze(-1), y, reduction="none").mean(1)
    batch_loss = F.binary_cross_entropy_with_logits(batch_logits.squeeze(-1), y, reduction="none").mean(1)
    np.testing.assert_allclose(loss, eval_loss.numpy(), rtol=1e-6)
    assert not np.allclose(loss, batch_loss.numpy(), rtol=1e-4)
    # Seed 1's eval-mode BN equals torch's own BatchNorm1d given its running statistics.
    bn, ref = norms[0], torch.nn.BatchNorm1d(spec.width, eps=norms[0].eps)
    with torch.no_grad():
        ref.running_mean.copy_(bn.running_mean[1, :, 0]); ref.running_var.copy_(bn.running_var[1, :, 0])
        ref.weight.copy_(bn.weight[1, :, 0]); ref.bias.copy_(bn.bias[1, :, 0])
        ref.eval(); bn.eval()
        z = torch.randn(2, spec.width, 7)
        np.testing.assert_allclose(bn(z)[1].T.numpy(), ref(z[1].T).numpy(), rtol=1e-5, atol=1e-6)


def _short_last_batch_split() -> Split:
    """10 training rows in batches of 4: the last batch holds 2, so a mean of batch means
    (each batch counted once) and the mean over samples differ."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(14, 2, generator=gen)
    y = (x[:, 0] > 0).long()
    return Split(x[:10], y[:10], x[10:], y[10:])


def test_train_reports_each_epochs_loss_weighted_by_the_samples_of_each_batch():
    """An epoch's loss is the mean over its samples: a 2-image last batch counts for 2
    images, not for a full batch (the unweighted mean of batch means fails this)."""
    seeds = [0, 1]
    model = build("ffnet", 2, SPEC, seeding.generators(seeds, "init"))
    batches = []
    config = TrainConfig(epochs=2, batch_size=4, lr=0.01, momentum=0.9)
    result = train(model, _short_last_batch_split(), config, seeds,
                   on_step=lambda m, step, losses: batches.append(losses.numpy().copy()))
    sizes = np.array([4, 4, 2])
    per_epoch = np.array(batches).reshape(2, 3, 2)                      # [epoch, batch, seed]
    weighted = (per_epoch * sizes[None, :, None]).sum(1) / sizes.sum()
    np.testing.assert_allclose(result["epoch_loss"], weighted.T, rtol=1e-6)
    assert not np.allclose(result["epoch_loss"], per_epoch.mean(1).T, rtol=1e-3)


def test_row_training_and_seed_training_report_the_same_epoch_loss():
    """``train`` (SGD with momentum) and ``lr_batched.train_rows`` (RowSGD, one rate for
    every row) follow the same trajectory on the same seeds, so their epoch curves,
    both sample-weighted through ``EpochMean``, agree."""
    seeds = [0, 1]
    data = _short_last_batch_split()
    config = TrainConfig(epochs=2, batch_size=4, lr=0.05, momentum=0.9, loss="ce")
    spec = DenseSpec(2, 5, 2, 2, "tanh", "glorot_uniform")
    plain = train(build("ffnet", 2, spec, seeding.generators(seeds, "init")), data, config, seeds)
    table = np.full((total_steps(10, (4, 4)), 2), config.lr)
    rows = train_rows(build("ffnet", 2, spec, seeding.generators(seeds, "init")), data, seeds,
                      RowSchedule((4, 4), table), momentum=0.9, loss="ce")
    np.testing.assert_allclose(rows["epoch_loss"], plain["epoch_loss"], rtol=1e-5)
