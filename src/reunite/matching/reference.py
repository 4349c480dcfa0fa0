"""Slow, obviously-correct references of the matching core — for tests only.

Everything here is plain Python over one pair (or every pair) at a time, computed from the
:class:`~reunite.normalize.features.RecordTable` strings and fields, never from
:class:`~reunite.matching.prepare.Prepared`'s integer codes: the tests check that the vectorized
kernels of :mod:`reunite.matching.comparisons`, :mod:`reunite.matching.blocking` and
:mod:`reunite.matching.rank` equal these definitions. Each comparison's own reference lives in its
module, beside its kernel (``Comparison.reference``); :func:`reference_levels` reads every one of them
for a pair. Nothing in the package imports this module.

Test dependencies (``jellyfish`` for the scalar Jaro-Winkler similarity, ``hypothesis`` for the
row strategies) are imported inside the functions that use them, so importing the module needs
neither.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reunite.matching.comparisons import REGISTRY
from reunite.matching.comparisons.base import ReferencePair
from reunite.matching.prepare import MAX_NAME_SLOTS
from reunite.matching.spec import BlockingPass, BlockingSpec, ComparisonSpec
from reunite.normalize.features import RecordTable

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = [
    "NameRow",
    "candidate_birth",
    "candidate_rows",
    "candidate_sex",
    "case_rows",
    "record_names",
    "reference_blocking",
    "reference_levels",
    "reference_top_k",
    "resident_id",
]


@dataclass(frozen=True, slots=True)
class NameRow:
    """One name of a record, as strings."""

    surname: str
    given: str
    surname_pinyin: str
    given_pinyin: str
    given_pinyin_alt: str
    given_fuzzy: str


def record_names(table: RecordTable, record: int) -> list[NameRow]:
    """The names of one record that matching reads: its first ``MAX_NAME_SLOTS`` name rows.

    >>> import pandas as pd
    >>> from reunite.pipeline import load_side
    >>> t = load_side(pd.DataFrame({"case_id": ["c"], "name": ["王小红"], "alias": ["毛毛"],
    ...                             "sex": ["F"], "birth_date": ["1988"]}), "cases")
    >>> [(n.surname, n.given) for n in record_names(t, 0)]
    [('王', '小红'), ('', '毛毛')]
    """
    names = table.names
    rows = [i for i in range(len(names)) if int(names.record[i]) == record][:MAX_NAME_SLOTS]
    return [
        NameRow(
            str(names.surname[i]), str(names.given[i]), str(names.surname_pinyin[i]),
            str(names.given_pinyin[i]), str(names.given_pinyin_alt[i]), str(names.given_fuzzy[i]),
        )
        for i in rows
    ]


def candidate_sex(table: RecordTable, row: int) -> int:
    """Sex code of a record; a candidate without one takes the sex of a valid resident ID."""
    stated = int(table.sex[row])
    if stated == 0 and table.side == "candidates" and bool(table.id_valid[row]):
        return int(table.id_sex[row])
    return stated


def candidate_birth(table: RecordTable, row: int) -> tuple[int, int] | None:
    """Birth interval of a record; a candidate without one takes the day of a valid resident ID."""
    if bool(table.birth_known[row]):
        return int(table.birth_lo[row]), int(table.birth_hi[row])
    if table.side == "candidates" and bool(table.id_valid[row]):
        return int(table.id_birth[row]), int(table.id_birth[row])
    return None


def reference_levels(
    cases: RecordTable, candidates: RecordTable, case_row: int, cand_row: int, spec: ComparisonSpec
) -> tuple[int, ...]:
    """Every comparison level of one pair (rows of the two tables), in ``spec.comparisons`` order.

    >>> import pandas as pd
    >>> from reunite.pipeline import load_side
    >>> c = load_side(pd.DataFrame({"case_id": ["c"], "name": ["王小红"], "sex": ["F"],
    ...                             "birth_date": ["1988年5月"]}), "cases")
    >>> d = load_side(pd.DataFrame({"person_id": ["p"], "name": ["李晓红"], "sex": ["F"],
    ...                             "birth_date": ["1989-05-20"]}), "candidates")
    >>> reference_levels(c, d, 0, 0, ComparisonSpec(comparisons=("given_name", "surname", "birth")))
    (4, 0, 3)
    """
    i, j = case_row, cand_row
    pair = ReferencePair(
        cases, candidates, i, j, record_names(cases, i), record_names(candidates, j),
        candidate_birth(cases, i), candidate_birth(candidates, j),
        (int(cases.event_lo[i]), int(cases.event_hi[i])) if bool(cases.event_known[i]) else None,
        (int(candidates.event_lo[j]), int(candidates.event_hi[j])) if bool(candidates.event_known[j]) else None,
    )
    return tuple(REGISTRY[name].reference(pair, spec) for name in spec.comparisons)


# -- blocking ------------------------------------------------------------------------------------
def _case_interval(cases: RecordTable, i: int, spec: BlockingSpec) -> tuple[float, float]:
    if bool(cases.birth_known[i]):
        return int(cases.birth_lo[i]), int(cases.birth_hi[i])
    if bool(cases.event_known[i]):
        return int(cases.event_lo[i]) - spec.missing_age_days, int(cases.event_hi[i])
    return -math.inf, math.inf


def _sex_compatible(a: int, b: int) -> bool:
    return a == 0 or b == 0 or a == b


def reference_blocking(
    cases: RecordTable, candidates: RecordTable, spec: BlockingSpec
) -> dict[BlockingPass, set[tuple[int, int]]]:
    """Per pass, the (case row, candidate row) pairs it adds: every pair, filtered by the predicates.

    A pair belongs to the first pass (in ``spec.passes`` order) whose predicate holds. Too-common
    values are counted in candidates (each candidate once), as :class:`BlockingSpec` documents.
    """
    n_cand = len(candidates)
    cand_names = [record_names(candidates, j) for j in range(n_cand)]
    pinyin_holders: dict[str, set[int]] = {}
    key_holders: dict[tuple[str, int], set[int]] = {}
    for j, names in enumerate(cand_names):
        county = int(candidates.region_county[j])
        for row in names:
            if row.given_pinyin:
                pinyin_holders.setdefault(row.given_pinyin, set()).add(j)
            if row.surname_pinyin and county > 0:
                key_holders.setdefault((row.surname_pinyin, county), set()).add(j)
    common_pinyin = {p for p, holders in pinyin_holders.items() if len(holders) / n_cand > spec.max_name_share}
    common_keys = {k for k, holders in key_holders.items() if len(holders) > spec.max_name_block}

    def holds(name: BlockingPass, i: int, j: int) -> bool:
        sex_ok = _sex_compatible(int(cases.sex[i]), candidate_sex(candidates, j))
        if name == "birth_window":
            birth = candidate_birth(candidates, j)
            if not sex_ok or birth is None:
                return False
            lo, hi = _case_interval(cases, i, spec)
            return max(lo, birth[0]) - min(hi, birth[1]) <= spec.birth_margin_days
        if name == "late_window":
            birth = candidate_birth(candidates, j)
            if not sex_ok or birth is None or not bool(candidates.event_known[j]):
                return False
            if int(candidates.event_lo[j]) - birth[1] < spec.late_days:
                return False
            lo, hi = _case_interval(cases, i, spec)
            return max(lo, birth[0]) - min(hi, birth[1]) <= spec.late_margin_days
        if name == "given_pinyin":
            mine = {n.given_pinyin for n in record_names(cases, i) if n.given_pinyin}
            theirs = {n.given_pinyin for n in cand_names[j] if n.given_pinyin}
            return sex_ok and bool((mine & theirs) - common_pinyin)
        county_a, county_b = int(cases.region_county[i]), int(candidates.region_county[j])
        if not sex_ok or county_a <= 0 or county_a != county_b:
            return False
        mine = {n.surname_pinyin for n in record_names(cases, i) if n.surname_pinyin}
        theirs = {n.surname_pinyin for n in cand_names[j] if n.surname_pinyin}
        return any((p, county_a) not in common_keys for p in mine & theirs)

    out: dict[BlockingPass, set[tuple[int, int]]] = {name: set() for name in spec.passes}
    for i in range(len(cases)):
        for j in range(n_cand):
            for name in spec.passes:
                if holds(name, i, j):
                    out[name].add((i, j))
                    break
    return out


# -- ranking -------------------------------------------------------------------------------------
def reference_top_k(group: Sequence[int], score: Sequence[float], tiebreak: Sequence[int], k: int) -> list[int]:
    """Indices of each group's best ``k`` rows by a full sort: group, score high first, tiebreak.

    >>> reference_top_k([0, 0, 0, 1], [1.0, 3.0, 3.0, 0.5], [5, 9, 2, 0], 2)
    [2, 1, 3]
    """
    order = sorted(range(len(group)), key=lambda i: (group[i], -score[i], tiebreak[i], i))
    out, taken = [], dict[int, int]()
    for i in order:
        taken[group[i]] = taken.get(group[i], 0) + 1
        if taken[group[i]] <= k:
            out.append(i)
    return out


# -- data ----------------------------------------------------------------------------------------
def resident_id(region: str, birth: datetime.date, sequence: int) -> str:
    """A well-formed 18-digit resident ID (ISO 7064 MOD 11-2 check character).

    >>> resident_id("110105", datetime.date(1949, 12, 31), 2)
    '11010519491231002X'
    """
    body = f"{region}{birth:%Y%m%d}{sequence:03d}"
    weights = [pow(2, 17 - i, 11) for i in range(17)]
    check = (12 - sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11) % 11
    return body + ("X" if check == 10 else str(check))


# Real names with the confusions of real records: homophones (晓/小, 纳/娜), traditional characters,
# dialect pairs (陈/程, 刘/牛, 玲/林, 志/子), near spellings (小龙/小红), compound and reading-changing
# surnames, variant characters in brackets, placeholders.
NAMES = (
    "王小红", "王晓红", "王小紅", "汪小红", "李娜", "李纳", "张伟", "章伟", "欧阳娜娜", "歐陽娜娜",
    "单丽", "陈静", "程静", "陈晶", "刘芳", "牛芳", "黄华", "王华", "司马光", "曾小红", "李玲", "李林",
    "王小龙", "陈志强", "陈子强",
    "张（章）丽", "王芳（送养）", "无", "女孩", "",
)
ALIASES = ("毛毛", "小红", "狗蛋", "丫丫", "娜娜", "")
FORMER = ("王芳;张丽", "李小红", "陈静;程晶;刘芳;黄华;牛芳", "娜娜", "")
SEXES = ("M", "F", "男", "女", "", "不详")
REGIONS = (
    "360302", "360313", "360321", "360300", "360000", "360102", "430202", "440106", "110105",
    "360311", "江西省萍乡市安源区", "湖南省株洲市", "广东省", "undefined", "",
)
MARKS = ("左耳后有痣", "右手有疤", "左耳后痣，右手疤痕", "背部有胎记", "额头有疤", "左耳后有痣，额头有疤", "")
_FORMS = ("{y}", "{y}-{m:02d}", "{y}-{m:02d}-{d:02d}", "{y}/{m}/{d}", "{y}.{m:02d}.{d:02d}",
          "{y}{m:02d}{d:02d}", "{y}年{m}月{d}日", "{y}年{m}月", "{y}年", "{y}-{m}-{d}")


def _pooled(values: Sequence[str], key: str) -> SearchStrategy[str]:
    """A value from a small pool drawn once per example (shared by both tables), so pairs collide."""
    from hypothesis import strategies as st

    pool = st.shared(st.lists(st.sampled_from(values), min_size=1, max_size=6, unique=True), key=key)
    return pool.flatmap(st.sampled_from)


def _dates(first_year: int, last_year: int) -> SearchStrategy[str]:
    from hypothesis import strategies as st

    def render(day: datetime.date, form: str) -> str:
        return form.format(y=day.year, m=day.month, d=day.day)

    days = st.dates(datetime.date(first_year, 1, 1), datetime.date(last_year, 12, 31))
    pooled = st.shared(st.lists(days, min_size=1, max_size=4), key="reunite-days")
    # registers write the 1st of the month, or 1 January, for a day they did not know
    first = st.one_of(days.map(lambda d: d.replace(day=1)), days.map(lambda d: d.replace(month=1, day=1)))
    near = st.one_of(days, pooled.flatmap(st.sampled_from), first)
    return st.one_of(st.just(""), st.builds(render, near, st.sampled_from(_FORMS)))


def _frame(rows: list[dict[str, str]], id_column: str, prefix: str) -> Any:
    import pandas as pd

    frame = pd.DataFrame(rows, columns=sorted({k for r in rows for k in r}), dtype=object)
    frame.insert(0, id_column, [f"{prefix}{i:03d}" for i in range(len(rows))])
    return frame


def case_rows(min_size: int = 1, max_size: int = 8) -> SearchStrategy[Any]:
    """A pandas DataFrame of case rows (every cell text) with the shapes of real postings.

    Names, regions, marks and some dates come from small pools drawn once per example and shared
    with :func:`candidate_rows`, so that the two tables agree often enough to reach every level.
    """
    from hypothesis import strategies as st

    row = st.fixed_dictionaries({
        "name": _pooled(NAMES, "reunite-names"), "alias": _pooled(ALIASES, "reunite-aliases"),
        "sex": st.sampled_from(SEXES), "birth_date": _dates(1980, 1995),
        "birth_calendar": st.sampled_from(("", "", "solar", "lunar")),
        "missing_date": _dates(1980, 2000), "missing_region": _pooled(REGIONS, "reunite-regions"),
        "marks": _pooled(MARKS, "reunite-marks"),
    })
    return st.lists(row, min_size=min_size, max_size=max_size).map(lambda r: _frame(r, "case_id", "c"))


def candidate_rows(min_size: int = 1, max_size: int = 12) -> SearchStrategy[Any]:
    """A pandas DataFrame of candidate rows: names, former names, IDs (valid, 15-digit, broken)."""
    from hypothesis import strategies as st

    id_cells = st.one_of(
        st.just(""),
        st.builds(resident_id, st.sampled_from(("360302", "430202", "110105", "362301")),
                  st.dates(datetime.date(1980, 1, 1), datetime.date(1995, 12, 31)),
                  st.integers(1, 999)),
        st.sampled_from(("360302880503123", "36030219880503123X", "abc")),
    )
    row = st.fixed_dictionaries({
        "name": _pooled(NAMES, "reunite-names"),
        "former_names": st.one_of(_pooled(ALIASES, "reunite-aliases"), st.sampled_from(FORMER)),
        "sex": st.sampled_from(SEXES), "birth_date": _dates(1980, 1995), "id_number": id_cells,
        "region": _pooled(REGIONS, "reunite-regions"), "registration_date": _dates(1980, 2000),
        "marks": _pooled(MARKS, "reunite-marks"),
    })
    return st.lists(row, min_size=min_size, max_size=max_size).map(lambda r: _frame(r, "person_id", "p"))
