"""Topic H's experiments: none. The architecture counts are exact, closed-form and
module-measured, with no seeds and no training, so every fidelity has the same (empty)
tier and there is nothing to plan or cache; the networks are counted in
``claims.h_architecture.networks`` when a claim is judged.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class ArithmeticTier:
    """No knobs: the counts are the same under ``--fidelity smoke``, ``ci`` and ``lab``."""


TIERS = {"smoke": ArithmeticTier(), "ci": ArithmeticTier(), "lab": ArithmeticTier()}

PLANS = {}
