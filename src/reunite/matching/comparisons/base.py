"""What a comparison is: the :class:`Comparison` every module of this package makes one of, and the
seams through which the rest of matching asks it things.

A comparison answers four questions, each with its own function:

* ``kernel``: the levels of a batch of prepared pairs (:mod:`reunite.matching.compare` holds the helpers
  the kernels share);
* ``reference``: the level of one pair from the records' strings and fields, plain Python, the
  definition the kernel is property-tested against (:mod:`reunite.matching.reference`);
* ``pruning``: how exact top-k pruning (:mod:`reunite.matching.prune`) finds the candidates that agree
  with a case at a level their cell cannot give (*hits*, through the postings it declares), and which
  level a counted cell has (from the candidate facts it declares);
* ``reason``: the text of a level and its weight.

Levels are ``IntEnum`` members named by their comparison. numpy reads an ``IntEnum`` as a 64-bit array
scalar, which turns an ``int8`` comparison or product over every pair into an ``int64`` one (4-7 times
slower); array expressions therefore take ``int(Level.X)``, a Python int that keeps ``int8`` arrays
``int8`` (stores such as ``level[mask] = Level.X`` need not).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from reunite._typing import I8, I32, I64, B
from reunite.i18n import Language
from reunite.matching.prepare import PRECISIONS

if TYPE_CHECKING:
    from reunite.matching.cells import CellIndex
    from reunite.matching.compare import Pairs
    from reunite.matching.engine import EngineLimits
    from reunite.matching.prepare import Prepared
    from reunite.matching.reference import NameRow
    from reunite.matching.spec import ComparisonSpec
    from reunite.normalize.features import RecordTable

__all__ = [
    "CandidateFact", "CellFacts", "Comparison", "CountedMoves", "DayBreaks", "HitSearch", "Kernel", "Moves", "Postings",
    "Pruning",
    "ReferencePair", "labels_of", "name_slot_fact", "name_slot_postings",
]

_Level = TypeVar("_Level", bound=IntEnum)

# (prepared data, spec, pairs, agreeing-value output or None, engine limits) -> int8 levels, -1 null; the
# limits choose how the levels are computed (lookup tables or pair by pair), never what they are
Kernel = Callable[["Prepared", "ComparisonSpec", "Pairs", "I32 | None", "EngineLimits"], I8]


@dataclass(frozen=True, slots=True)
class ReferencePair:
    """One pair as the scalar references read it: the two tables, the rows, and the values several
    comparisons read (``None``: unknown). Built by :func:`reunite.matching.reference.reference_levels`."""

    cases: RecordTable
    candidates: RecordTable
    case_row: int
    cand_row: int
    names_a: list[NameRow]
    names_b: list[NameRow]
    birth_a: tuple[int, int] | None
    birth_b: tuple[int, int] | None
    event_a: tuple[int, int] | None
    event_b: tuple[int, int] | None


class HitSearch(Protocol):
    """What a comparison's hit finder is given by :mod:`reunite.matching.prune`: the rows of a span of
    cases (``case`` per row, ``rows`` their positions) and ways to add the candidates of each row's
    windows that agree with its case, found through the postings of :class:`~reunite.matching.cells.CellIndex`."""

    prep: Prepared
    spec: ComparisonSpec
    limits: EngineLimits
    index: CellIndex
    case: I64
    rows: I64

    def add_postings(self, postings: str, row: I64, code: I64) -> None:
        """The candidates of the postings ``postings`` (the name of a comparison's :class:`Postings`)
        with code ``code`` in the windows of ``row`` (aligned arrays)."""

    def add_agreeing_codes(self, postings: str, agrees: Callable[[I64], B], case_codes: I32) -> None:
        """The candidates holding a code that agrees with a code of the row's case (``case_codes``: per
        row, its slots; -1 empty): ``agrees(codes)`` says which codes agree with each of the distinct
        case codes (case codes, every code)."""

    def add_matching(self, postings: str, values: I64, matches: Callable[[I64], B]) -> None:
        """The candidates holding a code that ``matches(distinct values)`` (distinct values, codes)
        marks for the row's ``values``."""

    def add_positions(self, positions: str, row: I64) -> None:
        """Every candidate of the postings ``positions`` (:class:`Postings` of one code, 0: a sorted
        list of positions) in the windows of ``row``."""

    def positions(self, positions: str, row: I64, days: tuple[I64, I64] | None = None,
                  code: int = 0) -> tuple[I64, I64]:
        """(row, candidate) of :meth:`add_positions`, returned instead of added; with ``days`` (per row,
        its first and last birth day, aligned with ``row``) only those born on those days; ``code``:
        of the postings' candidates with that code (keys ``code * n + position``), not 0."""

    def add_moved(self, row: I64, at: I64, level: I8) -> None:
        """Candidates ``at`` that differ from their cell in this comparison's level alone: counted in
        cells of their own, one per ``level`` (see :class:`Moves`); each pair once."""


@dataclass(frozen=True, slots=True)
class CellFacts:
    """What fixes a counted cell's levels (:mod:`reunite.matching.prune`): per cell its case, its
    class of candidate facts (read with :meth:`fact`), the day-bound levels of its stretch of birth
    days (by comparison name) and its moved level (-1: the cell is not one of moved candidates)."""

    prep: Prepared
    spec: ComparisonSpec
    index: CellIndex
    case: I64
    cls: I64
    day: dict[str, I8]
    moved: I8

    def fact(self, name: str) -> I64:
        """Per cell, the :class:`CandidateFact` ``name`` its candidates share (their class holds it)."""
        return self.index.fact(name, self.cls)


@dataclass(frozen=True, slots=True)
class CandidateFact:
    """A fact of a candidate alone that fixes a comparison's level of a counted cell (has a given name,
    its province, its registration delay band ...): one part of the candidate's class in
    :class:`~reunite.matching.cells.CellIndex`, whose candidates are counted together.

    ``of(prep, spec, at)`` gives it for the prepared candidates ``at`` (whose birth is known to the
    day) as whole numbers ``0 .. width - 1``. Facts are found by ``name``: comparisons that read the
    same fact (the places read the province) share one object, declared by each.
    """

    name: str
    width: int
    of: Callable[[Prepared, ComparisonSpec, I64], npt.NDArray[Any]]  # integers or booleans


@dataclass(frozen=True, slots=True)
class Postings:
    """Codes of candidates a comparison's hit finder looks up (:class:`HitSearch`): sorted postings
    ``code * n + position`` over the candidates known to the day, found by ``name``.

    ``codes(prep, spec, at)`` gives (codes, positions) for the prepared candidates ``at``: aligned
    arrays, a candidate appearing once per code it holds (name slots), ``-1`` codes left out. A list
    of positions is postings of one code, 0 (:meth:`HitSearch.add_positions`).
    """

    name: str
    codes: Callable[[Prepared, ComparisonSpec, I64], tuple[npt.NDArray[np.integer[Any]], I64]]


def name_slot_fact(name: str, column: str) -> CandidateFact:
    """The fact "has a name code in ``column``" (the candidates' name slots: ``given``, ``surname``)."""
    def of(prep: Prepared, spec: ComparisonSpec, at: I64) -> npt.NDArray[Any]:
        return np.asarray((getattr(prep.candidates, column)[at] >= 0).any(axis=1))
    return CandidateFact(name, 2, of)


def name_slot_postings(name: str, column: str) -> Postings:
    """Postings of every name code in ``column``, slot by slot (a candidate once per code it holds)."""
    def codes(prep: Prepared, spec: ComparisonSpec, at: I64) -> tuple[npt.NDArray[np.integer[Any]], I64]:
        slots = getattr(prep.candidates, column)
        return slots[at].T.ravel(), np.tile(at, slots.shape[1])
    return Postings(name, codes)


@dataclass(frozen=True, slots=True)
class DayBreaks:
    """Where a span's rows may change their day-bound levels, asked of each day-bound comparison:
    per row its case, and the first day of each window (breaks of a case with no birth or loss date
    are put there); ``span_lo``, ``span_hi``: the first and last day of the row's windows together."""

    prep: Prepared
    spec: ComparisonSpec
    case: I64
    window_lo: I64
    span_lo: I64
    span_hi: I64


@dataclass(frozen=True, slots=True)
class Moves:
    """Candidates that differ from their cell in one comparison's level alone (registered after the
    case's loss, or on time before it where the cell reads the birth day otherwise): ``levels`` are the
    levels they may take, each counted in cells of its own. The hit finder lists every such pair of a
    row's windows with its level (:meth:`HitSearch.add_moved`), hits among them too."""

    levels: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class CountedMoves:
    """Moved candidates (:class:`Moves`) counted by a table instead of listed pair by pair.

    The candidates of the classes whose :class:`CandidateFact` ``fact`` is one of ``values`` differ from
    their cell, against a case, by a day of their own alone (``day(prep, spec, at)``, the registration):
    on or before the case's first edge they keep their cell's level; after edge ``j`` (and on or before
    edge ``j + 1``) they take ``levels[j]``. ``edges(prep, spec, case)`` gives per case whether it has
    edges and the edges, ascending (the loss's last day, and that day plus the "soon" days).
    :class:`~reunite.matching.cells.CellIndex` cuts those days into bands and counts the candidates by band
    over its runs, so a cell's moved candidates are a few subtractions; those whose band holds an edge of
    the case are listed and moved one by one (:mod:`reunite.matching.prune`).
    """

    fact: str
    values: tuple[int, ...]
    day: Callable[[Prepared, ComparisonSpec, I64], I64]
    edges: Callable[[Prepared, ComparisonSpec, I64], tuple[B, tuple[I64, ...]]]
    levels: tuple[int, ...]

    def __post_init__(self) -> None:
        if not self.levels or not self.values:
            raise ValueError(f"counted moves of {self.fact}: expected moving values and levels")


@dataclass(frozen=True, slots=True)
class Pruning:
    """How exact top-k pruning reads a comparison.

    ``cell_level`` gives the level of counted cells: candidates that share no evidence with the case
    beyond what their birth day and their class fix. ``hits`` adds the candidates that do (None: the
    class and the day fix every level). A *day-bound* comparison (``day_level``) has levels fixed by
    the candidate's birth day: ``day_level(prep, spec, pairs, day)`` gives them for one candidate per
    day (``day``: its birth day) and ``day_breaks`` the days, per row, where they may change (each a
    per-row array; ``around`` days whose every day is its own stretch). ``moves``: see :class:`Moves`;
    ``counted_moves``: those of them counted, not listed (:class:`CountedMoves`, levels among ``moves``'s).
    ``facts``: the candidate facts its ``cell_level`` reads (:class:`CandidateFact`); ``postings``: the
    postings its ``hits`` look up (:class:`Postings`). The cell index is built of those of the
    comparisons screened.
    """

    cell_level: Callable[[CellFacts], I8]
    hits: Callable[[HitSearch], None] | None = None
    day_level: Callable[[Prepared, ComparisonSpec, Pairs, I64], I8] | None = None
    day_breaks: Callable[[DayBreaks], tuple[list[I64], tuple[I64, I64] | None]] | None = None
    moves: Moves | None = None
    facts: tuple[CandidateFact, ...] = ()
    postings: tuple[Postings, ...] = ()
    counted_moves: CountedMoves | None = None

    def __post_init__(self) -> None:
        counted = self.counted_moves
        if counted is not None and (self.moves is None or not set(counted.levels) <= set(self.moves.levels)
                                    or counted.fact not in {fact.name for fact in self.facts}):
            raise ValueError("counted moves: their levels must be among the moves' and their fact declared")


def labels_of(levels: type[_Level], labels: Mapping[_Level, str]) -> tuple[str, ...]:
    """The labels of a comparison's levels in level order, checked to name every level once.

    >>> class Level(IntEnum):
    ...     DIFFERS = 0
    ...     SAME = 1
    >>> labels_of(Level, {Level.SAME: "same", Level.DIFFERS: "differs"})
    ('differs', 'same')
    """
    if sorted(labels) != list(levels) or [int(level) for level in levels] != list(range(len(levels))):
        raise ValueError(f"{levels.__qualname__}: expected labels of levels 0 .. n - 1; got {sorted(labels)}")
    return tuple(labels[level] for level in levels)


@dataclass(frozen=True, slots=True)
class Comparison:
    """One comparison: what its levels mean and how they are computed.

    ``title`` names what it compares and ``labels[i]`` level ``i`` (``title_zh``, ``labels_zh`` in
    Chinese); with ``ordered`` a higher level is closer agreement and its weight is kept at least the
    weight below it. ``tf_levels`` are
    ``(level, frequency table)`` pairs: pairs agreeing at that level on a value get the term-frequency
    adjustment of that value's share in the :class:`~reunite.matching.prepare.Prepared` table named
    (the kernel stores the agreeing value). ``field`` groups comparisons that read the same value of
    the records (the birth date is read by four): the unsupervised fit estimates a comparison with its
    whole field left out. ``rounding_level``: the level whose m follows how often the screened data's
    registers round a date (:meth:`reunite.matching.model.FellegiSunter.fit_rounded_share`).
    ``precision_levels``: ``(precision, level)`` pairs, a level only a case of that birth precision
    (:data:`reunite.matching.prepare.PRECISIONS`) takes, whose m follows the screened cases' share of it
    (:meth:`reunite.matching.model.FellegiSunter.fit_precision_shares`).
    ``outside_window_level``: the level of a true pair that the birth-window blocking leaves out (the
    unsupervised fit, :func:`reunite.matching.learn.fit_m`, weighs "the child is outside the blocked
    pairs" with its m). ``held_levels``: levels a true pair (almost) never takes, whatever the screened
    data hold (a child registered by its new family before it was lost): the unsupervised fit keeps their
    m at the starting model's and shares the rest among the other levels, since only strangers in the
    blocked pairs could teach it otherwise. ``chart_order`` and ``chart_colour``: where and in what colour the report
    (:mod:`reunite.report`) charts its weights, the comparisons a reader weighs first coming first.
    """

    name: str
    labels: tuple[str, ...]
    labels_zh: tuple[str, ...]
    kernel: Kernel
    reference: Callable[[ReferencePair, ComparisonSpec], int]
    pruning: Pruning
    field: str          # what the records hold that it reads: comparisons of one field are not independent
    title: str          # what it compares, in words: "given name"
    title_zh: str
    chart_order: int    # its row in the report's charts: lower first (gaps leave room for a new comparison)
    chart_colour: str   # its colour there, "#RRGGBB"
    ordered: bool = True
    tf_levels: tuple[tuple[int, str], ...] = ()
    rounding_level: int | None = None
    precision_levels: tuple[tuple[str, int], ...] = ()
    outside_window_level: int | None = None
    held_levels: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if len(self.labels_zh) != len(self.labels):
            raise ValueError(f"{self.name}: {len(self.labels)} labels but {len(self.labels_zh)} Chinese ones")
        if len(set(self.held_levels)) != len(self.held_levels) or len(self.held_levels) >= len(self.labels) or any(
                not 0 <= level < len(self.labels) for level in self.held_levels):
            raise ValueError(f"{self.name}: held_levels must be distinct levels in 0 .. {len(self.labels) - 1}, "
                             f"at least one level left free; got {self.held_levels}")
        if any(precision not in PRECISIONS or not 0 <= level < len(self.labels)
               for precision, level in self.precision_levels):
            raise ValueError(f"{self.name}: precision_levels must name precisions of {PRECISIONS} and levels in "
                             f"0 .. {len(self.labels) - 1}; got {self.precision_levels}")
        if not re.fullmatch(r"#[0-9A-Fa-f]{6}", self.chart_colour):
            raise ValueError(f"{self.name}: chart_colour {self.chart_colour!r} is not #RRGGBB")

    def title_in(self, lang: Language = "en") -> str:
        """What it compares, in words, in ``lang``: ``given name``, ``名字``."""
        return self.title_zh if lang == "zh" else self.title

    def label(self, level: int, lang: Language = "en") -> str:
        """The label of a level in ``lang``."""
        return (self.labels_zh if lang == "zh" else self.labels)[level]

    def reason(self, level: int, weight: float, lang: Language = "en") -> str:
        """The reason text of one level and its weight: ``born the same day +7.7``.

        >>> from reunite.matching.comparisons import REGISTRY
        >>> REGISTRY["birth"].reason(9, 7.65)
        'born the same day +7.7'
        >>> REGISTRY["birth"].reason(0, -2.04, "zh")
        '出生日期相差较远 −2.0'
        """
        sign = "+" if weight >= 0 else "−"
        return f"{self.label(level, lang)} {sign}{abs(weight):.1f}"
