"""Per-seed dropout (deepclaims/dropout.py): the two test-time rules, the masks' streams and
layouts, and errors."""
import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from deepclaims import seeding
from deepclaims.dropout import SeedDropout, seed_masks, set_dropout_rule
from deepclaims.errors import ConfigError


def _layer(rate, layout="columns", rule="inverted", seeds=(0,)):
    layer = SeedDropout(rate, layout, rule)
    layer.set_generators(seeding.generators(seeds, "dropout"))
    return layer


@settings(max_examples=60, deadline=None)
@given(in_features=st.integers(1, 6), out_features=st.integers(1, 4),
       retain=st.floats(0.05, 0.95), data_seed=st.integers(0, 2 ** 16))
def test_both_rules_give_their_test_time_activation_exactly_in_expectation(in_features, out_features, retain,
                                                                          data_seed):
    """For a linear layer after dropout, the expectation over every keep-mask (enumerated, each
    weighted by its probability) of the training-time pre-activation equals the test-time one,
    under inverted dropout and under Srivastava's weight scaling, exactly (float64)."""
    rng = np.random.default_rng(data_seed)
    w = torch.as_tensor(rng.normal(size=(out_features, in_features)))
    a = torch.as_tensor(rng.normal(size=(1, in_features, 3)))       # columns [S=1, F, B=3]
    for rule in ("inverted", "weight_scaling"):
        layer = SeedDropout(1.0 - retain, "columns", rule)
        expected = torch.zeros(out_features, 3, dtype=torch.float64)
        for keep in itertools.product((0.0, 1.0), repeat=in_features):
            mask = torch.tensor(keep, dtype=torch.float64).view(1, in_features, 1)
            probability = retain ** sum(keep) * (1 - retain) ** (in_features - sum(keep))
            expected += probability * (w @ layer.apply_mask(a, mask)[0])
        layer.eval()
        test_time = w @ layer(a)[0]
        np.testing.assert_allclose(expected.numpy(), test_time.numpy(), rtol=1e-12, atol=1e-12)


def test_weight_scaling_at_the_activation_equals_scaling_the_outgoing_weights():
    layer = _layer(0.3, rule="weight_scaling").eval()
    w, a = torch.randn(4, 5, dtype=torch.float64), torch.randn(1, 5, 7, dtype=torch.float64)
    np.testing.assert_allclose((w @ layer(a)[0]).numpy(), ((0.7 * w) @ a[0]).numpy(), rtol=1e-12)


def test_mismatched_rule_changes_the_evaluation():
    """A net trained with inverted dropout evaluates unchanged under its own rule and scaled
    by the retain probability under weight scaling (E5's negative control in miniature)."""
    layer = _layer(0.5).eval()
    a = torch.randn(1, 5, 7)
    assert torch.equal(layer(a), a)
    set_dropout_rule(layer, "weight_scaling")
    np.testing.assert_allclose(layer(a).numpy(), 0.5 * a.numpy(), rtol=1e-6)


def test_inverted_dropout_preserves_the_mean_and_keeps_the_retain_share():
    """Sampled: the kept share lies in its 99.9% binomial interval around 0.8 and the
    mean of dropout(1) is 1 within its sampling error; kept units are scaled by 1/0.8."""
    n = 200_000
    out = _layer(0.2)(torch.ones(1, 1, n))
    kept = int((out > 0).sum())
    lo, hi = stats.binom.interval(0.999, n, 0.8)
    assert lo <= kept <= hi
    assert torch.allclose(out[out > 0], torch.tensor(1 / 0.8))
    assert abs(float(out.mean()) - 1.0) < 4 * np.sqrt(0.2 / 0.8 / n)


def test_weight_scaling_does_not_scale_in_training():
    out = _layer(0.2, rule="weight_scaling")(torch.ones(1, 1, 1000))
    assert set(out.unique().tolist()) <= {0.0, 1.0}


def test_a_seed_masks_come_from_its_own_stream_whatever_the_batch_of_seeds():
    """Grouped layout [B, S*C, H, W]: seed i's channels hold the mask a fresh generator of
    seed i's dropout stream draws for [B, C, H, W], for any seeds beside it."""
    b, c, h = 3, 2, 4
    for seeds in ([7], [3, 7, 11]):
        layer = _layer(0.5, "grouped", seeds=seeds)
        out = layer(torch.ones(b, len(seeds) * c, h, h))
        i = seeds.index(7)
        own = (torch.rand((b, c, h, h), generator=seeding.generator(7, "dropout")) < 0.5).float() / 0.5
        assert torch.equal(out[:, i * c:(i + 1) * c], own)


@settings(max_examples=40, deadline=None)
@given(seeds=st.lists(st.integers(0, 10 ** 6), min_size=1, max_size=5, unique=True),
       shape=st.lists(st.integers(1, 7), min_size=1, max_size=3), retain=st.floats(0.0, 1.0))
def test_seed_masks_are_each_seeds_own_rand_draws_compared_with_retain(seeds, shape, retain):
    """seed_masks draws in place in one buffer; every row must be what a user's single-seed
    ``torch.rand(...) < retain`` gives from the same generator, and leave it in the same
    state (two masks in a row, so a generator advanced differently would show)."""
    batched = seeding.generators(seeds, "dropout")
    own = seeding.generators(seeds, "dropout")
    for _ in range(2):
        masks = seed_masks(batched, 3, tuple(shape), retain)
        expected = torch.stack([(torch.rand((3, *shape), generator=g) < retain).float() for g in own])
        assert masks.dtype == torch.float32 and torch.equal(masks, expected)


def test_column_masks_are_the_transposed_per_sample_draws():
    layer = _layer(0.5, "columns", seeds=[1, 2])
    out = layer(torch.ones(2, 5, 3))   # [S, F, B]
    own = seed_masks(seeding.generators([2], "dropout"), 3, (5,), 0.5)[0].T / 0.5
    assert torch.equal(out[1], own)


def test_rate_zero_is_the_identity_and_draws_nothing():
    layer = _layer(0.0)
    a = torch.randn(1, 3, 4)
    assert layer(a) is a


@pytest.mark.parametrize("make, message", [
    (lambda: SeedDropout(1.0, "columns"), r"dropout rate must lie in \[0, 1\)"),
    (lambda: SeedDropout(-0.5, "columns"), r"dropout rate must lie in \[0, 1\)"),
    (lambda: SeedDropout(0.5, "rows"), "unknown dropout layout 'rows'; accepted: columns, grouped"),
    (lambda: SeedDropout(0.5, "columns", "srivastava"), "unknown dropout rule 'srivastava'"),
    (lambda: SeedDropout(0.5, "columns")(torch.ones(1, 2, 3)), "needs its seeds' generators"),
    (lambda: _layer(0.5, seeds=[0, 1])(torch.ones(3, 2, 4)), "activations hold 3 seeds but the dropout layer has 2 generators"),
    (lambda: set_dropout_rule(_layer(0.5), "both"), "unknown dropout rule 'both'"),
])
def test_bad_dropout_settings_name_the_problem(make, message):
    with pytest.raises(ConfigError, match=message):
        make()
