"""What ``reunite.spark.prepare`` runs per partition (``key_rows``) holds a bounded chunk of rows, not
its whole input split, and gives the same rows and name counts as one read of the whole partition."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pandas as pd

from reunite.spark.partitions import key_rows
from reunite.synth import generate

TODAY = datetime.date(2026, 12, 6)


def _candidates() -> pd.DataFrame:
    return pd.DataFrame(generate(5, 700, seed=3).candidates).astype(str)


def _batches(frame: pd.DataFrame, size: int, taken: list[int]) -> Iterator[pd.DataFrame]:
    """Arrow-sized batches of ``frame``, counting in ``taken`` how many were read."""
    for start in range(0, len(frame), size):
        taken.append(start)
        yield frame.iloc[start:start + size]


def _counts(keyed: pd.DataFrame) -> dict[str, int]:
    names = keyed[keyed["_kind"] == 1]
    return {str(k): int(v) for k, v in names.groupby("_key")["_count"].sum().items()}


def test_a_partition_is_keyed_chunk_by_chunk_without_reading_it_whole() -> None:
    frame = _candidates()
    taken: list[int] = []
    keyed = key_rows(_batches(frame, 70, taken), None, TODAY, chunk_rows=300)
    first = next(keyed)
    assert first["_kind"].eq(0).all() and len(first) == 300
    assert len(taken) == 5  # 300 rows are 5 batches of 70: the other 5 batches are not read yet
    list(keyed)
    assert len(taken) == 10


def test_chunks_give_the_rows_and_name_counts_of_the_whole_partition() -> None:
    frame = _candidates()
    whole = pd.concat(list(key_rows([frame], None, TODAY, chunk_rows=len(frame))), ignore_index=True)
    for chunk_rows, batch in ((1, 700), (300, 70), (333, 1000), (699, 50)):
        chunked = pd.concat(list(key_rows(_batches(frame, batch, []), None, TODAY, chunk_rows=chunk_rows)),
                            ignore_index=True)
        rows = chunked[chunked["_kind"] == 0].reset_index(drop=True)
        assert rows.equals(whole[whole["_kind"] == 0].reset_index(drop=True)), chunk_rows
        assert _counts(chunked) == _counts(whole), chunk_rows
