"""Database commands of the ``reunite`` command line: rescreen, export, dna (record, import, profiles), plan.

Every user mistake (a bad URL, a missing file, an unknown id, a bad outcome) raises a
:class:`reunite.errors.ReuniteError`; :func:`reunite.cli.main` prints it as one line and exits 2.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime
import functools
import gc
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reunite.errors import ConfigError, InputError, MissingFileError, StoreError
from reunite.i18n import LANGUAGES, Language, text
from reunite.run_config import DEFAULT_TOP_K, checked_today

if TYPE_CHECKING:
    from reunite.store import Store

__all__ = ["add_store_commands", "open_store", "plan_region_key", "run_store_command"]

_DB_HELP = "database URL: sqlite:///reunite.db or postgresql+psycopg://user@host:5432/reunite"


def _add_lang(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lang", choices=LANGUAGES, default="en", help="language of the messages (default en)")


def add_store_commands(commands: Any) -> None:
    """Register ``rescreen``, ``dna record|import|profiles`` and ``plan`` on the subcommand parsers."""
    rescreen = commands.add_parser(
        "rescreen", help="store new and changed cases and candidates and re-screen what they affect")
    rescreen.add_argument("--db", required=True, help=_DB_HELP)
    rescreen.add_argument("--cases", type=Path, help="cases CSV or XLSX (new and changed rows are stored)")
    rescreen.add_argument("--candidates", type=Path,
                          help="candidates CSV or XLSX, or a table made by reunite prepare (.parquet)")
    rescreen.add_argument("--top-k", type=int, default=None,
                          help="candidates kept per case (default: the store's, from its last re-screen; "
                               f"{DEFAULT_TOP_K} on a first run); another value re-screens everything")
    rescreen.add_argument("--full", action="store_true",
                          help="fit the model anew on all stored data and re-screen every open case")
    rescreen.add_argument("--model", type=Path, help="base model JSON (default: the shipped model)")
    rescreen.add_argument("--seed", type=int, default=0, help="seed of the random pairs u is fitted from")
    rescreen.add_argument("--strict", action="store_true",
                          help="stop with one error listing every bad row instead of quarantining rows")
    rescreen.add_argument("--quarantine-dir", type=Path, default=None,
                          help="existing folder for the quarantine CSVs (default: beside each input)")
    rescreen.add_argument("--encoding", default=None,
                          help="text encoding of CSV inputs, e.g. gb18030 (default: detected)")
    rescreen.add_argument("--mapping", action="append", default=None, metavar="HEADER=COLUMN|FILE.json",
                          help="map an input header to a column, e.g. --mapping '出生年月=birth_date' "
                               "(repeatable; an empty COLUMN ignores the header), or a JSON file of such pairs")
    rescreen.add_argument("--sheet", default=None, help="worksheet of an .xlsx input (name or 0-based number)")
    rescreen.add_argument("--remove-candidates", type=Path, metavar="FILE",
                          help="CSV or XLSX with a person_id column (and optionally reason): persons to take out "
                               "of the data (dead, a register record deleted or merged); kept stored, audited")
    rescreen.add_argument("--remove-cases", type=Path, metavar="FILE",
                          help="CSV or XLSX with a case_id column (and optionally reason): cases withdrawn (found "
                               "by other means, a duplicate report); they leave plan and export")
    rescreen.add_argument("--restore-candidates", type=Path, metavar="FILE",
                          help="CSV or XLSX with a person_id column (and optionally reason): undo an earlier "
                               "removal; the stored row is current again and screened as new; audited")
    rescreen.add_argument("--restore-cases", type=Path, metavar="FILE",
                          help="CSV or XLSX with a case_id column (and optionally reason): undo an earlier "
                               "removal of these cases; audited")
    rescreen.add_argument("--force-removals", action="store_true",
                          help="also remove a case or person with a confirmed DNA outcome (quarantined otherwise)")
    rescreen.add_argument("--today", type=day_option, default=None, metavar="YYYY-MM-DD",
                          help="read the rows as on this day, not after today's date (default: today's date); "
                               "a day before the store's last run re-screens in full")
    _add_lang(rescreen)

    export = commands.add_parser("export", help="write the stored current top-k as RANKED.csv (as screen writes it)")
    export.add_argument("--db", required=True, help=_DB_HELP)
    export.add_argument("--out", required=True, type=Path, help="RANKED.csv to write")
    export.add_argument("--top-k", type=int, default=None,
                        help="ranks per case to write (default, and at most: the top-k of the last re-screen)")
    export.add_argument("--reveal-ids", action="store_true", help="write ID numbers unmasked")
    _add_lang(export)

    check = commands.add_parser(
        "verify", help="check the stored ranking against a full screen of the stored records with the stored "
                       "fitted model (writes nothing; exit 1 when they differ)")
    check.add_argument("--db", required=True, help=_DB_HELP)
    check.add_argument("--model", type=Path, help="the base model the re-screens were run with (default: shipped)")
    check.add_argument("--reveal-ids", action="store_true", help="show ID numbers unmasked")
    check.add_argument("--today", type=day_option, default=None, metavar="YYYY-MM-DD",
                       help="read the stored rows as on this day (default: the day the last re-screen read them on)")
    _add_lang(check)

    unlock = commands.add_parser(
        "unlock", help="remove the run lock of a re-screen whose process is gone (another host): audited")
    unlock.add_argument("--db", required=True, help=_DB_HELP)
    unlock.add_argument("--force", action="store_true",
                        help="remove the lock even if its process still runs on this host")
    _add_lang(unlock)

    dna = commands.add_parser("dna", help="record DNA outcomes and profiles on file")
    dna_commands = dna.add_subparsers(dest="dna_command", required=True, metavar="ACTION")
    record = dna_commands.add_parser("record", help="record one DNA outcome (confirmed closes the case)")
    record.add_argument("--db", required=True, help=_DB_HELP)
    record.add_argument("--case", required=True, help="case_id")
    record.add_argument("--person", required=True, help="person_id")
    record.add_argument("--outcome", required=True,
                        help="excluded, confirmed or pending (or as a lab writes them: 排除, 确认, 待检 ...)")
    record.add_argument("--date", help="outcome date, YYYY-MM-DD (or 2024/3/5, 20240305, 2024年3月5日)")
    record.add_argument("--lab-ref", help="the lab's reference")
    record.add_argument("--note", help="free text kept with the outcome")
    record.add_argument("--supersede", action="store_true",
                        help="replace a contradicting outcome of the pair (confirmed after excluded, or the reverse)")
    record.add_argument("--reveal-ids", action="store_true", help="show ID numbers unmasked")
    _add_lang(record)
    imported = dna_commands.add_parser("import", help="import a lab CSV (case_id, person_id, outcome, ...)")
    imported.add_argument("--db", required=True, help=_DB_HELP)
    imported.add_argument("--file", required=True, type=Path,
                          help="lab CSV: case_id, person_id, outcome, and optionally date, lab_ref, note")
    imported.add_argument("--mapping", action="append", default=None, metavar="HEADER=COLUMN|FILE.json",
                          help="map a lab header to a column, e.g. --mapping '送检日期=date' (repeatable; "
                               "'HEADER=' ignores it); known headers (案件编号, 人员编号, 比对结果, 比对日期, 备注, "
                               "Case ID, Result, ...) need none; any other header is an error")
    imported.add_argument("--supersede", action="store_true",
                          help="let rows replace contradicting outcomes instead of quarantining them")
    imported.add_argument("--encoding", default=None,
                          help="text encoding of the lab CSV, e.g. gb18030 (default: detected)")
    _add_lang(imported)
    profiles = dna_commands.add_parser("profiles", help="mark persons whose DNA profile is on file")
    profiles.add_argument("--db", required=True, help=_DB_HELP)
    profiles.add_argument("--file", required=True, type=Path, help="CSV with a person_id column")
    _add_lang(profiles)

    plan = commands.add_parser("plan", help="write the DNA sampling plan: one row per person to visit")
    plan.add_argument("--db", required=True, help=_DB_HELP)
    plan.add_argument("--top-k", type=int, default=None,
                      help="candidates per case to visit (default, and at most: the top-k of the last re-screen)")
    plan.add_argument("--out", required=True, type=Path,
                      help="plan CSV to write; a name ending .html writes printable visit sheets instead")
    plan.add_argument("--reveal-ids", action="store_true", help="write ID numbers unmasked")
    plan.add_argument("--lang", choices=LANGUAGES, default="en",
                      help="language of the visit sheets and of this command's messages (default en)")

    report = commands.add_parser(
        "report", help="write one self-contained HTML report of a RANKED.csv or of the stored ranking")
    source = report.add_mutually_exclusive_group(required=True)
    source.add_argument("--ranked", type=Path, help="RANKED.csv (needs --cases and --candidates)")
    source.add_argument("--db", help=_DB_HELP + " (the current stored top-k, DNA outcomes, the last run)")
    report.add_argument("--cases", type=Path, help="the cases CSV or XLSX the ranking was made from")
    report.add_argument("--candidates", type=Path, help="the candidates CSV or XLSX")
    report.add_argument("--previous", type=Path, help="an earlier RANKED.csv: mark cases whose top-k changed since")
    report.add_argument("--out", required=True, type=Path, help="HTML file to write")
    report.add_argument("--top-k", type=int, default=None, help="ranks per case to show (default: all stored)")
    report.add_argument("--detail-ranks", type=int, default=None,
                        help="ranks per case charted and shown record by record (default 3)")
    report.add_argument("--lang", choices=LANGUAGES, default="en", help="language of the report (default en)")
    report.add_argument("--title", default=None, help="the report's title")
    report.add_argument("--reveal-ids", action="store_true", help="show ID numbers unmasked")
    report.add_argument("--mapping", action="append", default=None, metavar="HEADER=COLUMN|FILE.json",
                        help="map an input header to a column (as for screen)")


def run_store_command(args: argparse.Namespace) -> int:
    """Run a command registered by :func:`add_store_commands`; returns the exit code."""
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "rescreen": _rescreen, "export": _export, "verify": _verify, "unlock": _unlock, "plan": _plan,
        "report": _report,
        "dna record": _dna_record,
        "dna import": _dna_import,
        "dna profiles": _dna_profiles,
    }
    name = args.command if args.command != "dna" else f"dna {args.dna_command}"
    if name not in handlers:
        raise SystemExit(f"reunite: unknown command {name!r}")
    from sqlalchemy.exc import OperationalError

    try:
        return handlers[name](args)
    except OperationalError as exc:  # the database went away mid-command
        raise StoreError(f"the database failed: {_first_line(exc)}") from exc


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return (str(orig or exc).strip().splitlines() or [type(exc).__name__])[0]


def open_store(url: str, *, create: bool) -> Store:
    """Open the store at ``url``, upgraded to the newest schema; a bad URL is a :class:`StoreError`.

    With ``create=False`` a database reunite has never written to is an error (a mistyped SQLite
    path would otherwise become a new, empty database).

    >>> open_store("mysql://", create=True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    reunite.errors.StoreError: --db 'mysql://': cannot open the database: ...
    >>> open_store("not a url", create=True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    reunite.errors.StoreError: --db 'not a url': expected a database URL such as sqlite:///reunite.db ...
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

    from reunite.store import Store
    from reunite.store.db import safe_url

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"--db {url!r}: expected a database URL such as sqlite:///reunite.db or "
                         "postgresql+psycopg://user@host:5432/reunite") from None
    shown = safe_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database or "")
        if not path.parent.is_dir():
            raise StoreError(f"--db {shown!r}: folder {path.parent} does not exist")
    try:
        store = Store.open(url, create=create, label=f"--db {shown!r}")
    except (DBAPIError, NoSuchModuleError, ImportError) as exc:
        raise StoreError(f"--db {shown!r}: cannot open the database: {_first_line(exc)}") from None
    return store


def _quarantine_files(sources: list[Path], folder: Path | None, inputs: list[Path | None]) -> list[Path]:
    """``<file>.quarantine.csv`` of each input, in ``folder`` or beside it (``<file>.<n>.quarantine.csv``
    when two would be one file), each checked before anything is read or stored."""
    from reunite.export import check_output

    planned: list[Path] = []
    for source in sources:
        path = (folder or source.parent) / f"{source.stem}.quarantine.csv"
        if any(_same_path(path, p) for p in planned):
            path = path.with_name(f"{source.stem}.{len(planned) + 1}.quarantine.csv")
        planned.append(check_output(path, option="quarantine file", inputs=inputs))
    return planned


def day_option(value: str) -> datetime.date:
    """``--today``: a date written YYYY-MM-DD, from 2000-01-01 to today's date.

    >>> day_option("2024-02-29")
    datetime.date(2024, 2, 29)
    >>> day_option("2024-02-30")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a date written YYYY-MM-DD, e.g. 2024-06-30; got '2024-02-30'
    >>> day_option("1900-01-01")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a day from 2000-01-01 to today's date, got 1900-01-01 (every record's \
dates would read as in the future)
    """
    try:
        day = datetime.date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise argparse.ArgumentTypeError(f"expected a date written YYYY-MM-DD, e.g. 2024-06-30; got {value!r}")
    if day > datetime.date.today():
        raise argparse.ArgumentTypeError(f"{value} is after today's date ({datetime.date.today()}): rows cannot "
                                         "be read as on a day that has not come")
    try:
        return checked_today(day) or day
    except ConfigError as error:
        raise argparse.ArgumentTypeError(str(error).removeprefix("today: ")) from None


def _same_path(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The cycle collector paused (if it runs), for a command's imports: pandas, SQLAlchemy's ORM,
    pypinyin's dictionaries and reunite's tables allocate hundreds of thousands of objects that live
    as long as the process, and every full collection while they load walks them all again (about a
    quarter of a second of a night's CPU). Nothing is left uncollected: the collector runs again after.

    >>> import gc
    >>> with collector_paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    if not gc.isenabled():  # the caller's choice: left alone
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@contextlib.contextmanager
def _imports_frozen() -> Iterator[Callable[[], None]]:
    """What it yields freezes the objects alive (:func:`gc.freeze`: the modules a command imported,
    see :func:`collector_paused`) out of the cycle collector's sight until the command ends: they live
    as long as the process, and the first collection after the imports walked them all again
    (0.03-0.04 s of a night's CPU). Given back after; a caller that froze objects of its own is left
    alone.

    >>> import gc
    >>> with _imports_frozen() as freeze:
    ...     freeze()
    ...     gc.get_freeze_count() > 0
    True
    >>> gc.get_freeze_count()
    0
    """
    if gc.get_freeze_count():
        yield lambda: None
        return
    try:
        yield gc.freeze
    finally:
        gc.unfreeze()


def _rescreen(args: argparse.Namespace) -> int:
    with _imports_frozen() as freeze:
        with collector_paused():
            from reunite.export import check_output_dir, replace_quarantine
            from reunite.ingest import mapping_from_options, sheet_option
            from reunite.matching.model import FellegiSunter
            from reunite.rescreen import rescreen
            from reunite.run_config import RunConfig
            freeze()  # what the imports made, until the command ends (before the collector runs again)

        # before the store is opened: a first run would create it
        if args.top_k is not None and args.top_k < 1:
            raise InputError(f"--top-k: expected a whole number >= 1, got {args.top_k}")
        RunConfig(top_k=DEFAULT_TOP_K if args.top_k is None else args.top_k, seed=args.seed)
        if args.quarantine_dir is not None:
            check_output_dir(args.quarantine_dir, option="--quarantine-dir")
        removals = [args.remove_cases, args.remove_candidates]
        if args.force_removals and removals == [None, None]:
            raise InputError("--force-removals: expected --remove-candidates FILE or --remove-cases FILE with it "
                             "(it lets them remove a case or person with a confirmed DNA outcome)")
        restores = [args.restore_cases, args.restore_candidates]
        given = (args.cases, args.candidates, args.model, *removals, *restores)
        options = ("--cases", "--candidates", "--model", "--remove-cases", "--remove-candidates", "--restore-cases",
                   "--restore-candidates")
        for path, option in zip(given, options, strict=True):
            if path is not None and not path.exists():  # before the store is opened: a first run would create it
                raise MissingFileError(f"{option} {path}: no such file")
        # in the order of RescreenReport.ingest: the inputs, then the removal lists, then the restore lists
        sources = [p for p in (args.cases, args.candidates, *removals, *restores) if p is not None]
        # checked before the run: a quarantine file that cannot be written after the commit loses its rows
        planned = _quarantine_files(sources, args.quarantine_dir, [*sources, args.model, _sqlite_file(args.db)])
        model = FellegiSunter.load(args.model) if args.model else None
        sheet = sheet_option(args.sheet)
        # only a first run, which brings cases, makes a database: a night that brings none (candidates or
        # removals only) with a mistyped --db would otherwise make a new one and report a run that screened nothing
        with open_store(args.db, create=args.cases is not None) as store:
            report = rescreen(store, cases=args.cases, candidates=args.candidates, top_k=args.top_k,
                              full=args.full, model=model, seed=args.seed, progress=sys.stderr.isatty(),
                              mapping=mapping_from_options(args.mapping), strict=args.strict,
                              encoding=args.encoding, sheet=sheet,
                              log=lambda line: print(line, flush=True), lang=args.lang,
                              remove_cases=args.remove_cases, remove_candidates=args.remove_candidates,
                              force_removals=args.force_removals, restore_cases=args.restore_cases,
                              restore_candidates=args.restore_candidates, today=args.today)
        inputs = sum(p is not None for p in (args.cases, args.candidates))
        lists = inputs + sum(p is not None for p in removals)
        for at, (ingest, path) in enumerate(zip(report.ingest, planned, strict=True)):
            # an earlier night's file at this path is kept under a dated name: it would read as this run's,
            # and it may be the only list of rows that night did not store (the input is replaced nightly)
            written, kept = replace_quarantine(ingest, path)
            if kept is not None:
                key = "msg_quarantine_earlier" if written is not None else "msg_quarantine_stale"
                print(text(args.lang, key, source=ingest.source, path=kept))
            if written is not None:  # flags only: rows kept and stored (or removed), listed with their flags
                not_done = ("msg_quarantined_not_stored" if at < inputs else "msg_quarantined_not_removed"
                            if at < lists else "msg_quarantined_not_restored")
                key = not_done if ingest.quarantined else "msg_quarantine"
                print(text(args.lang, key, path=written))
        print(report.summary(args.lang))
        return 0


def _export(args: argparse.Namespace) -> int:
    from reunite.export import check_output
    from reunite.pipeline import RANKED_FILE
    from reunite.stored_ranking import awaiting, export_topk

    if args.top_k is not None and args.top_k < 1:
        raise InputError(f"--top-k: expected a whole number >= 1, got {args.top_k}")
    check_output(args.out, inputs=[_sqlite_file(args.db)], replaces=RANKED_FILE)
    with open_store(args.db, create=False) as store:
        _warn_if_run_under_way(store, "reunite export", args.lang)
        rows = export_topk(store, args.out, top_k=args.top_k, reveal_ids=args.reveal_ids)
        excluded, unranked = awaiting(store)
    print(text(args.lang, "msg_exported", rows=rows, path=args.out))
    if excluded or unranked:  # plan acts on them at once; the stored ranking only at the next night
        print(_awaiting_line("reunite export", excluded, unranked, args.lang, args.reveal_ids), file=sys.stderr)
    return 0


def _awaiting_line(prefix: str, excluded: list[str], unranked: list[str], lang: Language, reveal_ids: bool) -> str:
    """One line: the open cases the stored ranking does not yet hold as the next night will (ids masked)."""
    from reunite.errors import listed
    from reunite.ingest._safe import mask_id_numbers

    ids = listed([*excluded, *unranked])
    line = text(lang, "awaiting_a_night", prefix=prefix, n=len(excluded) + len(unranked), excluded=len(excluded),
                unranked=len(unranked), ids=f": {ids}" if lang == "en" else f"：{ids}")
    return line if reveal_ids else mask_id_numbers(line)


def _warn_if_run_under_way(store: Store, prefix: str, lang: Language) -> None:
    """One line on standard error when a re-screen that may be alive holds the run lock: what is read now
    may be replaced when it commits (export, plan and report gave the stored top-k without a word; verify
    refuses, as it would report differences that are not there)."""
    holder = store.lock_holder()
    if holder is not None and holder.may_live:
        print(text(lang, "run_under_way", prefix=prefix, holder=holder), file=sys.stderr)


def _verify(args: argparse.Namespace) -> int:
    from reunite.ingest._safe import mask_id_numbers
    from reunite.matching.model import FellegiSunter
    from reunite.rescreen import verify

    model = FellegiSunter.load(_existing_file(args.model, "--model")) if args.model else None
    with open_store(args.db, create=False) as store:
        found = verify(store, model=model, progress=sys.stderr.isatty(), today=args.today)
    facts = {"cases": found.cases, "rows": found.rows, "candidates": found.candidates, "pairs": found.pairs_compared,
             "model": found.model_version}
    if found.awaiting:  # their differences are the next night's work (a DNA outcome recorded since the last one)
        print(_awaiting_line("reunite verify", list(found.excluded_since), list(found.unranked), args.lang,
                             args.reveal_ids) + text(args.lang, "msg_verify_not_compared"))
    if found.equal:
        print(text(args.lang, "msg_verified", **facts))
        return 0
    lines = [text(args.lang, "msg_verify_differs", n=len(found.differences), **facts)]
    lines += [f"  {case_id} rank {rank} {what}: stored {stored!r}, full screen {screened!r}"
              for case_id, rank, what, stored, screened in found.differences[:20]]
    shown = "\n".join(lines)
    print(shown if args.reveal_ids else mask_id_numbers(shown))
    return 1


def _unlock(args: argparse.Namespace) -> int:
    from reunite.errors import ConcurrentRunError

    with open_store(args.db, create=False) as store:
        live = store.lock_holder()
        # a lock whose process still runs on this host is no stale lock: removing it let a second
        # re-screen start beside the first one
        if live is not None and live.alive_here and not args.force:
            raise ConcurrentRunError(f"the run lock is held by a process that is still running ({live}); "
                                     "wait for it to finish (--force removes the lock anyway)")
        holder = store.break_run_lock()
    print(text(args.lang, "msg_unlocked", holder=holder) if holder else text(args.lang, "msg_no_lock"))
    return 0


def _dna_record(args: argparse.Namespace) -> int:
    from reunite.store.dna import lab_outcome

    outcome = lab_outcome(args.outcome)  # as a lab file writes it (排除, 已确认 ...), or refused with the reason
    with open_store(args.db, create=False) as store:
        already = store.dna_outcome_id(args.case, args.person, outcome, date=args.date, lab_ref=args.lab_ref,
                                       note=args.note)
        store.record_dna(args.case, args.person, outcome, date=args.date, lab_ref=args.lab_ref,
                         note=args.note, supersede=args.supersede)
    from reunite.ingest._safe import mask_id_numbers

    closes = text(args.lang, "msg_dna_closes") if outcome == "confirmed" and already is None else ""
    # an agency's case or person id may be the resident ID number itself: masked as in every output
    case, person = (args.case, args.person) if args.reveal_ids else map(mask_id_numbers, (args.case, args.person))
    print(text(args.lang, "msg_dna_recorded" if already is None else "msg_dna_already_recorded", case=case,
               person=person, outcome=outcome) + closes)
    return 0


def _existing_file(path: Path, what: str) -> Path:
    if not path.is_file():
        raise MissingFileError(f"{what} {path}: no such file")
    return path


def _dna_import(args: argparse.Namespace) -> int:
    from reunite.export import replace_quarantine
    from reunite.ingest import mapping_from_options

    path = _existing_file(args.file, "--file")
    mapping = mapping_from_options(args.mapping)
    # checked before the import commits: a quarantine file that cannot be written then loses its rows
    [quarantine] = _quarantine_files([path], None, [path, _sqlite_file(args.db)])
    with open_store(args.db, create=False) as store:
        report = store.import_dna_csv(path, mapping=mapping, supersede=args.supersede, encoding=args.encoding)
    if report.read == 0:  # a lab file with a header and no rows is most likely the wrong file
        raise InputError(f"--file {path}: no DNA outcomes in it (a header and no rows)")
    print(report.summary(args.lang))
    # an earlier import's file at this path is kept under a dated name (it would read as this import's)
    written, kept = replace_quarantine(report, quarantine)
    if kept is not None:
        key = "msg_quarantine_earlier" if written is not None else "msg_quarantine_stale"
        print(text(args.lang, key, source=report.source, path=kept))
    if written is not None:
        print(text(args.lang, "msg_quarantined_rows", path=written))
    return 0


def read_person_ids(path: Path) -> list[str]:
    """The ``person_id`` column of a CSV (UTF-8 with or without BOM, or GB18030), empty cells skipped; the
    column under any header a candidates file's person_id is recognised by (人员编号, Person ID, ...)."""
    from reunite.ingest import canonical_column, decode_text, fold_id

    text, _ = decode_text(_existing_file(path, "--file").read_bytes(), source=path.name)
    rows = list(csv.reader(text.splitlines()))
    header = [canonical_column(h, "candidates") for h in rows[0]] if rows else []
    if header.count("person_id") != 1:
        raise InputError(f"{path.name}: expected a person_id column (one header such as person_id or 人员编号), "
                         f"found {rows[0] if rows else 'no header'}")
    at = header.index("person_id")
    ids = [fold_id(row[at]) for row in rows[1:] if len(row) > at and row[at].strip()]
    if not ids:  # a header and no ids is most likely the wrong file (0 persons marked, exit 0)
        raise InputError(f"{path.name}: no person_id in it (a header and no rows)")
    return ids


def _dna_profiles(args: argparse.Namespace) -> int:
    ids = read_person_ids(args.file)
    with open_store(args.db, create=False) as store:
        try:
            new = store.mark_profiles_on_file(ids, source=args.file.name)
        except InputError as error:  # which file the ids came from
            raise InputError(f"--file {args.file.name}: {error}") from None
    print(text(args.lang, "msg_profiles", n=len(set(ids)), source=args.file.name, new=new))
    return 0


@functools.lru_cache(maxsize=65_536)
def plan_region_key(region: str) -> tuple[str, str]:
    """(province, county) of today's divisions for a region cell, by name; ("", "") when unknown.

    Codes and names of one county (also old ones) group together; a region known only to the city
    keeps the city as its county key, one known only to the province an empty county.

    >>> plan_region_key("上海市南汇县") == plan_region_key("310115")
    True
    >>> plan_region_key("360302")
    ('江西省', '江西省萍乡市安源区')
    >>> plan_region_key("undefined")
    ('', '')
    """
    from reunite.normalize.regions import resolve_region

    found = resolve_region(region)
    if found.level == 0:
        return "", ""
    province = resolve_region(str(found.province)).label if found.province else ""
    return province, found.label if found.level >= 2 else ""


def _sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL (an output must not overwrite it), else None."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    return Path(parsed.database) if parsed.get_backend_name() == "sqlite" and parsed.database else None


def _plan(args: argparse.Namespace) -> int:
    from reunite.export import PLAN_FILE, check_output, reunite_html, write_plan_csv
    from reunite.run_config import RunConfig
    from reunite.store import build_plan, summarize_plan
    from reunite.stored_ranking import awaiting, checked_top_k

    if args.top_k is not None:
        RunConfig(top_k=args.top_k)  # a bad value is told before the store is opened
    sheets = args.out.suffix.lower() in (".html", ".htm")
    check_output(args.out, inputs=[_sqlite_file(args.db)],
                 replaces=reunite_html("visit sheets reunite wrote") if sheets else PLAN_FILE)
    if not sheets and args.out.suffix.lower() not in (".csv", ".txt", ""):
        raise InputError(f"--out {args.out}: the plan is written as CSV (.csv) or as visit sheets (.html), "
                         f"not {args.out.suffix}")
    with open_store(args.db, create=False) as store:
        _warn_if_run_under_way(store, "reunite plan", args.lang)
        if store.last_succeeded_run() is None:  # an empty plan was written, exit 0, as if no one was to visit
            raise StoreError("the store holds no re-screen yet: run reunite rescreen first")
        config = RunConfig(top_k=checked_top_k(store, args.top_k) or DEFAULT_TOP_K)
        plan = build_plan(store, config.top_k, region_key=plan_region_key)
        reasons = {(r.case_id, r.person_id): r.reasons for r in store.current_topk()} if sheets else {}
        _, unranked = awaiting(store)  # (a DNA exclusion since the night the plan applies at once)
    if sheets:
        from reunite.report import visits_from_plan, write_visit_sheets

        out = write_visit_sheets(args.out, visits_from_plan(plan, reasons, lang=args.lang), lang=args.lang,
                                 reveal_ids=args.reveal_ids)
        print(text(args.lang, "msg_plan_html", path=out))
    else:
        out = write_plan_csv(args.out, plan, reveal_ids=args.reveal_ids)
        print(text(args.lang, "msg_plan_csv", path=out))
    if unranked:  # a reopened case waits for the next night: said, not left out without a word
        from reunite.errors import listed
        from reunite.ingest._safe import mask_id_numbers

        ids = listed(unranked)
        line = text(args.lang, "awaiting_a_plan", prefix="reunite plan", n=len(unranked),
                    ids=f": {ids}" if args.lang == "en" else f"：{ids}")
        print(line if args.reveal_ids else mask_id_numbers(line), file=sys.stderr)
    summary = summarize_plan(plan)
    cases = {c.case_id for row in plan for c in row.cases}
    in_database = sum(row.action == "compare in database" for row in plan)
    print(text(args.lang, "msg_plan_summary", persons=len(plan), cases=len(cases),
               collect=len(plan) - in_database, database=in_database))
    heads = [text(args.lang, f"msg_plan_{key}") for key in ("province", "county", "persons", "cases", "samples")]
    unknown = text(args.lang, "msg_unknown")
    print(f"{heads[0]:<12}{heads[1]:<28}{heads[2]:>8}{heads[3]:>8}{heads[4]:>9}")
    for s in summary:
        print(f"{s.province or unknown:<12}{s.county or unknown:<28}{s.persons:>8}{s.cases:>8}"
              f"{s.samples_to_collect:>9}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from reunite.export import check_output, reunite_html
    from reunite.report import DEFAULT_DETAIL_RANKS, report_from_ranked, write_report

    if args.top_k is not None and args.top_k < 1:
        raise InputError(f"--top-k: expected a whole number >= 1, got {args.top_k}")
    if args.detail_ranks is None:
        args.detail_ranks = DEFAULT_DETAIL_RANKS
    if args.detail_ranks < 1:
        raise InputError(f"--detail-ranks: expected a whole number >= 1, got {args.detail_ranks}")
    inputs = [args.ranked, args.cases, args.candidates, args.previous, _sqlite_file(args.db) if args.db else None]
    check_output(args.out, inputs=inputs, replaces=reunite_html("a report reunite wrote"))
    if args.ranked is not None:
        if args.cases is None or args.candidates is None:
            raise InputError("--ranked needs --cases and --candidates (the files it was screened from)")
        from reunite.ingest import mapping_from_options

        data = report_from_ranked(_existing_file(args.ranked, "--ranked"), _existing_file(args.cases, "--cases"),
                                  _existing_file(args.candidates, "--candidates"), previous=args.previous,
                                  mapping=mapping_from_options(args.mapping), title=args.title)
        if args.top_k is not None:
            import dataclasses

            data = dataclasses.replace(data, cases=tuple(
                dataclasses.replace(c, candidates=c.candidates[:args.top_k]) for c in data.cases))
    else:
        from reunite.stored_report import report_from_store

        if args.cases or args.candidates or args.previous or args.mapping:
            raise InputError("--db reads the cases, candidates and the last run from the store: "
                             "drop --cases, --candidates, --previous and --mapping")
        with open_store(args.db, create=False) as store:
            _warn_if_run_under_way(store, "reunite report", args.lang)
            data = report_from_store(store, top_k=args.top_k, title=args.title)
    out = write_report(args.out, data, lang=args.lang, reveal_ids=args.reveal_ids, detail_ranks=args.detail_ranks)
    print(text(args.lang, "msg_report", path=out))
    return 0
