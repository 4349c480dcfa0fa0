"""Decode the bytes of a text table: UTF-8 (with or without BOM) or GB18030/GBK, detected strictly.

Detection order: a byte-order mark (UTF-8, or UTF-16 as Excel's "Unicode text" export writes), then a
strict UTF-8 decode, then a strict GB18030 decode (GB18030 is a superset of GBK and GB2312, so GBK
files decode the same). Nothing is guessed statistically: a file that none of these decodes is an
:class:`~reunite.errors.EncodingError` naming the file and the first byte that did not decode.
"""

from __future__ import annotations

import codecs
import csv

from reunite.errors import ConfigError, EncodingError

__all__ = ["allow_long_cells", "decode_text"]

_LONGEST_CELL = 2**31 - 1  # the largest the csv module takes on every platform (a C long)


def allow_long_cells() -> None:
    """Let the csv module read a cell of any length (its default stops at 131,072 characters).

    A row with a long cell (a case narrative or a pasted picture in ``marks``) was quarantined as
    "malformed CSV quoting: field larger than field limit", its values not in the quarantine file. The
    file is already in memory as text when it is parsed, so a long cell costs nothing more. The limit is
    the csv module's, one per process: it is only ever raised, so a caller's own reading is not narrowed.
    """
    if csv.field_size_limit() < _LONGEST_CELL:
        csv.field_size_limit(_LONGEST_CELL)

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_GB18030_BOM = b"\x84\x31\x95\x33"


def _where(data: bytes, error: UnicodeDecodeError) -> str:
    line = data.count(b"\n", 0, error.start) + 1
    bad = data[error.start : error.start + 1]
    return f"byte 0x{bad.hex()} at offset {error.start} (line {line})"


def _decode_as(data: bytes, encoding: str, source: str) -> str:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ConfigError(
            f"encoding (--encoding) {encoding!r} is not a codec Python knows; try 'utf-8' or 'gb18030'"
        ) from None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise EncodingError(
            f"{source} is not valid {encoding}: cannot decode {_where(data, error)}"
        ) from None
    except (UnicodeError, LookupError):  # 'undefined' decodes nothing; 'base64', 'rot13' are no text encodings
        raise ConfigError(
            f"encoding (--encoding) {encoding!r} is not a text encoding; try 'utf-8' or 'gb18030'"
        ) from None


def utf16_hint(data: bytes) -> str:
    """``"; it looks like UTF-16 ..."`` when every other byte of the file's start is 0 (UTF-16 saved without
    its byte-order mark, which no encoding can be detected from), else ``""``.

    >>> utf16_hint("case_id,sex".encode("utf-16-le"))
    "; it looks like UTF-16 without a byte-order mark (every other byte is 0): pass encoding='utf-16-le' \
(--encoding utf-16-le)"
    >>> utf16_hint(b"case_id,sex")
    ''
    """
    head = data[:4096]
    half = len(head) // 2
    if half < 4:
        return ""
    for start, name in ((1, "utf-16-le"), (0, "utf-16-be")):
        if head[start::2].count(0) >= half * 3 // 4:
            return (f"; it looks like UTF-16 without a byte-order mark (every other byte is 0): pass "
                    f"encoding={name!r} (--encoding {name})")
    return ""


def decode_text(data: bytes, *, source: str = "input", encoding: str | None = None) -> tuple[str, str]:
    """Decode ``data`` and say which encoding was used.

    Parameters
    ----------
    data:
        The raw bytes of the file.
    source:
        The file name, used in error messages.
    encoding:
        A Python codec name that overrides detection (``"gbk"``, ``"utf-8"`` ...).

    Returns
    -------
    tuple of (str, str)
        The text (without a byte-order mark) and the encoding used: ``"utf-8"``, ``"utf-8-sig"``,
        ``"utf-16"``, ``"gb18030"`` or the ``encoding`` passed.

    Raises
    ------
    EncodingError
        The bytes are in none of the encodings tried; the message names the file and the offset of
        the first byte that did not decode.

    Examples
    --------
    >>> decode_text("姓名\\n王芳\\n".encode("gbk"))
    ('姓名\\n王芳\\n', 'gb18030')
    >>> decode_text(b"\\xef\\xbb\\xbfname\\n")
    ('name\\n', 'utf-8-sig')
    >>> decode_text(b"id\\n\\xff\\n", source="cases.csv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    reunite.errors.EncodingError: cases.csv is neither UTF-8 nor GB18030/GBK: ... at offset 3 ...
    """
    allow_long_cells()  # every reader of a user's text file parses what this returns
    if encoding is not None:
        text = _decode_as(data, encoding, source)
        return text.removeprefix("\ufeff"), encoding
    for bom, name in _BOMS:
        if data.startswith(bom):
            return _decode_as(data, name, source).removeprefix("\ufeff"), name
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        # Keep the position only: holding the exception would keep this frame (and the text) alive
        # through a reference cycle until the garbage collector happens to run.
        utf8_where = _where(data, utf8_error)
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as gb_error:
        raise EncodingError(
            f"{source} is neither UTF-8 nor GB18030/GBK: cannot decode {utf8_where} as UTF-8, "
            f"nor {_where(data, gb_error)} as GB18030; save it as UTF-8 or pass encoding= (--encoding)"
            + utf16_hint(data)
        ) from None
    if data.startswith(_GB18030_BOM):
        text = text.removeprefix("\ufeff")
    return text, "gb18030"
