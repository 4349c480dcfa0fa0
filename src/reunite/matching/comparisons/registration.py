"""Registration: how long after the candidate's birth it was registered, and whether that was after the
case's loss (the later after birth and after the loss, the stronger).

A late register after the loss is read in bands of the days from the loss
(``registration_after_loss_days``): a family registers a child soon after it came (within about six
months), or years later, when the child needs a school or in a registration drive; a stranger's late
register falls anywhere, so the first band is the rarest by chance (benchmarks/README.md, "Registration
counted from the loss day").

The delay is counted from the last day the registered birth may mean: a 1st of the month that a register
wrote for "that month" (1 January for "that year", see :func:`reunite.matching.prepare.rounded_hi`) is
late only when it is late under every reading. Counted from the 1st itself, a child born in the autumn
and registered weeks later, whose register wrote 1 January, looked registered most of a year late -- and,
against a baby lost that year, "registered within 2 years after the child went missing": the spike that
most often put such a stranger above the child on reunite.synth's worst configurations (benchmarks/README.md,
"The worst configurations").

A register on time and surely older than the case's loss (its latest reading before the loss's
earliest) is a level of its own: a lost child is registered by its new family after it came, so on
dense data that level holds strangers (none of the clean-room's children; benchmarks/README.md, "Dense
misses"). Records err (a transfer keeps the old entry date), so its m is learned from confirmed pairs
(the default model's), never 0; the screen's unsupervised fit holds it there (``held_levels``): fitted on
the blocked pairs, strangers with a likely name or place taught it up to 0.077 for children on clean-room
data whose children are never registered before the loss (benchmarks/README.md, "The fit holds what a
true child cannot be").
A late register before the loss stays in its delay level: taking it too emptied "registered late" and
"years late" of the pairs whose case has a loss date, their u fell to 0.0002 and monotone pooling lifted
"registered years after the child went missing" to the level above it (benchmarks/README.md,
"Registrations before the loss, again").

For pruning, a candidate's delay band is a fact of its own (its class holds it), and "before the loss"
is day-bound: a cell reads an on-time register written to the day as before the loss from a birth at
least ``_READ_BEFORE_DAYS`` before it. Candidates registered late and after the case's loss, and on-time
registers the cell reads wrong (born in the last ``late_registration_days[0]`` days before the loss, on a
1st whose month or year reaches past that, or written vaguer than the day: :func:`_moved_on_time`),
differ from their cell in this level alone: they are :class:`~.base.Moves`, counted in cells of their
own, one per level they may take. The late ones are counted by their registration day against the
loss's last day and that day plus each of ``registration_after_loss_days`` (:class:`~.base.CountedMoves`); the
on-time ones read wrong are listed.
"""

from __future__ import annotations

import datetime
from enum import IntEnum
from typing import TYPE_CHECKING

import numpy as np

from reunite._typing import I8, I32, I64, B
from reunite.matching.compare import Pairs, _banded, _set_where
from reunite.matching.comparisons.base import (
    CandidateFact,
    CellFacts,
    Comparison,
    CountedMoves,
    DayBreaks,
    HitSearch,
    Moves,
    Postings,
    Pruning,
    ReferencePair,
    labels_of,
)
from reunite.matching.engine import DEFAULT_LIMITS, EngineLimits
from reunite.matching.prepare import Prepared

if TYPE_CHECKING:
    from reunite.matching.spec import ComparisonSpec

__all__ = ["COMPARISON", "DELAY_LEVELS", "Level", "delay_levels"]


class Level(IntEnum):
    BEFORE_MISSING = 0      # on time, and surely before the case's loss
    ON_TIME = 1
    LATE = 2                # at least late_registration_days[0] after birth
    YEARS_LATE = 3          # at least late_registration_days[1] after birth
    AFTER_MISSING = 4       # late, and more than registration_after_loss_days[1] after the case's loss
    SOON_AFTER_MISSING = 5  # late, and at most registration_after_loss_days[1] after the loss
    MONTHS_AFTER_MISSING = 6  # late, and at most registration_after_loss_days[0] after the loss


LABELS = {
    Level.ON_TIME: "registered on time",
    Level.LATE: "registered late",
    Level.YEARS_LATE: "registered years late",
    Level.AFTER_MISSING: "registered years after the child went missing",
    Level.SOON_AFTER_MISSING: "registered 6 months to 2 years after the child went missing",
    Level.MONTHS_AFTER_MISSING: "registered within 6 months after the child went missing",
    Level.BEFORE_MISSING: "registered before the child went missing",
}
LABELS_ZH = {
    Level.ON_TIME: "按时登记户口",
    Level.LATE: "户口登记较晚",
    Level.YEARS_LATE: "户口登记晚数年",
    Level.AFTER_MISSING: "走失数年后登记户口",
    Level.SOON_AFTER_MISSING: "走失后半年至两年内登记户口",
    Level.MONTHS_AFTER_MISSING: "走失后半年内登记户口",
    Level.BEFORE_MISSING: "走失前已登记户口",
}

#: the levels of the delay after birth alone: below late_registration_days[0], below [1], beyond
DELAY_LEVELS = (Level.ON_TIME, Level.LATE, Level.YEARS_LATE)
_MOVED = (Level.AFTER_MISSING, Level.SOON_AFTER_MISSING, Level.MONTHS_AFTER_MISSING, Level.BEFORE_MISSING,
          Level.ON_TIME)
#: the levels of a late register after the case's loss, by the days from the loss to the registration:
#: at most registration_after_loss_days[0], at most [1], beyond
_AFTER_LOSS_LEVELS = (Level.MONTHS_AFTER_MISSING, Level.SOON_AFTER_MISSING, Level.AFTER_MISSING)
_EPOCH = datetime.date(1970, 1, 1)


def delay_levels(delay: I64 | I32, spec: ComparisonSpec) -> I8:
    """The level of registration delays (days after birth), before the loss is considered."""
    return _banded(delay + 1, spec.late_registration_days, DELAY_LEVELS)


def after_loss_levels(days: I64 | I32, spec: ComparisonSpec) -> I8:
    """The level of late registers made ``days`` (> 0) after the case's loss: within about six months
    (a family registers a child soon after it came), within two years, or years later (when the child
    needs a school, or in a registration drive)."""
    return _banded(days, spec.registration_after_loss_days, _AFTER_LOSS_LEVELS)


def registration_levels(
    prep: Prepared, spec: ComparisonSpec, pairs: Pairs, value: I32 | None = None,
    limits: EngineLimits = DEFAULT_LIMITS,
) -> I8:
    c, d = prep.cases, prep.candidates
    registered = d.event_lo.take(pairs.cand)
    delay = registered - d.round_hi.take(pairs.cand)
    level = delay_levels(delay, spec)
    lost = pairs.of_case(c.event_hi)
    after_missing = pairs.of_case(c.event_known) & (registered > lost) & (delay >= spec.late_registration_days[0])
    level += (after_loss_levels(registered - lost, spec) - level) * after_missing  # (by arithmetic, as _set_where)
    # an on-time register's latest reading before the loss's earliest: no child is registered by its new
    # family before it was lost (records err, so m is learned, never set to 0)
    before = (pairs.of_case(c.event_known) & (d.event_hi.take(pairs.cand) < pairs.of_case(c.event_lo))
              & (level == Level.ON_TIME))
    _set_where(level, before, Level.BEFORE_MISSING)
    _set_where(level, ~(d.event_known.take(pairs.cand) & d.birth_known.take(pairs.cand)), -1)
    return level


def _latest_reading(birth: tuple[int, int]) -> int:
    """The last day a birth may mean: a 1st of the month known to the day is read as the month (1 January
    as the year), as registers write a day nobody knew."""
    lo, hi = birth
    if lo != hi:
        return hi
    day = _EPOCH + datetime.timedelta(days=lo)
    if day.day != 1:
        return hi
    # 1 January: the year; 1 December: the month, which ends with the year
    after = datetime.date(day.year + 1, 1, 1) if day.month in (1, 12) else datetime.date(day.year, day.month + 1, 1)
    return (after - _EPOCH).days - 1


def reference_level(pair: ReferencePair, spec: ComparisonSpec) -> int:
    event_a, event_b, birth_b = pair.event_a, pair.event_b, pair.birth_b
    if event_b is None or birth_b is None:
        return -1
    delay = event_b[0] - _latest_reading(birth_b)
    late, years_late = spec.late_registration_days
    if event_a is not None and event_b[1] < event_a[0] and delay < late:
        return int(Level.BEFORE_MISSING)
    if event_a is not None and event_b[0] > event_a[1] and delay >= late:
        after = event_b[0] - event_a[1]
        months, soon = spec.registration_after_loss_days
        return int(Level.MONTHS_AFTER_MISSING if after <= months
                   else Level.SOON_AFTER_MISSING if after <= soon else Level.AFTER_MISSING)
    return int(Level.YEARS_LATE if delay >= years_late else Level.LATE if delay >= late else Level.ON_TIME)


# -- pruning -----------------------------------------------------------------------------------------

def _candidate_delay_level(prep: Prepared, spec: ComparisonSpec, at: I64) -> I8:
    """The registration level of the candidates ``at`` when not registered after a loss (-1: unknown)."""
    d = prep.candidates
    delay = d.event_lo[at].astype(np.int64) - d.round_hi[at]
    known = d.event_known[at] & d.birth_known[at]
    return np.where(known, delay_levels(delay, spec), -1).astype(np.int8)


#: the :data:`DELAY` fact of an on-time register written to the day (one written vaguer: ``_ON_TIME_VAGUE``)
_ON_TIME_DATED = 1
_ON_TIME_VAGUE = len(DELAY_LEVELS) + 1
#: per :data:`DELAY` fact, the delay level it stands for (-1: unknown)
_FACT_LEVELS = np.array([-1, *(int(level) for level in DELAY_LEVELS), int(Level.ON_TIME)], dtype=np.int64)


def _delay_fact(prep: Prepared, spec: ComparisonSpec, at: I64) -> I64:
    d = prep.candidates
    level = _candidate_delay_level(prep, spec, at).astype(np.int64)
    fact = np.where(level >= 0, level - int(Level.ON_TIME) + 1, 0)  # 0: unknown
    return np.where((level == int(Level.ON_TIME)) & (d.event_lo[at] != d.event_hi[at]), _ON_TIME_VAGUE, fact)


def _fact_level(fact: I64) -> I64:
    """The delay level a :data:`DELAY` fact stands for (-1: unknown)."""
    out: I64 = _FACT_LEVELS[fact]
    return out


def _reach(prep: Prepared, spec: ComparisonSpec, case: I64) -> I64:
    """The last birth day whose on-time registers written to the day a cell reads as surely before the
    case's loss: the loss's earliest day less ``late_registration_days[0]``."""
    return prep.cases.event_lo[case].astype(np.int64) - spec.late_registration_days[0]


#: a cell reads an on-time register written to the day "before the loss" when its birth is at least this
#: many days before the loss (most on-time registers are written within weeks of the birth: the registers
#: born in the last days before a loss that the cell reads wrong are the fewest about there)
_READ_BEFORE_DAYS = 21


def _read_until(prep: Prepared, spec: ComparisonSpec, case: I64) -> I64:
    """The last birth day for which a cell reads an on-time register written to the day as before the
    case's loss (at or after the reach, :func:`_reach`)."""
    days = min(_READ_BEFORE_DAYS, spec.late_registration_days[0])
    return prep.cases.event_lo[case].astype(np.int64) - days


def _moved_on_time(prep: Prepared, spec: ComparisonSpec, case: I64, at: I64) -> I8:
    """Of on-time registers, the level of those whose cell reads it wrong (-1: others). A cell reads an
    on-time register written to the day as "before the loss" when its candidate was born at or before
    :func:`_read_until`, and "on time" otherwise. Born at or before the reach (:func:`_reach`), it is
    surely so but for a birth written as the 1st of the month (1 January: the year), whose register may
    be on time for the month and follow the loss; born after the reach, either may be true; a register
    written vaguer than the day the cell reads "on time"."""
    c, d = prep.cases, prep.candidates
    before = c.event_known[case] & (d.event_hi[at] < c.event_lo[case])
    read_before = (c.event_known[case] & (d.event_lo[at] == d.event_hi[at])
                   & (d.birth_lo[at].astype(np.int64) <= _read_until(prep, spec, case)))
    out: I8 = np.where(before & ~read_before, int(Level.BEFORE_MISSING),
                       np.where(read_before & ~before, int(Level.ON_TIME), -1)).astype(np.int8)
    return out


#: bands of the days from a register's birth to its registration (``event_lo - birth_lo``), whose
#: upper edges these are (the last band has none): the postings of on-time registers written to the
#: day are coded by band, so that a row lists of each band only the birth days where such a register
#: may be read wrong (:func:`_hits`). Most on-time registers are written within weeks: the edges follow
#: that. They change what is listed, never a level.
_ON_TIME_GAP_EDGES = (7, 14, 21, 31, 61, 91)


def _gap_band(prep: Prepared, at: I64, edges: tuple[int, ...]) -> I64:
    """The band of the days from birth to registration of the candidates ``at`` (see the edges)."""
    d = prep.candidates
    gap = d.event_lo[at].astype(np.int64) - d.birth_lo[at]
    out: I64 = np.searchsorted(np.asarray(edges, dtype=np.int64), gap, "right").astype(np.int64)
    return out


def _on_time_dated(prep: Prepared, spec: ComparisonSpec, at: I64) -> B:
    d = prep.candidates
    out: B = (d.event_lo[at] == d.event_hi[at]) & (d.event_lo[at] >= d.birth_lo[at])
    return out


def _registered_on_time_dated(prep: Prepared, spec: ComparisonSpec, at: I64) -> tuple[I64, I64]:
    """The candidates registered on time, to the day and not before their birth, as postings coded by
    the band of their days from birth to registration (``_ON_TIME_GAP_EDGES``): a cell reads them by
    their birth day (:func:`_moved_on_time`)."""
    on_time = _candidate_delay_level(prep, spec, at) == int(Level.ON_TIME)
    return np.where(on_time & _on_time_dated(prep, spec, at), _gap_band(prep, at, _ON_TIME_GAP_EDGES), -1), at


def _registered_on_time_other(prep: Prepared, spec: ComparisonSpec, at: I64) -> tuple[I64, I64]:
    """The other candidates registered on time (a vaguer date, or one before the birth), as postings of
    one code (0)."""
    on_time = _candidate_delay_level(prep, spec, at) == int(Level.ON_TIME)
    return np.where(on_time & ~_on_time_dated(prep, spec, at), 0, -1), at


#: the class's delay level + 1 (0: unknown; ``_ON_TIME_VAGUE``: on time, registered vaguer than the day)
DELAY = CandidateFact("registration_delay", len(DELAY_LEVELS) + 2, _delay_fact)
REGISTERED_ON_TIME_DATED = Postings("registered_on_time_dated", _registered_on_time_dated)
REGISTERED_ON_TIME_OTHER = Postings("registered_on_time_other", _registered_on_time_other)


def _bands(edges: tuple[int, ...]) -> list[tuple[int, int, int | None]]:
    """(code, first day, last day or None) of each band of days from birth to registration."""
    lows = (0, *edges)
    return [(code, low, high) for code, (low, high) in enumerate(zip(lows, (*edges, None), strict=True))]


def _hits(search: HitSearch) -> None:
    """No hits: the candidates registered on time that their cell reads wrong (:func:`_moved_on_time`)
    are moved (those registered late and after the case's loss are counted: :data:`AFTER_THE_LOSS`).

    The level of the pairs listed is read for these pairs alone: their cases' loss is known (the rows
    are chosen so) and their candidates are registered on time (the postings hold no others: their
    delay level is their class's). Of the on-time registers written to the day and not before the
    birth, the cell reads wrong only those born after the reach and before the loss, and those born on
    the 1st of the reach's month or 1 January of its year (a register on time for the month or the year
    may follow the loss): only those days are listed.

    The postings are coded by the band of days ``g`` from birth ``b`` to registration (``b + g``), so a
    band is listed only on the days where one of its registers may be read wrong: one born by the day the
    cell reads "before" (``U``) is read wrong when registered on or after the loss's first day ``L`` (``g
    >= L - b``: from ``b = L - high + 1``), and one born after ``U`` when registered before it (``g < L -
    b``: up to ``b = L - low - 1``).
    """
    c, spec = search.prep.cases, search.spec
    rows = search.rows[c.event_known[search.case]]
    case = search.case[rows]
    found: list[tuple[I64, I64]] = []

    def listed(postings: str, code: int, first: I64, last: I64) -> None:
        if bool(np.any(first <= last)):  # (a band no row lists is not searched)
            found.append(search.positions(postings, rows, (first, last), code))

    reach = _reach(search.prep, spec, case)
    lost_first = c.event_lo[case].astype(np.int64)
    until = _read_until(search.prep, spec, case)
    days = reach.astype("datetime64[D]")
    month = days.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    january = days.astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    dated = REGISTERED_ON_TIME_DATED.name
    for code, low, high in _bands(_ON_TIME_GAP_EDGES):
        read_before_from = reach + 1 if high is None else np.maximum(reach + 1, lost_first - high + 1)
        read_on_time_to = np.minimum(lost_first - 1, lost_first - low - 1)
        listed(dated, code, np.where(read_before_from <= until, read_before_from, until + 1),
               np.where(read_on_time_to > until, read_on_time_to, until))
        for first in (month, january):  # born on a 1st at or before the reach: read before, wrong when after
            reaches = (first >= lost_first - high + 1) if high is not None else np.ones(rows.size, dtype=bool)
            if first is january:
                reaches &= january != month  # once
            listed(dated, code, first, np.where(reaches, first, first - 1))
    found.append(search.positions(REGISTERED_ON_TIME_OTHER.name, rows))
    o_row, o_at = np.concatenate([f[0] for f in found]), np.concatenate([f[1] for f in found])
    o_level = _moved_on_time(search.prep, spec, search.case[o_row], o_at)
    listed_moved = np.flatnonzero(o_level >= 0)
    search.add_moved(o_row[listed_moved], o_at[listed_moved], o_level[listed_moved])


def _registered_day(prep: Prepared, spec: ComparisonSpec, at: I64) -> I64:
    out: I64 = prep.candidates.event_lo[at].astype(np.int64)
    return out


def _loss_edges(prep: Prepared, spec: ComparisonSpec, case: I64) -> tuple[B, tuple[I64, ...]]:
    """Per case: whether its loss is known, its last day and that day plus each of
    ``registration_after_loss_days`` (the upper edges of :func:`after_loss_levels`'s bands)."""
    c = prep.cases
    lost = c.event_hi[case].astype(np.int64)
    return c.event_known[case], (lost, *(lost + days for days in spec.registration_after_loss_days))


#: late registers (their class's delay level LATE or YEARS_LATE) after the case's loss: within months,
#: within two years, then years after, by their registration day alone (:func:`after_loss_levels`)
AFTER_THE_LOSS = CountedMoves(
    DELAY.name, tuple(int(level) - int(Level.ON_TIME) + 1 for level in (Level.LATE, Level.YEARS_LATE)),
    _registered_day, _loss_edges, tuple(int(level) for level in _AFTER_LOSS_LEVELS))


def _day_level(prep: Prepared, spec: ComparisonSpec, pairs: Pairs, day: I64) -> I8:
    """1 where the cell reads an on-time register written to the day as before the case's loss: born at
    or before :func:`_read_until`, 0 elsewhere."""
    until = pairs.of_case(prep.cases.event_lo).astype(np.int64) - min(_READ_BEFORE_DAYS, spec.late_registration_days[0])
    return (pairs.of_case(prep.cases.event_known) & (day <= until)).astype(np.int8)


def _day_breaks(rows: DayBreaks) -> tuple[list[I64], tuple[I64, I64] | None]:
    """Past :func:`_read_until`."""
    known = rows.prep.cases.event_known[rows.case]
    return [np.where(known, _read_until(rows.prep, rows.spec, rows.case) + 1, rows.window_lo)], None


def _cell_level(cell: CellFacts) -> I8:
    """The class's delay level, "before the loss" for an on-time register written to the day born at or
    before :func:`_read_until`, or the level of moved candidates."""
    fact = cell.fact(DELAY.name)
    level = np.where((fact == _ON_TIME_DATED) & (cell.day["registration"] > 0), int(Level.BEFORE_MISSING),
                     _fact_level(fact))
    out: I8 = np.where(cell.moved >= 0, cell.moved, level).astype(np.int8)
    return out


COMPARISON = Comparison(
    name="registration", title="registration", title_zh="户口登记",
    chart_order=80, chart_colour="#CC79A7",
    labels=labels_of(Level, LABELS), labels_zh=labels_of(Level, LABELS_ZH),
    kernel=registration_levels, reference=reference_level, field="birth date",
    held_levels=(int(Level.BEFORE_MISSING),),  # its m comes from labels: no lost child is registered before
    pruning=Pruning(_cell_level, hits=_hits, moves=Moves(tuple(int(level) for level in _MOVED)),
                    day_level=_day_level, day_breaks=_day_breaks, facts=(DELAY,),
                    postings=(REGISTERED_ON_TIME_DATED, REGISTERED_ON_TIME_OTHER), counted_moves=AFTER_THE_LOSS),
)
