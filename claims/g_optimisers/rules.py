"""G1's in-suite evidence: each method's torch optimiser against the suite's reference rule
written from its paper (``deepclaims.optimisers``), on random cases.

One "seed" is one random case: a starting parameter (a 1-D or 2-D float64 tensor, sides
1..4), 1..6 gradients of its shape spanning six orders of magnitude (a quarter of the
entries zeroed in half the cases), hyper-parameters drawn over the ranges where the
readings of a rule differ (epsilon up to 0.1, decays up to 0.999, L2 on or off), and which
of torch's implementations runs it (for-loop or foreach). The case's error is the largest
relative difference, over steps and entries, between torch's parameter and the
reference's: |torch - reference| / (|reference| + FLOOR).

The 200-example hypothesis property (tests/test_optimisers.py) is the thorough check; this
one gives G1 a verdict in the report and changes its cases with the seed base.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from deepclaims import optimisers as ref
from deepclaims.errors import ConfigError
from deepclaims.experiment import experiment
from deepclaims.optimisers import RMSPropNesterov
from deepclaims.seeding import stream_seed

FLOOR = 1e-3   # parameters are drawn in [-10, 10]; the floor only guards entries near 0


def _log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(10.0 ** rng.uniform(np.log10(low), np.log10(high)))


def _l2(rng) -> float:
    return 0.0 if rng.random() < 0.5 else _log_uniform(rng, 1e-5, 1e-1)


def _eps(rng) -> float:
    return _log_uniform(rng, 1e-8, 1e-1)


@dataclass(frozen=True)
class RuleMethod:
    """A paper's rule, how to draw its hyper-parameters, and torch's optimiser for them.

    ``observe`` maps the reference's parameter and state to where torch keeps its parameter
    (the look-ahead point theta + alpha v for RMSProp with Nesterov momentum).
    """

    reference: Callable
    draw_hyper: Callable[[np.random.Generator], dict]
    make_torch: Callable[[torch.Tensor, dict, bool], torch.optim.Optimizer]
    observe: Callable[[torch.Tensor, dict, dict], torch.Tensor] = lambda param, state, hyper: param


RULES: dict[str, RuleMethod] = {
    "adagrad": RuleMethod(
        ref.adagrad,
        lambda rng: {"lr": _log_uniform(rng, 1e-4, 1.0), "eps": _log_uniform(rng, 1e-10, 1e-1),
                     "weight_decay": _l2(rng), "initial_accumulator": 0.0 if rng.random() < 0.5 else rng.random()},
        lambda p, h, foreach: torch.optim.Adagrad([p], lr=h["lr"], eps=h["eps"], weight_decay=h["weight_decay"],
                                                  initial_accumulator_value=h["initial_accumulator"],
                                                  foreach=foreach)),
    "rmsprop": RuleMethod(
        ref.rmsprop,
        lambda rng: {"lr": _log_uniform(rng, 1e-4, 1.0), "rho": rng.uniform(0.0, 0.999), "eps": _eps(rng),
                     "weight_decay": _l2(rng)},
        lambda p, h, foreach: torch.optim.RMSprop([p], lr=h["lr"], alpha=h["rho"], eps=h["eps"],
                                                  weight_decay=h["weight_decay"], foreach=foreach)),
    "rmsprop_nesterov": RuleMethod(
        ref.rmsprop_nesterov,
        lambda rng: {"lr": _log_uniform(rng, 1e-4, 1.0), "rho": rng.uniform(0.0, 0.999),
                     "momentum": rng.uniform(0.1, 0.99), "eps": _eps(rng), "weight_decay": _l2(rng)},
        lambda p, h, foreach: RMSPropNesterov([p], lr=h["lr"], rho=h["rho"], momentum=h["momentum"], eps=h["eps"],
                                              weight_decay=h["weight_decay"]),
        observe=lambda param, state, h: ref.interim_point(param, state, h["momentum"])),
    "adadelta": RuleMethod(
        ref.adadelta,
        # lr = 1 is Zeiler's rule; other values check that torch's lr scales only the applied step
        lambda rng: {"lr": 1.0 if rng.random() < 0.5 else _log_uniform(rng, 1e-3, 10.0),
                     "rho": rng.uniform(0.0, 0.999), "eps": _eps(rng), "weight_decay": _l2(rng)},
        lambda p, h, foreach: torch.optim.Adadelta([p], lr=h["lr"], rho=h["rho"], eps=h["eps"],
                                                   weight_decay=h["weight_decay"], foreach=foreach)),
    "adam": RuleMethod(
        ref.adam,
        lambda rng: {"lr": _log_uniform(rng, 1e-4, 1.0), "beta1": rng.uniform(0.0, 0.99),
                     "beta2": rng.uniform(0.0, 0.9999), "eps": _eps(rng), "weight_decay": _l2(rng)},
        lambda p, h, foreach: torch.optim.Adam([p], lr=h["lr"], betas=(h["beta1"], h["beta2"]), eps=h["eps"],
                                               weight_decay=h["weight_decay"], foreach=foreach)),
}


@dataclass(frozen=True, kw_only=True)
class RuleCheck:
    """Which method's rule to check, with at most ``max_steps`` steps per case."""

    method: str
    max_steps: int = 6

    def __post_init__(self):
        if self.method not in RULES:
            raise ConfigError(f"unknown method {self.method!r} for the update-rule check; accepted: "
                              f"{', '.join(RULES)}")
        if self.max_steps < 1:
            raise ConfigError(f"max_steps must be at least 1, got {self.max_steps}")


def draw_case(seed: int, method: RuleMethod, max_steps: int):
    """One case from the seed's own stream: (start, grads [steps, *shape], hyper, foreach)."""
    rng = np.random.default_rng(stream_seed(seed, "data"))
    shape = tuple(int(n) for n in rng.integers(1, 5, size=rng.integers(1, 3)))
    steps = int(rng.integers(1, max_steps + 1))
    start = rng.uniform(-10, 10, size=shape)
    grads = rng.standard_normal((steps, *shape)) * float(rng.choice([1e-4, 1e-2, 1.0, 1e2]))
    if rng.random() < 0.5:
        grads[rng.random(grads.shape) < 0.25] = 0.0
    return start, grads, method.draw_hyper(rng), bool(rng.integers(2))


def case_error(method: RuleMethod, reference: Callable, case) -> float:
    """Largest relative difference between torch and ``reference`` over the case's steps."""
    start, grads, hyper, foreach = case
    param = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimiser = method.make_torch(param, hyper, foreach)
    ref_param, state = torch.tensor(start, dtype=torch.float64), {}
    worst = 0.0
    for grad in torch.from_numpy(grads):
        param.grad = grad.clone()
        optimiser.step()
        ref_param, state = reference(ref_param, grad, state, **hyper)
        expected = method.observe(ref_param, state, hyper)
        gap = ((param.detach() - expected).abs() / (expected.abs() + FLOOR)).max().item()
        worst = max(worst, gap if np.isfinite(gap) else np.inf)
    return worst


def rule_errors(name: str, seeds: list[int], max_steps: int = 6, reference: Callable | None = None,
                **replace) -> np.ndarray:
    """Per case (seed): the largest relative difference between torch's optimiser for
    ``name`` and ``reference`` (the paper's rule by default; a negative control passes a
    wrong one, or swaps ``make_torch`` / ``observe`` through ``replace``)."""
    method = RULES[name]
    if replace:
        from dataclasses import replace as with_fields
        method = with_fields(method, **replace)
    reference = method.reference if reference is None else reference
    return np.array([case_error(method, reference, draw_case(seed, method, max_steps)) for seed in seeds])


def one_case(config: RuleCheck) -> RuleCheck:
    return config


def cases_size(config: RuleCheck) -> tuple[int, int]:
    return 0, 0     # no training


@experiment("G_update_rules", one_step=one_case, size=cases_size, shard_size=256)
def check_update_rules(config: RuleCheck, seeds: list[int]) -> dict[str, np.ndarray]:
    """Per case: the largest relative difference of torch from the paper's rule, and the
    number of steps the case ran."""
    method = RULES[config.method]
    steps = [len(draw_case(seed, method, config.max_steps)[1]) for seed in seeds]
    return {"max_rel_error": rule_errors(config.method, seeds, config.max_steps),
            "steps": np.array(steps, dtype=np.int64)}
