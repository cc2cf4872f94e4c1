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


def keras_init_(model: nn.Module) -> nn.Module:
    """Keras' Dense defaults: Glorot-uniform kernels, zero biases (PyTorch's own default is
    Kaiming-uniform with a=sqrt(5) and uniform biases, so a user porting the lab must say so)."""
    for layer in linears(model):
        nn.init.xavier_uniform_(layer.weight)
        nn.init.zeros_(layer.bias)
    return model


@dataclass(frozen=True)
class PlainHistory:
    epoch_loss: np.ndarray      # [epochs] mean training loss per epoch (over minibatches)
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
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    initial = [layer.weight.detach().clone() for layer in linears(model)]
    history = []
    model.train()
    for _ in range(epochs):
        total, batches = 0.0, 0
        # One permutation per epoch from ``shuffle``, sliced into minibatches (the last one
        # short). A DataLoader would do the same but spends extra draws per epoch (its
        # RandomSampler draws a second, empty-tail permutation), so its order is not this one.
        order = torch.randperm(len(y_train), generator=shuffle)
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            xb, yb = x_train[idx], y_train[idx]
            optimizer.zero_grad()
            batch_loss = criterion(squeeze(model(xb)), target(yb))
            batch_loss.backward()
            optimizer.step()
            total += batch_loss.item()
            batches += 1
        history.append(total / batches)
        if on_epoch_end:
            on_epoch_end(model)
    model.eval()
    with torch.no_grad():
        logits = squeeze(model(x_test))
        predicted = (logits > 0).long() if loss == "bce" else logits.argmax(-1)
        accuracy = float((predicted == y_test.long()).float().mean())
    return PlainHistory(np.array(history), accuracy, initial, [layer.weight.detach().clone() for layer in linears(model)])
