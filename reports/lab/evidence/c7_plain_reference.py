"""C7 by a user's plain PyTorch: the lab's 002 MLP with and without BN on the real
Fashion-MNIST (55,000 / 5,000 split, pixels / 255), nn.Sequential, He-normal hidden
kernels (nn.init.kaiming_normal_), PyTorch's default BatchNorm1d (momentum 0.1, eps 1e-5)
and output-layer init, SGD lr 0.01 (Keras' default), batch 32 reshuffled each epoch, 15
epochs. Prints per seed and arm the mean training loss per epoch and the validation
accuracy per epoch, then writes them to JSON.

Run: python reports/lab/evidence/c7_plain_reference.py SEEDS [EPOCHS] (the record's: 0,1,2 then
3,4,5,6,7; merged into c7_plain_0-7_15.json)."""
import gzip, json, sys, time
import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

torch.set_num_threads(1)
root = "/usr/share/datasets/fashion-mnist/"
def idx(name):
    raw = gzip.open(root + name).read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * dims).reshape(shape)
x = torch.tensor(idx("train-images-idx3-ubyte.gz").reshape(60000, -1), dtype=torch.float32) / 255.0
y = torch.tensor(idx("train-labels-idx1-ubyte.gz"), dtype=torch.long)
x_val, y_val, x_tr, y_tr = x[:5000], y[:5000], x[5000:], y[5000:]

def net(bn):
    norm = (lambda n: nn.BatchNorm1d(n)) if bn else (lambda n: nn.Identity())
    m = nn.Sequential(nn.Linear(784, 600), nn.ReLU(), norm(600), nn.Linear(600, 200), nn.ReLU(), norm(200),
                      nn.Linear(200, 10))
    for layer in (m[0], m[3]):
        nn.init.kaiming_normal_(layer.weight, nonlinearity="relu"); nn.init.zeros_(layer.bias)
    return m

out = {}
seeds = [int(s) for s in sys.argv[1].split(",")]
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 15
for seed in seeds:
    for bn in (True, False):
        torch.manual_seed(seed)
        m = net(bn)
        opt = torch.optim.SGD(m.parameters(), lr=0.01)
        losses, accs = [], []
        started = time.time()
        for epoch in range(epochs):
            m.train()
            order = torch.randperm(len(y_tr))
            total = 0.0; batches = 0
            for i in range(0, len(order), 32):
                b = order[i:i + 32]
                loss = F.cross_entropy(m(x_tr[b]), y_tr[b])
                opt.zero_grad(); loss.backward(); opt.step()
                total += loss.item(); batches += 1
            m.eval()
            with torch.no_grad():
                accs.append(float((m(x_val).argmax(1) == y_val).float().mean()))
            losses.append(total / batches)
        out[f"{seed}/{'bn' if bn else 'plain'}"] = {"epoch_loss": losses, "val_acc": accs}
        print(seed, "bn" if bn else "plain", [round(l, 3) for l in losses[:3]], round(accs[-1], 4),
              f"{time.time() - started:.0f}s", flush=True)
json.dump(out, open(f"c7_plain_{sys.argv[1].replace(',', '_')}_{epochs}.json", "w"))
