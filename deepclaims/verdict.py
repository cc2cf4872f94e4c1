"""Turn an estimate, its interval and a threshold into a verdict and a failure message.

Vocabulary (from the catalogue): ``reproduced`` when the whole interval lies on the
side of the threshold the claim states, ``contradicted`` when the whole interval lies
on the other side, ``not reproduced`` when the interval straddles the threshold.

An interval that touches its threshold decides nothing (the comparisons are strict), and
degenerate evidence (``Estimate.degenerate``: n > 1 identical values, a depth crossing
no swept depth reaches) is refused: its verdict is ``not reproduced`` with the reason.

Directions: ``above`` / ``below`` a threshold, and ``within`` a tolerance of a published
value (an equivalence: ``reproduced`` when the whole interval lies inside
[published - tolerance, published + tolerance], ``contradicted`` when it lies wholly
outside, ``not reproduced`` when it overlaps an edge).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from deepclaims.effects import SmallestEffect
from deepclaims.errors import ConfigError
from deepclaims.formatting import condition_text
from deepclaims.stats import Estimate

REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
CONTRADICTED = "contradicted"
VERDICTS = (REPRODUCED, NOT_REPRODUCED, CONTRADICTED)

Direction = Literal["above", "below", "within", "equal"]


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
    details: dict = field(default_factory=dict)
    tolerance: float | None = None   # for ``within``: the half-width around ``threshold``
    # A comparison's smallest effect and the null it moves (``threshold`` is then the
    # null moved by the effect; see ``deepclaims.effects``); None for a bound on one arm.
    effect: "SmallestEffect | None" = None
    null: float | None = None
    # For a part not decided: the seeds that would decide it at the observed spread.
    seeds_to_decide: int | None = None

    def condition(self) -> str:
        """The claim's condition on the quantity, e.g. '> 0.6' or 'within ±0.05 of 0.93'."""
        return condition_text(self.direction, self.threshold, self.tolerance, self.estimate.method == "exact")

    def message(self) -> str:
        """One screen saying what was measured, its interval, what was expected and the source."""
        lines = [
            f"claim {self.claim_id}: {self.title}",
            f"  source:    {self.source}",
            f"  measured:  {self.measured} = {self.estimate.value:.4g} "
            f"({self.estimate.confidence:.0%} {self.estimate.method} interval "
            f"[{self.estimate.low:.4g}, {self.estimate.high:.4g}], n={self.estimate.n})",
            f"  threshold: the claim holds when the interval lies {self.condition()}",
            f"  verdict:   {self.verdict}",
        ]
        if self.effect is not None:
            lines.append(f"  smallest effect: {self.effect.size:.4g} ({self.effect.kind}) from {self.null:g}: "
                         f"{self.effect.source}")
        if self.estimate.degenerate:
            lines.append(f"  refused:   {self.estimate.degenerate}")
        elif self.verdict == NOT_REPRODUCED and self.estimate.method != "exact":
            needed = (f"about {self.seeds_to_decide} seeds" if self.seeds_to_decide
                      else "no seed count (the estimate sits on its boundary)")
            lines.append(f"  undecided: {needed} would decide it at the observed spread (80% power)")
        for key, value in self.details.items():
            lines.append(f"  {key}: {value}")
        return "\n".join(lines)


def boundaries(threshold: float, direction: str, tolerance: float | None = None) -> tuple[float, ...]:
    """The values a part's interval is judged against: the threshold, or for ``within``
    the two edges of its band."""
    return (threshold - tolerance, threshold + tolerance) if direction == "within" else (threshold,)


def decide(estimate: Estimate, threshold: float, direction: Direction, tolerance: float | None = None) -> str:
    """Verdict for 'the quantity lies <direction> threshold' given its interval."""
    if estimate.degenerate:
        return NOT_REPRODUCED
    if direction == "within":
        if tolerance is None or not tolerance > 0:
            raise ConfigError(f"'within' needs a positive tolerance, got {tolerance!r}")
        low, high = threshold - tolerance, threshold + tolerance
        if low < estimate.low and estimate.high < high:
            return REPRODUCED
        if estimate.high < low or estimate.low > high:
            return CONTRADICTED
        return NOT_REPRODUCED
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
    raise ConfigError(f"direction must be 'above', 'below' or 'within', got {direction!r}")


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
