"""Map the headers of a user's table to reunite's canonical columns.

Headers are compared after NFKC folding (full-width to half-width), case folding and dropping spaces,
underscores, hyphens, dots, colons and asterisks, so ``"Case ID"``, ``"case_id"`` and ``"ＣＡＳＥ-ID"``
are one header. Common Chinese headers (姓名, 性别, 出生日期, 身份证号 ...) and English variants are
known; a user ``mapping`` ``{their header: canonical name}`` comes first and overrides them.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from reunite._typing import Side
from reunite.errors import ConfigError, EncodingError, InputError, MissingColumnsError
from reunite.ingest.encoding import decode_text
from reunite.ingest.report import IngestReport
from reunite.ingest.table import CANDIDATE_COLUMNS, CASE_COLUMNS, REQUIRED_COLUMNS, id_column

__all__ = ["HEADER_ALIASES", "ColumnMap", "canonical_column", "check_mapping", "check_mapping_used", "header_key",
           "map_columns", "mapping_from_options", "side_columns"]

# "<id>" is the id column of the side being read (case_id for cases, person_id for candidates).
_SIDE_ID = "<id>"

_ALIASES: dict[str, tuple[str, ...]] = {
    _SIDE_ID: ("id", "编号", "案件编号", "案件号", "档案号", "record id"),
    "case_id": ("case_id", "case id", "case no", "case number"),
    "person_id": ("person_id", "person id", "人员编号", "candidate id", "pid", "person no"),
    "name": ("name", "full name", "姓名", "名字"),
    "alias": ("alias", "nickname", "childhood name", "milk name", "小名", "乳名", "昵称"),
    "sex": ("sex", "gender", "性别"),
    "birth_date": ("birth_date", "birthdate", "birthday", "dob", "date of birth", "born", "出生日期",
                   "出生年月", "出生年月日", "生日"),
    "birth_calendar": ("birth_calendar", "calendar", "birth calendar", "历法", "农历", "公历农历",
                       "出生日期历法"),
    "missing_date": ("missing_date", "missing date", "date missing", "lost date", "date lost",
                     "missing since", "失踪日期", "走失日期", "失散日期", "丢失日期"),
    "missing_region": ("missing_region", "missing region", "missing place", "missing location",
                       "lost place", "place lost", "失踪地点", "走失地点", "失散地点", "丢失地点"),
    "marks": ("marks", "features", "distinguishing marks", "birthmarks", "birthmark", "体貌特征", "特征",
              "体表特征", "胎记"),
    "former_names": ("former_names", "former name", "former names", "previous names", "曾用名"),
    "id_number": ("id_number", "id number", "idnumber", "idcard", "id card", "id card number", "id no",
                  "resident id", "national id", "身份证", "身份证号", "身份证号码", "公民身份号码"),
    "region": ("region", "address", "hukou", "household region", "registered residence", "户籍地",
               "户籍地址", "户籍所在地", "住址"),
    "registration_date": ("registration_date", "registration date", "registered date", "hukou date",
                          "reg date", "入户日期", "登记日期", "户口登记日期"),
}

_DROPPED = re.compile(r"[\s_\-.:*]+")


def header_key(header: str) -> str:
    """The form headers are compared in: NFKC, case-folded, without spaces, ``_ - . : *``.

    >>> header_key(" Case_ID ")
    'caseid'
    >>> header_key("ＤＯＢ")
    'dob'
    >>> header_key("*姓名：")
    '姓名'
    """
    return _DROPPED.sub("", unicodedata.normalize("NFKC", header).casefold())


HEADER_ALIASES: Mapping[str, str] = {
    header_key(alias): column for column, aliases in _ALIASES.items() for alias in aliases
}
"""Known headers (in :func:`header_key` form) to canonical column; ``"<id>"`` is the side's id column."""


def side_columns(side: Side) -> tuple[str, ...]:
    """The canonical columns of ``side``, checking ``side`` is one of the two allowed.

    >>> side_columns("cases")[:3]
    ('case_id', 'name', 'alias')
    >>> side_columns("case")
    Traceback (most recent call last):
    ...
    reunite.errors.ConfigError: side must be 'cases' or 'candidates', got 'case'
    """
    if side == "cases":
        return CASE_COLUMNS
    if side == "candidates":
        return CANDIDATE_COLUMNS
    raise ConfigError(f"side must be 'cases' or 'candidates', got {side!r}")


def canonical_column(header: str, side: Side) -> str | None:
    """The canonical column a header names on ``side``, or ``None`` when it is not known.

    >>> canonical_column("编号", "cases"), canonical_column("编号", "candidates")
    ('case_id', 'person_id')
    >>> canonical_column("Date of Birth", "cases")
    'birth_date'
    >>> canonical_column("身份证号码", "cases") is None  # a candidates column
    True
    """
    column = HEADER_ALIASES.get(header_key(header))
    if column == _SIDE_ID:
        return id_column(side)
    return column if column in side_columns(side) else None


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """Where each canonical column sits among the headers of one table.

    Attributes
    ----------
    side:
        The side read.
    headers:
        The headers as found (stripped).
    positions:
        Canonical column -> 0-based position in ``headers``, for the columns found.
    ignored:
        Headers that map to no column of this side (kept out of the table, listed in the report).
    """

    side: Side
    headers: tuple[str, ...]
    positions: dict[str, int]
    ignored: tuple[str, ...]

    @property
    def found(self) -> dict[str, str]:
        """Canonical column -> the header it came from."""
        return {column: self.headers[at] for column, at in self.positions.items()}


def _user_targets(
    headers: Sequence[str], side: Side, mapping: Mapping[str, str]
) -> dict[int, str]:
    """Header position -> column the user's mapping sends it to (``""`` = ignore this header), of either side."""
    allowed = side_columns(side)
    known = set(CASE_COLUMNS) | set(CANDIDATE_COLUMNS)
    check_mapping(mapping)
    by_key: dict[str, str] = {}
    exact: dict[str, str] = {}
    for their, column in mapping.items():
        if column and column not in known:
            raise ConfigError(
                f"mapping sends {their!r} to {column!r}, which is not a column; {side} columns are "
                + ", ".join(allowed) + " ('' ignores a header)"
            )
        exact[their.strip()] = column
        by_key[header_key(their)] = column
    chosen: dict[int, str] = {}
    for at, header in enumerate(headers):
        if header in exact:
            chosen[at] = exact[header]
        elif header_key(header) in by_key:
            chosen[at] = by_key[header_key(header)]
    return chosen


def check_mapping(mapping: object) -> None:
    """Refuse a mapping that is not ``{their header: column}`` strings (``mapping="name=case_id"``, a list of
    pairs or an int key were AttributeErrors from deep in the reader).

    >>> check_mapping({"出生": "birth_date"})
    >>> check_mapping("出生=birth_date")
    Traceback (most recent call last):
    ...
    reunite.errors.ConfigError: mapping: expected a dict of {their header: column} strings, got '出生=birth_date' (str)
    """
    if not isinstance(mapping, Mapping) or not all(isinstance(k, str) and isinstance(v, str)
                                                   for k, v in mapping.items()):
        raise ConfigError(f"mapping: expected a dict of {{their header: column}} strings, got {mapping!r:.80} "
                          f"({type(mapping).__name__})")


def _other_side(side: Side) -> Side:
    return "candidates" if side == "cases" else "cases"


def map_columns(
    headers: Sequence[str], side: Side, mapping: Mapping[str, str] | None = None, *, source: str = "input"
) -> ColumnMap:
    """Find each canonical column of ``side`` among ``headers``.

    Parameters
    ----------
    headers:
        The header cells of the table.
    side:
        ``"cases"`` or ``"candidates"``.
    mapping:
        ``{their header: canonical column}``; overrides the known headers. A value of ``""`` ignores
        that header (to settle two headers that would map to one column). Entries whose header is not
        in the table, or whose column belongs to the other side, are ignored, so one mapping can serve
        both files (:func:`check_mapping_used` then checks each entry mapped something in one of them);
        but an entry may not take a column from this table: onto a column another header already
        names (map that header too), or a header of this side's column onto the other side's.
    source:
        File name or label, for messages.

    Returns
    -------
    ColumnMap

    Raises
    ------
    ConfigError
        ``side`` is not allowed, or ``mapping`` names a column that does not exist.
    InputError
        Two headers map to the same column, or the mapping would take a column from the table (above).
    MissingColumnsError
        A column of ``REQUIRED_COLUMNS[side]`` is not found; the message lists missing and found.

    Examples
    --------
    >>> cmap = map_columns(["编号", "姓名", "性别", "出生日期", "备注"], "cases")
    >>> cmap.positions
    {'case_id': 0, 'name': 1, 'sex': 2, 'birth_date': 3}
    >>> cmap.ignored
    ('备注',)
    >>> map_columns(["ID", "Geburt", "sex"], "cases", {"Geburt": "birth_date"}).found["birth_date"]
    'Geburt'
    """
    allowed = side_columns(side)
    headers = tuple(h.strip() for h in headers)
    sent = _user_targets(headers, side, mapping or {})
    # a canonical name of the other side (one mapping shared by both files) means nothing here
    chosen = {at: column if column in allowed else None for at, column in sent.items()}
    positions: dict[str, int] = {}
    ignored: list[str] = []
    user_columns = {column: headers[at] for at, column in chosen.items() if column}
    for at, header in enumerate(headers):
        known = canonical_column(header, side)
        column = chosen.get(at, known)
        if at not in chosen and column in user_columns:
            # `--mapping name=case_id` beside a case_id header read the names as case ids and dropped the ids
            raise InputError(
                f"{source}: mapping sends {user_columns[column]!r} to {column!r}, but header {header!r} is "
                f"already read as {column!r}; map {header!r} too: to another column, or to '' to ignore it "
                f"(--mapping '{header}=' on the command line; in Python, map it to '' in mapping)"
            )
        if at in chosen and column is None and sent[at] and known is not None:
            # `--mapping name=id_number` (meant for the candidates) cost the cases their names
            raise InputError(
                f"{source}: mapping sends {header!r} to {sent[at]!r}, a {_other_side(side)} column, so this "
                f"{side} file would lose its {known!r} column; one mapping serves both files: rename the header "
                "in one of them"
            )
        if column is None:
            ignored.append(header if header else f"(column {at + 1} has no header)")
            continue
        if column in positions:
            first = headers[positions[column]]
            if header_key(first) == header_key(header):
                # a mapping entry names both alike: `--mapping 'name='` ignored both, and in the other file too
                raise InputError(
                    f"{source}: columns {positions[column] + 1} and {at + 1} have the same header {header!r}, "
                    f"both read as {column!r}; a mapping cannot tell them apart: rename or delete one of them in "
                    "the file"
                )
            raise InputError(
                f"{source}: headers {first!r} and {header!r} both map to column {column!r}; "
                f"ignore one by mapping it to nothing (--mapping '{header}=' on the command line; in Python, map it "
                "to '' in mapping)"
            )
        positions[column] = at
    missing = [column for column in REQUIRED_COLUMNS[side] if column not in positions]
    if missing:
        # a title row above the headers (某某公安局 失踪儿童案件清单, merged across the sheet) is common
        title = sum(bool(h) for h in headers) == 1 and len(REQUIRED_COLUMNS[side]) > 1
        other: Side = "candidates" if side == "cases" else "cases"
        swapped = id_column(side) in missing and any(
            canonical_column(h, other) == id_column(other) for h in headers if h not in (mapping or {}))
        raise MissingColumnsError(
            f"{source}: missing required {side} column(s) " + ", ".join(repr(c) for c in missing)
            + "; found headers " + (", ".join(repr(h) for h in headers) or "(none)")
            + f"; known columns are {', '.join(allowed)} — map your header to one (--mapping 'your header=column' "
            "on the command line; in Python, the mapping argument)"
            + ("; the first row holds one cell: if it is a title above the headers, delete it (the headers "
               "must be the first row)" if title else "")
            + (f"; it has a {id_column(other)} column: is it the {other} file (the cases and the candidates "
               "given the other way round)?" if swapped else "")
        )
    return ColumnMap(side=side, headers=headers, positions=positions, ignored=tuple(ignored))


def check_mapping_used(mapping: Mapping[str, str] | None, inputs: Sequence[tuple[Side, IngestReport]]) -> None:
    """Refuse a mapping entry that maps nothing in the inputs read with it (``(side, report)`` pairs).

    An entry ``header: column`` maps something when an input that takes ``column`` has the header and
    reads it as that column. A misspelt header left the column it meant unread: the run went on without
    it. Entries for a column no input read takes (the cases' entries of one mapping file, on a night that
    brings only candidates) and ``""`` entries (nothing to lose) are not checked.

    Raises
    ------
    ConfigError
        Naming every such entry and the inputs that take its column.

    Examples
    --------
    >>> report = IngestReport("cases.csv", columns={"case_id": "ID", "birth_date": "Born On"})
    >>> check_mapping_used({"born_on": "birth_date", "户籍地": "region", "备注": ""}, [("cases", report)])
    >>> check_mapping_used({"Bron On": "birth_date"}, [("cases", report)])
    Traceback (most recent call last):
    ...
    reunite.errors.ConfigError: mapping {'Bron On': 'birth_date'} (--mapping 'Bron On=birth_date') maps nothing: ...
    """
    if not mapping:
        return
    unused: dict[str, str] = {}
    takers: list[str] = []
    for their, column in mapping.items():
        taking = [report for side, report in inputs
                  if column in ((id_column(side), "reason") if report.removal else side_columns(side))]
        if not column or not taking:
            continue
        found = [report.columns.get(column) for report in taking]
        if not any(h is not None and (h == their.strip() or header_key(h) == header_key(their)) for h in found):
            unused[their] = column
            takers.extend(r.source for r in taking if r.source not in takers)
    if unused:
        options = " ".join(f"--mapping '{their}={column}'" for their, column in unused.items())
        headers = ", ".join(repr(their) for their in unused)
        raise ConfigError(
            f"mapping {unused!r} ({options}) maps nothing: {', '.join(takers)} "
            f"{'has' if len(takers) == 1 else 'have'} no header {headers} read as that column; check the "
            "spelling, or drop it"
        )


def mapping_from_options(values: Sequence[str] | None) -> dict[str, str] | None:
    """The ``--mapping`` options of the command line as one ``{their header: column}`` dict.

    Each value is ``HEADER=COLUMN`` (an empty COLUMN ignores the header) or the path of a JSON
    object of such pairs; later values win.

    Raises
    ------
    ConfigError
        A value is neither, or the JSON file cannot be read as such an object.

    Examples
    --------
    >>> mapping_from_options(["出生年月=birth_date", "备注="])
    {'出生年月': 'birth_date', '备注': ''}
    >>> mapping_from_options(["birth_date"])
    Traceback (most recent call last):
    ...
    reunite.errors.ConfigError: --mapping: expected HEADER=COLUMN or a .json file, got 'birth_date'
    """
    if not values:
        return None
    mapping: dict[str, str] = {}
    for value in values:
        if "=" in value:
            header, column = value.rsplit("=", 1)
            mapping[header.strip()] = column.strip()
        elif value.lower().endswith(".json"):
            try:  # decoded as the inputs are: a file Notepad saved on a Chinese Windows is GBK
                loaded = json.loads(decode_text(Path(value).read_bytes(), source=value)[0])
            except EncodingError as exc:
                raise ConfigError(f"--mapping {exc}") from None
            except (OSError, json.JSONDecodeError) as exc:
                raise ConfigError(f"--mapping {value}: expected a readable JSON file, got {exc}") from None
            if not isinstance(loaded, dict) or not all(
                    isinstance(k, str) and isinstance(v, str) for k, v in loaded.items()):
                raise ConfigError(f"--mapping {value}: expected a JSON object of \"header\": \"column\" pairs")
            mapping.update(loaded)
        else:
            raise ConfigError(f"--mapping: expected HEADER=COLUMN or a .json file, got {value!r}")
    return mapping
