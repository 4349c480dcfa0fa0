"""What runs on the executors: pandas in, pandas out, no Spark here (so it is tested without a JVM).

Each function takes one partition's rows (an iterator of pandas batches, as ``mapInPandas`` gives
them) and yields rows of a fixed schema. The scoring itself is the shard core,
:mod:`reunite.matching.shards`: a partition is one shard.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from reunite.ingest import RawTable, read_table
from reunite.ingest.table import CANDIDATE_COLUMNS
from reunite.matching.blocking import preview
from reunite.matching.cells import cell_index
from reunite.matching.engine import DEFAULT_LIMITS, EngineLimits
from reunite.matching.learn import PATTERN_BASE, all_case_patterns
from reunite.matching.model import FellegiSunter
from reunite.matching.prepare import name_counts, prepare, sex_and_birth
from reunite.matching.prune import prunable
from reunite.matching.shards import (
    ShardPartial,
    describe_pairs,
    excluded_keys,
    finish,
    merge,
    route_cases,
    score_shard,
    take_records,
)
from reunite.matching.spec import BlockingSpec
from reunite.normalize import RecordTable, normalize

__all__ = [
    "DETAIL_SCHEMA",
    "KEYED_SCHEMA",
    "MERGED_SCHEMA",
    "PARTIAL_SCHEMA",
    "PATTERN_SCHEMA",
    "PREVIEW_SCHEMA",
    "RANKED_ORDER",
    "Job",
    "describe_partition",
    "exact_text",
    "exact_value",
    "key_rows",
    "merge_partials",
    "pattern_partition",
    "preview_partition",
    "score_partition",
]

_NO_SECOND_PROCESS = 1 << 62  # an executor's Python worker does not fork a helper of its own
KEY_CHUNK_ROWS = 250_000  # raw candidates read and normalized at a time by key_rows
_PAYLOAD = ("reasons", "name", "sex", "birth_date", "region", "id_number")

# kind 0: a candidate (canonical columns and its blocking keys); kind 1: a name count (key, value, count).
# _registration_delay: days from the birth (its last possible day) to the registration, null when either is
# unknown; the late_window pass's candidates are those with at least BlockingSpec.late_days.
KEYED_SCHEMA = ", ".join([f"`{c}` string" for c in CANDIDATE_COLUMNS] + [
    "_kind int", "_sex int", "_precision int", "_birth_lo int", "_birth_hi int", "_registration_delay int",
    "_key string", "_count long",
])
# kind 0: a kept row of a shard; kind 1: a case's totals in a shard (pairs, exact Bayes-factor sum).
# Only (case, person, score) travel through the merge shuffle: reasons and display fields are made
# afterwards for the final rows alone (describe_partition).
PARTIAL_SCHEMA = ("_kind int, case_id string, person_id string, score float, pairs long, factor_sum string")
# a sampled case's blocked pairs in a shard: (case position in the sample, pattern) keys and their counts
PATTERN_SCHEMA = "key long, count long"
# the pairs each blocking pass adds in a shard (before a run)
PREVIEW_SCHEMA = "pass string, pairs long"
MERGED_SCHEMA = ("case_id string, rank long, person_id string, score float, probability double, "
                 "case_probability double, pairs_compared long, _case_rest double")
DETAIL_SCHEMA = ", ".join(["case_id string", "person_id string"] + [f"{c} string" for c in _PAYLOAD])
RANKED_ORDER = ("case_id", "rank", "person_id", "score", "probability", "case_probability", *_PAYLOAD,
                "pairs_compared", "_case_rest")


def exact_text(value: int) -> str:
    """An exact sum as short text: hex digits of its odd part, ``p`` and the power of two (the sums
    are scaled by 2**1100, so their low bits are mostly zeros).

    >>> exact_text(0b1011 << 40), exact_value(exact_text(0b1011 << 40)) == 0b1011 << 40, exact_text(0)
    ('bp40', True, '0p0')
    """
    shift = (value & -value).bit_length() - 1 if value else 0
    return f"{value >> shift:x}p{shift}"


def exact_value(text: str) -> int:
    """The integer of :func:`exact_text`."""
    digits, _, shift = text.partition("p")
    return int(digits, 16) << int(shift or 0)


def _whole(batches: Iterable[pd.DataFrame]) -> pd.DataFrame:
    frames = [b for b in batches if len(b)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _raw(frame: pd.DataFrame, mapping: Mapping[str, str] | None) -> RawTable:
    return read_table(frame.astype(object).where(frame.notna(), ""), "candidates", mapping=mapping,
                      label="candidates")


def _normalize(raw: RawTable, today: datetime.date) -> RecordTable:
    return normalize(raw, today=today, second_process_from=_NO_SECOND_PROCESS)


def _chunks(batches: Iterable[pd.DataFrame], rows: int) -> Iterator[pd.DataFrame]:
    """The rows of ``batches`` in order, as frames of ``rows`` rows (the last may be shorter)."""
    if rows < 1:
        raise ValueError(f"rows: expected at least 1; got {rows}")
    held: list[pd.DataFrame] = []
    count = 0
    for batch in batches:
        start = 0
        while start < len(batch):
            take = min(rows - count, len(batch) - start)
            held.append(batch.iloc[start:start + take])
            count, start = count + take, start + take
            if count == rows:
                yield pd.concat(held, ignore_index=True)
                held, count = [], 0
    if held:
        yield pd.concat(held, ignore_index=True)


def key_rows(
    batches: Iterable[pd.DataFrame], mapping: Mapping[str, str] | None, today: datetime.date, *,
    chunk_rows: int = KEY_CHUNK_ROWS,
) -> Iterator[pd.DataFrame]:
    """Read and normalize a partition of raw candidate rows: its accepted rows in canonical columns
    with their blocking keys (sex, birth precision, birth interval, registration delay), and its name
    counts (which the driver sums by key).

    The partition is read ``chunk_rows`` rows at a time, so a worker holds one chunk however large the
    input split is (a 128 MB Parquet split is millions of candidates). A person_id repeated within a
    chunk is quarantined as one machine quarantines it; repeated across chunks it reaches
    :func:`reunite.spark.prepare`, which refuses the table, as it refuses a repeat across partitions.
    """
    for frame in _chunks(batches, chunk_rows):
        yield from _key_chunk(frame, mapping, today)


def _key_chunk(frame: pd.DataFrame, mapping: Mapping[str, str] | None, today: datetime.date) -> Iterator[pd.DataFrame]:
    """:func:`key_rows` of one chunk: its keyed rows, then its name counts."""
    raw = _raw(frame, mapping)
    table = _normalize(raw, today)
    sex, birth_lo, birth_hi, known = sex_and_birth(table)
    rows = pd.DataFrame({c: raw.columns[c] for c in CANDIDATE_COLUMNS})
    rows["_kind"] = 0
    rows["_sex"] = sex.astype(np.int32)
    rows["_precision"] = np.where(known, (birth_hi > birth_lo).astype(np.int32), 2).astype(np.int32)
    rows["_birth_lo"] = np.where(known, birth_lo, 0).astype(np.int32)
    rows["_birth_hi"] = np.where(known, birth_hi, 0).astype(np.int32)
    delay = table.event_lo.astype(np.int64) - birth_hi.astype(np.int64)  # as blocking.late_registered reads it
    registered = known & table.event_known
    rows["_registration_delay"] = pd.arrays.IntegerArray(np.where(registered, delay, 0).astype(np.int32),
                                                         ~registered)
    rows["_key"] = None
    rows["_count"] = 0
    yield rows
    counts = [(f"{key}\t{value}", count) for key, by_value in name_counts(table).items()
              for value, count in by_value.items()]
    if counts:
        out = pd.DataFrame({c: [None] * len(counts) for c in CANDIDATE_COLUMNS})
        out["_kind"] = 1
        for c in ("_sex", "_precision", "_birth_lo", "_birth_hi"):
            out[c] = 0
        out["_registration_delay"] = pd.array([None] * len(counts), dtype="Int32")
        out["_key"] = [k for k, _ in counts]
        out["_count"] = np.array([c for _, c in counts], dtype=np.int64)
        yield out


@dataclass(frozen=True)
class Job:
    """What every scoring task needs, broadcast once: the normalized cases and the fitted model."""

    cases: RecordTable
    model: FellegiSunter
    top_k: int
    blocking: BlockingSpec
    exclude: tuple[tuple[str, str], ...]
    today: datetime.date
    crash_once: str | None = None  # a marker file: the first task to find it missing creates it and fails
    prune: bool = True  # count the pairs that cannot reach a case's top k (exact); False scores every pair
    limits: EngineLimits = DEFAULT_LIMITS  # how the executors compute (the same results whatever they are)


def _crash_once(marker: str | None) -> None:
    """Fail this task once (the retry test): the marker file tells the retried task it already failed."""
    if marker is None:
        return
    import os

    try:
        descriptor = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return
    os.close(descriptor)
    raise RuntimeError("reunite.spark: this task fails once on purpose (the retry test)")


def _routed(frame: pd.DataFrame, job: Job) -> tuple[RecordTable, npt.NDArray[np.int64], RecordTable] | None:
    """A partition's candidates normalized, the rows of ``job.cases`` routed to them and those cases
    (None when no case can pair with this shard)."""
    candidates = _normalize(_raw(frame[list(CANDIDATE_COLUMNS)], None), job.today)
    rows = np.asarray(route_cases(job.cases, candidates, job.model, job.blocking), dtype=np.int64)
    if not rows.size:
        return None
    return candidates, rows, take_records(job.cases, rows)


def score_partition(batches: Iterable[pd.DataFrame], job: Job) -> Iterator[pd.DataFrame]:
    """Score one shard (a partition of prepared candidates): its kept rows and per-case totals."""
    frame = _whole(batches)
    if frame.empty:
        return
    _crash_once(job.crash_once)
    shard = _routed(frame, job)
    if shard is None:
        return
    candidates, _, cases = shard
    partial = score_shard(cases, candidates, job.model, top_k=job.top_k, blocking=job.blocking,
                          exclude=job.exclude, payload=False, prune=job.prune, limits=job.limits)
    rows = pd.DataFrame({"_kind": np.zeros(len(partial), dtype=np.int32), "case_id": partial.case_id.astype(object),
                         "person_id": partial.person_id.astype(object), "score": partial.score})
    rows["pairs"] = 0
    rows["factor_sum"] = None
    totals = sorted(partial.totals.items())
    sums = pd.DataFrame({
        "_kind": np.ones(len(totals), dtype=np.int32), "case_id": [c for c, _ in totals], "person_id": None,
        "score": np.zeros(len(totals), dtype=np.float32),
        "pairs": np.array([t[0] for _, t in totals], dtype=np.int64),
        "factor_sum": [exact_text(t[1]) for _, t in totals],
    })
    yield pd.concat([rows, sums], ignore_index=True)


def pattern_partition(batches: Iterable[pd.DataFrame], job: Job) -> Iterator[pd.DataFrame]:
    """The comparison patterns of one shard's blocked pairs with ``job.cases`` (the cases an
    unsupervised fit of m samples): unique (case position, pattern) keys and their counts, which add
    up over shards to the counts of one machine (:func:`reunite.matching.learn.all_case_patterns`)."""
    frame = _whole(batches)
    shard = None if frame.empty else _routed(frame, job)
    if shard is None:
        return
    candidates, rows, cases = shard
    prep = prepare(cases, candidates, job.model.frequencies_, job.model.frequency_candidates_)
    excluded = excluded_keys(prep, cases, candidates, job.exclude)
    # windows counted by cells, as on one machine (the same keys as comparing every pair)
    index = cell_index(prep, job.model.spec, job.blocking, limits=job.limits) if prunable(job.blocking) else None
    keys, counts = all_case_patterns(prep, job.model, job.blocking, excluded=excluded, index=index,
                                     limits=job.limits)
    if not keys.size:
        return
    # positions among the shard's routed cases -> positions among all of job.cases
    n_comp = len(job.model.spec.comparisons)
    base = np.int64(PATTERN_BASE) ** n_comp
    yield pd.DataFrame({"key": rows[keys // base] * base + keys % base, "count": counts})


def preview_partition(batches: Iterable[pd.DataFrame], job: Job) -> Iterator[pd.DataFrame]:
    """The pairs each blocking pass adds between ``job.cases`` and one shard, without scoring them
    (:func:`reunite.matching.blocking.preview`); the shards' counts add up to one machine's."""
    frame = _whole(batches)
    shard = None if frame.empty else _routed(frame, job)
    if shard is None:
        return
    candidates, _, cases = shard
    prep = prepare(cases, candidates, job.model.frequencies_, job.model.frequency_candidates_)
    counted = preview(prep, job.blocking).pairs_per_pass
    yield pd.DataFrame({"pass": list(counted), "pairs": np.array(list(counted.values()), dtype=np.int64)})


def merge_partials(batches: Iterable[pd.DataFrame], top_k: int, prior: float) -> Iterator[pd.DataFrame]:
    """Merge the partials of the cases in this partition (every shard's rows of a case arrive in the
    same partition, after the shuffle on case_id) into ranked rows."""
    frame = _whole(batches)
    if frame.empty:
        return
    kept, sums = frame[frame["_kind"] == 0], frame[frame["_kind"] == 1]
    totals: dict[str, tuple[int, int]] = {}
    for case, pairs, factor_sum in zip(sums["case_id"].tolist(), sums["pairs"].tolist(), sums["factor_sum"].tolist(),
                                       strict=True):
        before = totals.get(case, (0, 0))
        totals[case] = (before[0] + int(pairs), before[1] + exact_value(factor_sum))
    partial = ShardPartial(
        kept["case_id"].to_numpy().astype(str), kept["person_id"].to_numpy().astype(str),
        kept["score"].to_numpy().astype(np.float32), totals, top_k,
    )
    columns = finish(merge([partial]), prior)
    yield pd.DataFrame({name: columns[name] for name in (
        "case_id", "rank", "person_id", "score", "probability", "case_probability", "pairs_compared", "_case_rest")})


def describe_partition(batches: Iterable[pd.DataFrame], job: Job) -> Iterator[pd.DataFrame]:
    """Reasons and display fields of the final rows whose candidates are in this partition (rows of
    prepared candidates joined with the final (``_case_id``, person_id) pairs)."""
    frame = _whole(batches)
    if frame.empty:
        return
    people = frame.drop_duplicates("person_id")[list(CANDIDATE_COLUMNS)]
    candidates = _normalize(_raw(people, None), job.today)
    wanted = set(frame["_case_id"].tolist())
    cases = take_records(job.cases, [i for i, c in enumerate(job.cases.ids.tolist()) if c in wanted])
    case_id, person_id = frame["_case_id"].astype(str).tolist(), frame["person_id"].astype(str).tolist()
    described = describe_pairs(cases, candidates, job.model, case_id, person_id)
    yield pd.DataFrame({"case_id": case_id, "person_id": person_id, **described})
