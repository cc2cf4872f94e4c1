"""``--tensorboard DIR``: the report's per-epoch histograms (A4's weights and gradients,
B2's gradients) as TensorBoard runs, read back with TensorBoard's own event reader and
compared bin for bin with what the figures draw.

TensorBoard is an optional extra: the tests that write or read event files skip without
it; the one-line refusal when the option is used without the package runs either way
(it hides the package from the run it starts).
"""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from claims import figures
from claims.a_depth import plots
from claims.b_gradients import judges
from deepclaims.tensorboard_export import TensorBoardExport

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
needs_tensorboard = pytest.mark.skipif(
    importlib.util.find_spec("tensorboard") is None,
    reason='tensorboard is not installed (optional extra: pip install -e ".[tensorboard]")')


def read_run(folder: Path) -> dict[str, list]:
    """tag -> [HistogramEvent, ...] of one run, as TensorBoard reads it (every event kept)."""
    from tensorboard.backend.event_processing.event_accumulator import HISTOGRAMS, EventAccumulator

    acc = EventAccumulator(str(folder), size_guidance={HISTOGRAMS: 0})
    acc.Reload()
    return {tag: acc.Histograms(tag) for tag in acc.Tags()[HISTOGRAMS]}


def assert_run_holds(folder: Path, expected: dict[str, tuple[list[int], tuple]]) -> None:
    """The run's histograms are exactly ``expected``: tag -> (epochs, (rows, edges, counts))
    as the figure bins them."""
    run = read_run(folder)
    assert sorted(run) == sorted(expected)
    for tag, (steps, (rows, edges, counts)) in expected.items():
        events = run[tag]
        assert [e.step for e in events] == list(steps), tag
        for event, row, row_counts in zip(events, rows, counts):
            h = event.histogram_value
            assert list(h.bucket) == row_counts.tolist(), f"{tag} epoch {event.step}: counts differ"
            assert list(h.bucket_limit) == edges[1:].tolist(), f"{tag} epoch {event.step}: bin edges differ"
            inside = row[np.isfinite(row)].astype(np.float64)
            inside = inside[(inside >= edges[0]) & (inside <= edges[-1])]
            assert h.num == row_counts.sum() == inside.size
            assert (h.min, h.max) == (edges[0], edges[-1]), f"{tag}: the first and last buckets are the figure's"
            assert h.sum == pytest.approx(inside.sum(), rel=1e-12, abs=1e-300)
            assert h.sum_squares == pytest.approx(inside @ inside, rel=1e-12)


def synthetic_lab_pair(epochs: int, rng) -> dict:
    """Shaped like A's lab pair results: weights_/grads_ of the bottom and top dense
    layers, [seeds, epochs+1, values]."""
    return {name: {f"{kind}_{key}": rng.normal(0, scale, (2, epochs + 1, width)).astype(np.float32)
                   for key, width in ((0, 24), (top, 100)) for kind, scale in (("weights", 1.0), ("grads", 1e-4))}
            for name, top in (("ffnet", 30), ("resnet", 40))}


def synthetic_gradient_runs(epochs: int, rng) -> dict:
    """Shaped like B's gradient runs: grads_<layer> for every layer, [seeds, epochs+1, values],
    with outliers the ridges' 0.5-99.5% range leaves out."""
    runs = {}
    for act, scale in (("sigmoid", 1e-5), ("relu", 1e-2)):
        grads = {f"grads_{layer}": rng.standard_t(2, (2, epochs + 1, 200)).astype(np.float32) * scale
                 for layer in range(judges.DIGIT_NET.depth + 1)}
        grads["grads_0"][0, 2, :3] = np.nan   # a non-finite value is not counted
        runs[act] = grads
    return runs


@needs_tensorboard
def test_A4_histograms_read_back_as_the_figure_bins_them(tmp_path):
    """Each net is one run, each panel of its figure one tag, each drawn epoch one step,
    with the figure's 30 bins and counts."""
    tier = type("Tier", (), {"epochs": 45})()    # every 2nd epoch drawn: steps 0, 2, ..., 44
    pair = synthetic_lab_pair(tier.epochs, np.random.default_rng(1))
    export = TensorBoardExport(tmp_path)
    drawn = plots.weight_and_gradient_histograms(pair, tier, 7, export)
    assert set(drawn) == {"ffnet_histograms", "resnet_histograms"}
    every, nets = plots.histogram_panels(pair, tier)
    assert every == 2
    for name, top in (("ffnet", 31), ("resnet", 41)):
        net = nets[name]
        binned = figures.grid_bins(net["panels"], every, net["shared"])
        assert sorted(net["tags"].values()) == sorted(f"{kind}/{where}_dense_{n}" for kind in ("weights", "gradients")
                                                      for where, n in (("bottom", 1), ("top", top)))
        assert_run_holds(tmp_path / "A4" / name / "seed_7",
                         {net["tags"][label]: (list(range(0, tier.epochs + 1, every)), binned[label])
                          for label in net["panels"]})
        # the figure's own panel is these rows: seed 7 (the first) of the results
        assert np.array_equal(binned["bottom (first hidden) weights"][0], pair[name]["weights_0"][0, ::every])


@needs_tensorboard
def test_B2_histograms_read_back_as_the_figure_bins_them_and_a_rerun_replaces_them(tmp_path):
    epochs = 6
    runs = synthetic_gradient_runs(epochs, np.random.default_rng(2))
    export = TensorBoardExport(tmp_path)
    judges.gradient_ridges(runs, 0, export)
    judges.gradient_ridges(runs, 0, export)          # a second run into the same folder
    panels, shared = judges.ridge_panels(runs)
    binned = figures.grid_bins(panels, shared=shared, tail=judges.RIDGE_TAIL)
    layers = judges.DIGIT_NET.depth + 1
    for act in ("sigmoid", "relu"):
        folder = tmp_path / "B2" / act / "seed_0"
        assert len(list(folder.glob("events.out.tfevents.*"))) == 1, "a rerun replaces the run's events"
        assert_run_holds(folder, {f"gradients/dense_{n}": (list(range(1, epochs + 1)), binned[f"{act} layer {n}"])
                                  for n in range(1, layers + 1)})
    # the ridges' range leaves the outliers out: fewer counted than drawn values
    counts = binned["relu layer 1"][2]
    assert counts.sum() < runs["relu"]["grads_0"][0, 1:].size


@needs_tensorboard
def test_a_smoke_run_with_the_option_writes_the_reports_histograms(tmp_path):
    """As a user runs it: pytest claims/ --claim A4,B2 --tensorboard DIR; the event files
    hold the bins of the very results the run computed (read back from its result cache)."""
    from claims.a_depth.experiments import TIERS as A_TIERS, lab_pair_plan
    from claims.b_gradients.experiments import TIERS as B_TIERS, gradient_plan
    from deepclaims.cache import ResultCache
    from deepclaims.experiment import RunEnvironment
    from deepclaims.plugin import Experiments

    proc = subprocess.run([sys.executable, "-m", "pytest", "claims/", "--claim", "A4,B2", "--fidelity", "smoke",
                           "--device", "cpu", "--seed-base", "3", "-q", "-p", "no:cacheprovider",
                           "--tensorboard", str(tmp_path / "tb"), "--report-dir", str(tmp_path / "reports"),
                           "--result-cache", str(tmp_path / "cache")],
                          cwd=ROOT, capture_output=True, text=True, env=dict(os.environ, MPLBACKEND="Agg"))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    runs = sorted(str(p.relative_to(tmp_path / "tb")) for p in (tmp_path / "tb").glob("*/*/*/*"))
    assert runs == ["smoke/A4/ffnet/seed_3", "smoke/A4/resnet/seed_3", "smoke/B2/relu/seed_3",
                    "smoke/B2/sigmoid/seed_3"]

    cache = ResultCache(tmp_path / "cache")
    experiments = Experiments("smoke", 3, RunEnvironment("cpu"), cache)
    pair = experiments.run_all(lab_pair_plan(A_TIERS["smoke"], RunEnvironment("cpu")))
    gradient_runs = experiments.run_all(gradient_plan(B_TIERS["smoke"], RunEnvironment("cpu")))
    assert {kind for _, kind in cache.take_events()} == {"cached"}, "the run's own results, not recomputed"

    every, nets = plots.histogram_panels(pair, A_TIERS["smoke"])
    for name, net in nets.items():
        binned = figures.grid_bins(net["panels"], every, net["shared"])
        epochs = next(iter(net["panels"].values())).shape[0]
        assert_run_holds(tmp_path / "tb" / "smoke" / "A4" / name / "seed_3",
                         {net["tags"][label]: (list(range(0, epochs, every)), binned[label])
                          for label in net["panels"]})
    panels, shared = judges.ridge_panels(gradient_runs)
    binned = figures.grid_bins(panels, shared=shared, tail=judges.RIDGE_TAIL)
    for act in ("sigmoid", "relu"):
        assert_run_holds(tmp_path / "tb" / "smoke" / "B2" / act / "seed_3",
                         {f"gradients/dense_{n}": (list(range(1, B_TIERS["smoke"].epochs + 1)),
                                                   binned[f"{act} layer {n}"])
                          for n in range(1, judges.DIGIT_NET.depth + 2)})


CONFTEST = """
import sys
import pytest
pytest_plugins = ["deepclaims.plugin"]
{hide}
"""

OFF = """
import sys

def test_nothing_exported_by_default(tensorboard_export):
    assert tensorboard_export is None
    assert "tensorboard" not in sys.modules and "torch.utils.tensorboard" not in sys.modules
"""


def test_without_the_package_the_option_stops_the_run_in_one_line(pytester):
    """The package hidden (as when it is not installed): a usage error before anything
    runs, one line that says what to install, no traceback."""
    pytester.makeconftest(CONFTEST.format(hide='sys.modules["tensorboard"] = None\n'
                                               'sys.modules["torch.utils.tensorboard"] = None'))
    result = pytester.runpytest_subprocess("--tensorboard", "tb", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert len(errors) == 1 and errors[0].startswith("ERROR: --tensorboard needs the tensorboard package")
    assert 'pip install -e ".[tensorboard]"' in errors[0] and "pip install tensorboard" in errors[0]
    assert "Traceback" not in result.stderr.str()
    assert not (pytester.path / "tb").exists()


def test_without_the_option_nothing_imports_tensorboard(pytester):
    pytester.makeconftest(CONFTEST.format(hide=""))
    pytester.makepyfile(test_off=OFF)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_a_tensorboard_path_that_is_a_file_is_refused_at_start(pytester):
    pytester.makeconftest(CONFTEST.format(hide=""))
    pytester.makefile(".txt", afile="not a folder")
    result = pytester.runpytest_subprocess("--tensorboard", "afile.txt", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --tensorboard '*afile.txt' is a file, not a folder*"])
