"""Would finer kinds of case raise the labelled-m bound? (issue 9 item 3, twelfth session)

Measurement only. reunite holds m per kind of case (``reunite.matching.kinds``: unknown / baby / child).
This script swaps that module's kinds for another scheme in every module that imported them, then measures
the bound: m learned from TRUE labels (``reunite.train(..., confirmed=truth)``), screened with that m and
no unsupervised fit. Schemes (:data:`SCHEMES`):

``coarse``         today's kinds.
``fine``           newborn (< 32 days) / infant (32 days - 1 year) / toddler (1-3 y) / young (3-6 y) /
                   older (>= 6 y), decided on the case's date intervals like today; a case whose interval
                   straddles two fine bands keeps its coarse kind (baby / child / unknown).
``babysplit``      only babies split (newborn / infant); ``childsplit`` only children (toddler / young / older).
``oracle_coarse``  clean-room only: baby / child from the generator's TRUE age at loss (no unknown).
``oracle_age``     the five fine bands from the TRUE age at loss.
``oracle_story``   the TRUE loss type (given / trafficked / abandoned / strayed) x the five true age bands:
                   what the kinds could give if every case told its story exactly.

Two modes::

    # clean-room data (generated into --work, or read there when present); train and score the SAME data
    python benchmarks/kinds_bound.py cleanroom --scheme fine --profile real_mix --seed 21 \
        --cases 2000 --candidates 200000 --work /tmp/kinds/data --out /tmp/kinds/bound.jsonl
    python benchmarks/kinds_bound.py cleanroom --scheme fine --profile random:8100 --seed 8100 \
        --cases 1000 --candidates 100000 --work /tmp/kinds/data --out /tmp/kinds/bound.jsonl
    # reunite.synth: benchmarks/suite.py's labelled_m strategy (m from a separate TRAIN draw) under a scheme
    python benchmarks/kinds_bound.py suite --scheme fine -- --configs 8 --cases 400 --candidates 40000 \
        --base-seed 810000 --no-real-mix --strategies labelled_m --out /tmp/kinds/synth-fine.json
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import resource
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

import reunite
import reunite.matching.kinds as kinds_module

HERE = Path(__file__).resolve().parent
FINE_EDGES = [32, 366, 1096, 2192]  # days: newborn | infant | toddler | young | older
FINE = ("newborn", "infant", "toddler", "young", "older")
BANDS = list(zip([0, *FINE_EDGES], [*FINE_EDGES, 10**6], FINE, strict=True))
COARSE = kinds_module.CASE_KINDS

#: scheme -> (extra kinds after today's three, the fine bands that decide them)
SCHEMES: dict[str, tuple[tuple[str, ...], list[tuple[int, int, str]]]] = {
    "coarse": ((), []),
    "fine": (FINE, BANDS),
    "babysplit": (FINE[:2], BANDS[:2]),
    "childsplit": (FINE[2:], BANDS[2:]),
}
ORACLES = ("oracle_coarse", "oracle_age", "oracle_story")
STORIES = ("given", "trafficked", "abandoned", "strayed")  # the clean-room generator's loss types

KindsOf = Callable[..., npt.NDArray[np.int8]]


def _import_everything() -> None:
    for info in pkgutil.walk_packages(reunite.__path__, "reunite."):
        if ".spark" not in info.name and not info.name.endswith("__main__"):
            importlib.import_module(info.name)


def _install(kinds: tuple[str, ...], case_kinds: KindsOf) -> None:
    """Replace CASE_KINDS and case_kinds in every reunite module that bound them."""
    _import_everything()
    original_fn, original_kinds = kinds_module.case_kinds, kinds_module.CASE_KINDS
    for name, module in list(sys.modules.items()):
        if not name.startswith("reunite") or module is None:
            continue
        if getattr(module, "case_kinds", None) is original_fn:
            module.case_kinds = case_kinds  # type: ignore[attr-defined]
        if getattr(module, "CASE_KINDS", None) is original_kinds:
            module.CASE_KINDS = kinds  # type: ignore[attr-defined]


def install_scheme(scheme: str) -> None:
    """Kinds decided on the case's date intervals (today's rule, with finer bands)."""
    extra, bands = SCHEMES[scheme]
    if not extra:
        return
    kinds = COARSE + extra
    coarse_of = kinds_module.case_kinds

    def case_kinds(cases: Any, rows: Any = None) -> npt.NDArray[np.int8]:
        coarse = coarse_of(cases, rows)
        pick = slice(None) if rows is None else rows
        known = cases.birth_known[pick] & cases.event_known[pick]
        oldest = cases.event_hi[pick].astype(np.int64) - cases.birth_lo[pick]
        youngest = cases.event_lo[pick].astype(np.int64) - cases.birth_hi[pick]
        out = coarse.copy()
        for lo, hi, name in bands:
            out[known & (coarse > 0) & (youngest >= lo) & (oldest < hi)] = kinds.index(name)
        return out

    _install(kinds, case_kinds)


def install_oracle(scheme: str, tiers: pd.DataFrame, case_ids: npt.NDArray[Any]) -> None:
    """Kinds from the clean-room generator's truth (tiers.csv), per case row of the loaded cases."""
    row = tiers.set_index("case_id").reindex(case_ids)
    age = row["age_at_loss_days"].astype(int).to_numpy()
    band = np.searchsorted(FINE_EDGES, age, side="right")
    if scheme == "oracle_coarse":
        names, labels = ("true_baby", "true_child"), np.where(age >= 366, "true_child", "true_baby")
    elif scheme == "oracle_age":
        names, labels = FINE, np.asarray(FINE)[band]
    else:
        labels = np.asarray([f"{story}-{FINE[b]}" for story, b in zip(row["kind"].astype(str), band, strict=True)])
        names = tuple(f"{story}-{b}" for story in STORIES for b in FINE)
    index = {name: i for i, name in enumerate(COARSE + names)}
    per_case = np.asarray([index[label] for label in labels], dtype=np.int8)

    def case_kinds(cases: Any, rows: Any = None) -> npt.NDArray[np.int8]:
        if len(cases) != per_case.shape[0]:
            raise RuntimeError(f"oracle kinds: {per_case.shape[0]} cases known, {len(cases)} prepared")
        return per_case.copy() if rows is None else per_case[rows]

    _install(COARSE + names, case_kinds)


def _cleanroom_data(args: argparse.Namespace, seed: int) -> Path:
    sys.path.insert(0, str(HERE / "cleanroom"))
    from generate import generate, random_profile_for, write

    name = args.profile.replace(":", "")
    directory = Path(args.work) / f"{name}-{args.cases}x{args.candidates}-s{seed}"
    if not (directory / "tiers.csv").exists():
        profile = random_profile_for(int(args.profile[7:])) if args.profile.startswith("random:") else args.profile
        write(directory, *generate(profile, args.cases, args.candidates, seed))
    return directory


def _read(directory: Path) -> tuple[Any, Any, pd.DataFrame, pd.DataFrame]:
    cases = reunite.load_side(directory / "cases.csv", "cases")
    candidates = reunite.load_side(directory / "candidates.csv", "candidates")
    truth = pd.read_csv(directory / "truth.csv", dtype=str, keep_default_na=False)
    tiers = pd.read_csv(directory / "tiers.csv", dtype={"case_id": str, "person_id": str}, keep_default_na=False)
    return cases, candidates, truth, tiers


def _kinds_for(scheme: str, tiers: pd.DataFrame, cases: Any) -> None:
    if scheme in ORACLES:
        install_oracle(scheme, tiers, np.asarray(cases.ids))
    else:
        install_scheme(scheme)


def cleanroom(args: argparse.Namespace) -> dict[str, Any]:
    """The bound on one clean-room data set: m from the true pairs of the same data (or of the data of
    ``--train-seed``), then scored."""
    directory = _cleanroom_data(args, args.seed)
    from evaluate import metrics  # benchmarks/cleanroom (on the path after _cleanroom_data)

    started = time.perf_counter()
    if args.train_seed is not None:
        train_cases, train_candidates, train_truth, train_tiers = _read(_cleanroom_data(args, args.train_seed))
        _kinds_for(args.scheme, train_tiers, train_cases)
        confirmed = [(c, p) for c, p in zip(train_truth["case_id"], train_truth["person_id"], strict=True) if p]
        model = reunite.train(train_cases, train_candidates, confirmed=confirmed)
        del train_cases, train_candidates
    cases, candidates, truth, tiers = _read(directory)
    people = pd.read_csv(directory / "candidates.csv", dtype=str, keep_default_na=False)
    if args.train_seed is None or args.scheme in ORACLES:  # fine kinds are installed once
        _kinds_for(args.scheme, tiers, cases)
    if args.train_seed is None:
        pairs = [(c, p) for c, p in zip(truth["case_id"], truth["person_id"], strict=True) if p]
        model = reunite.train(cases, candidates, confirmed=pairs)
    ranked = reunite.screen(cases, candidates, model=model, top_k=20, reasons=False, em=False).to_pandas()
    ranked["case_id"] = ranked["case_id"].astype(str)
    ranked["person_id"] = ranked["person_id"].astype(str)
    measured = metrics(ranked, truth, tiers, people)
    from reunite.matching.prepare import prepare

    counts = np.bincount(kinds_module.case_kinds(prepare(cases, candidates).cases),
                         minlength=len(kinds_module.CASE_KINDS))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "data": directory.name, "train_seed": args.train_seed, "scheme": args.scheme,
        "recall@10": measured["recall@10"],
        "recall@1": measured["recall@1"], "mrr": measured["mrr"], "auc_case": measured.get("auc_case_probability"),
        "kinds": {k: int(n) for k, n in zip(kinds_module.CASE_KINDS, counts, strict=True) if n},
        "seconds": round(time.perf_counter() - started, 1), "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "tiers": {k: [v["n"], round(v["recall@10"], 4)] for k, v in measured["tiers"].items()},
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    room = sub.add_parser("cleanroom", help="the bound on clean-room data (train and score the same data)")
    room.add_argument("--scheme", choices=[*SCHEMES, *ORACLES], default="coarse")
    room.add_argument("--profile", default="real_mix", help="a clean-room profile, or random:SEED")
    room.add_argument("--seed", type=int, default=21)
    room.add_argument("--cases", type=int, default=2000)
    room.add_argument("--candidates", type=int, default=200_000)
    room.add_argument("--train-seed", type=int, default=None,
                      help="learn m from the true pairs of this seed's data instead (same profile and size)")
    room.add_argument("--work", default="/tmp/kinds/data")
    room.add_argument("--out", type=Path, default=None, help="append the JSON line here")
    suite = sub.add_parser("suite", help="benchmarks/suite.py under a scheme (arguments after --)")
    suite.add_argument("--scheme", choices=list(SCHEMES), default="coarse")
    suite.add_argument("rest", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.mode == "suite":
        install_scheme(args.scheme)
        sys.path.insert(0, str(HERE))
        import suite as randomized

        rest = args.rest[1:] if args.rest[:1] == ["--"] else args.rest
        return int(randomized.main(rest))
    row = cleanroom(args)
    line = json.dumps(row, ensure_ascii=False)
    print(line)
    if args.out is not None:
        with args.out.open("a", encoding="utf-8") as out:
            out.write(line + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
