"""Topic F's claims: each catalogue ID with its judge and figures."""
from claims.f_learning_rates import experiments, judges
from deepclaims.registry import ClaimSpec, Topic

SPECS = (
    ClaimSpec(id="F1", judge=judges.judge_F1, figures=(judges.lr_range_figure,)),
    ClaimSpec(id="F2", judge=judges.judge_F2, figures=(judges.clr_curves,)),
    ClaimSpec(id="F3", judge=judges.judge_F3, figures=(judges.growing_batch_curve,)),
)

TOPIC = Topic(letter="F", name="learning_rates_batch_size", tiers=experiments.TIERS, plans=experiments.PLANS,
              specs=SPECS)
