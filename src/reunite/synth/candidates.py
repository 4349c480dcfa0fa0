"""The candidate pool: corrupted register copies of the true children, near-twins, the population,
and the household-register extract each of them becomes."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
from stdnum.cn.ric import calc_check_digit

from reunite._typing import I64
from reunite.synth import _tables as T
from reunite.synth.cases import CasePlan, People, draw_people
from reunite.synth.config import SHIFT_YEAR_WEIGHTS, SynthConfig
from reunite.synth.dates import register_date_text, to_lunar, year_start, ymd
from reunite.synth.names import NamePools, homophone
from reunite.synth.regions import RegionTable, load_routes, render_address
from reunite.synth.text import draw_marks, full_width, render_marks, to_traditional

__all__ = ["CANDIDATE_COLUMNS", "Register", "near_twins", "population", "render_candidates", "true_copies"]

CANDIDATE_COLUMNS: tuple[str, ...] = (
    "person_id", "name", "former_names", "sex", "birth_date", "id_number", "region",
    "registration_date", "marks",
)


def _shift_years(max_years: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """The years a registered birth may be shifted by, and their probabilities."""
    weights = np.array(SHIFT_YEAR_WEIGHTS[:max_years], dtype=np.float64)
    return np.arange(1, max_years + 1, dtype=np.int64), weights / weights.sum()


@dataclass(slots=True)
class Register:
    """Candidates as the household register holds them (before they are written as text)."""

    people: People          # registered names, sex, registered birth day, registration county
    former: list[list[str]]
    registered: I64         # day entered the household register
    marks: list[str]
    tags: list[list[str]]   # corruption tags (true copies only)

    def __len__(self) -> int:
        return len(self.people)


def _registration(rng: np.random.Generator, birth: I64, late_rate: float) -> I64:
    """Registration within weeks of birth; ``late_rate`` of people years later (黑户 registered late)."""
    n = birth.shape[0]
    weeks = np.asarray(rng.exponential(25.0, size=n)).astype(np.int64)
    late = rng.random(n) < late_rate
    years = (365 * (1 + np.minimum(rng.exponential(2.5, size=n), 11))).astype(np.int64)
    return np.asarray(birth + np.where(late, years, weeks), dtype=np.int64)


def _lunar_digits(days: int) -> int | None:
    """The solar day written with the lunar date's digits (农历1988年七月初七 -> 1988-07-07), or None."""
    year, month, day = to_lunar(days)
    try:
        return (datetime.date(year, abs(month), day) - datetime.date(1970, 1, 1)).days
    except ValueError:  # 二月三十
        return None


def _other_surname(pools: NamePools, rng: np.random.Generator, surname: str) -> str:
    while True:
        new = pools.sample_surnames(rng, 1)[0]
        if new != surname:
            return new


# rows of ``u`` in :func:`true_copies`: adoptive surname, given name replaced, birth shifted, registered late
_IDENTITY_ROWS = (0, 1, 5, 8)


def true_copies(
    rng: np.random.Generator, cfg: SynthConfig, children: People, plan: CasePlan, index: I64,
    pools: NamePools, regions: RegionTable,
) -> Register:
    """The register record of each child in ``index``: a corrupted copy, with the tags of what changed."""
    n = index.shape[0]
    u = rng.random((10, n))
    if cfg.identity_coupling > 0.0:  # one draw per child decides the events of a new identity together
        new_identity = rng.random(n)
        for row in _IDENTITY_ROWS:
            u[row] = np.where(rng.random(n) < cfg.identity_coupling, new_identity, u[row])
    female = children.female[index]
    birth = children.birth[index]
    fresh = pools.sample_given(rng, female, ymd(birth)[0])
    surnames, givens, former, marks, tags = [], [], [], [], []
    registered_birth = birth.copy()
    county = children.county[index].copy()
    shift_years, shift_p = _shift_years(int(cfg.date_shift_max_years))
    routes = load_routes() if cfg.route_share > 0.0 else None
    for j, i in enumerate(index.tolist()):
        pair_tags: list[str] = []
        names: list[str] = []
        surname, given = children.surname[i], children.given[i]
        if u[0, j] < cfg.adoptive_surname_rate:
            surname = _other_surname(pools, rng, surname)
            pair_tags.append("adoptive_surname")
        if plan.unnamed[i]:
            given = fresh[j]  # a baby without a name is named by the new family
        elif u[1, j] < cfg.given_replaced_rate:
            given = fresh[j] if fresh[j] != given else given + fresh[j][:1]
            pair_tags.append("given_replaced")
            if u[2, j] < cfg.former_name_kept_rate:
                names.append(children.surname[i] + children.given[i])
                pair_tags.append("former_name")
        if plan.has_alias[i] and not plan.baby[i] and u[3, j] < cfg.alias_kept_rate:
            names.append((children.surname[i] if rng.random() < 0.5 else "") + plan.alias[i])
            pair_tags.append("alias_kept")
        if u[4, j] < cfg.date_jitter_rate:
            offset = int(rng.normal(0.0, 15.0))
            registered_birth[j] += offset if offset != 0 else 1
            pair_tags.append("date_jitter")
        if u[5, j] < cfg.date_shift_rate:
            years = int(rng.choice(shift_years, p=shift_p))
            sign = 1 if rng.random() < cfg.shift_later_share else -1
            registered_birth[j] += sign * round(years * 365.25)
            if rng.random() < 0.5:  # an invented birthday
                registered_birth[j] += int(rng.integers(-150, 151))
            pair_tags.append("date_shift")
        move = u[6, j]
        home = int(county[j])
        if move < cfg.move_in_county_rate:
            pair_tags.append("moved_county")
        elif move < cfg.move_in_county_rate + cfg.move_in_province_rate:
            p = regions.province_index(np.array([home]))
            while int(county[j]) == home and len(regions.province_members[int(p[0])]) > 1:
                county[j] = regions.sample_in_provinces(rng, p)[0]
            pair_tags.append("moved_province")
        elif move < cfg.move_in_county_rate + cfg.move_in_province_rate + cfg.move_out_province_rate:
            if routes is not None and rng.random() < cfg.route_share:
                county[j] = routes.destination(rng, home)
                pair_tags.append("route")
            while regions.province[county[j]] == regions.province[home]:
                county[j] = regions.sample(rng, 1)[0]
            pair_tags.append("moved_out")
        if plan.has_marks[i] and u[7, j] < cfg.marks_shared_rate:
            shared = plan.marks[i][int(rng.integers(len(plan.marks[i])))]
            marks.append(render_marks((shared,), rng, avoid=render_marks(plan.marks[i], rng)))
            pair_tags.append("marks_shared")
        else:
            marks.append(render_marks(draw_marks(rng), rng) if u[9, j] < cfg.population_marks_rate else "")
        surnames.append(surname)
        givens.append(given)
        former.append(names)
        tags.append(pair_tags)
    if cfg.register_lunar_digits_rate > 0.0:  # a lunar birthday's digits registered as the solar date
        for j, i in enumerate(index.tolist()):
            if plan.lunar[i] and rng.random() < cfg.register_lunar_digits_rate:
                digits = _lunar_digits(int(birth[j]))
                if digits is not None:
                    registered_birth[j] += digits - int(birth[j])
                    tags[j].append("register_lunar")
    if cfg.surname_region_strength > 0.0:  # the adoptive family's surname is of where it lives
        adopted = [j for j, t in enumerate(tags) if "adoptive_surname" in t]
        local = pools.sample_regional_surnames(rng, regions, county[adopted], cfg.surname_region_strength)
        for j, name in zip(adopted, local, strict=True):
            if name != children.surname[int(index[j])]:
                surnames[j] = name
    # Registration: babies within weeks unless late (years); older children after they were lost.
    late = plan.baby[index] & (u[8] < cfg.late_registration_rate)
    for j in np.flatnonzero(late).tolist():
        tags[j].append("late_registration")
    base = np.maximum(registered_birth, plan.missing[index])
    baby_reg = np.where(
        late,
        registered_birth + (365 * (1 + np.minimum(rng.exponential(2.5, size=n), 11))).astype(np.int64),
        base + np.asarray(rng.exponential(20.0, size=n)).astype(np.int64),
    )
    older_reg = plan.missing[index] + rng.integers(14, 3 * 365, size=n)
    registered = np.where(plan.baby[index], baby_reg, np.maximum(older_reg, registered_birth))
    people = People(surnames, givens, female.copy(), registered_birth, county)
    return Register(people, former, registered, marks, tags)


def near_twins(
    rng: np.random.Generator, children: People, counts: I64, pools: NamePools, regions: RegionTable
) -> Register:
    """``counts[i]`` decoys for child ``i``: same surname, sex, birth year and province, a similar
    given name (a shared character, a homophone, or the same common name)."""
    owner = np.repeat(np.arange(len(children)), counts)
    n = owner.shape[0]
    female = children.female[owner]
    year = ymd(children.birth[owner])[0]
    birth = year_start(year) + (rng.random(n) * 365).astype(np.int64)
    county = regions.sample_in_provinces(rng, regions.province_index(children.county[owner]))
    fresh = pools.sample_given(rng, female, year)
    givens = []
    for j, i in enumerate(owner.tolist()):
        given = children.given[i]
        form = rng.random()
        if form < 0.2:
            similar = given
        elif form < 0.5:
            similar = homophone(pools, given, rng) or fresh[j]
        elif len(given) == 2:
            similar = given[0] + fresh[j][-1] if rng.random() < 0.5 else fresh[j][0] + given[1]
        else:
            similar = given + fresh[j][-1] if rng.random() < 0.5 else fresh[j][:1] + given
        givens.append(similar)
    people = People([children.surname[i] for i in owner.tolist()], givens, female, birth, county)
    return Register(people, [[] for _ in range(n)], _registration(rng, birth, 0.05), [""] * n,
                    [[] for _ in range(n)])


def population(
    rng: np.random.Generator, cfg: SynthConfig, size: int, home_counties: I64, pools: NamePools,
    regions: RegionTable,
) -> Register:
    """Decoys drawn from the population; ``local_decoy_share`` of them in the province of some case."""
    local = rng.random(size) < cfg.local_decoy_share
    county = regions.sample(rng, size)
    if home_counties.shape[0] and local.any():
        near = home_counties[rng.integers(home_counties.shape[0], size=int(local.sum()))]
        county[local] = regions.sample_in_provinces(rng, regions.province_index(near))
    people = draw_people(rng, pools, regions, size, female_share=0.5, county=county,
                         surname_region_strength=cfg.surname_region_strength)
    registered = _registration(rng, people.birth, cfg.population_late_registration_rate)
    marks = [render_marks(draw_marks(rng), rng) if rng.random() < cfg.population_marks_rate else ""
             for _ in range(size)]
    return Register(people, [[] for _ in range(size)], registered, marks, [[] for _ in range(size)])


def concat(parts: list[Register]) -> Register:
    """One register from several, in order."""
    people = People(
        [s for p in parts for s in p.people.surname], [g for p in parts for g in p.people.given],
        np.concatenate([p.people.female for p in parts]), np.concatenate([p.people.birth for p in parts]),
        np.concatenate([p.people.county for p in parts]),
    )
    return Register(
        people, [f for p in parts for f in p.former], np.concatenate([p.registered for p in parts]),
        [m for p in parts for m in p.marks], [t for p in parts for t in p.tags],
    )


def _id_numbers(
    rng: np.random.Generator, cfg: SynthConfig, reg: Register, regions: RegionTable
) -> tuple[list[str], list[str]]:
    """ID numbers (GB 11643-1999) and the ID tag of each person ("" when a plain valid 18-digit ID)."""
    n = len(reg)
    people = reg.people
    y, m, d = ymd(people.birth)
    reg_year = ymd(reg.registered)[0]
    rows = regions.row_in_year(people.county, reg_year).tolist()
    seq = (rng.integers(0, 500, size=n) * 2 + (~people.female)).tolist()
    u = rng.random(n)
    u15 = rng.random(n)
    breakage = rng.random(n).tolist()
    ys, ms, ds = y.tolist(), m.tolist(), d.tolist()
    current = regions.code.astype(str)[people.county].tolist()
    numbers, kinds = [], []
    for j in range(n):
        code = regions.row_code[rows[j]]
        kind = "id_historical" if code != current[j] else ""
        if u[j] < cfg.id_empty_rate:
            numbers.append("")
            kinds.append("id_empty")
            continue
        if u[j] >= cfg.id_empty_rate + cfg.id_malformed_rate and ys[j] < 1984 and u15[j] < cfg.id15_rate:
            numbers.append(f"{code}{ys[j] % 100:02d}{ms[j]:02d}{ds[j]:02d}{seq[j]:03d}")
            kinds.append("id_15" + (";id_historical" if kind else ""))
            continue
        body = f"{code}{ys[j]:04d}{ms[j]:02d}{ds[j]:02d}{seq[j]:03d}"
        number = body + calc_check_digit(body + "0")
        if u[j] < cfg.id_empty_rate + cfg.id_malformed_rate:
            number = _malformed(number, breakage[j])
            kind = "id_malformed"
        numbers.append(number)
        kinds.append(kind)
    return numbers, kinds


def _malformed(number: str, b: float) -> str:
    """A broken 18-digit ID that fails its checksum or length: the errors clerks and OCR make."""
    if b < 0.35:
        wrong = "0123456789X".replace(number[-1], "")
        return number[:-1] + wrong[int(b * 1000) % len(wrong)]
    if b < 0.55:
        cut = 6 + int(b * 1000) % 11
        return number[:cut] + number[cut + 1:]
    if b < 0.75:
        body = number[:17]
        for k in range(10, 16):
            if body[k] != body[k + 1]:
                swapped = body[:k] + body[k + 1] + body[k] + body[k + 2:]
                return swapped + number[17]
        return number[:-1] + ("1" if number[-1] != "1" else "2")
    if b < 0.88:
        return number + str(int(b * 1000) % 10)
    k = number.find("0", 6)
    if k >= 0:
        return number[:k] + "O" + number[k + 1:]
    return number[:-1] + ("1" if number[-1] != "1" else "2")


def _rounded_births(rng: np.random.Generator, reg: Register, rate: float) -> Register:
    """``rate`` of the registered births written as the 1st of their month, half of those as 1 January."""
    n = len(reg)
    u = rng.random((2, n))
    rounded = u[0] < rate
    birth = reg.people.birth
    month_start = birth.astype("datetime64[D]").astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    new = np.where(rounded, np.where(u[1] < 0.5, year_start(ymd(birth)[0]), month_start), birth)
    for j in np.flatnonzero(rounded).tolist():
        reg.tags[j].append("rounded_birth")  # in place, as the other corruptions are tagged
    return replace(reg, people=replace(reg.people, birth=new))


def render_candidates(
    rng: np.random.Generator, cfg: SynthConfig, reg: Register, order: I64, regions: RegionTable,
) -> tuple[dict[str, list[str]], list[str]]:
    """Write the register extract in ``order`` (a permutation), and the person_id of each input row."""
    n = len(reg)
    width = max(7, len(str(n)))
    if cfg.population_rounded_birth_rate > 0:  # no draw at 0: the default output stays the same
        reg = _rounded_births(rng, reg, cfg.population_rounded_birth_rate)
    people = reg.people
    ids, id_kinds = _id_numbers(rng, cfg, reg, regions)
    birth = register_date_text(people.birth, rng)
    registered = register_date_text(reg.registered, rng)
    reg_year = ymd(reg.registered)[0]
    region_rows = regions.row_in_year(people.county, reg_year).tolist()
    today = regions.hist_row[people.county, -1].tolist()
    u = rng.random((6, n))
    former_extra = pools_former(rng, people, u[4] < cfg.population_former_name_rate)
    columns: dict[str, list[str]] = {c: [] for c in CANDIDATE_COLUMNS}
    person_id = [""] * n
    for position, j in enumerate(order.tolist()):
        pid = f"P{position + 1:0{width}d}"
        person_id[j] = pid
        name = people.surname[j] + people.given[j]
        number = ids[j]
        dirty = u[5, j] < cfg.candidate_dirty_rate
        if dirty:
            form = rng.random()
            if form < 0.4:
                name = to_traditional(name)
            elif form < 0.6:
                name = name[0] + " " + name[1:]
            elif form < 0.8 and number:
                number = full_width(number)
            else:
                number = number[:6] + " " + number[6:14] + " " + number[14:] if number else number
            reg.tags[j].append("dirty_register")
        if id_kinds[j]:
            reg.tags[j].extend(id_kinds[j].split(";"))
        if u[0, j] < 0.5:
            row = region_rows[j] if u[1, j] < 0.3 else today[j]
            region = regions.row_code[row]
        else:
            region = render_address(regions, today[j], rng, messy=False)
        female = bool(people.female[j])
        sex = ("F" if female else "M") if u[2, j] < 0.92 else ("女" if female else "男")
        former = ";".join(reg.former[j] + former_extra[j])
        values = (pid, name, former, sex, birth[j], number, region,
                  registered[j] if u[3, j] >= 0.03 else "", reg.marks[j])
        for column, value in zip(CANDIDATE_COLUMNS, values, strict=True):
            columns[column].append(value)
    return columns, person_id


def pools_former(rng: np.random.Generator, people: People, has: npt.NDArray[np.bool_]) -> list[list[str]]:
    """Ordinary name changes in the population: the same surname with an earlier given name."""
    out: list[list[str]] = [[] for _ in range(len(people))]
    for j in np.flatnonzero(has).tolist():
        given = people.given[j]
        pool = T.FEMALE_EARLY if people.female[j] else T.MALE_EARLY
        earlier = "".join(pool[int(k)] for k in rng.integers(len(pool), size=1 + int(rng.random() < 0.5)))
        out[j] = [people.surname[j] + (earlier if earlier != given else earlier + "儿")]
    return out
