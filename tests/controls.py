"""Shared pieces of the negative-control tests: a recorder outside pytest's claim fixture,
and the verdict its parts combine to."""
from claims.catalogue import CATALOGUE
from deepclaims.recorder import ClaimRecorder
from deepclaims.verdict import combine


def recorder(claim_id: str, tmp_path) -> ClaimRecorder:
    return ClaimRecorder(claim_id, CATALOGUE[claim_id], "ci", "cpu", tmp_path)


def verdict(rec: ClaimRecorder) -> str:
    return combine([p.verdict for p in rec.parts])


def judged(claim_id: str, judge, *evidence, tmp_path) -> str:
    """The verdict ``judge`` reaches for ``claim_id`` on this evidence."""
    rec = recorder(claim_id, tmp_path)
    judge(rec, *evidence)
    return verdict(rec)
