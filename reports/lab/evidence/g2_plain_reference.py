"""G2's finding cross-checked with plain PyTorch, written the way a user would (ci set-up).

One seed at a time: nn.Sequential 64-128-128-10 ReLU, nn.init.kaiming_uniform_ weights and
zero biases, cross-entropy, batch 128 shuffled by a DataLoader, L2 5e-4 through the
optimiser's weight_decay, 30 epochs on the suite's embedded 8x8 digits split (898 training
images). Adam is torch.optim.Adam at lr 0.01; RMSProp+Nesterov is the suite's
RMSPropNesterov (torch.optim has none; G1 checks it against Goodfellow et al.'s Algorithm
8.6) at rho 0.9, momentum 0.9, lr 0.001: the rates the suite's search chose at ci, seed base 0.
Each epoch's training loss is the sample-weighted mean of its minibatch losses. Printed:
the paired mean over epochs of log10(loss RMSProp+Nesterov / loss Adam), G2's judged
quantity, with its 95% t interval over seeds; the same at the last epoch, and over the first
quarter and half of the epochs.

Run from the repository root: python reports/lab/evidence/g2_plain_reference.py
"""
import json
import sys

import numpy as np
import torch
from scipy import stats
from torch import nn

from deepclaims.data.embedded import embedded
from deepclaims.optimisers import RMSPropNesterov

SEEDS, EPOCHS, BATCH, L2 = range(16), 30, 128, 5e-4


def net() -> nn.Sequential:
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10))
    for layer in model:
        if isinstance(layer, nn.Linear):
            nn.init.kaiming_uniform_(layer.weight, nonlinearity="relu")
            nn.init.zeros_(layer.bias)
    return model


def curve(method: str, seed: int, data) -> np.ndarray:
    torch.manual_seed(seed)
    model = net()
    if method == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=L2)
    else:
        opt = RMSPropNesterov(model.parameters(), lr=0.001, rho=0.9, momentum=0.9, eps=1e-8, weight_decay=L2)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(data.x_train, data.y_train.long()),
                                         batch_size=BATCH, shuffle=True,
                                         generator=torch.Generator().manual_seed(seed))
    losses = []
    for _ in range(EPOCHS):
        total = 0.0
        for xb, yb in loader:
            loss = nn.functional.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(yb)
        losses.append(total / len(data.y_train))
    return np.array(losses)


def interval(values: np.ndarray) -> list[float]:
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return [float(values.mean()), float(values.mean() - half), float(values.mean() + half)]


def main() -> None:
    torch.set_num_threads(1)
    data = embedded("digits")
    ratio = np.array([np.log10(curve("rmsprop_nesterov", s, data) / curve("adam", s, data)) for s in SEEDS])
    out = {"seeds": list(SEEDS), "area_log10_ratio": interval(ratio.mean(1)),
           "last_epoch_log10_ratio": interval(ratio[:, -1]),
           "area_first_quarter_and_half": [interval(ratio[:, : EPOCHS * k // 4].mean(1)) for k in (1, 2)]}
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
