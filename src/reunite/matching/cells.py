"""The index that lets a birth window be counted instead of scored (:mod:`reunite.matching.prune`).

Candidates whose birth is known to the day sit, in prepared order, in runs of one sex and birth day.
Each gets a *class*: the facts of its own that fix its levels against a case when it shares no other
evidence with it (has a given name, has a surname, place known, province, registration delay band,
birthday known: each comparison declares those it reads, ``Pruning.facts``), and whether it is
late-registered. ``CellIndex.cum`` counts the classes over the runs cumulatively, so the count of any
class over any stretch of days is one subtraction. Candidates that a case's loss moves out of their
cell by a day of their own (``Pruning.counted_moves``: registered late, after the loss) are counted the
same way by band of that day (``CellIndex.move_above``). Sorted postings (an inverted index keyed
``code * n + position``, declared by the comparisons that look them up: ``Pruning.postings``) find the
candidates that do share evidence with a case. Nothing here names a comparison.

:func:`counted_factor_sums` adds ``count * 2**score`` to exact sums of Bayes factors
(:mod:`reunite.matching.exact`) without repeating the terms.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt

from reunite._codes import distinct
from reunite._typing import F32, I32, I64, B
from reunite.errors import ConfigError
from reunite.matching.comparisons import REGISTRY
from reunite.matching.comparisons.base import CandidateFact, CountedMoves, Postings
from reunite.matching.engine import DEFAULT_LIMITS, EngineLimits
from reunite.matching.exact import OFFSET, SCORE_LIMIT
from reunite.matching.prepare import Prepared
from reunite.matching.spec import BlockingSpec, ComparisonSpec

__all__ = ["MOVES", "CellIndex", "cell_index", "counted_factor_sums", "counted_moves", "day_key", "distinct",
           "distinct_inverse"]

@dataclass(frozen=True)
class CellIndex:
    """What counting a window needs, built once per screen.

    Candidates whose birth is known to the day sit in runs of one sex and birth day (prepared order).
    ``cum[r, c]``: candidates of class ``c`` in runs ``0 .. r - 1``. A class is the candidate facts
    the screened comparisons declare (:class:`~reunite.matching.comparisons.base.CandidateFact`), read
    per class with :meth:`fact`, and whether the candidate is late-registered (the ``late_window``
    pass). Postings are sorted keys ``code * n + position`` of the candidates known to the day, one set
    per :class:`~reunite.matching.comparisons.base.Postings` of the screened comparisons.
    """

    run_start: I64          # per run: first position
    run_stop: I64           # per run: one past its last position
    run_day: I64            # per run: the birth day
    run_key: I64            # per run: sex and birth day in one sorted key (:func:`day_key`)
    sex_runs: tuple[tuple[int, int], ...]  # per candidate sex 0, 1, 2: its runs [a, b)
    cls: I32                # per candidate: its class (-1: birth not known to the day)
    run_of: I32             # per candidate: its run (-1: birth not known to the day)
    late: B                 # per candidate: registered late enough for the late_window pass
    cum: npt.NDArray[np.int32]  # (runs + 1, classes)
    is_late: B              # per class: its candidates are ``late``
    facts: dict[str, I64]   # per candidate fact, by name: per class, its value
    postings: dict[str, I64]       # per postings, by name: the sorted keys
    late_postings: dict[str, I64]  # the same postings of the candidates of the late_window pass alone
    # counted moves (``Pruning.counted_moves``): the candidates of the classes that may move, in order of
    # class and then of position, by band of their day; their postings ``band * n + position`` are MOVES
    move_classes: B           # per class: its candidates may move
    move_offset: I64          # per class: its first candidate's place in that order
    move_edges: I64           # the days where bands begin (a day's band: ``searchsorted(move_edges, day, "right")``)
    move_band: npt.NDArray[np.int16]  # per candidate: the band of its day (-1: its class does not move)
    move_above: I32           # (moving candidates + 1, bands): of the first ``j``, those of a band above ``q``

    def fact(self, name: str, cls: I64) -> I64:
        """The candidate fact ``name`` of the classes ``cls``."""
        values = self.facts.get(name)
        if values is None:
            raise ConfigError(f"no candidate fact {name!r} in the cell index: declare it in Pruning.facts")
        out: I64 = values[cls]
        return out

    def keys(self, name: str, late: bool) -> I64:
        """The sorted keys of the postings ``name`` (``late``: of the late_window pass's candidates)."""
        found = (self.late_postings if late else self.postings).get(name)
        if found is None:
            raise ConfigError(f"no postings {name!r} in the cell index: declare them in Pruning.postings")
        return found


#: the postings of the candidates whose class may move, coded by the band of their day (counted moves)
MOVES = "moves"
_MOVE_BANDS = 256  # at most (bands are chosen by the days' quantiles: each holds about as many candidates)


def counted_moves(cspec: ComparisonSpec) -> CountedMoves | None:
    """The counted moves of the comparisons of ``cspec`` (at most one comparison moves candidates)."""
    found = [REGISTRY[name].pruning.counted_moves for name in cspec.comparisons]
    declared = [moves for moves in found if moves is not None]
    if len(declared) > 1:
        raise ConfigError("comparisons: at most one may move candidates out of their cells")
    return declared[0] if declared else None


_DAY_SPAN = 1 << 39


def day_key(sex: I64, day: I64) -> I64:
    """One sorted key for (sex, day) of runs: the prepared order (days clipped to +-2**39)."""
    key: I64 = np.asarray(sex, dtype=np.int64) * (4 * _DAY_SPAN) + (
        np.clip(np.asarray(day, dtype=np.int64), -_DAY_SPAN + 1, _DAY_SPAN - 1) + _DAY_SPAN)
    return key


_RADIX_RUNS = 8


def _postings(codes: npt.NDArray[np.integer[Any]], positions: I64, n: int) -> I64:
    """Sorted distinct ``code * n + position`` of the known codes.

    Positions come in a few ascending runs (one per name slot, or one): with codes below 2**16 each
    run is ordered by a stable sort of its codes as 16-bit keys (a radix sort, linear), which leaves
    it sorted by (code, position), and the runs are merged; else all keys are sorted at once. Same
    values either way (0.31 -> 0.16 s of CPU for the 7 postings of a million candidates).
    """
    keep = codes >= 0
    known, at = codes[keep], positions[keep]
    starts = np.flatnonzero(np.r_[True, at[1:] <= at[:-1]]) if at.size else at
    if not known.size or int(known.max()) >= 1 << 16 or starts.size > _RADIX_RUNS:
        return distinct(known.astype(np.int64) * n + at)
    bounds = np.r_[starts, at.size]
    runs = []
    for first, stop in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        order = np.argsort(known[first:stop].astype(np.uint16), kind="stable")
        runs.append(known[first:stop].astype(np.int64)[order] * n + at[first:stop][order])
    # a run holds a position once, so its keys are distinct; runs may share keys
    return runs[0] if len(runs) == 1 else distinct(np.concatenate(runs), runs=True)


def distinct_inverse(values: I64) -> tuple[I64, I64]:
    """Sorted distinct values and each value's position among them."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    new = np.r_[True, ordered[1:] != ordered[:-1]] if ordered.size else np.zeros(0, dtype=bool)
    inverse = np.empty(values.size, dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return ordered[new], inverse


def _declared(cspec: ComparisonSpec) -> tuple[list[CandidateFact], list[Postings]]:
    """The candidate facts and postings the comparisons of ``cspec`` declare (``Pruning.facts`` and
    ``Pruning.postings``), each once, in the order of the comparisons; one name, one object."""
    facts: dict[str, CandidateFact] = {}
    postings: dict[str, Postings] = {}
    for name in cspec.comparisons:
        pruning = REGISTRY[name].pruning
        for fact in pruning.facts:
            if facts.setdefault(fact.name, fact) is not fact:
                raise ConfigError(f"comparison {name}: another candidate fact is already named {fact.name!r}")
        for posting in pruning.postings:
            if postings.setdefault(posting.name, posting) is not posting:
                raise ConfigError(f"comparison {name}: other postings are already named {posting.name!r}")
    return list(facts.values()), list(postings.values())


def cell_index(prep: Prepared, cspec: ComparisonSpec, bspec: BlockingSpec, *,
               limits: EngineLimits = DEFAULT_LIMITS) -> CellIndex | None:
    """The :class:`CellIndex` of prepared data for the comparisons of ``cspec`` (``None`` when its
    count table, runs x classes, would have more than ``limits.count_cells`` cells)."""
    d = prep.candidates
    n = len(d)
    precise = d.birth_known & (d.birth_lo == d.birth_hi)
    pos = np.flatnonzero(precise).astype(np.int64)
    day = d.birth_lo[pos].astype(np.int64)
    sex = d.sex[pos].astype(np.int64)
    new_run = np.r_[True, (day[1:] != day[:-1]) | (sex[1:] != sex[:-1]) | (pos[1:] != pos[:-1] + 1)] \
        if pos.size else np.zeros(0, dtype=bool)
    starts = np.flatnonzero(new_run)
    run_start = pos[starts]
    run_stop = np.r_[pos[starts[1:] - 1] + 1, pos[-1] + 1] if pos.size else np.zeros(0, dtype=np.int64)
    run_day = day[starts]
    run_sex = sex[starts]
    sex_runs = tuple((int(np.searchsorted(run_sex, s, "left")), int(np.searchsorted(run_sex, s, "right")))
                     for s in (0, 1, 2))
    late = d.event_known & d.birth_known & (d.event_lo.astype(np.int64) - d.birth_hi >= bspec.late_days)
    facts, declared_postings = _declared(cspec)
    parts: list[tuple[str, int, Callable[[], npt.NDArray[Any]]]] = [
        *((fact.name, fact.width, partial(fact.of, prep, cspec, pos)) for fact in facts),
        ("", 2, lambda: late[pos]),  # the late_window pass's candidates: a blocking fact, not a comparison's
    ]
    key = np.zeros(pos.size, dtype=np.int64)
    for name, width, values_of in parts:
        # one fact at a time: all of them stacked as int64 for every candidate, and a copy, were 112
        # bytes a candidate at once (3.4 GB of a 20 M screen's peak)
        values = np.asarray(values_of()).astype(np.int64)
        if values.size and (int(values.min()) < 0 or int(values.max()) >= width):
            raise ConfigError(f"candidate fact {name}: values outside 0 .. {width - 1}")
        key = key * width + values
    import pandas as pd  # loaded by the screens that prune, not by a night's small delta screens

    codes, uniques = pd.factorize(key, sort=True)
    n_classes = int(uniques.size)
    if not run_start.size or (run_start.size + 1) * max(n_classes, 1) > limits.count_cells:
        return None
    cls = np.full(n, -1, dtype=np.int32)
    cls[pos] = codes
    run_of = np.cumsum(new_run) - 1
    run_of_position = np.full(n, -1, dtype=np.int32)
    run_of_position[pos] = run_of
    counts = np.bincount(run_of * n_classes + codes, minlength=run_start.size * n_classes)
    cum = np.zeros((run_start.size + 1, n_classes), dtype=np.int32)
    np.cumsum(counts.reshape(run_start.size, n_classes), axis=0, out=cum[1:])
    decode = np.asarray(uniques, dtype=np.int64)
    per_class: dict[str, I64] = {}
    for name, width, _ in parts[::-1]:
        per_class[name] = decode % width
        decode = decode // width
    is_late = per_class.pop("").astype(bool)
    postings = {posting.name: _postings(*posting.codes(prep, cspec, pos), n) for posting in declared_postings}
    moves = _move_table(prep, cspec, counted_moves(cspec), per_class, cls, cum[-1], limits)
    postings[MOVES] = moves.pop("postings")
    late_postings = {name: values[late[values % n]] for name, values in postings.items()}
    return CellIndex(
        run_start=run_start, run_stop=run_stop, run_day=run_day, run_key=day_key(run_sex, run_day),
        sex_runs=sex_runs, cls=cls, run_of=run_of_position, late=late, cum=cum, is_late=is_late,
        facts={fact.name: per_class[fact.name] for fact in facts}, postings=postings, late_postings=late_postings,
        **moves,
    )


def _move_table(prep: Prepared, cspec: ComparisonSpec, moves: CountedMoves | None, per_class: dict[str, I64],
                cls: I32, class_sizes: npt.NDArray[np.int32], limits: EngineLimits) -> dict[str, Any]:
    """The :class:`CellIndex` fields of counted moves, and their postings (``"postings"``).

    The moving candidates are ordered by class, then position, so that those of class ``c`` in runs
    ``0 .. r - 1`` are the first ``cum[r, c]`` from ``move_offset[c]``: a stretch's count of a band range is
    two reads of ``move_above``. Bands follow the days' quantiles, as many as ``limits.move_cells``
    allows (a band holding a case's edge is listed one by one: the narrower, the fewer).
    """
    n = cls.size
    n_classes = class_sizes.size
    moving = (np.isin(per_class[moves.fact], moves.values) if moves is not None
              else np.zeros(n_classes, dtype=bool))
    sizes = np.where(moving, class_sizes, 0).astype(np.int64)
    offset = np.cumsum(sizes) - sizes
    at = np.flatnonzero((cls >= 0) & moving[np.maximum(cls, 0)])
    at = at[np.argsort(cls[at], kind="stable")]  # by class, then position
    days = (np.asarray(moves.day(prep, cspec, at), dtype=np.int64) if moves is not None
            else np.zeros(0, dtype=np.int64))
    wanted = max(1, min(_MOVE_BANDS, limits.move_cells // (at.size + 1)))
    ordered = np.sort(days)
    edges = np.unique(ordered[(np.arange(1, wanted) * ordered.size) // wanted]) if ordered.size else ordered
    band = np.searchsorted(edges, days, "right")
    n_bands = edges.size + 1
    # of the first j moving candidates, those of each band, then of the bands up to q, then above q
    above = np.zeros((at.size + 1, n_bands), dtype=np.int32)
    above[np.arange(1, at.size + 1), band] = 1
    np.cumsum(above, axis=0, out=above)
    np.cumsum(above, axis=1, out=above)
    np.subtract(np.arange(at.size + 1, dtype=np.int32)[:, None], above, out=above)
    move_band = np.full(n, -1, dtype=np.int16)
    move_band[at] = band
    return {"move_classes": moving, "move_offset": offset, "move_edges": edges, "move_band": move_band,
            "move_above": above, "postings": distinct(band.astype(np.int64) * n + at)}


# -- exact sums of counted terms ---------------------------------------------------------------------

_COUNT_BLOCK = 1 << 18  # cells per bincount: each part below 2**34, so a bin's float64 sum stays exact
_COUNT_BINS = 1 << 22  # (group, exponent) bins counted directly up to this many; beyond, the occupied ones sorted


def counted_factor_sums(group: I64, score: F32, count: I64, n_groups: int) -> list[int]:
    """Per group, ``sum(count * 2**score) * 2**OFFSET`` exactly: :func:`reunite.matching.exact.factor_sums`
    of every score repeated ``count`` times, without repeating them.

    >>> from reunite.matching.exact import factor_sums
    >>> s = np.array([3.0, -1.25, 0.1], dtype=np.float32)
    >>> counted_factor_sums(np.array([0, 0, 1]), s, np.array([2, 5, 3]), 2) == factor_sums(
    ...     np.array([0, 0, 0, 0, 0, 0, 0, 1, 1, 1]), np.repeat(s, [2, 5, 3]), 2)
    True
    """
    totals = [0] * n_groups
    for first in range(0, group.shape[0], _COUNT_BLOCK):
        block = slice(first, first + _COUNT_BLOCK)
        _add_counted(totals, group[block], score[block], count[block])
    return totals


def _add_counted(totals: list[int], group: I64, score: F32, count: I64) -> None:
    if not group.shape[0]:
        return
    terms = np.exp2(np.clip(np.asarray(score, dtype=np.float64), -SCORE_LIMIT, SCORE_LIMIT))
    mantissa, exponent = np.frexp(terms)
    whole = (mantissa * float(1 << 53)).astype(np.int64)  # the 53-bit mantissa, exactly
    lowest, width = int(exponent.min()), int(exponent.max()) - int(exponent.min()) + 1
    key = group.astype(np.int64) * width + (exponent - lowest)
    bins = (int(group.max()) + 1) * width
    direct = bins <= _COUNT_BINS  # a span's few cases: every (case, exponent) a bin, the occupied ones read
    if direct:                    # (a bincount, where numbering the occupied ones took a sort of every cell)
        occupied = np.flatnonzero(np.bincount(key, minlength=bins))
    else:
        occupied, key = distinct_inverse(key)
        bins = occupied.size
    count = count.astype(np.int64)
    # the bins' integers are put together as Python integers in object arrays (numpy loops over them
    # in C), then added up per group: integer sums, so the order does not matter
    value = np.zeros(occupied.size, dtype=object)
    for j in range(2 if int(count.max()) >> 16 else 1):  # counts of 2**16 and more: their high bits too
        c_part = ((count >> (16 * j)) & ((1 << 16) - 1)).astype(np.float64)
        for i in range(3):
            m_part = ((whole >> (18 * i)) & ((1 << 18) - 1)).astype(np.float64)
            sums = np.bincount(key, weights=m_part * c_part, minlength=bins)
            if direct:
                sums = sums[occupied]
            value += np.asarray(sums.astype(np.int64).tolist(), dtype=object) << (18 * i + 16 * j)
    owner, place = np.divmod(occupied, width)
    value <<= np.asarray((place + lowest - 53 + OFFSET).tolist(), dtype=object)
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])  # ``occupied`` is sorted: so is ``owner``
    for g, total in zip(owner[starts].tolist(), np.add.reduceat(value, starts).tolist(), strict=True):
        totals[g] += total
