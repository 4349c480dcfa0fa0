"""The rows beside reunite: recordlinkage, Splink (DuckDB) and today's practice, on reunite's features.

Every peer gets the SAME normalized features reunite computes (:func:`export_features`): toneless
given-name pinyin, birth year, sex and today's county / city / province codes, as pandas DataFrames.
The comparison is then of the matching engines, not of parsing.

The "simple" comparison set of the issue is used by every tool here and by the ``reunite-simple`` row:

* blocking: same sex and birth years at most 2 apart;
* given name: pinyin equal / Jaro-Winkler >= 0.92 / >= 0.88 / else (null when either has no name);
* birth year: same / 1 apart / 2 apart;
* region: same county / same city / same province / else (null when either has no region).

The tables are reduced to that set by :func:`simple_tables`: records of unknown sex or birth are
left out (none in the generated data), and a birth date becomes 1 January of its year, so that
reunite's day-based birth window with a 731-day margin blocks exactly "birth years within 2".
recordlinkage's ECM takes binary vectors only, so there the bands are "at least this close" indicators.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from reunite.matching.model import FellegiSunter, default_model
from reunite.matching.spec import BlockingSpec, ComparisonSpec
from reunite.normalize.features import NameTable, RecordTable

__all__ = [
    "SIMPLE_BLOCKING",
    "SIMPLE_SPEC",
    "Stages",
    "TopK",
    "export_features",
    "run_practice",
    "run_recordlinkage",
    "run_splink",
    "simple_model",
    "simple_tables",
]

I64 = npt.NDArray[np.int64]
TopK = tuple[I64, I64, npt.NDArray[np.float64]]  # case row, candidate row, score; sorted, rank order

JW_THRESHOLDS = (0.92, 0.88)
YEAR_WINDOW = 2
PRACTICE_WINDOW = 1
DUCKDB_MEMORY = "8GB"
DUCKDB_SPILL = "30GB"
SPILL_VARIABLE = "REUNITE_BENCH_SPILL"  # where DuckDB spills; the runner removes it after each tool
SIMPLE_SPEC = ComparisonSpec(comparisons=("given_name", "birth", "region"), tf_adjust=False)
SIMPLE_BLOCKING = BlockingSpec(passes=("birth_window",), birth_margin_days=731)


@dataclass
class Stages:
    """Wall time per stage (seconds), in the order the stages first ran."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def time(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - started)

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds


# -- the simple data set ---------------------------------------------------------------------------

def _years(days: npt.NDArray[np.int32]) -> I64:
    """Calendar year of days since 1970-01-01.

    >>> _years(np.array([0, 365, -1], dtype=np.int32)).tolist()
    [1970, 1971, 1969]
    """
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _subset(table: RecordTable, keep: npt.NDArray[np.bool_]) -> RecordTable:
    """The records where ``keep`` holds, names re-linked to the new record indexes."""
    n = len(table)
    if keep.all():
        return table
    new_index = np.cumsum(keep) - 1
    name_rows = keep[table.names.record]
    names = NameTable(**{
        f.name: getattr(table.names, f.name)[name_rows] for f in dataclasses.fields(NameTable)
    })
    names = dataclasses.replace(names, record=new_index[names.record].astype(np.int32))
    changes: dict[str, Any] = {"names": names, "flags": {k: v[keep] for k, v in table.flags.items()}}
    for f in dataclasses.fields(RecordTable):
        value = getattr(table, f.name)
        if isinstance(value, np.ndarray) and value.shape[:1] == (n,):
            changes[f.name] = value[keep]
    return dataclasses.replace(table, **changes)


def simple_tables(cases: RecordTable, candidates: RecordTable) -> tuple[RecordTable, RecordTable]:
    """Both tables reduced to the simple set: known sex and birth, birth day = 1 January of the year.

    A candidate without a birth date but with a valid ID number takes the ID's birth date, as
    reunite's own blocking does.
    """
    out = []
    for table in (cases, candidates):
        lo, known = table.birth_lo, table.birth_known
        if table.side == "candidates":
            use_id = ~known & table.id_valid
            lo = np.where(use_id, table.id_birth, lo).astype(np.int32)
            known = known | use_id
        jan1 = (_years(lo) - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int32)
        jan1 = np.where(known, jan1, 0).astype(np.int32)
        reduced = dataclasses.replace(table, birth_lo=jan1, birth_hi=jan1.copy(), birth_known=known)
        out.append(_subset(reduced, (table.sex > 0) & known))
    return out[0], out[1]


def simple_model() -> FellegiSunter:
    """The shipped model restricted to the simple comparisons (its m; u is refitted on the data)."""
    data = default_model().to_dict()
    data["spec"] = SIMPLE_SPEC.to_dict()
    data.pop("frequencies", None)
    scale = data["params"].pop("scale", {})  # the scales of the comparisons it keeps
    data["params"]["scale"] = {name: value for name, value in scale.items() if name in SIMPLE_SPEC.comparisons}
    return FellegiSunter.from_dict(data)


def export_features(table: RecordTable) -> pd.DataFrame:
    """reunite's normalized features of a (simple) table as the DataFrame the peers read.

    ``given_py`` is the pinyin of the record's first name (the reported name, else the childhood
    name); codes 0 (unknown) become nulls.
    """
    n = len(table)
    names = table.names
    first = np.r_[True, names.record[1:] != names.record[:-1]] if len(names) else np.zeros(0, bool)
    given = np.full(n, None, dtype=object)
    pinyin = np.asarray(names.given_pinyin, dtype=object)[first]
    pinyin[pinyin == ""] = None
    given[names.record[first]] = pinyin

    def code(values: npt.NDArray[np.int32]) -> pd.Series:
        return pd.Series(values, dtype="Int64").mask(values <= 0)

    return pd.DataFrame({
        "unique_id": np.arange(n, dtype=np.int64),
        "sex": table.sex.astype(np.int64),
        "birth_year": _years(table.birth_lo),
        "given_py": pd.Series(given, dtype=object),
        "county": code(table.region_county),
        "city": code(table.region_city),
        "province": code(table.region_province),
    })


def _top_k(case: I64, cand: I64, score: npt.NDArray[np.float64], k: int) -> TopK:
    """Best ``k`` per case by score (ties: lower candidate row first), in rank order."""
    order = np.lexsort((cand, -score, case))
    case, cand, score = case[order], cand[order], score[order]
    first = np.r_[True, case[1:] != case[:-1]] if case.size else np.zeros(0, dtype=bool)
    starts = np.flatnonzero(first)
    position = np.arange(case.size) - np.repeat(starts, np.diff(np.r_[starts, case.size]))
    keep = position < k
    return case[keep], cand[keep], score[keep]


# -- today's practice ------------------------------------------------------------------------------

def run_practice(
    cases: pd.DataFrame, candidates: pd.DataFrame, k: int, seed: int, stages: Stages
) -> tuple[TopK, int]:
    """Same sex, born within 1 year, visited in random order: a seeded random ``k`` of that window.

    Returns the top-k and the size of the windows (the pairs "compared").

    >>> people = pd.DataFrame({"sex": [1, 1, 2], "birth_year": [1990, 1992, 1990]})
    >>> (case, cand, _), pairs = run_practice(people.iloc[:1], people, 10, 0, Stages())
    >>> cand.tolist(), pairs
    ([0], 1)
    """
    rng = np.random.default_rng(seed)
    cases_out, cands_out, pairs = [], [], 0
    with stages.time("block"):
        order = np.lexsort((candidates["birth_year"].to_numpy(), candidates["sex"].to_numpy()))
        key = candidates["sex"].to_numpy()[order] * 10_000 + candidates["birth_year"].to_numpy()[order]
        case_key = cases["sex"].to_numpy() * 10_000 + cases["birth_year"].to_numpy()
        start = np.searchsorted(key, case_key - PRACTICE_WINDOW, side="left")
        end = np.searchsorted(key, case_key + PRACTICE_WINDOW, side="right")
    with stages.time("rank"):
        for row, (lo, hi) in enumerate(zip(start.tolist(), end.tolist(), strict=True)):
            size = hi - lo
            pairs += size
            if size:
                picked = lo + rng.choice(size, size=min(k, size), replace=False)
                cases_out.append(np.full(picked.size, row, dtype=np.int64))
                cands_out.append(order[picked].astype(np.int64))
    case = np.concatenate(cases_out) if cases_out else np.zeros(0, dtype=np.int64)
    cand = np.concatenate(cands_out) if cands_out else np.zeros(0, dtype=np.int64)
    # rank order is the draw order: score falls with rank
    rank = np.arange(case.size) - np.searchsorted(case, case, side="left")
    return (case, cand, -rank.astype(np.float64)), pairs


# -- recordlinkage ---------------------------------------------------------------------------------

def run_recordlinkage(
    cases: pd.DataFrame, candidates: pd.DataFrame, k: int, seed: int, stages: Stages
) -> tuple[TopK, int]:
    """recordlinkage: block on sex and birth year (one block per year offset), Compare, ECM, rank."""
    import recordlinkage as rl  # type: ignore[import-untyped]

    del seed  # ECM is deterministic
    with stages.time("block"):
        left = cases.copy()
        indexer = rl.Index()
        for offset in range(-YEAR_WINDOW, YEAR_WINDOW + 1):
            column = f"birth_year_{offset + YEAR_WINDOW}"
            left[column] = left["birth_year"] + offset
            indexer.block(left_on=["sex", column], right_on=["sex", "birth_year"])
        pairs = indexer.index(left, candidates)
    with stages.time("compare"):
        compare = rl.Compare(n_jobs=1)
        compare.string("given_py", "given_py", method="jarowinkler", missing_value=0.0, label="jw")
        compare.exact("given_py", "given_py", label="given_eq")
        compare.exact("birth_year", "birth_year", label="year_eq")
        compare.numeric("birth_year", "birth_year", method="step", offset=1, label="year_1")
        for column in ("county", "city", "province"):
            compare.exact(column, column, label=column)
        features = compare.compute(pairs, left, candidates)
        # ECM wants binary vectors: the Jaro-Winkler bands become "at least this similar" indicators
        similarity = features.pop("jw").to_numpy(np.float64)
        for threshold in JW_THRESHOLDS:
            features[f"jw_{threshold}"] = (similarity >= threshold).astype(np.int8)
        levels = features.astype(np.int8)
        del features, similarity
    with stages.time("score"):
        classifier = rl.ECMClassifier(init="jaro", binarize=None)
        classifier.fit(levels)
        probability = classifier.prob(levels).to_numpy(np.float64)
    with stages.time("rank"):
        case = levels.index.get_level_values(0).to_numpy(np.int64)
        cand = levels.index.get_level_values(1).to_numpy(np.int64)
        top = _top_k(case, cand, probability, k)
    return top, len(pairs)


# -- Splink ----------------------------------------------------------------------------------------

def _splink_settings() -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator
    from splink.blocking_rule_library import CustomRule

    return SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("given_py", list(JW_THRESHOLDS)),
            cl.CustomComparison(
                [cll.NullLevel("birth_year"), cll.ExactMatchLevel("birth_year"),
                 cll.AbsoluteDifferenceLevel("birth_year", 1), cll.ElseLevel()],
                output_column_name="birth_year",
            ),
            cl.CustomComparison(
                [cll.NullLevel("province"), cll.ExactMatchLevel("county"), cll.ExactMatchLevel("city"),
                 cll.ExactMatchLevel("province"), cll.ElseLevel()],
                output_column_name="region",
            ),
        ],
        blocking_rules_to_generate_predictions=[
            CustomRule(f"l.sex = r.sex and abs(l.birth_year - r.birth_year) <= {YEAR_WINDOW}")
        ],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def run_splink(
    cases: pd.DataFrame, candidates: pd.DataFrame, k: int, seed: int, stages: Stages
) -> tuple[TopK, int]:
    """Splink with DuckDB: u by random sampling, m by EM (two sessions), predict, top-k in SQL."""
    from splink import DuckDBAPI, Linker, block_on

    with stages.time("load"):
        db = DuckDBAPI()
        # the machine is shared: cap DuckDB's memory and let it spill to a bounded temp directory
        spill = os.environ.get(SPILL_VARIABLE) or str(Path(tempfile.gettempdir()) / "reunite-bench-duckdb")
        db.duckdb_con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
        db.duckdb_con.execute(f"SET temp_directory = '{spill}'")
        db.duckdb_con.execute(f"SET max_temp_directory_size = '{DUCKDB_SPILL}'")
        left = db.register(cases, dataset_display_name="cases")
        right = db.register(candidates, dataset_display_name="candidates")
        linker = Linker([left, right], _splink_settings(), log_level=logging.ERROR)
    with stages.time("train"):
        linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=seed)
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("given_py"))
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("county", "birth_year"))
    with stages.time("block"):
        linker.inference.compute_blocked_pairs_for_predict()
    with stages.time("compare+score"):
        predictions = linker.inference.predict()
    with stages.time("rank"):
        con = db.duckdb_con
        table = predictions.physical_name
        pairs = int(con.sql(f"select count(*) from {table}").fetchall()[0][0])
        # link_only: which side is left depends on the dataset names; put the case first
        ranked = con.sql(f"""
            with oriented as (
                select case when source_dataset_l = 'cases' then unique_id_l else unique_id_r end as case_row,
                       case when source_dataset_l = 'cases' then unique_id_r else unique_id_l end as cand_row,
                       match_weight
                from {table}
            )
            select case_row, cand_row, match_weight from (
                select *, row_number() over (partition by case_row order by match_weight desc, cand_row)
                       as position
                from oriented
            ) where position <= {int(k)}
            order by case_row, position
        """).fetchnumpy()
    top = (np.asarray(ranked["case_row"], dtype=np.int64), np.asarray(ranked["cand_row"], dtype=np.int64),
           np.asarray(ranked["match_weight"], dtype=np.float64))
    return top, pairs


PEERS: dict[str, Callable[[pd.DataFrame, pd.DataFrame, int, int, Stages], tuple[TopK, int]]] = {
    "practice": run_practice,
    "recordlinkage": run_recordlinkage,
    "splink": run_splink,
}
