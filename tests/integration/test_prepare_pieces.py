"""``reunite prepare`` piece by piece (:mod:`reunite.normalize.pieces`): the prepared file equals the one a
whole read writes -- every column's digest and dtype, the report line for line, what is read back --
however small the pieces, with repeated ids and shared resident ID numbers on both sides of a cut."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from reunite.cli import main
from reunite.normalize.pieces import prepare_in_pieces
from reunite.normalize.stored import read_prepared, read_prepared_raw
from reunite.pipeline import prepare_file, prepare_table
from reunite.synth import generate, write

from .test_prepare import assert_same_table

TODAY = datetime.date(2026, 12, 6)

# A plain file (one record a line, every record as wide as the header) with rows ingest quarantines
# (no id, a sex it cannot read, an id seen before: near the start and again far down, so the pieces
# cut between them), a sex read only row by row (男, 2), a date that cannot be, a future date, resident
# ID numbers carried by two and by three person_ids (one as its 15-digit form), quoted cells, ID numbers
# Excel wrote in scientific notation (near the start and at the end).
HEAD = """person_id,name,former_names,sex,birth_date,id_number,region,registration_date,marks
X1,王芳（送养）,陈芳;王芳,女,1988-02-30,,江西省萍乡市安源区,1995年,左耳后有痣
X2,歐陽小紅,,F,1990年5月,360302199005123424,360302,2099-01-01,
,李四,,M,1990,,,,
X3,张三,,3,1990,,,,
X1,王芳,,F,1988,,,,
X4,赵强,,2,1991,360302199005123424,"河北省,邯郸市",1992,右手有疤
X6,无,,F,84年,11010519491231002X,北京市,undefined,
X5,孙丽,,F,1992,1.10105E+17,,,
"""
TAIL = """X7,王芳,,F,1988,360302199005123424,,,
X2,李娜,,F,1989,,,,
X8,"陈,红",,F,1949-12-31,110105491231002,,,
X9,,,,,,,,
X10,周敏,,F,1990,3.60302E+17,,,
"""


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("pieces")
    write(generate(30, 1_500, seed=7), directory)
    generated = (directory / "candidates.csv").read_text(encoding="utf-8").split("\n", 1)[1]
    path = directory / "people.csv"
    path.write_text(HEAD + generated + TAIL, encoding="utf-8")
    return path


def _meta(path: Path) -> dict[str, str]:
    found = pq.read_metadata(path).metadata
    return {k.decode()[len("reunite."):]: v.decode() for k, v in found.items() if k.startswith(b"reunite.")}


@pytest.mark.parametrize("piece_bytes", [1, 700, 9_000, 1 << 30])
def test_pieces_write_the_whole_reads_file(people: Path, tmp_path: Path, piece_bytes: int) -> None:
    whole = prepare_table(people, tmp_path / "whole.parquet", today=TODAY)
    done = prepare_in_pieces(people, tmp_path / "pieces.parquet", "candidates", today=TODAY,
                             source_sha256=_meta(tmp_path / "whole.parquet")["source_sha256"],
                             piece_bytes=piece_bytes)
    assert done is not None
    report, rows = done
    assert rows == len(whole)
    want, got = _meta(tmp_path / "whole.parquet"), _meta(tmp_path / "pieces.parquet")
    assert json.loads(got.pop("digests")) == json.loads(want.pop("digests"))
    assert got == want  # dtypes, repeated columns, the report as JSON, rows, source ...
    assert [p.reveal() for p in report.problems] == [p.reveal() for p in whole.report.problems]
    assert (report.read, report.accepted, report.quarantined) == (whole.report.read, whole.report.accepted,
                                                                  whole.report.quarantined)
    assert_same_table(read_prepared(tmp_path / "pieces.parquet"), read_prepared(tmp_path / "whole.parquet"))
    raw_got, raw_want = read_prepared_raw(tmp_path / "pieces.parquet"), read_prepared_raw(tmp_path / "whole.parquet")
    assert raw_got.columns == raw_want.columns and raw_got.rows.tolist() == raw_want.rows.tolist()
    if piece_bytes == 700:  # pieces of a few rows: Parquet holds many row groups, read back as one table
        assert pq.ParquetFile(tmp_path / "pieces.parquet").num_row_groups > 10


def test_the_file_holds_what_the_cuts_must_carry(people: Path, tmp_path: Path) -> None:
    report = prepare_table(people, tmp_path / "whole.parquet", today=TODAY).report
    reasons = [p.reveal() for p in report.problems]
    assert any("duplicate id, first seen at row 2" in r and r.startswith(f"column 'person_id' in people.csv row {n}")
               for r in reasons for n in (6, report.read))
    shared = [r for r in reasons if "same resident ID number as person_id 'X2'" in r]
    assert len(shared) == 2  # X4 near the start, X7 at the end
    assert any("same resident ID number as person_id 'X6'" in r for r in reasons)  # the 15-digit form
    excel = [p for p in report.problems if p.reason.startswith("ID number mangled by Excel")]
    assert [(p.value, p.fatal) for p in excel] == [("1.10105E+17", False), ("3.60302E+17", False)]  # kept, said


def test_a_file_that_is_not_plain_is_prepared_whole(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("person_id,name,sex,birth_date\nP1,王芳,F,1988\nP2,李娜,F,1989,extra\n\nP3,\"陈\n红\",F,1990\n",
                    encoding="utf-8")
    assert prepare_in_pieces(path, tmp_path / "pieces.parquet", "candidates", today=TODAY, piece_bytes=10) is None
    report, rows = prepare_file(path, tmp_path / "file.parquet", today=TODAY, piece_bytes=10)
    whole = prepare_table(path, tmp_path / "whole.parquet", today=TODAY)
    assert (rows, [p.reveal() for p in report.problems]) == (len(whole), [p.reveal() for p in whole.report.problems])
    assert json.loads(_meta(tmp_path / "file.parquet")["digests"]) == json.loads(
        _meta(tmp_path / "whole.parquet")["digests"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.parquet", "odd.csv", "whole.parquet"]  # nothing left


def test_a_gb18030_file_is_prepared_whole(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes("person_id,name,sex,birth_date\nP1,王芳,F,1988\nP2,李娜,F,1989\n".encode("gb18030"))
    report, rows = prepare_file(path, tmp_path / "file.parquet", today=TODAY, piece_bytes=10)
    assert (rows, report.encoding) == (2, "gb18030")


def test_the_command_prepares_in_pieces_and_screens_alike(people: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    cases = people.parent / "cases.csv"
    assert main(["prepare", "--candidates", str(people), "--out", str(tmp_path / "people.parquet")]) == 0
    said = capsys.readouterr().out
    assert "quarantined 4" in said and "people.quarantine.csv" in said
    whole = prepare_table(people, tmp_path / "whole.parquet")
    assert "(1512 records" in said.replace(",", "") or str(len(whole)) in said
    for candidates, out in ((tmp_path / "people.parquet", "a.csv"), (tmp_path / "whole.parquet", "b.csv")):
        assert main(["screen", "--cases", str(cases), "--candidates", str(candidates), "--out",
                     str(tmp_path / out), "--seed", "1"]) == 0
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_a_compact_read_holds_the_same_values(people: Path, tmp_path: Path) -> None:
    import dataclasses

    import numpy as np

    prepare_table(people, tmp_path / "whole.parquet", today=TODAY)
    exact = read_prepared(tmp_path / "whole.parquet")
    compact = read_prepared(tmp_path / "whole.parquet", compact=True)
    # less memory than <U / one str a row
    assert compact.ids.dtype.kind == "T" and compact.names.given.dtype.kind == "O"
    for table_a, table_b in ((compact, exact), (compact.names, exact.names)):
        for field in dataclasses.fields(table_b):
            a, b = getattr(table_a, field.name), getattr(table_b, field.name)
            if isinstance(b, np.ndarray):
                if b.dtype.kind in "OU":
                    assert a.tolist() == b.tolist(), field.name
                else:
                    assert a.dtype == b.dtype and np.array_equal(a, b, equal_nan=b.dtype.kind == "f"), field.name
    assert {k: v.tolist() for k, v in compact.flags.items()} == {k: v.tolist() for k, v in exact.flags.items()}
