"""Topic D's claims: each catalogue ID with its judge and figures."""
from claims.d_dying_relu import experiments, judges, plots
from deepclaims.registry import ClaimSpec, Topic

SPECS = (
    ClaimSpec(id="D1", judge=judges.judge_D1, figures=(plots.d1_collapse,)),
    ClaimSpec(id="D2", judge=judges.judge_D2, figures=(plots.d2_collapse,)),
    ClaimSpec(id="D3", judge=judges.judge_D3, figures=(plots.d3_born_dead,)),
    ClaimSpec(id="D4", judge=judges.judge_D4, figures=(plots.d4_collapse,)),
)

TOPIC = Topic(letter="D", name="dying_relu", tiers=experiments.TIERS, plans=experiments.PLANS, specs=SPECS)
