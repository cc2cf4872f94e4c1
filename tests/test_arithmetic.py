"""Property tests: the closed forms of ``models.arithmetic`` against real torch modules.

Hypothesis draws random layer configurations (kernel, stride, padding, dilation, groups,
bias, input size); each is instantiated as a real module on the CPU and counted by
``models.counting`` (numel, forward hooks, FlopCounterMode), and every count must equal
the formula's. Sizes stay small so the whole module runs in a few seconds.
"""
from __future__ import annotations

import math

import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from models.arithmetic import (STANDARD, Agreement, Conv, Flatten, GivenCell, Linear, MaxPool,
                               Pointwise, analyse, check_given_cells, conv_output_size, evaluate_product,
                               output_shape, pair, parse_rounded, receptive_field, stacked_receptive_field, totals)
from models.counting import check_network, instantiate, measure_receptive_field, parameter_numel, trace
from models.inception import InceptionConfig, inception_layers

FAST = settings(max_examples=40, deadline=None)


@st.composite
def conv_cases(draw):
    groups = draw(st.integers(1, 3))
    conv = Conv("conv", groups * draw(st.integers(1, 3)), groups * draw(st.integers(1, 3)),
                (draw(st.integers(1, 5)), draw(st.integers(1, 5))),
                stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
                padding=(draw(st.integers(0, 2)), draw(st.integers(0, 2))),
                dilation=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
                groups=groups, bias=draw(st.booleans()))
    return conv, (draw(st.integers(1, 20)), draw(st.integers(1, 20)))


def _expected_hw(conv: Conv, hw):
    k, s, p, d = (pair(v) for v in (conv.kernel, conv.stride, conv.padding, conv.dilation))
    return tuple(conv_output_size(hw[i], k[i], s[i], p[i], d[i]) for i in range(2))


@FAST
@given(conv_cases())
def test_conv_parameters_shape_and_multiplies_match_torch(case):
    conv, hw = case
    out_hw = _expected_hw(conv, hw)
    model = instantiate([conv])
    x = torch.rand(1, conv.in_channels, *hw)
    if min(out_hw) < 1:
        # The formula says the window does not fit; torch must refuse the input too.
        with pytest.raises(RuntimeError):
            model(x)
        return
    shape = (conv.in_channels, *hw)
    rows = analyse([conv], shape)
    traced = trace(model, shape)
    assert traced.output_shape == (conv.out_channels, *out_hw) == rows[-1].output_shape
    assert parameter_numel(model)["weights"] == rows[-1].weights
    assert parameter_numel(model)["biases"] == rows[-1].biases == (conv.out_channels if conv.bias else 0)
    assert traced.layers[-1].multiplies == rows[-1].multiplies == traced.flop_counter_multiplies


@FAST
@given(st.integers(1, 60), st.integers(1, 60), st.booleans(), st.integers(1, 3))
def test_linear_parameters_and_multiplies_match_torch(in_features, out_features, bias, batch):
    layer = Linear("fc", in_features, out_features, bias=bias)
    model = instantiate([layer])
    rows = analyse([layer], (in_features,))
    traced = trace(model, (in_features,), batch=batch)
    assert parameter_numel(model)["params"] == rows[-1].params
    assert traced.output_shape == rows[-1].output_shape == (out_features,)
    assert traced.layers[-1].multiplies == rows[-1].multiplies == traced.flop_counter_multiplies


@FAST
@given(kernel=st.integers(1, 4), stride=st.integers(1, 3), data=st.data(),
       h=st.integers(1, 20), w=st.integers(1, 20))
def test_max_pool_output_shape_matches_torch(kernel, stride, data, h, w):
    padding = data.draw(st.integers(0, kernel // 2))  # torch's limit on pooling padding
    assume(min(h, w) + 2 * padding >= kernel)
    pool = MaxPool("pool", kernel, stride, padding)
    traced = trace(instantiate([pool]), (2, h, w))
    assert traced.output_shape == output_shape([pool], (2, h, w))


@st.composite
def sequential_tables(draw):
    """Random small conv/pool stacks ending in a linear layer, valid by construction of
    torch's own rule (the test builds them from the formula and lets torch confirm)."""
    channels, size = draw(st.integers(1, 3)), draw(st.integers(8, 24))
    layers, c, hw = [], channels, (size, size)
    for i in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            groups = draw(st.sampled_from([g for g in (1, 2, 3) if c % g == 0]))
            out = groups * draw(st.integers(1, 3))
            conv = Conv(f"conv{i}", c, out, draw(st.integers(1, 3)), stride=draw(st.integers(1, 2)),
                        padding=draw(st.integers(0, 1)), dilation=draw(st.integers(1, 2)), groups=groups,
                        bias=draw(st.booleans()))
            new = output_shape([conv], (c, *hw))
            if min(new[1:]) < 1:
                continue
            layers += [conv, Pointwise("relu", f"relu{i}")]
            c, hw = out, new[1:]
        elif min(hw) >= 2:
            layers.append(MaxPool(f"pool{i}", 2))
            hw = (hw[0] // 2, hw[1] // 2)
    layers += [Flatten("flatten"), Linear("fc", c * hw[0] * hw[1], draw(st.integers(1, 5)))]
    return layers, (channels, size, size)


@settings(max_examples=25, deadline=None)
@given(sequential_tables())
def test_random_tables_agree_layer_by_layer(table):
    layers, shape = table
    check = check_network("random", layers, shape)
    assert not check.mismatches, check.summary()


@settings(max_examples=25, deadline=None)
@given(in_channels=st.integers(1, 6), widths=st.tuples(*[st.integers(1, 6)] * 3),
       reductions=st.one_of(st.none(), st.tuples(*[st.integers(1, 4)] * 3)), size=st.integers(1, 9))
def test_random_inception_modules_agree(in_channels, widths, reductions, size):
    config = InceptionConfig(in_channels, *widths)
    if reductions is not None:
        config = config.reduced(*reductions)
    check = check_network("inception", inception_layers(config), (in_channels, size, size))
    assert not check.mismatches, check.summary()
    pool_channels = in_channels if reductions is None else reductions[2]
    assert check.totals["output_shape"].values["module"] == (sum(widths) + pool_channels, size, size)


@settings(max_examples=30, deadline=None)
@given(n_layers=st.integers(1, 4), kernel=st.integers(1, 5), stride=st.integers(1, 2),
       dilation=st.integers(1, 2))
def test_general_receptive_field_formula_matches_measurement(n_layers, kernel, stride, dilation):
    measured = measure_receptive_field(n_layers, kernel, stride, dilation)
    expected = receptive_field([(kernel, stride, dilation)] * n_layers)
    assert (measured.height, measured.width) == (expected, expected)


@given(st.integers(1, 50), st.integers(1, 50))
def test_lab_formula_is_the_stride_one_case_of_the_general_one(n_layers, kernel):
    assert stacked_receptive_field(n_layers, kernel) == receptive_field([(kernel, 1, 1)] * n_layers)


def test_meta_device_counts_equal_cpu_counts():
    """The claims count VGG A-C on the meta device; it must count what the CPU counts."""
    layers = [Conv("c1", 3, 8, 3, padding=1), Pointwise("relu"), MaxPool("p1", 2),
              Conv("c2", 8, 4, 3, groups=2), Flatten(), Linear("fc", 4 * 6 * 6, 10)]
    on_cpu = check_network("cpu", layers, (3, 16, 16), device="cpu")
    on_meta = check_network("meta", layers, (3, 16, 16), device="meta")
    assert on_cpu.formula_rows == on_meta.formula_rows
    assert on_cpu.module_rows == on_meta.module_rows
    assert {k: a.values for k, a in on_cpu.totals.items()} == {k: a.values for k, a in on_meta.totals.items()}


def test_totals_and_expressions_of_a_known_layer():
    rows = analyse([Conv("conv", 64, 128, 3, padding=1)], (64, 112, 112))
    assert rows[-1].weight_expression == "(3*3*64)*128 = 73,728"
    assert rows[-1].activation_expression == "112*112*128 = 1,605,632"
    assert totals(rows).activations == 64 * 112 * 112 + 128 * 112 * 112
    assert totals(rows).params == 73_728 + 128


@pytest.mark.parametrize("text, value", [("150K", 150e3), ("3.2M", 3.2e6), ("16,777,216", 16_777_216), ("0", 0)])
def test_parse_rounded(text, value):
    assert parse_rounded(text) == value


def test_evaluate_product_accepts_only_products():
    assert evaluate_product("(3*3*256)*512") == 1_179_648
    with pytest.raises(ValueError):
        evaluate_product("__import__('os')")


def test_given_cells_accept_the_labs_rounding_and_reject_a_wrong_expression():
    rows = analyse([Conv("conv", 3, 64, 3, padding=1)], (3, 224, 224))
    good = [GivenCell(1, "activations", "224*224*64=3.2M"), GivenCell(1, "weights", "(3*3*3)*64 = 1,728")]
    assert all(a.agrees for a in check_given_cells(rows, good))
    bad = check_given_cells(rows, [GivenCell(1, "activations", "224*224*32=1.6M")])
    assert not any(a.agrees for a in bad)


def test_agreement_semantics():
    assert Agreement("x", {"a": 5, "b": 5}).agrees
    assert not Agreement("x", {"a": 5, "b": 6}).agrees
    assert Agreement("x", {"a": 5, "b": 6}, tolerance=1).agrees
    assert not Agreement("x", {"a": 5, "b": None}).agrees
    assert Agreement("x", {"a": (1, 2), "b": (1, 2)}).agrees
    assert "MISMATCH" in Agreement("x", {"a": 1, "b": 2}).describe()


def test_formulas_bundle_defaults_count_input_conv_pool_and_linear():
    assert STANDARD.stored == {"input", "conv", "pool", "linear"}
    assert math.prod((3, 224, 224)) == analyse([], (3, 224, 224))[0].activations
