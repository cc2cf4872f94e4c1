"""G1: the library's optimisers follow the update rules as their papers state them.

Each method's reference (deepclaims.optimisers, written from the paper) and its PyTorch
optimiser (RMSPropNesterov for the method torch.optim lacks) are fed the same random
parameters, gradient sequences and hyper-parameters, weight decay as L2 included, and
must agree after every step. Hypothesis draws EXAMPLES cases per method, each run with
torch's for-loop and its multi-tensor (foreach) implementation; the test counts the
cases it checked.

The comparison runs in float64 with a tolerance (REL_TOL, ABS_TOL) far below any
difference between two readings of a rule: moving epsilon into the square root, or
dropping Adam's bias correction, changes a step by far more wherever epsilon is not
negligible, and the hyper-parameter ranges reach such cases. Negative controls run the
very same property against deliberately wrong references and require it to fail; the
ones that encode another library's reading (TensorFlow's epsilon placements, an
AdaDelta that accumulates the lr-scaled step) pin where PyTorch stands.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

from deepclaims import optimisers as ref
from deepclaims.errors import ConfigError
from deepclaims.optimisers import RMSPropNesterov
from deepclaims.training import TrainConfig, make_optimizer

EXAMPLES = 200
REL_TOL, ABS_TOL = 1e-9, 1e-12   # float64: a rearranged formula differs by a few ulps per step


def log_uniform(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(math.log10(low), math.log10(high)).map(lambda e: 10.0 ** e)


LR = log_uniform(1e-4, 1.0)
EPS = log_uniform(1e-8, 1e-1)        # up to where it is comparable with sqrt of the mean squares below
DECAY = st.floats(0.0, 0.999)
WEIGHT_DECAY = st.one_of(st.just(0.0), log_uniform(1e-5, 1e-1))


@dataclass(frozen=True)
class Method:
    """A reference rule, the hyper-parameters it takes, and the torch optimiser for them."""

    reference: Callable
    hyper: st.SearchStrategy[dict]
    make_torch: Callable[[torch.Tensor, dict, bool], torch.optim.Optimizer]
    # Where the reference's state puts the torch optimiser's parameter (the look-ahead
    # point for Nesterov), given the reference's parameter, state and hyper-parameters.
    observe: Callable[[torch.Tensor, dict, dict], torch.Tensor] = lambda param, state, hyper: param


METHODS = {
    "adagrad": Method(
        ref.adagrad,
        st.fixed_dictionaries({"lr": LR, "eps": log_uniform(1e-10, 1e-1), "weight_decay": WEIGHT_DECAY,
                               "initial_accumulator": st.one_of(st.just(0.0), st.floats(0.0, 1.0))}),
        lambda p, h, foreach: torch.optim.Adagrad(
            [p], lr=h["lr"], eps=h["eps"], weight_decay=h["weight_decay"],
            initial_accumulator_value=h["initial_accumulator"], foreach=foreach)),
    "rmsprop": Method(
        ref.rmsprop,
        st.fixed_dictionaries({"lr": LR, "rho": DECAY, "eps": EPS, "weight_decay": WEIGHT_DECAY}),
        lambda p, h, foreach: torch.optim.RMSprop(
            [p], lr=h["lr"], alpha=h["rho"], eps=h["eps"], weight_decay=h["weight_decay"], foreach=foreach)),
    "rmsprop_nesterov": Method(
        ref.rmsprop_nesterov,
        st.fixed_dictionaries({"lr": LR, "rho": DECAY, "momentum": st.floats(0.1, 0.99), "eps": EPS,
                               "weight_decay": WEIGHT_DECAY}),
        lambda p, h, foreach: RMSPropNesterov(
            [p], lr=h["lr"], rho=h["rho"], momentum=h["momentum"], eps=h["eps"], weight_decay=h["weight_decay"]),
        observe=lambda param, state, h: ref.interim_point(param, state, h["momentum"])),
    "adadelta": Method(
        ref.adadelta,
        # lr = 1 is the paper's rule; other values check torch's lr scales only the applied step
        st.fixed_dictionaries({"lr": st.one_of(st.just(1.0), log_uniform(1e-3, 10.0)), "rho": DECAY,
                               "eps": EPS, "weight_decay": WEIGHT_DECAY}),
        lambda p, h, foreach: torch.optim.Adadelta(
            [p], lr=h["lr"], rho=h["rho"], eps=h["eps"], weight_decay=h["weight_decay"], foreach=foreach)),
    "adam": Method(
        ref.adam,
        st.fixed_dictionaries({"lr": LR, "beta1": st.floats(0.0, 0.99), "beta2": st.floats(0.0, 0.9999),
                               "eps": EPS, "weight_decay": WEIGHT_DECAY}),
        lambda p, h, foreach: torch.optim.Adam(
            [p], lr=h["lr"], betas=(h["beta1"], h["beta2"]), eps=h["eps"], weight_decay=h["weight_decay"],
            foreach=foreach)),
}


@st.composite
def trajectories(draw, hyper: st.SearchStrategy[dict]):
    """A starting parameter, 1..6 gradients of one shape, hyper-parameters, and which of
    torch's implementations to run.

    Hypothesis chooses the shape, the number of steps, the scale and the hyper-parameters;
    the numbers themselves come from a generator it seeds. (Element-wise hypothesis floats
    made a third of the gradient sequences all zero, where every rule agrees trivially.)
    Gradients span six orders of magnitude so that the mean squares range from far below
    to far above epsilon; some cases zero a quarter of the entries.
    """
    shape = draw(array_shapes(min_dims=1, max_dims=2, max_side=4))
    steps = draw(st.integers(1, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    param = rng.uniform(-10, 10, size=shape)
    grads = rng.standard_normal((steps, *shape)) * draw(st.sampled_from([1e-4, 1e-2, 1.0, 1e2]))
    if draw(st.booleans()):
        grads[rng.random(grads.shape) < 0.25] = 0.0
    return param, grads, draw(hyper), draw(st.booleans())


def compare(method: Method, reference: Callable, case) -> None:
    """Run torch and ``reference`` side by side; raise AssertionError at the first step they part."""
    start, grads, hyper, foreach = case
    param = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimiser = method.make_torch(param, hyper, foreach)
    ref_param, state = torch.tensor(start, dtype=torch.float64), {}
    for step, grad in enumerate(torch.from_numpy(grads), start=1):
        param.grad = grad.clone()
        optimiser.step()
        ref_param, state = reference(ref_param, grad, state, **hyper)
        torch.testing.assert_close(param.detach(), method.observe(ref_param, state, hyper), rtol=REL_TOL,
                                   atol=ABS_TOL, msg=lambda m: f"step {step} of {len(grads)}: {m}")


def run_property(name: str, reference: Callable, *, shrink: bool = True, **replace) -> int:
    """Check ``reference`` against torch on EXAMPLES hypothesis cases; returns how many ran.

    ``replace`` swaps fields of the method (``make_torch``, ``observe``) for a negative control.
    """
    method = dataclasses.replace(METHODS[name], **replace)
    checked = []
    # A negative control only needs the failure: no shrinking, and nothing saved to the
    # example database (a stored failure would be replayed first by later runs).
    quick_failure = {} if shrink else {"phases": (Phase.explicit, Phase.generate), "database": None}

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow], **quick_failure)
    @given(case=trajectories(method.hyper))
    def check(case):
        checked.append(1)
        compare(method, reference, case)

    check()
    return len(checked)


@pytest.mark.parametrize("name", list(METHODS))
def test_torch_follows_the_paper_step_for_step(name):
    ran = run_property(name, METHODS[name].reference)
    assert ran >= EXAMPLES, f"hypothesis checked only {ran} cases"


# ---- deliberately wrong references: the same property must fail on each ----------------

def adagrad_eps_inside_root(param, grad, state, *, lr, eps, weight_decay=0.0, initial_accumulator=0.0):
    g = grad + weight_decay * param
    sum_sq = state.get("sum_sq", torch.full_like(param, initial_accumulator)) + g * g
    return param - lr * g / (sum_sq + eps).sqrt(), {"sum_sq": sum_sq}


def rmsprop_eps_inside_root(param, grad, state, *, lr, rho, eps, weight_decay=0.0):
    """TensorFlow/Keras' placement."""
    g = grad + weight_decay * param
    mean_sq = rho * state.get("mean_sq", torch.zeros_like(param)) + (1 - rho) * g * g
    return param - lr * g / (mean_sq + eps).sqrt(), {"mean_sq": mean_sq}


def rmsprop_classical_momentum(param, grad, state, *, lr, rho, momentum, eps, weight_decay=0.0):
    """Heavy-ball momentum (torch's RMSprop(momentum=...)): the gradient at theta, no look-ahead."""
    g = grad + weight_decay * param
    mean_sq = rho * state.get("mean_sq", torch.zeros_like(param)) + (1 - rho) * g * g
    velocity = momentum * state.get("velocity", torch.zeros_like(param)) - lr * g / (mean_sq.sqrt() + eps)
    return param + velocity, {"mean_sq": mean_sq, "velocity": velocity}


def adadelta_eps_outside_root(param, grad, state, *, rho, eps, lr=1.0, weight_decay=0.0):
    g = grad + weight_decay * param
    mean_sq_grad = rho * state.get("mean_sq_grad", torch.zeros_like(param)) + (1 - rho) * g * g
    mean_sq_delta = state.get("mean_sq_delta", torch.zeros_like(param))
    delta = -(mean_sq_delta.sqrt() + eps) / (mean_sq_grad.sqrt() + eps) * g
    mean_sq_delta = rho * mean_sq_delta + (1 - rho) * delta * delta
    return param + lr * delta, {"mean_sq_grad": mean_sq_grad, "mean_sq_delta": mean_sq_delta}


def adadelta_accumulating_scaled_step(param, grad, state, *, rho, eps, lr=1.0, weight_decay=0.0):
    """E[dx^2] accumulating the lr-scaled step (torch accumulates the unscaled one)."""
    g = grad + weight_decay * param
    mean_sq_grad = rho * state.get("mean_sq_grad", torch.zeros_like(param)) + (1 - rho) * g * g
    mean_sq_delta = state.get("mean_sq_delta", torch.zeros_like(param))
    delta = -lr * ((mean_sq_delta + eps).sqrt() / (mean_sq_grad + eps).sqrt()) * g
    mean_sq_delta = rho * mean_sq_delta + (1 - rho) * delta * delta
    return param + delta, {"mean_sq_grad": mean_sq_grad, "mean_sq_delta": mean_sq_delta}


def _adam_moments(param, grad, state, beta1, beta2, weight_decay):
    t = state.get("step", 0) + 1
    g = grad + weight_decay * param
    m = beta1 * state.get("m", torch.zeros_like(param)) + (1 - beta1) * g
    v = beta2 * state.get("v", torch.zeros_like(param)) + (1 - beta2) * g * g
    return t, m, v, {"step": t, "m": m, "v": v}


def adam_without_bias_correction(param, grad, state, *, lr, beta1, beta2, eps, weight_decay=0.0):
    _, m, v, new_state = _adam_moments(param, grad, state, beta1, beta2, weight_decay)
    return param - lr * m / (v.sqrt() + eps), new_state


def adam_eps_inside_root(param, grad, state, *, lr, beta1, beta2, eps, weight_decay=0.0):
    t, m, v, new_state = _adam_moments(param, grad, state, beta1, beta2, weight_decay)
    return param - lr * (m / (1 - beta1 ** t)) / (v / (1 - beta2 ** t) + eps).sqrt(), new_state


def adam_eps_hat(param, grad, state, *, lr, beta1, beta2, eps, weight_decay=0.0):
    """The paper's section-2 'efficient' order, as TensorFlow/Keras run it: eps added to
    sqrt(v_t) before the bias correction is folded into the step size."""
    t, m, v, new_state = _adam_moments(param, grad, state, beta1, beta2, weight_decay)
    step_size = lr * math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
    return param - step_size * m / (v.sqrt() + eps), new_state


WRONG_REFERENCES = [
    ("adagrad", adagrad_eps_inside_root),
    ("rmsprop", rmsprop_eps_inside_root),
    ("rmsprop_nesterov", rmsprop_classical_momentum),
    ("adadelta", adadelta_eps_outside_root),
    ("adadelta", adadelta_accumulating_scaled_step),
    ("adam", adam_without_bias_correction),
    ("adam", adam_eps_inside_root),
    ("adam", adam_eps_hat),
]


@pytest.mark.parametrize("name, wrong", WRONG_REFERENCES, ids=[w.__name__ for _, w in WRONG_REFERENCES])
def test_the_property_fails_against_a_wrong_reference(name, wrong):
    # Heavy-ball momentum's parameter is theta itself, not a look-ahead point. (Read at
    # theta + alpha v it would be Nesterov's rule again for any given gradient sequence:
    # the two differ only in where the gradient is taken.)
    as_is = {"observe": METHODS["rmsprop"].observe} if wrong is rmsprop_classical_momentum else {}
    with pytest.raises(AssertionError, match="step"):
        run_property(name, wrong, shrink=False, **as_is)


def test_the_nesterov_property_fails_for_torchs_heavy_ball_rmsprop():
    """An optimiser planted in RMSPropNesterov's place, torch's RMSprop(momentum=alpha)
    (momentum without the look-ahead), must fail the same property."""
    def heavy_ball(p, h, foreach):
        return torch.optim.RMSprop([p], lr=h["lr"], alpha=h["rho"], eps=h["eps"], momentum=h["momentum"],
                                   weight_decay=h["weight_decay"], foreach=foreach)
    with pytest.raises(AssertionError, match="step"):
        run_property("rmsprop_nesterov", ref.rmsprop_nesterov, shrink=False, make_torch=heavy_ball)


# ---- the differences between PyTorch and the papers, pinned --------------------------

def _run_torch(optimiser_class, start, grads, **kwargs):
    param = start.clone().requires_grad_()
    optimiser = optimiser_class([param], **kwargs)
    for grad in grads:
        param.grad = grad.clone()
        optimiser.step()
    return param.detach()


def _run_reference(reference, start, grads, **hyper):
    param, state = start.clone(), {}
    for grad in grads:
        param, state = reference(param, grad, state, **hyper)
    return param


START = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)
SMALL_GRADS = [torch.tensor([1e-3, -2e-3, 5e-4], dtype=torch.float64) * k for k in (1.0, -0.5, 2.0)]


def test_rmsprop_without_eps_is_the_lecture_and_torch_defaults_are_not():
    """Hinton's lecture has no epsilon and decays by 0.9: torch with eps=0 and alpha=0.9 is
    exactly the lecture's rule; torch's defaults (alpha 0.99, eps 1e-8) are not, so the
    suite passes 0.9 (make_optimizer)."""
    lecture = _run_reference(ref.rmsprop, START, SMALL_GRADS, lr=0.01, rho=0.9, eps=0.0)
    torch.testing.assert_close(_run_torch(torch.optim.RMSprop, START, SMALL_GRADS, lr=0.01, alpha=0.9, eps=0.0),
                               lecture, rtol=REL_TOL, atol=ABS_TOL)
    defaults = _run_torch(torch.optim.RMSprop, START, SMALL_GRADS, lr=0.01)
    assert not torch.allclose(defaults, lecture, rtol=1e-6, atol=0)
    built = make_optimizer([START.clone().requires_grad_()], TrainConfig(1, 1, 0.01, optimizer="rmsprop"))
    assert built.defaults["alpha"] == 0.9


def test_adadelta_lr_scales_only_the_applied_step():
    """torch's Adadelta(lr) is the paper's rule at lr=1; at other lr it is not the paper's
    rule with a scaled step in the accumulator, but a scaled copy of what is applied."""
    hyper = dict(rho=0.95, eps=1e-6)
    torch.testing.assert_close(_run_torch(torch.optim.Adadelta, START, SMALL_GRADS, lr=1.0, **hyper),
                               _run_reference(ref.adadelta, START, SMALL_GRADS, **hyper),
                               rtol=REL_TOL, atol=ABS_TOL)
    scaled = _run_torch(torch.optim.Adadelta, START, SMALL_GRADS, lr=0.5, **hyper)
    torch.testing.assert_close(scaled, _run_reference(ref.adadelta, START, SMALL_GRADS, lr=0.5, **hyper),
                               rtol=REL_TOL, atol=ABS_TOL)
    assert not torch.allclose(scaled, _run_reference(adadelta_accumulating_scaled_step, START, SMALL_GRADS,
                                                     lr=0.5, **hyper), rtol=1e-6, atol=0)


def test_adagrad_initial_accumulator_is_the_papers_zero_by_default():
    """torch starts the sum of squares at 0 as Duchi et al. do; Keras' 0.1 is another rule."""
    torch_default = _run_torch(torch.optim.Adagrad, START, SMALL_GRADS, lr=0.1, eps=1e-10)
    torch.testing.assert_close(torch_default, _run_reference(ref.adagrad, START, SMALL_GRADS, lr=0.1, eps=1e-10),
                               rtol=REL_TOL, atol=ABS_TOL)
    keras_like = _run_reference(ref.adagrad, START, SMALL_GRADS, lr=0.1, eps=1e-10, initial_accumulator=0.1)
    assert not torch.allclose(torch_default, keras_like, rtol=1e-3, atol=0)


def test_adam_adds_eps_after_bias_correction():
    """Algorithm 1 (eps added to sqrt(v-hat)), not the efficient form with eps-hat: with
    eps near sqrt(v) the two differ visibly in the first steps."""
    hyper = dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-3)
    torch_steps = _run_torch(torch.optim.Adam, START, SMALL_GRADS, lr=1e-3, betas=(0.9, 0.999), eps=1e-3)
    torch.testing.assert_close(torch_steps, _run_reference(ref.adam, START, SMALL_GRADS, **hyper),
                               rtol=REL_TOL, atol=ABS_TOL)
    assert not torch.allclose(torch_steps, _run_reference(adam_eps_hat, START, SMALL_GRADS, **hyper),
                              rtol=1e-7, atol=0)


def test_rmsprop_nesterov_keeps_its_parameter_at_the_look_ahead_point():
    """On a quadratic loss, the optimiser's autograd gradients (taken at its parameter)
    give the book's trajectory, whose gradients are taken at theta + alpha v."""
    curvature = torch.tensor([3.0, 0.5, 1.0], dtype=torch.float64)
    hyper = dict(lr=0.05, rho=0.9, momentum=0.9, eps=1e-8, weight_decay=0.01)
    phi = START.clone().requires_grad_()
    optimiser = RMSPropNesterov([phi], **hyper)
    theta, state = START.clone(), {}
    for _ in range(20):
        optimiser.zero_grad()
        (0.5 * curvature * phi ** 2).sum().backward()
        optimiser.step()
        look_ahead = ref.interim_point(theta, state, hyper["momentum"])
        theta, state = ref.rmsprop_nesterov(theta, curvature * look_ahead, state, **hyper)
        torch.testing.assert_close(phi.detach(), ref.interim_point(theta, state, hyper["momentum"]),
                                   rtol=REL_TOL, atol=ABS_TOL)
    assert phi.detach().abs().max() < START.abs().max()   # and it descends


@pytest.mark.parametrize("name, expected", [
    ("sgd", torch.optim.SGD), ("adam", torch.optim.Adam), ("adagrad", torch.optim.Adagrad),
    ("rmsprop", torch.optim.RMSprop), ("rmsprop_nesterov", RMSPropNesterov), ("adadelta", torch.optim.Adadelta),
])
def test_make_optimizer_builds_each_method_with_l2(name, expected):
    momentum = 0.9 if name in ("sgd", "rmsprop_nesterov") else 0.0
    config = TrainConfig(1, 1, 0.01, momentum=momentum, optimizer=name, weight_decay=5e-4)
    built = make_optimizer([torch.zeros(2, requires_grad=True)], config)
    assert type(built) is expected and built.defaults["weight_decay"] == 5e-4


def test_make_optimizer_takes_the_papers_decay_and_epsilon_unless_given():
    param = [torch.zeros(2, requires_grad=True)]
    adadelta = make_optimizer(param, TrainConfig(1, 1, 1.0, optimizer="adadelta"))
    assert (adadelta.defaults["rho"], adadelta.defaults["eps"]) == (0.95, 1e-6)     # Zeiler 2012
    given_values = make_optimizer(param, TrainConfig(1, 1, 1.0, optimizer="adadelta", rho=0.9, eps=1e-8))
    assert (given_values.defaults["rho"], given_values.defaults["eps"]) == (0.9, 1e-8)
    adam = make_optimizer(param, TrainConfig(1, 1, 1e-3, optimizer="adam"))
    assert adam.defaults["betas"] == (0.9, 0.999) and adam.defaults["eps"] == 1e-8


@pytest.mark.parametrize("make, message", [
    (lambda: TrainConfig(1, 1, 0.1, optimizer="nadam"), "unknown optimizer 'nadam'"),
    (lambda: TrainConfig(1, 1, 0.1, optimizer="adam", momentum=0.9), "takes no momentum"),
    (lambda: TrainConfig(1, 1, 0.1, optimizer="rmsprop_nesterov"), "needs a momentum"),
    (lambda: TrainConfig(1, 1, 0.1, optimizer="adagrad", rho=0.9), "rho must be None"),
    (lambda: TrainConfig(1, 1, 0.1, optimizer="sgd", eps=1e-8), "eps must be None"),
    (lambda: TrainConfig(1, 1, 0.1, weight_decay=-1e-4), "weight_decay must be >= 0"),
    (lambda: RMSPropNesterov([torch.zeros(1, requires_grad=True)], momentum=1.0), "momentum must lie in"),
    (lambda: RMSPropNesterov([torch.zeros(1, requires_grad=True)], lr=0.0), "lr must be positive"),
])
def test_bad_optimiser_configuration_names_the_problem(make, message):
    with pytest.raises(ConfigError, match=message):
        make()
