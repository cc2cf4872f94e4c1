"""Topic H's claims: each catalogue ID with its judge and figures."""
from claims.h_architecture import experiments, judges
from deepclaims.registry import ClaimSpec, Topic

SPECS = (
    ClaimSpec(id="H1", judge=judges.judge_H1),
    ClaimSpec(id="H2", judge=judges.judge_H2),
    ClaimSpec(id="H3", judge=judges.judge_H3, figures=(judges.receptive_field_stacks,)),
    ClaimSpec(id="H4", judge=judges.judge_H4, figures=(judges.inception_multiplies_per_branch,)),
)

TOPIC = Topic(letter="H", name="architecture_arithmetic", tiers=experiments.TIERS, plans=experiments.PLANS,
              specs=SPECS)
