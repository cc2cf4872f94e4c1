"""What one claim test records: its verdict parts, figures, tables and notes.

A claim test receives a :class:`ClaimRecorder` (the ``claim`` fixture), judges one or
more parts of the claim with :meth:`ClaimRecorder.part`, attaches figures and tables,
then calls :meth:`ClaimRecorder.conclude`, which combines the parts into the claim's
verdict and fails the test with a one-screen message when the verdict differs from
what the suite expects.
"""
from __future__ import annotations

import contextlib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from deepclaims.errors import ConfigError
from deepclaims.figure_check import DPI, figure_problems
from deepclaims.stats import Estimate
from deepclaims.effects import SmallestEffect, boundary, seeds_to_decide
from deepclaims.verdict import (CONTRADICTED, NOT_REPRODUCED, REPRODUCED, VERDICTS, Verdict, boundaries, combine,
                                decide)

CLAIM_ID = re.compile(r"^[A-Z][0-9]+$")


@dataclass(frozen=True)
class CatalogueEntry:
    """A claim as the catalogue states it, and a few words for tables (``short``)."""

    title: str
    source: str
    short: str = ""


@dataclass(frozen=True)
class Expectation:
    """What the suite expects of a claim, kept as reviewed data (one entry per claim).

    ``verdict`` other than ``reproduced`` is a finding against a published source: it
    carries the ``finding`` in words, the ``evidence`` it rests on (which run, which
    numbers), and, where the finding flips under a plausible alternative set-up, the
    choice it ``depends_on``. Such a claim must also record a sensitivity table (see
    :meth:`ClaimRecorder.alternative`) or its test fails.
    """

    verdict: str = REPRODUCED
    finding: str = ""
    evidence: str = ""
    depends_on: str = ""

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ConfigError(f"unknown expected verdict {self.verdict!r}; accepted: {', '.join(VERDICTS)}")
        if self.verdict != REPRODUCED and not (self.finding and self.evidence):
            raise ConfigError(f"an expected verdict of {self.verdict!r} is a finding against a source: "
                              "it needs a finding and the evidence it rests on")


@dataclass
class ClaimRecorder:
    claim_id: str
    entry: CatalogueEntry
    fidelity: str
    device: str
    report_dir: Path
    dataset: str = ""
    seeds: list[int] = field(default_factory=list)
    parts: list[Verdict] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    tables: dict[str, str] = field(default_factory=dict)
    notes: dict[str, object] = field(default_factory=dict)
    verdict: str | None = None
    expectation: Expectation = field(default_factory=Expectation)
    sensitivity: list[dict] = field(default_factory=list)
    figure_problems: dict[str, list[str]] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)
    skipped: str = ""

    @property
    def expected_verdict(self) -> str:
        return self.expectation.verdict

    @property
    def finding(self) -> str:
        return self.expectation.finding

    def part(self, measured: str, estimate: Estimate, threshold: float, direction: str,
             **details) -> Verdict:
        """Judge one part of the claim against a bound on one arm: is ``measured``
        ``direction`` ``threshold``? (An accuracy above 0.98, a share of runs above one half.)

        A comparison between arms is judged with :meth:`compare`, which declares its
        smallest effect; a stochastic part judged against 0 here is refused, since
        "different from no difference" decides nothing when the true effect is about 0.
        """
        if float(threshold) == 0.0 and estimate.method != "exact":
            raise ConfigError(f"claim {self.claim_id}: part {measured!r} compares against 0; a comparison "
                              "declares its smallest effect: use claim.compare(..., effect=SmallestEffect(...))")
        return self._judge(measured, estimate, float(threshold), direction, details)

    def compare(self, measured: str, estimate: Estimate, direction: str, effect: SmallestEffect,
                null: float = 0.0, **details) -> Verdict:
        """Judge a comparison (a difference or a log ratio between arms, a trend) by the
        three-way rule of ``deepclaims.effects``: reproduced when the interval clears the
        smallest effect that would matter in the claimed ``direction``, contradicted when it
        lies wholly short of it, not reproduced while it holds it. ``null`` is the value
        of no effect (0 for differences and log ratios)."""
        if not isinstance(effect, SmallestEffect):
            raise ConfigError(f"claim {self.claim_id}: part {measured!r} needs its smallest effect as a "
                              f"SmallestEffect, got {effect!r}")
        return self._judge(measured, estimate, boundary(null, direction, effect), direction, details,
                           effect=effect, null=float(null))

    def _judge(self, measured: str, estimate: Estimate, threshold: float, direction: str, details: dict,
               tolerance: float | None = None, **comparison) -> Verdict:
        verdict = decide(estimate, threshold, direction, tolerance)
        needed = None
        if verdict == NOT_REPRODUCED:
            # The boundary the interval straddles: for an equivalence, the band's nearer edge.
            edges = boundaries(threshold, direction, tolerance)
            needed = seeds_to_decide(estimate, min(edges, key=lambda edge: abs(edge - estimate.value)))
        v = Verdict(self.claim_id, self.entry.title, self.entry.source, measured, estimate, threshold,
                    direction, verdict, details={k: _plain(val) for k, val in details.items()},
                    tolerance=tolerance, seeds_to_decide=needed, **comparison)
        self.parts.append(v)
        return v

    def within(self, measured: str, estimate: Estimate, published: float, tolerance: float,
               **details) -> Verdict:
        """Judge an equivalence: does ``measured`` lie within ± ``tolerance`` of ``published``?

        For claims that ask "is your number close to the paper's?"; the tolerance comes from
        the source's wording ("about", "close to") and is fixed before any result is seen.
        """
        return self._judge(measured, estimate, float(published), "within", details, tolerance=float(tolerance))

    @contextlib.contextmanager
    def alternative(self, setup: str):
        """Judge the claim again under a plausible alternative set-up, as one sensitivity row.

        ``with claim.alternative("biases N(0, 2/fan_in)") as alt: judge(alt, evidence)``: the
        parts judged on ``alt`` do not count toward this claim's verdict; their combined
        verdict and deciding part become a row of the claim's sensitivity table.
        """
        alt = ClaimRecorder(self.claim_id, self.entry, self.fidelity, self.device, self.report_dir)
        yield alt
        if not alt.parts:
            raise ConfigError(f"claim {self.claim_id}: alternative {setup!r} judged no part")
        verdict = combine([p.verdict for p in alt.parts])
        self.sensitivity.append({"setup": setup, "verdict": verdict,
                                 "deciding": _part_record(deciding_part(alt.parts, verdict)),
                                 "notes": dict(alt.notes)})

    def skip(self, reason: str) -> None:
        """Skip the claim in this run, recording nothing (its evidence was not given: a
        benchmark JSON, for instance); ``reason`` says how to run it."""
        self.skipped = reason
        pytest.skip(reason)

    def equals(self, measured: str, value: float, published: float, tolerance: float = 0.0,
               **details) -> Verdict:
        """Judge an exact quantity (a count, a shape) against a published figure.

        The verdict is ``reproduced`` when |value - published| <= tolerance and
        ``contradicted`` otherwise; the recorded interval is the point itself and the
        threshold is the published figure.
        """
        estimate = Estimate(float(value), float(value), float(value), 1.0, "exact", 1)
        gap = abs(float(value) - float(published))
        verdict = REPRODUCED if gap <= tolerance else CONTRADICTED
        v = Verdict(self.claim_id, self.entry.title, self.entry.source, measured, estimate,
                    float(published), "equal", verdict,
                    details={"published": _plain(published), "tolerance": tolerance,
                             **{k: _plain(val) for k, val in details.items()}})
        self.parts.append(v)
        return v

    def figure(self, fig, name: str) -> Path:
        """Save a matplotlib figure as ``figures/<ID>_<name>.png`` under the report directory."""
        import matplotlib.pyplot as plt

        if not re.fullmatch(r"[A-Za-z0-9_\-]+", name):
            raise ConfigError(f"figure name {name!r} must be letters, digits, '_' or '-'")
        folder = self.report_dir / "figures"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.claim_id}_{name}.png"
        tmp = path.with_suffix(".tmp.png")
        problems = figure_problems(fig)
        fig.savefig(tmp, dpi=DPI, bbox_inches="tight")
        plt.close(fig)
        tmp.replace(path)
        rel = str(path.relative_to(self.report_dir))
        if rel not in self.figures:
            self.figures.append(rel)
        if problems:
            self.figure_problems[rel] = problems
        return path

    def table(self, name: str, markdown: str) -> None:
        """Attach a Markdown table (for example a model summary) to the claim's report."""
        self.tables[name] = markdown

    def note(self, key: str, value) -> None:
        """Attach a number or a sentence the report shows beside the verdict."""
        self.notes[key] = _plain(value)

    def conclude(self) -> str:
        """Combine the parts into the claim's verdict and fail unless it is the expected one.

        The expectation comes from the suite's reviewed list (``self.expectation``, set by
        the ``claim`` fixture). A finding against a source (an expected verdict other than
        ``reproduced``) must come with a sensitivity table, and where an alternative set-up
        flips the verdict the expectation must name the choice the finding depends on.
        """
        if not self.parts:
            raise ConfigError(f"claim {self.claim_id} concluded without judging any part")
        self.verdict = combine([p.verdict for p in self.parts])
        # The smoke tier checks the plumbing on configurations too small for power:
        # it records the verdict but does not assert it.
        if self.fidelity == "smoke":
            return self.verdict
        if self.verdict != self.expected_verdict:
            pytest.fail(self.failure_message(), pytrace=False)
        if self.expected_verdict != REPRODUCED and not self.sensitivity:
            pytest.fail(f"claim {self.claim_id}: the expected verdict '{self.expected_verdict}' is a finding "
                        "against a source, and it has no sensitivity table (judge it under the plausible "
                        "alternative set-ups with claim.alternative)", pytrace=False)
        flips = [row["setup"] for row in self.sensitivity if row["verdict"] != self.verdict]
        if flips and not self.expectation.depends_on:
            pytest.fail(f"claim {self.claim_id}: the verdict '{self.verdict}' flips under {flips}; report the "
                        "finding as depending on that choice (Expectation.depends_on), not as a "
                        "contradiction", pytrace=False)
        return self.verdict

    def failure_message(self) -> str:
        head = (f"claim {self.claim_id} is '{self.verdict}', the suite expects '{self.expected_verdict}' "
                f"[fidelity {self.fidelity}, {self.dataset or 'no dataset'}, {len(self.seeds)} seeds]")
        body = "\n".join(p.message() for p in self.parts)
        return f"{head}\n{body}"

    def record(self) -> dict:
        """The claims.json record (plain JSON types only)."""
        primary = deciding_part(self.parts, self.verdict) if self.parts else None
        return {
            "id": self.claim_id,
            "deciding_part": self.parts.index(primary) if primary else None,
            "title": self.entry.title,
            "short": self.entry.short or self.entry.title,
            "source": self.entry.source,
            "verdict": self.verdict or "error",
            "expected_verdict": self.expected_verdict,
            "finding": self.finding,
            "evidence": self.expectation.evidence,
            "depends_on": self.expectation.depends_on,
            "sensitivity": list(self.sensitivity),
            "fidelity": self.fidelity,
            "dataset": self.dataset,
            "device": self.device,
            "seeds": _seed_summary(self.seeds),
            "estimate": primary.estimate.value if primary else None,
            "interval": list(primary.estimate.interval) if primary else None,
            "threshold": primary.threshold if primary else None,
            "condition": primary.condition() if primary else None,
            "parts": [_part_record(p) for p in self.parts],
            "duration_s": round(time.perf_counter() - self.started, 3),
            "figures": list(self.figures),
            "figure_problems": dict(self.figure_problems),
            "tables": dict(self.tables),
            "notes": dict(self.notes),
        }


def _part_record(p: Verdict) -> dict:
    return {
        "measured": p.measured,
        "verdict": p.verdict,
        "estimate": p.estimate.value,
        "interval": list(p.estimate.interval),
        "method": p.estimate.method,
        "confidence": p.estimate.confidence,
        "n": p.estimate.n,
        "threshold": p.threshold,
        "direction": p.direction,
        "tolerance": p.tolerance,
        "condition": p.condition(),
        "smallest_effect": p.effect.as_dict() if p.effect else None,
        "null": p.null,
        "seeds_to_decide": p.seeds_to_decide,
        "degenerate": p.estimate.degenerate,
        "details": p.details,
    }


def deciding_part(parts: list[Verdict], verdict: str | None) -> Verdict:
    """The part that decided a combined verdict, among the parts whose verdict is the
    claim's: for a claim that holds, its weakest part (the interval nearest its threshold,
    relative to the interval's width); for one that fails, its clearest failure. Falls
    back to the first part."""
    candidates = [p for p in parts if p.verdict == verdict] or parts[:1]
    if verdict == REPRODUCED:
        return min(candidates, key=_clearance)
    stochastic = [p for p in candidates if _clearance(p) != float("inf")]
    return max(stochastic, key=_clearance) if stochastic else candidates[0]


def _clearance(p: Verdict) -> float:
    """How far the interval lies from the edge of its condition, in interval widths
    (exact parts sort last: they are never the near miss)."""
    est = p.estimate
    width = est.high - est.low
    if est.method == "exact" or width <= 0:
        return float("inf")
    edges = boundaries(p.threshold, p.direction, p.tolerance)
    return min(abs(bound - edge) for bound in (est.low, est.high) for edge in edges) / width


def _seed_summary(seeds: list[int]) -> dict:
    if not seeds:
        return {"count": 0}
    return {"count": len(seeds), "first": int(min(seeds)), "last": int(max(seeds))}


def _plain(value):
    """Convert numpy scalars and arrays into JSON-friendly Python values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value
