"""``python -m reunite.spark`` / ``spark-submit``: ``reunite screen`` on Spark.

The options are ``reunite screen``'s; ``--cases`` and ``--candidates`` may also be Hive tables
(``db.table``) or Parquet folders, and ``--out`` a Hive table, a Parquet folder or a ``.csv`` file.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from reunite.errors import ReuniteError
from reunite.run_config import DEFAULT_FIT_MAX_PAIRS, DEFAULT_TOP_K

USER_ERROR = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(USER_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m reunite.spark",
                     description="reunite screen on Apache Spark: the same options, Hive tables or Parquet in and out.")
    parser.add_argument("--cases", required=True, help="cases: CSV/XLSX file, Hive table or Parquet folder")
    parser.add_argument("--candidates", required=True, help="candidates: Hive table (db.table) or Parquet folder")
    parser.add_argument("--top-k", type=int, default=DEFAULT_TOP_K,
                        help=f"candidates kept per case (default {DEFAULT_TOP_K})")
    parser.add_argument("--preview", action="store_true",
                        help="only count the pairs each blocking pass would compare (no --out needed)")
    parser.add_argument("--out", default=None,
                        help="ranked rows: a Hive table, a Parquet folder, or RANKED.csv (a path ending in .csv)")
    parser.add_argument("--model", type=Path, help="model JSON (default: the shipped model)")
    parser.add_argument("--reveal-ids", action="store_true",
                        help="write ID-shaped person_ids unmasked in a .csv output (the id_number column "
                             "stays masked: only masked numbers leave the cluster)")
    parser.add_argument("--birth-margin-years", type=float, default=None,
                        help="blocking window on birth dates (default 3 years)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-fit", action="store_true",
                        help="keep the model's m (by default m is learned without labels, as reunite screen does)")
    parser.add_argument("--fit-max-pairs", type=int, default=DEFAULT_FIT_MAX_PAIRS,
                        help="birth-window pairs of the cases m is learned from, at most (default "
                             f"{DEFAULT_FIT_MAX_PAIRS:,}, as reunite screen; a national screen may want more)")
    parser.add_argument("--as-fitted", action="store_true",
                        help="use the model exactly as given: no u or name frequencies fitted on the cluster")
    parser.add_argument("--model-out", type=Path, default=None, help="also write the fitted model (JSON)")
    parser.add_argument("--strict", action="store_true", help="stop on a bad case row instead of quarantining it")
    parser.add_argument("--mapping", action="append", default=None, metavar="HEADER=COLUMN|FILE.json",
                        help="map an input header to a column (repeatable), or a JSON file of such pairs")
    parser.add_argument("--master", default=None, help="Spark master when not run by spark-submit, e.g. local[4]")
    parser.add_argument("--partitions", type=int, default=None,
                        help="candidate shards (default: one per 250,000 candidates, at least the parallelism)")
    parser.add_argument("--sample-size", type=int, default=20_000, help="candidates sampled for u (seeded)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except ReuniteError as exc:
        print(f"reunite.spark: error: {exc}", file=sys.stderr)
        return USER_ERROR


def _run(args: argparse.Namespace) -> int:
    from pyspark.sql import SparkSession

    import reunite.spark as reunite_spark
    from reunite.errors import InputError
    from reunite.export import check_output, write_text
    from reunite.ingest import mapping_from_options
    from reunite.run_config import RunConfig, resolve_model

    started = time.perf_counter()
    config = RunConfig.with_birth_margin(top_k=args.top_k, seed=args.seed, birth_margin_years=args.birth_margin_years,
                                         fit_max_pairs=args.fit_max_pairs)
    if args.out is None and not args.preview:
        raise InputError("--out is required (a Hive table, a Parquet folder or RANKED.csv), or use --preview")
    if args.out is not None and args.out.lower().endswith(".csv"):
        check_output(Path(args.out), inputs=[Path(args.cases), args.model])
    if args.model_out is not None:
        check_output(args.model_out, option="--model-out", inputs=[Path(args.cases), args.model])
    builder = SparkSession.builder.appName("reunite screen")
    if args.master:
        builder = builder.master(args.master)
    spark = builder.enableHiveSupport().getOrCreate()
    mapping = mapping_from_options(args.mapping)
    prepared = reunite_spark.prepare(spark, args.candidates, partitions=args.partitions, mapping=mapping)
    print(f"candidates: {prepared.n_candidates:,} in {prepared.partitions} range partitions")
    if args.preview:
        print(reunite_spark.preview(spark, args.cases, prepared, blocking=config.blocking, mapping=mapping,
                                    strict=args.strict).format())
        return 0
    result = reunite_spark.screen(spark, args.cases, prepared, top_k=config.top_k, model=resolve_model(args.model),
                                  fit_to_data=not args.as_fitted, em=not args.no_fit, seed=config.seed,
                                  blocking=config.blocking, mapping=mapping, strict=args.strict,
                                  sample_size=args.sample_size, fit_max_pairs=config.fit_max_pairs)
    if result.fit_report is not None:
        print(result.fit_report.format())
    if args.out.lower().endswith(".csv"):
        out = str(result.to_csv(args.out, reveal_ids=args.reveal_ids))
    else:
        out = result.write(args.out)
    if args.model_out is not None:
        print(f"fitted model: {write_text(args.model_out, json.dumps(result.model.to_dict(), ensure_ascii=False))}")
    print(f"ranked candidates: {out}  ({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
