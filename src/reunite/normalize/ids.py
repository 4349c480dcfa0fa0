"""Resident identity numbers (GB 11643-1999): clean, check, upgrade, derive birth and sex, mask.

An 18-digit number is 6 digits of the county code where the person was registered, the birth
day as YYYYMMDD, a 3-digit sequence (odd for men, even for women) and an ISO 7064 MOD 11-2
check character (``X`` for 10). The older 15-digit numbers carry YYMMDD and no check character;
they are upgraded by inserting ``19`` and appending the check character.

Region codes are never checked against today's list: counties were redrawn many times, and the
code in a number stays what it was when the number was issued (``stdnum.cn.ric.validate`` rejects
such codes, so it is not used for acceptance; only its check-digit function is).

A malformed number is not an error: :func:`parse_resident_id` returns it with ``valid=False`` and
a ``problem`` so the caller can flag the record instead of dropping it.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from stdnum.cn.ric import calc_check_digit

from reunite._typing import Sex
from reunite.errors import InputError
from reunite.ingest._safe import mask_id  # shared with the ingest report and the exports

__all__ = ["IdProblem", "ResidentId", "mask_id", "parse_resident_id", "upgrade_15"]

IdProblem = Literal["non-digit", "bad length", "bad date", "bad checksum", "excel number"]

_MIN_BIRTH = datetime.date(1900, 1, 1)
_SEPARATORS = re.compile(r"[\s\-_·]")
_EXCEL_FLOAT = re.compile(r"\d(?:\.\d+)?e\+?\d+", re.IGNORECASE)  # 1.10105194912e+17: digits lost
_PLACEHOLDERS = frozenset({"无", "不详", "未知", "没有", "null", "none", "nan", "n/a", "-", "--", "/"})


@dataclass(frozen=True, slots=True)
class ResidentId:
    """A resident ID number as read, with what can be derived from it.

    ``number`` is the 18-character form (upper-case ``X``; a 15-digit number upgraded) when the
    value is well formed, otherwise the cleaned text as given. ``birth``, ``sex`` and
    ``region_code`` are filled whenever they can be read, even when the check character fails:
    ``valid`` says whether to trust them.
    """

    number: str
    valid: bool
    birth: datetime.date | None = None
    sex: Sex | None = None
    region_code: str | None = None
    upgraded_from_15: bool = False
    problem: IdProblem | None = None


def _check_character(first17: str) -> str:
    # stdnum's function takes the whole number and ignores its last character
    return str(calc_check_digit(first17 + "0"))


def upgrade_15(id15: str) -> str:
    """The 18-digit number of an old 15-digit one: ``19`` before YYMMDD, a check character after.

    Parameters
    ----------
    id15
        Fifteen digits.

    Returns
    -------
    str
        Eighteen characters.

    Raises
    ------
    InputError
        When ``id15`` is not fifteen digits.

    Examples
    --------
    >>> upgrade_15("110105491231002")
    '11010519491231002X'
    """
    if len(id15) != 15 or not id15.isascii() or not id15.isdigit():
        raise InputError(f"expected a 15-digit resident ID number, got {id15!r}")
    first17 = id15[:6] + "19" + id15[6:]
    return first17 + _check_character(first17)


def _birth(digits: str, today: datetime.date) -> datetime.date | None:
    try:
        born = datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None
    return born if _MIN_BIRTH <= born <= today else None


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().lstrip("'")  # Excel's text marker
    if text.endswith(".0") and text[:-2].isdigit():  # a 15-digit number that passed through a float
        text = text[:-2]
    return _SEPARATORS.sub("", text).upper()


def parse_resident_id(text: str, *, today: datetime.date | None = None) -> ResidentId | None:
    """Read a resident ID cell.

    Parameters
    ----------
    text
        The cell as written; spaces, full-width digits, a lower-case ``x`` and Excel's leading
        apostrophe are accepted.
    today
        The latest plausible birth day (default: today's date).

    Returns
    -------
    ResidentId or None
        None for an empty cell or a placeholder (无, 不详); otherwise the number, ``valid`` and,
        when not valid, the ``problem``: "non-digit", "bad length", "bad date",
        "bad checksum" or "excel number" (a number Excel turned into 1.1E+17, digits lost).

    Examples
    --------
    >>> found = parse_resident_id("11010519491231002x")
    >>> found.number, found.valid, found.birth, found.sex, found.region_code
    ('11010519491231002X', True, datetime.date(1949, 12, 31), 'F', '110105')
    >>> parse_resident_id("110105194912310021").problem
    'bad checksum'
    >>> parse_resident_id("110105491231002").number
    '11010519491231002X'
    """
    number = _clean(text)
    if not number or number.lower() in _PLACEHOLDERS:
        return None
    today = today or datetime.date.today()
    if _EXCEL_FLOAT.fullmatch(number):
        return ResidentId(number, False, problem="excel number")
    body = number[:-1] if number.endswith("X") else number
    if not (body.isascii() and body.isdigit()):
        return ResidentId(number, False, problem="non-digit")
    if len(number) == 15 and body == number:
        birth = _birth("19" + number[6:12], today)
        sex: Sex = "M" if int(number[14]) % 2 else "F"
        if birth is None:
            return ResidentId(number, False, None, sex, number[:6], problem="bad date")
        return ResidentId(upgrade_15(number), True, birth, sex, number[:6], upgraded_from_15=True)
    if len(number) != 18:
        return ResidentId(number, False, problem="bad length")
    birth = _birth(number[6:14], today)
    sex = "M" if int(number[16]) % 2 else "F"
    if birth is None:
        return ResidentId(number, False, None, sex, number[:6], problem="bad date")
    if _check_character(number[:17]) != number[17]:
        return ResidentId(number, False, birth, sex, number[:6], problem="bad checksum")
    return ResidentId(number, True, birth, sex, number[:6])
