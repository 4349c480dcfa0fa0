"""Peak memory of what ``reunite.spark.prepare`` runs per partition (``key_rows``) on one input split.

Usage (from the repository root)::

    python benchmarks/bench_key_rows.py --parquet /tmp/spark10m/big/candidates.parquet --rows 2500000 \\
        --chunk-rows 2500000      # one chunk: the whole split, as before 250,000-row chunks
    python benchmarks/bench_key_rows.py --parquet /tmp/spark10m/big/candidates.parquet --rows 2500000

The first ``--rows`` candidates of the Parquet file are handed to ``key_rows`` as Spark's
``mapInPandas`` hands a partition to a Python worker: pandas batches of 10,000 rows made one at a
time from Arrow. The keyed output is counted and dropped (Spark streams it to the JVM). Prints the
wall time, CPU time and the process's peak RSS (``getrusage``) as JSON.
"""

from __future__ import annotations

import argparse
import datetime
import json
import resource
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from reunite.ingest.table import CANDIDATE_COLUMNS
from reunite.spark.partitions import KEY_CHUNK_ROWS, key_rows

BATCH = 10_000  # spark.sql.execution.arrow.maxRecordsPerBatch's default


def _batches(path: Path, rows: int) -> Iterator[pd.DataFrame]:
    """The first ``rows`` candidates of ``path``, BATCH rows at a time."""
    left = rows
    for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH, columns=list(CANDIDATE_COLUMNS)):
        if left <= 0:
            return
        frame = batch.to_pandas()
        yield frame.iloc[:left]
        left -= len(frame)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--parquet", type=Path, required=True, help="candidates as a Parquet file of text columns")
    parser.add_argument("--rows", type=int, default=2_500_000, help="candidates in the split")
    parser.add_argument("--chunk-rows", type=int, default=KEY_CHUNK_ROWS)
    args = parser.parse_args(argv)
    started, cpu = time.perf_counter(), time.process_time()
    keyed = counts = 0
    for frame in key_rows(_batches(args.parquet, args.rows), None, datetime.date.today(), chunk_rows=args.chunk_rows):
        kind = frame["_kind"].to_numpy()
        keyed, counts = keyed + int((kind == 0).sum()), counts + int((kind == 1).sum())
    print(json.dumps({"rows": args.rows, "chunk_rows": args.chunk_rows, "keyed_rows": keyed, "count_rows": counts,
                      "wall_s": time.perf_counter() - started, "cpu_s": time.process_time() - cpu,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
