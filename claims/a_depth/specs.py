"""Topic A's claims: each catalogue ID with its judge and figures."""
from claims.a_depth import experiments, judges, plots
from deepclaims.registry import ClaimSpec, Topic

SPECS = (
    ClaimSpec(id="A1", judge=judges.judge_A1, figures=(plots.ffnet_outcome_histogram,)),
    ClaimSpec(id="A2", judge=judges.judge_A2, figures=(plots.training_loss, plots.resnet_outcome_histogram)),
    ClaimSpec(id="A3", judge=judges.judge_A3, figures=(plots.gradient_norm_per_layer,)),
    ClaimSpec(id="A4", judge=judges.judge_A4,
              figures=(plots.weight_change_per_layer, plots.weight_and_gradient_histograms)),
    ClaimSpec(id="A5", judge=judges.judge_A5, figures=(plots.trainable_fraction_vs_depth,)),
    ClaimSpec(id="A6", judge=judges.judge_A6, figures=(plots.trainable_fraction_by_activation,)),
    ClaimSpec(id="A7", judge=judges.judge_A7),
    ClaimSpec(id="A8", judge=judges.judge_A8),
)

TOPIC = Topic(letter="A", name="depth_residual", tiers=experiments.TIERS, plans=experiments.PLANS, specs=SPECS)
