"""Topic H's report tables: per-layer counts as the lab lays them out, beside the module's."""
from __future__ import annotations

import math

from models import inception, vgg
from models.arithmetic import check_given_cells, markdown_table, mismatches
from models.counting import NetworkCheck


def shape_text(shape: tuple[int, ...]) -> str:
    """(C, H, W) in the lab's order H x W x C; a vector as its length."""
    if len(shape) == 3:
        c, h, w = shape
        return f"{h}x{w}x{c}"
    return "x".join(str(s) for s in shape)


def per_layer_table(check: NetworkCheck) -> str:
    module = {r.name: r for r in check.module_rows}
    rows = []
    for r in check.formula_rows:
        if r.kind == "input":
            continue
        m = module.get(r.name)
        rows.append((r.name, r.label, shape_text(r.output_shape), r.weight_expression, r.biases,
                     r.params, "-" if m is None else m.weights + m.biases))
    t = check.totals["params"].values
    rows.append(("**total**", "", "", f"{check.totals['weights'].values['formula']:,}",
                 check.totals["biases"].values["formula"], t["formula"], t["module"]))
    return markdown_table(("layer", "kind", "output", "weights (formula)", "biases",
                           "params (formula)", "params (module numel)"), rows)


def vgg19_lab_table(check: NetworkCheck) -> str:
    """The lab's Table 1 ("VGG19 memory and weights"), every cell filled, the lab's own
    cells shown beside the computed ones."""
    cells = {}
    for cell, agreement_ok in _lab_cell_results(check):
        cells.setdefault(cell.row, []).append(f"{cell.text} ({'agrees' if agreement_ok else 'DISAGREES'})")
    rows = [(i, r.label, shape_text(r.output_shape), r.activation_expression, r.weight_expression,
             "; ".join(cells.get(i, [])) or "-")
            for i, r in enumerate(check.formula_rows)]
    t = {q: check.totals[q].values["formula"] for q in ("activations", "weights", "biases", "params")}
    rows.append(("", "**TOTAL**", "", f"**{t['activations']:,}**",
                 f"**{t['weights']:,}** (with {t['biases']:,} biases: {t['params']:,})", ""))
    return markdown_table(("#", "Layer", "Output", "Number of activations (memory)",
                           "Parameters without biases (compute)", "lab's given cell"), rows)


def _lab_cell_results(check: NetworkCheck):
    for cell in vgg.LAB_TABLE1_GIVEN:
        yield cell, not mismatches(check_given_cells(check.formula_rows, [cell]))


def vgg_configs_table(checks: dict[str, NetworkCheck]) -> str:
    rows = []
    for config, check in checks.items():
        t = {q: check.totals[q].values for q in ("weights", "biases", "params", "activations", "multiplies")}
        depth = sum(1 for r in check.formula_rows if r.kind in ("conv", "linear"))
        rows.append((f"{config} (VGG{depth})", t["weights"]["module"], t["biases"]["module"],
                     t["params"]["module"], vgg.PAPER_TABLE2_MILLIONS[config], t["activations"]["module"],
                     t["multiplies"]["module"], "cpu" if config == vgg.VGG19 else "meta"))
    return markdown_table(("config", "weights", "biases", "params (module numel)", "paper Table 2 (M)",
                           "activations/image", "multiplies/image", "module built on"), rows)


# Which layer of the module each term of the lecture's slides describes.
LECTURE_TERM_LAYERS = {
    "[1x1 conv, 128]": "inception.b1x1.conv1x1",
    "[3x3 conv, 192]": "inception.b3x3.conv3x3",
    "[5x5 conv, 96]": "inception.b5x5.conv5x5",
    "[1x1 conv, 64] (before 3x3)": "inception.b3x3.reduce",
    "[1x1 conv, 64] (before 5x5)": "inception.b5x5.reduce",
    "[1x1 conv, 64] (after pool)": "inception.bpool.proj",
}


def inception_table(checks: dict[tuple[str, str], NetworkCheck], where: str) -> str:
    rows = []
    for version in ("naive", "reduced"):
        check = checks[(where, version)]
        module = {r.name: r for r in check.module_rows}
        for r in check.formula_rows:
            if r.kind == "input":
                continue
            rows.append((version, r.name.removeprefix("inception."), shape_text(r.output_shape), r.params,
                         r.multiplies, module[r.name].multiplies))
        t = check.totals
        rows.append((version, "**concatenated output / total**", shape_text(t["output_shape"].values["module"]),
                     t["params"].values["module"], t["multiplies"].values["formula"],
                     f"{t['multiplies'].values['module']:,} (FLOP counter {t['multiplies'].values['FLOP counter']:,})"))
    return markdown_table(("module", "layer", "output", "params", "multiplies (formula)",
                           "multiplies (module hooks)"), rows)


def lecture_table(checks: dict[tuple[str, str], NetworkCheck]) -> str:
    rows = []
    for version, terms in (("naive", inception.LECTURE_NAIVE_TERMS), ("reduced", inception.LECTURE_REDUCED_TERMS)):
        module = {r.name: r for r in checks[("lecture", version)].module_rows}
        for label, term in terms.items():
            layer = LECTURE_TERM_LAYERS[label]
            rows.append((version, label, "x".join(map(str, term)), math.prod(term),
                         layer.removeprefix("inception."), module[layer].multiplies))
        total = sum(math.prod(t) for t in terms.values())
        stated = inception.LECTURE_STATED_TOTALS[version]
        rows.append((version, "**sum of the listed terms**", "", total, "**module total**",
                     checks[("lecture", version)].totals["multiplies"].values["module"]))
        rows.append((version, "**slide's stated total**", "", f"{stated / 1e6:.0f}M", "", ""))
    return markdown_table(("module", "term as the slide lists it", "product", "value", "module layer",
                           "module multiplies"), rows)
