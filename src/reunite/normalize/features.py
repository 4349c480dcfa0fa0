"""The columnar value normalize hands to matching.

One :class:`RecordTable` per side. Record-level fields are aligned numpy arrays (one element per
accepted row); names are a separate :class:`NameTable` with one row per name of a record (the
reported name, the childhood name, each former name), linked back by ``record``. Strings stay
strings here (numpy unicode arrays); matching interns them into integer codes once, over both
sides together, so equal strings get equal codes.

Missing values: ``sex == 0``; ``*_known == False`` for dates; region level 0 and codes 0;
``lat``/``lon`` NaN; empty strings for names; ``marks == 0``.
Dates are days since 1970-01-01 (int32) as closed intervals ``[lo, hi]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from reunite._typing import F32, I8, I32, I64, U64, B, Side, Str
from reunite.ingest.report import IngestReport

__all__ = ["MAX_NAMES_COMPARED", "NAME_KINDS", "SEX_CODES", "NameTable", "RecordTable"]

SEX_CODES = {"": 0, "M": 1, "F": 2}
MAX_NAMES_COMPARED = 8
"""Names of one record compared in matching (reported, childhood, former); more are flagged."""
NAME_KINDS = {"name": 0, "alias": 1, "former": 2}



@dataclass(frozen=True, slots=True)
class NameTable:
    """One row per name of a record; rows of one record are contiguous and in record order."""

    record: I32          # index of the owning record in its RecordTable
    kind: I8             # NAME_KINDS: 0 reported name, 1 childhood name (alias), 2 former name
    surname: Str         # simplified characters; "" when unknown (aliases usually have none)
    given: Str           # simplified characters of the given name (whole alias for kind 1)
    surname_pinyin: Str  # toneless, surname readings (单 -> "shan"), syllables space-joined
    given_pinyin: Str    # toneless, most likely reading, syllables space-joined ("xiao hong")
    given_pinyin_alt: Str  # a second full reading when a character is a heteronym, else == given_pinyin
    given_fuzzy: Str     # dialect-folded given_pinyin (zh->z, ang->an, l/n, f/h ...)

    def __len__(self) -> int:
        return int(self.record.shape[0])


@dataclass(frozen=True, slots=True)
class RecordTable:
    """Normalized features of one side, aligned by record index."""

    side: Side
    ids: Str
    rows: I64                 # source row numbers (for reports)
    sex: I8                   # SEX_CODES
    birth_lo: I32
    birth_hi: I32
    birth_known: B
    birth_lunar: B            # the interval came from a lunar date
    event_lo: I32             # cases: missing date; candidates: household registration date
    event_hi: I32
    event_known: B
    region_county: I32        # today's 6-digit county code as int, 0 unknown
    region_city: I32          # today's 4-digit city prefix * 100 (e.g. 360300), 0 unknown
    region_province: I32      # today's province code (e.g. 360000), 0 unknown
    region_level: I8          # 0 none, 1 province, 2 city, 3 county (finest level resolved)
    lat: F32
    lon: F32
    marks: U64                # bitmask of (body part, kind of mark) features
    id_present: B             # an ID number cell was filled (candidates; False for cases)
    id_valid: B               # checksum passed (18 digits) or well-formed 15-digit ID
    id_birth: I32             # birth day from the ID (valid IDs only)
    id_sex: I8
    id_region_county: I32     # today's county for the ID's region code, 0 unknown
    id_masked: Str            # masked ID for display (first 6 and last 4), "" when none
    id_number: Str            # the normalized 18-digit ID (or as given when malformed), "" none
    display_name: Str         # the reported name as cleaned, for output
    display_birth: Str        # the birth date cell as given, for output
    display_region: Str       # region as resolved (names of province/city/county), for output
    names: NameTable
    report: IngestReport
    flags: dict[str, B] = field(default_factory=dict)  # evidence flags, e.g. "id_sex_conflict"

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def __repr__(self) -> str:
        # counts only: ids and ID numbers must not reach a log through a repr
        return f"RecordTable(side={self.side!r}, records={len(self)}, source={self.report.source!r})"

    def describe(self) -> str:
        """A readable summary: rows, how many have each field, problems by kind."""
        n = len(self)

        def share(count: int) -> str:
            return f"{count:>9} ({100.0 * count / n:5.1f}%)" if n else f"{count:>9}"

        has_name = np.zeros(n, dtype=bool)
        has_name[self.names.record[self.names.kind == 0]] = True
        has_alias = np.zeros(n, dtype=bool)
        has_alias[self.names.record[self.names.kind == 1]] = True
        has_former = np.zeros(n, dtype=bool)
        has_former[self.names.record[self.names.kind == 2]] = True
        lines = [
            f"{self.side}: {n} records from {self.report.source}",
            f"  name          {share(int(has_name.sum()))}",
            f"  alias         {share(int(has_alias.sum()))}",
            f"  former names  {share(int(has_former.sum()))}",
            f"  sex           {share(int((self.sex > 0).sum()))}",
            f"  birth date    {share(int(self.birth_known.sum()))}"
            f"  (lunar {int(self.birth_lunar.sum())})",
            f"  {'missing date' if self.side == 'cases' else 'registration'}  "
            f"{share(int(self.event_known.sum()))}",
            f"  region        {share(int((self.region_level > 0).sum()))}"
            f"  (county {int((self.region_level == 3).sum())})",
            f"  marks         {share(int((self.marks != 0).sum()))}",
        ]
        if self.side == "candidates":
            lines.append(
                f"  id number     {share(int(self.id_present.sum()))}"
                f"  (valid {int(self.id_valid.sum())})"
            )
        for flag, values in sorted(self.flags.items()):
            lines.append(f"  flag {flag:<20} {int(values.sum())}")
        lines.append(self.report.summary())
        return "\n".join(lines)
