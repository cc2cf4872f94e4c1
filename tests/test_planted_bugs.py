"""The planted-bug script (tests/planted_bugs.py) stays aimed at real code: each of its
edits matches its file exactly once, so a run of it cannot silently plant nothing."""
import re
from pathlib import Path

import pytest

from tests.planted_bugs import BUGS, ROOT, plant


@pytest.mark.parametrize("bug", BUGS, ids=[b.name for b in BUGS])
def test_each_planted_bug_edits_exactly_one_place(bug, tmp_path):
    text = (ROOT / bug.path).read_text()
    assert len(re.findall(bug.pattern, text)) == 1
    copy = tmp_path / bug.path
    copy.parent.mkdir(parents=True)
    copy.write_text(text)
    plant(bug, tmp_path)
    assert copy.read_text() != text


def test_a_pattern_that_no_longer_matches_stops_the_script(tmp_path):
    bug = BUGS[0]
    (tmp_path / Path(bug.path).parent).mkdir(parents=True)
    (tmp_path / bug.path).write_text("nothing to edit here\n")
    with pytest.raises(SystemExit, match="matched 0 times"):
        plant(bug, tmp_path)
