"""Write ``claims.json`` and the human report from the claim records of a run.

Records from earlier runs of claims not run this time are kept, so running one topic
does not erase the others; each record carries the time it was made.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

SCHEMA_VERSION = 1


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


def write_reports(report_dir: Path, new_records: list[dict]) -> Path:
    report_dir.mkdir(parents=True, exist_ok=True)
    json_path = report_dir / "claims.json"
    records = merge_records(load_records(json_path), new_records)
    _write_text(json_path, json.dumps({"schema": SCHEMA_VERSION, "claims": records}, indent=2))
    _write_text(report_dir / "report.md", render_markdown(records))
    return json_path


def _fmt(x) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.4g}"
    return str(x)


def _interval(iv) -> str:
    return "-" if not iv else f"[{_fmt(iv[0])}, {_fmt(iv[1])}]"


def render_markdown(records: list[dict]) -> str:
    lines = ["# deepclaims report", "",
             "Each claim's verdict is decided by its interval against its threshold: "
             "`reproduced` (interval on the claimed side), `contradicted` (on the other side), "
             "`not reproduced` (straddles it). `expected` is what the suite's test asserts; a "
             "source statement the evidence refutes is kept with the finding beside it.", "",
             "| ID | claim | verdict | expected | estimate | interval | threshold | fidelity | dataset | device | seeds | s |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in records:
        lines.append("| {id} | {title} | **{verdict}** | {exp} | {est} | {iv} | {thr} | {fid} | {ds} | {dev} | {n} | {dur} |".format(
            id=r["id"], title=r["title"].replace("|", "/"), verdict=r["verdict"], exp=r.get("expected_verdict", "-"),
            est=_fmt(r.get("estimate")), iv=_interval(r.get("interval")), thr=_fmt(r.get("threshold")),
            fid=r.get("fidelity", "-"), ds=r.get("dataset", "-"), dev=r.get("device", "-"),
            n=r.get("seeds", {}).get("count", 0), dur=_fmt(r.get("duration_s"))))
    for r in records:
        lines += ["", f"## {r['id']}: {r['title']}", "", f"*Source:* {r['source']}", "",
                  f"*Verdict:* **{r['verdict']}** (expected: {r.get('expected_verdict', '-')}); "
                  f"fidelity `{r.get('fidelity')}`, dataset `{r.get('dataset')}`, device `{r.get('device')}`, "
                  f"recorded {r.get('recorded_at', '-')}"]
        lines += _finding_lines(r)
        if r.get("parts"):
            lines += ["", "| measured | estimate | interval | method | n | claim holds when | verdict |",
                      "|---|---|---|---|---|---|---|"]
            for p in r["parts"]:
                lines.append(f"| {p['measured']} | {_fmt(p['estimate'])} | {_interval(p['interval'])} | "
                             f"{p['method']} | {p['n']} | {_condition(p)} | {_part_verdict(p)} |")
        lines += _sensitivity_lines(r)
        for key, value in r.get("notes", {}).items():
            lines += ["", f"- **{key}:** {value}"]
        for name, table in r.get("tables", {}).items():
            lines += ["", f"### {name}", "", table]
        for fig in r.get("figures", []):
            lines += ["", f"![{fig}]({fig})"]
    return "\n".join(lines) + "\n"


def _condition(p: dict) -> str:
    if p.get("condition"):
        return p["condition"]
    return f"{ {'above': '>', 'below': '<', 'equal': '=='}.get(p['direction'], p['direction'])} {_fmt(p['threshold'])}"


def _part_verdict(p: dict) -> str:
    return f"{p['verdict']} (refused: {p['degenerate']})" if p.get("degenerate") else p["verdict"]


def _finding_lines(r: dict) -> list[str]:
    """The source's statement beside the suite's finding, its evidence and what it depends on."""
    if not r.get("finding"):
        return []
    lines = ["", "| the source says | the suite finds |", "|---|---|",
             f"| {r['title'].replace('|', '/')} | {r['finding'].replace('|', '/')} |"]
    if r.get("evidence"):
        lines += ["", f"*Evidence:* {r['evidence']}"]
    if r.get("depends_on"):
        lines += ["", f"*Depends on:* {r['depends_on']}"]
    return lines


def _sensitivity_lines(r: dict) -> list[str]:
    rows = r.get("sensitivity") or []
    if not rows:
        return []
    lines = ["", "### Sensitivity: the same judgement under plausible alternative set-ups", "",
             "| set-up | verdict | deciding part | estimate | interval | claim holds when |",
             "|---|---|---|---|---|---|",
             f"| as run above | **{r['verdict']}** | | {_fmt(r.get('estimate'))} | {_interval(r.get('interval'))} "
             f"| {r.get('condition') or '-'} |"]
    for row in rows:
        p = row["deciding"]
        lines.append(f"| {row['setup']} | **{row['verdict']}** | {p['measured']} | {_fmt(p['estimate'])} | "
                     f"{_interval(p['interval'])} | {_condition(p)} |")
    return lines


def _write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)
