"""Topic E's claims: each catalogue ID with its judge and figures."""
from claims.e_batchnorm_dropout import experiments, judges, plots
from deepclaims.registry import ClaimSpec, Topic

SPECS = (
    ClaimSpec(id="E1", judge=judges.judge_E1),
    ClaimSpec(id="E2", judge=judges.judge_E2, figures=(plots.bn_parameter_violins,)),
    ClaimSpec(id="E3", judge=judges.judge_E3, figures=(plots.test_accuracy_by_placement,)),
    ClaimSpec(id="E4", judge=judges.judge_E4, figures=(plots.test_accuracy_by_arm, plots.variance_shift_by_layer)),
    ClaimSpec(id="E5", judge=judges.judge_E5),
)

TOPIC = Topic(letter="E", name="batchnorm_dropout", tiers=experiments.TIERS, plans=experiments.PLANS,
              specs=SPECS)
"""Topic E: batch normalisation and dropout on LeNet-5 (lab 004 Problem 2)."""
