"""The synthetic cold-case generator: determinism, tag rates, valid IDs, the no-match share."""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lunar_python import Solar
from stdnum.cn.ric import calc_check_digit

from reunite.errors import ConfigError
from reunite.normalize.dates import parse_date
from reunite.pipeline import load_side
from reunite.synth import TAG_RATES, SynthConfig, SynthData, generate, write
from reunite.synth.dates import to_lunar
from reunite.synth.regions import load_regions

CASE_HEADER = "case_id,name,alias,sex,birth_date,birth_calendar,missing_date,missing_region,marks"
CANDIDATE_HEADER = "person_id,name,former_names,sex,birth_date,id_number,region,registration_date,marks"
N_LARGE = 5000


@pytest.fixture(scope="module")
def large() -> SynthData:
    return generate(N_LARGE, 8000, seed=11)


def _tags(data: SynthData) -> list[set[str]]:
    return [set(t.split(";")) - {""} for t in data.truth["tags"]]


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    first = write(generate(120, 2000, seed=5), tmp_path / "a")
    again = write(generate(120, 2000, seed=5), tmp_path / "b")
    other = write(generate(120, 2000, seed=6), tmp_path / "c")
    for a, b, c in zip(first, again, other, strict=True):
        assert a.read_bytes() == b.read_bytes()
        assert a.read_bytes() != c.read_bytes()
    assert first.cases.read_text(encoding="utf-8").splitlines()[0] == CASE_HEADER
    assert first.candidates.read_text(encoding="utf-8").splitlines()[0] == CANDIDATE_HEADER
    with first.candidates.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2000 and len({r["person_id"] for r in rows}) == 2000


def test_no_match_share_is_exact_and_true_candidates_exist(large: SynthData) -> None:
    person_ids = large.truth["person_id"]
    assert sum(1 for p in person_ids if not p) == round(N_LARGE * 0.15)
    pool = set(large.candidates["person_id"])
    matched = [p for p in person_ids if p]
    assert all(p in pool for p in matched) and len(set(matched)) == len(matched)
    assert large.truth["case_id"] == large.cases["case_id"]
    data = generate(200, 1000, seed=1, config=SynthConfig(no_match_rate=0.4))
    assert sum(1 for p in data.truth["person_id"] if not p) == 80


def _eligible(data: SynthData) -> dict[str, Callable[[set[str], int], bool]]:
    """For each tag, which truth rows its rate is drawn over (see SynthConfig's docstring)."""
    matched = [bool(p) for p in data.truth["person_id"]]
    where = {p: i for i, p in enumerate(data.candidates["person_id"])}
    year = [
        int(data.candidates["birth_date"][where[p]][:4]) if p else 0 for p in data.truth["person_id"]
    ]

    def named(t: set[str]) -> bool:
        return not t & {"unnamed", "alias_only"}

    return {
        "baby": lambda t, i: True,
        "unnamed": lambda t, i: "baby" in t,
        "alias_only": lambda t, i: "unnamed" not in t,
        "alias_in_name": lambda t, i: "alias_only" in t,
        "alias": lambda t, i: named(t),
        "homophone": lambda t, i: named(t),
        "dialect": lambda t, i: named(t),
        "lunar": lambda t, i: True,
        "lunar_unmarked": lambda t, i: "lunar" in t,
        "partial_date": lambda t, i: True,
        "marks": lambda t, i: "baby" not in t,
        "dirty": lambda t, i: True,
        "adoptive_surname": lambda t, i: matched[i],
        "given_replaced": lambda t, i: matched[i] and "unnamed" not in t,
        "former_name": lambda t, i: matched[i] and "given_replaced" in t,
        "alias_kept": lambda t, i: matched[i] and "baby" not in t and bool(t & {"alias", "alias_only"}),
        "date_jitter": lambda t, i: matched[i],
        "date_shift": lambda t, i: matched[i],
        "moved_county": lambda t, i: matched[i],
        "moved_province": lambda t, i: matched[i],
        "moved_out": lambda t, i: matched[i],
        "route": lambda t, i: matched[i] and "moved_out" in t,
        "late_registration": lambda t, i: matched[i] and "baby" in t,
        "marks_shared": lambda t, i: matched[i] and "marks" in t,
        "dirty_register": lambda t, i: matched[i],
        "id_empty": lambda t, i: matched[i],
        "rounded_birth": lambda t, i: matched[i],
        "register_lunar": lambda t, i: matched[i] and "lunar" in t,
        "vague_place": lambda t, i: True,
        "id_malformed": lambda t, i: matched[i],
        "id_15": lambda t, i: matched[i] and year[i] < 1984 and not t & {"id_empty", "id_malformed"},
    }


def test_every_tag_rate_is_within_binomial_tolerance(large: SynthData) -> None:
    cfg = large.config
    tags = _tags(large)
    eligible = _eligible(large)
    assert set(eligible) == set(TAG_RATES)
    # A few draws cannot be applied (no homophone or dialect variant exists for the name): those rates
    # may fall short by up to 2% of the rate, never exceed it.
    shortfall = {"homophone": 0.02, "dialect": 0.02}
    for tag, field_name in sorted(TAG_RATES.items()):
        rows = [i for i, t in enumerate(tags) if eligible[tag](t, i)]
        assert len(rows) >= 100, tag
        p = getattr(cfg, field_name)
        observed = sum(1 for i in rows if tag in tags[i]) / len(rows)
        tolerance = 4 * math.sqrt(p * (1 - p) / len(rows))
        low, high = p - tolerance - shortfall.get(tag, 0.0) * p, p + tolerance
        message = f"{tag}: {observed:.4f} over {len(rows)} rows, expected [{low:.4f}, {high:.4f}]"
        assert low <= observed <= high, message
    babies = [i for i, t in enumerate(tags) if "baby" in t]
    baby_marks = sum(1 for i in babies if "marks" in tags[i]) / len(babies)
    assert abs(baby_marks - cfg.baby_marks_rate) <= 4 * math.sqrt(cfg.baby_marks_rate / len(babies))


def test_a_childhood_name_written_in_the_name_cell_is_read_as_one() -> None:
    from reunite.normalize.name_cells import parse_alias_cell, parse_name_cell

    data = generate(400, 2000, seed=4, config=SynthConfig(alias_only_rate=0.5, alias_in_name_rate=1.0,
                                                          case_dirty_rate=0.0))
    tags = _tags(data)
    written = [i for i, t in enumerate(tags) if "alias_in_name" in t]
    assert written and all("alias_only" in tags[i] for i in written)
    for i in written:
        cell, alias_cell = data.cases["name"][i], data.cases["alias"][i]
        parsed = parse_name_cell(cell)  # 宝宝 is also what a form writes for "a baby": a placeholder
        assert not parsed.names and (parsed.aliases == (cell,) or (parsed.placeholder and not parsed.aliases))
        assert alias_cell in ("", cell) and parse_alias_cell(alias_cell) in ((), (cell,))
    assert any(data.cases["alias"][i] == "" for i in written) and any(data.cases["alias"][i] for i in written)


def test_a_register_may_carry_the_lunar_birthday_digits() -> None:
    from reunite.normalize.dates import lunar_digits_as_solar, parse_date, to_days

    cfg = SynthConfig(lunar_rate=1.0, lunar_unmarked_rate=0.0, register_lunar_digits_rate=1.0, partial_date_rate=0.0,
                      date_jitter_rate=0.0, date_shift_rate=0.0, case_dirty_rate=0.0, candidate_dirty_rate=0.0)
    data = generate(200, 2000, seed=8, config=cfg)
    cases = dict(zip(data.cases["case_id"], zip(data.cases["birth_date"], data.cases["birth_calendar"], strict=True),
                     strict=True))
    births = dict(zip(data.candidates["person_id"], data.candidates["birth_date"], strict=True))
    checked = 0
    for case_id, person_id, tags in zip(data.truth["case_id"], data.truth["person_id"], data.truth["tags"],
                                        strict=True):
        if "register_lunar" not in tags.split(";"):
            continue
        told = parse_date(*cases[case_id])
        registered = parse_date(births[person_id], "solar")
        assert told is not None and told.lunar and registered is not None
        digits = lunar_digits_as_solar(to_days(told.lo), to_days(told.hi))
        assert digits is not None and digits[0] == to_days(registered.lo)
        checked += 1
    assert checked > 100


def _check(body17: str) -> str:
    return str(calc_check_digit(body17 + "0"))


def test_id_numbers_meant_valid_pass_the_checksum(large: SynthData) -> None:
    cand = large.candidates
    where = {p: i for i, p in enumerate(cand["person_id"])}
    current = {str(c) for c in load_regions().code.tolist()}
    regions = load_regions()
    known_codes = set(regions.row_code)
    seen_valid = seen_broken = seen_historical = 0
    for pid, tag_text in zip(large.truth["person_id"], large.truth["tags"], strict=True):
        if not pid:
            continue
        tags = set(tag_text.split(";"))
        row = where[pid]
        number = cand["id_number"][row]
        if "id_malformed" in tags:
            broken = len(number) != 18 or not number[:17].isdigit() or number[17] != _check(number[:17])
            assert broken, number
            seen_broken += 1
        elif tags & {"id_empty"}:
            assert number == ""
        elif tags & {"id_15", "dirty_register"}:
            continue
        else:
            assert len(number) == 18 and number[:17].isdigit(), number
            assert number[17] == _check(number[:17])
            birth = cand["birth_date"][row]
            if len(birth) == 10 and birth[4] == "-":
                assert number[6:14] == birth.replace("-", "")
            odd = int(number[16]) % 2 == 1
            assert odd == (cand["sex"][row] in ("M", "男"))
            assert number[:6] in known_codes
            seen_historical += number[:6] not in current
            seen_valid += 1
    assert seen_valid > 2000 and seen_broken > 30 and seen_historical > 50
    # Over the whole pool most 18-character IDs are valid.
    ids = [n for n in cand["id_number"] if len(n) == 18 and n[:17].isdigit()]
    valid = sum(1 for n in ids if n[17] == _check(n[:17]))
    assert valid / len(ids) > 0.95


def test_decoys_collide_with_cases(large: SynthData) -> None:
    cand = large.candidates
    years = [b[:4] for b in cand["birth_date"]]
    # Many candidates share a sex and birth year; common names repeat.
    pairs: dict[tuple[str, str], int] = {}
    for sex, year in zip(cand["sex"], years, strict=True):
        key = (sex.replace("男", "M").replace("女", "F"), year)
        pairs[key] = pairs.get(key, 0) + 1
    assert min(v for (_, year), v in pairs.items() if "1975" <= year <= "2005") > 20
    names = cand["name"]
    full = Counter(names)
    given = Counter(n[1:] for n in names if len(n) > 1)
    assert full.most_common(1)[0][1] >= 3  # the same full name on several people
    assert sum(v for _, v in given.most_common(10)) > 0.05 * len(names)  # 伟, 婷, 丽 ... are everywhere
    # Near-twins: other candidates carry the true candidate's surname and birth year.
    by_key: dict[tuple[str, str], int] = {}
    for name, year in zip(names, years, strict=True):
        by_key[(name[:1], year)] = by_key.get((name[:1], year), 0) + 1
    where = {p: i for i, p in enumerate(cand["person_id"])}
    kept = [
        where[p] for p, t in zip(large.truth["person_id"], large.truth["tags"], strict=True)
        if p and not {"adoptive_surname", "date_shift", "dirty_register"} & set(t.split(";"))
    ]
    others = np.array([by_key[(names[i][:1], years[i])] - 1 for i in kept])
    assert np.mean(others > 0) > 0.8 and np.median(others) >= 2


def test_real_record_forms_appear(large: SynthData) -> None:
    cases = large.cases
    births = cases["birth_date"]
    assert any("年" in b and "月" in b and "日" in b for b in births)
    assert any(b.startswith(("农历", "阴历")) or "农历" in b for b in births)
    assert any("左右" in b for b in births)
    assert any(len(b) == 3 and b.endswith("年") for b in births)  # 84年
    assert {"lunar", "solar", ""} == set(cases["birth_calendar"])
    assert any("," in r or "，" in r for r in cases["missing_region"])
    assert any("/" in r for r in cases["missing_region"])
    assert any(r.isdigit() and len(r) == 6 for r in cases["missing_region"])
    assert any(n in ("不详", "无", "未取名") for n in cases["name"])
    assert any("（" in n for n in cases["name"])
    assert sum(1 for n in cases["name"] if not n) > 0.25 * N_LARGE  # babies given away unnamed
    assert any(";" in f for f in large.candidates["former_names"])  or any(large.candidates["former_names"])
    assert any(len(n) == 15 for n in large.candidates["id_number"])


def test_lunar_table_agrees_with_lunar_python() -> None:
    rng = np.random.default_rng(0)
    for day in rng.integers(365 * 5, 365 * 36, size=40).tolist():
        date = np.datetime64(day, "D").astype(object)
        lunar = Solar.fromYmd(date.year, date.month, date.day).getLunar()
        assert to_lunar(day) == (lunar.getYear(), lunar.getMonth(), lunar.getDay())


def test_bad_parameters_are_rejected() -> None:
    with pytest.raises(ConfigError, match="move rates"):
        SynthConfig(move_in_county_rate=0.5, move_in_province_rate=0.4, move_out_province_rate=0.3)
    with pytest.raises(ConfigError, match="expected a number"):
        SynthConfig(lunar_rate="0.2")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="n_candidates >= 85"):
        generate(100, 50)
    with pytest.raises(ConfigError, match="non-negative integer"):
        generate(-1, 50)


def test_default_output_is_the_one_before_the_shape_fields_existed() -> None:
    # sha256 of generate(60, 600, seed=2) measured on main before baby_max_days, older_age_*, route_share,
    # date_shift_max_years and wrong_order_rate were added: their defaults must not move a byte.
    import hashlib

    data = generate(60, 600, seed=2)
    digest = hashlib.sha256(repr((data.cases, data.candidates, data.truth)).encode()).hexdigest()
    assert digest == "8240639dff17f6327f47ba732593b7367b04a6187ca207911f3e9026494d810f"


def test_shape_fields_shape_the_draws() -> None:
    from reunite.synth.candidates import _shift_years
    from reunite.synth.cases import _older_gap

    years, p = _shift_years(8)
    assert years.tolist() == list(range(1, 9)) and abs(p.sum() - 1.0) < 1e-12
    assert _shift_years(5)[1].tolist() == pytest.approx([0.4, 0.25, 0.15, 0.12, 0.08])
    cfg = SynthConfig(older_age_min_years=1.0, older_age_max_years=18.0, older_age_power=2.0)
    gap = _older_gap(np.random.default_rng(0), cfg, 20_000) / 365
    assert gap.min() >= 1.0 and gap.max() < 18.0
    assert 0.25 < np.mean(gap < 3) < 0.42  # skewed young: uniform would give 0.12
    with pytest.raises(ConfigError, match="older_age_min_years < older_age_max_years"):
        SynthConfig(older_age_min_years=5.0, older_age_max_years=4.0)
    with pytest.raises(ConfigError, match="whole years"):
        SynthConfig(date_shift_max_years=2.5)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"baby_max_days: expected days in \[1, 3650\]"):
        SynthConfig(baby_max_days=0.0)


def test_routes_send_moved_children_along_the_counted_flows() -> None:
    from reunite.synth.regions import load_routes

    routes = load_routes()
    regions = routes.regions
    guizhou = np.flatnonzero(regions.province == 520000)
    rng = np.random.default_rng(1)
    to = [int(regions.province[routes.destination(rng, int(guizhou[0]))]) for _ in range(400)]
    fujian = sum(p == 350000 for p in to) / len(to)
    assert 520000 not in to and fujian > 0.35  # 贵州 -> 福建 is 144 of 贵州's ~300 routed reunions


def test_rounded_births_are_written_as_the_first_of_a_month_and_tagged() -> None:
    data = generate(300, 3000, seed=5, config=SynthConfig(population_rounded_birth_rate=0.4, no_match_rate=0.0))
    where = {p: i for i, p in enumerate(data.candidates["person_id"])}
    tagged = [p for p, t in zip(data.truth["person_id"], _tags(data), strict=True) if "rounded_birth" in t]
    assert 0.3 < len(tagged) / 300 < 0.5
    births = [parse_date(data.candidates["birth_date"][where[p]]) for p in tagged]
    assert all(b is not None and b.lo == b.hi and b.lo.day == 1 for b in births)
    assert 0.3 < sum(b is not None and b.lo.month == 1 for b in births) / len(births) < 0.8


def test_vague_places_name_only_a_city_or_a_province() -> None:
    data = generate(300, 1000, seed=6, config=SynthConfig(case_vague_place_rate=0.5))
    vague = [r for r, t in zip(data.cases["missing_region"], _tags(data), strict=True) if "vague_place" in t]
    assert 0.4 < len(vague) / 300 < 0.6
    table = load_side(pd.DataFrame({**data.cases}), "cases")
    levels = table.region_level[[i for i, t in enumerate(_tags(data)) if "vague_place" in t]]
    assert set(levels.tolist()) <= {1, 2} and (levels == 2).mean() > 0.4


def test_identity_coupling_brings_a_new_identity_s_events_together_at_their_own_rates() -> None:
    # Adoption moves surname, given name, birth and registration at once: coupled, the events co-occur
    # far more often than independent coins would make them, and each keeps its rate.
    rates = {"adoptive_surname_rate": 0.3, "given_replaced_rate": 0.4, "date_shift_rate": 0.25,
             "no_match_rate": 0.0, "baby_unnamed_rate": 0.0}

    def shares(coupling: float) -> tuple[float, float, float]:
        data = generate(3000, 4000, seed=9, config=SynthConfig(identity_coupling=coupling, **rates))
        tags = _tags(data)
        surname = np.array(["adoptive_surname" in t for t in tags])
        shifted = np.array(["date_shift" in t for t in tags])
        return float(surname.mean()), float(shifted.mean()), float((surname & shifted).mean())

    surname, shifted, both = shares(0.0)
    assert both == pytest.approx(surname * shifted, abs=0.02)  # independent coins
    surname_c, shifted_c, both_c = shares(0.9)
    assert surname_c == pytest.approx(0.3, abs=0.03) and shifted_c == pytest.approx(0.25, abs=0.03)
    assert both_c > 2.5 * surname_c * shifted_c  # comonotone at 0.9: about min(0.3, 0.25) * 0.81 + ...
    with pytest.raises(ConfigError, match="identity_coupling"):
        SynthConfig(identity_coupling=1.5)
