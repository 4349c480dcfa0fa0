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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from stdnum.cn.ric import calc_check_digit

from reunite._codes import factorize
from reunite._typing import I8, I32, B, Sex, Str
from reunite.errors import InputError
from reunite.ingest._safe import mask_id  # shared with the ingest report and the exports

__all__ = ["IdProblem", "ResidentId", "ResidentIdArrays", "is_excel_number", "mask_id", "parse_resident_id",
           "parse_resident_ids", "upgrade_15"]

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


_LABEL = re.compile(r"^(?:公民)?(?:身份证|身份号码|证件)(?:号码|号)?\s*[:：]?\s*")


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().lstrip("'")  # Excel's text marker
    text = _LABEL.sub("", text)  # 身份证号：11010119…
    if text.endswith(".0") and text[:-2].isdigit():  # a 15-digit number that passed through a float
        text = text[:-2]
    return _SEPARATORS.sub("", text).upper()


def is_excel_number(text: str) -> bool:
    """Whether an ID cell is a number Excel wrote in scientific notation (its last digits are lost).

    >>> is_excel_number("1.10105E+17"), is_excel_number("110105194912310021")
    (True, False)
    """
    return bool(_EXCEL_FLOAT.fullmatch(_clean(text)))


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


@dataclass(frozen=True, slots=True)
class ResidentIdArrays:
    """:func:`parse_resident_ids` output, aligned with its input.

    ``number`` is :attr:`ResidentId.number` ("" for an empty cell); ``birth`` (days since
    1970-01-01), ``sex`` (1 male, 2 female) and ``region_code`` are filled for valid numbers only
    (0, 0 and "" otherwise).
    """

    present: B
    valid: B
    number: Str
    birth: I32
    sex: I8
    region_code: Str

    def __len__(self) -> int:
        return int(self.present.shape[0])


_CHECK_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
_EPOCH = np.datetime64("1970-01-01", "D")


def _clean_18(cells: npt.NDArray[np.object_]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.uint32]]:
    """Which cells are 18 characters in clean form (17 ASCII digits, a digit or ``X``), and their characters."""
    lengths = np.fromiter(map(len, cells.tolist()), dtype=np.int64, count=cells.shape[0])
    rows = np.flatnonzero(lengths == 18)
    if not rows.shape[0]:
        return rows, np.zeros((0, 18), dtype=np.uint32)
    joined = "".join(cells[rows].tolist()).encode("utf-32-le", "surrogatepass")
    codes = np.frombuffer(joined, dtype=np.uint32).reshape(-1, 18)
    digit = (codes >= ord("0")) & (codes <= ord("9"))
    clean = digit[:, :17].all(axis=1) & (digit[:, 17] | (codes[:, 17] == ord("X")))
    return rows[clean], codes[clean]


def _clean_18_columns(codes: npt.NDArray[np.uint32], today: datetime.date) -> tuple[B, I32, I8, B]:
    """For 18-character cells already in clean form: valid, birth day, sex, and whether the date held."""
    digits = codes[:, :17].astype(np.int64) - ord("0")
    year = digits[:, 6:10] @ np.array([1000, 100, 10, 1])
    month = digits[:, 10] * 10 + digits[:, 11]
    day = digits[:, 12] * 10 + digits[:, 13]
    month_ok = (month >= 1) & (month <= 12) & (year >= 1) & (year <= 9999)
    start = ((np.where(month_ok, year, 1970) - 1970) * 12 + np.where(month_ok, month, 1) - 1).astype("M8[M]")
    length = ((start + 1).astype("M8[D]") - start.astype("M8[D]")).astype(np.int64)
    born = (start.astype("M8[D]") - _EPOCH).astype(np.int64) + day - 1
    first, last = _days(_MIN_BIRTH), _days(today)
    dated = month_ok & (day >= 1) & (day <= length) & (born >= first) & (born <= last)
    check = (12 - (digits @ _CHECK_WEIGHTS) % 11) % 11
    given = np.where(codes[:, 17] == ord("X"), 10, codes[:, 17].astype(np.int64) - ord("0"))
    sex = np.where(digits[:, 16] % 2 == 1, 1, 2).astype(np.int8)
    return dated & (check == given), np.where(dated, born, 0).astype(np.int32), sex, dated


def parse_resident_ids(texts: Sequence[str], *, today: datetime.date | None = None) -> ResidentIdArrays:
    """:func:`parse_resident_id` over a column, as arrays: whole arrays for clean 18-character cells,
    each other distinct cell once.

    Examples
    --------
    >>> out = parse_resident_ids(["11010519491231002X", "", "110105491231002", "110105194912310021"])
    >>> out.valid.tolist(), out.number.tolist()[2], out.sex.tolist(), out.region_code.tolist()
    ([True, False, True, False], '11010519491231002X', [2, 0, 2, 0], ['110105', '', '110105', ''])
    """
    today = today or datetime.date.today()
    cells = np.asarray(texts, dtype=object)
    n = cells.shape[0]
    present, valid = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    number = np.full(n, "", dtype=object)
    birth, sex = np.zeros(n, dtype=np.int32), np.zeros(n, dtype=np.int8)
    region_code = np.full(n, "", dtype=object)
    rows, clean_codes = _clean_18(cells)
    fast = np.zeros(n, dtype=bool)
    fast[rows] = True
    if rows.shape[0]:
        ok, days, sexes, _ = _clean_18_columns(clean_codes, today)
        present[rows] = True
        valid[rows] = ok
        number[rows] = cells[rows]
        birth[rows] = np.where(ok, days, 0)
        sex[rows] = np.where(ok, sexes, 0)
        region_code[rows[ok]] = [t[:6] for t in cells[rows[ok]].tolist()]
    slow = np.flatnonzero(~fast)
    if slow.shape[0]:
        codes, uniques = factorize(cells[slow])
        found = [parse_resident_id(text, today=today) for text in uniques.tolist()]
        u_present = np.array([r is not None for r in found], dtype=bool)
        u_valid = np.array([r is not None and r.valid for r in found], dtype=bool)
        u_number = np.array([r.number if r is not None else "" for r in found] or [""], dtype=object)
        u_birth = np.array([_days(r.birth) if r is not None and r.valid and r.birth else 0 for r in found],
                           dtype=np.int32)
        u_sex = np.array([(1 if r.sex == "M" else 2) if r is not None and r.valid and r.sex else 0
                          for r in found], dtype=np.int8)
        u_region = np.array([r.region_code if r is not None and r.valid and r.region_code else ""
                             for r in found] or [""], dtype=object)
        present[slow], valid[slow], number[slow] = u_present[codes], u_valid[codes], u_number[codes]
        birth[slow], sex[slow], region_code[slow] = u_birth[codes], u_sex[codes], u_region[codes]
    return ResidentIdArrays(present, valid, number, birth, sex, region_code)


def _days(day: datetime.date) -> int:
    return (day - datetime.date(1970, 1, 1)).days
