"""Negative controls for the H claims: a deliberately wrong formula or table entry, fed
to the same checking functions the claims use, must be reported as a mismatch.

A claim whose checks cannot fail proves nothing; each control below breaks one thing
(a formula, a configuration entry, a lab cell, a stated total) and asserts that the
check notices, and where it can, that it notices exactly where the break is. H4's
stated-total break is also fed through the claim's judge (``judge_H4``), beside the
unbroken judge's verdict as its positive control.
Large networks are counted on the meta device here (shapes only, no weights), which
``tests/test_arithmetic.py`` shows counts what the CPU counts.
"""
from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claims.h_architecture.judges import judge_H4
from deepclaims.verdict import REPRODUCED
from models import alexnet, inception, vgg
from models.arithmetic import (STANDARD, Conv, GivenCell, check_given_cells, check_receptive_fields,
                               check_stated_total, mismatches, pair, repeated_terms_matching,
                               stacked_receptive_field)
from models.counting import check_network, measure_receptive_field
from tests.controls import recorder, verdict

META = "meta"


def _mismatching_layers(check, quantity):
    return {a.quantity.rsplit(" ", 1)[0] for a in check.layer_mismatches if a.quantity.endswith(f" {quantity}")}


# --------------------------------------------------------------------------- H1

def _grouped_alexnet(layers=None, formulas=STANDARD):
    return check_network("AlexNet grouped", layers or alexnet.alexnet_layers(alexnet.GROUPED),
                         alexnet.INPUT_SHAPES[alexnet.GROUPED],
                         published={"params": alexnet.PUBLISHED_PARAMS[alexnet.GROUPED]},
                         formulas=formulas, device=META)


def test_H1_control_correct_tables_pass():
    """The positive control: the unbroken check finds nothing (so the failures below are
    caused by the break, not by the check)."""
    assert not _grouped_alexnet().mismatches


def test_H1_control_conv_formula_that_ignores_groups_is_caught():
    def weights_ignoring_groups(conv: Conv) -> int:
        kh, kw = pair(conv.kernel)
        return conv.out_channels * conv.in_channels * kh * kw

    check = _grouped_alexnet(formulas=dataclasses.replace(STANDARD, conv_weights=weights_ignoring_groups))
    # Exactly the grouped layers disagree with the module, and the total with the paper.
    assert _mismatching_layers(check, "weights") == {"conv2", "conv4", "conv5"}
    assert not check.totals["params"].agrees
    assert check.totals["params"].values["formula"] == alexnet.PUBLISHED_PARAMS[alexnet.SINGLE_TOWER]


def test_H1_control_wrong_table_entry_is_caught_by_the_published_figure():
    """conv4 left ungrouped in the grouped table: formula and module, built from the same
    wrong table, agree with each other; only the published total can catch it."""
    layers = [dataclasses.replace(layer, groups=1) if getattr(layer, "name", "") == "conv4" else layer
              for layer in alexnet.alexnet_layers(alexnet.GROUPED)]
    check = _grouped_alexnet(layers)
    assert not check.layer_mismatches
    params = check.totals["params"]
    assert not params.agrees
    assert params.values["module"] - params.values["published"] == 384 * 3 * 3 * 192


# --------------------------------------------------------------------------- H2

def _vgg19(layers=None, formulas=STANDARD):
    return check_network("VGG19", layers or vgg.vgg_layers(vgg.VGG19), vgg.IMAGE_SHAPE,
                         published={"params": vgg.PUBLISHED_PARAMS[vgg.VGG19],
                                    "weights": vgg.PUBLISHED_VGG19_WEIGHTS,
                                    "activations": vgg.PUBLISHED_VGG19_ACTIVATIONS},
                         formulas=formulas, device=META)


def test_H2_control_correct_table_passes():
    assert not _vgg19().mismatches


def test_H2_control_one_conv_width_changed_is_caught():
    config = list(vgg.VGG_CONFIGS[vgg.VGG19])
    config[config.index(512)] = 511  # conv4_1 one filter short
    check = _vgg19(vgg.vgg_layers(config))
    assert not check.layer_mismatches  # the table and its module agree with each other ...
    for quantity in ("params", "weights", "activations"):  # ... but not with the published totals
        assert not check.totals[quantity].agrees, quantity


def test_H2_control_counting_rule_that_forgets_pooling_outputs_is_caught():
    check = _vgg19(formulas=dataclasses.replace(STANDARD, stored=frozenset({"input", "conv", "linear"})))
    assert _mismatching_layers(check, "activations") == {f"pool{i}" for i in range(1, 6)}
    activations = check.totals["activations"]
    assert activations.values["published"] - activations.values["formula"] == 802_816 + 401_408 + 200_704 + 100_352 + 25_088
    assert activations.values["module"] == activations.values["published"]


def test_H2_control_wrong_lab_cell_is_caught():
    rows = vgg.vgg_layers(vgg.VGG19)
    computed = _vgg19(rows).formula_rows
    assert not mismatches(check_given_cells(computed, vgg.LAB_TABLE1_GIVEN))
    wrong = [GivenCell(c.row, c.column, "(3*3*64)*64 = 36,846") if (c.row, c.column) == (2, "weights") else c
             for c in vgg.LAB_TABLE1_GIVEN]
    found = mismatches(check_given_cells(computed, wrong))
    assert [a.quantity for a in found] == ["row 2 (CONV3-64) weights: lab's stated 36,846"]
    wrong_expression = [GivenCell(12, "weights", "(3*3*512)*512 = 2,359,296")]  # conv4_1 reads 256 channels
    assert len(mismatches(check_given_cells(computed, wrong_expression))) == 2


def test_H2_control_abbreviated_value_off_by_more_than_rounding_is_caught():
    computed = _vgg19().formula_rows
    found = mismatches(check_given_cells(computed, [GivenCell(3, "activations", "112*112*64=850K")]))
    assert len(found) == 1 and "850K" in found[0].quantity


# --------------------------------------------------------------------------- H3

@pytest.fixture(scope="module")
def measured_fields():
    return {(n, f): measure_receptive_field(n, f).size for n in range(1, 5) for f in range(1, 6)}


def test_H3_control_correct_formula_passes(measured_fields):
    assert not mismatches(check_receptive_fields(measured_fields))


def test_H3_control_formula_off_by_one_is_caught(measured_fields):
    found = mismatches(check_receptive_fields(measured_fields, formula=lambda n, f: n * f - n))
    assert len(found) == len(measured_fields)


def test_H3_control_formula_without_overlap_is_caught(measured_fields):
    found = mismatches(check_receptive_fields(measured_fields, formula=lambda n, f: n * f))
    # N x F equals NF - N + 1 only for a single layer: every deeper stack is caught.
    assert {a.quantity for a in found} == {f"N={n}, F={f}" for (n, f) in measured_fields if n > 1}


@settings(max_examples=30, deadline=None)
@given(n_layers=st.integers(1, 6), kernel=st.integers(1, 9))
def test_H3_receptive_field_formula_holds_for_random_stacks(n_layers, kernel):
    """The positive side, beyond the claim's grid: for any N and F, the measured field of
    a real stack is a full (NF - N + 1)-wide square."""
    field = measure_receptive_field(n_layers, kernel, seed=n_layers * 100 + kernel)
    assert (field.height, field.width) == (stacked_receptive_field(n_layers, kernel),) * 2
    assert field.dense


def test_H3_control_strided_stacks_do_not_follow_the_stride_one_formula():
    """The measurement can disagree with NF - N + 1: stride-2 stacks see further."""
    strided = {(n, f): measure_receptive_field(n, f, stride=2).size for n in (2, 3) for f in (3, 5)}
    assert len(mismatches(check_receptive_fields(strided))) == len(strided)


# --------------------------------------------------------------------------- H4

def test_H4_control_multiply_formula_that_ignores_the_reduction_is_caught():
    def multiplies_from_module_input(conv: Conv, out_hw) -> int:
        kh, kw = pair(conv.kernel)
        return out_hw[0] * out_hw[1] * conv.out_channels * inception.LAB_NAIVE.in_channels * kh * kw

    wrong = dataclasses.replace(STANDARD, conv_multiplies=multiplies_from_module_input)
    naive = check_network("naive", inception.inception_layers(inception.LAB_NAIVE), inception.LAB_INPUT,
                          formulas=wrong, device=META)
    reduced = check_network("reduced", inception.inception_layers(inception.LAB_REDUCED), inception.LAB_INPUT,
                            formulas=wrong, device=META)
    assert not naive.mismatches  # every naive convolution does read all 256 channels
    assert _mismatching_layers(reduced, "multiplies") == {"inception.b3x3.conv3x3", "inception.b5x5.conv5x5"}
    assert not reduced.totals["multiplies"].agrees


def test_H4_control_stated_totals():
    """The lecture's 854M agrees with its terms, its 358M does not; a stated total equal to
    the terms' sum would not be flagged."""
    precision = inception.LECTURE_PRECISION
    assert check_stated_total(inception.LECTURE_NAIVE_TERMS, 854e6, precision).agrees
    assert not check_stated_total(inception.LECTURE_REDUCED_TERMS, 358e6, precision).agrees
    assert check_stated_total(inception.LECTURE_REDUCED_TERMS, 271e6, precision).agrees
    # A term list in which the 3x3 convolution reads 128 channels would make 358M right.
    with_128 = dict(inception.LECTURE_REDUCED_TERMS, **{"[3x3 conv, 192]": (28, 28, 192, 3, 3, 128)})
    assert check_stated_total(with_128, 358e6, precision).agrees
    assert repeated_terms_matching(inception.LECTURE_REDUCED_TERMS, 358e6, precision) == ["[3x3 conv, 192]"]


def test_H4_control_wrong_reduction_width_changes_the_module_count():
    """A module built with 128-wide bottlenecks does not count the lecture's listed terms."""
    wider = inception.LAB_NAIVE.reduced(128, 128, 128)
    check = check_network("wider", inception.inception_layers(wider), inception.LECTURE_INPUT, device=META)
    listed = sum(math.prod(t) for t in inception.LECTURE_REDUCED_TERMS.values())
    assert check.totals["multiplies"].values["module"] != listed


FLAGGING_PART = "lecture reduced: |stated 358M - module count| (the claim: beyond the slide's rounding)"


def test_H4_control_judge_holds_on_the_slides_figures(tmp_path):
    """The positive control for the judge-level break below."""
    rec = recorder("H4", tmp_path)
    judge_H4(rec)
    assert verdict(rec) == REPRODUCED


def test_H4_control_judge_does_not_flag_a_stated_total_equal_to_its_terms(monkeypatch, tmp_path):
    """Through the judge itself: had the slide stated the sum of its own terms (about 271M)
    instead of 358M, the part that flags the stated total fails, and only that part."""
    listed = sum(math.prod(t) for t in inception.LECTURE_REDUCED_TERMS.values())
    monkeypatch.setitem(inception.LECTURE_STATED_TOTALS, "reduced", float(listed))
    rec = recorder("H4", tmp_path)
    judge_H4(rec)
    assert verdict(rec) != REPRODUCED
    assert [p.measured for p in rec.parts if p.verdict != REPRODUCED] == [FLAGGING_PART]
