"""Learning m from the data being screened, without labels: EM under "at most one child per case".

A classic Fellegi–Sunter EM treats the blocked pairs as one mixture of matches and non-matches. On
cold-case data that collapses: true pairs are one in thousands of blocked pairs, and blocked
non-matches agree on sex and birth window by construction, so EM finds "a match" wherever the
blocking made pairs alike. This module fits m with the structure the problem has instead:

- Each case has at most one true candidate. The E-step distributes, per case, one unit of
  probability over "no child among the candidates", "the child is outside the blocked pairs" and
  each blocked candidate, in proportion to ``prior / N`` times its Bayes factor (``N``: candidates
  of a compatible sex, the population the case's child is drawn from). The prior share of cases with
  their child among the candidates is held fixed (``share_prior``): learned together with m it
  drifted to "every case is matched". A stranger who merely
  shares the block cannot take probability from a better candidate of the same case.
- u stays the population's (random pairs, :func:`reunite.pipeline.fit_population`): Bayes
  factors are then relative to the whole population, consistent with ``prior / N``, and the
  blocking itself is no evidence.
- A true pair that the blocking missed has a birth date further apart than the window: "the child
  is outside the blocked pairs" is weighed with the starting model's m of "born further apart". It
  takes no part in the M-step (fed back into that m, it made "further apart" feed on itself: on a
  generated draw m of babies rose from 0.08 to 0.52 against 0.04 in the labels).
- m has a Dirichlet prior centred on the starting model's m with ``prior_strength`` pseudo-pairs
  per comparison (as fastLink does), so a small screen moves m only as far as its data justify.
- Each comparison's m is estimated from an E-step that leaves out every comparison reading the
  same field (the birth date is read by birth, birthday, registration and timeline), so a stranger
  who agrees on a field by chance does not teach the model that true pairs agree on it.
- A level that a comparison declares held (``held_levels``, e.g. "registered before the child went
  missing") keeps its starting m; the other levels share the rest. No true pair takes it, so all the
  blocked pairs could teach the fit about it is which strangers look likely.
- Term-frequency adjustments are not part of the fit (they refine the exact-name levels pair by
  pair at scoring time).

EM runs on each case's unique comparison patterns with their counts, so its cost does not depend on
how many pairs the cases have once they are compared. A fit that is degenerate (too little evidence,
almost every case or almost none matched) is refused, and the starting model is kept: the report
says why.

The cases a fit reads (:func:`sample_cases`) are chosen before any pair is compared, from counts a
cluster gets as cheaply as one machine: each case's pairs in the birth-window passes, counted exactly
from the candidates tallied by (sex, birth interval, registered late) (:class:`BirthCounts`,
:func:`window_pairs`); the cases are taken in a seeded random order while at most ``max_cases`` and
``max_pairs`` of those pairs. One machine (:func:`case_patterns`) and Spark
(:func:`reunite.spark.fit_m_on_cluster`) thus fit m on the same cases, at any size.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from reunite._typing import F64, I8, I64, B
from reunite.errors import ConfigError
from reunite.i18n import Language, text
from reunite.matching.blocking import PairChunk, case_birth_interval, counted_spans, late_registered, plan
from reunite.matching.cells import CellIndex
from reunite.matching.compare import Pairs, compare_pairs
from reunite.matching.comparisons import REGISTRY
from reunite.matching.engine import DEFAULT_LIMITS, EngineLimits
from reunite.matching.kinds import CASE_KINDS, case_kinds
from reunite.matching.model import FellegiSunter
from reunite.matching.prepare import Memo, Prepared, PreparedSide
from reunite.matching.prune import compared_patterns
from reunite.matching.spec import LEVEL_LABELS, BlockingSpec

__all__ = ["MAX_FIT_CASES", "MAX_FIT_PAIRS", "PATTERN_BASE", "BirthCounts", "CasePatterns", "FitReport",
           "all_case_patterns", "birth_counts", "case_patterns", "fit_m", "patterns_from_counts", "population_of",
           "sample_cases", "window_pairs"]

_BASE = 11  # levels -1..9 coded 0..10 in a pattern code
PATTERN_BASE = _BASE
"""A pattern key is ``case * PATTERN_BASE**comparisons + pattern code``."""
MAX_FIT_CASES = 2000
"""At most this many cases in the sample a fit of m reads (:func:`sample_cases`)."""
MAX_FIT_PAIRS = 40_000_000
"""At most this many birth-window pairs in that sample (unless its first case alone has more)."""


@dataclass(frozen=True, slots=True)
class CasePatterns:
    """The blocked pairs of some cases as (case, unique pattern, count) rows.

    ``patterns`` is (patterns, comparisons) int8 with ``-1`` for null; rows are sorted by case;
    ``population`` is, per case, the number of candidates of a compatible sex; ``kind`` each
    case's kind (:func:`reunite.matching.kinds.case_kinds`).
    """

    patterns: I8
    row_case: I64
    row_pattern: I64
    row_count: F64
    population: F64
    kind: I8
    pairs: int

    @property
    def n_cases(self) -> int:
        return int(self.population.shape[0])


@dataclass(frozen=True, slots=True)
class FitReport:
    """What an unsupervised fit saw, what it concluded, and what moved."""

    accepted: bool
    reason: str
    cases: int
    pairs: int
    expected_matches: float
    confident_cases: int
    share_matched: float
    iterations: int
    converged: bool
    moved: tuple[tuple[str, str, float, float], ...] = field(default=())  # (comparison, level, before, after)

    def format(self, lang: Language = "en") -> str:
        """The fit in a few lines a person reads (in ``lang``; the reason a fit was refused stays as
        the fit gives it)."""
        if not self.accepted:
            return text(lang, "fit_rejected", reason=self.reason)
        lines = [text(lang, "fit_head", cases=self.cases, pairs=self.pairs, confident=self.confident_cases,
                      expected=self.expected_matches, iterations=self.iterations)]
        if self.moved:
            lines.append(text(lang, "fit_moved", n=len(self.moved)))
        for name, label, before, after in self.moved[:8]:
            shown_name, shown_label = name, label
            if lang == "zh" and name in REGISTRY and label in REGISTRY[name].labels:
                shown_name = REGISTRY[name].title_in(lang)
                shown_label = REGISTRY[name].labels_zh[REGISTRY[name].labels.index(label)]
            lines.append(text(lang, "fit_weight", name=shown_name, label=shown_label, before=before, after=after))
        return "\n".join(lines)


def _codes(levels: I8) -> I64:
    code = np.zeros(levels.shape[1], dtype=np.int64)
    for k in range(levels.shape[0]):
        code *= _BASE
        code += levels[k].astype(np.int64) + 1
    return code


def _decode(codes: I64, n_comp: int) -> I8:
    out = np.empty((codes.shape[0], n_comp), dtype=np.int8)
    rest = codes.copy()
    for k in range(n_comp - 1, -1, -1):
        out[:, k] = (rest % _BASE - 1).astype(np.int8)
        rest //= _BASE
    return out


def _population(prep: Prepared, cases: I64) -> F64:
    """Candidates of a sex compatible with each case (unknown sex is compatible with both)."""
    counts = np.bincount(prep.candidates.sex.astype(np.int64), minlength=3).astype(np.float64)
    return population_of(prep.cases.sex.take(cases), counts)


def population_of(case_sex: I8, sex_counts: F64) -> F64:
    """Per case, the candidates of a compatible sex, from the candidates counted by sex code
    (0 unknown, compatible with both; 1 and 2)."""
    sex = case_sex.astype(np.int64)
    out: F64 = np.where(sex == 0, sex_counts.sum(), sex_counts.take(sex) + sex_counts[0])
    return out


@dataclass(frozen=True, slots=True)
class BirthCounts:
    """Candidates whose birth is known, counted by sex code (0 unknown, 1, 2), birth interval
    ``lo .. hi`` (days) and whether they were registered late (the ``late_window`` pass's
    candidates): all that :func:`window_pairs` reads of the candidates. Rows are unique and sorted
    (:meth:`of`), so the same candidates give equal arrays however they were counted.

    >>> counts = BirthCounts.of([2, 1, 2], [100, 50, 100], [100, 80, 100], [False, True, False], [1, 1, 1])
    >>> counts.sex.tolist(), counts.lo.tolist(), counts.count.tolist()
    ([1, 2], [50, 100], [1, 2])
    """

    sex: I8
    lo: I64
    hi: I64
    late: B
    count: I64

    @classmethod
    def of(cls, sex: npt.ArrayLike, lo: npt.ArrayLike, hi: npt.ArrayLike, late: npt.ArrayLike,
           count: npt.ArrayLike) -> BirthCounts:
        """Counts from rows in any order; the counts of repeated rows are added up."""
        columns = [np.asarray(sex, dtype=np.int64), np.asarray(lo, dtype=np.int64), np.asarray(hi, dtype=np.int64),
                   np.asarray(late, dtype=bool).astype(np.int64)]
        weight = np.asarray(count, dtype=np.int64)
        if len({c.shape for c in [*columns, weight]}) != 1:
            raise ConfigError(f"BirthCounts: sex, lo, hi, late and count must have one length; got "
                              f"{[c.shape[0] for c in [*columns, weight]]}")
        order = np.lexsort(columns[::-1])  # by sex, then lo, hi, late
        columns, weight = [c[order] for c in columns], weight[order]
        first = np.zeros(weight.shape[0], dtype=bool)
        first[:1] = True
        for c in columns:
            first[1:] |= c[1:] != c[:-1]
        starts = np.flatnonzero(first)
        total = np.add.reduceat(weight, starts) if starts.size else weight
        return cls(columns[0][starts].astype(np.int8), columns[1][starts], columns[2][starts],
                   columns[3][starts].astype(bool), total.astype(np.int64))


def birth_counts(prep: Prepared, spec: BlockingSpec) -> BirthCounts:
    """The :class:`BirthCounts` of one machine's prepared candidates (late registration as
    ``spec`` defines it); a cluster counts the same with one small group-by."""
    d = prep.candidates
    known = np.flatnonzero(d.birth_known)
    return BirthCounts.of(d.sex[known], d.birth_lo[known], d.birth_hi[known],
                          late_registered(prep, spec, known), np.ones(known.size, dtype=np.int64))


def _within(births: BirthCounts, rows: B, case_lo: I64, case_hi: I64, margin: int) -> I64:
    """Per case, the candidates of ``rows`` whose birth interval is at most ``margin`` days from the
    case's: those born (``lo``) by ``case_hi + margin``, less those born (``hi``) before ``case_lo - margin``."""
    weight = births.count[rows]
    lo, hi = births.lo[rows], births.hi[rows]
    by_lo, by_hi = np.argsort(lo, kind="stable"), np.argsort(hi, kind="stable")
    upto_lo = np.r_[0, np.cumsum(weight[by_lo])]
    upto_hi = np.r_[0, np.cumsum(weight[by_hi])]
    born_by = upto_lo[np.searchsorted(lo[by_lo], case_hi + margin, side="right")]
    born_before = upto_hi[np.searchsorted(hi[by_hi], case_lo - margin, side="left")]
    out: I64 = born_by - born_before
    return out


def window_pairs(prep: Prepared, spec: BlockingSpec, births: BirthCounts) -> I64:
    """Each case's pairs in the birth-window passes of ``spec`` (``birth_window``, ``late_window``),
    counted exactly from ``births`` without listing them: candidates of a compatible sex whose
    birth interval is within the pass's margin of the case's, late-registered ones for
    ``late_window``. Only ``prep``'s cases are read. The other passes add the pairs of a
    given name or a surname at any birth date, not counted here (a few in a hundred on generated data).
    """
    case_lo, case_hi = case_birth_interval(prep, spec)
    case_sex = prep.cases.sex.astype(np.int64)
    every = np.ones(births.count.shape[0], dtype=bool)
    windows: list[tuple[B, int, int]] = []  # (candidates, margin, +1 counted or -1 already counted)
    if "birth_window" in spec.passes:
        windows.append((every, spec.birth_margin_days, 1))
    if "late_window" in spec.passes:
        windows.append((births.late, spec.late_margin_days, 1))
        if "birth_window" in spec.passes:  # late candidates within both windows are counted once
            windows.append((births.late, min(spec.birth_margin_days, spec.late_margin_days), -1))
    out = np.zeros(case_sex.shape[0], dtype=np.int64)
    for rows, margin, sign in windows:
        for sex in (0, 1, 2):
            compatible = (case_sex == 0) | (case_sex == sex) | (sex == 0)
            within = _within(births, rows & (births.sex == sex), case_lo, case_hi, margin)
            out += sign * np.where(compatible, within, 0)
    return out


def sample_cases(pairs: I64, *, seed: int, max_cases: int = MAX_FIT_CASES,
                 max_pairs: int = MAX_FIT_PAIRS) -> I64:
    """The cases (sorted rows) a fit of m reads: in a random order drawn with ``seed``, the longest run
    of cases that holds at most ``max_cases`` cases and ``max_pairs`` of their ``pairs`` (per case,
    :func:`window_pairs`); at least one case. Every case when all fit.

    >>> np.random.default_rng(0).permutation(4).tolist()  # the order of the cases with seed 0
    [2, 0, 1, 3]
    >>> sample_cases(np.array([10, 10, 10, 10]), seed=0, max_pairs=25).tolist()
    [0, 2]
    >>> sample_cases(np.array([10, 40, 10, 10]), seed=0, max_pairs=25).tolist()  # case 1 would pass 25
    [0, 2]
    >>> sample_cases(np.array([10, 10, 99, 10]), seed=0, max_pairs=25).tolist()  # at least one case
    [2]
    >>> sample_cases(np.array([10, 10, 10, 10]), seed=0).tolist()
    [0, 1, 2, 3]
    """
    if max_cases < 1 or max_pairs < 0:
        raise ConfigError(f"the sample of cases for a fit of m: max_cases must be at least 1 and max_pairs at "
                          f"least 0; got {max_cases} and {max_pairs}")
    n_cases = int(pairs.shape[0])
    order = np.random.default_rng(seed).permutation(n_cases)
    cumulative = np.cumsum(np.asarray(pairs, dtype=np.int64)[order])
    taken = min(max(int(np.searchsorted(cumulative, max_pairs, side="right")), 1), max_cases, n_cases)
    out: I64 = np.sort(order[:taken]).astype(np.int64)
    return out


def _only_cases(prep: Prepared, rows: I64) -> Prepared:
    """``prep`` with the cases ``rows`` (sorted) alone, numbered 0.. in that order; ``prep`` itself
    when that is every case. Derived tables start afresh (some are by case row)."""
    if rows.shape[0] == len(prep.cases):
        return prep
    cases = PreparedSide(**{name: getattr(prep.cases, name)[rows] for name in PreparedSide.__slots__})
    return dataclasses.replace(prep, cases=cases, memo=Memo())


def _check_codes(model: FellegiSunter, n_cases: int) -> int:
    """The number of comparisons, after checking that a case and its pattern fit one int64 key."""
    n_comp = len(model.spec.comparisons)
    if max(model.spec.n_levels()) + 1 > _BASE:
        raise ConfigError(f"fit_m: a comparison has more than {_BASE - 1} levels; pattern codes hold {_BASE - 1}")
    if n_comp * np.log2(_BASE) > 62 - np.log2(max(n_cases, 2)):
        raise ConfigError(f"fit_m: too many comparisons ({n_comp}) to code patterns per case")
    return n_comp


def _chunk_keys(prep: Prepared, model: FellegiSunter, chunk: PairChunk, excluded: I64 | None,
                offset: int, limits: EngineLimits) -> tuple[I64, I64]:
    """Unique ``(case - chunk's first case + offset) * BASE**comparisons + pattern`` keys of a chunk's
    pairs (DNA-excluded ones left out, as the scorer does) and their counts."""
    first = int(chunk.cases[0]) if chunk.cases.size else 0
    case, cand = chunk.without(excluded, len(prep.candidates))
    pairs = Pairs.of_local(chunk.cases, case - first, cand)
    levels = compare_pairs(prep, model.spec, pairs, limits=limits)
    local, patterns, counts = _distinct_patterns(pairs.local, levels, [n + 1 for n in model.spec.n_levels()])
    key = (local + offset) * (_BASE ** len(model.spec.comparisons)) + _codes(patterns)
    order = np.argsort(key)  # as np.unique gives them; a few distinct patterns per case, not every pair
    return key[order], counts[order]


_DENSE_CELLS = 1 << 16  # a pattern code is renumbered to the values present before it would pass this


def _distinct_patterns(local: I64, levels: I8, sizes: list[int], cells: int = _DENSE_CELLS) -> tuple[I64, I8, I64]:
    """The distinct (case, level pattern) of pairs and how many pairs have each, without sorting the pairs.

    ``local``: each pair's case (small whole numbers); ``levels``: (comparisons, pairs), level ``-1 ..
    sizes[k] - 2`` of comparison ``k``. Returns the distinct rows' case and levels (comparisons, rows) and
    counts, in no promised order. Pairs hold a few dozen distinct patterns per case: the code of a pair's
    case and levels is built digit by digit (mixed radix), and renumbered to the values present (a
    ``bincount``) whenever its range would pass ``cells``, so every table stays small; a sort of
    every pair's key (``np.unique``) cost as much as comparing them.

    >>> local, levels, counts = _distinct_patterns(np.array([0, 0, 1, 0]),
    ...                                            np.array([[1, 1, 1, -1], [0, 0, 0, 0]], np.int8), [3, 2])
    >>> sorted(zip(local.tolist(), levels.T.tolist(), counts.tolist()))
    [(0, [-1, 0], 1), (0, [1, 0], 2), (1, [1, 0], 1)]
    """
    code = local.astype(np.int64)
    space = int(code.max()) + 1 if code.size else 1
    renumbered: list[I64 | None] = []  # per comparison: the values its code held before, when renumbered
    for k, size in enumerate(sizes):
        present = None
        if space * size > cells:
            seen = np.bincount(code, minlength=space) > 0
            present = np.flatnonzero(seen)
            code = (np.cumsum(seen) - 1).take(code)
            space = int(present.size)
        code *= size
        code += levels[k]
        code += 1  # level -1 is digit 0
        renumbered.append(present)
        space *= size
    counts = np.bincount(code, minlength=space)
    rest = np.flatnonzero(counts)
    found = counts[rest].astype(np.int64)
    patterns = np.empty((len(sizes), rest.size), dtype=np.int8)
    for k in range(len(sizes) - 1, -1, -1):
        rest, digit = np.divmod(rest, sizes[k])
        patterns[k] = digit - 1
        present = renumbered[k]
        if present is not None:
            rest = present[rest]
    return rest, patterns, found


def patterns_from_counts(
    keys: I64, counts: I64, model: FellegiSunter, population: F64, kind: I8,
) -> CasePatterns:
    """:class:`CasePatterns` from unique ``case * BASE**comparisons + pattern`` keys and their counts
    (cases numbered 0.. in the order of ``population`` and ``kind``); rows come out sorted by key, so
    the same pairs give the same arrays however they were counted (one machine or many shards)."""
    n_comp = _check_codes(model, population.shape[0])
    order = np.argsort(keys, kind="stable")
    keys, counts = keys[order], counts[order]
    if keys.size and np.any(keys[1:] == keys[:-1]):
        raise ConfigError("fit_m: pattern keys must be unique; add the counts of repeated keys first")
    row_case = keys // (_BASE ** n_comp)
    distinct, row_pattern = np.unique(keys % (_BASE ** n_comp), return_inverse=True)
    return CasePatterns(
        patterns=_decode(distinct, n_comp) if distinct.size else np.zeros((0, n_comp), np.int8),
        row_case=row_case,
        row_pattern=row_pattern.ravel().astype(np.int64),
        row_count=counts.astype(np.float64),
        population=population.astype(np.float64),
        kind=kind.astype(np.int8),
        pairs=int(counts.sum()),
    )


def all_case_patterns(
    prep: Prepared, model: FellegiSunter, blocking: BlockingSpec, *, excluded: I64 | None = None,
    workers: int = 1, index: CellIndex | None = None, limits: EngineLimits = DEFAULT_LIMITS,
) -> tuple[I64, I64]:
    """Every blocked pair of every case in ``prep`` as unique ``case * BASE**comparisons + pattern``
    keys with their counts: what a shard of the candidates contributes to a fit on a sample of cases
    (the sample being ``prep``'s cases), to be added up over shards and read with
    :func:`patterns_from_counts`. ``workers`` threads compare the chunks (numpy and rapidfuzz release
    the GIL); the keys come out in chunk order whatever their number. ``limits``: how the pairs are
    compared (:class:`~reunite.matching.engine.EngineLimits`; the keys do not depend on them).

    With ``index`` (the :class:`~reunite.matching.cells.CellIndex` of ``prep``'s candidates, for
    blocking that :func:`~reunite.matching.prune.prunable` accepts) the windows are counted by cells
    as the pruned screen counts them (:func:`~reunite.matching.prune.compared_patterns`): only the
    hits are compared one by one, and the keys and counts are the same as comparing every pair.
    """
    _check_codes(model, len(prep.cases))
    blocks = plan(prep, blocking)

    def keys_of(span: tuple[int, int]) -> tuple[I64, I64]:
        if index is None:
            return _chunk_keys(prep, model, blocks.chunk(*span), excluded, span[0], limits)
        case, levels, count = compared_patterns(blocks, model, index, *span, excluded, limits)
        return _unique_keys(case * (_BASE ** len(model.spec.comparisons)) + _codes(levels), count)

    spans = blocks.spans if index is None else counted_spans(blocks, 0.1)
    if workers > 1 and len(spans) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(keys_of, spans))
    else:
        parts = [keys_of(span) for span in spans]
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate([k for k, _ in parts]), np.concatenate([c for _, c in parts])


def _unique_keys(key: I64, count: I64) -> tuple[I64, I64]:
    """The distinct keys, sorted, with their counts added up."""
    unique, inverse = np.unique(key, return_inverse=True)
    return unique, np.bincount(inverse.ravel(), weights=count, minlength=unique.size).astype(np.int64)


def case_patterns(
    prep: Prepared,
    model: FellegiSunter,
    blocking: BlockingSpec,
    *,
    max_cases: int = MAX_FIT_CASES,
    max_pairs: int = MAX_FIT_PAIRS,
    seed: int = 0,
    excluded: I64 | None = None,
    workers: int = 1,
    index: CellIndex | None = None,
    limits: EngineLimits = DEFAULT_LIMITS,
) -> CasePatterns:
    """Compare the blocked pairs of a sample of cases and keep each case's unique patterns.

    The sample (:func:`sample_cases`) is chosen before any pair is compared: cases in a random order
    drawn with ``seed`` while at most ``max_cases`` cases and ``max_pairs`` birth-window pairs
    (:func:`window_pairs`, counted from :func:`birth_counts`); every case when the screen is smaller.
    Spark (:func:`reunite.spark.fit_m_on_cluster`) chooses the same cases from counts made on the
    cluster. ``excluded``: sorted keys ``case * n_candidates + prepared candidate`` of pairs DNA has
    excluded, left out as the scorer does. ``workers``: threads comparing the pairs, ``limits``: how
    they are compared (the result depends on neither). ``index``: the candidates' cell index, to count
    the windows by cells (:func:`all_case_patterns`; the patterns do not depend on it either).
    """
    _check_codes(model, len(prep.cases))
    rows = sample_cases(window_pairs(prep, blocking, birth_counts(prep, blocking)), seed=seed,
                        max_cases=max_cases, max_pairs=max_pairs)
    if excluded is not None and excluded.size and rows.shape[0] < len(prep.cases):
        n_cand = len(prep.candidates)
        case = excluded // n_cand
        kept = excluded[np.isin(case, rows)]  # renumbered as the sampled cases are: by position in rows
        excluded = np.searchsorted(rows, kept // n_cand) * n_cand + kept % n_cand
    keys, counts = all_case_patterns(_only_cases(prep, rows), model, blocking, excluded=excluded, workers=workers,
                                     index=index, limits=limits)
    return patterns_from_counts(keys, counts, model, _population(prep, rows), case_kinds(prep.cases, rows))


def _log_weights(model: FellegiSunter, m: list[F64], patterns: I8) -> F64:
    """Natural-log Bayes factor of each pattern (null levels add nothing)."""
    out = np.zeros(patterns.shape[0])
    for k, (m_k, u_k) in enumerate(zip(m, model.u_, strict=True)):
        column = patterns[:, k]
        table = np.r_[0.0, np.log(m_k) - np.log(u_k)]
        out += table.take(column.astype(np.int64) + 1)
    return out


def _per_case_max(values: F64, row_case: I64, n_cases: int, empty: float) -> F64:
    """Per case, the largest of its rows' ``values`` (``empty`` for a case without rows); rows sorted
    by case, so one ``reduceat`` over the runs (``np.maximum.at`` is far slower, and gives the same)."""
    out = np.full(n_cases, empty)
    if row_case.size:
        starts = np.flatnonzero(np.r_[True, row_case[1:] != row_case[:-1]])
        out[row_case[starts]] = np.maximum.reduceat(values, starts)
    return out


def _per_case_logsumexp(values: F64, row_case: I64, n_cases: int) -> F64:
    best = _per_case_max(values, row_case, n_cases, -np.inf)
    safe = np.where(np.isfinite(best), best, 0.0)
    total = np.bincount(row_case, weights=np.exp(values - safe.take(row_case)), minlength=n_cases)
    with np.errstate(divide="ignore"):
        out: F64 = np.log(total) + safe
    return out


def _shares(totals: F64, start: F64, held: I64) -> F64:
    """The shares of ``totals``, but the ``held`` levels keep their ``start`` share and the others
    divide what is left in proportion to their totals.

    >>> _shares(np.array([2.0, 1.0, 1.0]), np.array([0.1, 0.6, 0.3]), np.array([0])).tolist()
    [0.1, 0.45, 0.45]
    """
    if not held.size:
        out: F64 = totals / totals.sum()
        return out
    free = np.ones(totals.shape[0], dtype=bool)
    free[held] = False
    out = np.empty_like(totals, dtype=np.float64)
    out[held] = start[held]
    out[free] = totals[free] / totals[free].sum() * (1.0 - float(start[held].sum()))
    return out


def fit_m(
    model: FellegiSunter,
    data: CasePatterns,
    *,
    prior_strength: float = 20.0,
    share_prior: float = 0.5,
    min_matches: int = 30,
    max_iter: int = 200,
    tol: float = 1e-6,
    loo: bool = True,
    anchor: float = 0.8,
) -> tuple[FellegiSunter, FitReport]:
    """A copy of ``model`` with m fitted by one-child-per-case EM on ``data`` (see the module docstring).

    Parameters
    ----------
    model:
        A model with u (population) and a starting m, the centre of the prior.
    data:
        The compared patterns of a sample of cases (:func:`case_patterns`).
    prior_strength:
        Pseudo-pairs per comparison drawn from the starting m (Dirichlet prior). 20 lets the screened
        data move m further than the 50 of before: equal on reunite's own random configurations, and
        better on a second, independently written generator (benchmarks/README.md, "eighth session").
    share_prior:
        The prior probability that a case's child is among the candidates.
    min_matches:
        Fewer cases than this whose best candidate is likely (p >= 0.8) the child: too little evidence,
        the fit is refused.
    loo, anchor:
        Estimate each comparison's m from an E-step that leaves that comparison out, weighting each
        candidate by how likely the other comparisons make it (full weight from ``anchor``, none below
        0.5): a stranger who agrees on a field by chance does not teach the model that true pairs
        agree on it. ``loo=False, anchor=0`` is plain EM.

    Returns
    -------
    (FellegiSunter, FitReport)
        The fitted copy (the starting model itself when the fit is refused) and what happened.
    """
    if not (anchor == 0.0 or 0.5 < anchor <= 1.0):
        raise ConfigError(f"fit_m: anchor must be 0 (plain responsibilities) or in (0.5, 1]; got {anchor}")
    if prior_strength <= 0 or not 0.0 < share_prior < 1.0:
        raise ConfigError(
            f"fit_m: prior_strength must be positive and share_prior in (0, 1); got {prior_strength}, {share_prior}"
        )
    spec = model.spec
    n_comp, n_cases, n_kinds = len(spec.comparisons), data.n_cases, len(CASE_KINDS)
    m0 = [[np.asarray(m, dtype=np.float64) for m in model.m_of(kind)] for kind in CASE_KINDS]
    # the comparison and level of a true pair the birth window leaves out (birth: "further apart")
    windowed = [(k, level) for k, name in enumerate(spec.comparisons)
                if (level := REGISTRY[name].outside_window_level) is not None]
    window_k, window_level = windowed[0] if windowed else (-1, 0)
    log_population = np.log(np.maximum(data.population, 1.0))
    log_count = np.log(data.row_count)
    row_kind = data.kind.astype(np.int64).take(data.row_case)
    if any(m0[0][k].size != m0[j][k].size for j in range(n_kinds) for k in range(n_comp)):
        raise ConfigError("fit_m: every case kind must have the same levels")
    n_patterns = data.patterns.shape[0]
    fields = [REGISTRY[name].field for name in spec.comparisons]
    same_field = [[j for j in range(n_comp) if fields[j] == fields[k]] for k in range(n_comp)]
    held = [np.array(REGISTRY[name].held_levels, dtype=np.int64) for name in spec.comparisons]
    row_cell = row_kind * n_patterns + data.row_pattern  # (kind, pattern) of each row
    m, share = [[v.copy() for v in ms] for ms in m0], share_prior
    expected, confident = 0.0, 0
    resp_outside = np.zeros(n_cases)
    none = np.log1p(-share)
    # the child outside the blocked pairs: its birth is further apart than the window; weighed with the
    # starting m (learned, "further apart" fed on itself through this very option), so fixed
    outside = (np.log(share) + np.log(np.array([m0[j][window_k][window_level] for j in range(n_kinds)]))
               .take(data.kind) if window_k >= 0 else np.full(n_cases, -np.inf))
    # each row's (kind, level) cell of each comparison's table below: the same in every iteration
    cell_of_row = [row_kind * (m0[0][k].size + 1) + data.patterns[:, k].astype(np.int64).take(data.row_pattern) + 1
                   for k in range(n_comp)]
    iteration, converged = 0, False
    for iteration in range(1, max_iter + 1):  # noqa: B007 - the last iteration is reported
        # each comparison's log Bayes factor per row, by the row's case kind: (comparisons, rows)
        parts = np.stack([
            np.stack([np.r_[0.0, np.log(m[j][k]) - np.log(model.u_[k])] for j in range(n_kinds)]).take(cell_of_row[k])
            for k in range(n_comp)
        ])
        base = log_count + (np.log(share) - log_population).take(data.row_case)
        total = parts.sum(axis=0) + base
        denominator = np.logaddexp(np.logaddexp(none, outside), _per_case_logsumexp(total, data.row_case, n_cases))
        resp = np.exp(total - denominator.take(data.row_case))
        resp_outside = np.exp(outside - denominator)
        new_m = [[v.copy() for v in ms] for ms in m]
        for k in range(n_comp):
            # Leave this comparison's whole field out of the E-step that estimates it: a stranger who
            # agrees on it by chance cannot teach the model that agreeing on it is what true pairs do.
            rows_k = total - parts[same_field[k]].sum(axis=0) if loo else total
            denominator_k = np.logaddexp(np.logaddexp(none, outside),
                                         _per_case_logsumexp(rows_k, data.row_case, n_cases))
            resp_k = np.exp(rows_k - denominator_k.take(data.row_case))
            if anchor > 0:  # only likely candidates teach m: full weight from ``anchor``, none below 0.5
                resp_k = resp_k * np.clip((resp_k - 0.5) / max(anchor - 0.5, 1e-9), 0.0, 1.0)
            per_cell = np.bincount(row_cell, weights=resp_k, minlength=n_kinds * n_patterns).reshape(
                n_kinds, n_patterns)
            column = data.patterns[:, k]
            valid = column >= 0
            for j in range(n_kinds):
                counts = np.bincount(column[valid], weights=per_cell[j][valid], minlength=m0[j][k].size)
                new_m[j][k] = np.maximum(_shares(counts + prior_strength * m0[j][k], m0[j][k], held[k]), model.floor)
        change = max(float(np.abs(a - b).max()) for j in range(n_kinds) for a, b in zip(new_m[j], m[j], strict=True))
        m, expected = new_m, float(resp.sum())
        # cases whose best single candidate is likely the child: the evidence EM can learn from
        best = np.maximum(_per_case_max(resp / data.row_count, data.row_case, n_cases, 0.0), 0.0)
        confident = int((best >= 0.8).sum())
        if change < tol:
            converged = True
            break
    reason = ""
    matched_share = (expected + float(resp_outside.sum())) / max(n_cases, 1)
    if n_cases == 0 or confident < min_matches:
        reason = (f"{confident} cases with a likely child (p >= 0.8) among {n_cases:,}, "
                  f"at least {min_matches:.0f} needed")
    elif matched_share > 0.995:
        reason = f"every case looks matched ({matched_share:.1%}): the data cannot tell matches apart"
    elif not converged:
        reason = f"EM did not converge in {max_iter} iterations"
    report = FitReport(
        accepted=not reason, reason=reason, cases=n_cases, pairs=data.pairs, expected_matches=expected,
        confident_cases=confident, share_matched=matched_share, iterations=iteration, converged=converged,
    )
    if reason:
        return model, report
    fitted = FellegiSunter.from_dict(model.to_dict())
    fitted.kind_m_ = {kind: m[j] for j, kind in enumerate(CASE_KINDS)}
    # as it is saved and stored (m to 8 decimals): a night's store, export and a replay with --model-out's
    # file then score what screen scored (the unrounded m differed by up to 5e-9: RANKED.csv by 1.5e-7)
    fitted = FellegiSunter.from_dict(fitted.to_dict())
    moved: list[tuple[str, str, float, float]] = []
    for kind in CASE_KINDS:
        before, after = model.kind_weights(kind), fitted.kind_weights(kind)
        moved.extend(
            (f"{name} ({kind})", LEVEL_LABELS[name][level], float(before[k][level]), float(after[k][level]))
            for k, name in enumerate(spec.comparisons) for level in range(len(LEVEL_LABELS[name]))
            if abs(float(after[k][level] - before[k][level])) >= 1.0
        )
    moved.sort(key=lambda item: -abs(item[3] - item[2]))
    return fitted, FitReport(
        accepted=True, reason="", cases=n_cases, pairs=data.pairs, expected_matches=expected,
        confident_cases=confident, share_matched=matched_share, iterations=iteration, converged=converged,
        moved=tuple(moved),
    )
