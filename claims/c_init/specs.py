"""Topic C's claims: each catalogue ID with its judge and figures."""
from claims.c_init import experiments, judges, plots
from deepclaims.registry import ClaimSpec, Topic

SPECS = (
    ClaimSpec(id="C1", judge=judges.judge_C1, figures=(plots.saturating_figures,)),
    ClaimSpec(id="C2", judge=judges.judge_C2, figures=(plots.tanh_figures,)),
    ClaimSpec(id="C3", judge=judges.judge_C3, figures=(plots.relu_figures, plots.budget_figure)),
    ClaimSpec(id="C4", judge=judges.judge_C4, figures=(plots.sigma_figures,)),
    ClaimSpec(id="C5", judge=judges.judge_C5, figures=(plots.activation_gradient_figures,)),
    ClaimSpec(id="C6", judge=judges.judge_C6, figures=(plots.clipping_figure,)),
    ClaimSpec(id="C7", judge=judges.judge_C7, figures=(plots.mlp002_training_figure,)),
    ClaimSpec(id="C8", judge=judges.judge_C8, figures=(plots.scaling_figure,)),
)

TOPIC = Topic(letter="C", name="initialisation", tiers=experiments.TIERS, plans=experiments.PLANS, specs=SPECS)
