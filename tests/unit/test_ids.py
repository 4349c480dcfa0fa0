"""Resident ID numbers: checksum, 15-digit upgrade, derived birth and sex, malformed values, masking."""

from __future__ import annotations

import datetime

import pytest

from reunite.errors import InputError
from reunite.normalize.ids import ResidentId, mask_id, parse_resident_id, upgrade_15

TODAY = datetime.date(2025, 6, 1)


def parse(text: str) -> ResidentId:
    found = parse_resident_id(text, today=TODAY)
    assert found is not None
    return found


def test_valid_18_digit_id() -> None:
    assert parse("11010519491231002X") == ResidentId(
        number="11010519491231002X", valid=True, birth=datetime.date(1949, 12, 31), sex="F",
        region_code="110105", upgraded_from_15=False, problem=None,
    )


@pytest.mark.parametrize(
    "text",
    ["11010519491231002x", " 110105 19491231 002X ", "１１０１０５１９４９１２３１００２Ｘ",
     "'11010519491231002X", "110105-19491231-002X", "身份证：11010519491231002X", "身份证号码 11010519491231002X",
     "公民身份号码:11010519491231002X"],
)
def test_cleaning(text: str) -> None:
    found = parse(text)
    assert found.number == "11010519491231002X" and found.valid


def test_bad_checksum_is_a_flag_with_birth_and_sex_still_read() -> None:
    found = parse("110105194912310021")
    assert not found.valid
    assert found.problem == "bad checksum"
    assert found.number == "110105194912310021"
    assert found.birth == datetime.date(1949, 12, 31) and found.sex == "F"


def test_male_sequence_is_odd() -> None:
    found = parse("360426199101010071")  # stdnum's documented example
    assert found.valid and found.sex == "M" and found.birth == datetime.date(1991, 1, 1)


def test_15_digit_id_is_upgraded() -> None:
    assert upgrade_15("110105491231002") == "11010519491231002X"
    found = parse("110105491231002")
    assert found == ResidentId(
        number="11010519491231002X", valid=True, birth=datetime.date(1949, 12, 31), sex="F",
        region_code="110105", upgraded_from_15=True, problem=None,
    )
    assert parse("110105491231002.0").number == "11010519491231002X"  # came through a float


def test_historical_region_code_is_valid() -> None:
    # 110103 was Beijing's 崇文区, merged into 东城区 in 2010; numbers issued before keep the code
    first17 = "11010320150601003"  # also after the merge: codes are never checked against a list
    from stdnum.cn.ric import calc_check_digit

    found = parse(first17 + calc_check_digit(first17 + "0"))
    assert found.valid and found.region_code == "110103" and found.sex == "M"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("1101051949123100", "bad length"),
        ("1101051949123100201", "bad length"),
        ("1101051949123100X", "bad length"),
        ("11010519491X31002X", "non-digit"),
        ("11010519491231002Y", "non-digit"),
        ("11010549123X002", "non-digit"),
        ("110105194913310026", "bad date"),  # month 13
        ("110105203001010026", "bad date"),  # born in the future
        ("110105189901010026", "bad date"),  # before 1900
        ("110105491331002", "bad date"),
        ("1.10105194912E+17", "excel number"),
    ],
)
def test_malformed_values_are_flagged_not_raised(text: str, problem: str) -> None:
    found = parse(text)
    assert not found.valid
    assert found.problem == problem


@pytest.mark.parametrize("text", ["", "   ", "无", "不详", "null"])
def test_empty_is_none(text: str) -> None:
    assert parse_resident_id(text) is None


@pytest.mark.parametrize("text", ["11010549123100", "11010549123100X", "1101054912310021"])
def test_upgrade_15_rejects_other_input(text: str) -> None:
    with pytest.raises(InputError, match="15-digit"):
        upgrade_15(text)


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("11010519491231002X", "110105********002X"),
        ("110105491231002", "110105*****1002"),
        ("12345678", "12****78"),
        ("123", "***"),
        ("12345", "1***5"),
        ("1", "*"),
        ("", ""),
    ],
)
def test_mask_id(number: str, masked: str) -> None:
    assert mask_id(number) == masked
