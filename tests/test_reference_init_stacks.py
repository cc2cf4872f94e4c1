"""Cross-check of the init stacks (C1-C5) against plain PyTorch written the way a user would.

A user would build each seed's net as ``nn.Sequential`` of ``nn.Linear`` and activation
modules, initialise it with ``nn.init``, push the batch through one seed at a time and
read the statistics off forward hooks and ``.grad``. Two checks:

1. Given the same weights, the reference reaches the same per-layer statistics and
   gradient norms as the seed-batched probe (``claims.c_init.runs.probe_layers``), seed by
   seed. This pins the probe: each layer's number is that layer's own, each arm runs the
   activation it names, biases are zero.
2. From ``nn.init``'s own draws (``torch.manual_seed(seed)``, one seed at a time), the
   claims' judges reach the same verdicts as the claim tests expect, so no verdict rests
   on the suite's own initialisers.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from claims.expected import EXPECTED
from claims.c_init.experiments import LARGE_SIGMA, RECOMMENDED_INIT, SATURATING, SMALL_SIGMA, normal, scheme
from claims.c_init.judges import (collapse_saturate_vanish, layer_ratio, non_saturating_far_larger,
                                  sigmas_shrink_hold_grow, tanh_spread_held)
from claims.c_init.runs import probe_layers
from deepclaims.verdict import REPRODUCED
from models.plain_reference import copy_seed_weights
from tests.controls import recorder, verdict
from tests.init_stack_fixtures import batch, one_thread  # noqa: F401 (fixtures)

ACTIVATION_MODULES = {"tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "relu": nn.ReLU,
                      "leaky_relu": lambda: nn.LeakyReLU(0.01), "elu": nn.ELU, "selu": nn.SELU}


def plain_net(spec) -> nn.Sequential:
    """in -> width, hidden x (width -> width), width -> out, the activation after each but the last."""
    widths = [spec.in_features] + [spec.width] * (spec.hidden + 1)
    layers: list[nn.Module] = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [nn.Linear(a, b), ACTIVATION_MODULES[spec.activation]()]
    layers.append(nn.Linear(spec.width, spec.out_features))
    return nn.Sequential(*layers)


def linears(net: nn.Sequential) -> list[nn.Linear]:
    return [m for m in net if isinstance(m, nn.Linear)]


def nn_init(net: nn.Sequential, spec) -> nn.Sequential:
    """Initialise with torch.nn.init as a user would for the spec's scheme; zero biases."""
    for layer in linears(net):
        w = layer.weight
        if spec.init == "normal":
            nn.init.normal_(w, 0.0, spec.sigma)
        elif spec.init == "glorot_normal":
            nn.init.xavier_normal_(w)
        elif spec.init == "glorot_uniform":
            nn.init.xavier_uniform_(w)
        elif spec.init == "he_normal":
            nn.init.kaiming_normal_(w, nonlinearity="relu")      # std sqrt(2 / fan_in)
        elif spec.init == "he_uniform":
            nn.init.kaiming_uniform_(w, nonlinearity="relu")
        elif spec.init == "lecun_normal":
            nn.init.kaiming_normal_(w, nonlinearity="linear")    # std sqrt(1 / fan_in)
        else:
            raise ValueError(spec.init)
        nn.init.zeros_(layer.bias)
    return net


def reference_statistics(net: nn.Sequential, activation: str, x: torch.Tensor, y: torch.Tensor) -> dict:
    """One seed's per-layer statistics, read with forward hooks and .grad."""
    pre: list[torch.Tensor] = []
    post: list[torch.Tensor] = []
    hooks = []
    for module in net[:-1]:
        store = pre if isinstance(module, nn.Linear) else post
        hooks.append(module.register_forward_hook(lambda m, i, out, store=store: store.append(out)))
    logits = net(x)
    for h in hooks:
        h.remove()
    for z in pre:
        z.retain_grad()
    F.cross_entropy(logits, y.long()).backward()
    centre = 0.5 if activation == "sigmoid" else 0.0
    with torch.no_grad():
        flat = {"tanh": lambda a: a.abs() > 0.99, "sigmoid": lambda a: (a < 0.01) | (a > 0.99)}.get(
            activation, lambda a: torch.zeros_like(a, dtype=torch.bool))
        return {
            "std": np.array([float(a.std()) for a in post]),
            "input_spread": np.array([float(a.std(0).mean()) for a in post]),
            "second_moment": np.array([float((a * a).mean()) for a in post]),
            "centre_dev": np.array([float((a - centre).abs().mean()) for a in post]),
            "saturation": np.array([float(flat(a).float().mean()) for a in post]),
            "grad_norm": np.array([float(torch.linalg.norm(layer.weight.grad)) for layer in linears(net)]),
            "delta_norm": np.array([float(torch.linalg.norm(z.grad)) for z in pre]),
        }


def stacked(per_seed: list[dict]) -> dict:
    return {k: np.stack([r[k] for r in per_seed]) for k in per_seed[0]}


# ------------------------------------------------ 1. same weights, same numbers

SPECS = [normal("tanh", SMALL_SIGMA), normal("sigmoid", LARGE_SIGMA), normal("relu", 0.28),
         scheme("tanh", "glorot_normal")] + [scheme(a, i) for a, i in RECOMMENDED_INIT.items()]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.label())
def test_probe_matches_plain_pytorch_given_the_same_weights(spec, batch):
    x, y = batch
    seeds = [3, 11]
    from deepclaims import seeding
    from models.init_stacks import build_stack
    batched = build_stack(spec, seeding.generators(seeds, "init"))
    probed = probe_layers(spec, seeds, x, y)
    for i in range(len(seeds)):
        net = copy_seed_weights(plain_net(spec).double(), batched, i)   # the probe runs in float64
        ref = reference_statistics(net, spec.activation, x.double(), y)
        for key, values in ref.items():
            np.testing.assert_allclose(probed[key][i], values, rtol=1e-9, atol=1e-300,
                                       err_msg=f"{spec.label()}, seed {seeds[i]}: {key}")


# ------------------------------------------------ 2. nn.init's own draws, same verdicts

REFERENCE_SEEDS = range(12)


@pytest.fixture(scope="module")
def reference(batch):
    """reference(spec): stacked statistics over 12 seeds, each net drawn by nn.init."""
    x, y = batch
    memo: dict = {}

    def get(spec):
        if spec not in memo:
            runs = []
            for seed in REFERENCE_SEEDS:
                torch.manual_seed(seed)
                runs.append(reference_statistics(nn_init(plain_net(spec), spec), spec.activation, x, y))
            memo[spec] = stacked(runs)
        return memo[spec]
    return get


def expected(claim_id: str) -> str:
    return EXPECTED[claim_id].verdict if claim_id in EXPECTED else REPRODUCED


def test_C1_verdict_from_nn_init(reference, tmp_path):
    ev = {}
    for act in SATURATING:
        ev[f"{act}_small"] = reference(normal(act, SMALL_SIGMA))
        ev[f"{act}_large"] = reference(normal(act, LARGE_SIGMA))
    rec = recorder("C1", tmp_path)
    collapse_saturate_vanish(rec, ev)
    assert verdict(rec) == expected("C1"), "\n".join(p.message() for p in rec.parts)


def test_C2_verdict_from_nn_init(reference, tmp_path):
    rec = recorder("C2", tmp_path)
    tanh_spread_held(rec, reference(scheme("tanh", "glorot_normal")))
    assert verdict(rec) == expected("C2")


def test_C3_C4_second_moments_from_nn_init(reference, tmp_path):
    he = layer_ratio(reference(scheme("relu", "he_normal"))["second_moment"])
    xavier = layer_ratio(reference(scheme("relu", "glorot_normal"))["second_moment"])
    assert 0.8 < he.mean() < 1.25 and 0.4 < xavier.mean() < 0.6
    rec = recorder("C4", tmp_path)
    sigmas_shrink_hold_grow(rec, {s: reference(normal("relu", s)) for s in (0.10, 0.14, 0.28)})
    assert verdict(rec) == expected("C4")


def test_C5_verdict_from_nn_init(reference, tmp_path):
    rec = recorder("C5", tmp_path)
    non_saturating_far_larger(rec, {a: reference(scheme(a, i)) for a, i in RECOMMENDED_INIT.items()})
    assert verdict(rec) == expected("C5"), "\n".join(p.message() for p in rec.parts)
