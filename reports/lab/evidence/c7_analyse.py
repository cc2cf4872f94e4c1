"""C7's two parts (and the same-epoch reading) from the by-script runs' JSON files.

Run from the repository root: python reports/lab/evidence/c7_analyse.py FILE.json ..."""
import json, sys
import numpy as np
from deepclaims.stats import paired_difference

def parts(bn_loss, plain_loss, bn_acc, plain_acc, label):
    ahead = paired_difference(plain_loss[:, 1], bn_loss[:, 0], 0.95)
    same = paired_difference(plain_loss[:, 0], bn_loss[:, 0], 0.95)
    better = paired_difference(bn_acc, plain_acc, 0.95)
    f = lambda e: f"{e.value:+.4f} [{e.low:+.4f}, {e.high:+.4f}]"
    print(f"{label}: n={len(bn_acc)} one epoch ahead {f(ahead)}; same epoch {f(same)}; final acc BN - no BN {f(better)}; "
          f"acc BN {bn_acc.mean():.4f} no BN {plain_acc.mean():.4f}")

for path in sys.argv[1:]:
    d = json.load(open(path))
    if "bn" in d:   # engine
        bn, pl = d["bn"], d["plain"]
        parts(np.array(bn["epoch_loss"]), np.array(pl["epoch_loss"]), np.array(bn["val_acc"]), np.array(pl["val_acc"]), path)
    else:           # plain reference, possibly several files
        seeds = sorted({k.split("/")[0] for k in d}, key=int)
        g = lambda arm, key: np.array([d[f"{s}/{arm}"][key] for s in seeds])
        parts(g("bn", "epoch_loss"), g("plain", "epoch_loss"), g("bn", "val_acc")[:, -1], g("plain", "val_acc")[:, -1], path)
