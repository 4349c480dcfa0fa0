"""Visit sheets for DNA sampling teams: the sampling plan as printable HTML, one A4 page (or more) per county.

People are grouped by township where the household address names one (乡, 镇, 街道 ...), each with the
cases they may belong to, the probability, the three strongest reasons for the visit, a masked ID
number and an empty column for the sampler's notes. Pages break between counties and carry page
numbers (CSS ``@page`` margin boxes, which Chromium prints).
"""

from __future__ import annotations

import datetime
import os
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup

from reunite.export.csv import PlanRowLike
from reunite.export.files import write_text
from reunite.i18n import TEXT, Language, check_language, reason_separator, sex_text
from reunite.ingest._safe import mask_id, mask_id_numbers
from reunite.report.data import parse_reasons
from reunite.report.html import environment, today_region

__all__ = ["VisitCase", "VisitPerson", "render_visit_sheets", "township_of", "visits_from_plan", "write_visit_sheets"]

_TOWNSHIP = re.compile(
    r"(?:自治县|自治旗|县|区|旗|市)([^省市县区旗]{1,12}?(?:街道办事处|街道|镇|乡|苏木|办事处|农场|林场))")


def township_of(region: str) -> str:
    """The township (乡, 镇, 街道 ...) an address names after its county; "" when it names none.

    >>> township_of("江西省萍乡市安源区白源街道办事处清溪村")
    '白源街道办事处'
    >>> township_of("河南省周口市太康县马头镇")
    '马头镇'
    >>> township_of("360302"), township_of("江西省萍乡市安源区")
    ('', '')
    """
    found = _TOWNSHIP.search(region)
    return found.group(1) if found else ""


@dataclass(frozen=True, slots=True)
class VisitCase:
    """A case a person to visit may belong to."""

    case_id: str
    rank: int
    probability: float
    reasons: tuple[str, ...]  # the strongest reasons for the visit, at most three


@dataclass(frozen=True, slots=True)
class VisitPerson:
    """One person to visit (or to compare in the DNA database)."""

    county: str
    township: str
    person_id: str
    name: str
    sex: str
    birth_date: str
    id_number: str
    region: str
    in_database: bool
    priority: float
    cases: tuple[VisitCase, ...]


def _strongest(reasons: str, lang: Language, n: int = 3) -> tuple[str, ...]:
    weights = sorted((w for w in parse_reasons(reasons) if w.weight > 0), key=lambda w: -w.weight)[:n]
    out = []
    for w in weights:
        out.append(f"{w.label_in(lang)} +{w.weight:.1f}")
    return tuple(out)


def visits_from_plan(plan: Sequence[PlanRowLike], reasons: Mapping[tuple[str, str], str], *,
                     lang: Language = "en") -> list[VisitPerson]:
    """Visit sheet rows from the sampling plan's rows and each (case_id, person_id)'s reasons text."""
    lang = check_language(lang)
    found = []
    for row in plan:
        cases = tuple(VisitCase(c.case_id, c.rank, c.probability,
                                _strongest(reasons.get((c.case_id, row.person_id), ""), lang))
                      for c in row.cases)
        found.append(VisitPerson(
            county=row.county, township=township_of(row.region), person_id=row.person_id, name=row.name,
            sex=row.sex, birth_date=row.birth_date, id_number=row.id_number, region=row.region,
            in_database=row.action == "compare in database", priority=row.priority, cases=cases,
        ))
    return found


def render_visit_sheets(people: Sequence[VisitPerson], *, lang: Language = "en", reveal_ids: bool = False,
                        title: str | None = None, now: Callable[[], datetime.datetime] | None = None) -> str:
    """The visit sheets' HTML text (see :func:`write_visit_sheets`)."""
    lang = check_language(lang)
    labels = TEXT[lang]

    def shown(value: object) -> str:
        return str(value) if reveal_ids else mask_id_numbers(str(value))

    counties: dict[str, dict[str, list[VisitPerson]]] = defaultdict(lambda: defaultdict(list))
    for person in people:
        counties[person.county][person.township].append(person)
    stamp = (now or (lambda: datetime.datetime.now(datetime.UTC)))().strftime("%Y-%m-%d")
    context: dict[str, Any] = {
        "lang": lang, "t": lambda key: labels[key], "title": title or labels["plan_title"], "generated": stamp,
        "reveal_ids": reveal_ids, "separator": reason_separator(lang),
        # inside a CSS string in <style>, where HTML escapes are not decoded
        "css_title": Markup(re.sub(r'["\\<>&\n]', " ", title or labels["plan_title"])),
        "counties": [{
            "name": county or labels["plan_unknown_county"],
            "persons": sum(len(v) for v in townships.values()),
            "to_collect": sum(not p.in_database for v in townships.values() for p in v),
            "townships": [{
                "name": township or labels["plan_unknown_township"],
                "people": [{
                    "person": shown(p.person_id), "name": shown(p.name), "sex": sex_text(lang, p.sex),
                    "birth": shown(p.birth_date),
                    "region": shown(today_region(p.region) if p.region.strip().isdigit() else p.region),
                    "id_number": p.id_number if reveal_ids else mask_id(p.id_number),
                    "in_database": p.in_database,
                    "cases": [{"id": shown(c.case_id), "rank": c.rank, "probability": c.probability,
                               "reasons": c.reasons} for c in p.cases],
                } for p in persons],
            } for township, persons in sorted(townships.items(), key=lambda kv: (kv[0] == "", kv[0]))],
        } for county, townships in counties.items()],
    }
    return environment().get_template("visits.html.j2").render(context)


def write_visit_sheets(path: str | os.PathLike[str], people: Sequence[VisitPerson], *, lang: Language = "en",
                       reveal_ids: bool = False, title: str | None = None) -> Path:
    """Write the visit sheets as one self-contained, printable HTML file (written whole or not at all).

    Counties keep the plan's order (province, county); ID numbers are masked unless ``reveal_ids``.
    """
    return write_text(path, render_visit_sheets(people, lang=lang, reveal_ids=reveal_ids, title=title))
