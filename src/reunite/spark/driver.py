"""The driver side of reunite on Spark: prepare the candidates, fit, score every partition, merge.

Only the cases (small), the fitted model, a seeded sample of candidates for u, the name counts, the
candidates counted by sex and birth interval, the pattern counts of the fit of m and the merged top-k
travel to or from the driver; the candidates stay on the cluster.
"""

from __future__ import annotations

import datetime
import math
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from reunite._typing import check_flags
from reunite.errors import ConfigError, InputError, listed
from reunite.ingest import RawTable, read_table
from reunite.ingest.table import CANDIDATE_COLUMNS
from reunite.matching.blocking import BlockingPreview
from reunite.matching.compare import compare
from reunite.matching.engine import DEFAULT_LIMITS, EngineLimits
from reunite.matching.kinds import case_kinds
from reunite.matching.learn import (
    MAX_FIT_CASES,
    MAX_FIT_PAIRS,
    BirthCounts,
    FitReport,
    fit_m,
    patterns_from_counts,
    population_of,
    sample_cases,
    window_pairs,
)
from reunite.matching.model import FellegiSunter, default_model
from reunite.matching.prepare import precision_shares, rounded_share, shares
from reunite.matching.prepare import prepare as prepare_tables
from reunite.matching.shards import check_passes, take_records
from reunite.matching.spec import BlockingSpec
from reunite.normalize import RecordTable, normalize
from reunite.pipeline import RANKED_COLUMNS, TableLike, load_side, write_ranked_csv
from reunite.run_config import DEFAULT_TOP_K, RunConfig, checked_limits, checked_pairs, resolve_model
from reunite.spark.partitions import (
    DETAIL_SCHEMA,
    KEYED_SCHEMA,
    MERGED_SCHEMA,
    PARTIAL_SCHEMA,
    PATTERN_SCHEMA,
    PREVIEW_SCHEMA,
    RANKED_ORDER,
    Job,
    describe_partition,
    key_rows,
    merge_partials,
    pattern_partition,
    preview_partition,
)
from reunite.spark.partitions import score_partition as _score_partition

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["PreparedCandidates", "SparkScreen", "fit_m_on_cluster", "fit_on_cluster", "prepare", "preview",
           "read_source", "screen"]

WriteMode = Literal["overwrite", "append", "error", "ignore"]
SORT_KEY = ("_sex", "_precision", "_birth_lo", "person_id")  # prepare's blocking order, person_id last
_HASH_RANGE = 1 << 31


def _functions() -> Any:
    try:
        from pyspark.sql import functions
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ImportError("reunite.spark needs pyspark: pip install 'reunite[spark]'") from exc
    return functions


def _is_path(text: str) -> bool:
    return "/" in text or os.sep in text or "://" in text or text.endswith(".parquet") or Path(text).exists()


def read_source(spark: SparkSession, source: str | os.PathLike[str] | DataFrame) -> DataFrame:
    """A Spark DataFrame from a Hive table name, a Parquet folder or file, or a DataFrame; every column
    as text (reunite reads cells as text, as from a CSV)."""
    functions = _functions()
    if isinstance(source, str | os.PathLike):
        text = os.fspath(source)
        frame = spark.read.parquet(text) if _is_path(text) else spark.table(text)
    else:
        frame = source
    return frame.select([functions.col(f"`{c}`").cast("string").alias(c) for c in frame.columns])


@dataclass(frozen=True)
class PreparedCandidates:
    """Candidates range-partitioned by (sex, birth precision, birth day) and sorted so within each
    partition, with their name counts: what :func:`screen` scores, partition by partition."""

    frame: DataFrame
    counts: dict[str, dict[str, int]]
    n_candidates: int
    partitions: int
    today: datetime.date

    def __repr__(self) -> str:
        return f"PreparedCandidates(candidates={self.n_candidates}, partitions={self.partitions})"


def prepare(
    spark: SparkSession, table: str | os.PathLike[str] | DataFrame, *, partitions: int | None = None,
    mapping: Mapping[str, str] | None = None, today: datetime.date | None = None,
    rows_per_partition: int = 250_000,
) -> PreparedCandidates:
    """Read a Hive table or Parquet folder of candidates (the CSV contract's columns, or others through
    ``mapping``), normalize it on the executors and range-partition it into sorted shards.

    Rows that cannot be used are dropped as ``reunite screen`` quarantines them; a person_id repeated
    across the table is refused (one machine quarantines the repeats; a cluster cannot tell which came
    first). ``partitions`` defaults to one per ``rows_per_partition`` candidates, at least the
    cluster's default parallelism.
    """
    functions = _functions()
    from pyspark import StorageLevel

    day = today or datetime.date.today()
    source = read_source(spark, table)

    def keyed_rows(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        return key_rows(batches, mapping, day)

    keyed = source.mapInPandas(keyed_rows, KEYED_SCHEMA).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        counts: dict[str, dict[str, int]] = {}
        for row in keyed.where("_kind = 1").groupBy("_key").agg(functions.sum("_count").alias("n")).collect():
            key, value = str(row["_key"]).split("\t", 1)
            counts.setdefault(key, {})[value] = int(row["n"])
        people = keyed.where("_kind = 0").drop("_kind", "_key", "_count")
        n_candidates = people.count()
        repeated = [r["person_id"] for r in
                    people.groupBy("person_id").count().where("count > 1").limit(5).collect()]
        if repeated:
            raise InputError(f"candidates: person_id repeated across the table, e.g. {listed(sorted(repeated))}; "
                             "each person must appear once")
        n = partitions or max(spark.sparkContext.defaultParallelism, math.ceil(n_candidates / rows_per_partition))
        if n < 1:
            raise ConfigError(f"partitions: expected at least 1; got {n}")
        shards = (people.repartitionByRange(n, *SORT_KEY).sortWithinPartitions(*SORT_KEY)
                  .persist(StorageLevel.MEMORY_AND_DISK))
        shards.count()
    finally:
        keyed.unpersist()
    return PreparedCandidates(shards, counts, int(n_candidates), int(n), day)


_FILE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")


def _case_table(spark: SparkSession, cases: TableLike | DataFrame, mapping: Mapping[str, str] | None,
                strict: bool, today: datetime.date) -> RecordTable:
    """Cases are few: read on the driver from a file, a DataFrame, or a Hive table / Parquet folder,
    relative to ``today``, the day the candidates were prepared on (both sides read on one day)."""
    if isinstance(cases, RecordTable | RawTable | pd.DataFrame):
        return load_side(cases, "cases", mapping=mapping, strict=strict, today=today)
    if isinstance(cases, str | os.PathLike) and Path(cases).suffix.lower() in _FILE_SUFFIXES:
        return load_side(os.fspath(cases), "cases", mapping=mapping, strict=strict, today=today)
    frame = pd.DataFrame(read_source(spark, cases).toPandas())
    return load_side(frame.astype(object).where(frame.notna(), ""), "cases", mapping=mapping, strict=strict,
                     today=today)


def fit_on_cluster(
    spark: SparkSession, model: FellegiSunter, cases: RecordTable, prepared: PreparedCandidates, *,
    seed: int = 0, sample_size: int = 20_000, pairs: int = 200_000, limits: EngineLimits = DEFAULT_LIMITS,
) -> FellegiSunter:
    """A copy of ``model`` with term frequencies counted over every prepared candidate and u from
    ``pairs`` random (case, candidate) pairs of a seeded sample of candidates.

    The sample keeps each person whose ``xxhash64(seed, person_id)`` falls in the first
    ``sample_size / n`` of the hash range: the same people whatever the partitioning, run or cluster.
    Pairs are then drawn on the driver with ``seed`` from the sample sorted by person_id. m is kept,
    but for the birth level that follows the sample's share of births written as the 1st of the month
    and the birth levels that follow the cases' share of births known only to the month or year
    (:func:`fit_m_on_cluster` learns m). ``limits``: how the pairs are compared (the fit does not
    depend on them).
    """
    functions = _functions()
    fitted = FellegiSunter.from_dict(model.to_dict())
    fitted.fit_frequencies(shares(prepared.counts, prepared.n_candidates), max(prepared.n_candidates, 1))
    if not len(cases) or not prepared.n_candidates:
        return fitted
    threshold = math.ceil(min(1.0, sample_size / prepared.n_candidates) * _HASH_RANGE)
    bucket = functions.pmod(functions.xxhash64(functions.lit(seed), functions.col("person_id")),
                            functions.lit(_HASH_RANGE))
    sample = pd.DataFrame(prepared.frame.where(bucket < threshold).select(*CANDIDATE_COLUMNS).toPandas())
    sample = sample.sort_values("person_id", kind="stable").reset_index(drop=True)
    if sample.empty:
        return fitted
    table = normalize(read_table(sample.astype(object).where(sample.notna(), ""), "candidates"),
                      today=prepared.today)
    prep = prepare_tables(cases, table, fitted.frequencies_, fitted.frequency_candidates_)
    share = rounded_share(prep.candidates.birth_lo, prep.candidates.birth_hi, prep.candidates.birth_known)
    if share is not None:  # as fit_population does, on the sample
        fitted.fit_rounded_share(share)
    rng = np.random.default_rng(seed)
    case = rng.integers(0, len(prep.cases), size=pairs, dtype=np.int64)
    cand = rng.integers(0, len(prep.candidates), size=pairs, dtype=np.int64)
    # as fit_population weighs it
    fitted.fit_u(compare(prep, model.spec, case, cand, limits=limits), prior_pairs=20_000)
    c = prep.cases
    precision = precision_shares(c.birth_lo, c.birth_hi, c.birth_known, model.spec.birth_month_days)
    if precision is not None:  # as fit_population does
        fitted.fit_precision_shares(precision, pairs=case.size, prior_pairs=20_000)
    return fitted


def _birth_counts(prepared: PreparedCandidates, spec: BlockingSpec) -> tuple[BirthCounts, npt.NDArray[np.float64]]:
    """The prepared candidates counted by (sex, birth interval, registered late) with one small group-by
    (a row per distinct value: a day of birth for most, so at most a few hundred thousand rows,
    whatever the population), and by sex."""
    functions = _functions()
    late = functions.coalesce(functions.col("_registration_delay") >= functions.lit(spec.late_days),
                              functions.lit(False)).alias("_late")
    rows = pd.DataFrame(prepared.frame.groupBy("_sex", "_precision", "_birth_lo", "_birth_hi", late)
                        .agg(functions.count(functions.lit(1)).alias("n")).toPandas())
    sex = rows["_sex"].to_numpy(np.int64)
    count = rows["n"].to_numpy(np.int64)
    sex_counts = np.array([count[sex == code].sum() for code in range(3)], dtype=np.float64)
    known = rows["_precision"].to_numpy(np.int64) < 2  # 2: birth unknown, in no birth window
    births = BirthCounts.of(sex[known], rows["_birth_lo"].to_numpy(np.int64)[known],
                            rows["_birth_hi"].to_numpy(np.int64)[known], rows["_late"].to_numpy(bool)[known],
                            count[known])
    return births, sex_counts


def fit_m_on_cluster(
    spark: SparkSession, model: FellegiSunter, cases: RecordTable, prepared: PreparedCandidates, *,
    blocking: BlockingSpec | None = None, seed: int = 0, max_cases: int = MAX_FIT_CASES,
    max_pairs: int = MAX_FIT_PAIRS, exclude: Iterable[tuple[str, str]] = (), limits: EngineLimits = DEFAULT_LIMITS,
) -> tuple[FellegiSunter, FitReport]:
    """``model`` (fitted u and term frequencies, :func:`fit_on_cluster`) with m learned without labels,
    as every one-machine screen learns it (:func:`reunite.matching.learn.fit_m`: one child per case,
    a Dirichlet prior around the model's m, a degenerate fit refused), from the blocked pairs of a
    seeded sample of cases against every prepared candidate.

    The sample is the one machine's (:func:`reunite.matching.learn.sample_cases`, with ``seed``,
    ``max_cases`` and ``max_pairs``): each case's birth-window pairs are counted from the candidates
    tallied by sex, birth interval and late registration, collected with one small group-by, before any
    pair is compared. Each partition then counts its pairs' comparison patterns per sampled case; only
    the counts (at most a few hundred patterns per case) leave the executors. The fit equals
    ``fit_m(model, case_patterns(...))`` on one machine with the same seed and limits, bit for bit, at
    any size. DNA-excluded pairs (``exclude``) are left out, as the scorer leaves them out. ``limits``:
    how the executors compare the pairs (the fit does not depend on them).
    """
    functions = _functions()
    spec = blocking or BlockingSpec()
    births, sex_counts = _birth_counts(prepared, spec)
    empty = load_side(pd.DataFrame({c: pd.Series([], dtype=str) for c in ("person_id", "sex", "birth_date")}),
                      "candidates")
    every = prepare_tables(cases, empty)  # the cases' sex, birth interval and kind
    rows = sample_cases(window_pairs(every, spec, births), seed=seed, max_cases=max_cases, max_pairs=max_pairs)
    sample = take_records(cases, rows)
    job = Job(sample, model, 1, spec, tuple((str(c), str(p)) for c, p in exclude), prepared.today, limits=limits)
    shared = spark.sparkContext.broadcast(job)

    def patterns(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        return pattern_partition(batches, shared.value)

    counted = (prepared.frame.mapInPandas(patterns, PATTERN_SCHEMA).groupBy("key")
               .agg(functions.sum("count").alias("count")).toPandas())
    data = patterns_from_counts(counted["key"].to_numpy(np.int64), counted["count"].to_numpy(np.int64), model,
                                population_of(every.cases.sex.take(rows), sex_counts), case_kinds(every.cases, rows))
    return fit_m(model, data)


def preview(
    spark: SparkSession, cases: TableLike | DataFrame, prepared: PreparedCandidates, *, blocking: Any = None,
    mapping: Mapping[str, str] | None = None, strict: bool = False,
) -> BlockingPreview:
    """The pairs each blocking pass would compare, counted on the executors without scoring them:
    what ``reunite screen --preview`` prints for the same cases and candidates."""
    spec = RunConfig(blocking=blocking).blocking_spec
    check_passes(spec)
    case_table = _case_table(spark, cases, mapping, strict, prepared.today)
    model = FellegiSunter.from_dict(default_model().to_dict())  # only its name frequencies are read
    model.fit_frequencies(shares(prepared.counts, prepared.n_candidates), max(prepared.n_candidates, 1))
    shared = spark.sparkContext.broadcast(Job(case_table, model, 1, spec, (), prepared.today))

    def counted(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        return preview_partition(batches, shared.value)

    functions = _functions()
    rows = (prepared.frame.mapInPandas(counted, PREVIEW_SCHEMA).groupBy("pass")
            .agg(functions.sum("pairs").alias("pairs")).collect())
    by_pass = {str(r["pass"]): int(r["pairs"]) for r in rows}
    return BlockingPreview({name: by_pass.get(name, 0) for name in spec.passes}, len(case_table),
                           prepared.n_candidates)


@dataclass(frozen=True)
class SparkScreen:
    """The merged ranking as a Spark DataFrame (columns :data:`reunite.spark.partitions.RANKED_ORDER`),
    the fitted model it was scored with, and the cases."""

    frame: DataFrame
    model: FellegiSunter
    cases: RecordTable
    fit_report: FitReport | None = None  # the unsupervised fit of m, when one ran

    def __repr__(self) -> str:
        return f"SparkScreen(cases={len(self.cases)}, model={self.model.version!r})"

    def to_pandas(self) -> pd.DataFrame:
        """The ranked rows on the driver (only the top-k), by case_id and rank."""
        frame = pd.DataFrame(self.frame.toPandas())  # typed alike with or without pyspark's stubs
        frame["score"] = frame["score"].astype(np.float32)
        return frame.sort_values(["case_id", "rank"], kind="stable").reset_index(drop=True)

    def to_csv(self, path: str | Path, *, reveal_ids: bool = False) -> Path:
        """RANKED.csv as ``reunite screen`` writes it (ID numbers as masked in the shards)."""
        frame = self.to_pandas()
        return write_ranked_csv(path, {c: frame[c].to_numpy() for c in RANKED_COLUMNS}, reveal_ids=reveal_ids)

    def write(self, target: str, *, mode: WriteMode = "overwrite") -> str:
        """Write the ranked rows as a Parquet folder (a path) or a Hive table (a name); a ``.csv``
        path is written on the driver as RANKED.csv."""
        if target.lower().endswith(".csv"):
            return str(self.to_csv(target))
        frame = self.frame.drop("_case_rest")
        if _is_path(target):
            frame.write.mode(mode).parquet(target)
        else:
            frame.write.mode(mode).saveAsTable(target)
        return target


def screen(
    spark: SparkSession,
    cases: TableLike | DataFrame,
    prepared: PreparedCandidates,
    *,
    top_k: int = DEFAULT_TOP_K,
    model: FellegiSunter | str | os.PathLike[str] | None = None,
    fit_to_data: bool = True,
    em: bool = True,
    seed: int = 0,
    blocking: Any = None,
    exclude: Iterable[tuple[str, str]] = (),
    mapping: Mapping[str, str] | None = None,
    strict: bool = False,
    sample_size: int = 20_000,
    merge_partitions: int | None = None,
    fit_max_pairs: int = MAX_FIT_PAIRS,
    limits: EngineLimits | None = None,
    _crash_once: str | None = None,
) -> SparkScreen:
    """Rank, for every case, the prepared candidates most likely to be the missing child, on Spark.

    The cases and the fitted model are broadcast; each partition of ``prepared`` is scored as one
    shard (:func:`reunite.matching.shards.score_shard`: the routed cases, the same kernels as one
    machine); the partial top-k (case, person, score) and exact posterior sums are merged after one
    shuffle on case_id; the final rows' reasons and display fields are then made from their own
    candidates, found by a broadcast join (:func:`reunite.matching.shards.describe_pairs`).
    The result equals ``reunite.screen(cases, candidates, model=result.model, fit_to_data=False)``
    bit for bit. With ``fit_to_data`` the model's u and term frequencies are fitted on the cluster
    (:func:`fit_on_cluster`), and with ``em`` too m, without labels, from the seeded sample of cases
    one machine's screen reads (:func:`fit_m_on_cluster`; its report is ``result.fit_report``).
    ``limits``: how the engine computes, as :func:`reunite.pipeline.screen` takes them (the same bits).
    ``_crash_once``: a marker file path that makes the first scoring task fail once (to test retries).
    """
    check_flags(fit_to_data=fit_to_data, em=em, strict=strict)
    limits = checked_limits(limits)
    config = RunConfig(top_k=top_k, seed=seed, blocking=blocking, fit_max_pairs=fit_max_pairs)
    spec = config.blocking_spec
    exclude = tuple(checked_pairs("exclude", exclude))  # read twice: by the fit of m and by the scorer
    check_passes(spec)
    case_table = _case_table(spark, cases, mapping, strict, prepared.today)
    if len(case_table) == 0:
        raise InputError(f"{case_table.report.source}: no cases to screen")
    base = resolve_model(model) or default_model()
    report: FitReport | None = None
    if fit_to_data:
        fitted = fit_on_cluster(spark, base, case_table, prepared, seed=config.seed, sample_size=sample_size,
                                limits=limits)
        if em:
            fitted, report = fit_m_on_cluster(spark, fitted, case_table, prepared, blocking=spec, seed=config.seed,
                                              max_pairs=config.fit_max_pairs, exclude=exclude, limits=limits)
    elif hasattr(base, "frequencies_"):
        fitted = base
    else:  # a model without term frequencies takes the population's, as one machine's screen does
        fitted = FellegiSunter.from_dict(base.to_dict())
        fitted.fit_frequencies(shares(prepared.counts, prepared.n_candidates), max(prepared.n_candidates, 1))
    job = Job(case_table, fitted, config.top_k, spec, tuple((str(c), str(p)) for c, p in exclude),
              prepared.today, _crash_once, limits=limits)
    shared = spark.sparkContext.broadcast(job)
    prior, k = fitted.prior, config.top_k

    def score(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        return _score_partition(batches, shared.value)

    def merged(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        return merge_partials(batches, k, prior)

    def described(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        return describe_partition(batches, shared.value)

    from pyspark import StorageLevel

    functions = _functions()
    n_merge = merge_partitions or int(spark.conf.get("spark.sql.shuffle.partitions") or 200)
    partials = prepared.frame.mapInPandas(score, PARTIAL_SCHEMA)
    # scored and merged once, here: the final rows are used twice below
    final = (partials.repartition(n_merge, "case_id").mapInPandas(merged, MERGED_SCHEMA)
             .persist(StorageLevel.MEMORY_AND_DISK))
    final.count()
    # reasons and display fields for the final rows only: their candidates, found by a broadcast join
    pairs = functions.broadcast(final.select(functions.col("case_id").alias("_case_id"), "person_id"))
    details = prepared.frame.join(pairs, "person_id").mapInPandas(described, DETAIL_SCHEMA)
    ranked = final.join(details, ["case_id", "person_id"], "left").select(*RANKED_ORDER)
    return SparkScreen(ranked, fitted, case_table, report)
