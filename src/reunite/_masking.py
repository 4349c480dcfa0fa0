"""ID numbers masked in text: the first 6 and last 4 characters of each resident ID number show.

In the lowest layer, with no imports of reunite's own: every error message (:mod:`reunite.errors`), the
ingest report, the exports and the command line mask what they write with it.
"""

from __future__ import annotations

import datetime
import re

__all__ = ["looks_like_id_number", "mask_id", "mask_id_numbers"]

# A run of 15 digits, or 17 digits and a check character, not part of a longer run of digits; digits
# may be full-width (０-９, Ｘ) and the number grouped 6-8-4 (6-6-3) by a space or hyphen, the forms
# normalize reads as the same ID number. A letter after it does not hide it: "440512198403199626X", an
# ID number with an X typed after it, went out in clear from a quarantine file.
_D, _C, _S = "[0-9０-９]", "[0-9Xx０-９Ｘｘ]", "[ \\-－\u3000]?"
_ID_SHAPED = re.compile(rf"(?<![0-9０-９])(?:{_D}{{6}}{_S}{_D}{{8}}{_S}{_D}{{3}}{_C}"
                        rf"|{_D}{{6}}{_S}{_D}{{6}}{_S}{_D}{{3}})(?![0-9０-９])")
# every ID-shaped run starts with six digits: text without such a run needs no scan by _ID_SHAPED
_SIX_DIGITS = re.compile(f"{_D}{{6}}")
_COMPACT = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789Xx", " -－\u3000")


def mask_id(number: str) -> str:
    """Hide the middle of an ID number for display: the first 6 and the last 4 characters show.

    Shorter values show a quarter at each end, so a malformed value never reveals more than 10
    characters, nor more than half of itself.

    Examples
    --------
    >>> mask_id("11010519491231002X")
    '110105********002X'
    >>> mask_id("12345678")
    '12****78'
    >>> mask_id("")
    ''
    """
    text = number.strip()
    size = len(text)
    head, tail = (6, 4) if size >= 15 else (size // 4, size // 4)
    return text[:head] + "*" * (size - head - tail) + (text[size - tail:] if tail else "")


def _is_day(year: int, month: int, day: int) -> bool:
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return 1900 <= year <= 2099


def looks_like_id_number(text: str) -> bool:
    """Whether ``text`` has the shape of a resident ID number: 18 characters (17 digits and a check
    character) with a calendar day at 7-14, or 15 digits with a YYMMDD day at 7-12 (digits ASCII or
    full-width, grouped or not by a space or hyphen). The check
    character is not verified: a mistyped ID number is still somebody's.

    >>> looks_like_id_number("11010519491231002X"), looks_like_id_number("110105491231002")
    (True, True)
    >>> looks_like_id_number("123456789012345678"), looks_like_id_number("P0001")
    (False, False)
    >>> looks_like_id_number("１１０１０５１９４９１２３１００２Ｘ"), looks_like_id_number("110105-19491231-002X")
    (True, True)
    """
    if not _ID_SHAPED.fullmatch(text):
        return False
    text = text.translate(_COMPACT)
    if len(text) == 18:
        return _is_day(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    return _is_day(1900 + int(text[6:8]), int(text[8:10]), int(text[10:12]))


def mask_id_numbers(text: str) -> str:
    """``text`` with every ID-shaped run of digits masked by :func:`mask_id`.

    >>> mask_id_numbers("P7,11010519491231002X,王芳")
    'P7,110105********002X,王芳'
    >>> mask_id_numbers("case 2019-000123")
    'case 2019-000123'
    >>> mask_id_numbers("身份证 110105 19491231 002X")
    '身份证 110105**********002X'
    >>> mask_id_numbers("440512198403199626X,坏行")
    '440512********9626X,坏行'
    """
    if len(text) < 15 or not _SIX_DIGITS.search(text):
        return text
    return _ID_SHAPED.sub(
        lambda m: mask_id(m.group(0)) if looks_like_id_number(m.group(0)) else m.group(0), text)
