"""Name cells as real records write them: placeholders, tags, variant characters, childhood names.

A family's report often holds more than a name: 王芳（送养）, 张（章）丽（莉）, 女孩（小名毛毛）, 王芳 又名 王小芳.
Each cell becomes the names and childhood names it holds, every one cleaned by :func:`clean_name`.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Literal

from reunite.normalize.names import (
    _CACHE,
    MAX_READINGS,
    _is_han,
    _keep_char,
    _require_str,
    _str_cache,
    clean_name,
    to_simplified,
)
from reunite.normalize.surnames import (
    ALIAS_MARKERS,
    BRACKET_TAGS,
    COMPOUND_SURNAMES,
    NAME_MARKERS,
    NAME_PLACEHOLDERS,
    SURNAME_RANK,
)

__all__ = ["NameCell", "childhood_key", "is_childhood_name", "parse_alias_cell", "parse_former_names",
           "parse_name_cell"]

Role = Literal["name", "alias"]


@dataclass(frozen=True, slots=True)
class NameCell:
    """What a name cell holds: names, childhood names, and whether it held a placeholder."""

    names: tuple[str, ...]
    aliases: tuple[str, ...]
    placeholder: bool



_SEPARATORS = frozenset("/、,;|\\。\n\t")
_BRACKETS = {"(": ")", "[": "]", "【": "】", "〔": "〕", "{": "}", "《": "》", "「": "」", "『": "』",
             "〈": "〉", "<": ">"}
_CLOSERS = frozenset(_BRACKETS.values())
_MARKER_ROLE: dict[str, Role] = {
    **{marker: "alias" for marker in ALIAS_MARKERS},
    **{marker: "name" for marker in NAME_MARKERS},
}
_MARKER_RE = re.compile(
    "(" + "|".join(sorted(_MARKER_ROLE, key=len, reverse=True)) + ")儿?[:是叫为作]*"
)
_PLAIN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fffA-Za-z \-'·・•.]*")
_CHILD = r"(?:一个|一名)?小?[男女](?:孩|婴|童|宝|娃)?(?:子|儿|孩)?"
_PLACEHOLDER_RE = re.compile(
    rf"(?:.{{1,2}}(?:姓|家)的?)?{_CHILD}|.{{0,2}}(?:某+|x+)|姓.{{1,2}}"
    # "no name (yet)" said in words: 不知道名字, 刚出生没名字, 没起名, 名字不详, 无名氏
    r"|.*(?:不知道|不记得|记不清|不清楚|忘了|没有?|还没|未)(?:取|起|有)?名字.*|.*(?:没有?|还没|未)(?:取|起)名.*"
    r"|.*名字(?:不详|不知道|不清楚|未知|忘了|记不清).*|无名氏?"
)
# 王芳或王芬: two names (或 between two names of two characters or more; 或 inside a name is rare)
_EITHER = re.compile(r"([\u3400-\u9fff]{2,})或([\u3400-\u9fff]{2,})")
# the surname a placeholder still gives: 王某某, 王xx, 王姓女孩, 王家的男孩, 姓王, 欧阳某
_SURNAME_IN_PLACEHOLDER = re.compile(rf"(?P<before>.{{1,2}}?)(?:某+|x+|(?:姓|家)的?{_CHILD})|姓(?P<after>.{{1,2}})")


# what a form writes before the name: 姓名：王芳, 孩子名字叫王芳 (名字不详 is a placeholder, kept)
_LABEL = re.compile(
    r"^(?:孩子|小孩|儿童|宝贝|失踪人|走失人|被拐人|当事人|寻找)?的?(?:姓名|名字|名称)(?:[:：]|是|叫|为)*"
    r"(?=[\u3400-\u9fff]{2})")
# the child named by its parent: 李某某之女, 王建国的儿子, 张家的闺女 -> the parent's surname
_CHILD_OF = re.compile(r"(?P<parent>[\u3400-\u9fff]{1,4}?)(?:之|的|家的?)(?:女儿|儿子|孩子|小孩|宝宝|女|子|娃"
                       r"|[大二三四五六七八九小幺老]?(?:丫头|闺女|姑娘|小子|丫|妞))")
# a woman named by her family: 张氏
_CLAN = re.compile(r"(?P<surname>[\u3400-\u9fff]{1,2})氏")
# an unknown character inside a name: 杨X军, 杨*军 (dropped as * always was)
_UNKNOWN_CHAR = re.compile(r"(?<=[\u3400-\u9fff])[xX×*＊?？](?=[\u3400-\u9fff])")
# two names side by side: 黄文 黄斌, 王芳 小芳 (each of two or more characters, each with a known surname
# or a childhood name)
_TWO_NAMES = re.compile(r"[\u3400-\u9fff]{2,4}(?:\s+[\u3400-\u9fff]{2,4})+")
# childhood names written as the name: 小军, 阿明, 老三, 二丫, 狗蛋, 毛毛 (no known surname first)
_CHILDHOOD_FIRST = frozenset("小阿老大二三四五六七八九幺")
_CHILDHOOD_LAST = frozenset("蛋头娃妞丫娣")  # no given name of one character ends so: 铁蛋, 石头, 招娣
_CHILDHOOD_LAST_WEAK = frozenset("子柱宝儿")  # 虎子, 栓柱: unless a common surname comes first (张宝)
_COMMON_RANK = 100


def _known_surname(name: str, *, alone: bool = False) -> str:
    """The known surname (compound first) ``name`` starts with and that leaves a given name after
    it, or with ``alone`` that may be all of it; else ""."""
    for width in (2, 1):
        head = name[:width]
        if (len(name) > width or (alone and len(name) == width)) and (
                head in COMPOUND_SURNAMES if width == 2 else head in SURNAME_RANK):
            return head
    return ""


def is_childhood_name(cleaned: str) -> bool:
    """Whether a cleaned name has a childhood name's shape, of two or three Han characters: a doubled
    one (毛毛); two ending as only childhood names end (铁蛋, 石头, 招娣; 虎子 unless a common surname
    comes first); or a first character that is no known surname and a childhood prefix or ending (小军,
    老三, 二狗蛋). Such a name is read whole, with no surname split off, wherever it is written (a
    register's 曾用名 毛毛 is not surname 毛).

    >>> is_childhood_name("毛毛"), is_childhood_name("小军"), is_childhood_name("王小军")
    (True, True, False)
    """
    if not 2 <= len(cleaned) <= 3 or not all(_is_han(char) for char in cleaned):
        return False
    if len(cleaned) == 2 and (cleaned[0] == cleaned[1] or cleaned[1] in _CHILDHOOD_LAST or (
            cleaned[1] in _CHILDHOOD_LAST_WEAK and SURNAME_RANK.get(cleaned[0], _COMMON_RANK + 1) > _COMMON_RANK)):
        return True
    return not _known_surname(cleaned) and (
        cleaned[0] in _CHILDHOOD_FIRST or cleaned[-1] in _CHILDHOOD_LAST | _CHILDHOOD_LAST_WEAK)


def childhood_key(given: str) -> str:
    """The character of the given name a childhood name is made of, or "": 小红, 阿红 and 红红 are
    what a family calls a child named 红, 丽红 or 秀红 (the last character, as families say it).

    >>> childhood_key("小红"), childhood_key("阿军"), childhood_key("芳芳"), childhood_key("丽红"), childhood_key("小")
    ('红', '军', '芳', '', '')
    """
    if len(given) == 2 and _is_han(given[1]) and (given[0] in "小阿" or given[0] == given[1]):
        return given[1]
    return ""


def _with_surname_of(cell: str) -> str | None:
    """李某某之女 -> 李, 张氏 -> 张, 李娃 -> 李: the surname a cell gives for a child it does not name,
    or None."""
    if len(cell) == 2 and cell[1] in "娃丫妞" and SURNAME_RANK.get(cell[0], _COMMON_RANK + 1) <= _COMMON_RANK:
        return cell[0]  # the Li family's baby, girl
    found = _CHILD_OF.fullmatch(cell) or _CLAN.fullmatch(cell)
    if found is None:
        return None
    named = found.group("parent") if found.re is _CHILD_OF else found.group("surname")
    placeholder = _placeholder_surname(named) if _is_placeholder(named) else None
    return placeholder or _known_surname(named, alone=True) or None


def _is_placeholder(cleaned: str) -> bool:
    return cleaned in NAME_PLACEHOLDERS or _PLACEHOLDER_RE.fullmatch(cleaned) is not None


def _placeholder_surname(cleaned: str) -> str | None:
    """The known surname a placeholder keeps (王某某 -> 王), or None."""
    found = _SURNAME_IN_PLACEHOLDER.fullmatch(cleaned)
    if found is None:
        return None
    surname = found.group("before") or found.group("after")
    return surname if surname in SURNAME_RANK or surname in COMPOUND_SURNAMES else None


@dataclass
class _Entry:
    role: Role
    slots: list[list[str]]  # per character position, the alternatives written (张（章）)
    separator: str  # the separator before this entry ("" for the first)


def _tokens(text: str) -> list[tuple[str, str]]:
    """Top-level tokens: ("text", run), ("bracket", content), ("sep", char), ("marker", role)."""
    tokens: list[tuple[str, str]] = []
    buffer: list[str] = []

    def flush() -> None:
        run = "".join(buffer)
        buffer.clear()
        position = 0
        for match in _MARKER_RE.finditer(run):
            tokens.append(("text", run[position : match.start()]))
            tokens.append(("marker", _MARKER_ROLE[match.group(1)]))
            position = match.end()
        tokens.append(("text", run[position:]))

    index = 0
    while index < len(text):
        char = text[index]
        if char in _BRACKETS:
            flush()
            depth, stop = 1, index + 1
            while stop < len(text) and depth:
                depth += (text[stop] == char) - (text[stop] == _BRACKETS[char])
                stop += 1
            tokens.append(("bracket", text[index + 1 : stop - 1 if depth == 0 else stop]))
            index = stop
            continue
        if char in _SEPARATORS or char in _CLOSERS:
            flush()
            tokens.append(("sep", char))
        else:
            buffer.append(char)
        index += 1
    flush()
    return tokens


def _expand(slots: list[list[str]]) -> list[str]:
    """Readings of a name with variant characters: all first, all variants, then mixed, capped."""
    readings = ["".join(options[0] for options in slots)]
    for reading in itertools.chain(
        ["".join(options[-1] for options in slots)],
        ("".join(combo) for combo in itertools.islice(itertools.product(*slots), 4 * MAX_READINGS)),
    ):
        if len(readings) >= MAX_READINGS:
            break
        if reading not in readings:
            readings.append(reading)
    return readings


def _parse(text: str, default_role: Role, *, childhood: bool = False) -> tuple[list[str], list[str], bool]:
    """Names, aliases and the placeholder flag of one cell (already simplified); with ``childhood`` a
    name of a childhood name's shape (:func:`is_childhood_name`) is read as one."""
    entries: list[_Entry] = []
    extras: list[tuple[Role, str]] = []
    current: list[list[str]] = []
    role: Role = default_role  # set by the last inline marker (又名 ..., 小名 ...)
    current_role: Role = role
    separator = ""

    def finish(next_separator: str) -> None:
        nonlocal current, current_role, separator
        if current:
            entries.append(_Entry(current_role, current, separator))
        current, current_role, separator = [], role, next_separator

    for kind, value in _tokens(text):
        if kind == "text":
            current.extend([kept] for kept in map(_keep_char, value) if kept)
        elif kind == "sep":
            finish(value)
        elif kind == "marker":
            finish("")
            role = current_role = "alias" if value == "alias" else "name"
        else:
            current_role = _bracket(value, current, current_role, entries, extras)
    finish("")

    merged: list[_Entry] = []
    for entry in entries:  # 张丽/莉: a lone character after a slash is a variant of the last one
        previous = merged[-1] if merged else None
        if (previous is not None and entry.separator == "/" and len(entry.slots) == 1
                and len(previous.slots) >= 2 and _is_han(entry.slots[0][0])):
            previous.slots[-1].extend(entry.slots[0])
        else:
            merged.append(entry)
    names: list[str] = []
    aliases: list[str] = []
    placeholder = False
    readings = [(e.role, reading) for e in merged for reading in _expand(e.slots)] + extras
    for entry_role, reading in readings:
        cleaned = clean_name(reading)
        if not cleaned or (len(cleaned) == 1 and cleaned.isascii()):  # a lone letter is no name
            continue
        if _is_placeholder(cleaned):
            placeholder = True
            surname = _placeholder_surname(cleaned)
            if surname is None or entry_role != "name":
                continue
            cleaned = surname  # a surname alone: the given-name comparison then has nothing to read
        if childhood and entry_role == "name" and is_childhood_name(cleaned):
            entry_role = "alias"
        target = names if entry_role == "name" else aliases
        if cleaned not in target:
            target.append(cleaned)
    return names, [alias for alias in aliases if alias not in names], placeholder


def _bracket(
    content: str, current: list[list[str]], current_role: Role, entries: list[_Entry],
    extras: list[tuple[Role, str]],
) -> Role:
    """Apply one bracket's content; return the role of the name being read."""
    inner = "".join(map(_keep_char, content))
    if not inner:
        return current_role
    marker = _MARKER_RE.match(content.strip())
    if marker is not None:
        marked_role = _MARKER_ROLE[marker.group(1)]
        rest = content.strip()[marker.end():]
        if not "".join(map(_keep_char, rest)):  # 毛毛（小名）: the name before is of that kind
            if not current and entries:
                entries[-1].role = marked_role
                return current_role
            return marked_role
        sub_names, sub_aliases, _ = _parse(rest, marked_role)
        extras.extend([("name", name) for name in sub_names] + [("alias", a) for a in sub_aliases])
        return current_role
    if _is_placeholder(inner):  # 不详（姓王）: the surname, when the cell names nobody else
        surname = _placeholder_surname(inner)
        before = clean_name("".join(options[0] for options in current))
        if surname and not entries and (not before or _is_placeholder(before)):
            extras.append(("name", surname))
        return current_role
    if any(word in content for word in BRACKET_TAGS):
        return current_role
    if all(_is_han(char) for char in inner):
        if len(inner) == 1:
            if current and _is_han(current[-1][0]):
                current[-1].append(inner)  # 张（章）: a variant of the character before
            return current_role
        if len(inner) <= 4:
            is_name = (bool(current) and inner[0] == current[0][0]) or (
                len(inner) >= 3 and inner[0] in SURNAME_RANK
            )
            extras.append(("name" if is_name else "alias", inner))
        return current_role
    if inner.isascii():
        extras.append(("name", inner))
    return current_role


@_str_cache(_CACHE)
def parse_name_cell(text: str) -> NameCell:
    """Read the name cell of a record: names, childhood names and placeholders.

    - a form's label before the name is dropped (姓名：王芳, 孩子名字叫王芳);
    - placeholders (无, 不详, 女孩, 未取名, 不知道名字 ...) give no name and ``placeholder=True``; one
      that keeps a known surname (王某某, 王xx, 王家女孩, 姓王, 不详（姓王）, 李某某之女, 王建国的儿子,
      张氏) gives that surname alone as the name;
    - a childhood name written as the name (小军, 阿明, 老三, 狗蛋, 毛毛: no known surname first, or a
      doubled character) is a childhood name;
    - two names side by side (黄文 黄斌) are two names; an unknown character (杨X军, 杨*军) is dropped;
    - tags in brackets (王芳（送养）, （照片是家人）) are removed;
    - childhood names inline (王芳（小名芳芳）, 王芳 小名:毛毛, 乳名狗蛋, 毛毛（小名）) are aliases;
      an unmarked short bracket (王芳（芳芳）) is an alias, or a name when it starts with the
      surname;
    - variant characters (张（章）丽（莉）, 张丽/莉) give every reading up to :data:`MAX_READINGS`,
      the one as written first and the all-variant one second;
    - names separated by / 、 , ; or introduced by 又名/曾用名 are several names.

    Every name is passed through :func:`clean_name`.

    Examples
    --------
    >>> parse_name_cell("张（章）丽（莉）").names
    ('张丽', '章莉', '张莉', '章丽')
    >>> parse_name_cell("王芳（小名芳芳）")
    NameCell(names=('王芳',), aliases=('芳芳',), placeholder=False)
    >>> parse_name_cell("不详")
    NameCell(names=(), aliases=(), placeholder=True)
    """
    simplified = _EITHER.sub(r"\1/\2", to_simplified(_require_str(text, "parse_name_cell")).strip())
    simplified = _UNKNOWN_CHAR.sub("", _LABEL.sub("", simplified))
    if (surname := _with_surname_of(clean_name(simplified))) is not None:
        return NameCell((surname,), (), True)
    simplified = _side_by_side(simplified, "/")
    if _PLAIN_RE.fullmatch(simplified) and not _MARKER_RE.search(simplified):  # most cells: just a name
        cleaned = clean_name(simplified)
        if _is_placeholder(cleaned):
            surname = _placeholder_surname(cleaned)
            return NameCell((surname,) if surname else (), (), True)
        if is_childhood_name(cleaned):
            return NameCell((), (cleaned,), False)
        return NameCell((cleaned,) if cleaned else (), (), False)
    if _is_placeholder(cleaned := clean_name(simplified)):  # N/A, 不/详
        surname = _placeholder_surname(cleaned)
        return NameCell((surname,) if surname else (), (), True)
    names, aliases, placeholder = _parse(simplified, "name", childhood=True)
    return NameCell(tuple(names), tuple(aliases), placeholder)


def _side_by_side(text: str, separator: str) -> str:
    """Two or more names written side by side (黄文 黄斌) joined by ``separator``, each of two to four
    characters with a known surname first or of a childhood name's shape; any other text as it is (a
    space inside one name, 欧阳 娜娜, stays one name)."""
    if _TWO_NAMES.fullmatch(text) and all(
            part not in COMPOUND_SURNAMES and (_known_surname(part) or is_childhood_name(part))
            for part in text.split()):
        return separator.join(text.split())
    return text


@_str_cache(_CACHE)
def parse_alias_cell(text: str) -> tuple[str, ...]:
    """Childhood names in an alias cell (several may be listed; placeholders and tags dropped).

    Examples
    --------
    >>> parse_alias_cell("毛毛、狗蛋（音）")
    ('毛毛', '狗蛋')
    """
    names, aliases, _ = _parse(to_simplified(_require_str(text, "parse_alias_cell")), "alias")
    return tuple(dict.fromkeys(aliases + names))


@_str_cache(_CACHE)
def parse_former_names(text: str) -> tuple[str, ...]:
    """Former names (曾用名) of a candidate: ``;``-separated, also ； , 、 / and, between whole names,
    spaces (陈晶 陈菁, as the name cell reads them).

    Only names are returned: a childhood name marked inside is not a former name.

    Examples
    --------
    >>> parse_former_names("李小红；張紅")
    ('李小红', '张红')
    >>> parse_former_names("陈晶 陈菁")
    ('陈晶', '陈菁')
    """
    simplified = to_simplified(_require_str(text, "parse_former_names")).strip()
    names, _, _ = _parse(_side_by_side(simplified, ";"), "name")
    return tuple(names)
