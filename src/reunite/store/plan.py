"""The sampling plan: whom a DNA team visits, one row per person, grouped by region.

From the current top-k of every open case, :func:`build_plan` keeps the first ``top_k`` candidates
of each case that DNA has not already settled, and folds them by person: a person high for several
cases is visited once, and the row lists every case with its rank and probability. Rows are
grouped by the candidate's region (province, then county) and, inside a region, sorted by priority
(the person's highest probability over the listed cases). A person whose DNA profile is on file is
marked "compare in database": no field trip is needed for them.

Left out: closed cases; pairs whose latest DNA outcome is ``excluded`` (never proposed again) or
``pending`` (the sample is at the lab); persons already confirmed as the child of some case.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from reunite.errors import ConfigError
from reunite.store.store import Store

__all__ = [
    "PlanAction", "PlanCase", "PlanRow", "RegionSummary", "build_plan", "region_keys", "summarize_plan",
]

PlanAction = Literal["collect sample", "compare in database"]

_PROVINCE = re.compile(r"^(.+?(?:省|自治区|特别行政区)|北京市|天津市|上海市|重庆市)")
_COUNTY = re.compile(r"^(.*?(?:自治县|自治旗|县|区|旗))")
_CITY = re.compile(r"^(.*?市)")


def region_keys(region: str) -> tuple[str, str]:
    """(province, county) grouping keys for a region cell: a division code or address text.

    A 6-digit code gives its province code and itself; text is cut after the province and after
    the first county-level suffix. The lead can pass a resolver from ``reunite.normalize`` instead
    (``build_plan(..., region_key=...)``), so that codes and names of one county group together.

    >>> region_keys("360302")
    ('360000', '360302')
    >>> region_keys("江西省萍乡市安源区白源街")
    ('江西省', '江西省萍乡市安源区')
    >>> region_keys("")
    ('', '')
    """
    text = region.strip()
    if re.fullmatch(r"\d{6}", text):
        return text[:2] + "0000", text
    found = _PROVINCE.match(text)
    province = found.group(1) if found else ""
    rest = text[len(province):]
    county = _COUNTY.match(rest) or _CITY.match(rest)
    return province, province + (county.group(1) if county else rest)


@dataclass(frozen=True, slots=True)
class PlanCase:
    """One case a planned person is high for."""

    case_id: str
    rank: int
    probability: float
    score: float


@dataclass(frozen=True, slots=True)
class PlanRow:
    """One person to visit (or compare in the database), with every case they rank high for."""

    province: str
    county: str
    region: str
    person_id: str
    name: str
    sex: str
    birth_date: str
    id_number: str
    action: PlanAction
    priority: float
    cases: tuple[PlanCase, ...]


@dataclass(frozen=True, slots=True)
class RegionSummary:
    """Counts for one county of the plan."""

    province: str
    county: str
    persons: int
    cases: int
    samples_to_collect: int


def build_plan(
    store: Store, top_k: int, *, region_key: Callable[[str], tuple[str, str]] = region_keys
) -> list[PlanRow]:
    """One row per person to visit, grouped by region, highest priority first in each region.

    Parameters
    ----------
    store:
        The store holding the current top-k, DNA outcomes and profiles.
    top_k:
        Candidates per case to visit (after dropping settled pairs), at least 1.
    region_key:
        Maps the candidate's region cell to (province, county) grouping keys.

    Returns
    -------
    list of PlanRow
        Sorted by province, county (empty regions last), priority (descending), person id.

    Examples
    --------
    >>> store = Store.open("sqlite://")
    >>> _ = store.upsert("cases", [{"case_id": "C1"}])
    >>> _ = store.upsert("candidates", [{"person_id": "P1", "region": "360302"}])
    >>> run = store.begin_run("full", "cfg", "m1", 0, {})
    >>> store.save_results(run, [{"case_id": "C1", "rank": 1, "person_id": "P1", "score": 4.0,
    ...                           "probability": 0.8}], replace_cases=["C1"])
    >>> store.finish_run(run)
    >>> [(r.person_id, r.action, [c.case_id for c in r.cases]) for r in build_plan(store, 5)]
    [('P1', 'collect sample', ['C1'])]
    """
    if top_k < 1:
        raise ConfigError(f"top_k: expected at least 1, got {top_k}")
    open_cases = set(store.open_case_ids())
    settled = store.excluded_pairs() | store.pending_pairs()
    found = {person for _, person in store.confirmed_pairs()}
    on_file = store.profiles_on_file()
    per_person: dict[str, list[PlanCase]] = defaultdict(list)
    taken: dict[str, int] = defaultdict(int)
    for row in store.current_topk():  # by case, then rank
        if row.case_id not in open_cases or (row.case_id, row.person_id) in settled:
            continue
        if row.person_id in found or taken[row.case_id] >= top_k:
            continue
        taken[row.case_id] += 1
        per_person[row.person_id].append(PlanCase(row.case_id, row.rank, row.probability, row.score))
    people = {p["person_id"]: p for p in store.read_rows("candidates", per_person)}
    plan = []
    for person_id, cases in per_person.items():
        person = people[person_id]
        province, county = region_key(person["region"])
        ordered = tuple(sorted(cases, key=lambda c: (-c.probability, c.case_id)))
        plan.append(PlanRow(
            province=province, county=county, region=person["region"], person_id=person_id,
            name=person["name"], sex=person["sex"], birth_date=person["birth_date"],
            id_number=person["id_number"],
            action="compare in database" if person_id in on_file else "collect sample",
            priority=ordered[0].probability, cases=ordered,
        ))
    plan.sort(key=lambda r: (r.province == "", r.province, r.county == "", r.county, -r.priority,
                             r.person_id))
    return plan


def summarize_plan(plan: list[PlanRow]) -> list[RegionSummary]:
    """Per county: persons to see, distinct cases served, samples to collect (field trips).

    >>> row = PlanRow("360000", "360302", "360302", "P1", "", "F", "1988", "", "collect sample", 0.8,
    ...               (PlanCase("C1", 1, 0.8, 4.0),))
    >>> summarize_plan([row])
    [RegionSummary(province='360000', county='360302', persons=1, cases=1, samples_to_collect=1)]
    """
    persons: dict[tuple[str, str], int] = defaultdict(int)
    samples: dict[tuple[str, str], int] = defaultdict(int)
    cases: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in plan:
        key = (row.province, row.county)
        persons[key] += 1
        samples[key] += row.action == "collect sample"
        cases[key].update(c.case_id for c in row.cases)
    return [RegionSummary(p, c, persons[(p, c)], len(cases[(p, c)]), samples[(p, c)])
            for p, c in sorted(persons, key=lambda k: (k[0] == "", k[0], k[1] == "", k[1]))]
