"""The ``reunite`` command line: the one place that joins files, database and stages."""

from __future__ import annotations

import argparse
import csv
import gc
import io
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, NoReturn

from reunite import __version__
from reunite.cli_store import day_option
from reunite.errors import ConfigError, InputError, OutputError, ReuniteError
from reunite.i18n import LANGUAGES, Language, check_language, error_text, text
from reunite.ingest import IngestReport
from reunite.ingest._safe import mask_id_numbers
from reunite.run_config import DEFAULT_FIT_MAX_PAIRS, DEFAULT_TOP_K

if TYPE_CHECKING:
    from reunite.normalize import RecordTable

__all__ = ["main"]

USER_ERROR = 2  # exit code of a user's mistake (as argparse uses for a bad command line)


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad command line in one line (``reunite screen: error: ...``)."""

    def error(self, message: str) -> NoReturn:
        # argparse quotes the offending argument, which may be a resident ID number (--reveal-ids is not
        # known before the command line parses): masked as in every other message
        self.exit(USER_ERROR, mask_id_numbers(f"{self.prog}: error: {message} (see {self.prog} --help)") + "\n")


def _add_input_options(parser: argparse.ArgumentParser, *, quarantine: bool = True) -> None:
    parser.add_argument("--strict", action="store_true",
                        help="stop with one error listing every bad row instead of quarantining rows")
    if quarantine:
        parser.add_argument("--quarantine-dir", type=Path, default=None,
                            help="existing folder for the quarantine CSVs (default: beside --out)")
    parser.add_argument("--encoding", default=None,
                        help="text encoding of CSV inputs, e.g. gb18030 (default: detected)")
    parser.add_argument("--mapping", action="append", default=None, metavar="HEADER=COLUMN|FILE.json",
                        help="map an input header to a column, e.g. --mapping '出生年月=birth_date' "
                             "(repeatable; an empty COLUMN ignores the header), or a JSON file of such pairs")
    parser.add_argument("--sheet", default=None, help="worksheet of an .xlsx input (name or 0-based number)")
    parser.add_argument("--today", type=day_option, default=None, metavar="YYYY-MM-DD",
                        help="read the dates as on this day, not after today's date (a later date is unknown; "
                             "default: today's date), so a run can be repeated as it was")


def _load(args: argparse.Namespace, path: Path, side: str, *, compact: bool = False) -> RecordTable:
    """Read and normalize one input with the command's input options (a table made by ``reunite prepare``
    is read as it was prepared)."""
    from reunite.ingest import (
        check_fitting_options,
        fitting_options,
        mapping_from_options,
        read_table,
        sheet_option,
    )
    from reunite.normalize.stored import is_prepared, read_prepared_info
    from reunite.pipeline import load_side

    if is_prepared(path):
        prepared_on = read_prepared_info(path).today
        if args.today is not None and prepared_on != args.today:
            raise InputError(f"{path}: prepared as on {prepared_on}, not --today {args.today}: prepare it again "
                             f"with --today {args.today}, or leave --today out")
        return load_side(path, "cases" if side == "cases" else "candidates", strict=args.strict, compact=compact)
    # --encoding applies to the CSV inputs, --sheet to the workbooks (cases in CSV, candidates in Excel)
    check_fitting_options([args.cases, args.candidates, getattr(args, "confirmed", None)], args.encoding,
                          sheet_option(args.sheet))
    encoding, sheet = fitting_options(path, args.encoding, sheet_option(args.sheet))
    raw = read_table(path, "cases" if side == "cases" else "candidates", mapping=mapping_from_options(args.mapping),
                     strict=args.strict, encoding=encoding, sheet=sheet)
    return load_side(raw, "cases" if side == "cases" else "candidates", strict=args.strict, today=args.today)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="reunite",
        description="Rank candidate persons for cold missing-child cases, so the true child is "
                    "among the first sampled for DNA.",
    )
    parser.add_argument("--version", action="version", version=f"reunite {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    screen = commands.add_parser("screen", help="rank candidates for every case and write RANKED.csv")
    screen.add_argument("--cases", required=True, type=Path, help="cases CSV or XLSX")
    screen.add_argument("--candidates", required=True, type=Path,
                        help="candidates CSV or XLSX, or a table made by reunite prepare (.parquet)")
    screen.add_argument("--top-k", type=int, default=DEFAULT_TOP_K,
                        help=f"candidates kept per case (default {DEFAULT_TOP_K})")
    screen.add_argument("--out", type=Path, help="ranked CSV to write (required unless --preview)")
    screen.add_argument("--model", type=Path, help="model JSON (default: the shipped model)")
    screen.add_argument("--preview", action="store_true", help="only count the pairs to compare")
    screen.add_argument("--reveal-ids", action="store_true", help="write ID numbers unmasked")
    screen.add_argument("--birth-margin-years", type=float, default=None,
                        help="blocking window on birth dates (default 3 years)")
    screen.add_argument("--seed", type=int, default=0, help="seed of the random pairs u is fitted from (default 0)")
    screen.add_argument("--exhaustive", action="store_true",
                        help="score every pair of every window (same output; to check the pruned default)")
    screen.add_argument("--no-fit", action="store_true",
                        help="keep the model's m: do not learn it from these data (u and name frequencies still are)")
    screen.add_argument("--fit-max-pairs", type=int, default=DEFAULT_FIT_MAX_PAIRS,
                        help="birth-window pairs of the cases m is learned from, at most "
                             f"(default {DEFAULT_FIT_MAX_PAIRS:,}; the same value gives Spark the same fit)")
    screen.add_argument("--model-out", type=Path, default=None,
                        help="also write the model fitted to these data (JSON), for later screens and rescreen")
    screen.add_argument("--report", type=Path, default=None, help="also write the HTML report of the screen")
    screen.add_argument("--lang", choices=LANGUAGES, default="en",
                        help="language of RANKED.csv's headers and reasons, the report and messages (default en)")
    _add_input_options(screen)

    prepare = commands.add_parser(
        "prepare", help="read and normalize the candidates once; screen and rescreen take the result (.parquet)")
    prepare.add_argument("--candidates", required=True, type=Path, help="candidates CSV or XLSX")
    prepare.add_argument("--out", required=True, type=Path, help="prepared table to write (.parquet)")
    prepare.add_argument("--update", action="store_true",
                         help="keep --out current from the night's extract: read only the names and places --out "
                              "never read (the same table a fresh prepare writes)")
    prepare.add_argument("--from", dest="previous", type=Path, default=None, metavar="OLD.parquet",
                         help="like --update, taking what is already read from this prepared table")
    prepare.add_argument("--lang", choices=LANGUAGES, default="en", help="language of the lines (default en)")
    _add_input_options(prepare)

    train = commands.add_parser("train", help="fit a model to your own data and write it as JSON")
    train.add_argument("--cases", required=True, type=Path, help="cases CSV or XLSX")
    train.add_argument("--candidates", required=True, type=Path,
                       help="candidates CSV or XLSX, or a table made by reunite prepare (.parquet)")
    train.add_argument("--confirmed", type=Path,
                       help="CSV of DNA-confirmed pairs (case_id, person_id): m is taken from them")
    train.add_argument("--em", action="store_true",
                       help="also learn m from these data without labels (as screen does by default)")
    train.add_argument("--out", required=True, type=Path, help="model JSON to write")
    train.add_argument("--seed", type=int, default=0, help="seed of the random pairs u is fitted from (default 0)")
    train.add_argument("--lang", choices=LANGUAGES, default="en", help="language of the lines (default en)")
    _add_input_options(train, quarantine=False)

    explain = commands.add_parser("explain", help="show each field's level and weight for one pair")
    explain.add_argument("--cases", required=True, type=Path, help="cases CSV or XLSX")
    explain.add_argument("--candidates", required=True, type=Path, help="candidates CSV or XLSX")
    explain.add_argument("--case", required=True, help="case_id")
    explain.add_argument("--person", required=True, help="person_id")
    explain.add_argument("--model", type=Path, help="model JSON (default: the shipped model)")
    explain.add_argument("--seed", type=int, default=0, help="seed of the random pairs u is fitted from (default 0)")
    explain.add_argument("--reveal-ids", action="store_true", help="show ID numbers unmasked")
    explain.add_argument("--lang", choices=LANGUAGES, default="en", help="language of the lines (default en)")
    _add_input_options(explain, quarantine=False)

    evaluate = commands.add_parser("evaluate", help="score a ranked CSV against a truth CSV")
    evaluate.add_argument("--truth", required=True, type=Path,
                          help="CSV of the true pairs (case_id, person_id), as reunite generate writes truth.csv")
    evaluate.add_argument("--ranked", required=True, type=Path, help="RANKED.csv written by screen or export")
    evaluate.add_argument("--lang", choices=LANGUAGES, default="en", help="language of the table (default en)")

    demo = commands.add_parser("demo", help="generate demo data, screen it, evaluate it")
    demo.add_argument("--out-dir", type=Path, default=Path("reunite-demo"),
                      help="folder to write the data, RANKED.csv and the report into (default reunite-demo)")
    demo.add_argument("--cases", type=int, default=300, help="cases to generate (default 300)")
    demo.add_argument("--candidates", type=int, default=30_000, help="candidates to generate (default 30,000)")
    demo.add_argument("--seed", type=int, default=7, help="seed of the generated data (default 7)")
    demo.add_argument("--top-k", type=int, default=DEFAULT_TOP_K,
                      help=f"candidates kept per case (default {DEFAULT_TOP_K})")
    demo.add_argument("--lang", choices=LANGUAGES, default="en",
                      help="language of the report and the messages (default en)")

    generate = commands.add_parser("generate", help="write a synthetic data set (cases, candidates, truth)")
    generate.add_argument("--out-dir", type=Path, required=True,
                          help="folder to write cases.csv, candidates.csv and truth.csv into")
    generate.add_argument("--cases", type=int, default=300, help="cases to generate (default 300)")
    generate.add_argument("--candidates", type=int, default=30_000, help="candidates to generate (default 30,000)")
    generate.add_argument("--seed", type=int, default=0, help="seed of the generated data (default 0)")
    generate.add_argument("--overwrite", action="store_true",
                          help="replace cases.csv, candidates.csv and truth.csv already in --out-dir")

    from reunite.cli_store import add_store_commands

    add_store_commands(commands)
    return parser


def _quarantine_paths(reports: Sequence[IngestReport], directory: Path,
                      inputs: Sequence[Path | None]) -> list[tuple[IngestReport, Path]]:
    """``<file>.quarantine.csv`` per input (``<file>.<n>.quarantine.csv`` on a clash), each checked."""
    from reunite.export import check_output

    planned: list[tuple[IngestReport, Path]] = []
    for report in reports:
        path = directory / f"{Path(report.source).stem}.quarantine.csv"
        if any(path == p for _, p in planned):
            path = directory / f"{Path(report.source).stem}.{len(planned) + 1}.quarantine.csv"
        planned.append((report, check_output(path, option="quarantine file", inputs=inputs)))
    return planned


def _write_quarantine(planned: Sequence[tuple[IngestReport, Path]], *, reveal_ids: bool,
                      lang: Language = "en") -> list[Path]:
    """Write the quarantine file of each input with a problem; one an earlier run left at its path is
    kept under a dated name, saying so (it would read as this run's, and may list rows never stored)."""
    from reunite.export import replace_quarantine

    written: list[Path] = []
    for report, path in planned:
        done, kept = replace_quarantine(report, path, reveal_ids=reveal_ids)
        if kept is not None:
            key = "msg_quarantine_earlier" if done is not None else "msg_quarantine_stale"
            print(text(lang, key, source=report.source, path=kept))
        if done is not None:
            written.append(done)
    return written


def _screen(args: argparse.Namespace) -> int:
    from reunite.export import check_output, check_output_dir, reunite_html, write_text
    from reunite.ingest import check_mapping_used, mapping_from_options
    from reunite.pipeline import RANKED_FILE, screen, screen_preview
    from reunite.run_config import RunConfig, resolve_model

    started = time.perf_counter()
    config = RunConfig.with_birth_margin(top_k=args.top_k, seed=args.seed,
                                         birth_margin_years=args.birth_margin_years, fit_max_pairs=args.fit_max_pairs)
    inputs = [args.cases, args.candidates, args.model]
    # outputs are checked before a long screen, not after it
    if args.out is None and not args.preview:
        raise InputError("--out RANKED.csv is required (or use --preview)")
    if args.out is not None:
        check_output(args.out, inputs=inputs, replaces=RANKED_FILE)
    if args.model_out is not None:
        check_output(args.model_out, option="--model-out", inputs=[*inputs, args.out])
    if args.report is not None:
        check_output(args.report, option="--report", inputs=[*inputs, args.out, args.model_out],
                     replaces=reunite_html("a report reunite wrote"))
    if args.quarantine_dir is not None:
        check_output_dir(args.quarantine_dir, option="--quarantine-dir")
    model = resolve_model(args.model)
    cases = _load(args, args.cases, "cases")
    candidates = _load(args, args.candidates, "candidates", compact=True)  # a prepared table's text in less memory
    check_mapping_used(mapping_from_options(args.mapping), [("cases", cases.report), ("candidates", candidates.report)])
    print(cases.report.summary(args.lang))
    print(candidates.report.summary(args.lang))
    if len(cases) == 0:
        raise InputError(f"{args.cases}: no cases to screen (read {cases.report.read}, "
                         f"quarantined {cases.report.quarantined})")
    if args.preview:
        print(screen_preview(cases, candidates, blocking=config.blocking_spec).format(args.lang))
        return 0
    assert args.out is not None
    # the other outputs too: a --report or --model-out named like a quarantine file would be overwritten by it
    planned = _quarantine_paths([cases.report, candidates.report], args.quarantine_dir or args.out.parent,
                                [*inputs, args.out, args.model_out, args.report])
    result = screen(cases, candidates, top_k=config.top_k, model=model, blocking=config.blocking,
                    seed=config.seed, progress=sys.stderr.isatty(), em=not args.no_fit,
                    prune=not args.exhaustive, fit_max_pairs=config.fit_max_pairs)
    out = result.to_csv(args.out, reveal_ids=args.reveal_ids, lang=args.lang)
    report = None
    if args.report is not None:
        report = result.to_html(args.report, cases=args.cases, candidates=args.candidates, lang=args.lang,
                                reveal_ids=args.reveal_ids, mapping=mapping_from_options(args.mapping))
    if args.model_out is not None:
        model_out = write_text(args.model_out, json.dumps(result.model.to_dict(), ensure_ascii=False))
        print(text(args.lang, "msg_model_out", path=model_out))
    quarantine = _write_quarantine(planned, reveal_ids=args.reveal_ids, lang=args.lang)
    print(result.summary(args.lang))
    for path in quarantine:
        print(text(args.lang, "msg_quarantine", path=path))
    if report is not None:
        print(text(args.lang, "msg_report", path=report))
    seconds = time.perf_counter() - started
    print(text(args.lang, "msg_ranked", path=out) + text(args.lang, "msg_seconds", seconds=seconds))
    return 0


def _prepare(args: argparse.Namespace) -> int:
    from reunite.export import check_output, check_output_dir
    from reunite.ingest import mapping_from_options, sheet_option
    from reunite.normalize.stored import is_prepared
    from reunite.pipeline import prepare_file, update_prepared

    started = time.perf_counter()
    if is_prepared(args.candidates):
        raise InputError(f"--candidates {args.candidates}: a Parquet file (expected the CSV or XLSX to prepare)")
    if not is_prepared(args.out):
        raise InputError(f"--out {args.out}: expected a .parquet file name")
    check_output(args.out, inputs=[args.candidates])
    if args.quarantine_dir is not None:
        check_output_dir(args.quarantine_dir, option="--quarantine-dir")
    previous = args.previous or (args.out if args.update else None)
    if previous is not None:
        if not is_prepared(previous):
            raise InputError(f"--from {previous}: expected a .parquet file made by reunite prepare")
        update = update_prepared(args.candidates, args.out, previous, "candidates",
                                 mapping=mapping_from_options(args.mapping), strict=args.strict,
                                 encoding=args.encoding, sheet=sheet_option(args.sheet), today=args.today)
        report, rows = update.report, update.rows
        if update.reused is None:
            print(text(args.lang, "msg_prepare_not_updated", path=previous, why=update.not_used))
        else:
            print(text(args.lang, "msg_prepare_updated", path=previous, rows=update.reused.rows,
                       names=update.reused.names_read, regions=update.reused.regions_read))
    else:
        # a plain CSV file is read, normalized and written piece by piece, so memory stays flat
        report, rows = prepare_file(args.candidates, args.out, "candidates",
                                    mapping=mapping_from_options(args.mapping), strict=args.strict,
                                    encoding=args.encoding, sheet=sheet_option(args.sheet), today=args.today)
    print(report.summary(args.lang))
    planned = _quarantine_paths([report], args.quarantine_dir or args.out.parent, [args.candidates, args.out])
    for path in _write_quarantine(planned, reveal_ids=False, lang=args.lang):
        print(text(args.lang, "msg_quarantine", path=path))
    print(text(args.lang, "msg_prepared", path=args.out, rows=rows)
          + text(args.lang, "msg_seconds", seconds=time.perf_counter() - started))
    return 0


def _read_pairs(path: Path, encoding: str | None = None) -> list[tuple[str, str]]:
    """(case_id, person_id) pairs from a small CSV in any encoding reunite reads (``encoding``: as --encoding
    gives it for every CSV input, else detected)."""
    from reunite.errors import InputError, MissingColumnsError
    from reunite.ingest import decode_text, fold_id

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror})") from exc
    text, _ = decode_text(data, source=str(path), encoding=encoding)
    reader = csv.DictReader(io.StringIO(text, newline=""))  # the csv module reads \r, \n and \r\n itself
    try:
        missing = {"case_id", "person_id"} - set(reader.fieldnames or ())
        if missing:
            raise MissingColumnsError(
                f"{path}: missing column(s) {', '.join(sorted(missing))}; "
                f"found {', '.join(repr(h) for h in reader.fieldnames or ()) or 'no header'}"
            )
        # ids as the cases and candidates were read (ＰＡ００１２３ is PA00123)
        return [(fold_id(row["case_id"] or ""), fold_id(row["person_id"] or "")) for row in reader]
    except csv.Error as exc:
        raise InputError(f"{path}: not a readable CSV file at line {reader.line_num} ({exc})") from exc


def _train(args: argparse.Namespace) -> int:
    from reunite.export import atomic_output, check_output
    from reunite.ingest import check_mapping_used, mapping_from_options
    from reunite.matching.comparisons import REGISTRY
    from reunite.matching.kinds import CASE_KINDS
    from reunite.pipeline import train
    from reunite.run_config import RunConfig

    config = RunConfig(seed=args.seed)
    check_output(args.out, inputs=[args.cases, args.candidates, args.confirmed])  # before fitting
    confirmed = _read_pairs(args.confirmed, args.encoding) if args.confirmed else []
    cases = _load(args, args.cases, "cases")
    candidates = _load(args, args.candidates, "candidates")
    check_mapping_used(mapping_from_options(args.mapping), [("cases", cases.report), ("candidates", candidates.report)])
    model = train(cases, candidates, confirmed=confirmed, em=args.em, seed=config.seed,
                  progress=sys.stderr.isatty())
    # a pair of a case or person not in these files was left out without a word (train raises only when none is in)
    case_ids, person_ids = set(cases.ids.astype(str).tolist()), set(candidates.ids.astype(str).tolist())
    unused = [row for row, (case_id, person_id) in enumerate(confirmed, start=2)
              if case_id not in case_ids or person_id not in person_ids]
    if unused:
        rows = ", ".join(map(str, unused[:10])) + (", ..." if len(unused) > 10 else "")
        print(text(args.lang, "train_confirmed_unused", source=args.confirmed.name, n=len(unused),
                   total=len(confirmed), rows=rows))
    with atomic_output(args.out) as tmp:
        model.save(tmp)
    # the weights scoring uses: per kind of case when the model has them
    for kind in (CASE_KINDS if model.has_kinds else ("all",)):
        weights_of = model.kind_weights(kind) if model.has_kinds else model.weights_
        print(text(args.lang, "train_weights_kind", kind=text(args.lang, f"kind_{kind}")) if model.has_kinds
              else text(args.lang, "train_weights_all"))
        for name, weights in zip(model.spec.comparisons, weights_of, strict=True):
            shown = name if args.lang == "en" else REGISTRY[name].title_in(args.lang)
            print(f"  {shown:<15}" + " ".join(f"{w:+6.2f}" for w in weights))
    print(text(args.lang, "train_model", version=model.version, path=args.out))
    return 0


def _explain(args: argparse.Namespace) -> int:
    from reunite.ingest import check_mapping_used, mapping_from_options
    from reunite.pipeline import explain
    from reunite.run_config import RunConfig, resolve_model

    config = RunConfig(seed=args.seed)
    model = resolve_model(args.model)
    cases = _load(args, args.cases, "cases")
    candidates = _load(args, args.candidates, "candidates")
    check_mapping_used(mapping_from_options(args.mapping), [("cases", cases.report), ("candidates", candidates.report)])
    found = explain(cases, candidates, args.case, args.person, model=model, seed=config.seed)
    print(found.format(args.lang, reveal_ids=args.reveal_ids))
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from reunite.evaluate import evaluate

    print(evaluate(args.truth, args.ranked).format(args.lang))
    return 0


_BYTES_PER_ROW = 1_000  # what generating a row takes, about (measured: 300,000 candidates took 250 MB)


def _physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not POSIX
        return None


def _check_counts(cases: int, candidates: int, minimum: int) -> None:
    """--cases and --candidates of generate and demo: at least ``minimum``, and few enough to fit in memory
    (``--cases 1000000000`` was killed by the system, or a numpy traceback)."""
    if cases < minimum or candidates < minimum:
        raise ConfigError(f"--cases and --candidates: expected counts >= {minimum}, got {cases} and {candidates}")
    memory = _physical_memory()
    need = (cases + candidates) * _BYTES_PER_ROW
    if memory is not None and need > memory:
        raise ConfigError(f"--cases {cases:,} and --candidates {candidates:,}: about {need / 2**30:,.0f} GiB of "
                          f"memory to generate (some 1 KB a row), more than this machine's {memory / 2**30:,.0f} "
                          "GiB; ask for fewer")


def _generate(args: argparse.Namespace) -> int:
    from reunite.synth import generate, write

    _check_counts(args.cases, args.candidates, 0)
    # a folder of real cases given by mistake must not lose them to synthetic ones
    taken = [name for name in ("cases.csv", "candidates.csv", "truth.csv") if (args.out_dir / name).exists()]
    if taken and not args.overwrite:
        raise OutputError(f"--out-dir {args.out_dir}: expected a folder without {', '.join(taken)}, which it "
                          "holds; choose another folder, or pass --overwrite to replace them")
    data = generate(args.cases, args.candidates, seed=args.seed)
    for path in write(data, args.out_dir):
        print(str(path))
    return 0


_DEMO_MARK = ".reunite-demo"  # in a folder the demo wrote


def _demo(args: argparse.Namespace) -> int:
    from reunite.evaluate import evaluate
    from reunite.pipeline import screen
    from reunite.run_config import RunConfig
    from reunite.synth import generate, write

    config = RunConfig(top_k=args.top_k, seed=args.seed)
    _check_counts(args.cases, args.candidates, 1)
    # a folder of real data given by mistake must not lose it; a folder the demo wrote is its to replace
    taken = [name for name in ("cases.csv", "candidates.csv", "truth.csv", "ranked.csv", "report.html")
             if (args.out_dir / name).exists()]
    if taken and not (args.out_dir / _DEMO_MARK).exists():
        raise OutputError(f"--out-dir {args.out_dir}: expected a new folder or one an earlier demo wrote; it holds "
                          f"{', '.join(taken)}, which the demo did not write: choose another folder")
    started = time.perf_counter()
    print(text(args.lang, "msg_generating", cases=args.cases, candidates=args.candidates, seed=args.seed))
    paths = write(generate(args.cases, args.candidates, seed=config.seed), args.out_dir)
    (args.out_dir / _DEMO_MARK).write_text("written by reunite demo: a later demo may replace this folder's files\n",
                                           encoding="utf-8")
    cases_path, candidates_path, truth_path = (Path(p) for p in paths)
    result = screen(cases_path, candidates_path, top_k=config.top_k, progress=sys.stderr.isatty())
    ranked = result.to_csv(args.out_dir / "ranked.csv")
    planned = _quarantine_paths([result.cases.report, result.candidates.report], args.out_dir, list(paths))
    _write_quarantine(planned, reveal_ids=False, lang=args.lang)
    print(result.cases.report.summary(args.lang))
    print(result.candidates.report.summary(args.lang))
    print(result.summary(args.lang))
    report = evaluate(truth_path, ranked, pairs_compared=result.pairs_compared,
                      n_candidates=len(result.candidates))
    print(report.format(args.lang))
    html = result.to_html(args.out_dir / "report.html", cases=cases_path, candidates=candidates_path, lang=args.lang)
    print(text(args.lang, "msg_ranked", path=ranked))
    print(text(args.lang, "msg_report_open", path=html))
    print(text(args.lang, "msg_done", seconds=time.perf_counter() - started))
    return 0


class _PipeSafe(io.TextIOBase):
    """Standard output that goes quiet when its reader goes away (``reunite plan ... | head``).

    The command's work (files written, the database updated) goes on; only the rest of its report
    to the terminal is dropped, as it would be by the reader anyway.
    """

    def __init__(self, stream: IO[str]) -> None:
        self._stream: IO[str] | None = stream

    def write(self, text: str) -> int:
        if self._stream is not None:
            try:
                self._stream.write(text)
            except BrokenPipeError:
                self._closed_pipe()
        return len(text)

    def flush(self) -> None:
        if self._stream is not None:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._closed_pipe()

    def _closed_pipe(self) -> None:
        stream, self._stream = self._stream, None
        try:  # what Python's docs advise: point the descriptor at devnull so exit does not fail again
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno() if stream is not None else 1)
            os.close(devnull)
        except (OSError, ValueError, io.UnsupportedOperation):
            pass

    def isatty(self) -> bool:
        return self._stream is not None and self._stream.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]  # TextIOBase declares it read-only
        return getattr(self._stream, "encoding", None) or "utf-8"

    def fileno(self) -> int:
        if self._stream is None:
            raise io.UnsupportedOperation("standard output was closed by its reader")
        return self._stream.fileno()


@contextmanager
def _pipe_safe_stdout() -> Iterator[None]:
    real = sys.stdout
    sys.stdout = _PipeSafe(real)
    try:
        yield
    finally:
        sys.stdout = real


# Characters str.splitlines() breaks on, other than "\n" (which separates the rows of a --strict listing):
# a value quoted from a file must not start a new line of its own.
_LINE_BREAKS = str.maketrans({c: repr(c)[1:-1] for c in "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"})


def _error_line(prefix: str, exc: BaseException, reveal_ids: bool, lang: Language = "en") -> str:
    """The error as printed: ``reunite CMD: error: ...`` (in ``lang``), ID-shaped numbers masked unless
    revealed."""
    if reveal_ids:  # a ReuniteError's own message has its ID numbers masked
        return error_text(lang, prefix, exc, getattr(exc, "revealed", None)).translate(_LINE_BREAKS)
    return mask_id_numbers(error_text(lang, prefix, exc).translate(_LINE_BREAKS))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; a user's mistake prints one message (exit 2), never a traceback."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:  # --help, --version, or a bad command line (already reported)
        return exit_.code if isinstance(exit_.code, int) else USER_ERROR
    handlers = {"screen": _screen, "train": _train, "evaluate": _evaluate, "demo": _demo, "generate": _generate,
                "explain": _explain, "prepare": _prepare}
    prefix = f"reunite {args.command}" + (f" {args.dna_command}" if args.command == "dna" else "")
    reveal = bool(getattr(args, "reveal_ids", False))
    lang = check_language(getattr(args, "lang", "en"))
    try:
        with _pipe_safe_stdout():
            if args.command in handlers:
                return handlers[args.command](args)
            from reunite.cli_store import run_store_command

            return run_store_command(args)
    except ReuniteError as exc:
        print(_error_line(prefix, exc, reveal, lang), file=sys.stderr)
        return USER_ERROR
    except MemoryError:  # numpy's "Unable to allocate 7.45 GiB" for `generate --cases 1000000000` was a traceback
        print(text(lang, "out_of_memory", prefix=prefix), file=sys.stderr)
        return USER_ERROR
    except KeyboardInterrupt:
        print(text(lang, "interrupted", prefix=prefix), file=sys.stderr)
        return 130


def run() -> NoReturn:
    """The ``reunite`` console script: :func:`main`, then exit.

    The objects alive at exit (the pinyin dictionaries alone are hundreds of thousands) are first
    frozen out of the cycle collector: the interpreter's collections while it shuts down took 0.6-1.5 s
    of a nightly ``reunite rescreen`` of 1-3 s. Only the process ends after this, so nothing leaks.
    """
    code = main()
    gc.freeze()
    raise SystemExit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
