"""Every catalogue claim as one parametrized test: its spec's judge over its experiment
fixtures, concluded against the reviewed expectation (``claims/expected.py``)."""
import pytest

from claims.registry import claim_specs


@pytest.mark.parametrize("spec", [pytest.param(s, id=s.id, marks=pytest.mark.claim(s.id)) for s in claim_specs()])
def test_claim(spec, claim, request):
    spec.check(claim, request.getfixturevalue)
