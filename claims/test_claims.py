"""Every catalogue claim as one parametrized test: its spec's judge over its experiment
fixtures, concluded against the reviewed expectation (``claims/expected.py``)."""
import pytest

from claims.registry import claim_specs
from deepclaims.summary import junit_properties


@pytest.mark.parametrize("spec", [pytest.param(s, id=s.id, marks=pytest.mark.claim(s.id)) for s in claim_specs()])
def test_claim(spec, claim, request):
    try:
        spec.check(claim, request.getfixturevalue)
    finally:
        # The verdict fields become JUnit properties (--junitxml), for CI; a failing claim (an
        # unexpected verdict) is the one CI most needs them for, and a skipped one has no
        # record. Appended as the record_property fixture does, without its warning on every
        # claim under pytest's default junit_family (xunit2), which writes them all the same.
        if not claim.skipped:
            request.node.user_properties.extend(junit_properties(claim.record()))
