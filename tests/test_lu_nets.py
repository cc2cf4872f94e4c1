"""Unit tests for Lu et al.'s narrow nets: born-dead detection, RAI, per-seed independence."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from claims.d_dying_relu.runs import BornDeadGrid, CollapseRun, born_dead_by_depth, train_collapse
from deepclaims import seeding
from deepclaims.errors import ConfigError
from models.lu_nets import RAI_SIGMA, LuNet, LuNetSpec, born_dead, dead_layers, input_grid

GRID = input_grid(-math.sqrt(7), math.sqrt(7), 1001)


def hand_built(n_nets: int = 1, slope: float = 0.0) -> LuNet:
    """Width 2, 3 hidden layers; layer 1 passes x and -x, the others pass their input on."""
    net = LuNet(n_nets, LuNetSpec(hidden=3, width=2), slope)
    with torch.no_grad():
        for layer in net.layers:
            layer.bias.zero_()
        net.layers[0].weight[:] = torch.tensor([[1.0], [-1.0]])   # weights are [out, in]
        net.layers[1].weight[:] = torch.eye(2)
        net.layers[2].weight[:] = torch.eye(2)
        net.layers[3].weight[:] = torch.tensor([[1.0, 1.0]])  # output |x|
    return net


def test_hand_built_net_computes_abs_and_is_alive():
    net = hand_built()
    out = net(GRID.unsqueeze(0)).squeeze()
    assert torch.allclose(out, GRID.squeeze().abs(), atol=1e-6)
    assert not born_dead(net, GRID).item()


def test_layer_with_negative_bias_everywhere_is_dead():
    net = hand_built(2)
    with torch.no_grad():
        net.layers[2].bias[1] = -100.0          # net 1's third hidden layer never fires
    dead = dead_layers(net, GRID)
    assert dead.tolist() == [[False, False, False], [False, False, True]]
    assert born_dead(net, GRID).tolist() == [False, True]
    # A dead net is a constant function on the grid.
    out = net(GRID.unsqueeze(0).expand(2, -1, -1)).squeeze(-1)
    assert out[1].std().item() == 0.0


def test_layer_alive_on_a_sliver_of_the_interval_is_not_dead():
    net = hand_built()
    with torch.no_grad():
        net.layers[1].bias[0] = torch.tensor([[-2.6], [-2.6]])  # fires only for |x| > 2.6 (< sqrt(7))
    assert not born_dead(net, GRID).item()


def test_leaky_relu_layers_are_never_dead():
    net = hand_built(1, slope=0.01)
    with torch.no_grad():
        net.layers[2].bias[0] = -100.0
    assert not born_dead(net, GRID).item()


def test_he_init_draws_weights_with_variance_two_over_fan_in_and_zero_biases():
    # He as Keras' he_normal, PyTorch's kaiming_normal_ and DeepXDE use it: biases start at zero.
    n = 4000
    net = LuNet(n, LuNetSpec(hidden=2, width=5)).reset(seeding.generators(range(n), "init"))
    for layer in net.layers:
        fan_in = layer.weight.shape[2]
        w = layer.weight.detach()
        assert abs(w.std().item() - math.sqrt(2 / fan_in)) < 0.02 * math.sqrt(2 / fan_in) + 0.01
        assert abs(w.mean().item()) < 0.02
        assert torch.count_nonzero(layer.bias).item() == 0


def test_he_bias_variant_has_the_same_weights_and_biases_with_variance_two_over_fan_in():
    n = 4000
    he = LuNet(n, LuNetSpec(hidden=2, width=5)).reset(seeding.generators(range(n), "init"), "he")
    variant = LuNet(n, LuNetSpec(hidden=2, width=5)).reset(seeding.generators(range(n), "init"), "he_bias")
    for a, b in zip(he.layers, variant.layers):
        assert torch.equal(a.weight, b.weight)             # only the biases differ
    biases = variant.layers[1].bias.detach()               # fan_in 5
    assert abs(biases.std().item() - math.sqrt(2 / 5)) < 0.02
    assert abs(biases.mean().item()) < 0.02


def test_zero_biases_make_more_nets_born_dead_than_random_biases():
    # Zero biases are what make the paper's born-dead figures: with a zero bias every unit
    # of a 1-D-input first layer is a ray through 0, so whole layers shut off more easily.
    n = 2000
    he = LuNet(n, LuNetSpec(9, 5)).reset(seeding.generators(range(n), "init"), "he")
    variant = LuNet(n, LuNetSpec(9, 5)).reset(seeding.generators(range(n), "init"), "he_bias")
    assert born_dead(he, GRID).float().mean() > born_dead(variant, GRID).float().mean() + 0.02


def _rai_rows(n_nets: int, fan_in: int) -> torch.Tensor:
    """[nets * fan_out, fan_in + 1] rows V_j = [w_j, b_j] of a RAI-drawn layer."""
    net = LuNet(n_nets, LuNetSpec(hidden=2, width=fan_in)).reset(seeding.generators(range(n_nets), "init"), "rai")
    layer = net.layers[1]
    w = layer.weight.detach()                            # [S, out, in]
    b = layer.bias.detach()                              # [S, out, 1]
    return torch.cat([w, b], 2).reshape(-1, fan_in + 1)


def test_rai_shapes_and_moments():
    fan_in, n = 4, 3000
    net = LuNet(3, LuNetSpec(hidden=2, width=fan_in)).reset(seeding.generators(range(3), "init"), "rai")
    assert [tuple(layer.weight.shape) for layer in net.layers] == [(3, 4, 1), (3, 4, 4), (3, 1, 4)]
    assert [tuple(layer.bias.shape) for layer in net.layers] == [(3, 4, 1), (3, 4, 1), (3, 1, 1)]
    rows = _rai_rows(n, fan_in)
    k = fan_in + 1
    sigma2 = RAI_SIGMA ** 2 / fan_in
    # One entry per row is Beta(2, 1) (mean 2/3, second moment 1/2), the others N(0, sigma^2).
    assert abs(rows.mean().item() - (2 / 3) / k) < 0.01
    assert abs(rows.pow(2).mean().item() - (0.5 + (k - 1) * sigma2) / k) < 0.01
    # The asymmetric entry sits at a uniformly chosen position: each column's mean is (2/3)/k.
    col_means = rows.mean(0)
    assert torch.allclose(col_means, torch.full_like(col_means, (2 / 3) / k), atol=0.03)


def test_rai_is_born_dead_less_often_than_he():
    n = 2000
    gens = lambda: seeding.generators(range(n), "init")  # noqa: E731
    he = LuNet(n, LuNetSpec(9, 2)).reset(gens(), "he")
    rai = LuNet(n, LuNetSpec(9, 2)).reset(gens(), "rai")
    assert born_dead(rai, GRID).float().mean() < born_dead(he, GRID).float().mean() - 0.2


def test_init_scheme_and_slope_validation():
    with pytest.raises(ConfigError):
        LuNet(2, LuNetSpec(3, 2)).reset(seeding.generators(range(2), "init"), "glorot")
    with pytest.raises(ConfigError):
        LuNet(2, LuNetSpec(3, 2), [0.0, 1.5])
    with pytest.raises(ConfigError):
        LuNetSpec(hidden=0)


def test_seed_result_does_not_depend_on_batching():
    config = CollapseRun(epochs=2, checkpoints=(1, 2), n_train=192)
    together = train_collapse(config, range(8))
    halves = [train_collapse(config, range(0, 4)), train_collapse(config, range(4, 8))]
    for key, value in together.items():
        split = np.concatenate([h[key] for h in halves])
        assert value.shape[:3] == (8, 3, 3)
        np.testing.assert_allclose(value, split, rtol=1e-5, atol=1e-7, err_msg=key)


def test_relu_and_leaky_arms_of_a_seed_start_from_the_same_weights():
    config = CollapseRun(epochs=1, checkpoints=(1,), n_train=64)
    from claims.d_dying_relu.runs import build
    model = build(config, [0, 1])
    arms = list(config.arms)
    relu, leaky, rai = arms.index("relu_he"), arms.index("leaky_he"), arms.index("relu_rai")
    w = model.layers[3].weight.detach().view(2, 3, 3, 2, 2)   # [seed, target, arm, out, in]
    assert torch.equal(w[:, :, relu], w[:, :, leaky])
    assert not torch.equal(w[:, :, relu], w[:, :, rai])
    assert torch.equal(w[:, 0], w[:, 2])                       # every target starts alike


def test_born_dead_grid_is_monotone_in_depth():
    res = born_dead_by_depth(BornDeadGrid(widths=(2, 3), max_hidden=12), range(64))["born_dead"]
    assert res.shape == (64, 2, 12)
    assert not (res[:, :, :-1] & ~res[:, :, 1:]).any()        # dead at depth d => dead deeper
    leaky = born_dead_by_depth(BornDeadGrid(widths=(2,), max_hidden=12, slope=0.01), range(16))
    assert not leaky["born_dead"].any()


@pytest.mark.parametrize("width", [2, 3])
def test_unit_wise_forward_matches_batched_matmul(width):
    n = 6
    net = LuNet(n, LuNetSpec(hidden=5, width=width), [0.0, 0.01, 0.0, 0.01, 0.0, 0.3])
    net.reset(seeding.generators(range(n), "init"), ["he", "he_bias", "rai", "rai", "he", "he_bias"])
    x = torch.randn(n, 17, 1)
    fast = net(x)
    reference, _ = net.hidden_outputs(x)
    assert torch.allclose(fast, reference, atol=1e-5)
    relu = LuNet(n, LuNetSpec(hidden=5, width=width)).reset(seeding.generators(range(n), "init"))
    assert relu.relu_only
    assert torch.allclose(relu(x), relu.hidden_outputs(x)[0], atol=1e-5)


def test_unit_wise_and_batched_dead_checks_agree():
    n = 300
    net = LuNet(n, LuNetSpec(hidden=9, width=3)).reset(seeding.generators(range(n), "init"))
    fast = dead_layers(net, GRID)
    from models import lu_nets
    wide = lu_nets.UNIT_WISE_MAX_WIDTH
    try:
        lu_nets.UNIT_WISE_MAX_WIDTH = 1            # force the batched-matmul path
        reference = dead_layers(net, GRID)
    finally:
        lu_nets.UNIT_WISE_MAX_WIDTH = wide
    assert torch.equal(fast, reference)
    assert 0 < fast.any(1).sum() < n


# ---------------------------------------------------------------- each arm is what it names

def _arm_layers(model, config: CollapseRun, arm: str, seed_index: int, target_index: int = 0):
    """(weights, biases, slope) of one net of the batched collapse model."""
    i = (seed_index * len(config.targets) + target_index) * len(config.arms) + config.arms.index(arm)
    return ([layer.weight[i].detach() for layer in model.layers], [layer.bias[i].detach() for layer in model.layers],
            model.slopes[i].item())


def test_each_arm_has_the_slope_and_initialisation_it_names():
    from claims.d_dying_relu.runs import build
    from models.lu_nets import draw_nets

    config = CollapseRun(epochs=1, checkpoints=(1,), n_train=64,
                         arms=("relu_he", "leaky_he", "relu_rai", "relu_he_bias"))
    seeds = [5, 6, 7]
    model = build(config, seeds)
    sizes = LuNetSpec(config.hidden, config.width).sizes
    expected_slope = {"relu_he": 0.0, "leaky_he": 0.01, "relu_rai": 0.0, "relu_he_bias": 0.0}
    expected_init = {"relu_he": "he", "leaky_he": "he", "relu_rai": "rai", "relu_he_bias": "he_bias"}
    for si, seed in enumerate(seeds):
        for arm in config.arms:
            weights, biases, slope = _arm_layers(model, config, arm, si, target_index=1)
            assert slope == pytest.approx(expected_slope[arm]), arm
            drawn = draw_nets(sizes, [seeding.generator(seed, "init")], expected_init[arm])
            for (w, b), got_w, got_b in zip(drawn, weights, biases):
                assert torch.equal(w[0], got_w), arm
                assert torch.equal(b[0], got_b), arm
            if expected_init[arm] == "he":
                assert all(torch.count_nonzero(b).item() == 0 for b in biases), arm
            else:
                assert all(torch.count_nonzero(b).item() > 0 for b in biases), arm


def test_leaky_arm_computes_a_leaky_activation():
    # The slope is not only stored: a negative pre-activation passes at 0.01 in the leaky
    # arm and at 0 in the ReLU arm.
    from claims.d_dying_relu.runs import build

    config = CollapseRun(epochs=1, checkpoints=(1,), n_train=64, targets=("abs",),
                         arms=("relu_he", "leaky_he"))
    model = build(config, [0])
    z = torch.tensor([[-2.0, 3.0]])
    acts = model._act(z.expand(2, 2).unsqueeze(-1), model.slopes.view(2, 1, 1)).squeeze(-1)
    assert acts.tolist() == [[0.0, 3.0], [pytest.approx(-0.02), 3.0]]


def test_rai_rows_have_one_asymmetric_entry_in_zero_one():
    # One entry per row V_j = [w_j, b_j] is the Beta(2, 1) draw, which lies in [0, 1]; the
    # N(0, sigma^2) entries land there about half the time each, so a row of 4 symmetric
    # draws (He, say) has none there about 1 time in 16 and 1500 such rows would show it.
    rows = _rai_rows(500, 3)
    in_unit = ((rows >= 0) & (rows <= 1)).sum(1)
    assert (in_unit >= 1).all()


def test_overrides_swap_an_arms_mechanism_for_negative_controls():
    from claims.d_dying_relu.runs import build

    config = CollapseRun(epochs=1, checkpoints=(1,), n_train=64, targets=("abs",),
                         arms=("relu_he", "leaky_he", "relu_rai"),
                         overrides=(("leaky_he", 0.0, "he"), ("relu_rai", 0.0, "he")))
    model = build(config, [0, 1])
    for si in range(2):
        relu = _arm_layers(model, config, "relu_he", si)
        for arm in ("leaky_he", "relu_rai"):
            other = _arm_layers(model, config, arm, si)
            assert other[2] == 0.0
            assert all(torch.equal(a, b) for a, b in zip(relu[0] + relu[1], other[0] + other[1]))
    with pytest.raises(ConfigError):
        CollapseRun(epochs=1, checkpoints=(1,), arms=("relu_he",), overrides=(("leaky_he", 0.0, "he"),))


def test_born_dead_grid_draws_the_initialisation_it_names():
    zero = born_dead_by_depth(BornDeadGrid(widths=(3,), max_hidden=9), range(400))["born_dead"]
    variant = born_dead_by_depth(BornDeadGrid(widths=(3,), max_hidden=9, init="he_bias"),
                                 range(400))["born_dead"]
    assert not np.array_equal(zero, variant)
    assert zero[:, 0, -1].mean() > variant[:, 0, -1].mean()
