"""Properties of resident ID parsing: valid numbers round-trip, one wrong digit is caught,
15-digit numbers agree with their upgrade, masking never shows more than 10 characters."""

from __future__ import annotations

import datetime

from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn.ric import calc_check_digit

from reunite.normalize.ids import mask_id, parse_resident_id, parse_resident_ids, upgrade_15

TODAY = datetime.date(2025, 6, 1)
REGIONS = st.integers(110000, 829999).map(str)  # any six digits: historical codes are valid too
SEQUENCES = st.integers(0, 999)


def build(region: str, born: datetime.date, sequence: int) -> str:
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + calc_check_digit(first17 + "0")


@given(REGIONS, st.dates(datetime.date(1900, 1, 1), TODAY), SEQUENCES, st.booleans())
def test_valid_ids_round_trip(region: str, born: datetime.date, sequence: int, lower: bool) -> None:
    number = build(region, born, sequence)
    found = parse_resident_id(number.lower() if lower else number, today=TODAY)
    assert found is not None and found.valid and found.problem is None
    assert found.number == number
    assert found.birth == born
    assert found.sex == ("M" if sequence % 2 else "F")
    assert found.region_code == region


@given(REGIONS, st.dates(datetime.date(1900, 1, 1), TODAY), SEQUENCES, st.integers(0, 16),
       st.integers(1, 9))
def test_one_wrong_digit_is_never_valid(
    region: str, born: datetime.date, sequence: int, position: int, delta: int
) -> None:
    number = build(region, born, sequence)
    changed = str((int(number[position]) + delta) % 10)
    typo = number[:position] + changed + number[position + 1:]
    found = parse_resident_id(typo, today=TODAY)
    assert found is not None and not found.valid
    assert found.problem in {"bad checksum", "bad date"}


@given(REGIONS, st.dates(datetime.date(1900, 1, 1), datetime.date(1999, 12, 31)), SEQUENCES)
def test_15_digit_ids_agree_with_their_upgrade(region: str, born: datetime.date, sequence: int) -> None:
    old = f"{region}{born:%y%m%d}{sequence:03d}"
    upgraded = upgrade_15(old)
    assert upgraded == build(region, born, sequence)
    from_old, from_new = parse_resident_id(old, today=TODAY), parse_resident_id(upgraded, today=TODAY)
    assert from_old is not None and from_new is not None
    assert from_old.valid and from_old.upgraded_from_15 and not from_new.upgraded_from_15
    assert (from_old.number, from_old.birth, from_old.sex) == (from_new.number, from_new.birth, from_new.sex)


@given(st.text(max_size=40))
def test_parsing_any_text_never_raises(text: str) -> None:
    found = parse_resident_id(text, today=TODAY)
    if found is not None:
        assert found.valid == (found.problem is None)
        assert not found.valid or len(found.number) == 18


@given(st.text(alphabet=st.characters(blacklist_categories=("Z", "C")), max_size=40))
def test_mask_hides_all_but_ten(text: str) -> None:
    masked = mask_id(text)
    assert len(masked) == len(text)
    shown = sum(1 for a, b in zip(masked, text, strict=True) if a == b and a != "*")
    assert shown <= 10
    assert shown <= len(text) // 2 or len(text) >= 15


id_cell = st.one_of(
    st.builds(build, REGIONS, st.dates(datetime.date(1899, 12, 1), datetime.date(2030, 1, 1)), SEQUENCES),
    st.text(alphabet="0123456789X", min_size=17, max_size=19),  # dates and check characters wrong
    st.builds(lambda digits, month, day: digits[:10] + month + day + digits[14:],
              st.text(alphabet="0123456789", min_size=18, max_size=18),
              st.sampled_from(["00", "01", "02", "12", "13", "99"]), st.sampled_from(["00", "28", "29", "30", "31"])),
    st.text(alphabet="0123456789xX -'", max_size=20),
    st.sampled_from(["", "无", "1.10105194912e+17", "110105491231002", "11010519491231002x"]),
)


@given(st.lists(id_cell, max_size=30))
def test_the_column_parser_equals_the_cell_parser(cells: list[str]) -> None:
    column = parse_resident_ids(cells, today=TODAY)
    for index, cell in enumerate(cells):
        one = parse_resident_id(cell, today=TODAY)
        valid = one is not None and one.valid
        assert bool(column.present[index]) == (one is not None), cell
        assert bool(column.valid[index]) == valid, cell
        assert column.number[index] == (one.number if one is not None else ""), cell
        assert int(column.birth[index]) == ((one.birth - datetime.date(1970, 1, 1)).days if valid and one.birth
                                            else 0), cell
        assert int(column.sex[index]) == ({"M": 1, "F": 2}[one.sex] if valid and one.sex else 0), cell
        assert column.region_code[index] == (one.region_code if valid and one.region_code else ""), cell
