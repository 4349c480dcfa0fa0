"""``reunite prepare``: a table prepared once screens exactly as its CSV does, and a file this code
would not have written alike is refused in one line."""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import reunite
from reunite.cli import main
from reunite.ingest import read_table
from reunite.normalize import RecordTable, normalize
from reunite.normalize.stored import read_prepared, read_prepared_info, read_prepared_raw, write_prepared
from reunite.pipeline import prepare_table
from reunite.synth import generate, write

# rows ingest quarantines (no id, bad sex, repeated id, a cell too many) and rows normalize flags
# (a date that cannot be, a future date, one resident ID under two person_ids, names in tags, traditional
# characters, former names)
DIRTY = """person_id,name,former_names,sex,birth_date,id_number,region,registration_date,marks
X1,王芳（送养）,陈芳;王芳,女,1988-02-30,,江西省萍乡市安源区,1995年,左耳后有痣
X2,歐陽小紅,,F,1990年5月,360302199005123427,360302,2099-01-01,
,李四,,M,1990,,,,
X3,张三,,3,1990,,,,
X1,王芳,,F,1988,,,,
X4,赵强,,M,1991,360302199005123427,河北省/邯郸市,1992,右手有疤
X5,刘伟,,M,1991,1,2,3,4,5
X6,无,,F,84年,11010519491231002X,北京市,undefined,
"""


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("prepare")
    write(generate(40, 2_500, seed=5), directory)
    generated = (directory / "candidates.csv").read_text(encoding="utf-8")
    (directory / "people.csv").write_text(DIRTY + generated.split("\n", 1)[1], encoding="utf-8")
    return directory


def assert_same_table(got: RecordTable, want: RecordTable) -> None:
    """Every field, name, flag and report line alike, dtypes included."""
    for field in dataclasses.fields(want):
        a, b = getattr(got, field.name), getattr(want, field.name)
        if isinstance(b, np.ndarray):
            assert a.dtype == b.dtype, field.name
            assert np.array_equal(a, b, equal_nan=b.dtype.kind == "f"), field.name
    for field in dataclasses.fields(want.names):
        a, b = getattr(got.names, field.name), getattr(want.names, field.name)
        assert a.dtype == b.dtype and np.array_equal(a, b), f"names.{field.name}"
    assert sorted(got.flags) == sorted(want.flags)
    for name, flag in want.flags.items():
        assert np.array_equal(got.flags[name], flag), name
    assert got.side == want.side
    assert got.report.problems == want.report.problems
    assert got.report.summary() == want.report.summary()
    assert got.report.quarantined_rows == want.report.quarantined_rows


def test_a_prepared_table_reads_back_as_normalize_made_it(data: Path, tmp_path: Path) -> None:
    today = datetime.date(2026, 12, 1)
    raw = read_table(data / "people.csv", "candidates")
    table = normalize(raw, today=today)
    assert table.report.quarantined == 4 and table.report.flagged >= 2  # the dirty rows are in it
    path = write_prepared(raw, table, tmp_path / "people.parquet", today=today, source_sha256="ab")
    assert_same_table(read_prepared(path), table)
    back = read_prepared_raw(path)
    assert back.columns == raw.columns and np.array_equal(back.rows, raw.rows)
    info = read_prepared_info(path)
    assert (info.today, info.source, info.source_sha256, info.rows) == (today, "people.csv", "ab", len(table))


def test_an_empty_table_round_trips(tmp_path: Path) -> None:
    raw = read_table(pd.DataFrame({"person_id": ["p"], "sex": ["3"], "birth_date": ["1990"]}), "candidates")
    table = normalize(raw, today=datetime.date(2026, 12, 1))
    path = write_prepared(raw, table, tmp_path / "empty.parquet", today=datetime.date(2026, 12, 1))
    assert len(table) == 0
    assert_same_table(read_prepared(path), table)


def _screen_cli(data: Path, candidates: Path, out: Path, *extra: str) -> str:
    assert main(["screen", "--cases", str(data / "cases.csv"), "--candidates", str(candidates), "--top-k", "5",
                 "--out", str(out), "--seed", "2", *extra]) == 0
    return out.read_text(encoding="utf-8-sig")


def test_prepared_screen_gives_the_csv_screens_ranked_csv_byte_for_byte(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from_csv, from_prepared = tmp_path / "csv", tmp_path / "prepared"
    from_csv.mkdir()
    from_prepared.mkdir()
    people = from_prepared / "people.parquet"
    assert main(["prepare", "--candidates", str(data / "people.csv"), "--out", str(people)]) == 0
    printed = capsys.readouterr().out
    assert "people.csv: read 2508, accepted 2504, quarantined 4" in printed
    assert (from_prepared / "people.quarantine.csv").is_file()
    prepared_quarantine = (from_prepared / "people.quarantine.csv").read_bytes()

    _screen_cli(data, data / "people.csv", from_csv / "ranked.csv", "--report", str(from_csv / "report.html"))
    csv_lines = capsys.readouterr().out.splitlines()
    _screen_cli(data, people, from_prepared / "ranked.csv", "--report", str(from_prepared / "report.html"))
    prepared_lines = capsys.readouterr().out.splitlines()

    assert (from_prepared / "ranked.csv").read_bytes() == (from_csv / "ranked.csv").read_bytes()
    # the same accounting: read = accepted + quarantined, and the same quarantine file
    def shown(lines: list[str]) -> list[str]:  # the same lines but for the folder and the seconds taken
        return [line.replace(str(from_prepared), str(from_csv)) for line in lines if "ranked candidates" not in line]

    assert shown(prepared_lines) == shown(csv_lines)
    assert "people.csv: read 2508, accepted 2504, quarantined 4" in "\n".join(prepared_lines)
    assert (from_csv / "people.quarantine.csv").read_bytes() == prepared_quarantine
    assert (from_prepared / "people.quarantine.csv").read_bytes() == prepared_quarantine
    # the report shows the records' text as written (the prepared table keeps it)
    def page(path: Path) -> str:  # but for the charts' random element ids and the minute it was made
        text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "ID",
                      path.read_text(encoding="utf-8"))
        return re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", "TIME", text)

    # X1's name cell as written, tag included (normalizing drops the tag), whenever X1 is ranked
    assert "王芳（送养）" in page(from_csv / "report.html") or "X1" not in (from_csv / "ranked.csv").read_text()
    assert page(from_prepared / "report.html") == page(from_csv / "report.html")


def test_python_screen_takes_the_prepared_file(data: Path, tmp_path: Path) -> None:
    people = tmp_path / "people.parquet"
    table = prepare_table(data / "people.csv", people)
    assert table.report.quarantined == 4
    want = reunite.screen(data / "cases.csv", data / "people.csv", top_k=5, seed=1).to_pandas()
    got = reunite.screen(data / "cases.csv", str(people), top_k=5, seed=1).to_pandas()
    pd.testing.assert_frame_equal(got, want)


def _rewrite(path: Path, out: Path, *, meta: dict[str, str] | None = None,
             column: str | None = None, values: pa.Array | None = None) -> Path:
    """The prepared file with its metadata changed or one column replaced, rewritten by pyarrow."""
    frame = pq.read_table(path)
    # reunite's metadata is the file's key-value metadata (written when a piecewise prepare closes the file)
    found = {k: v for k, v in pq.read_metadata(path).metadata.items() if k.startswith(b"reunite.")}
    if meta is not None:
        found.update({f"reunite.{k}".encode(): v.encode() for k, v in meta.items()})
    if column is not None:
        frame = frame.set_column(frame.column_names.index(column), column, values)
    pq.write_table(frame.replace_schema_metadata(found), out)
    return out


@pytest.fixture(scope="module")
def prepared(data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("prepared") / "people.parquet"
    prepare_table(data / "people.csv", path)
    return path


def _refused(data: Path, candidates: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    code = main(["screen", "--cases", str(data / "cases.csv"), "--candidates", str(candidates),
                 "--out", str(tmp_path / "ranked.csv")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "ranked.csv").exists()
    return err


def test_a_table_from_another_version_or_format_is_refused(
    data: Path, prepared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    older = _rewrite(prepared, tmp_path / "older.parquet", meta={"version": "0.0.9"})
    assert "prepared by reunite 0.0.9, this is reunite" in _refused(data, older, tmp_path, capsys)
    other = _rewrite(prepared, tmp_path / "format.parquet", meta={"format": "99"})
    assert "format 99" in _refused(data, other, tmp_path, capsys)
    code = _rewrite(prepared, tmp_path / "code.parquet", meta={"normalizer": "0123456789abcdef"})
    assert "other normalizing code" in _refused(data, code, tmp_path, capsys)
    with pytest.raises(reunite.InputError, match=r"prepared by reunite 0\.0\.9"):
        reunite.screen(data / "cases.csv", older)


def test_a_changed_column_or_a_foreign_parquet_is_refused(
    data: Path, prepared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    births = pq.read_table(prepared).column("birth_lo").to_numpy().copy()
    births[7] += 1
    changed = _rewrite(prepared, tmp_path / "changed.parquet", column="birth_lo", values=pa.array(births))
    assert "column 'birth_lo' was changed" in _refused(data, changed, tmp_path, capsys)
    names = pq.read_table(prepared).column("names.given").to_pylist()
    names[3] = [*names[3][:-1], "改"] if names[3] else ["改"]
    renamed = _rewrite(prepared, tmp_path / "renamed.parquet", column="names.given", values=pa.array(names))
    assert "names.given" in _refused(data, renamed, tmp_path, capsys)
    foreign = tmp_path / "foreign.parquet"
    pd.read_csv(data / "candidates.csv", dtype=str).to_parquet(foreign)
    assert "not written by reunite prepare" in _refused(data, foreign, tmp_path, capsys)
    not_parquet = tmp_path / "text.parquet"
    not_parquet.write_text("person_id,sex\n", encoding="utf-8")
    assert "not a Parquet file" in _refused(data, not_parquet, tmp_path, capsys)
    assert "no such file" in _refused(data, tmp_path / "missing.parquet", tmp_path, capsys)


def test_prepare_mistakes_are_one_line(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = [
        (["--candidates", str(data / "people.csv"), "--out", str(tmp_path / "people.csv.out")], ".parquet"),
        (["--candidates", str(tmp_path / "none.csv"), "--out", str(tmp_path / "p.parquet")], "no such file"),
        (["--candidates", str(data / "people.csv"), "--out", str(tmp_path / "no" / "p.parquet")], "existing folder"),
        (["--candidates", str(tmp_path / "p.parquet"), "--out", str(tmp_path / "q.parquet")], "a Parquet file ("),
    ]
    for argv, expected in cases:
        assert main(["prepare", *argv]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and expected in err, err
    # a prepared table of the cases is not taken as candidates
    cases_table = tmp_path / "cases.parquet"
    raw = read_table(data / "cases.csv", "cases")
    write_prepared(raw, normalize(raw), cases_table, today=datetime.date.today())
    err = _refused(data, cases_table, tmp_path, capsys)
    assert "a prepared table of cases, expected candidates" in err


def test_strict_refuses_a_table_prepared_with_quarantined_rows(data: Path, prepared: Path) -> None:
    with pytest.raises(reunite.InputError, match="strict mode, quarantined when prepared"):
        reunite.load_side(prepared, "candidates", strict=True)


def test_rescreen_takes_the_prepared_table(data: Path, prepared: Path, tmp_path: Path) -> None:
    stored = {}
    for name, candidates in (("csv", data / "people.csv"), ("prepared", prepared)):
        url = f"sqlite:///{tmp_path / (name + '.db')}"
        report = reunite.rescreen(url, cases=data / "cases.csv", candidates=candidates, top_k=5)
        assert report.ingest[-1].read == 2508 and report.ingest[-1].quarantined == 4
        out = tmp_path / f"{name}.csv"
        assert main(["export", "--db", url, "--out", str(out)]) == 0
        stored[name] = out.read_bytes()
    assert stored["prepared"] == stored["csv"]


def test_the_metadata_names_the_input_and_the_code(data: Path, prepared: Path) -> None:
    import hashlib

    meta = {k.decode(): v.decode() for k, v in pq.read_metadata(prepared).metadata.items()}
    assert meta["reunite.version"] == reunite.__version__ and meta["reunite.format"] == "1"
    assert meta["reunite.source_sha256"] == hashlib.sha256((data / "people.csv").read_bytes()).hexdigest()
    counts = json.loads(meta["reunite.report"])
    assert counts["read"] == 2508 and sum(p[-1] for p in counts["problems"]) == 4
