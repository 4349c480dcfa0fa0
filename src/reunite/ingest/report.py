"""The ingest report: every row read is either accepted or quarantined with a reason.

The invariant ``read == accepted + quarantined`` holds for every report; later stages add flags
(normalize, for a date read as an interval) through the same report without dropping rows, so the
count stays honest from file to ranked output. ``reunite.export.write_quarantine`` writes the problems as CSV.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from reunite.i18n import Language, text
from reunite.ingest._safe import mask_id_numbers

__all__ = ["IngestReport", "Problem"]

_ROW_SUFFIX = re.compile(r" at row \d+$")


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem with one cell (or a whole row when ``column`` is empty).

    ``row`` is the 1-based line number in the source file counting the header as row 1 (so it is
    what a spreadsheet shows); for DataFrames and database tables it is the 1-based position + 1.
    ``fatal`` problems quarantine the row; the others are flags kept as evidence on an accepted row.
    """

    source: str
    row: int
    column: str
    value: str
    reason: str
    fatal: bool = True

    def __repr__(self) -> str:  # value and reason masked: a repr reaches logs
        return (f"Problem(source={self.source!r}, row={self.row}, column={self.column!r}, "
                f"value={mask_id_numbers(self.value)!r}, reason={mask_id_numbers(self.reason)!r}, fatal={self.fatal})")

    def __str__(self) -> str:
        """The problem as a person reads it, ID-shaped numbers masked (this text goes to messages)."""
        return mask_id_numbers(self.reveal())

    def reveal(self) -> str:
        """The problem as a person reads it, values as they are."""
        where = f"column '{self.column}' in {self.source} row {self.row}" if self.column else (
            f"{self.source} row {self.row}"
        )
        if ", got " in self.reason:  # the reason already quotes what came (STYLE.md message form)
            return f"{where}: {self.reason}"
        return f"{where}: {self.reason} (got {self.value!r})"


@dataclass(slots=True)
class IngestReport:
    """What happened to every row of one input.

    Attributes
    ----------
    source:
        The file name (or a label for DataFrames and tables).
    read:
        Data rows read (the header is not counted).
    encoding:
        The text encoding used for a CSV, else ``None``.
    columns:
        Mapping from canonical column name to the header found in the source.
    problems:
        Every problem found, fatal or not, in the order found.
    delimiter:
        The CSV delimiter used, else ``None``.
    ignored_columns:
        Headers that map to no canonical column (their cells are not read).
    blank_rows:
        Rows with no text in any cell, skipped and not counted in ``read``.
    removal:
        The input is a removal list (:mod:`reunite.store.removals`): an accepted row is removed,
        not screened, and a flagged one was already removed or is removed with a note.
    """

    source: str
    read: int = 0
    encoding: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    _quarantined_rows: set[int] = field(default_factory=set)
    delimiter: str | None = None
    ignored_columns: list[str] = field(default_factory=list)
    blank_rows: int = 0
    removal: bool = False

    def __repr__(self) -> str:
        # counts only: the problems carry raw cells (ID numbers), and a repr reaches logs
        return (f"IngestReport(source={self.source!r}, read={self.read}, accepted={self.accepted}, "
                f"quarantined={self.quarantined}, flagged={self.flagged})")

    def add(self, row: int, column: str, value: str, reason: str, *, fatal: bool = True) -> None:
        """Record a problem; a fatal one quarantines ``row``."""
        self.problems.append(Problem(self.source, row, column, value, reason, fatal))
        if fatal:
            self._quarantined_rows.add(row)

    def is_quarantined(self, row: int) -> bool:
        return row in self._quarantined_rows

    @property
    def quarantined(self) -> int:
        return len(self._quarantined_rows)

    @property
    def accepted(self) -> int:
        return self.read - self.quarantined

    @property
    def flagged(self) -> int:
        """Accepted rows kept with a flag (a date read as an interval, a likely duplicate, ...)."""
        return len({p.row for p in self.problems if not p.fatal} - self._quarantined_rows)

    @property
    def quarantined_rows(self) -> frozenset[int]:
        return frozenset(self._quarantined_rows)

    def counts_by_reason(self) -> Counter[str]:
        """Problems by kind: the reason up to its first ``:`` or ``, got``, without a trailing
        ``at row N`` (so every duplicate id counts as one kind)."""
        return Counter(
            _ROW_SUFFIX.sub("", p.reason.split(":")[0].split(", got ")[0]) for p in self.problems
        )

    def summary(self, lang: Language = "en") -> str:
        """A few lines a person reads: counts, the balance, and problems by kind (in ``lang``; the
        problems are named as the reader wrote them)."""
        lines = [
            text(lang, "ingest_counts", source=self.source, read=self.read, accepted=self.accepted,
                 quarantined=self.quarantined)
            + (text(lang, "ingest_encoding", encoding=self.encoding) if self.encoding else ""),
        ]
        assert self.read == self.accepted + self.quarantined
        if self.flagged:
            lines.append(text(lang, "ingest_flagged_removal" if self.removal else "ingest_flagged", n=self.flagged))
        if self.blank_rows:
            lines.append(text(lang, "ingest_blank", n=self.blank_rows))
        if self.ignored_columns:
            lines.append(text(lang, "ingest_ignored", columns=text(lang, "list_separator").join(self.ignored_columns)))
        for reason, count in self.counts_by_reason().most_common():
            lines.append(f"  {count:>6}  {reason}")
        return "\n".join(lines)
