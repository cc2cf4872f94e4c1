"""Topic G's claims: each catalogue ID with its judge and figures (G4 reports the benchmark
``bench/test_G4_dropout_bench.py`` when given its JSON)."""
from claims.g_optimisers import experiments, judges, plots
from deepclaims.registry import ClaimSpec, Topic

SPECS = (
    ClaimSpec(id="G1", judge=judges.judge_G1, figures=(plots.rule_errors,)),
    ClaimSpec(id="G2", judge=judges.judge_G2, figures=(plots.loss_curves,)),
    ClaimSpec(id="G3", judge=judges.judge_G3, figures=(plots.dropout_against_plain,)),
    ClaimSpec(id="G4", judge=judges.judge_G4, figures=(plots.dropout_time_ratio,)),
    ClaimSpec(id="G5", judge=judges.judge_G5, figures=(plots.test_accuracy,)),
)

TOPIC = Topic(letter="G", name="adaptive_optimisers", tiers=experiments.TIERS, plans=experiments.PLANS,
              specs=SPECS)
