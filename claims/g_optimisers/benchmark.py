"""G4's evidence: the pytest-benchmark JSON that ``bench/test_G4_dropout_bench.py`` writes.

It reads the arms with dropout (``extra_info["dropout"]`` true), whose ``extra_info``
holds the paired ratio (``ratios``) and the dropout operations' share of the step
(``dropout_ops_share``); the benchmark's docstring says how both are timed. ``draw``
shows each ratio as a bar, with the part of the step the masks themselves take marked
inside it. Timings are measured in ``bench/``, never in a claim test: claim G4 reports
a JSON it is given (``pytest claims/ --claim G4 --benchmark-json-in g4.json``).
"""
from __future__ import annotations

METHOD_ORDER = ("adagrad", "rmsprop", "rmsprop_nesterov", "adadelta", "adam")
NAMES = {"adagrad": "AdaGrad", "rmsprop": "RMSProp", "rmsprop_nesterov": "RMSProp+\nNesterov",
         "adadelta": "AdaDelta", "adam": "Adam"}
FIGURE_NAME = "G4_dropout_time_ratio.png"


class BenchmarkFileError(ValueError):
    """The JSON is not a pytest-benchmark file, or holds no G4 arm with dropout."""


def g4_ratios(report: dict) -> dict[tuple[str, str], dict[str, dict]]:
    """{(shape, device): {method: {"ratio", "ops_share", "with_s", "without_s"}}} from the dropout arms."""
    if not isinstance(report, dict) or not isinstance(report.get("benchmarks"), list):
        raise BenchmarkFileError("not a pytest-benchmark JSON (no 'benchmarks' list); write one with "
                                 "pytest bench/test_G4_dropout_bench.py --benchmark-json FILE")
    found: dict[tuple[str, str], dict[str, dict]] = {}
    for bench in report["benchmarks"]:
        info = bench.get("extra_info", {})
        if "G4" not in bench.get("name", "") or not info.get("dropout") or not info.get("ratios"):
            continue
        (ratio,) = info["ratios"].values()
        found.setdefault((info["shape"], info["device"]), {})[info["method"]] = {
            "ratio": float(ratio), "ops_share": float(info["dropout_ops_share"]),
            "with_s": float(info["paired_with_dropout_best_s"]), "without_s": float(info["paired_without_dropout_best_s"])}
    if not found:
        raise BenchmarkFileError("the JSON holds no G4 arm with dropout and a ratio (was it written with "
                                 "--benchmark-disable, or without the G4 benchmark?)")
    return found


def draw(ratios: dict[tuple[str, str], dict[str, dict]]):
    import matplotlib.pyplot as plt

    settings = sorted(ratios)
    fig, axes = plt.subplots(1, len(settings), figsize=(5.5 * len(settings), 3.8), squeeze=False, sharey=True)
    for ax, (shape, device) in zip(axes[0], settings):
        methods = [m for m in METHOD_ORDER if m in ratios[(shape, device)]]
        values = [ratios[(shape, device)][m]["ratio"] for m in methods]
        # the masks' own time, in units of the no-dropout step: ratio * share of the step with dropout
        masks = [ratios[(shape, device)][m]["ratio"] * ratios[(shape, device)][m]["ops_share"] for m in methods]
        x = range(len(methods))
        ax.bar(x, values, color="tab:blue", label="step with dropout / step without")
        ax.bar(x, masks, color="tab:orange", width=0.4, label="of which the masks alone (same units)")
        ax.axhline(1.0, color="black", lw=0.8, ls="--")
        for xi, v in zip(x, values):
            ax.text(xi, v, f"{v:.2f}", ha="center", va="bottom", fontsize=8)
        ax.set_xticks(list(x), [NAMES[m] for m in methods])
        ax.set_title(f"{shape} shape, {device}")
        ax.set_ylabel("time relative to the step without dropout")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.suptitle("G4: training-step time with dropout (0.2 input, 0.5 hidden) over without, per method")
    fig.tight_layout()
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=2)
    return fig
