"""The claim recorder's rules for findings: expectations as data, sensitivity tables."""
import pytest

from deepclaims.errors import ConfigError
from deepclaims.recorder import CatalogueEntry, ClaimRecorder, Expectation
from deepclaims.stats import Estimate
from deepclaims.verdict import CONTRADICTED, REPRODUCED

ENTRY = CatalogueEntry("the quantity exceeds one", "a test")
HIGH = Estimate(2.0, 1.5, 2.5, 0.95, "t", 10)
LOW = Estimate(0.5, 0.2, 0.8, 0.95, "t", 10)


def recorder(tmp_path, expectation=Expectation(), fidelity="ci"):
    return ClaimRecorder("Z1", ENTRY, fidelity, "cpu", tmp_path, expectation=expectation)


def judge(rec, estimate):
    rec.part("quantity", estimate, 1.0, "above")


FINDING = Expectation(CONTRADICTED, "the quantity is below one", "a hand-made interval")


def test_a_finding_needs_words_and_evidence():
    with pytest.raises(ConfigError, match="finding"):
        Expectation(CONTRADICTED)
    with pytest.raises(ConfigError, match="unknown expected verdict"):
        Expectation("refuted", "x", "y")


def test_a_finding_without_a_sensitivity_table_fails(tmp_path):
    rec = recorder(tmp_path, FINDING)
    judge(rec, LOW)
    with pytest.raises(pytest.fail.Exception, match="no sensitivity table"):
        rec.conclude()


def test_a_finding_that_holds_under_its_alternatives_passes(tmp_path):
    rec = recorder(tmp_path, FINDING)
    judge(rec, LOW)
    with rec.alternative("twice the budget") as alt:
        judge(alt, LOW)
    assert rec.conclude() == CONTRADICTED
    assert len(rec.parts) == 1  # the alternative's parts do not count toward the verdict
    row = rec.record()["sensitivity"][0]
    assert row["setup"] == "twice the budget" and row["verdict"] == CONTRADICTED


def test_a_finding_that_flips_must_name_what_it_depends_on(tmp_path):
    rec = recorder(tmp_path, FINDING)
    judge(rec, LOW)
    with rec.alternative("another initialisation") as alt:
        judge(alt, HIGH)
    with pytest.raises(pytest.fail.Exception, match="depending on that choice"):
        rec.conclude()
    named = Expectation(CONTRADICTED, FINDING.finding, FINDING.evidence, depends_on="the initialisation")
    rec = recorder(tmp_path, named)
    judge(rec, LOW)
    with rec.alternative("another initialisation") as alt:
        judge(alt, HIGH)
    assert rec.conclude() == CONTRADICTED
    assert rec.record()["depends_on"] == "the initialisation"


def test_the_record_headlines_the_part_that_decided(tmp_path):
    rec = recorder(tmp_path)
    judge(rec, HIGH)
    rec.part("second quantity", LOW, 1.0, "above")
    with pytest.raises(pytest.fail.Exception):
        rec.conclude()
    record = rec.record()
    assert record["verdict"] == CONTRADICTED and record["estimate"] == LOW.value
    assert record["condition"] == "> 1"


def test_smoke_records_but_does_not_assert(tmp_path):
    rec = recorder(tmp_path, FINDING, fidelity="smoke")
    judge(rec, HIGH)
    assert rec.conclude() == REPRODUCED


def test_a_claim_that_holds_headlines_its_weakest_part(tmp_path):
    rec = recorder(tmp_path)
    rec.part("comfortable", Estimate(5.0, 4.0, 6.0, 0.95, "t", 10), 1.0, "above")
    rec.part("near miss", Estimate(1.3, 1.1, 1.5, 0.95, "t", 10), 1.0, "above")
    assert rec.conclude() == REPRODUCED
    record = rec.record()
    assert record["estimate"] == 1.3 and record["parts"][record["deciding_part"]]["measured"] == "near miss"
