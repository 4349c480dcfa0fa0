"""How a kept given name is weighed (issue 9, fourteenth session): the given-name weights varied on data
sets of both generators, m fitted once per data set.

Each data set is a folder with cases.csv, candidates.csv, truth.csv and tiers.csv (the clean-room
generator writes them; ``--write-synth SEED`` writes a reunite.synth draw of ``random_profile(SEED)`` with a
tiers.csv read from its truth tags). Per data set the default screen's fit (u, name frequencies and m,
:func:`reunite.pipeline.fit_model`) is made once; each variant changes the fitted model and screens with it
(``fit_to_data=False``), so the variants differ in the given-name weights alone:

``base``      the fitted model as the default screen scores with it
``gsX``       the given-name comparison's scale set to X (shipped 0.666)
``tfu``       term-frequency adjustments not multiplied by the comparison's scale (given name and surname)
``tfu+gsX``   both

    python benchmarks/given_name_variants.py --write-synth 810000 --out /tmp/g/synth/s810000
    python benchmarks/given_name_variants.py --dirs /tmp/g/synth/s810000 /tmp/cr/r8106 \
        --variants base gs0.8 gs1.0 tfu --out /tmp/g/variants.jsonl

One JSON line per (data set, variant): recall@10 of the cases with a child, MRR, and recall@10 by the name
tiers of tiers.csv (given name only kept, full name kept, surname only kept, no name evidence).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from reunite.matching.model import FellegiSunter, default_model
from reunite.matching.spec import BlockingSpec
from reunite.pipeline import fit_model, load_side, screen

TIERS = ("given_only_kept", "full_name_kept", "surname_only_kept", "no_name_evidence")
_TF_PRIOR_CANDIDATES = 5000  # as reunite.matching.model


class TfUnscaled(FellegiSunter):
    """Term-frequency adjustments times the temperature and the shrink only, not the comparison's scale."""

    def tf_adjustment(self, comparison: str, level: int, frequency: npt.NDArray[np.float32],
                      n_candidates: int) -> npt.NDArray[np.float32]:
        k = self.spec.comparisons.index(comparison)
        u_level = float(self.u_[k][level])
        freq = np.maximum(frequency.astype(np.float64), 1e-7)
        shrink = n_candidates / (n_candidates + _TF_PRIOR_CANDIDATES)
        return (self.temperature * shrink * np.clip(np.log2(u_level / freq), -4.0, 4.0)).astype(np.float32)


def variant(fitted: FellegiSunter, name: str) -> FellegiSunter:
    """A copy of ``fitted`` changed as ``name`` says (see the module docstring)."""
    out = FellegiSunter.from_dict(fitted.to_dict())
    for attr in ("frequencies_", "frequency_candidates_"):
        if hasattr(fitted, attr):
            setattr(out, attr, getattr(fitted, attr))
    for part in name.split("+"):
        if part == "tfu":
            out.__class__ = TfUnscaled
        elif part.startswith("gs") and part[2:].replace(".", "", 1).isdigit():
            out.scale["given_name"] = float(part[2:])
        elif part != "base":
            raise SystemExit(f"variant: expected base, gsX, tfu or tfu+gsX; got {name!r}")
    return out


def measure(d: Path, ranked: pd.DataFrame) -> dict[str, float]:
    truth = pd.read_csv(d / "truth.csv", dtype=str, keep_default_na=False)
    tiers = pd.read_csv(d / "tiers.csv", dtype=str, keep_default_na=False).set_index("case_id")
    matched = truth[truth["person_id"] != ""].merge(ranked[["case_id", "person_id", "rank"]], how="left",
                                                    on=["case_id", "person_id"])
    rank = matched.set_index("case_id")["rank"].astype(float)
    out = {"recall@10": float((rank <= 10).mean()), "mrr": float((1.0 / rank.fillna(np.inf)).mean())}
    for tier in TIERS:
        ids = tiers.index[(tiers[tier] == "True") & (tiers["has_match"] == "True")]
        out[tier] = float((rank.reindex(ids) <= 10).mean()) if len(ids) else float("nan")
        out[f"{tier}_n"] = float(len(ids))
    return out


def run(dirs: list[Path], names: list[str], out: Path | None) -> None:
    lines: list[str] = []
    for d in dirs:
        t0 = time.time()
        cases = load_side(d / "cases.csv", "cases")
        candidates = load_side(d / "candidates.csv", "candidates", compact=True)
        fitted, _, _ = fit_model(default_model(), cases, candidates, blocking=BlockingSpec(), workers=2)
        for name in names:
            result = screen(cases, candidates, top_k=10, model=variant(fitted, name), fit_to_data=False,
                            reasons=False, workers=2)
            row: dict[str, Any] = {"dir": d.name, "variant": name,
                                   **{k: round(v, 4) for k, v in measure(d, result.to_pandas()).items()}}
            lines.append(json.dumps(row))
            print(lines[-1], flush=True)
        print(f"# {d}: {time.time() - t0:.0f} s", flush=True)
    if out:
        out.write_text("\n".join(lines) + "\n")


def write_synth(seed: int, out: Path, n_cases: int, n_candidates: int) -> None:
    """A reunite.synth draw of ``random_profile(default_rng(seed))`` (data seed ``seed + 1000``), with a
    tiers.csv of the name tiers read from the truth tags as benchmarks/suite.py reads them."""
    from reunite.synth import generate, random_profile, write

    out.mkdir(parents=True, exist_ok=True)
    profile = random_profile(np.random.default_rng(seed))
    paths = write(generate(n_cases, n_candidates, seed=seed + 1000, config=profile.config), out)
    truth = pd.read_csv(paths.truth, dtype=str, keep_default_na=False)
    tags = truth["tags"].fillna("").str.split(";").map(frozenset)

    def tier(rule: Any) -> pd.Series:
        return tags.map(rule).map(str)

    pd.DataFrame({
        "case_id": truth["case_id"], "has_match": (truth["person_id"] != "").map(str),
        "given_only_kept": tier(lambda t: "adoptive_surname" in t and "given_replaced" not in t and "unnamed" not in t),
        "full_name_kept": tier(lambda t: not t & {"adoptive_surname", "given_replaced", "unnamed", "alias_only"}),
        "surname_only_kept": tier(lambda t: "given_replaced" in t and "adoptive_surname" not in t),
        "no_name_evidence": tier(lambda t: "unnamed" in t),
    }).to_csv(out / "tiers.csv", index=False)
    print(f"{out}: reunite.synth random_profile({seed}) {profile.regime}, {n_cases} x {n_candidates}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--dirs", nargs="*", type=Path, default=[])
    ap.add_argument("--variants", nargs="*", default=["base", "gs0.8", "gs1.0", "tfu", "tfu+gs0.8"])
    ap.add_argument("--write-synth", type=int, default=None, metavar="SEED")
    ap.add_argument("--cases", type=int, default=400)
    ap.add_argument("--candidates", type=int, default=40000)
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args(argv)
    if a.write_synth is not None:
        if a.out is None:
            raise SystemExit("--write-synth needs --out (the folder to write)")
        write_synth(a.write_synth, a.out, a.cases, a.candidates)
        return 0
    run(a.dirs, a.variants, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
