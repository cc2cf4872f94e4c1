"""G4's evidence: the pytest-benchmark JSON that ``bench/test_G4_dropout_bench.py`` writes.

It reads the arms with dropout (``extra_info["dropout"]`` true), whose ``extra_info``
holds the paired ratio (``ratios``), its 95% interval and stability (``ratio_intervals``;
runs written before intervals were recorded have none: ``interval`` and ``unstable`` are
then None) and the dropout operations' share of the step (``dropout_ops_share``); the
benchmark's docstring says how they are timed. ``draw`` shows each ratio as a bar with
its interval as an error bar, hatches and labels a ratio marked unstable (its rounds
disagreed beyond the spread limit, or other processes kept the machine busy: not a number
to read), and marks inside each bar the part of the step the masks themselves take.
Timings are measured in ``bench/``, never in a claim test: claim G4 reports a JSON it is
given (``pytest claims/ --claim G4 --benchmark-json-in g4.json``).
"""
from __future__ import annotations

METHOD_ORDER = ("adagrad", "rmsprop", "rmsprop_nesterov", "adadelta", "adam")
NAMES = {"adagrad": "AdaGrad", "rmsprop": "RMSProp", "rmsprop_nesterov": "RMSProp+\nNesterov",
         "adadelta": "AdaDelta", "adam": "Adam"}
FIGURE_NAME = "G4_dropout_time_ratio.png"


class BenchmarkFileError(ValueError):
    """The JSON is not a pytest-benchmark file, or holds no G4 arm with dropout."""


def _interval(info: dict, key: str) -> tuple[tuple[float, float] | None, bool | None]:
    """(low, high) and the unstable flag recorded for ratio ``key``; (None, None) for a run
    written before intervals were recorded."""
    entry = info.get("ratio_intervals", {}).get(key)
    if entry is None:
        return None, None
    try:
        return (float(entry["low"]), float(entry["high"])), bool(entry["unstable"])
    except (KeyError, TypeError, ValueError):
        raise BenchmarkFileError(f"ratio_intervals[{key!r}] is not {{'low', 'high', 'unstable', ...}}: {entry!r}") from None


def _arm_seconds(info: dict) -> tuple[float, float, str]:
    """(with, without, "median" or "best"): the paired arms' median rounds, or their best
    rounds in a run written before medians were recorded."""
    if "paired_with_dropout_median_s" in info:
        return float(info["paired_with_dropout_median_s"]), float(info["paired_without_dropout_median_s"]), "median"
    return float(info["paired_with_dropout_best_s"]), float(info["paired_without_dropout_best_s"]), "best"


def g4_ratios(report: dict) -> dict[tuple[str, str], dict[str, dict]]:
    """{(shape, device): {method: {"ratio", "interval", "unstable", "ops_share", "with_s",
    "without_s", "seconds"}}} from the dropout arms: ``interval`` is (low, high) or None,
    ``unstable`` True / False or None (both None for a run that recorded no interval),
    ``seconds`` says whether with_s / without_s are the arms' "median" or "best" rounds."""
    if not isinstance(report, dict) or not isinstance(report.get("benchmarks"), list):
        raise BenchmarkFileError("not a pytest-benchmark JSON (no 'benchmarks' list); write one with "
                                 "pytest bench/test_G4_dropout_bench.py --benchmark-json FILE")
    found: dict[tuple[str, str], dict[str, dict]] = {}
    for bench in report["benchmarks"]:
        info = bench.get("extra_info", {})
        if "G4" not in bench.get("name", "") or not info.get("dropout") or not info.get("ratios"):
            continue
        ((key, ratio),) = info["ratios"].items()
        interval, unstable = _interval(info, key)
        with_s, without_s, seconds = _arm_seconds(info)
        found.setdefault((info["shape"], info["device"]), {})[info["method"]] = {
            "ratio": float(ratio), "interval": interval, "unstable": unstable,
            "ops_share": float(info["dropout_ops_share"]), "with_s": with_s, "without_s": without_s,
            "seconds": seconds}
    if not found:
        raise BenchmarkFileError("the JSON holds no G4 arm with dropout and a ratio (was it written with "
                                 "--benchmark-disable, or without the G4 benchmark?)")
    return found


def _error_bars(rows: list[dict]) -> list[list[float]]:
    """matplotlib's yerr: each ratio's distance down to its interval's low end and up to its
    high end (0 both ways where no interval was recorded)."""
    below = [r["ratio"] - r["interval"][0] if r["interval"] else 0.0 for r in rows]
    above = [r["interval"][1] - r["ratio"] if r["interval"] else 0.0 for r in rows]
    return [below, above]


def _label(row: dict) -> str:
    return f"{row['ratio']:.2f}\nunstable" if row["unstable"] else f"{row['ratio']:.2f}"


def draw(ratios: dict[tuple[str, str], dict[str, dict]]):
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    settings = sorted(ratios)
    fig, axes = plt.subplots(1, len(settings), figsize=(5.5 * len(settings), 3.8), squeeze=False, sharey=True)
    any_interval = any(r["interval"] for by_method in ratios.values() for r in by_method.values())
    any_unstable = any(r["unstable"] for by_method in ratios.values() for r in by_method.values())
    for ax, (shape, device) in zip(axes[0], settings):
        methods = [m for m in METHOD_ORDER if m in ratios[(shape, device)]]
        rows = [ratios[(shape, device)][m] for m in methods]
        values = [r["ratio"] for r in rows]
        # the masks' own time, in units of the no-dropout step: ratio * share of the step with dropout
        masks = [r["ratio"] * r["ops_share"] for r in rows]
        x = list(range(len(methods)))
        bars = ax.bar(x, values, color="tab:blue", label="step with dropout / step without")
        # an unstable ratio stays on the figure (dropping it would hide that it was timed),
        # but pale and hatched, so it does not read as a measured fact
        for bar, row in zip(bars, rows):
            if row["unstable"]:
                bar.set(alpha=0.35, hatch="//", edgecolor="tab:red")
        ax.bar(x, masks, color="tab:orange", width=0.4, label="of which the masks alone (same units)")
        yerr = _error_bars(rows)
        if any_interval:
            ax.errorbar(x, values, yerr=yerr, fmt="none", ecolor="black", capsize=3, lw=1)
        ax.axhline(1.0, color="black", lw=0.8, ls="--")
        for xi, v, up, row in zip(x, values, yerr[1], rows):
            ax.text(xi, v + up, _label(row), ha="center", va="bottom", fontsize=8,
                    color="tab:red" if row["unstable"] else "black")
        ax.margins(y=0.18)                       # room above the tallest bar for its two-line label
        ax.set_xticks(x, [NAMES[m] for m in methods])
        ax.set_title(f"{shape} shape, {device}")
        ax.set_ylabel("time relative to the step without dropout")
    handles, labels = axes[0][0].get_legend_handles_labels()
    if any_interval:
        handles.append(plt.Line2D([], [], color="black", marker="|", lw=1, markersize=8))
        labels.append("95% interval (paired rounds, bootstrap)")
    if any_unstable:
        handles.append(Patch(facecolor="tab:blue", alpha=0.35, hatch="//", edgecolor="tab:red"))
        labels.append("unstable: rounds disagreed, or the machine was busy")
    fig.suptitle("G4: training-step time with dropout (0.2 input, 0.5 hidden) over without, per method")
    fig.tight_layout()
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=2)
    return fig
