"""Topic B's claims: each catalogue ID with its judge and figures."""
from claims.b_gradients import experiments, judges
from deepclaims.registry import ClaimSpec, Topic

SPECS = (
    ClaimSpec(id="B1", judge=judges.judge_B1),
    ClaimSpec(id="B2", judge=judges.judge_B2, figures=(judges.gradient_ridges,)),
    ClaimSpec(id="B3", judge=judges.judge_B3, figures=(judges.gradients_over_iterations,)),
)

TOPIC = Topic(letter="B", name="gradients_sigmoid_relu", tiers=experiments.TIERS, plans=experiments.PLANS,
              specs=SPECS)
