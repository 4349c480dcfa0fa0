"""``reunite prepare --update``: updating yesterday's prepared table from tonight's extract writes the
table a fresh prepare of tonight's extract writes, whatever the two extracts hold and whichever day
each was read on."""

from __future__ import annotations

import datetime
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.pipeline import prepare_file, update_prepared

TONIGHT = datetime.date(2026, 12, 7)
# days yesterday's table may have been prepared on: the day before, long before (two-digit years and
# dates near the day read otherwise), the same day, and a later one
DAYS = [TONIGHT - datetime.timedelta(days=1), datetime.date(2025, 1, 1), TONIGHT, datetime.date(2027, 3, 1)]
CELL = st.one_of(
    st.sampled_from(["", "王芳", "歐陽小紅", "无", "李娜（送养）", "张（章）丽（莉）", "1988-02-30", "26年", "84年",
                     "农历1990年腊月初三", "2026-12", "2026-12-07", "2099-01-01", "360302", "江西省萍乡市安源区",
                     "河北省/邯郸市", "undefined", "左耳后有痣", "11010519491231002X", "360302199005123427",
                     "110105202612060014", "陈芳;王芳", "王芳;王芳;李娜;张三;李四;赵六;钱七;孙八;周九", "毛毛"]),
    st.text(alphabet=st.sampled_from(list("王李芳娜小红省市县区年月日0123456789-;（）() ")), max_size=8),
)
COLUMNS = ["name", "former_names", "sex", "birth_date", "id_number", "region", "registration_date", "marks"]


@st.composite
def row(draw: st.DrawFn) -> dict[str, str]:
    found = {c: draw(CELL) for c in COLUMNS}
    found["sex"] = draw(st.sampled_from(["M", "F", "女", "", "3"]))  # "3" is quarantined
    found["person_id"] = draw(st.sampled_from(["P1", "P2", "P3", "P4", "P5", "P6", "", "Q1"]))  # repeats, none
    return found


@st.composite
def nights(draw: st.DrawFn) -> tuple[list[dict[str, str]], list[dict[str, str]], datetime.date, int, int]:
    """Yesterday's extract, tonight's (yesterday's rows kept, changed in a cell, dropped, moved, and new
    rows), the day yesterday's was read on, and the pieces each is read in (bytes: one row a piece, a
    few, or the whole file)."""
    yesterday = draw(st.lists(row(), min_size=1, max_size=10))
    tonight: list[dict[str, str]] = []
    for old in yesterday:
        what = draw(st.sampled_from(["keep", "keep", "change", "drop", "renamed"]))
        if what == "keep":
            tonight.append(dict(old))
        elif what == "change":
            tonight.append({**old, draw(st.sampled_from(COLUMNS)): draw(CELL)})
        elif what == "renamed":  # the same cells under another person_id
            tonight.append({**old, "person_id": draw(st.sampled_from(["P7", "P8", "R1"]))})
    tonight += draw(st.lists(row(), max_size=4))
    order = draw(st.permutations(range(len(tonight))))
    pieces = st.sampled_from([1, 200, 1 << 30])
    return yesterday, [tonight[i] for i in order], draw(st.sampled_from(DAYS)), draw(pieces), draw(pieces)


def _write(rows: list[dict[str, str]], path: Path) -> Path:
    pd.DataFrame(rows, columns=["person_id", *COLUMNS], dtype=object).to_csv(path, index=False)
    return path


def _content(path: Path) -> tuple[dict[bytes, bytes], dict[str, object]]:
    """The file's reunite metadata (the report, the dtypes, a digest per column...) and its columns as
    Python values (floats by their bits: a NaN equals itself), whatever its row groups."""
    meta = pq.read_metadata(path).metadata
    table = pq.read_table(path)
    columns: dict[str, object] = {}
    for name in table.column_names:
        column = table.column(name)
        if pa.types.is_floating(column.type):
            columns[name] = column.to_numpy().view(np.uint32).tolist()
        else:
            columns[name] = (str(column.type), column.to_pylist())
    return {k: v for k, v in meta.items() if k.startswith(b"reunite.")}, columns


@settings(max_examples=80, deadline=None)
@given(nights())
def test_an_update_writes_what_a_fresh_prepare_writes(night: tuple[list[dict[str, str]], list[dict[str, str]],
                                                                    datetime.date, int, int]) -> None:
    yesterday, tonight, day, old_piece, new_piece = night
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        source = _write(yesterday, folder / "yesterday.csv")
        extract = _write(tonight, folder / "tonight.csv")
        people, fresh = folder / "people.parquet", folder / "fresh.parquet"
        try:
            prepare_file(source, people, today=day, piece_bytes=old_piece)
        except ValueError:  # nothing accepted yesterday (an InputError): nothing to update from
            return
        try:
            prepare_file(extract, fresh, today=TONIGHT)
        except ValueError as error:  # nothing accepted tonight: the update says so alike, and writes nothing
            before = people.read_bytes()
            try:
                update_prepared(extract, people, people, today=TONIGHT, piece_bytes=new_piece)
            except ValueError as again:
                assert str(again) == str(error)
            else:
                raise AssertionError("the update wrote a table a fresh prepare refuses") from None
            assert people.read_bytes() == before
            return
        done = update_prepared(extract, people, people, today=TONIGHT, piece_bytes=new_piece)
        assert done.reused is not None and done.not_used == ""
        meta, table = _content(people)
        want_meta, want_table = _content(fresh)
        assert meta == want_meta
        assert list(table) == list(want_table) and table == want_table
        assert done.report.read == done.report.accepted + done.report.quarantined == len(tonight)
