"""Decode the bytes of a text table: UTF-8 (with or without BOM) or GB18030/GBK, detected strictly.

Detection order: a byte-order mark (UTF-8, or UTF-16 as Excel's "Unicode text" export writes), then a
strict UTF-8 decode, then a strict GB18030 decode (GB18030 is a superset of GBK and GB2312, so GBK
files decode the same). Nothing is guessed statistically: a file that none of these decodes is an
:class:`~reunite.errors.EncodingError` naming the file and the first byte that did not decode.
"""

from __future__ import annotations

import codecs
import csv
import re

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


_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")  # CJK ideographs: the basic block and extension A
_NOT_ASCII = re.compile("[^\x00-\x7f]")


def _chinese_reading(data: bytes) -> tuple[str, str] | None:
    """The encoding the bytes read as Chinese text in, and its first non-ASCII characters: UTF-8 or
    GB18030 decoding every byte and giving CJK ideographs as nine in ten of the non-ASCII characters;
    else ``None``."""
    for name in ("utf-8", "gb18030"):
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        wide = _NOT_ASCII.findall(text)
        if wide and len(_CJK.findall(text)) * 10 >= len(wide) * 9:
            return name, "".join(wide[:6])
    return None


def _misread_hint(data: bytes, encoding: str, text: str | None) -> str:
    """What the bytes are when they are Chinese text in an encoding other than the ``encoding`` forced:
    they decode in full as UTF-8 or GB18030 to mostly CJK ideographs, while reading them as ``encoding``
    failed (``text`` None) or gave no ideograph at all (``张伟`` in GBK read as Latin-1 is ``ÕÅÎ°``);
    else ``""``.

    >>> _misread_hint("张伟".encode("gbk"), "latin-1", "张伟".encode("gbk").decode("latin-1"))
    " read as latin-1 holds no Chinese character but 4 other characters like 'ÕÅÎ°'; its bytes read as \
gb18030 give Chinese text ('张伟'): read it as gb18030 (--encoding gb18030) or leave the encoding out (UTF-8 and \
GB18030 are detected)"
    >>> _misread_hint("José".encode("latin-1"), "latin-1", "José"), _misread_hint(b"id,sex", "latin-1", "id,sex")
    ('', '')
    """
    seen = ""
    if text is not None:
        if _CJK.search(text):
            return ""
        odd = _NOT_ASCII.findall(text)
        if len(odd) < 2:
            return ""
        seen = (f" read as {encoding} holds no Chinese character but {len(odd):,} other characters like "
                f"{''.join(odd[:6])!r}")
    reading = _chinese_reading(data)
    if reading is None or reading[0] == codecs.lookup(encoding).name:
        return ""
    name, sample = reading
    return (f"{seen}; its bytes read as {name} give Chinese text ({sample!r}): read it as {name} (--encoding "
            f"{name}) or leave the encoding out (UTF-8 and GB18030 are detected)")


def _decode_as(data: bytes, encoding: str, source: str) -> str:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ConfigError(
            f"encoding (--encoding) {encoding!r} is not a codec Python knows; try 'utf-8' or 'gb18030'"
        ) from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise EncodingError(
            f"{source} is not valid {encoding}: cannot decode {_where(data, error)}"
            + _misread_hint(data, encoding, None)
        ) from None
    except (UnicodeError, LookupError):  # 'undefined' decodes nothing; 'base64', 'rot13' are no text encodings
        raise ConfigError(
            f"encoding (--encoding) {encoding!r} is not a text encoding; try 'utf-8' or 'gb18030'"
        ) from None
    hint = _misread_hint(data, encoding, text)
    if hint:  # Latin-1 forced on a GBK file: every name unreadable, and nothing said
        raise EncodingError(f"{source}{hint}")
    return text


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
