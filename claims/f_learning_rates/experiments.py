"""Topic F's tiers and plan: one run of the lab's workflow (range test, sweep, cyclic, fixed
and growing-batch arms) per seed; see ``claims.f_learning_rates.runs``.

ci: the ci MiniGoogLeNet (``models.minigooglenet.CI_SPEC``, 2,434 parameters, 10x10 inputs)
on the embedded digits stand-in, 600 training images; the lab's ten candidates from 1e-9 to
1e1 for its 5 epochs at batch 64; the schedule arms for 24 epochs with CyclicLR's
step_size_up four epochs of iterations (within Smith's "2 - 10 times the number of
iterations in an epoch"; 24 epochs hold three cycles); the growing arm doubles its batch
every 4 epochs from 32 (32, 64, ..., 1024; the last is the whole 600-image training
split). 16 seeds: with 8, F2's paired interval (then against the fixed arm at
lr_max, which varies most between seeds) touched its margin at 14x14 inputs. The fixed arm
is the best constant rate between the bounds (see ``runs``): its search trains up to four
constant rates per seed (24 epochs each) where one fixed arm trained before. (A pilot
with 400 training images and 16 epochs left every arm short of convergence: cyclic 0.89,
growing 0.85 test accuracy; it was not used.)
lab: MiniGoogLeNet at the article's 32x32 Fashion-MNIST input, the schedule arms for 30
epochs (step size 5 epochs, three cycles), the growing arm doubling every 3 epochs from 32
to the lab's 16384 (reached in the last three epochs), batches over 2048 accumulated.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from claims.f_learning_rates.runs import LRScheduleRun, lr_schedules
from deepclaims.experiment import Planned, RunEnvironment
from models.minigooglenet import CI_SPEC, MiniGoogLeNetSpec


@dataclass(frozen=True, kw_only=True)
class LRTier:
    run: LRScheduleRun
    seeds: int


_CI_RUN = LRScheduleRun(spec=CI_SPEC, train_size=600, schedule_epochs=24, cycle_epochs=4, double_every=4,
                        max_batch=1024, micro_batch=128)

TIERS = {
    "smoke": LRTier(run=replace(_CI_RUN, train_size=200, range_epochs=2, sweep_steps=20, schedule_epochs=3,
                                cycle_epochs=1, double_every=1), seeds=3),
    "ci": LRTier(run=_CI_RUN, seeds=16),
    "lab": LRTier(run=LRScheduleRun(spec=MiniGoogLeNetSpec(), dataset="fashion_mnist", schedule_epochs=30,
                                    cycle_epochs=5, double_every=3, max_batch=16384, micro_batch=2048), seeds=5),
}


def schedules_plan(tier: LRTier, environment: RunEnvironment) -> dict[str, Planned]:
    run = replace(tier.run, device=environment.device,
                  data_dir=environment.data_dir_for("fashion_mnist") if tier.run.dataset == "fashion_mnist" else None)
    return {"main": Planned(lr_schedules, run, tier.seeds)}


PLANS = {"f_runs": schedules_plan}
