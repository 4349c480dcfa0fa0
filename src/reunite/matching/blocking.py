"""Blocking: which (case, candidate) pairs are compared at all, chunk by chunk.

Candidates sit in blocking order (sex, then birth day), so a case's birth window is one contiguous
range per compatible sex, found by binary search; name passes look values up in a sorted index.
Every pass is a predicate, and a later pass keeps only pairs that no earlier pass holds, so the
union has no duplicates without a global ``unique``. Pairs are produced in chunks of whole cases,
never all at once: memory stays flat as the candidate count grows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reunite._codes import distinct
from reunite._typing import I64, B
from reunite.i18n import Language, text
from reunite.matching.prepare import Prepared
from reunite.matching.spec import BlockingPass, BlockingSpec

__all__ = [
    "WINDOW_PASSES", "BlockPlan", "BlockingPreview", "PairChunk", "block", "case_birth_interval", "counted_spans",
    "in_pass", "late_registered", "plan", "preview",
]


_UNBOUNDED = np.int64(1) << 40
WINDOW_PASSES = ("birth_window", "late_window")  # passes over candidates sorted by birth day
_COMPATIBLE = {0: (0, 1, 2), 1: (0, 1), 2: (0, 2)}


@dataclass(frozen=True, slots=True)
class PairChunk:
    """Pairs of whole cases: ``case`` indexes the case table, ``cand`` the prepared candidates."""

    case: I64
    cand: I64
    cases: I64  # the cases this chunk covers (all their pairs are in it)
    pass_sizes: tuple[int, ...]  # pairs added by each pass, in pass order (they are concatenated)

    def __len__(self) -> int:
        return int(self.case.shape[0])

    def without(self, excluded: I64 | None, n_candidates: int) -> tuple[I64, I64]:
        """The chunk's (case, cand) pairs less those whose key ``case * n_candidates + cand`` is in
        ``excluded`` (sorted keys of pairs DNA has excluded)."""
        if excluded is None or not excluded.size or not self.case.size:
            return self.case, self.cand
        keep = ~np.isin(self.case * n_candidates + self.cand, excluded)
        return self.case[keep], self.cand[keep]


@dataclass(frozen=True, slots=True)
class BlockingPreview:
    """Pair counts before a run: per pass (after removing pairs of earlier passes) and in total."""

    pairs_per_pass: dict[str, int]
    n_cases: int
    n_candidates: int

    @property
    def total(self) -> int:
        return sum(self.pairs_per_pass.values())

    @property
    def reduction_ratio(self) -> float:
        full = self.n_cases * self.n_candidates
        return 1.0 - self.total / full if full else 0.0

    def format(self, lang: Language = "en") -> str:
        lines = [text(lang, "preview_head", cases=self.n_cases, candidates=self.n_candidates)]
        for name, count in self.pairs_per_pass.items():
            lines.append(f"  {name:<16}{count:>16,}")
        lines.append(f"  {text(lang, 'preview_total'):<16}{self.total:>16,}  "
                     f"({text(lang, 'preview_ratio')} {self.reduction_ratio:.6f})")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class _Ranges:
    """Candidate ranges per case for one pass: positions ``start .. start+length`` of ``index``."""

    case: I64
    start: I64
    length: I64
    index: I64 | None  # positions -> prepared candidate; None means identity
    exact: B | None = None  # per range: every pair in it satisfies the pass (no per-pair check)


def _case_birth_interval(prep: Prepared, spec: BlockingSpec) -> tuple[I64, I64]:
    """Case birth interval for blocking; from the missing date when no birth date; else unbounded."""
    cases = prep.cases
    lo = cases.birth_lo.astype(np.int64)
    hi = cases.birth_hi.astype(np.int64)
    from_event = ~cases.birth_known & cases.event_known
    lo = np.where(from_event, cases.event_lo.astype(np.int64) - spec.missing_age_days, lo)
    hi = np.where(from_event, cases.event_hi.astype(np.int64), hi)
    unknown = ~cases.birth_known & ~cases.event_known
    lo = np.where(unknown, -_UNBOUNDED, lo)
    hi = np.where(unknown, _UNBOUNDED, hi)
    return lo, hi


def case_birth_interval(prep: Prepared, spec: BlockingSpec) -> tuple[I64, I64]:
    """Each case's birth interval as blocking reads it (routing cases to shards uses the same)."""
    return _case_birth_interval(prep, spec)


def _birth_ranges(prep: Prepared, spec: BlockingSpec) -> _Ranges:
    """Per case and compatible sex, the run of candidates whose birth interval is near enough.

    Candidates of one sex sit as two runs sorted by birth day (see ``prepare``): births known to
    the day, whose binary-searched range is exactly the window, and births known as intervals,
    whose range is widened by the widest interval and checked pair by pair.
    """
    cand = prep.candidates
    case_lo, case_hi = _case_birth_interval(prep, spec)
    margin = spec.birth_margin_days
    parts_case, parts_start, parts_len, parts_exact = [], [], [], []
    day_precise = cand.birth_known & (cand.birth_hi == cand.birth_lo)
    for sex in (0, 1, 2):
        compatible = np.isin(prep.cases.sex, [s for s, ok in _COMPATIBLE.items() if sex in ok])
        rows = np.flatnonzero(compatible)
        for precise in (True, False):
            segment = np.flatnonzero((cand.sex == sex) & cand.birth_known & (day_precise == precise))
            if segment.size == 0:
                continue
            first = int(segment[0])
            lo_sorted = cand.birth_lo[segment].astype(np.int64)
            width = 0 if precise else int((cand.birth_hi[segment].astype(np.int64) - lo_sorted).max())
            start = np.searchsorted(lo_sorted, case_lo[rows] - margin - width, side="left")
            end = np.searchsorted(lo_sorted, case_hi[rows] + margin, side="right")
            parts_case.append(rows.astype(np.int64))
            parts_start.append(start.astype(np.int64) + first)
            parts_len.append((end - start).astype(np.int64))
            parts_exact.append(np.full(rows.size, precise))
    return _concat_ranges(parts_case, parts_start, parts_len, None, parts_exact)


def late_registered(prep: Prepared, spec: BlockingSpec, cand: I64 | None = None) -> B:
    """Whether each prepared candidate (``cand``, or every one) was registered at least ``late_days``
    after its registered birth: the candidates of the ``late_window`` pass."""
    d = prep.candidates
    pick = slice(None) if cand is None else cand
    delay = d.event_lo[pick].astype(np.int64) - d.birth_hi[pick]
    out: B = d.event_known[pick] & d.birth_known[pick] & (delay >= spec.late_days)
    return out


def _late_ranges(prep: Prepared, spec: BlockingSpec) -> _Ranges:
    """Per case and compatible sex, the late-registered candidates born within ``late_margin_days``:
    runs of an index sorted by (sex, precision, birth day); births known to the day make exact runs,
    the others are checked pair by pair (their intervals vary in width)."""
    cand = prep.candidates
    case_lo, case_hi = _case_birth_interval(prep, spec)
    late = late_registered(prep, spec)
    day_precise = cand.birth_hi == cand.birth_lo
    parts_case, parts_start, parts_len, parts_exact, index_parts = [], [], [], [], []
    offset = 0
    for sex in (0, 1, 2):
        rows = np.flatnonzero(np.isin(prep.cases.sex, [s for s, ok in _COMPATIBLE.items() if sex in ok]))
        for precise in (True, False):
            segment = np.flatnonzero(late & (cand.sex == sex) & (day_precise == precise))
            if segment.size == 0:
                continue
            segment = segment[np.argsort(cand.birth_lo[segment], kind="stable")]
            lo_sorted = cand.birth_lo[segment].astype(np.int64)
            width = int((cand.birth_hi[segment].astype(np.int64) - lo_sorted).max())
            start = np.searchsorted(lo_sorted, case_lo[rows] - spec.late_margin_days - width, side="left")
            end = np.searchsorted(lo_sorted, case_hi[rows] + spec.late_margin_days, side="right")
            parts_case.append(rows.astype(np.int64))
            parts_start.append(start.astype(np.int64) + offset)
            parts_len.append((end - start).astype(np.int64))
            parts_exact.append(np.full(rows.size, precise))
            index_parts.append(segment.astype(np.int64))
            offset += segment.size
    index = np.concatenate(index_parts) if index_parts else np.zeros(0, dtype=np.int64)
    return _concat_ranges(parts_case, parts_start, parts_len, index, parts_exact)


def _name_ranges(case_codes: I64, cand_codes: I64, common: I64) -> _Ranges:
    """Ranges of candidates sharing a code with a case (any slots), skipping too-common codes."""
    n_slots = cand_codes.shape[1]
    flat = cand_codes.ravel()
    owner = np.repeat(np.arange(cand_codes.shape[0], dtype=np.int64), n_slots)
    valid = flat >= 0
    flat, owner = flat[valid], owner[valid]
    order = np.argsort(flat, kind="stable")
    sorted_codes, index = flat[order], owner[order]
    rows = np.repeat(np.arange(case_codes.shape[0], dtype=np.int64), case_codes.shape[1])
    codes = case_codes.ravel()
    keep = codes >= 0
    rows, codes = rows[keep], codes[keep]
    start = np.searchsorted(sorted_codes, codes, side="left")
    end = np.searchsorted(sorted_codes, codes, side="right")
    length = end - start
    if common.size:
        length[np.isin(codes, common)] = 0
    return _concat_ranges([rows], [start.astype(np.int64)], [length.astype(np.int64)], index)


def _concat_ranges(
    cases: list[I64], starts: list[I64], lengths: list[I64], index: I64 | None, exact: list[B] | None = None
) -> _Ranges:
    if not cases:
        empty = np.zeros(0, dtype=np.int64)
        return _Ranges(empty, empty, empty, index)
    case = np.concatenate(cases)
    start = np.concatenate(starts)
    length = np.concatenate(lengths)
    nonempty = length > 0
    order = np.argsort(case[nonempty], kind="stable")
    exact_flags = np.concatenate(exact)[nonempty][order] if exact else None
    return _Ranges(case[nonempty][order], start[nonempty][order], length[nonempty][order], index, exact_flags)


@dataclass(frozen=True, slots=True)
class _Context:
    """What the pass predicates need, computed once per blocking run rather than once per chunk."""

    case_lo: I64
    case_hi: I64
    common_pinyin: I64         # given-name pinyin codes too common to block on
    case_county_keys: I64      # [cases, slots] surname pinyin x county, -1 unknown
    cand_county_keys: I64      # [candidates, slots]
    common_county_keys: I64


def _context(prep: Prepared, spec: BlockingSpec, *, county: bool = True) -> _Context:
    """The predicates' inputs; the surname-and-county keys only when ``county`` (they cost a sort)."""
    lo, hi = _case_birth_interval(prep, spec)
    none = np.zeros((0, 1), dtype=np.int64)
    cand_keys = _county_keys(prep.candidates.surname_py, prep.candidates.county) if county else none
    return _Context(
        case_lo=lo,
        case_hi=hi,
        common_pinyin=np.flatnonzero(prep.pinyin_freq > spec.max_name_share).astype(np.int64),
        case_county_keys=_county_keys(prep.cases.surname_py, prep.cases.county) if county else none,
        cand_county_keys=cand_keys,
        common_county_keys=_too_common(cand_keys, spec.max_name_block) if county else none[:, 0],
    )


def _ranges(prep: Prepared, name: BlockingPass, spec: BlockingSpec, context: _Context) -> _Ranges:
    if name == "birth_window":
        return _birth_ranges(prep, spec)
    if name == "given_pinyin":
        return _name_ranges(prep.cases.given_py.astype(np.int64), prep.candidates.given_py.astype(np.int64),
                            context.common_pinyin)
    if name == "late_window":
        return _late_ranges(prep, spec)
    return _name_ranges(context.case_county_keys, context.cand_county_keys, context.common_county_keys)


def _county_keys(surname_py: npt.NDArray[np.int32], county: npt.NDArray[np.int32]) -> I64:
    keys = surname_py.astype(np.int64) * 1_000_000 + county.astype(np.int64)[:, None]
    keys[(surname_py < 0) | (county[:, None] <= 0)] = -1
    return keys


def in_pass(
    prep: Prepared, spec: BlockingSpec, name: BlockingPass, case: I64, cand: I64,
    context: _Context | None = None,
) -> B:
    """Whether each pair satisfies a pass's predicate (the brute-force definition of the pass).

    Every pass requires compatible sexes (unknown matches both): a girl's case never proposes a boy.
    """
    context = context or _context(prep, spec)
    c, d = prep.cases, prep.candidates
    cs, ds = c.sex[case], d.sex[cand]
    sex_ok: B = (cs == 0) | (ds == 0) | (cs == ds)
    if name == "birth_window":
        gap = np.maximum(context.case_lo[case], d.birth_lo[cand].astype(np.int64)) - np.minimum(
            context.case_hi[case], d.birth_hi[cand].astype(np.int64)
        )
        return sex_ok & d.birth_known[cand] & (gap <= spec.birth_margin_days)
    if name == "given_pinyin":
        return sex_ok & _share_code(c.given_py[case], d.given_py[cand], context.common_pinyin)
    if name == "late_window":
        gap = np.maximum(context.case_lo[case], d.birth_lo[cand].astype(np.int64)) - np.minimum(
            context.case_hi[case], d.birth_hi[cand].astype(np.int64)
        )
        return sex_ok & late_registered(prep, spec, cand) & (gap <= spec.late_margin_days)
    return sex_ok & _share_code(
        context.case_county_keys[case], context.cand_county_keys[cand], context.common_county_keys
    )


def _too_common(keys: I64, limit: int) -> I64:
    """Keys carried by more than ``limit`` candidates (each candidate counted once per key)."""
    owner = np.repeat(np.arange(keys.shape[0], dtype=np.int64), keys.shape[1])
    flat = keys.ravel()
    valid = flat >= 0
    pairs = np.unique(np.stack([flat[valid], owner[valid]], axis=1), axis=0)
    values, counts = np.unique(pairs[:, 0], return_counts=True)
    return values[counts > limit].astype(np.int64)


def _share_code(a: npt.NDArray[np.int32] | I64, b: npt.NDArray[np.int32] | I64, common: I64) -> B:
    """Whether the two records share a code (any slots) that is not too common."""
    out = np.zeros(a.shape[0], dtype=bool)
    for i in range(a.shape[1]):
        ai = a[:, i]
        ok = ai >= 0
        if common.size:
            ok &= ~np.isin(ai, common)
        for j in range(b.shape[1]):
            out |= ok & (ai == b[:, j])
    return out


def range_positions(start: I64, length: I64) -> I64:
    """The positions ``start[i] .. start[i] + length[i] - 1`` of every range, one range after another.

    >>> range_positions(np.array([5, 0]), np.array([2, 3])).tolist()
    [5, 6, 0, 1, 2]
    """
    total = int(length.sum())
    out: I64 = np.repeat(start - (np.cumsum(length) - length), length) + np.arange(total, dtype=np.int64)
    return out


def _expand(r: _Ranges, sel: slice) -> tuple[I64, I64, I64 | None]:
    """The pairs of the selected ranges, and the rows of ranges that are not exact (None: all are)."""
    case, start, length = r.case[sel], r.start[sel], r.length[sel]
    total = int(length.sum())
    if total == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, None
    case_rep = np.repeat(case, length)
    pos = range_positions(start, length)
    cand = pos if r.index is None else r.index[pos]
    if r.exact is None:
        return case_rep, cand, np.arange(total, dtype=np.int64)
    exact = r.exact[sel]
    if exact.all():
        return case_rep, cand, None
    return case_rep, cand, np.flatnonzero(np.repeat(~exact, length))


@dataclass(frozen=True)
class BlockPlan:
    """Where each chunk of cases lies in every pass's candidate ranges; chunks are built on demand.

    ``spans`` are the chunks' case ranges ``[first, last)``, in case order. :meth:`chunk` builds
    one chunk's pairs, so chunks can be built on several threads at once.
    """

    prep: Prepared
    spec: BlockingSpec
    context: _Context
    ranges: list[tuple[_Ranges, BlockingPass]]
    bounds: list[I64]  # per pass: where each case's ranges begin
    spans: list[tuple[int, int]]

    def chunk(self, first: int, last: int, *, exact_windows: bool = True) -> PairChunk:
        """The pairs of cases ``first .. last - 1`` from every pass, their union without duplicates.

        With ``exact_windows=False`` the exact ranges of the birth-window passes (candidates whose
        birth is known to the day, :data:`WINDOW_PASSES`) are left out: :mod:`reunite.matching.prune`
        accounts for those pairs without listing them. Later passes still drop the pairs they hold.
        """
        prep, spec, context = self.prep, self.spec, self.context
        cases_out, cands_out = [], []
        for k, ((r, name), bound) in enumerate(zip(self.ranges, self.bounds, strict=True)):
            selected = slice(int(bound[first]), int(bound[last]))
            if not exact_windows and name in WINDOW_PASSES and r.exact is not None:
                loose_rows = np.arange(selected.start, selected.stop)[~r.exact[selected]]
                r = _Ranges(r.case[loose_rows], r.start[loose_rows], r.length[loose_rows], r.index,
                            r.exact[loose_rows])
                selected = slice(None)
            case, cand, loose = _expand(r, selected)
            keep: B | None = None
            if loose is not None and loose.size:
                keep = np.ones(case.shape[0], dtype=bool)
                keep[loose] = in_pass(prep, spec, name, case[loose], cand[loose], context)
            for earlier in spec.passes[:k]:  # each predicate only on the pairs still kept
                rows = np.arange(case.shape[0]) if keep is None else np.flatnonzero(keep)
                if keep is None:
                    keep = np.ones(case.shape[0], dtype=bool)
                keep[rows] = ~in_pass(prep, spec, earlier, case[rows], cand[rows], context)
            if keep is not None:
                case, cand = case[keep], cand[keep]
            if name in ("given_pinyin", "surname_county") and case.size:  # a candidate's names may repeat a code
                key = distinct(case * len(prep.candidates) + cand)
                case, cand = key // len(prep.candidates), key % len(prep.candidates)
            cases_out.append(case)
            cands_out.append(cand)
        return PairChunk(
            case=np.concatenate(cases_out),
            cand=np.concatenate(cands_out),
            cases=np.arange(first, last, dtype=np.int64),
            pass_sizes=tuple(int(c.size) for c in cases_out),
        )


def counted_spans(blocks: BlockPlan, exact_weight: float) -> list[tuple[int, int]]:
    """Spans of cases for a scorer that lists only a share ``exact_weight`` of the exact window pairs
    (:mod:`reunite.matching.prune`): each span holds about ``chunk_pairs`` listed pairs, at most 16
    times the cases of a plain span."""
    n_cases = len(blocks.prep.cases)
    per_case = np.zeros(n_cases, dtype=np.float64)
    for r, name in blocks.ranges:
        weight = np.ones(r.length.size)
        if name in WINDOW_PASSES and r.exact is not None:
            weight[r.exact] = exact_weight
        np.add.at(per_case, r.case, r.length * weight)
    limit = float(blocks.spec.chunk_pairs)
    total = np.r_[0.0, np.cumsum(per_case)]
    spans: list[tuple[int, int]] = []
    merged = 0
    for first, last in blocks.spans:  # plain spans, merged while the listed pairs stay under the limit
        if spans and merged < 16 and total[last] - total[spans[-1][0]] <= limit:
            spans[-1] = (spans[-1][0], last)
            merged += 1
        else:
            spans.append((first, last))
            merged = 1
    return spans


def plan(prep: Prepared, spec: BlockingSpec) -> BlockPlan:
    """Every pass's candidate ranges, and chunks of whole cases of at most ``spec.chunk_pairs``
    candidate pairs before filtering (unless one case alone has more)."""
    context = _context(prep, spec, county="surname_county" in spec.passes)
    ranges = [(_ranges(prep, name, spec, context), name) for name in spec.passes]
    n_cases = len(prep.cases)
    per_case = np.zeros(n_cases, dtype=np.int64)
    for r, _ in ranges:
        np.add.at(per_case, r.case, r.length)
    bounds = [np.searchsorted(r.case, np.arange(n_cases + 1), side="left") for r, _ in ranges]
    cumulative = np.cumsum(per_case)
    spans = []
    first = 0
    while first < n_cases:
        base = cumulative[first - 1] if first else 0
        last = int(np.searchsorted(cumulative, base + spec.chunk_pairs, side="right"))
        last = min(max(last, first + 1), n_cases)
        spans.append((first, last))
        first = last
    return BlockPlan(prep, spec, context, ranges, bounds, spans)


def block(prep: Prepared, spec: BlockingSpec) -> Iterator[PairChunk]:
    """Yield chunks of whole cases with their pairs from every pass, union without duplicates."""
    blocking = plan(prep, spec)
    for first, last in blocking.spans:
        yield blocking.chunk(first, last)


def preview(prep: Prepared, spec: BlockingSpec) -> BlockingPreview:
    """Count the pairs each pass adds, without scoring them."""
    counts: dict[str, int] = dict.fromkeys(spec.passes, 0)
    for chunk in block(prep, spec):
        for name, size in zip(spec.passes, chunk.pass_sizes, strict=True):
            counts[name] += size
    return BlockingPreview(counts, len(prep.cases), len(prep.candidates))
