"""Write ``claims.json`` and the human report from the claim records of a run.

Records from earlier runs of claims not run this time are kept, so running one topic
does not erase the others; each record carries the time it was made and points at the
run that made it (its settings are listed at the top of the report).
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from deepclaims.effects import CONVENTIONS
from deepclaims.formatting import condition_text, fmt_number

SCHEMA_VERSION = 2


def combine_same_claim(records: list[dict]) -> list[dict]:
    """Fold the records of several tests of one claim into one record.

    A claim may be checked by more than one test (a worked case and a property test);
    its record holds every part, figure, table and note, the verdicts combine as parts
    do, and it counts as expected only when every test got what it expected.
    """
    from deepclaims.verdict import combine

    grouped: dict[str, dict] = {}
    for r in records:
        if r["id"] not in grouped:
            grouped[r["id"]] = dict(r, parts=list(r["parts"]), figures=list(r["figures"]),
                                    tables=dict(r["tables"]), notes=dict(r["notes"]))
            continue
        g = grouped[r["id"]]
        g["parts"] += r["parts"]
        g["figures"] += [f for f in r["figures"] if f not in g["figures"]]
        g["figure_problems"] = {**g.get("figure_problems", {}), **r.get("figure_problems", {})}
        g["tables"].update(r["tables"])
        g["notes"].update(r["notes"])
        g["duration_s"] = round(g["duration_s"] + r["duration_s"], 3)
        verdicts = [v for v in (g["verdict"], r["verdict"]) if v != "error"]
        g["verdict"] = "error" if len(verdicts) < 2 else combine(verdicts)
        if g["expected_verdict"] != r["expected_verdict"] or g["finding"] != r["finding"]:
            g["finding"] = " ".join(x for x in (g["finding"], r["finding"]) if x)
    return list(grouped.values())


def merge_records(existing: list[dict], new: list[dict]) -> list[dict]:
    by_id = {r["id"]: r for r in existing}
    for r in combine_same_claim(new):
        by_id[r["id"]] = r
    return [by_id[k] for k in sorted(by_id, key=_claim_sort_key)]


def _claim_sort_key(claim_id: str):
    return (claim_id[0], int(claim_id[1:]) if claim_id[1:].isdigit() else 0)


def load_records(path: Path) -> list[dict]:
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text())
        records = data["claims"]
        if not isinstance(records, list) or not all("id" in r for r in records):
            raise ValueError("'claims' is not a list of records with ids")
        return records
    except (ValueError, KeyError, TypeError) as exc:
        # A damaged report is replaced, not merged; say so rather than crash the run.
        print(f"deepclaims: ignoring unreadable {path} ({exc}); writing a fresh one")
        return []


def write_reports(report_dir: Path, new_records: list[dict], run: dict | None = None,
                  pending: dict[str, str] | None = None) -> Path:
    """Merge this run's records into ``report_dir``'s claims.json and rewrite report.md.

    ``run`` describes this run (its id, date, fidelity, seed base, device, versions); each
    new record points at it, so a report assembled from several runs says which record
    came from which. ``pending`` lists the catalogue claims this report does not cover (ID
    -> why: no spec yet, or skipped in this run), so a reader sees what is missing.
    """
    report_dir.mkdir(parents=True, exist_ok=True)
    json_path = report_dir / "claims.json"
    existing, runs = load_report(json_path)
    if run is not None:
        runs[run["id"]] = run
        new_records = [dict(r, run=run["id"]) for r in new_records]
    records = merge_records(existing, new_records)
    used = {r.get("run") for r in records}
    runs = {k: v for k, v in runs.items() if k in used}
    pending = {k: v for k, v in (pending or {}).items() if k not in {r["id"] for r in records}}
    _write_text(json_path, json.dumps({"schema": SCHEMA_VERSION, "runs": list(runs.values()), "claims": records,
                                       "pending": pending}, indent=2))
    _write_text(report_dir / "report.md", render_markdown(records, list(runs.values()), pending))
    return json_path


def load_report(path: Path) -> tuple[list[dict], dict[str, dict]]:
    """The records and runs of an existing claims.json (an older schema has no runs)."""
    records = load_records(path)
    if not records:
        return [], {}
    runs = json.loads(path.read_text()).get("runs", [])
    return records, {r["id"]: r for r in runs if isinstance(r, dict) and "id" in r}


# ---------------------------------------------------------------- formatting

def fmt_value(value) -> str:
    """Notes and details: numbers formatted, dicts and lists written out, not printed raw."""
    if isinstance(value, dict):
        if set(value) >= {"value", "interval"}:
            return f"{fmt_number(value['value'])} [{fmt_number(value['interval'][0])}, {fmt_number(value['interval'][1])}]"
        return "; ".join(f"{k}: {fmt_value(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(fmt_value(v) for v in value)
    return fmt_number(value)


def _exact(p: dict) -> bool:
    return p.get("method") == "exact"


def _interval(p: dict) -> str:
    iv = p.get("interval")
    if not iv:
        return "-"
    if _exact(p):
        return "exact"
    return f"[{fmt_number(iv[0])}, {fmt_number(iv[1])}]"


def _condition(p: dict) -> str:
    return p.get("condition") or condition_text(p.get("direction"), p.get("threshold"), p.get("tolerance"), _exact(p))


def _part_verdict(p: dict) -> str:
    return f"{p['verdict']} (refused: {p['degenerate']})" if p.get("degenerate") else p["verdict"]


def deciding(record: dict) -> dict | None:
    """The part that decided the record's verdict, as the recorder chose it (else the first
    part with the record's verdict)."""
    parts = record.get("parts") or []
    index = record.get("deciding_part")
    if index is not None and 0 <= index < len(parts) and parts[index]["verdict"] == record["verdict"]:
        return parts[index]
    for p in parts:
        if p["verdict"] == record["verdict"]:
            return p
    return parts[0] if parts else None


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")   # \| keeps a '|' inside a table cell


# ---------------------------------------------------------------- the report

def render_markdown(records: list[dict], runs: list[dict] | None = None,
                    pending: dict[str, str] | None = None) -> str:
    runs = runs or []
    fidelities = sorted({r.get("fidelity", "-") for r in records})
    lines = [f"# deepclaims report: fidelity {', '.join(fidelities)}", ""]
    if runs:
        lines += ["| run | fidelity | seed base | device | torch | commit | code | claims |",
                  "|---|---|---|---|---|---|---|---|"]
        for run in runs:
            ids = [r["id"] for r in records if r.get("run") == run["id"]]
            capped = f" (seeds capped at {run['max_seeds']})" if run.get("max_seeds") else ""
            lines.append(f"| {run['id']} | {run.get('fidelity', '-')}{capped} | {run.get('seed_base', '-')} | "
                         f"{run.get('device', '-')} | {run.get('torch', '-')} | {run.get('commit', '-')} | "
                         f"{run.get('code', '-')} | {', '.join(ids)} |")
        lines.append("")
    if "smoke" in fidelities:
        lines += ["**smoke fidelity:** configurations too small for statistical power; verdicts are recorded "
                  "but not asserted, and say nothing about the claims.", ""]
    lines += verdict_legend() + [
              "`expected` is what the suite asserts; an expected verdict other than `reproduced` is a finding "
              "against the source, explained in the claim's section with its sensitivity table.", "",
              "| ID | claim | verdict | expected | deciding measurement | estimate | 95% interval | holds when | "
              "seeds |", "|---|---|---|---|---|---|---|---|---|"]
    for r in records:
        p = deciding(r) or {}
        expected = "not asserted" if r.get("fidelity") == "smoke" else r.get("expected_verdict", "-")
        lines.append(f"| [{r['id']}](#{r['id'].lower()}) | {_cell(r.get('short') or r['title'])} | "
                     f"**{r['verdict']}** | {expected} | {_cell(p.get('measured', '-'))} | "
                     f"{fmt_number(p.get('estimate'), _exact(p))} | {_interval(p)} | {_condition(p) if p else '-'} | "
                     f"{r.get('seeds', {}).get('count', 0) or '-'} |")
    if pending:
        lines += ["", "**Not checked** (catalogue claims without a spec, skipped, or never run at this fidelity): "
                  + "; ".join(f"{', '.join(ids)}: {where}" for where, ids in _group_by_value(pending).items()) + "."]
    for r in records:
        lines += _claim_section(r)
    return "\n".join(lines) + "\n"


def verdict_legend() -> list[str]:
    """The verdict rule in words, with the conventional smallest effects (``deepclaims.effects``)."""
    conventions = "; ".join(f"{e.source.removeprefix('convention: ')} = {fmt_number(e.size)}"
                            for e in CONVENTIONS.values())
    return ["A verdict comes from the deciding measurement's 95% interval against the claim's condition: "
            "`reproduced` (the whole interval meets it), `contradicted` (the whole interval fails it), `not "
            "reproduced` (the interval touches or straddles it, or the evidence was refused as degenerate; the "
            "claim's section then gives the seeds that would decide it at the observed spread, 80% power).", "",
            "A comparison between arms (a difference, a log ratio, a trend) is never judged against zero: its "
            "condition is the smallest effect that would matter, taken from the source's words where they give "
            "a size and otherwise from a convention per kind of quantity, fixed before the results. It is "
            "`reproduced` when the interval clears that effect in the claimed direction, `contradicted` when "
            "the interval lies wholly short of it (an effect too small to matter, or the other way), `not "
            "reproduced` while the interval holds it. A non-inferiority comparison (\"at least as good\") "
            "holds unless the loss reaches its margin. Conventions: " + conventions + ". Each claim's section "
            "names its smallest effects and where they came from.", ""]


def _effect_lines(r: dict) -> list[str]:
    """The claim's smallest effects, one row per distinct effect, and the seeds that would
    decide any undecided part."""
    effects: dict[tuple, list[str]] = {}
    for p in r.get("parts") or []:
        e = p.get("smallest_effect")
        if e:
            effects.setdefault((e["size"], e["kind"], e["source"], p.get("null")), []).append(p["measured"])
    lines = []
    if effects:
        lines += ["", "| smallest effect | from | kind | source of the size | parts |", "|---|---|---|---|---|"]
        for (size, kind, source, null), parts in effects.items():
            lines.append(f"| {fmt_number(size)} | {fmt_number(null)} | {kind} | {_cell(source)} | "
                         f"{_cell('; '.join(dict.fromkeys(parts)))} |")
    undecided = [p for p in r.get("parts") or [] if p.get("verdict") == "not reproduced" and not _exact(p)]
    for p in undecided:
        needed = p.get("seeds_to_decide")
        lines += ["", f"*Undecided:* {p['measured']}: " + (
            f"about {needed} seeds would decide it at the observed spread (80% power)." if needed else
            "its estimate sits on the boundary; no seed count decides it.")]
    return lines


def _group_by_value(mapping: dict[str, str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for key, value in sorted(mapping.items()):
        groups.setdefault(value, []).append(key)
    return groups


def _claim_section(r: dict) -> list[str]:
    lines = ["", f"## {r['id']}", "", f"**{r.get('short') or r['title']}.** {r['title']}", "",
             f"*Source:* {r['source']}", "",
             f"*Verdict:* **{r['verdict']}** (expected: {r.get('expected_verdict', '-')}); fidelity "
             f"`{r.get('fidelity')}`, data: {r.get('dataset') or '-'}, device `{r.get('device')}`, "
             f"{r.get('seeds', {}).get('count', 0)} seeds, results {r.get('results', '-')}, "
             f"recorded {r.get('recorded_at', '-')}"]
    lines += _finding_lines(r)
    if r.get("parts"):
        lines += ["", "| measured | estimate | 95% interval | method | n | holds when | verdict |",
                  "|---|---|---|---|---|---|---|"]
        for p in r["parts"]:
            lines.append(f"| {_cell(p['measured'])} | {fmt_number(p['estimate'], _exact(p))} | {_interval(p)} | "
                         f"{p['method']} | {p['n']} | {_condition(p)} | {_part_verdict(p)} |")
        lines += _effect_lines(r)
    lines += _sensitivity_lines(r)
    for key, value in r.get("notes", {}).items():
        lines += ["", f"- **{key}:** {fmt_value(value)}"]
    for name, table in r.get("tables", {}).items():
        lines += ["", f"### {name}", "", table]
    for fig in r.get("figures", []):
        lines += ["", f"![{fig}]({fig})"]
    return lines


def _finding_lines(r: dict) -> list[str]:
    """The source's statement beside the suite's finding, its evidence and what it depends on."""
    if not r.get("finding"):
        return []
    lines = ["", "| the source says | the suite finds |", "|---|---|",
             f"| {_cell(r['title'])} | {_cell(r['finding'])} |"]
    if r.get("evidence"):
        lines += ["", f"*Evidence:* {r['evidence']}"]
    if r.get("depends_on"):
        lines += ["", f"*Depends on:* {r['depends_on']}"]
    return lines


def _sensitivity_lines(r: dict) -> list[str]:
    rows = r.get("sensitivity") or []
    if not rows:
        return []
    first = deciding(r) or {}
    lines = ["", "### Sensitivity: the same judgement under plausible alternative set-ups", "",
             "| set-up | verdict | deciding measurement | estimate | 95% interval | holds when |",
             "|---|---|---|---|---|---|",
             f"| as run above | **{r['verdict']}** | {_cell(first.get('measured', '-'))} | "
             f"{fmt_number(first.get('estimate'))} | {_interval(first)} | {_condition(first) if first else '-'} |"]
    for row in rows:
        p = row["deciding"]
        lines.append(f"| {_cell(row['setup'])} | **{row['verdict']}** | {_cell(p['measured'])} | "
                     f"{fmt_number(p['estimate'], _exact(p))} | {_interval(p)} | {_condition(p)} |")
    return lines


def _write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)
