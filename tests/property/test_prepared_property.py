"""A prepared table reads back as exactly the table normalize made, whatever the cells held."""

from __future__ import annotations

import dataclasses
import datetime
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.ingest import read_table
from reunite.normalize import normalize
from reunite.normalize.stored import read_prepared, read_prepared_raw, write_prepared

TODAY = datetime.date(2026, 12, 1)
CELL = st.one_of(
    st.sampled_from(["", "王芳", "歐陽小紅", "无", "李娜（送养）", "张（章）丽（莉）", "1988-02-30", "84年",
                     "农历1990年腊月初三", "1990-05", "2099-01-01", "360302", "江西省萍乡市安源区", "河北省/邯郸市",
                     "undefined", "左耳后有痣", "11010519491231002X", "360302199005123427", "陈芳;王芳",
                     "毛毛", "NaN"]),
    st.text(alphabet=st.sampled_from(list("王李芳娜小红省市县区年月日0123456789-;（）() ")), max_size=8),
)


@st.composite
def candidates(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(0, 12))
    columns = ["name", "former_names", "birth_date", "id_number", "region", "registration_date", "marks"]
    frame = {c: [draw(CELL) for _ in range(n)] for c in columns}
    frame["person_id"] = [draw(st.sampled_from(["P1", "P2", "P3", "", f"Q{i}"])) for i in range(n)]
    frame["sex"] = [draw(st.sampled_from(["M", "F", "女", "男", "", "3"])) for _ in range(n)]
    return pd.DataFrame(frame, dtype=object)


@settings(max_examples=60, deadline=None)
@given(candidates())
def test_prepared_round_trip(frame: pd.DataFrame) -> None:
    raw = read_table(frame, "candidates", label="people.csv")
    table = normalize(raw, today=TODAY)
    with tempfile.TemporaryDirectory() as folder:
        path = write_prepared(raw, table, Path(folder) / "people.parquet", today=TODAY)
        back, text = read_prepared(path), read_prepared_raw(path)
    for field in dataclasses.fields(table):
        want = getattr(table, field.name)
        if isinstance(want, np.ndarray):
            got = getattr(back, field.name)
            assert got.dtype == want.dtype and np.array_equal(got, want, equal_nan=want.dtype.kind == "f"), field.name
    for field in dataclasses.fields(table.names):
        want, got = getattr(table.names, field.name), getattr(back.names, field.name)
        assert got.dtype == want.dtype and np.array_equal(got, want), field.name
    assert {k: v.tolist() for k, v in back.flags.items()} == {k: v.tolist() for k, v in table.flags.items()}
    assert back.report.problems == table.report.problems and back.report.summary() == table.report.summary()
    assert text.columns == raw.columns and text.rows.tolist() == raw.rows.tolist()
