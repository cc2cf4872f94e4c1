"""Plain-PyTorch references for the spirals nets (topic A) and the digits MLPs (topic B).

Written the way a user would write the labs' Keras models in PyTorch, one seed at a
time: ``nn.Linear``, ``nn.Tanh`` / ``nn.Sigmoid`` / ``nn.ReLU``, ``nn.init``, a
loop over shuffled minibatches, ``torch.optim.SGD`` and the library's losses. Nothing here
uses the suite's seed-batched layers, so when these nets and the vectorised engine agree
(given the same initial weights and minibatches, or in verdict direction from their own
initialisation) neither the batching nor the engine's bookkeeping made the result.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn

ACTIVATION_MODULES = {"tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "relu": nn.ReLU}


def plain_ffnet(in_features: int, width: int, hidden: int, out_features: int, act: str = "tanh") -> nn.Sequential:
    """Dense(in->w, act), (hidden-1) x Dense(w->w, act), Dense(w->out) (logits: the sigmoid or
    softmax lives in the loss, as BCEWithLogits / CrossEntropy expect)."""
    layers: list[nn.Module] = []
    widths = [in_features] + [width] * hidden
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [nn.Linear(a, b), ACTIVATION_MODULES[act]()]
    layers.append(nn.Linear(width, out_features))
    return nn.Sequential(*layers)


class PlainResNet(nn.Module):
    """The notebook's ResNet: Dense(in->w), Dense(w->w), ``blocks`` x [skip = x;
    x = act(Dense(x)); x = act(Dense(x)); x = x + skip], Dense(w->w), Dense(w->out)."""

    def __init__(self, in_features: int, width: int, blocks: int, out_features: int, act: str = "tanh"):
        super().__init__()
        self.act = ACTIVATION_MODULES[act]()
        self.stem = nn.Sequential(nn.Linear(in_features, width), self.act, nn.Linear(width, width), self.act)
        self.blocks = nn.ModuleList(nn.Sequential(nn.Linear(width, width), self.act, nn.Linear(width, width), self.act)
                                    for _ in range(blocks))
        self.head = nn.Sequential(nn.Linear(width, width), self.act)
        self.output = nn.Linear(width, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for block in self.blocks:
            x = block(x) + x
        return self.output(self.head(x))


def linears(model: nn.Module) -> list[nn.Linear]:
    """The model's dense layers, bottom to top (registration order)."""
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def copy_seed_weights(net: nn.Module, engine, seed_index: int) -> nn.Module:
    """Load seed ``seed_index``'s dense weights and biases from a seed-batched engine model
    (``dense_layers()``, weights [S, out, in], biases [S, out, 1]) into ``net``'s nn.Linear
    layers, bottom to top; returns ``net``."""
    with torch.no_grad():
        for layer, (_, seeded) in zip(linears(net), engine.dense_layers(), strict=True):
            layer.weight.copy_(seeded.weight[seed_index])
            layer.bias.copy_(seeded.bias[seed_index, :, 0])
    return net


def sgd_epochs(model: nn.Module, x_train, y_train, batch_loss: Callable, *, epochs: int, batch_size: int,
               lr: float, momentum: float, shuffle: torch.Generator | None = None, clip_norm: float | None = None,
               on_epoch_end: Callable[[nn.Module], None] | None = None) -> np.ndarray:
    """The plain training loop: SGD(momentum) over one shuffled permutation per epoch, sliced
    into minibatches (the last one short); ``batch_loss(model, xb, yb)`` gives a minibatch's
    mean loss, ``clip_norm`` clips the global gradient norm (torch.nn.utils). Returns each
    epoch's mean loss over its samples (each minibatch's mean weighted by its size, as
    Keras' history reports it, so a short last batch counts for the samples it holds).

    The permutation is drawn from ``shuffle`` (the global generator when None). A DataLoader
    would do the same but spends extra draws per epoch (its RandomSampler draws a second,
    empty-tail permutation), so its order is not this one.
    """
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    history = []
    model.train()
    for _ in range(epochs):
        total = 0.0
        order = torch.randperm(len(y_train), generator=shuffle)
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            optimizer.zero_grad()
            loss = batch_loss(model, x_train[idx], y_train[idx])
            loss.backward()
            if clip_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            optimizer.step()
            total += loss.item() * len(idx)
        history.append(total / len(order))
        if on_epoch_end:
            on_epoch_end(model)
    return np.array(history)


def keras_init_(model: nn.Module) -> nn.Module:
    """Keras' Dense defaults: Glorot-uniform kernels, zero biases (PyTorch's own default is
    Kaiming-uniform with a=sqrt(5) and uniform biases, so a user porting the lab must say so)."""
    for layer in linears(model):
        nn.init.xavier_uniform_(layer.weight)
        nn.init.zeros_(layer.bias)
    return model


@dataclass(frozen=True)
class PlainHistory:
    epoch_loss: np.ndarray      # [epochs] mean training loss per epoch (over its samples)
    test_acc: float
    initial_weights: list[torch.Tensor]
    final_weights: list[torch.Tensor]

    def relative_weight_change(self) -> np.ndarray:
        """||W_end - W_0|| / ||W_0|| per dense layer, bottom to top."""
        return np.array([float((w - w0).norm() / w0.norm()) for w0, w in zip(self.initial_weights,
                                                                            self.final_weights)])


def fit(model: nn.Module, x_train, y_train, x_test, y_test, *, epochs: int, batch_size: int, lr: float,
        momentum: float, loss: str, shuffle: torch.Generator | None = None,
        on_epoch_end: Callable[[nn.Module], None] | None = None) -> PlainHistory:
    """Train ``model`` as Keras' ``fit(shuffle=True)`` would, with SGD(momentum), in a plain loop.

    ``loss`` is ``bce`` (one logit, BCEWithLogits: Keras' binary cross-entropy on a sigmoid
    output) or ``ce`` (class logits, cross-entropy on a softmax output). ``shuffle`` is the
    generator each epoch's permutation is drawn from (the global one when None), as
    ``fit(shuffle=True)`` reshuffles every epoch. ``on_epoch_end(model)`` runs after each
    epoch (a Keras callback's place: where the lab logs its histograms).
    """
    criterion = nn.BCEWithLogitsLoss() if loss == "bce" else nn.CrossEntropyLoss()
    target = (lambda y: y.float()) if loss == "bce" else (lambda y: y.long())
    squeeze = (lambda z: z.squeeze(-1)) if loss == "bce" else (lambda z: z)
    initial = [layer.weight.detach().clone() for layer in linears(model)]
    history = sgd_epochs(model, x_train, y_train, lambda m, xb, yb: criterion(squeeze(m(xb)), target(yb)),
                         epochs=epochs, batch_size=batch_size, lr=lr, momentum=momentum, shuffle=shuffle,
                         on_epoch_end=on_epoch_end)
    model.eval()
    with torch.no_grad():
        logits = squeeze(model(x_test))
        predicted = (logits > 0).long() if loss == "bce" else logits.argmax(-1)
        accuracy = float((predicted == y_test.long()).float().mean())
    return PlainHistory(history, accuracy, initial, [layer.weight.detach().clone() for layer in linears(model)])
