"""Running a topic's plan in a unit test as the claims' fixtures run it: each planned
experiment over its seeds from seed 0, on the CPU, either sharded through the session's
result cache (``run_plan``: a control's trainings are reused by the next test run) or
computed afresh (``compute_plan``)."""
from deepclaims.experiment import Plan, RunEnvironment
from deepclaims.plugin import Experiments

CPU = RunEnvironment()


def run_plan(plan: Plan, result_cache, seed_base: int = 0) -> dict[str, dict]:
    """``{key: result}`` of every planned run (the value a plan fixture holds)."""
    # The fidelity only picks tiers (Experiments.tier), which a plan built here never asks for.
    return Experiments("ci", seed_base, CPU, result_cache).run_all(plan)


def compute_plan(plan: Plan) -> dict[str, dict]:
    """``{key: result}`` of every planned run, computed now, outside any cache."""
    return {key: p.experiment(p.config, p.seed_list(0)) for key, p in plan.items()}
