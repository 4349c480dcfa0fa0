"""The people behind the data (children and candidates alike) and the missing-child reports."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reunite._typing import I64, B
from reunite.synth import _tables as T
from reunite.synth.config import SynthConfig
from reunite.synth.dates import birth_days, case_date_text, event_text, lunar_text, ymd
from reunite.synth.names import NamePools, dialect_variant, homophone, make_alias
from reunite.synth.regions import NOT_A_CITY, RegionTable, render_address
from reunite.synth.text import Mark, dirty_name, draw_marks, full_width, render_marks, to_traditional

__all__ = ["CASE_COLUMNS", "CasePlan", "People", "draw_case_plan", "draw_people", "render_cases"]

CASE_COLUMNS: tuple[str, ...] = (
    "case_id", "name", "alias", "sex", "birth_date", "birth_calendar", "missing_date",
    "missing_region", "marks",
)


@dataclass(slots=True)
class People:
    """Persons as columns: names, sex, birth day (days since 1970-01-01) and county index."""

    surname: list[str]
    given: list[str]
    female: B
    birth: I64
    county: I64

    def __len__(self) -> int:
        return len(self.surname)


def draw_people(
    rng: np.random.Generator,
    pools: NamePools,
    regions: RegionTable,
    size: int,
    *,
    female_share: float,
    county: I64 | None = None,
    surname_region_strength: float = 0.0,
) -> People:
    """Draw ``size`` persons of the population (counties by population unless given; surnames tilted
    by place with ``surname_region_strength``, see :class:`~reunite.synth.config.SynthConfig`).

    Examples
    --------
    >>> from reunite.synth.names import load_name_pools
    >>> from reunite.synth.regions import load_regions
    >>> people = draw_people(np.random.default_rng(0), load_name_pools(), load_regions(), 5, female_share=0.5)
    >>> len(people), len(people.given[0]) in (1, 2)
    (5, True)
    """
    female = rng.random(size) < female_share
    birth = birth_days(rng, size)
    year = ymd(birth)[0]
    surname = pools.sample_surnames(rng, size)
    given = pools.sample_given(rng, female, year)
    where = regions.sample(rng, size) if county is None else county
    if surname_region_strength > 0.0:
        surname = pools.sample_regional_surnames(rng, regions, where, surname_region_strength)
    return People(surname, given, female, birth, where)


@dataclass(slots=True)
class CasePlan:
    """What is known about each case's child, drawn once per case (matched or not)."""

    baby: B
    unnamed: B
    alias_only: B
    has_alias: B
    homophone: B
    dialect: B
    lunar: B
    lunar_unmarked: B
    partial: B
    has_marks: B
    dirty: B
    alias_in_name: B
    vague_place: B
    missing: I64
    alias: list[str]
    marks: list[tuple[Mark, ...]]


def _older_gap(rng: np.random.Generator, cfg: SynthConfig, n: int) -> I64:
    """Days from birth to loss of an older child: uniform whole days when ``older_age_power`` is 1
    (the generator's original draw), else ``min + u ** power * (max - min)`` years."""
    low, high = round(cfg.older_age_min_years * 365), round(cfg.older_age_max_years * 365)
    if cfg.older_age_power == 1.0:
        return rng.integers(low, high, size=n)
    return low + (rng.random(n) ** cfg.older_age_power * (high - low)).astype(np.int64)


def draw_case_plan(rng: np.random.Generator, cfg: SynthConfig, children: People) -> CasePlan:
    """Draw every case-side Bernoulli, the loss date, childhood names and marks."""
    n = len(children)
    u = rng.random((12, n))
    baby = u[0] < cfg.baby_rate
    unnamed = baby & (u[1] < cfg.baby_unnamed_rate)
    alias_only = ~unnamed & (u[2] < cfg.alias_only_rate)
    has_alias = alias_only | (~unnamed & (u[3] < cfg.alias_rate))
    named = ~unnamed & ~alias_only
    lunar = u[6] < cfg.lunar_rate
    has_marks = u[9] < np.where(baby, cfg.baby_marks_rate, cfg.marks_rate)
    # Babies are given away days or weeks after birth (often the same day); older children at 2-10
    # (the defaults: SynthConfig.baby_max_days, baby_gap_power, older_age_*).
    baby_gap = (rng.random(n) ** cfg.baby_gap_power * cfg.baby_max_days).astype(np.int64)
    older_gap = _older_gap(rng, cfg, n)
    missing = children.birth + np.where(baby, baby_gap, older_gap)
    wrong_order = rng.random(n) < cfg.wrong_order_rate  # some reports give a loss date before the birth date
    missing = np.where(wrong_order, children.birth - rng.integers(1, 400, size=n), missing)
    alias = [
        make_alias(children.given[i], bool(children.female[i]), rng) if has_alias[i] else "" for i in range(n)
    ]
    marks = [draw_marks(rng) if has_marks[i] else () for i in range(n)]
    # drawn only when asked for, so that the default output stays the same
    in_name = alias_only & (rng.random(n) < cfg.alias_in_name_rate) if cfg.alias_in_name_rate > 0 else \
        np.zeros(n, dtype=bool)
    return CasePlan(
        baby=baby, unnamed=unnamed, alias_only=alias_only, has_alias=has_alias,
        homophone=named & (u[4] < cfg.homophone_rate), dialect=named & (u[5] < cfg.dialect_rate),
        lunar=lunar, lunar_unmarked=lunar & (u[7] < cfg.lunar_unmarked_rate),
        partial=u[8] < cfg.partial_date_rate, has_marks=has_marks, dirty=u[10] < cfg.case_dirty_rate,
        vague_place=u[11] < cfg.case_vague_place_rate, missing=missing, alias=alias, marks=marks,
        alias_in_name=in_name,
    )


def _vague_place(regions: RegionTable, row: int, rng: np.random.Generator) -> str:
    """The place a child was lost, known only to its city (two in three) or its province."""
    city = rng.random() < 2 / 3 and regions.row_city[row] not in NOT_A_CITY
    if rng.random() < 0.3:
        code = regions.row_code[row]
        return code[:4] + "00" if city else code[:2] + "0000"
    return regions.row_province[row] + (regions.row_city[row] if city else "")


def _placeholder(female: bool, rng: np.random.Generator) -> str:
    text = T.PLACEHOLDERS[int(rng.integers(len(T.PLACEHOLDERS)))]
    return text.format(sex="女" if female else "男")


def render_cases(
    rng: np.random.Generator,
    children: People,
    plan: CasePlan,
    pools: NamePools,
    regions: RegionTable,
) -> tuple[dict[str, list[str]], list[list[str]]]:
    """Write the reports as a family or a police desk would, and the case-side tags of each case."""
    n = len(children)
    width = max(6, len(str(n)))
    columns: dict[str, list[str]] = {c: [] for c in CASE_COLUMNS}
    tags: list[list[str]] = []
    by, bm, bd = (a.tolist() for a in ymd(children.birth))
    my, mm, md = (a.tolist() for a in ymd(plan.missing))
    rows = regions.row_in_year(children.county, np.asarray(my, dtype=np.int64)).tolist()
    today = regions.hist_row[children.county, -1].tolist()
    for i in range(n):
        female = bool(children.female[i])
        case_tags = ["baby"] if plan.baby[i] else []
        name = ""
        variant: str | None = None
        if plan.unnamed[i]:
            case_tags.append("unnamed")
            name = _placeholder(female, rng) if rng.random() < 0.45 else ""
        elif plan.alias_only[i]:
            case_tags.append("alias_only")
            name = _placeholder(female, rng) if rng.random() < 0.2 else ""
            if plan.alias_in_name[i]:
                case_tags.append("alias_in_name")
                name = plan.alias[i]
        else:
            name = children.surname[i] + children.given[i]
            skip = len(children.surname[i])
            if plan.homophone[i]:
                heard = homophone(pools, name, rng, skip=skip if rng.random() < 0.8 else 0)
                if heard is not None:
                    variant, name = name, heard
                    case_tags.append("homophone")
            if plan.dialect[i]:
                heard = dialect_variant(pools, name, rng)
                if heard is not None:
                    variant, name = name, heard
                    case_tags.append("dialect")
        alias = plan.alias[i]
        if plan.alias_in_name[i] and rng.random() < 0.5:
            alias = ""  # written in the name cell only
        if plan.has_alias[i] and not plan.alias_only[i]:
            case_tags.append("alias")

        partial = bool(plan.partial[i])
        calendar = "solar" if rng.random() < 0.3 else ""
        if plan.lunar[i]:
            case_tags.append("lunar")
            marked = not plan.lunar_unmarked[i]
            birth = lunar_text(int(children.birth[i]), rng, partial=partial, marked=marked)
            if not marked:
                case_tags.append("lunar_unmarked")
                calendar = ""
            else:
                calendar = "lunar" if birth[:1].isdigit() or rng.random() < 0.5 else ""
        else:
            birth = case_date_text(by[i], bm[i], bd[i], rng, partial=partial)
        if partial:
            case_tags.append("partial_date")

        missing = event_text(my[i], mm[i], md[i], rng)
        historical = rng.random() < 0.6
        row = rows[i] if historical else today[i]
        region = regions.row_code[row] if rng.random() < 0.3 else render_address(regions, row, rng, messy=True)
        if plan.vague_place[i]:  # no draw otherwise: the default output stays the same
            region = _vague_place(regions, today[i], rng)
            case_tags.append("vague_place")

        if plan.has_marks[i]:
            case_tags.append("marks")
            marks = render_marks(plan.marks[i], rng)
        else:
            marks = T.NO_MARKS[int(rng.integers(len(T.NO_MARKS)))] if rng.random() < 0.1 else ""

        sex = ("F" if female else "M") if rng.random() < 0.6 else ("女" if female else "男")
        if plan.dirty[i]:
            case_tags.append("dirty")
            name, alias, birth, missing, region, marks = _dirty_case(
                rng, name, alias, birth, missing, region, marks, variant
            )
        for column, value in zip(
            CASE_COLUMNS,
            (f"C{i + 1:0{width}d}", name, alias, sex, birth, calendar, missing, region, marks),
            strict=True,
        ):
            columns[column].append(value)
        tags.append(case_tags)
    return columns, tags


def _dirty_case(
    rng: np.random.Generator, name: str, alias: str, birth: str, missing: str, region: str, marks: str,
    variant: str | None,
) -> tuple[str, str, str, str, str, str]:
    """One or two kinds of dirt in a report (the cell most often touched is the name)."""
    for _ in range(1 if rng.random() < 0.7 else 2):
        target = rng.random()
        if target < 0.45 and name:
            name = dirty_name(name, alias, rng, variant)
        elif target < 0.6:
            birth = full_width(birth)
        elif target < 0.7:
            missing = full_width(missing)
        elif target < 0.85:
            region = to_traditional(region) if not region.isdigit() else full_width(region)
        elif target < 0.95 and marks:
            marks = to_traditional(marks)
        else:
            alias = to_traditional(alias) if alias else alias
            name = name or ("（送养）" if rng.random() < 0.5 else "")
    return name, alias, birth, missing, region, marks
