"""Chinese names: cleaning, surname splitting, pinyin keys and dialect folding.

Every public function is cached per distinct input (``functools.lru_cache``), and pinyin is cached
per character, so normalizing a million rows costs one computation per distinct name.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import opencc
from pypinyin import Style, lazy_pinyin, pinyin
from pypinyin.contrib.tone_convert import to_normal
from pypinyin.phrases_dict import phrases_dict
from pypinyin.pinyin_dict import pinyin_dict

from reunite.errors import InputError
from reunite.normalize.surnames import (
    COMMON_SURNAMES,
    COMPOUND_SURNAMES,
    SURNAME_RANK,
    SURNAME_READINGS,
)

__all__ = [
    "MAX_READINGS",
    "NameParts",
    "clean_name",
    "dialect_fold",
    "name_parts",
    "split_surname",
    "to_simplified",
]

MAX_READINGS = 4
"""At most this many names are produced from one name written with variant characters."""

_CACHE = 1 << 20
_R = TypeVar("_R")


def _str_cache(maxsize: int) -> Callable[[Callable[[str], _R]], Callable[[str], _R]]:
    """``functools.lru_cache`` for one-str functions that keeps their signature for type checkers."""

    def decorate(function: Callable[[str], _R]) -> Callable[[str], _R]:
        return functools.lru_cache(maxsize=maxsize)(function)

    return decorate


@dataclass(frozen=True, slots=True)
class NameParts:
    """Matching keys of one name (see :class:`reunite.normalize.features.NameTable`)."""

    surname: str
    given: str
    surname_pinyin: str
    given_pinyin: str
    given_pinyin_alt: str
    given_fuzzy: str
    initials: str


def _require_str(text: object, what: str) -> str:
    if not isinstance(text, str):
        raise InputError(f"{what}: expected a str, got {type(text).__name__} {text!r}")
    return text


# ---------------------------------------------------------------------------------------- cleaning


@functools.cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@_str_cache(_CACHE)
def to_simplified(text: str) -> str:
    """NFKC-normalize (full-width -> half-width) and convert traditional to simplified characters.

    Examples
    --------
    >>> to_simplified("歐陽（鍾）")
    '欧阳(钟)'
    """
    return str(_converter().convert(unicodedata.normalize("NFKC", text)))


def _is_han(char: str) -> bool:
    code = ord(char)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x20000 <= code <= 0x323AF
        or 0xF900 <= code <= 0xFAFF
        or code == 0x3007  # 〇
    )


@functools.lru_cache(maxsize=4096)
def _keep_char(char: str) -> str:
    """The char as kept in a clean name: Han as is, Latin lower-cased without tone marks, else ''."""
    if _is_han(char):
        return char
    lower = char.lower()
    if "a" <= lower <= "z":
        return lower
    if lower.isalpha() and unicodedata.name(lower, "").startswith("LATIN"):
        decomposed = unicodedata.normalize("NFD", lower)
        base = decomposed[0]
        if "a" <= base <= "z":
            return "ü" if base == "u" and "\u0308" in decomposed else base
    return ""


def _clean_once(text: str) -> str:
    return "".join(_keep_char(char) for char in to_simplified(text))


@_str_cache(_CACHE)
def clean_name(text: str) -> str:
    """Normalize a name: NFKC, traditional -> simplified, keep only Han characters and Latin letters.

    Spaces, middle dots, punctuation and digits are removed; Latin letters are lower-cased and lose
    tone marks (``ü`` is kept). Idempotent.

    Parameters
    ----------
    text : str
        A name as written.

    Returns
    -------
    str
        The cleaned name, possibly empty.

    Raises
    ------
    InputError
        When ``text`` is not a str.

    Examples
    --------
    >>> clean_name("歐陽 鍾·麗華１")
    '欧阳钟丽华'
    >>> clean_name("XIAO-MING Wáng")
    'xiaomingwang'
    """
    result = _clean_once(_require_str(text, "clean_name"))
    if result == text:  # already clean: converting it again was just done
        return result
    for _ in range(3):  # converting the cleaned text again is a no-op in practice; make sure of it
        again = _clean_once(result)
        if again == result:
            break
        result = again
    return result


# ------------------------------------------------------------------------------------------ pinyin


@functools.lru_cache(maxsize=65536)
def _char_reading(char: str) -> str:
    """The most likely toneless reading of one character (the character itself when it has none)."""
    return str(lazy_pinyin(char, style=Style.NORMAL)[0])


@functools.lru_cache(maxsize=65536)
def _char_readings(char: str) -> tuple[str, ...]:
    return tuple(str(reading) for reading in pinyin(char, style=Style.NORMAL, heteronym=True)[0])


_LATIN_SPELLINGS = {"lyu": "lv", "nyu": "nv", "lue": "lve", "nue": "nve"}


@functools.cache
def _syllables() -> dict[str, str]:
    """Toneless pinyin syllables (from pypinyin's dictionary) -> their pypinyin spelling."""
    found: dict[str, str] = {}
    for readings in pinyin_dict.values():
        for reading in readings.split(","):
            plain = str(to_normal(reading))
            if plain.isascii() and plain.isalpha() and any(v in plain for v in "aeiouv"):
                found[plain] = plain
    found.update(_LATIN_SPELLINGS)
    return found


@functools.lru_cache(maxsize=_CACHE)
def _segment(letters: str) -> tuple[str, ...] | None:
    """Split Latin letters into the fewest pinyin syllables (longest first on ties), as written.

    Returns None when the letters are not pinyin. Pieces keep the input's spelling (``lyu``);
    :func:`_latin_pinyin` maps them to pypinyin's (``lv``).
    """
    vocab = _syllables()
    letters = letters.replace("ü", "v")
    size = len(letters)
    best: list[tuple[int, tuple[str, ...]] | None] = [None] * (size + 1)
    best[size] = (0, ())
    for start in range(size - 1, -1, -1):
        found: tuple[int, tuple[str, ...]] | None = None
        for stop in range(min(size, start + 6), start, -1):
            rest = best[stop]
            piece = letters[start:stop]
            if rest is None or piece not in vocab:
                continue
            if found is None or rest[0] + 1 < found[0]:
                found = (rest[0] + 1, (piece, *rest[1]))
        best[start] = found
    result = best[0]
    return None if result is None else result[1]


def _latin_pinyin(letters: str) -> tuple[str, ...]:
    """Pinyin syllables of Latin letters, or the letters as one token when they are not pinyin."""
    pieces = _segment(letters)
    if not pieces:
        return (letters,) if letters else ()
    vocab = _syllables()
    return tuple(vocab[piece] for piece in pieces)


@functools.cache
def _surname_pinyin_ranks() -> tuple[dict[str, int], dict[str, int]]:
    """Toneless surname reading -> best frequency rank, for single and compound surnames."""
    single: dict[str, int] = {}
    for name in COMMON_SURNAMES:
        single.setdefault(_surname_pinyin(name), SURNAME_RANK[name])
    compound = {_surname_pinyin(name).replace(" ", ""): 500 for name in COMPOUND_SURNAMES}
    return single, compound


@functools.lru_cache(maxsize=65536)
def _surname_pinyin(surname: str) -> str:
    if surname in SURNAME_READINGS:
        return SURNAME_READINGS[surname]
    return " ".join(SURNAME_READINGS.get(char) or _char_reading(char) for char in surname)


# --------------------------------------------------------------------------------- surname split


def _split_latin(letters: str) -> tuple[str, str]:
    """Surname and given name of a romanized name, in either order, as letters of the input."""
    pieces = _segment(letters)
    if not pieces:
        return "", letters
    vocab = _syllables()
    syllables = [vocab[piece] for piece in pieces]
    single, compound = _surname_pinyin_ranks()
    if len(syllables) == 1:
        return (letters, "") if syllables[0] in single else ("", letters)
    choices: list[tuple[int, int, int, int]] = []  # (given too long, rank, back, surname syllables)
    for back in (0, 1):
        for width in (2, 1):
            if width >= len(syllables):
                continue
            part = syllables[-width:] if back else syllables[:width]
            joined = "".join(part)
            rank = compound.get(joined) if width == 2 else single.get(joined)
            if rank is not None:
                choices.append((int(len(syllables) - width > 2), rank, back, width))
                break
    if not choices:
        choices.append((0, 0, 0, 1))
    _, _, back, width = min(choices)
    surname_len = sum(len(piece) for piece in (pieces[-width:] if back else pieces[:width]))
    if back:
        return letters[-surname_len:], letters[:-surname_len]
    return letters[:surname_len], letters[surname_len:]


@_str_cache(_CACHE)
def split_surname(name: str) -> tuple[str, str]:
    """Split a name into (surname, given name); the parts concatenate to ``clean_name(name)``.

    Compound surnames (欧阳, 司马, ...) and, in four-character names, the double surname of both
    parents (two common surnames) are kept whole; two-character names are surname + given name.
    A romanized name is split at the end that is a known surname reading (the more common surname
    wins when both are; Chinese order on a tie); its surname is then the last letters when written
    in Western order, so ``given + surname`` is the cleaned name.

    Examples
    --------
    >>> split_surname("歐陽鍾麗華")
    ('欧阳', '钟丽华')
    >>> split_surname("张王丽丽")
    ('张王', '丽丽')
    >>> split_surname("XIAO-MING WANG")
    ('wang', 'xiaoming')
    """
    cleaned = clean_name(_require_str(name, "split_surname"))
    if not cleaned:
        return "", ""
    if not any(_is_han(char) for char in cleaned):
        return _split_latin(cleaned)
    if len(cleaned) == 1:
        return (cleaned, "") if cleaned in SURNAME_RANK else ("", cleaned)
    for width in (4, 2):
        if len(cleaned) > width and cleaned[:width] in COMPOUND_SURNAMES:
            return cleaned[:width], cleaned[width:]
    if len(cleaned) == 4 and cleaned[0] in SURNAME_RANK and cleaned[1] in SURNAME_RANK:
        return cleaned[:2], cleaned[2:]
    return cleaned[:1], cleaned[1:]


# ----------------------------------------------------------------------------------- name parts


@functools.lru_cache(maxsize=_CACHE)
def _given_readings(given: str) -> tuple[str, str]:
    """(most likely reading, second full reading) of a given name, toneless, space-joined."""
    if not given:
        return "", ""
    if all(_is_han(char) for char in given):
        if len(given) == 1 or (len(given) == 2 and given not in phrases_dict):
            readings = [_char_reading(char) for char in given]
        else:  # phrase context picks the reading (长乐 chang le)
            readings = [str(item) for item in lazy_pinyin(given, style=Style.NORMAL)]
        if len(readings) != len(given):
            text = " ".join(readings)
            return text, text
        alternates = [
            next((other for other in _char_readings(char) if other != chosen), chosen)
            for char, chosen in zip(given, readings, strict=True)
        ]
        return " ".join(readings), " ".join(alternates)
    items: list[str] = []
    for item in lazy_pinyin(given, style=Style.NORMAL):
        text = str(item)
        items.extend(_latin_pinyin(text) if text.isascii() else (text,))
    joined = " ".join(items)
    return joined, joined


@functools.lru_cache(maxsize=_CACHE)
def _name_parts_clean(cleaned: str, alias: bool) -> NameParts:
    surname, given = ("", cleaned) if alias else split_surname(cleaned)
    if surname and surname.isascii():
        surname_pinyin = " ".join(_latin_pinyin(surname))
    else:
        surname_pinyin = _surname_pinyin(surname) if surname else ""
    given_pinyin, given_alt = _given_readings(given)
    return NameParts(
        surname=surname,
        given=given,
        surname_pinyin=surname_pinyin,
        given_pinyin=given_pinyin,
        given_pinyin_alt=given_alt,
        given_fuzzy=dialect_fold(given_pinyin),
        initials="".join(syllable[0] for syllable in given_pinyin.split()),
    )


def name_parts(name: str, *, alias: bool = False) -> NameParts:
    """Matching keys of a name: surname and given name with their pinyin.

    Parameters
    ----------
    name : str
        A name (cleaned here with :func:`clean_name`).
    alias : bool
        A childhood name: the whole text is the given name and the surname is empty.

    Returns
    -------
    NameParts
        Surname readings follow the surname table (单 shan, 曾 zeng); the given name's reading is
        pypinyin's most likely one, ``given_pinyin_alt`` a second reading when a character has
        several, ``given_fuzzy`` the dialect-folded reading, ``initials`` the first letters.

    Examples
    --------
    >>> parts = name_parts("单田芳")
    >>> parts.surname, parts.surname_pinyin, parts.given_pinyin, parts.initials
    ('单', 'shan', 'tian fang', 'tf')
    >>> name_parts("Wang Xiaoming").given_pinyin
    'xiao ming'
    >>> name_parts("乐乐", alias=True).given_pinyin_alt
    'yue yue'
    """
    return _name_parts_clean(clean_name(_require_str(name, "name_parts")), bool(alias))


# ------------------------------------------------------------------------------ dialect folding

_VOWELS = frozenset("aeiouvü")
_HU_TO_F = {"hu": "fu", "hui": "fei", "huo": "fo", "hun": "fen"}


def _fold_step(syllable: str) -> str:
    if syllable.startswith(("zh", "ch", "sh")):
        syllable = syllable[0] + syllable[2:]
    elif syllable[:1] in ("n", "r") and syllable[1:2] in _VOWELS:
        syllable = "l" + syllable[1:]
    elif syllable.startswith("k"):
        syllable = "g" + syllable[1:]
    elif syllable.startswith("hu"):
        syllable = _HU_TO_F.get(syllable, "f" + syllable[2:])
    if syllable.endswith(("ang", "eng", "ing")):
        syllable = syllable[:-1]
    return syllable


@functools.lru_cache(maxsize=8192)
def _fold_syllable(syllable: str) -> str:
    for _ in range(2 * len(syllable) + 2):
        folded = _fold_step(syllable)
        if folded == syllable:
            break
        syllable = folded
    return syllable


@_str_cache(_CACHE)
def dialect_fold(pinyin_text: str) -> str:
    """Fold southern-dialect confusions so that names written by ear get the same key.

    Per syllable (space-separated, lower-cased), repeated until nothing changes:

    - initials: ``zh``->``z``, ``ch``->``c``, ``sh``->``s``; ``n``->``l`` and ``r``->``l`` before a
      vowel; ``k``->``g``; ``h`` + ``u`` -> ``f`` (``hu``->``fu``, ``hui``->``fei``, ``huo``->``fo``,
      ``hun``->``fen``, otherwise ``hu`` is replaced by ``f``: ``hua``->``fa``, ``huang``->``fang``);
      ``h`` before other vowels is kept (``hao``);
    - finals: ``ang``->``an``, ``eng``->``en``, ``ing``->``in`` (so ``iang``->``ian``,
      ``uang``->``uan``); ``ong`` is kept.

    Deterministic and idempotent.

    Examples
    --------
    >>> dialect_fold("zhang shan ning")
    'zan san lin'
    >>> dialect_fold("huang fang hu fu")
    'fan fan fu fu'
    """
    text = _require_str(pinyin_text, "dialect_fold").lower()
    return " ".join(_fold_syllable(syllable) for syllable in text.split())
