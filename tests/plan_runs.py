"""Running a topic's plan in a unit test as the claims' fixtures run it: each planned
experiment over its seeds from seed 0, on the CPU, sharded through the session's result
cache (so a control's trainings are reused by the next test run)."""
from deepclaims.experiment import Plan, RunEnvironment
from deepclaims.plugin import Experiments

CPU = RunEnvironment()


def run_plan(plan: Plan, result_cache, seed_base: int = 0) -> dict[str, dict]:
    """``{key: result}`` of every planned run (the value a plan fixture holds)."""
    # The fidelity only picks tiers (Experiments.tier), which a plan built here never asks for.
    return Experiments("ci", seed_base, CPU, result_cache).run_all(plan)
