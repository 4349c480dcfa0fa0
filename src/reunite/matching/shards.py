"""The shard core: score candidates shard by shard and merge the partial rankings, engine-free.

A national screen splits the candidates into shards (a Spark partition, a file, a slice of a table):
range-partitioned by (sex, birth day), so a case's birth windows touch few of them. Each shard is
scored with the same fitted model, blocking and kernels as one machine scores the whole, and returns
a :class:`ShardPartial`: per case its best ``top_k`` rows and its two totals -- the pairs compared
and the exact sum of their Bayes factors (:mod:`reunite.matching.exact`). Partials merge
associatively and deterministically (:func:`merge`: rows ordered by score descending, then
person_id; totals added as integers), and :func:`finish` turns the merged partial into ranks and
probabilities. Any split of the candidates, merged in any order, gives the ranking of the whole,
bit for bit, probabilities included.

Why a shard scores a pair as the whole does: the model is fitted before scoring (u, term
frequencies and m are inputs here), its term frequencies are shares counted over the whole
population, and every blocking pass is a predicate on the pair alone (the given-name pass skips
names whose *share* is too common, not their count in the shard). The ``surname_county`` pass
skips keys by their count among the candidates, which a shard cannot know: it is refused here.

**Routing** (:func:`route`): a case is sent to a shard only when one of its passes can pair it
with one of the shard's candidates. The birth windows (``birth_window``, ``late_window``) need a
candidate of a compatible sex born within the window's margin of the case's birth interval: a shard
summarised by the range of its birth intervals per sex (:class:`ShardSummary`) is tested at once.
The ``given_pinyin`` pass pairs people with the same given-name pinyin *at any birth date*, which
no range of birth days can bound: a case with a given-name pinyin that is not too common to block
on is sent to every shard holding candidates of a compatible sex. A case without one (most babies
given away have no name) goes only to the shards its birth windows touch. Routing only prunes: a
shard that receives a case it cannot pair returns no pairs for it, and its partial merges as zero.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from reunite._typing import F32, I64, B
from reunite.errors import ConfigError
from reunite.matching.blocking import case_birth_interval, counted_spans, plan
from reunite.matching.engine import DEFAULT_LIMITS, EngineLimits
from reunite.matching.exact import posteriors_from_sums, term_sum, to_float
from reunite.matching.model import FellegiSunter
from reunite.matching.prepare import Prepared, prepare, sex_and_birth
from reunite.matching.rank import format_reasons
from reunite.matching.score import pair_contributions, score_chunk
from reunite.matching.spec import BlockingSpec
from reunite.normalize.features import NameTable, RecordTable

__all__ = [
    "SHARD_PASSES",
    "ShardPartial",
    "ShardSummary",
    "check_passes",
    "describe_pairs",
    "excluded_keys",
    "finish",
    "merge",
    "route",
    "route_cases",
    "score_shard",
    "summarize",
    "take_records",
]

SHARD_PASSES = ("birth_window", "late_window", "given_pinyin")
_COMPATIBLE = {0: (0, 1, 2), 1: (0, 1), 2: (0, 2)}  # case sex -> candidate sexes it may pair with


def take_records(table: RecordTable, rows: npt.ArrayLike) -> RecordTable:
    """The records ``rows`` of a table (in that order), with their names; the report is kept."""
    rows = np.asarray(rows, dtype=np.int64)
    n = len(table)
    taken: dict[str, Any] = {}
    for item in dataclasses.fields(table):
        value = getattr(table, item.name)
        if isinstance(value, np.ndarray) and value.shape[:1] == (n,):
            taken[item.name] = value[rows]
    names = table.names
    position = np.full(n, -1, dtype=np.int64)
    position[rows] = np.arange(rows.size)
    new_record = position[names.record.astype(np.int64)]
    keep = np.flatnonzero(new_record >= 0)
    keep = keep[np.argsort(new_record[keep], kind="stable")]  # names stay record by record, in order
    name_columns = {f.name: getattr(names, f.name)[keep] for f in dataclasses.fields(names)}
    name_columns["record"] = new_record[keep].astype(names.record.dtype)
    taken["names"] = NameTable(**name_columns)
    taken["flags"] = {k: v[rows] for k, v in table.flags.items()}
    return dataclasses.replace(table, **taken)


def check_passes(spec: BlockingSpec) -> None:
    """Refuse blocking passes that a split into shards would change (they count across the table)."""
    for name in spec.passes:
        if name not in SHARD_PASSES:
            raise ConfigError(f"blocking pass {name!r} cannot be split into shards (it counts candidates "
                              f"across the whole table); expected passes among {', '.join(SHARD_PASSES)}")


@dataclass(frozen=True, slots=True)
class ShardSummary:
    """What routing needs to know of a shard: per candidate sex code (0 unknown, 1 M, 2 F) whether it
    holds any candidate, and the range of their known birth intervals (``lo > hi``: none known)."""

    present: tuple[bool, bool, bool]
    lo: tuple[int, int, int]
    hi: tuple[int, int, int]


def summarize(candidates: RecordTable) -> ShardSummary:
    """The :class:`ShardSummary` of a shard's candidates (as blocking reads them: a valid ID fills a
    missing sex or birth date)."""
    sex_code, birth_lo, birth_hi, birth_known = sex_and_birth(candidates)
    present, lo, hi = [], [], []
    for sex in (0, 1, 2):
        mine = sex_code == sex
        known = mine & birth_known
        present.append(bool(mine.any()))
        lo.append(int(birth_lo[known].min()) if known.any() else 1)
        hi.append(int(birth_hi[known].max()) if known.any() else 0)
    return ShardSummary((present[0], present[1], present[2]), (lo[0], lo[1], lo[2]), (hi[0], hi[1], hi[2]))


def route(prep: Prepared, spec: BlockingSpec, shards: Sequence[ShardSummary]) -> B:
    """Which shards each case must be scored in: a (cases, shards) boolean matrix (see the module).

    ``prep`` holds the cases, prepared with the model's term frequencies (its candidates do not
    matter: :func:`route_cases` prepares them with none).
    """
    check_passes(spec)
    cases = prep.cases
    case_lo, case_hi = case_birth_interval(prep, spec)
    margin = max([spec.birth_margin_days if "birth_window" in spec.passes else 0,
                  spec.late_margin_days if "late_window" in spec.passes else 0])
    windows = any(p in spec.passes for p in ("birth_window", "late_window"))
    named: B = np.zeros(len(cases), dtype=bool)
    codes = cases.given_py
    if "given_pinyin" in spec.passes and codes.size and prep.pinyin_freq.size:
        blockable = (codes >= 0) & (prep.pinyin_freq[np.maximum(codes, 0)] <= spec.max_name_share)
        named = np.asarray(blockable.any(axis=1), dtype=bool)
    out = np.zeros((len(cases), len(shards)), dtype=bool)
    for j, shard in enumerate(shards):
        for case_sex, allowed in _COMPATIBLE.items():
            rows = cases.sex == case_sex
            for sex in allowed:
                if not shard.present[sex]:
                    continue
                hit = named & rows
                if windows and shard.lo[sex] <= shard.hi[sex]:
                    hit |= rows & (case_lo - margin <= shard.hi[sex]) & (case_hi + margin >= shard.lo[sex])
                out[:, j] |= hit
    return out


def route_cases(cases: RecordTable, candidates: RecordTable, model: FellegiSunter,
                spec: BlockingSpec | None = None) -> I64:
    """The rows of ``cases`` to score against the shard ``candidates`` (see :func:`route`)."""
    prep = prepare(cases, take_records(candidates, []), getattr(model, "frequencies_", None),
                   getattr(model, "frequency_candidates_", None))
    return np.flatnonzero(route(prep, spec or BlockingSpec(), [summarize(candidates)])[:, 0]).astype(np.int64)


@dataclass(frozen=True)
class ShardPartial:
    """A partial ranking: per row (``case_id``, ``person_id``, ``score``, and ``payload`` columns
    carried along, e.g. reasons and display fields), at most ``top_k`` rows per case; per case of
    ``totals``: (pairs compared, exact Bayes-factor sum) over the candidates this partial covers."""

    case_id: npt.NDArray[np.str_]
    person_id: npt.NDArray[np.str_]
    score: F32
    totals: dict[str, tuple[int, int]]
    top_k: int
    payload: dict[str, npt.NDArray[Any]] = field(default_factory=dict)
    blocked: int = 0  # pairs blocking produced (DNA-excluded ones included)
    scored: int = 0  # of those, pairs scored one by one (the rest were counted: exact pruning)

    def __len__(self) -> int:
        return int(self.case_id.shape[0])


def _ordered(case_id: npt.NDArray[np.str_], person_id: npt.NDArray[np.str_], score: F32, top_k: int) -> I64:
    """Rows in (case, score descending, person_id) order, at most ``top_k`` per case."""
    order = np.lexsort((person_id, -score.astype(np.float64), case_id)).astype(np.int64)
    c = case_id[order]
    first = np.r_[True, c[1:] != c[:-1]] if c.size else np.zeros(0, dtype=bool)
    starts = np.flatnonzero(first)
    position = np.arange(c.size) - np.repeat(starts, np.diff(np.r_[starts, c.size]))
    return order[position < top_k]


def merge(partials: Iterable[ShardPartial]) -> ShardPartial:
    """One partial from several (any order, any grouping: associative and commutative).

    Shards must hold disjoint candidates; rows are ordered by case, score descending, person_id.
    """
    parts = list(partials)
    if not parts:
        raise ConfigError("merge: expected at least one partial ranking; got none")
    top_k = parts[0].top_k
    if any(p.top_k != top_k for p in parts):
        raise ConfigError(f"merge: partial rankings of different top_k: {sorted({p.top_k for p in parts})}")
    keys = sorted(set().union(*(p.payload for p in parts)))
    case_id = np.concatenate([p.case_id for p in parts]).astype(str)
    person_id = np.concatenate([p.person_id for p in parts]).astype(str)
    score = np.concatenate([p.score for p in parts]).astype(np.float32)
    rows = _ordered(case_id, person_id, score, top_k)
    payload = {k: np.concatenate([p.payload[k] for p in parts])[rows] for k in keys}
    totals: dict[str, tuple[int, int]] = {}
    for p in parts:
        for case, (pairs, factor_sum) in p.totals.items():
            before = totals.get(case, (0, 0))
            totals[case] = (before[0] + pairs, before[1] + factor_sum)
    return ShardPartial(case_id[rows], person_id[rows], score[rows], totals, top_k, payload,
                        sum(p.blocked for p in parts), sum(p.scored for p in parts))


def finish(partial: ShardPartial, prior: float) -> dict[str, npt.NDArray[Any]]:
    """Ranked rows from a (merged) partial: ``case_id, rank, person_id, score, probability,
    case_probability, pairs_compared, _case_rest`` and the payload columns, cases in case_id order."""
    rows = _ordered(partial.case_id, partial.person_id, partial.score, partial.top_k)
    case_id, person_id, score = partial.case_id[rows], partial.person_id[rows], partial.score[rows]
    cases, group = np.unique(case_id, return_inverse=True)
    group = group.astype(np.int64)
    pairs = np.array([partial.totals[c][0] for c in cases.tolist()], dtype=np.int64)
    sums = [partial.totals[c][1] for c in cases.tolist()]
    probability, any_match = posteriors_from_sums(sums, pairs, group, score, prior)
    starts = np.searchsorted(group, np.arange(cases.size))
    kept = [term_sum(score[a:b]) for a, b in zip(starts.tolist(), np.r_[starts[1:], group.size].tolist(),
                                                   strict=True)]
    rest = np.array([to_float(s - k) for s, k in zip(sums, kept, strict=True)], dtype=np.float64)
    columns: dict[str, npt.NDArray[Any]] = {
        "case_id": case_id.astype(object),
        "rank": (np.arange(group.size) - starts[group] + 1).astype(np.int64),
        "person_id": person_id.astype(object),
        "score": score,
        "probability": probability,
        "case_probability": any_match[group],
        "pairs_compared": pairs[group],
        "_case_rest": rest[group],
    }
    for name, values in partial.payload.items():
        columns[name] = values[rows]
    return columns


def score_shard(
    cases: RecordTable, candidates: RecordTable, model: FellegiSunter, *, top_k: int,
    blocking: BlockingSpec | None = None, exclude: Iterable[tuple[str, str]] = (),
    payload: bool = True, prune: bool = True, limits: EngineLimits = DEFAULT_LIMITS,
) -> ShardPartial:
    """Score every case against one shard of the candidates with a fitted model.

    The model's term frequencies (``frequencies_``, counted over the whole population) are used when
    it has them; otherwise the shard's own, which only a single shard holding every candidate makes
    equal to the whole's. ``payload`` adds the columns RANKED.csv shows of a candidate and the
    reasons (formatted in the shard: only the kept rows travel). ``prune``: count rather than score
    the pairs that cannot reach the shard's top k (the same partial; ``False`` scores every pair).
    ``limits``: how the engine computes (:class:`~reunite.matching.engine.EngineLimits`; the same partial).
    """
    spec = blocking or BlockingSpec()
    check_passes(spec)
    prep = prepare(cases, candidates, getattr(model, "frequencies_", None),
                   getattr(model, "frequency_candidates_", None))
    excluded = excluded_keys(prep, cases, candidates, exclude)
    blocks = plan(prep, spec)
    # exact pruning (reunite.matching.prune), as one machine's screen: the shard's top-k and exact sums
    # come out the same, with most of the window's pairs counted rather than scored
    from reunite.matching.cells import cell_index  # (take_records, which a night uses, needs neither)
    from reunite.matching.prune import prunable, score_span_pruned

    index = cell_index(prep, model.spec, spec, limits=limits) if prune and prunable(spec) else None
    if index is None:
        parts = [score_chunk(prep, model, blocks.chunk(first, last), top_k, excluded, limits=limits)
                 for first, last in blocks.spans]
    else:
        parts = [score_span_pruned(blocks, model, index, first, last, top_k, excluded, limits=limits)[0]
                 for first, last in counted_spans(blocks, 0.1)]
    case = np.concatenate([p.case for p in parts]) if parts else np.zeros(0, dtype=np.int64)
    cand_row = prep.cand_order[np.concatenate([p.cand for p in parts])] if parts else np.zeros(0, np.int64)
    totals: dict[str, tuple[int, int]] = {}
    for p in parts:
        for i, pairs, factor_sum in zip(p.case_ids.tolist(), p.case_pairs.tolist(), p.case_factor_sum,
                                        strict=True):
            if pairs:
                totals[str(cases.ids[i])] = (int(pairs), factor_sum)
    columns: dict[str, npt.NDArray[Any]] = {}
    if payload:
        levels = np.concatenate([p.levels for p in parts], axis=1) if parts else None
        contributions = np.concatenate([p.contributions for p in parts], axis=1) if parts else None
        reasons = (format_reasons(model.spec.comparisons, levels, contributions)
                   if levels is not None and contributions is not None else [])
        columns = {
            "reasons": np.array(reasons, dtype=object),
            "name": candidates.display_name[cand_row].astype(object),
            "sex": SEX_TEXT[candidates.sex[cand_row]],
            "birth_date": candidates.display_birth[cand_row].astype(object),
            "region": candidates.display_region[cand_row].astype(object),
            "id_number": candidates.id_masked[cand_row].astype(object),
        }
    score: F32 = np.concatenate([p.score for p in parts]) if parts else np.zeros(0, dtype=np.float32)
    return ShardPartial(cases.ids[case].astype(str), candidates.ids[cand_row].astype(str), score, totals, top_k,
                        columns, sum(p.pairs for p in parts), sum(p.scored for p in parts))


def describe_pairs(
    cases: RecordTable, candidates: RecordTable, model: FellegiSunter, case_id: Sequence[str],
    person_id: Sequence[str],
) -> dict[str, npt.NDArray[Any]]:
    """The reasons and candidate display columns of given pairs, as :func:`score_shard` gives them
    with ``payload``: for a ranking merged without them, from the records of its final rows only.

    Reasons are pair-local (levels and weights with the model's term frequencies), so any subset
    of cases and candidates holding the pairs gives the same text.
    """
    prep = prepare(cases, candidates, getattr(model, "frequencies_", None),
                   getattr(model, "frequency_candidates_", None))
    case_row = {str(v): i for i, v in enumerate(cases.ids.tolist())}
    position = np.empty(len(candidates), dtype=np.int64)
    position[prep.cand_order] = np.arange(len(candidates))
    cand_row = {str(v): i for i, v in enumerate(candidates.ids.tolist())}
    case = np.array([case_row[c] for c in case_id], dtype=np.int64)
    row = np.array([cand_row[p] for p in person_id], dtype=np.int64)
    levels, contributions = pair_contributions(prep, model, case, position[row])
    return {
        "reasons": np.array(format_reasons(model.spec.comparisons, levels, contributions), dtype=object),
        "name": candidates.display_name[row].astype(object),
        "sex": SEX_TEXT[candidates.sex[row]],
        "birth_date": candidates.display_birth[row].astype(object),
        "region": candidates.display_region[row].astype(object),
        "id_number": candidates.id_masked[row].astype(object),
    }


SEX_TEXT = np.array(["", "M", "F"], dtype=object)  # by RecordTable.sex code


def excluded_keys(
    prep: Prepared, cases: RecordTable, candidates: RecordTable, pairs: Iterable[tuple[str, str]]
) -> I64:
    """Sorted keys ``case * n_candidates + prepared candidate`` of the DNA-excluded pairs in this shard."""
    wanted = list(pairs)
    if not wanted:
        return np.zeros(0, dtype=np.int64)
    case_index = {str(v): i for i, v in enumerate(cases.ids.tolist())}
    position = np.empty(len(candidates), dtype=np.int64)
    position[prep.cand_order] = np.arange(len(candidates))
    cand_index = {str(v): int(position[i]) for i, v in enumerate(candidates.ids.tolist())}
    keys = [case_index[c] * len(candidates) + cand_index[p] for c, p in wanted if c in case_index and p in cand_index]
    return np.unique(np.asarray(keys, dtype=np.int64))
