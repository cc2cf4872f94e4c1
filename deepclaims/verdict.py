"""Turn an estimate, its interval and a threshold into a verdict and a failure message.

Vocabulary (from the catalogue): ``reproduced`` when the whole interval lies on the
side of the threshold the claim states, ``contradicted`` when the whole interval lies
on the other side, ``not reproduced`` when the interval straddles the threshold.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from deepclaims.errors import ConfigError
from deepclaims.stats import Estimate

REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
CONTRADICTED = "contradicted"
VERDICTS = (REPRODUCED, NOT_REPRODUCED, CONTRADICTED)

Direction = Literal["above", "below", "equal"]


@dataclass
class Verdict:
    """The outcome of one claim's assertion, with everything a report or a failure needs."""

    claim_id: str
    title: str
    source: str
    measured: str
    estimate: Estimate
    threshold: float
    direction: Direction
    verdict: str
    expected_verdict: str = REPRODUCED
    finding: str = ""
    details: dict = field(default_factory=dict)

    def message(self) -> str:
        """One screen saying what was measured, its interval, what was expected and the source."""
        side = {"above": ">", "below": "<", "equal": "=="}[self.direction]
        lines = [
            f"claim {self.claim_id}: {self.title}",
            f"  source:    {self.source}",
            f"  measured:  {self.measured} = {self.estimate.value:.4g} "
            f"({self.estimate.confidence:.0%} {self.estimate.method} interval "
            f"[{self.estimate.low:.4g}, {self.estimate.high:.4g}], n={self.estimate.n})",
            f"  threshold: the claim holds when the interval lies {side} {self.threshold:.4g}",
            f"  verdict:   {self.verdict} (the suite expects: {self.expected_verdict})",
        ]
        if self.finding:
            lines.append(f"  finding:   {self.finding}")
        for key, value in self.details.items():
            lines.append(f"  {key}: {value}")
        return "\n".join(lines)


def decide(estimate: Estimate, threshold: float, direction: Direction) -> str:
    """Verdict for 'the quantity lies <direction> threshold' given its interval."""
    if direction == "above":
        if estimate.low > threshold:
            return REPRODUCED
        if estimate.high < threshold:
            return CONTRADICTED
        return NOT_REPRODUCED
    if direction == "below":
        if estimate.high < threshold:
            return REPRODUCED
        if estimate.low > threshold:
            return CONTRADICTED
        return NOT_REPRODUCED
    raise ConfigError(f"direction must be 'above' or 'below', got {direction!r}")


def combine(verdicts: list[str]) -> str:
    """A claim made of several parts holds only when every part holds.

    Any contradicted part contradicts the claim; otherwise any undecided part leaves it
    not reproduced.
    """
    if not verdicts:
        raise ConfigError("combine() needs at least one verdict")
    for v in verdicts:
        if v not in VERDICTS:
            raise ConfigError(f"unknown verdict {v!r}; accepted: {', '.join(VERDICTS)}")
    if CONTRADICTED in verdicts:
        return CONTRADICTED
    if NOT_REPRODUCED in verdicts:
        return NOT_REPRODUCED
    return REPRODUCED
