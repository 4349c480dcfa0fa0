"""Look at the misses: cases whose true child is outside the top 10 (clean-room data, issue 9).

    python benchmarks/cleanroom/diagnose.py --dir /tmp/cleanroom/real_mix-400x40000-s1 --top-k 1000 \
        --show 30 --out diagnosis.md [--tier given_only_kept]

Runs ``reunite screen --top-k K`` (large K, to find the child's rank), then for each missed case prints
the case row, the child's row with its rank, score and reasons, and the first strangers with theirs; and
sums up which reason terms the rank-1 stranger had that the child lacked (the "spikes"). ``--tier`` keeps
the cases of one column of tiers.csv (e.g. ``given_only_kept``: the child kept its given name only).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pandas as pd

TERM = re.compile(r"^(.*?)\s*([+-]\d+(?:\.\d+)?)$")


def terms(reasons: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in str(reasons or "").replace("\u2212", "-").split(";"):
        m = TERM.match(part.strip())
        if m:
            out[m.group(1)] = float(m.group(2))
    return out


def registered_before_loss(missing_date: str, registration_date: str) -> bool:
    """Whether a registration date lies surely before a missing date (both read as reunite reads them)."""
    from reunite.normalize.dates import DateError, parse_date

    try:
        lost, registered = parse_date(missing_date), parse_date(registration_date)
    except DateError:
        return False
    return lost is not None and registered is not None and registered.hi < lost.lo


def family(term: str) -> str:
    t = term.lower()
    if "name" in t or "surname" in t or "childhood" in t:
        return "name"
    if "registered" in t:
        return "registration"
    if "went missing" in t:
        return "timeline"
    if "born" in t or "birth" in t:
        return "birth date"
    if "county" in t or "city" in t or "province" in t or "region" in t or "route" in t:
        return "place"
    if "mark" in t:
        return "marks"
    return "other"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--top-k", type=int, default=1000)
    ap.add_argument("--show", type=int, default=30)
    ap.add_argument("--out", default=None)
    ap.add_argument("--no-fit", action="store_true")
    ap.add_argument("--tier", default=None,
                    help="only the cases of one tier of tiers.csv (a True/False column, e.g. given_only_kept)")
    a = ap.parse_args(argv)
    d = Path(a.dir)
    ranked_path = d / f"ranked-top{a.top_k}{'-nofit' if a.no_fit else ''}.csv"
    if not ranked_path.exists():
        cmd = [str(Path(sys.executable).parent / "reunite"), "screen", "--cases", str(d / "cases.csv"),
               "--candidates", str(d / "candidates.csv"), "--top-k", str(a.top_k), "--out", str(ranked_path),
               "--quarantine-dir", str(d)]
        if a.no_fit:
            cmd.append("--no-fit")
        subprocess.run(cmd, check=True, capture_output=True)
    s = {"dtype": str, "keep_default_na": False}
    cases = pd.read_csv(d / "cases.csv", **s).set_index("case_id")
    cand = pd.read_csv(d / "candidates.csv", **s).set_index("person_id")
    truth = pd.read_csv(d / "truth.csv", **s)
    tiers = pd.read_csv(d / "tiers.csv", **s).set_index("case_id")
    ranked = pd.read_csv(ranked_path, encoding="utf-8-sig", **s)
    ranked["rank"] = ranked["rank"].astype(int)
    ranked["score"] = ranked["score"].astype(float)
    by_case = {k: g.sort_values("rank") for k, g in ranked.groupby("case_id")}
    lines: list[str] = []
    matched = truth[truth["person_id"] != ""]
    if a.tier:
        if a.tier not in tiers.columns:
            raise SystemExit(f"--tier: expected a column of {d / 'tiers.csv'}; got {a.tier!r}")
        matched = matched[matched["case_id"].map(tiers[a.tier]).eq("True")]
    misses = []
    for row in matched.itertuples(index=False):
        g = by_case.get(row.case_id)
        hit = g[g["person_id"] == row.person_id] if g is not None else pd.DataFrame()
        rank = int(hit["rank"].iloc[0]) if len(hit) else None
        if rank is None or rank > 10:
            misses.append((row.case_id, row.person_id, rank, hit))
    lines.append(f"{len(misses)} of {len(matched)} matched cases have the child outside the top 10 "
                 f"({sum(1 for m in misses if m[2] is None)} not in the top {a.top_k} at all)\n")
    # tier shares among misses vs all matched
    tm = tiers.loc[matched["case_id"]]
    mi = tiers.loc[[m[0] for m in misses]]
    lines.append("| label | share of misses | share of matched cases |\n|---|---|---|")
    for col in ("baby", "no_name_evidence", "birth_shift_years", "other_province", "partial_birth", "lunar_birth",
                "late_registration", "trafficked_older", "name_by_ear", "placeholder"):
        lines.append(f"| {col} | {(mi[col] == 'True').mean():.2f} | {(tm[col] == 'True').mean():.2f} |")
    lines.append("")
    # spikes: terms of the rank-1 stranger the child lacks (or has smaller)
    spike: Counter[str] = Counter()
    spike_w: defaultdict[str, float] = defaultdict(float)
    child_neg: Counter[str] = Counter()
    shift_hist: Counter[str] = Counter()
    for cid, _pid, _rank, hit in misses:
        t = tiers.loc[cid]
        shift_hist[t["shift_years"]] += 1
        g = by_case.get(cid)
        if g is None or not len(g):
            continue
        top = terms(g.iloc[0]["reasons"])
        ch = terms(hit["reasons"].iloc[0]) if len(hit) else {}
        for k, v in top.items():
            if v > 0 and v - ch.get(k, 0.0) >= 1.0:
                spike[k] += 1
                spike_w[k] += v - ch.get(k, 0.0)
        for k, v in ch.items():
            if v < 0:
                child_neg[k] += 1
    lines.append("Terms the rank-1 stranger had (at least 1.0 more than the child), over the misses:\n")
    lines.append("| term | misses | mean advantage |\n|---|---|---|")
    for k, n in spike.most_common(15):
        lines.append(f"| {k} | {n} | {spike_w[k] / n:+.1f} |")
    lines.append("\nNegative terms on the child's own row (when ranked):\n")
    lines.append("| term | misses |\n|---|---|")
    for k, n in child_neg.most_common(12):
        lines.append(f"| {k} | {n} |")
    lines.append(f"\nregistered birth shift (years) of the missed children: {dict(sorted(shift_hist.items()))}\n")
    # a stranger registered surely before the case's loss: the child is registered by its new family, after
    # it (no level reads this yet: "registered on time" holds both)
    before_loss = 0
    for cid, _pid, _rank, _hit in misses:
        g = by_case.get(cid)
        if g is not None and len(g) and registered_before_loss(
                cases.loc[cid, "missing_date"], cand.loc[g.iloc[0]["person_id"], "registration_date"]):
            before_loss += 1
    lines.append(f"rank-1 stranger registered surely before the case's loss: {before_loss} of {len(misses)} misses\n")
    # one pattern per miss: the family of terms that gives the rank-1 stranger its largest lead
    pattern: Counter[str] = Counter()
    for cid, pid, rank, hit in misses:
        g = by_case.get(cid)
        if rank is None:
            try:
                yr = int(str(cand.loc[pid, "birth_date"])[:4])
                cyear = int(re.findall(r"\d{4}", str(cases.loc[cid, "birth_date"]))[0])
            except (IndexError, ValueError):
                yr = cyear = 0
            pattern["child not ranked: registered birth >= 3 years from the case's" if abs(yr - cyear) >= 3
                    else "child not ranked: scored below the top K"] += 1
            continue
        if g is None:
            continue
        top = terms(g.iloc[0]["reasons"])
        ch = terms(hit["reasons"].iloc[0])
        fam: defaultdict[str, float] = defaultdict(float)
        for k in set(top) | set(ch):
            d_ = top.get(k, 0.0) - ch.get(k, 0.0)
            f = family(k)
            fam[f] += d_
        best = max(fam.items(), key=lambda kv: kv[1])
        pattern[f"rank-1 stranger leads on {best[0]}"] += 1
    lines.append("| pattern (largest lead of the rank-1 stranger over the child, by field family) | misses |")
    lines.append("|---|---|")
    for k, n in pattern.most_common():
        lines.append(f"| {k} | {n} |")
    lines.append("")
    # examples
    cols_c = ["name", "alias", "sex", "birth_date", "birth_calendar", "missing_date", "missing_region", "marks"]
    cols_p = ["name", "former_names", "sex", "birth_date", "region", "registration_date", "marks"]
    for cid, pid, rank, hit in misses[: a.show]:
        t = tiers.loc[cid]
        c = cases.loc[cid]
        p = cand.loc[pid]
        lines.append(f"### {cid} ({t['kind']}, lost at {t['age_at_loss_days']} days, true birth {t['birth_true']},"
                     f" shift {t['shift_years']} y, other province {t['other_province']})")
        lines.append("case:  " + " | ".join(f"{k}={c[k]}" for k in cols_c if c[k]))
        lines.append("child: " + " | ".join(f"{k}={p[k]}" for k in cols_p if p[k])
                     + f" | id={p['id_number'][:6]}…")
        if len(hit):
            h = hit.iloc[0]
            lines.append(f"child rank {rank}, score {h['score']}, p {h['probability']}: {h['reasons']}")
        else:
            lines.append(f"child not in the top {a.top_k} (outside the birth window or scored below)")
        g = by_case.get(cid)
        if g is not None:
            for r in g.head(3).itertuples(index=False):
                q = cand.loc[r.person_id]
                lines.append(f"  #{r.rank} {r.person_id} score {r.score} ({q['name']}, {q['sex']}, {q['birth_date']}, "
                             f"{q['region']}, reg {q['registration_date']}): {r.reasons}")
        lines.append("")
    text = "\n".join(lines)
    if a.out:
        Path(a.out).write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
