"""The ``reunite`` command line: the one place that joins files, database and stages."""

from __future__ import annotations

import argparse
import csv
import io
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from reunite import __version__
from reunite.errors import OutputError, ReuniteError
from reunite.ingest import IngestReport

__all__ = ["main"]


def _add_input_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--strict", action="store_true",
                        help="stop with one error listing every bad row instead of quarantining rows")
    parser.add_argument("--quarantine-dir", type=Path, default=None,
                        help="where the quarantine CSVs go (default: beside --out)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reunite",
        description="Rank candidate persons for cold missing-child cases, so the true child is "
                    "among the first sampled for DNA.",
    )
    parser.add_argument("--version", action="version", version=f"reunite {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    screen = commands.add_parser("screen", help="rank candidates for every case and write RANKED.csv")
    screen.add_argument("--cases", required=True, type=Path, help="cases CSV or XLSX")
    screen.add_argument("--candidates", required=True, type=Path, help="candidates CSV or XLSX")
    screen.add_argument("--top-k", type=int, default=10, help="candidates kept per case (default 10)")
    screen.add_argument("--out", type=Path, help="ranked CSV to write (required unless --preview)")
    screen.add_argument("--model", type=Path, help="model JSON (default: the shipped model)")
    screen.add_argument("--preview", action="store_true", help="only count the pairs to compare")
    screen.add_argument("--reveal-ids", action="store_true", help="write ID numbers unmasked")
    screen.add_argument("--birth-margin-years", type=float, default=None,
                        help="blocking window on birth dates (default 3 years)")
    screen.add_argument("--seed", type=int, default=0)
    _add_input_options(screen)

    train = commands.add_parser("train", help="fit a model to your own data and write it as JSON")
    train.add_argument("--cases", required=True, type=Path)
    train.add_argument("--candidates", required=True, type=Path)
    train.add_argument("--confirmed", type=Path,
                       help="CSV of DNA-confirmed pairs (case_id, person_id): m is taken from them")
    train.add_argument("--em", action="store_true", help="also run EM on every blocked pair (u fixed)")
    train.add_argument("--out", required=True, type=Path, help="model JSON to write")
    train.add_argument("--seed", type=int, default=0)

    evaluate = commands.add_parser("evaluate", help="score a ranked CSV against a truth CSV")
    evaluate.add_argument("--truth", required=True, type=Path)
    evaluate.add_argument("--ranked", required=True, type=Path)

    demo = commands.add_parser("demo", help="generate demo data, screen it, evaluate it")
    demo.add_argument("--out-dir", type=Path, default=Path("reunite-demo"))
    demo.add_argument("--cases", type=int, default=300)
    demo.add_argument("--candidates", type=int, default=30_000)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--top-k", type=int, default=10)

    generate = commands.add_parser("generate", help="write a synthetic data set (cases, candidates, truth)")
    generate.add_argument("--out-dir", type=Path, required=True)
    generate.add_argument("--cases", type=int, default=300)
    generate.add_argument("--candidates", type=int, default=30_000)
    generate.add_argument("--seed", type=int, default=0)

    from reunite.cli_store import add_store_commands

    add_store_commands(commands)
    return parser


def _write_quarantine(reports: Sequence[IngestReport], directory: Path) -> list[Path]:
    """``<file>.quarantine.csv`` per input with problems (``<file>.<n>.quarantine.csv`` on a clash)."""
    written: list[Path] = []
    for report in reports:
        if report.problems:
            directory.mkdir(parents=True, exist_ok=True)
            path = directory / f"{Path(report.source).stem}.quarantine.csv"
            if path in written:
                path = directory / f"{Path(report.source).stem}.{len(written) + 1}.quarantine.csv"
            written.append(report.write_quarantine(path))
    return written


def _screen(args: argparse.Namespace) -> int:
    from reunite.matching.model import FellegiSunter
    from reunite.matching.spec import BlockingSpec
    from reunite.pipeline import load_side, screen, screen_preview

    started = time.perf_counter()
    if args.out is not None and not args.out.resolve().parent.is_dir():
        # say so before a long screen, not after it
        raise OutputError(f"--out {args.out}: the folder {args.out.resolve().parent} does not exist")
    blocking = BlockingSpec() if args.birth_margin_years is None else BlockingSpec(
        birth_margin_days=round(args.birth_margin_years * 365.25)
    )
    cases = load_side(args.cases, "cases", strict=args.strict)
    candidates = load_side(args.candidates, "candidates", strict=args.strict)
    print(cases.report.summary())
    print(candidates.report.summary())
    if args.preview:
        print(screen_preview(cases, candidates, blocking=blocking).format())
        return 0
    if args.out is None:
        raise SystemExit("reunite screen: --out RANKED.csv is required (or use --preview)")
    model = FellegiSunter.load(args.model) if args.model else None
    result = screen(cases, candidates, top_k=args.top_k, model=model, blocking=blocking,
                    seed=args.seed, progress=sys.stderr.isatty())
    out = result.to_csv(args.out, reveal_ids=args.reveal_ids)
    quarantine = _write_quarantine([cases.report, candidates.report],
                                   args.quarantine_dir or out.parent)
    print(result.summary())
    for path in quarantine:
        print(f"quarantined rows: {path}")
    print(f"ranked candidates: {out}  ({time.perf_counter() - started:.1f} s)")
    return 0


def _read_pairs(path: Path) -> list[tuple[str, str]]:
    """(case_id, person_id) pairs from a small CSV in any encoding reunite reads."""
    from reunite.errors import InputError, MissingColumnsError
    from reunite.ingest import decode_text

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror})") from exc
    text, _ = decode_text(data, source=str(path))
    reader = csv.DictReader(io.StringIO(text))
    missing = {"case_id", "person_id"} - set(reader.fieldnames or ())
    if missing:
        raise MissingColumnsError(
            f"{path}: missing column(s) {', '.join(sorted(missing))}; found {', '.join(reader.fieldnames or ())}"
        )
    return [(row["case_id"].strip(), row["person_id"].strip()) for row in reader]


def _train(args: argparse.Namespace) -> int:
    from reunite.pipeline import train

    confirmed = _read_pairs(args.confirmed) if args.confirmed else []
    model = train(args.cases, args.candidates, confirmed=confirmed, em=args.em, seed=args.seed,
                  progress=sys.stderr.isatty())
    model.save(args.out)
    for name, weights in zip(model.spec.comparisons, model.weights_, strict=True):
        print(f"{name:<13}" + " ".join(f"{w:+6.2f}" for w in weights))
    print(f"model {model.version}: {args.out}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from reunite.evaluate import evaluate

    print(evaluate(args.truth, args.ranked).format())
    return 0


def _generate(args: argparse.Namespace) -> int:
    from reunite.synth import generate, write

    data = generate(args.cases, args.candidates, seed=args.seed)
    for path in write(data, args.out_dir):
        print(path)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from reunite.evaluate import evaluate
    from reunite.pipeline import screen
    from reunite.synth import generate, write

    started = time.perf_counter()
    print(f"generating {args.cases} cases and {args.candidates} candidates (seed {args.seed}) ...")
    paths = write(generate(args.cases, args.candidates, seed=args.seed), args.out_dir)
    cases_path, candidates_path, truth_path = (Path(p) for p in paths)
    result = screen(cases_path, candidates_path, top_k=args.top_k, progress=sys.stderr.isatty())
    ranked = result.to_csv(args.out_dir / "ranked.csv")
    _write_quarantine([result.cases.report, result.candidates.report], args.out_dir)
    print(result.cases.report.summary())
    print(result.candidates.report.summary())
    print(result.summary())
    report = evaluate(truth_path, ranked, pairs_compared=result.pairs_compared,
                      n_candidates=len(result.candidates))
    print(report.format())
    print(f"ranked candidates: {ranked}")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; a user's mistake prints one message, never a traceback."""
    args = _parser().parse_args(argv)
    handlers = {"screen": _screen, "train": _train, "evaluate": _evaluate, "demo": _demo, "generate": _generate}
    try:
        if args.command in handlers:
            return handlers[args.command](args)
        from reunite.cli_store import run_store_command

        return run_store_command(args)
    except ReuniteError as exc:
        print(f"reunite {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"reunite {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
