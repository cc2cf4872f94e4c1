"""Adaptive optimisers: reference update rules written from their papers, and RMSProp
with Nesterov momentum as a ``torch.optim.Optimizer`` (torch.optim has none).

The reference functions are the suite's own reading of each paper, one small pure
function per method. Each takes a parameter tensor, the gradient of the loss at the
point where the method evaluates it, the method's state (a dict; ``{}`` before the
first step) and the hyper-parameters, and returns the new parameter and the new state
without touching its inputs. They exist to be compared against the library's
optimisers step for step (tests/test_optimisers.py), so they favour the paper's
notation over speed.

L2 regularisation: every function takes ``weight_decay`` (lambda) and adds the gradient
of (lambda / 2) * ||theta||^2, i.e. ``lambda * theta``, to the loss gradient before the
method sees it. That is what the lab's "L2 regularisation" means and what PyTorch's
``weight_decay`` does for Adagrad, RMSprop, Adadelta and Adam (Adam's
``decoupled_weight_decay=True`` would be AdamW instead, which these functions are not).

Where PyTorch departs from the paper, each function's docstring says how; the tests
pin every such difference.
"""
from __future__ import annotations

import torch
from torch.optim import Optimizer

from deepclaims.errors import ConfigError

State = dict[str, torch.Tensor | int]


def _with_l2(grad: torch.Tensor, point: torch.Tensor, weight_decay: float) -> torch.Tensor:
    """The gradient of loss + (weight_decay / 2) ||theta||^2 at ``point``."""
    return grad + weight_decay * point


def _zeros_or(state: State, key: str, like: torch.Tensor, initial: float = 0.0) -> torch.Tensor:
    value = state.get(key)
    return torch.full_like(like, initial) if value is None else value


def adagrad(param: torch.Tensor, grad: torch.Tensor, state: State, *, lr: float, eps: float,
            weight_decay: float = 0.0, initial_accumulator: float = 0.0) -> tuple[torch.Tensor, State]:
    """AdaGrad, diagonal form: Duchi, Hazan and Singer (2011), "Adaptive subgradient methods
    for online learning and stochastic optimization", JMLR 12, the diagonal update
    x_{t+1} = x_t - eta H_t^{-1} g_t with H_t = delta I + diag(G_t)^(1/2):

        G_t = G_{t-1} + g_t^2                       (sum of squared gradients, G_0 = 0)
        theta_{t+1} = theta_t - eta * g_t / (delta + sqrt(G_t))

    ``eps`` is the paper's delta: added *outside* the square root.

    PyTorch's ``torch.optim.Adagrad`` computes exactly this with ``eps`` as delta (default
    1e-10; the paper only asks delta >= 0), its ``initial_accumulator_value`` as G_0
    (default 0, the paper's; Keras' default is 0.1, reproduced here by
    ``initial_accumulator``), and an extra ``lr_decay`` (eta / (1 + (t - 1) lr_decay),
    not in the paper; 0 gives the paper's rule).
    """
    g = _with_l2(grad, param, weight_decay)
    sum_sq = _zeros_or(state, "sum_sq", param, initial_accumulator) + g * g
    new_param = param - lr * g / (eps + sum_sq.sqrt())
    return new_param, {"sum_sq": sum_sq}


def rmsprop(param: torch.Tensor, grad: torch.Tensor, state: State, *, lr: float, rho: float, eps: float,
            weight_decay: float = 0.0) -> tuple[torch.Tensor, State]:
    """RMSProp: Hinton, Srivastava and Swersky, Coursera "Neural networks for machine
    learning", lecture 6e (2012), slide "rmsprop: A mini-batch version of rprop":

        MeanSquare(w, t) = 0.9 MeanSquare(w, t-1) + 0.1 (dE/dw)^2
        w <- w - lr * (dE/dw) / sqrt(MeanSquare(w, t))

    with the decay 0.9 as ``rho``. The lecture has no epsilon; this function adds ``eps``
    to the square root (outside it), so ``eps=0`` is the lecture's rule. The mean square
    starts at 0 (the lecture does not say).

    PyTorch's ``torch.optim.RMSprop`` (momentum=0, centered=False) computes exactly this
    with its ``alpha`` as rho, but its default alpha is 0.99, not the lecture's 0.9, and it
    adds eps (default 1e-8) outside the root. TensorFlow/Keras add epsilon inside the root
    (sqrt(MeanSquare + eps)), and TF1's ``RMSPropOptimizer`` started MeanSquare at 1, not 0.
    """
    g = _with_l2(grad, param, weight_decay)
    mean_sq = rho * _zeros_or(state, "mean_sq", param) + (1 - rho) * g * g
    new_param = param - lr * g / (mean_sq.sqrt() + eps)
    return new_param, {"mean_sq": mean_sq}


def rmsprop_nesterov(param: torch.Tensor, grad: torch.Tensor, state: State, *, lr: float, rho: float,
                     momentum: float, eps: float, weight_decay: float = 0.0) -> tuple[torch.Tensor, State]:
    """RMSProp with Nesterov momentum: Goodfellow, Bengio and Courville (2016), "Deep
    Learning", Algorithm 8.6, in its own variables (theta, velocity v, accumulator r):

        interim point  theta~ = theta + alpha v
        g = gradient at theta~
        r = rho r + (1 - rho) g^2
        v = alpha v - (eta / sqrt(r)) g
        theta = theta + v

    ``param`` is theta; ``grad`` must be the loss gradient at ``interim_point(param,
    state, momentum)`` (Nesterov's look-ahead as Sutskever, Martens, Dahl and Hinton 2013,
    "On the importance of initialization and momentum in deep learning", write it), and the
    L2 term is taken at that point too. Algorithm 8.6 has no epsilon; as in
    ``torch.optim.RMSprop`` this function adds ``eps`` outside the root (``eps=0`` is the
    book's rule). The dividing by the root mean square applies to the new gradient's
    correction, not to the momentum jump, as Hinton's lecture 6e recommends.

    PyTorch has no such optimiser; ``RMSPropNesterov`` below implements it in the
    look-ahead variables that an optimiser holding gradients at its parameters needs.
    """
    velocity = _zeros_or(state, "velocity", param)
    interim = param + momentum * velocity
    g = _with_l2(grad, interim, weight_decay)
    mean_sq = rho * _zeros_or(state, "mean_sq", param) + (1 - rho) * g * g
    velocity = momentum * velocity - lr * g / (mean_sq.sqrt() + eps)
    return param + velocity, {"mean_sq": mean_sq, "velocity": velocity}


def interim_point(param: torch.Tensor, state: State, momentum: float) -> torch.Tensor:
    """Where ``rmsprop_nesterov`` evaluates the gradient: theta + alpha v (theta before the first step)."""
    velocity = state.get("velocity")
    return param.clone() if velocity is None else param + momentum * velocity


def adadelta(param: torch.Tensor, grad: torch.Tensor, state: State, *, rho: float, eps: float,
             lr: float = 1.0, weight_decay: float = 0.0) -> tuple[torch.Tensor, State]:
    """AdaDelta: Zeiler (2012), "ADADELTA: an adaptive learning rate method",
    arXiv:1212.5701, Algorithm 1, with RMS[y]_t = sqrt(E[y^2]_t + eps) (eps *inside* the root):

        E[g^2]_t  = rho E[g^2]_{t-1} + (1 - rho) g_t^2
        dx_t      = - RMS[dx]_{t-1} / RMS[g]_t * g_t
        E[dx^2]_t = rho E[dx^2]_{t-1} + (1 - rho) dx_t^2
        x_{t+1}   = x_t + dx_t

    both accumulators starting at 0. The paper has no learning rate (its point is that
    none is needed); its experiments use rho = 0.95, eps = 1e-6.

    PyTorch's ``torch.optim.Adadelta`` computes exactly this with lr = 1 (its default), but
    defaults rho to 0.9. Its ``lr`` scales only the step applied to x: E[dx^2] still
    accumulates the unscaled dx. This function's ``lr`` does the same, so ``lr=1`` is the
    paper's rule. (Keras defaults AdaDelta's learning rate to 0.001, i.e. steps 1000 times
    smaller than the paper's.)
    """
    g = _with_l2(grad, param, weight_decay)
    mean_sq_grad = rho * _zeros_or(state, "mean_sq_grad", param) + (1 - rho) * g * g
    mean_sq_delta = _zeros_or(state, "mean_sq_delta", param)
    delta = -((mean_sq_delta + eps).sqrt() / (mean_sq_grad + eps).sqrt()) * g
    mean_sq_delta = rho * mean_sq_delta + (1 - rho) * delta * delta
    return param + lr * delta, {"mean_sq_grad": mean_sq_grad, "mean_sq_delta": mean_sq_delta}


def adam(param: torch.Tensor, grad: torch.Tensor, state: State, *, lr: float, beta1: float, beta2: float,
         eps: float, weight_decay: float = 0.0) -> tuple[torch.Tensor, State]:
    """Adam: Kingma and Ba (2015), "Adam: a method for stochastic optimization", ICLR,
    Algorithm 1:

        t = t + 1
        m_t = beta1 m_{t-1} + (1 - beta1) g_t          (m_0 = 0)
        v_t = beta2 v_{t-1} + (1 - beta2) g_t^2        (v_0 = 0)
        m^_t = m_t / (1 - beta1^t),  v^_t = v_t / (1 - beta2^t)   (bias correction)
        theta_t = theta_{t-1} - alpha m^_t / (sqrt(v^_t) + eps)

    PyTorch's ``torch.optim.Adam`` computes exactly this (eps added to sqrt(v^_t), its
    defaults the paper's 0.001, 0.9, 0.999, 1e-8), rearranged as
    lr / (1 - beta1^t) * m_t / (sqrt(v_t) / sqrt(1 - beta2^t) + eps). TensorFlow/Keras use
    the paper's section-2 "more efficient" order instead, adding eps to sqrt(v_t) before
    bias correction (their eps-hat), which equals eps * sqrt(1 - beta2^t) here.
    ``weight_decay`` is L2 added to the gradient, as PyTorch's Adam does by default
    (not AdamW's decoupled decay).
    """
    t = int(state.get("step", 0)) + 1
    g = _with_l2(grad, param, weight_decay)
    m = beta1 * _zeros_or(state, "m", param) + (1 - beta1) * g
    v = beta2 * _zeros_or(state, "v", param) + (1 - beta2) * g * g
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    new_param = param - lr * m_hat / (v_hat.sqrt() + eps)
    return new_param, {"step": t, "m": m, "v": v}


def _check_unit_interval(name: str, value: float, closed_low: bool) -> None:
    ok = (0.0 <= value < 1.0) if closed_low else (0.0 < value < 1.0)
    if not ok:
        interval = "[0, 1)" if closed_low else "(0, 1)"
        raise ConfigError(f"{name} must lie in {interval}, got {value}")


class RMSPropNesterov(Optimizer):
    """RMSProp with Nesterov momentum (Goodfellow, Bengio and Courville 2016, Algorithm 8.6;
    reference: ``rmsprop_nesterov`` above), as an optimiser whose parameters are the
    look-ahead point.

    Algorithm 8.6 needs the gradient at theta + alpha v, but an optimiser receives the
    gradient at the parameters it holds. So, as PyTorch's ``SGD(nesterov=True)`` does
    for plain momentum (the reformulation of Bengio, Boulanger-Lewandowski and Pascanu
    2013, "Advances in optimizing recurrent networks"), the parameter held
    here is phi = theta + alpha v. Substituting into the algorithm gives, per step,

        g = grad at phi (+ weight_decay * phi, L2)
        r = rho r + (1 - rho) g^2
        c = lr g / (sqrt(r) + eps)           (the RMS-scaled correction)
        v = alpha v - c
        phi = phi + alpha v - c

    which keeps phi_t = theta_t + alpha v_t at every step (the test checks it against the
    reference). At the end of training the parameters are the look-ahead point; they
    differ from the algorithm's theta by alpha v, which vanishes as training settles.
    ``eps`` is added outside the root, as in ``torch.optim.RMSprop`` (the book has none).
    Every operation is element-wise, so seeds stacked in one tensor update independently.
    """

    def __init__(self, params, lr: float = 1e-3, rho: float = 0.9, momentum: float = 0.9, eps: float = 1e-8,
                 weight_decay: float = 0.0):
        if not lr > 0:
            raise ConfigError(f"lr must be positive, got {lr}")
        _check_unit_interval("rho", rho, closed_low=True)
        _check_unit_interval("momentum", momentum, closed_low=True)
        if eps < 0:
            raise ConfigError(f"eps must be >= 0, got {eps}")
        if weight_decay < 0:
            raise ConfigError(f"weight_decay must be >= 0, got {weight_decay}")
        super().__init__(params, dict(lr=lr, rho=rho, momentum=momentum, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, rho, momentum = group["lr"], group["rho"], group["momentum"]
            eps, weight_decay = group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise ConfigError("RMSPropNesterov does not support sparse gradients")
                g = p.grad if weight_decay == 0 else p.grad.add(p, alpha=weight_decay)
                state = self.state[p]
                if not state:
                    state["mean_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["velocity"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                mean_sq, velocity = state["mean_sq"], state["velocity"]
                mean_sq.mul_(rho).addcmul_(g, g, value=1 - rho)
                correction = g / mean_sq.sqrt().add_(eps)
                correction.mul_(lr)
                velocity.mul_(momentum).sub_(correction)
                p.add_(velocity, alpha=momentum).sub_(correction)
        return loss
