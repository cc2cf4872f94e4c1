"""C7's alternatives with the suite's own engine (lab configuration, real Fashion-MNIST):
another seed base, and twice the budget. Writes the per-seed arrays as JSON.

Run from the repository root: PYTHONPATH=. python reports/lab/evidence/c7_engine_rows.py FIRST_SEED COUNT
EPOCHS NAME (the record's rows: 100000 8 15 other_seed_base, and 0 4 30 twice_budget)."""
import json, sys
from dataclasses import replace
import numpy as np
from claims.c_init.experiments import TIERS, mlp002_run
from claims.c_init.runs import train_mlp002
from deepclaims.experiment import RunEnvironment

first, count, epochs, name = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
env = RunEnvironment("cpu", data_folders=(("fashion_mnist", "/usr/share/datasets"),))
tier = TIERS["lab"]
out = {}
for arm, bn in (("bn", True), ("plain", False)):
    run = mlp002_run(bn, tier, env)
    run = replace(run, train=replace(run.train, epochs=epochs))
    res = train_mlp002(run, list(range(first, first + count)))
    out[arm] = {k: np.asarray(v).tolist() for k, v in res.items() if k != "dataset"}
    print(arm, np.asarray(res["epoch_loss"])[:, :3].mean(0), np.asarray(res["val_acc"]).mean(), flush=True)
json.dump(out, open(f"c7_engine_{name}.json", "w"))
