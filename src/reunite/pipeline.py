"""``screen``: read, normalize, block, compare, score and rank — the whole matching run.

This module joins the stages for Python users; the command line and the nightly re-screen call it.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import os
import sys
from collections import deque
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import numpy.typing as npt

from reunite._typing import F32, I8, Side, check_flags
from reunite.errors import ConfigError, InputError, MissingFileError
from reunite.export.csv import write_csv_columns
from reunite.export.files import atomic_output, check_output, csv_headed
from reunite.i18n import RANKED_HEADERS, Language, check_language, sex_text, text
from reunite.ingest import IngestReport, RawTable, check_mapping_used, fold_id, read_table
from reunite.ingest._safe import mask_id_numbers
from reunite.ingest.columns import header_key
from reunite.matching.blocking import BlockingPreview, BlockPlan, counted_spans, plan, preview
from reunite.matching.compare import compare
from reunite.matching.comparisons import REGISTRY
from reunite.matching.engine import DEFAULT_LIMITS, EngineLimits
from reunite.matching.kinds import case_kinds
from reunite.matching.model import FellegiSunter, default_model
from reunite.matching.prepare import Prepared, name_frequencies, precision_shares, prepare, rounded_share
from reunite.matching.rank import format_reasons
from reunite.matching.score import ChunkResult, pair_contributions, score_chunk
from reunite.matching.shards import excluded_keys
from reunite.matching.spec import LEVEL_LABELS, BlockingSpec
from reunite.normalize import RecordTable, normalize
from reunite.normalize.ids import ResidentIdArrays
from reunite.normalize.pieces import DEFAULT_PIECE_BYTES, PieceNormalizer, prepare_in_pieces
from reunite.normalize.stored import file_sha256, is_prepared, read_prepared, write_prepared
from reunite.normalize.update import Reused, normalize_update, normalize_update_piece, read_previous
from reunite.run_config import (
    DEFAULT_FIT_MAX_PAIRS,
    DEFAULT_TOP_K,
    RunConfig,
    checked_limits,
    checked_pairs,
    checked_today,
    resolve_model,
)

if TYPE_CHECKING:
    import pandas as pd

    from reunite.matching.cells import CellIndex
    from reunite.matching.learn import FitReport

__all__ = [
    "Explanation",
    "ScreenResult",
    "explain",
    "fit_population",
    "load_side",
    "prepare_file",
    "prepare_table",
    "screen",
    "screen_preview",
    "train",
    "update_prepared",
    "write_ranked_csv",
]

RANKED_COLUMNS = (
    "case_id", "rank", "person_id", "score", "probability", "case_probability", "reasons",
    "name", "sex", "birth_date", "region", "id_number", "pairs_compared",
)
SEX_TEXT = np.array(["", "M", "F"], dtype=object)  # by RecordTable.sex code

# what screen --out and export --out may replace: a RANKED.csv, in either language's headers (any other file
# there, an agency's cases file say, is refused rather than lost); its first five columns, which every
# version wrote
RANKED_FILE = csv_headed("a RANKED.csv", [tuple(names.get(c, c) for c in RANKED_COLUMNS[:5])
                                          for names in RANKED_HEADERS.values()])

# a ranking's own headers, in each language: RANKED.csv (screen, export) pairs a case with a candidate in
# every row
_RANKING_HEADERS = tuple(frozenset(header_key(names.get(h, h)) for h in RANKED_COLUMNS[:5])
                         for names in RANKED_HEADERS.values())


def refuse_a_ranking(report: IngestReport, side: Side) -> None:
    """Refuse a RANKED.csv read as the cases or the candidates: read as cases, each case's first row
    replaced its name, sex and birth date with its first candidate's (a night then stored them)."""
    headers = {header_key(h) for h in (*report.columns.values(), *report.ignored_columns)}
    if any(headers >= ranking for ranking in _RANKING_HEADERS):
        raise InputError(
            f"{report.source}: expected a {side} file, got a ranking written by reunite screen or export "
            f"(columns {', '.join(RANKED_COLUMNS[:5])}: a row per case and candidate, with the candidate's "
            f"name, sex and birth date); give the {side} file itself"
        )


# pandas is loaded only where a DataFrame is made (a nightly re-screen reads a few rows without it)
TableLike: TypeAlias = "RecordTable | RawTable | pd.DataFrame | str | Path"


def load_side(
    source: TableLike, side: Side, *, mapping: Mapping[str, str] | None = None, strict: bool = False,
    compact: bool = False, today: datetime.date | None = None,
) -> RecordTable:
    """A normalized table from a path, DataFrame, RawTable or RecordTable (read relative to ``today``,
    default today's date: :func:`reunite.normalize.normalize`).

    A ``.parquet`` path is a table written by :func:`prepare_table` (``reunite prepare``): it is read as
    it was normalized then (``mapping`` applied then too), and refused when this code would not normalize
    it alike. ``strict`` refuses one whose input had quarantined rows. ``compact`` reads its text in less
    memory, the same values (:func:`reunite.normalize.stored.read_prepared`): what a screen reads.
    """
    check_flags(strict=strict, compact=compact)
    today = checked_today(today)
    if isinstance(source, RecordTable):
        if source.side != side:
            raise ConfigError(f"expected a table of {side}; got one of {source.side}")
        return source
    if isinstance(source, str | os.PathLike) and is_prepared(source):
        table = read_prepared(source, side, compact=compact)
        fatal = [p for p in table.report.problems if p.fatal]
        if strict and fatal:
            raise InputError(f"{table.report.source}: {len(fatal)} problem(s) in {table.report.quarantined} row(s)"
                             " (strict mode, quarantined when prepared):\n" + "\n".join(p.reveal() for p in fatal))
        return table
    raw = source if isinstance(source, RawTable) else read_table(source, side, mapping=mapping, strict=strict)
    refuse_a_ranking(raw.report, side)
    return normalize(raw, strict=strict, today=today)


def prepare_table(
    source: str | os.PathLike[str], out: str | os.PathLike[str], side: Side = "candidates", *,
    mapping: Mapping[str, str] | None = None, strict: bool = False, encoding: str | None = None,
    sheet: str | int | None = None, today: datetime.date | None = None,
) -> RecordTable:
    """Read and normalize ``source`` once and keep the result as Parquet at ``out`` (``reunite prepare``).

    ``screen``, ``rescreen``, ``explain`` and ``train`` take ``out`` in place of ``source`` and give the
    same results, without reading and normalizing it again. The file carries the ingest report (the
    quarantined rows and flags), the package version, a digest of the normalizing code, the SHA-256 of
    ``source`` and a digest of each column (:mod:`reunite.normalize.stored`). Returns the table (its
    ``report`` says what was quarantined). ``out`` is written whole or not at all.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> people = folder / "people.csv"
    >>> _ = people.write_text("person_id,name,sex,birth_date\\np1,李小红,F,1988-05-20\\np2,赵强,X,1990\\n",
    ...                       encoding="utf-8")
    >>> table = prepare_table(people, folder / "people.parquet")
    >>> len(table), table.report.quarantined, load_side(folder / "people.parquet", "candidates").ids.tolist()
    (1, 1, ['p1'])
    """
    check_flags(strict=strict)
    source_path = Path(source)
    target = check_output(out, option="--out", inputs=[source_path])
    if not is_prepared(target):
        raise ConfigError(f"--out {target}: expected a .parquet file name")
    day = checked_today(today) or datetime.date.today()
    raw = read_table(source_path, side, mapping=mapping, strict=strict, encoding=encoding, sheet=sheet)
    check_mapping_used(mapping, [(side, raw.report)])
    refuse_a_ranking(raw.report, side)
    table = normalize(raw, strict=strict, today=day)
    _some_rows(table, f"{side} to prepare")
    digest = file_sha256(source_path)
    with atomic_output(target) as tmp:
        write_prepared(raw, table, tmp, today=day, source_sha256=digest)
    return table


class _ReadWhole(Exception):
    """Raised inside :func:`_in_pieces`'s output block to discard it and read the input whole."""


def prepare_file(
    source: str | os.PathLike[str], out: str | os.PathLike[str], side: Side = "candidates", *,
    mapping: Mapping[str, str] | None = None, strict: bool = False, encoding: str | None = None,
    sheet: str | int | None = None, today: datetime.date | None = None, piece_bytes: int = DEFAULT_PIECE_BYTES,
) -> tuple[IngestReport, int]:
    """:func:`prepare_table` in bounded memory (``reunite prepare``): a plain UTF-8 CSV file is read,
    normalized and written piece by piece (:mod:`reunite.normalize.pieces`; the same file as a whole
    read writes, but for Parquet's row groups); any other input, or ``strict``, is prepared whole.

    Returns the input's ingest report and the number of records written.
    """
    source_path = Path(source)
    target = check_output(out, option="--out", inputs=[source_path])
    if not is_prepared(target):
        raise ConfigError(f"--out {target}: expected a .parquet file name")
    day = checked_today(today) or datetime.date.today()
    done = _in_pieces(source_path, target, side, mapping=mapping, strict=strict, encoding=encoding, sheet=sheet,
                      today=day, piece_bytes=piece_bytes)
    if done is not None:
        return done
    table = prepare_table(source_path, target, side, mapping=mapping, strict=strict, encoding=encoding,
                          sheet=sheet, today=day)
    return table.report, len(table)


def _in_pieces(
    source_path: Path, target: Path, side: Side, *, mapping: Mapping[str, str] | None, strict: bool,
    encoding: str | None, sheet: str | int | None, today: datetime.date, piece_bytes: int,
    normalize: PieceNormalizer | None = None,
) -> tuple[IngestReport, int] | None:
    """Prepare a plain UTF-8 CSV file piece by piece at ``target`` (each piece normalized by ``normalize``,
    default :func:`reunite.normalize.normalize_piece`); ``None`` (nothing written) for any other input,
    or ``strict``: the caller reads it whole."""
    plain_csv = source_path.suffix.lower() in (".csv", ".tsv", ".txt") and source_path.is_file()
    if strict or encoding is not None or sheet is not None or not plain_csv:
        return None
    digest = file_sha256(source_path)
    try:
        with atomic_output(target) as tmp:
            done = prepare_in_pieces(source_path, tmp, side, mapping=mapping, today=today, source_sha256=digest,
                                     piece_bytes=piece_bytes, normalize=normalize)
            if done is None:  # not a file to cut: nothing written is kept
                raise _ReadWhole
            check_mapping_used(mapping, [(side, done[0])])  # raised here, nothing written is kept
            refuse_a_ranking(done[0], side)
            if done[1] == 0:  # a header-only file was prepared as a table of 0 records, exit 0
                raise InputError(f"{done[0].source}: no {side} to prepare (read {done[0].read}, "
                                 f"quarantined {done[0].quarantined})")
        return done
    except _ReadWhole:
        return None


@dataclass(frozen=True, slots=True)
class PreparedUpdate:
    """What :func:`update_prepared` did: the input's ingest report, the records written, and either
    how much the previous table gave (``reused``) or why it was not used (``not_used``: every row was
    then prepared as :func:`prepare_file` prepares it)."""

    report: IngestReport
    rows: int
    reused: Reused | None
    not_used: str = ""


def update_prepared(
    source: str | os.PathLike[str], out: str | os.PathLike[str], previous: str | os.PathLike[str],
    side: Side = "candidates", *, mapping: Mapping[str, str] | None = None, strict: bool = False,
    encoding: str | None = None, sheet: str | int | None = None, today: datetime.date | None = None,
    piece_bytes: int = DEFAULT_PIECE_BYTES,
) -> PreparedUpdate:
    """Prepare ``source`` at ``out`` as :func:`prepare_file` does, reading only the names and regions
    the prepared table ``previous`` (``out`` itself for ``reunite prepare --update``) never read
    (:mod:`reunite.normalize.update`): the nightly extract, a few rows new or changed. ``out`` holds
    the same table a fresh prepare of ``source`` writes (columns, digests, report; only Parquet's row
    groups may be cut otherwise), written whole or not at all.

    A ``previous`` table this code would not read (missing, of another version or normalizing code,
    changed since it was written) is not used: every row is prepared anew, and ``not_used`` says why.
    The day ``previous`` was prepared on does not matter (dates and ID numbers are read anew). A plain
    CSV file is read, normalized and written piece by piece, as :func:`prepare_file` does it, with the
    readings of ``previous`` by distinct cell beside it.
    """
    check_flags(strict=strict)
    source_path = Path(source)
    target = check_output(out, option="--out", inputs=[source_path])
    if not is_prepared(target):
        raise ConfigError(f"--out {target}: expected a .parquet file name")
    if not is_prepared(previous):
        raise ConfigError(f"previous table {previous}: expected a .parquet file made by reunite prepare")
    day = checked_today(today) or datetime.date.today()
    try:
        known = read_previous(previous, side)
    except (InputError, MissingFileError) as exc:
        report, rows = prepare_file(source_path, target, side, mapping=mapping, strict=strict, encoding=encoding,
                                    sheet=sheet, today=day, piece_bytes=piece_bytes)
        return PreparedUpdate(report, rows, None, str(exc))
    parts: list[Reused] = []

    def piece(raw: RawTable) -> tuple[RecordTable, ResidentIdArrays]:
        table, ids, reused = normalize_update_piece(raw, known, today=day)
        parts.append(reused)
        return table, ids

    done = _in_pieces(source_path, target, side, mapping=mapping, strict=strict, encoding=encoding, sheet=sheet,
                      today=day, piece_bytes=piece_bytes, normalize=piece)
    if done is not None:
        return PreparedUpdate(done[0], done[1], Reused.total(parts))
    raw = read_table(source_path, side, mapping=mapping, strict=strict, encoding=encoding, sheet=sheet)
    check_mapping_used(mapping, [(side, raw.report)])
    refuse_a_ranking(raw.report, side)
    table, reused = normalize_update(raw, known, today=day, strict=strict)
    _some_rows(table, f"{side} to prepare")
    digest = file_sha256(source_path)
    with atomic_output(target) as tmp:
        write_prepared(raw, table, tmp, today=day, source_sha256=digest)
    return PreparedUpdate(table.report, len(table), reused)


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a pair scored as it did: each comparison's level and weight."""

    case_id: str
    person_id: str
    score: float
    fields: tuple[tuple[str, str, float], ...]  # (comparison, level label or "missing", weight)

    def __str__(self) -> str:
        return self.format()

    def __repr__(self) -> str:  # a person_id may be a resident ID number: masked, as in every output
        return (f"Explanation(case_id={mask_id_numbers(self.case_id)!r}, "
                f"person_id={mask_id_numbers(self.person_id)!r}, score={self.score!r}, fields={self.fields!r})")

    def format(self, lang: Language = "en", *, reveal_ids: bool = False) -> str:
        """Each comparison's level and weight, a line each (in ``lang``); ID numbers masked unless
        ``reveal_ids``."""
        lines = [text(lang, "explain_head", case=self.case_id, person=self.person_id, score=self.score)]
        for name, label, weight in self.fields:
            shown_name, shown_label = name, label
            if lang != "en":
                shown_name = REGISTRY[name].title_in(lang)
                labels = REGISTRY[name].labels
                shown_label = (text(lang, "explain_missing") if label == "missing" else
                               REGISTRY[name].labels_zh[labels.index(label)] if label in labels else label)
            lines.append(f"  {shown_name:<13} {shown_label:<44} {weight:+6.2f}")
        shown = "\n".join(lines)
        return shown if reveal_ids else mask_id_numbers(shown)


@dataclass(frozen=True)
class ScreenResult:
    """Ranked candidates per case, and what is needed to explain them.

    ``columns`` holds the ranked rows (see RANKED_COLUMNS) as aligned arrays.
    """

    columns: dict[str, npt.NDArray[Any]]
    cases: RecordTable
    candidates: RecordTable
    model: FellegiSunter
    prepared: Prepared = field(repr=False)
    pairs_compared: int
    top_k: int
    levels: I8 = field(repr=False)          # (comparisons, ranked rows)
    contributions: F32 = field(repr=False)  # (comparisons, ranked rows)
    fit_report: FitReport | None = None     # the unsupervised fit of m, when the screen ran one
    pairs_scored: int = 0                   # pairs scored one by one (the rest were counted: prune)
    limits: EngineLimits = field(default=DEFAULT_LIMITS, repr=False)  # how the screen computed (explain too)

    def reasons_of(self, rows: npt.NDArray[np.int64]) -> list[str]:
        """The reasons text of the given ranked rows (for a screen run with ``reasons=False``)."""
        return format_reasons(self.model.spec.comparisons, self.levels[:, rows], self.contributions[:, rows])

    def __len__(self) -> int:
        return int(self.columns["case_id"].shape[0])

    def __repr__(self) -> str:
        # counts only: the arrays hold person_ids and ID numbers, which must not reach a log
        return (f"ScreenResult(cases={len(self.cases)}, candidates={len(self.candidates)}, rows={len(self)}, "
                f"top_k={self.top_k}, pairs_compared={self.pairs_compared}, model={self.model.version!r})")

    def to_pandas(self) -> pd.DataFrame:
        """The ranked rows as a DataFrame (ID numbers as stored: masked unless revealed)."""
        import pandas as pd

        return pd.DataFrame({name: self.columns[name] for name in RANKED_COLUMNS})

    def rows(self) -> list[dict[str, Any]]:
        return [dict(zip(RANKED_COLUMNS, values, strict=True))
                for values in zip(*(self.columns[c].tolist() for c in RANKED_COLUMNS), strict=True)]

    def to_csv(self, path: str | Path, *, reveal_ids: bool = False, lang: Language = "en") -> Path:
        """Write RANKED.csv for Excel/WPS: UTF-8 with BOM, formula-safe, ID numbers masked.

        Unless ``reveal_ids``, ID-shaped values are masked in every column, ``person_id`` too (some
        agencies use the ID number as the person_id). The file is written whole or not at all.
        ``lang="zh"``: Chinese headers, sexes and reasons (:mod:`reunite.i18n`).
        """
        lang = check_language(lang)
        columns = dict(self.columns)
        if reveal_ids:
            columns["id_number"] = self.candidates.id_number[self._cand_rows()].astype(object)
        if lang != "en":
            columns["reasons"] = np.array(format_reasons(self.model.spec.comparisons, self.levels,
                                                         self.contributions, lang), dtype=object)
        return write_ranked_csv(path, columns, reveal_ids=reveal_ids, lang=lang)

    def to_html(
        self, path: str | Path, *, cases: TableLike | None = None, candidates: TableLike | None = None,
        previous: str | Path | None = None, lang: Language = "en", reveal_ids: bool = False,
        title: str | None = None, mapping: Mapping[str, str] | None = None,
        detail_ranks: int | None = None,
    ) -> Path:
        """Write the screen as one self-contained HTML report (:mod:`reunite.report`).

        ``cases`` and ``candidates`` (paths or DataFrames of the screened inputs) give the records'
        full text (marks, dates as written; read with ``mapping``); without them the normalized fields
        are shown.
        ``previous``: an earlier RANKED.csv, to mark the cases whose top-k changed since. ID numbers
        are masked unless ``reveal_ids``; ``lang`` is ``"en"`` or ``"zh"``; ``detail_ranks``: the ranks
        per case charted and shown record beside record (default 3; all are in the case's table). Returns the file
        written.

        Examples
        --------
        >>> import pathlib, tempfile
        >>> import pandas as pd
        >>> cases = pd.DataFrame({"case_id": ["c1"], "name": ["王小红"], "sex": ["女"], "birth_date": ["1988"]})
        >>> people = pd.DataFrame({"person_id": ["p1"], "name": ["李小红"], "sex": ["F"],
        ...                        "birth_date": ["1988-05-20"]})
        >>> out = screen(cases, people).to_html(pathlib.Path(tempfile.mkdtemp()) / "report.html", lang="zh")
        >>> html = out.read_text(encoding="utf-8")
        >>> html.count('<section class="case"'), "记录对照" in html, "<mark>小</mark>" in html
        (1, True, True)
        """
        from reunite.report import DEFAULT_DETAIL_RANKS, report_from_columns, write_report

        lang = check_language(lang)
        data = report_from_columns(
            self.columns, self.cases, self.candidates, self.model.spec.comparisons, self.levels, self.contributions,
            self.pairs_compared, case_source=cases, candidate_source=candidates, previous=previous, title=title,
            mapping=mapping)
        return write_report(path, data, lang=lang, reveal_ids=reveal_ids,
                            detail_ranks=DEFAULT_DETAIL_RANKS if detail_ranks is None else detail_ranks)

    def _cand_rows(self) -> npt.NDArray[np.int64]:
        return np.asarray(self.columns["_cand_row"], dtype=np.int64)

    def explain(self, case_id: str, person_id: str) -> Explanation:
        """Each comparison's level and weight for one pair (ranked or not)."""
        case_idx = _index_of(self.cases, case_id, "case_id")
        cand_row = _index_of(self.candidates, person_id, "person_id")
        cand_idx = int(np.flatnonzero(self.prepared.cand_order == cand_row)[0])
        levels, contributions = pair_contributions(
            self.prepared, self.model, np.array([case_idx]), np.array([cand_idx]), limits=self.limits
        )
        fields = tuple(
            (name, LEVEL_LABELS[name][int(levels[k, 0])] if levels[k, 0] >= 0 else "missing",
             float(contributions[k, 0]))
            for k, name in enumerate(self.model.spec.comparisons)
        )
        return Explanation(str(self.cases.ids[case_idx]), str(self.candidates.ids[cand_row]),
                           float(contributions[:, 0].sum()), fields)

    def summary(self, lang: Language = "en") -> str:
        """What the screen did, in a few lines a person reads (in ``lang``)."""
        n_cases = len(self.cases)
        with_candidates = int(np.unique(self.columns["case_id"]).size)
        lines = [
            text(lang, "screen_screened", cases=n_cases, candidates=len(self.candidates),
                 pairs=self.pairs_compared),
            text(lang, "screen_ranked", n=with_candidates, top_k=self.top_k, rows=len(self)),
        ]
        if len(self):
            top = self.columns["rank"] == 1
            strong = int((self.columns["probability"][top] >= 0.5).sum())
            lines.append(text(lang, "screen_strong", n=strong))
            case_probability = self.columns["case_probability"][top].astype(np.float64)
            unlikely = int((case_probability < 0.5).sum()) + (n_cases - with_candidates)
            lines.append(text(lang, "screen_unlikely", n=unlikely, expected=float(case_probability.sum()),
                              cases=n_cases))
        if self.fit_report is not None:
            lines.append(self.fit_report.format(lang))
        return "\n".join(lines)


def write_ranked_csv(path: str | Path, columns: Mapping[str, npt.NDArray[Any]], *, reveal_ids: bool = False,
                     lang: Language = "en") -> Path:
    """RANKED.csv from aligned arrays of :data:`RANKED_COLUMNS` (what ``ScreenResult.to_csv`` and
    ``reunite export`` write): scores to 3 decimals, probabilities to 6; ID-shaped values masked
    unless ``reveal_ids``; with ``lang="zh"`` Chinese headers and sexes (the reasons as given)."""
    score = np.round(np.asarray(columns["score"]).astype(np.float64), 3)
    probability = np.round(np.asarray(columns["probability"]).astype(np.float64), 6)
    case_probability = np.round(np.asarray(columns["case_probability"]).astype(np.float64), 6)
    data = [
        np.asarray(columns["case_id"]).tolist(), np.asarray(columns["rank"]).tolist(),
        np.asarray(columns["person_id"]).tolist(), score.tolist(), probability.tolist(), case_probability.tolist(),
        *(np.asarray(columns[c]).tolist() for c in RANKED_COLUMNS[6:]),
    ]
    headers = tuple(RANKED_HEADERS[lang].get(c, c) for c in RANKED_COLUMNS)
    if lang != "en":
        at = RANKED_COLUMNS.index("sex")
        data[at] = [sex_text(lang, str(v)) for v in data[at]]
    return write_csv_columns(path, headers, data, reveal_ids=reveal_ids)


def explain(
    cases: TableLike, candidates: TableLike, case_id: str, person_id: str, *,
    model: FellegiSunter | str | os.PathLike[str] | None = None, seed: int = 0, em: bool = True,
    blocking: BlockingSpec | None = None, limits: EngineLimits | None = None,
) -> Explanation:
    """Each comparison's level and weight for one pair, as :func:`screen` would score it.

    The model is fitted to these data with ``seed`` exactly as ``screen`` fits it (:func:`fit_model`),
    without screening every case. ``limits``: as :func:`screen` takes them.

    Examples
    --------
    >>> import pandas as pd
    >>> cases = pd.DataFrame({"case_id": ["c1"], "name": ["王小红"], "sex": ["女"], "birth_date": ["1988"]})
    >>> people = pd.DataFrame({"person_id": ["p1"], "name": ["王小红"], "sex": ["F"], "birth_date": ["1988-05-20"]})
    >>> explain(cases, people, "c1", "p1").score > 0
    True
    """
    check_flags(em=em)
    config = RunConfig(seed=seed)
    base = resolve_model(model) or default_model()
    case_table, cand_table = load_side(cases, "cases"), load_side(candidates, "candidates")
    limits = checked_limits(limits)
    fitted, prep, _ = fit_model(base, case_table, cand_table, blocking=blocking or BlockingSpec(),
                                seed=config.seed, em=em, limits=limits)
    # an empty ranking over these data: explains any pair as a full screen would score it
    empty = _assemble([], case_table, cand_table, fitted, prep, 0, 1, False)
    return dataclasses.replace(empty, limits=limits).explain(case_id, person_id)


def _index_of(table: RecordTable, wanted: str, what: str) -> int:
    if isinstance(wanted, str):
        wanted = fold_id(wanted)  # as the data's ids were read: ＰＡ００１２３ is PA00123
    hits = np.flatnonzero(table.ids == wanted)
    if hits.size == 0:
        # a quarantined row was "not in the screened data" alone: as if the id were mistyped
        report = table.report
        held = (f" (not in {report.source}, or in one of its {report.quarantined} quarantined rows: --strict lists "
                "them)") if report.quarantined else ""
        raise InputError(f"{what} {wanted!r} is not in the screened data{held}")
    return int(hits[0])


def fit_population(
    model: FellegiSunter, cases: RecordTable, candidates: RecordTable, *, seed: int = 0,
    size: int = 200_000, limits: EngineLimits = DEFAULT_LIMITS,
) -> tuple[FellegiSunter, Prepared]:
    """A copy of ``model`` with u and term frequencies from these data, and the prepared tables.

    u comes from ``size`` random (case, candidate) pairs drawn with ``seed``; frequencies are the
    shares of candidates carrying each name value. m is kept, but for the birth level of a 1st of the
    month read as the month, which follows how often these candidates' births are written so
    (:meth:`FellegiSunter.fit_rounded_share`), and the birth levels only a case known to the month (year)
    takes, which follow these cases' share of such births as u does (:meth:`FellegiSunter.fit_precision_shares`).
    """
    fitted = FellegiSunter.from_dict(model.to_dict())
    fitted.fit_frequencies(name_frequencies(candidates), max(len(candidates), 1))
    prep = prepare(cases, candidates, fitted.frequencies_, fitted.frequency_candidates_)
    d = prep.candidates
    share = rounded_share(d.birth_lo, d.birth_hi, d.birth_known)
    if share is not None:
        fitted.fit_rounded_share(share)
    n_cases, n_cand = len(prep.cases), len(prep.candidates)
    if n_cases and n_cand:
        if n_cases * n_cand <= size:  # few enough to take every pair
            case = np.repeat(np.arange(n_cases, dtype=np.int64), n_cand)
            cand = np.tile(np.arange(n_cand, dtype=np.int64), n_cases)
        else:
            rng = np.random.default_rng(seed)
            case = rng.integers(0, n_cases, size=size, dtype=np.int64)
            cand = rng.integers(0, n_cand, size=size, dtype=np.int64)
        # The shipped u counts as 20,000 pairs: a small screen moves it only a little.
        fitted.fit_u(compare(prep, model.spec, case, cand, limits=limits), prior_pairs=20_000)
        c = prep.cases
        precision = precision_shares(c.birth_lo, c.birth_hi, c.birth_known, model.spec.birth_month_days)
        if precision is not None:  # u now holds these cases' shares of each birth precision: m follows alike
            fitted.fit_precision_shares(precision, pairs=case.size, prior_pairs=20_000)
    return fitted, prep


def fit_model(
    model: FellegiSunter, cases: RecordTable, candidates: RecordTable, *, blocking: BlockingSpec,
    seed: int = 0, em: bool = True, exclude: Iterable[tuple[str, str]] = (), fit_max_pairs: int = DEFAULT_FIT_MAX_PAIRS,
    workers: int = 1, prune: bool = True, limits: EngineLimits = DEFAULT_LIMITS,
) -> tuple[FellegiSunter, Prepared, FitReport | None]:
    """``model`` fitted to these data as every screen fits it: u and name frequencies
    (:func:`fit_population`), then, with ``em``, m learned without labels (:func:`reunite.matching.learn.fit_m`,
    DNA-excluded pairs left out); with the prepared tables and the fit's report. ``screen``, ``explain`` and
    the nightly full re-screen all fit through here, so the three score alike. ``workers``: threads
    comparing the fit's pairs, ``limits``: how they are compared; ``prune``: count the fit's windows
    by cells as the pruned screen does, comparing only the hits one by one (the fit depends on none
    of them: the patterns are the same).
    """
    from reunite.matching.learn import case_patterns, fit_m  # (a night's delta screens fit nothing)

    fitted, prep = fit_population(model, cases, candidates, seed=seed, limits=limits)
    if not em:
        return fitted, prep, None
    excluded = excluded_keys(prep, cases, candidates, exclude)
    index = _cell_index(prep, fitted, blocking, limits) if prune else None
    fitted, report = fit_m(fitted, case_patterns(prep, fitted, blocking, seed=seed, excluded=excluded,
                                                 max_pairs=fit_max_pairs, workers=workers, index=index,
                                                 limits=limits))
    return fitted, prep, report


def _some_rows(table: RecordTable, what: str) -> None:
    """Refuse a table without rows (a header-only file, or one whose every row was quarantined)."""
    if len(table) == 0:
        raise InputError(f"{table.report.source}: no {what} (read {table.report.read}, "
                         f"quarantined {table.report.quarantined})")


def train(
    cases: TableLike,
    candidates: TableLike,
    *,
    model: FellegiSunter | None = None,
    confirmed: Iterable[tuple[str, str]] = (),
    em: bool = False,
    blocking: BlockingSpec | None = None,
    seed: int = 0,
    progress: bool = False,
    limits: EngineLimits | None = None,
) -> FellegiSunter:
    """Fit a model to an agency's own data: u and term frequencies always, m as asked.

    Parameters
    ----------
    confirmed:
        ``(case_id, person_id)`` pairs confirmed by DNA: m comes from their comparison levels.
    em:
        Also learn m from these data without labels, as :func:`screen` does by default
        (:func:`reunite.matching.learn.fit_m`: one child per case, around the labelled or shipped m);
        a fit with too little evidence keeps that m. Check the result with ``reunite evaluate``.
    limits:
        How the pairs are compared, as :func:`screen` takes them (the fit does not depend on them).

    Examples
    --------
    >>> import pandas as pd
    >>> cases = pd.DataFrame({"case_id": ["c1"], "name": ["王小红"], "sex": ["女"], "birth_date": ["1988"]})
    >>> people = pd.DataFrame({"person_id": ["p1"], "name": ["王小红"], "sex": ["F"],
    ...                        "birth_date": ["1988-05-20"]})
    >>> fitted = train(cases, people, confirmed=[("c1", "p1")])
    >>> round(float(fitted.m_[0][-1]), 2)  # given name: same characters, smoothed
    0.83
    """
    check_flags(em=em, progress=progress)
    seed = RunConfig(seed=seed).seed
    limits = checked_limits(limits)
    case_table, cand_table = load_side(cases, "cases"), load_side(candidates, "candidates")
    # a model fitted to no cases or no candidates was written as if fitted, exit 0
    _some_rows(case_table, "cases to train on")
    _some_rows(cand_table, "candidates to train on")
    fitted, prep = fit_population(model or default_model(), case_table, cand_table, seed=seed, limits=limits)
    labelled = checked_pairs("confirmed", confirmed)
    if labelled:
        keys = excluded_keys(prep, case_table, cand_table, labelled)
        if keys.size == 0:
            raise InputError("confirmed: none of the confirmed pairs is in the screened data")
        n_cand = len(cand_table)
        # m overall and per kind of case (a kind with few confirmed pairs stays near the overall m)
        fitted.fit_labelled(compare(prep, fitted.spec, keys // n_cand, keys % n_cand, limits=limits),
                            kinds=case_kinds(prep.cases, keys // n_cand))
    if em:
        from reunite.matching.learn import case_patterns, fit_m

        fitted, _ = fit_m(fitted, case_patterns(prep, fitted, blocking or BlockingSpec(), seed=seed, limits=limits))
    return fitted


def screen_preview(
    cases: TableLike, candidates: TableLike, *, blocking: BlockingSpec | None = None
) -> BlockingPreview:
    """Pair counts per blocking pass and in total, before a run."""
    case_table, cand_table = load_side(cases, "cases"), load_side(candidates, "candidates")
    return preview(prepare(case_table, cand_table), blocking or BlockingSpec())


def screen(
    cases: TableLike,
    candidates: TableLike,
    *,
    top_k: int = DEFAULT_TOP_K,
    model: FellegiSunter | str | os.PathLike[str] | None = None,
    blocking: BlockingSpec | None = None,
    exclude: Iterable[tuple[str, str]] = (),
    fit_to_data: bool = True,
    em: bool = True,
    seed: int = 0,
    progress: bool = False,
    workers: int | None = None,
    reasons: bool = True,
    mapping: Mapping[str, str] | None = None,
    strict: bool = False,
    prune: bool = True,
    fit_max_pairs: int = DEFAULT_FIT_MAX_PAIRS,
    limits: EngineLimits | None = None,
    today: datetime.date | None = None,
) -> ScreenResult:
    """Rank, for every case, the candidates most likely to be the missing child.

    Parameters
    ----------
    cases, candidates:
        Paths (CSV, XLSX), DataFrames, or already read/normalized tables.
    top_k:
        Candidates kept per case.
    model:
        A fitted :class:`FellegiSunter` or the path of its JSON; default: the model that ships with reunite.
    blocking:
        Which pairs are compared; default :class:`BlockingSpec`.
    exclude:
        ``(case_id, person_id)`` pairs DNA has excluded: never proposed.
    fit_to_data:
        Re-estimate u (from random pairs, seeded by ``seed``) and term frequencies on these data:
        they describe the population being screened, which differs from place to place. With
        ``False`` the model's own are used, so a pair scores the same whichever candidates are
        screened beside it (the nightly re-screen relies on this).
    em:
        With ``fit_to_data``, also learn m from these data without labels (one-child-per-case EM
        around the model's m, :mod:`reunite.matching.learn`); ``result.fit_report`` says what moved,
        or why the fit was refused and the model's m kept.
    progress:
        Show a progress bar on standard error.
    workers:
        Threads scoring chunks at once (default: the machine's cores, at most 4).
    reasons:
        Format the reasons column now; with ``False`` it is empty and ``reasons_of`` formats the
        rows a caller keeps (the nightly merge keeps few of a delta screen's rows).
    fit_max_pairs:
        With ``em``, m is learned from the cases of a seeded order while their birth-window pairs stay
        within this many (and 2,000 cases); :func:`reunite.spark.screen` reads the same cases for the
        same value.
    prune:
        Score one by one only the pairs of a birth window that can reach a case's top ``top_k``,
        and count the others (:mod:`reunite.matching.prune`): the same ranking, scores, reasons and
        probabilities as ``prune=False``, which scores every pair. The fit of m (``em``) counts its
        windows the same way, and compares every pair with ``prune=False``; the fitted model is the same.
    limits:
        The size thresholds that choose how the engine computes (lookup tables or pair by pair, a
        memo, a histogram cut, counted windows): :class:`~reunite.matching.engine.EngineLimits`,
        default its tuned values. They trade memory for time; the results are the same bits.
    today:
        The day dates are read relative to (a later date is unknown, a two-digit year is of the
        latest century that keeps it out of the future; default today's date), so a screen can be
        repeated as it was. Tables
        already normalized, or prepared by ``reunite prepare``, keep the day they were read on.

    Returns
    -------
    ScreenResult
        ``to_csv()``, ``to_pandas()``, ``explain(case_id, person_id)``.

    Examples
    --------
    >>> import pandas as pd
    >>> cases = pd.DataFrame({"case_id": ["c1"], "name": ["王小红"], "sex": ["女"],
    ...                       "birth_date": ["1988年5月"]})
    >>> people = pd.DataFrame({"person_id": ["p1", "p2"], "name": ["李小红", "赵强"],
    ...                        "sex": ["F", "F"], "birth_date": ["1988-05-20", "1988-06-02"]})
    >>> result = screen(cases, people, top_k=2)
    >>> result.to_pandas()[["case_id", "rank", "person_id"]].values.tolist()
    [['c1', 1, 'p1'], ['c1', 2, 'p2']]
    """
    check_flags(fit_to_data=fit_to_data, em=em, progress=progress, reasons=reasons, strict=strict, prune=prune)
    exclude = checked_pairs("exclude", exclude)  # read twice: by the fit of m and by the scorer
    config = RunConfig(top_k=top_k, seed=seed, blocking=blocking, fit_max_pairs=fit_max_pairs)
    top_k, seed, blocking = config.top_k, config.seed, config.blocking_spec
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ConfigError(f"workers: expected a whole number >= 1 or None, got {workers!r}")  # was a ValueError
    base = resolve_model(model) or default_model()
    case_table = load_side(cases, "cases", mapping=mapping, strict=strict, today=today)
    cand_table = load_side(candidates, "candidates", mapping=mapping, strict=strict, compact=True, today=today)
    check_mapping_used(mapping, [("cases", case_table.report), ("candidates", cand_table.report)])
    report: FitReport | None = None
    _some_rows(case_table, "cases to screen")
    # a header-only candidates file (or a prepared table of none) wrote an empty ranking, exit 0: the wrong file
    _some_rows(cand_table, "candidates to screen the cases against")
    workers = workers or min(4, os.cpu_count() or 1)
    limits = checked_limits(limits)
    if fit_to_data:
        fitted, prep, report = fit_model(base, case_table, cand_table, blocking=blocking, seed=seed, em=em,
                                         exclude=exclude, fit_max_pairs=config.fit_max_pairs, workers=workers,
                                         prune=prune, limits=limits)
    else:
        fitted, prep = base, prepare(case_table, cand_table, getattr(base, "frequencies_", None),
                                     getattr(base, "frequency_candidates_", None))
    excluded = excluded_keys(prep, case_table, cand_table, exclude)

    parts: list[ChunkResult] = []
    bar = _progress_bar(len(case_table), progress)
    # Chunks are built and scored on a few threads (numpy releases the GIL in its kernels); at most
    # 2 x workers chunks are in flight, so memory stays flat, and results keep chunk order.
    with bar, ThreadPoolExecutor(max_workers=workers) as pool:
        pending: deque[Future[ChunkResult]] = deque()
        blocks = plan(prep, blocking)
        index = _cell_index(prep, fitted, blocking, limits) if prune else None
        _return_freed_memory()  # the temporaries of preparing, fitting and indexing, before scoring
        # counted windows list about a tenth of their pairs: spans of more cases, as many pairs listed
        for first, last in (blocks.spans if index is None else counted_spans(blocks, 0.1)):
            pending.append(pool.submit(_score_span, blocks, fitted, first, last, top_k, excluded, limits, index))
            while len(pending) >= 2 * workers or (pending and pending[0].done()):
                parts.append(pending.popleft().result())
                bar.update(int(parts[-1].case_ids.size))
        while pending:
            parts.append(pending.popleft().result())
            bar.update(int(parts[-1].case_ids.size))
    pairs = sum(p.pairs for p in parts)
    result = _assemble(parts, case_table, cand_table, fitted, prep, pairs, top_k, reasons, report)
    return dataclasses.replace(result, pairs_scored=sum(p.scored for p in parts), limits=limits)


class _NoBar:
    """What ``screen`` updates when no progress bar is shown (tqdm is loaded only to show one)."""

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int) -> None:
        return None


def _progress_bar(total: int, progress: bool) -> Any:
    """A tqdm bar of ``total`` cases on standard error, or a :class:`_NoBar` without ``progress``."""
    if not progress:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit="case", file=sys.stderr, desc="screening")


@functools.cache
def _glibc() -> Any:
    """The C library when it is glibc on Linux (its allocator's ``malloc_trim`` and ``mallopt``), else None."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")  # runs ldconfig: once per process
    if name is None or sys.platform != "linux":
        return None
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None  # else not glibc


def _return_freed_memory() -> None:
    """Hand memory freed by the preparing stages back to the system (glibc keeps freed heap pages, and
    a large screen's temporaries -- interned names, hash tables, the fit's pairs -- are gigabytes)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameters (malloc.h)


def reuse_freed_memory() -> bool:
    """Let the allocator reuse freed blocks of up to 32 MB instead of mapping fresh pages for each (glibc:
    such blocks come from the heap, and up to 64 MB of free heap is kept, the most its own adaptive
    thresholds reach). A night's small delta screens allocate and free the same temporaries again and
    again, and each fresh mapping faulted its pages in again: a 2,000 x 400,000 night took 130,000-144,000
    page faults and 0.5-0.6 s of system CPU, 78,000-79,000 and 0.4 s with this. Larger blocks are still
    mapped and handed back when freed. Returns whether the allocator took the settings (not glibc: no)."""
    libc = _glibc()
    if libc is None:
        return False
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, 32 << 20)) & bool(libc.mallopt(_M_TRIM_THRESHOLD, 64 << 20))


def _cell_index(prep: Prepared, model: FellegiSunter, blocking: BlockingSpec,
                limits: EngineLimits) -> CellIndex | None:
    """The index that lets windows be counted, when the blocking passes and ``limits`` allow it (else None)."""
    # pruning's modules are loaded by the screens that prune, not by a night's small delta screens
    from reunite.matching.cells import cell_index
    from reunite.matching.prune import prunable

    if not prunable(blocking):
        return None
    # its classes and postings are those the spec's comparisons declare (and read with its parameters)
    key = ("cell_index", model.spec, blocking.late_days, limits.count_cells, limits.move_cells)
    return prep.memo.get(key, lambda: cell_index(prep, model.spec, blocking, limits=limits))  # type: ignore[no-any-return]


def _score_span(
    blocks: BlockPlan, model: FellegiSunter, first: int, last: int, top_k: int, excluded: npt.NDArray[np.int64],
    limits: EngineLimits, index: CellIndex | None = None,
) -> ChunkResult:
    """Block and score the cases ``first .. last - 1`` (on a worker thread)."""
    if index is not None:
        from reunite.matching.prune import score_span_pruned

        return score_span_pruned(blocks, model, index, first, last, top_k, excluded, limits=limits)[0]
    return score_chunk(blocks.prep, model, blocks.chunk(first, last), top_k, excluded, limits=limits)


def _assemble(
    parts: list[ChunkResult], cases: RecordTable, candidates: RecordTable, model: FellegiSunter,
    prep: Prepared, pairs: int, top_k: int, reasons: bool, report: FitReport | None = None,
) -> ScreenResult:
    n_comp = len(model.spec.comparisons)
    case = np.concatenate([p.case for p in parts]) if parts else np.zeros(0, dtype=np.int64)
    cand = np.concatenate([p.cand for p in parts]) if parts else np.zeros(0, dtype=np.int64)
    score = np.concatenate([p.score for p in parts]) if parts else np.zeros(0, dtype=np.float32)
    probability = np.concatenate([p.probability for p in parts]) if parts else np.zeros(0)
    levels = np.concatenate([p.levels for p in parts], axis=1) if parts else np.zeros((n_comp, 0), np.int8)
    contributions = (np.concatenate([p.contributions for p in parts], axis=1) if parts
                     else np.zeros((n_comp, 0), np.float32))
    any_match = np.zeros(len(cases))
    window = np.zeros(len(cases), dtype=np.int64)
    rest = np.zeros(len(cases))
    for p in parts:
        rest[p.case_ids] = p.case_rest
        any_match[p.case_ids] = p.case_any_match
        window[p.case_ids] = p.case_pairs
    first = np.r_[True, case[1:] != case[:-1]] if case.size else np.zeros(0, dtype=bool)
    starts = np.flatnonzero(first)
    rank = np.arange(case.size) - np.repeat(starts, np.diff(np.r_[starts, case.size])) + 1
    cand_row = prep.cand_order[cand]
    columns: dict[str, npt.NDArray[Any]] = {
        "case_id": cases.ids[case].astype(object),
        "rank": rank.astype(np.int64),
        "person_id": candidates.ids[cand_row].astype(object),
        "score": score,
        "probability": probability,
        "case_probability": any_match[case],
        "reasons": (np.array(format_reasons(model.spec.comparisons, levels, contributions), dtype=object)
                    if reasons else np.full(case.size, "", dtype=object)),
        "name": candidates.display_name[cand_row].astype(object),
        "sex": SEX_TEXT[candidates.sex[cand_row]],
        "birth_date": candidates.display_birth[cand_row].astype(object),
        "region": candidates.display_region[cand_row].astype(object),
        "id_number": candidates.id_masked[cand_row].astype(object),
        "pairs_compared": window[case],
        "_cand_row": cand_row,
        "_case_rest": rest[case],  # the case's Bayes factors outside its ranked rows (the nightly merge)
    }
    return ScreenResult(columns, cases, candidates, model, prep, pairs, top_k, levels, contributions, report)
