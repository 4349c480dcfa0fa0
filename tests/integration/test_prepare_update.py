"""``reunite prepare --update``: the nightly extract updates yesterday's prepared table into the one a
fresh prepare writes, piece by piece as a whole; a table this code would not read is not used (every
row prepared anew, one line says why); a failed night leaves yesterday's table as it was."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from reunite.cli import main
from reunite.normalize import stored
from reunite.pipeline import prepare_file, update_prepared
from reunite.synth import generate, write

DIRTY = """person_id,name,former_names,sex,birth_date,id_number,region,registration_date,marks
X1,王芳（送养）,陈芳;王芳,女,1988-02-30,,江西省萍乡市安源区,1995年,左耳后有痣
X2,歐陽小紅,,F,1990年5月,360302199005123427,360302,2099-01-01,
,李四,,M,1990,,,,
X3,张三,,3,1990,,,,
X1,王芳,,F,1988,,,,
X4,赵强,,M,1991,360302199005123427,河北省/邯郸市,1992,右手有疤
X6,无,,F,84年,11010519491231002X,北京市,2026-12,
"""
# far down tonight's file, in its last piece: a repeated id (quarantined, naming row 2), the ID number
# X2 carries near the start (flagged), a new person with names and a place yesterday's table never held
TAIL = """X1,王芳,,F,1988,,,,
X7,王芳,,F,1988,360302199005123427,江西省萍乡市安源区,,
X8,欧阳娜娜,毛毛,F,1989年腊月,,江西省萍乡市安源区后埠街,,
"""


TONIGHT, YESTERDAY = datetime.date(2026, 12, 7), datetime.date(2026, 12, 6)


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Yesterday's extract and tonight's: 2% of the rows changed (names, places, dates), 1% gone, 1%
    new, the rows in another order, the dirty rows (quarantined and flagged) in both, and more at the
    end of tonight's."""
    folder = tmp_path_factory.mktemp("nights")
    write(generate(20, 3_000, seed=11), folder / "gen")
    frame = pd.read_csv(folder / "gen" / "candidates.csv", dtype=str, keep_default_na=False)
    dirty = DIRTY + frame.to_csv(index=False, lineterminator="\n").split("\n", 1)[1]
    (folder / "yesterday.csv").write_text(dirty, encoding="utf-8")
    rng = np.random.default_rng(3)
    edited = rng.choice(len(frame), 60, replace=False)
    frame.loc[edited[:20], "name"] = frame.loc[edited[:20], "name"] + "儿"
    frame.loc[edited[20:40], "region"] = "江西省萍乡市安源区后埠街"
    frame.loc[edited[40:], "birth_date"] = "1990年5月"
    new = pd.DataFrame(generate(5, 30, seed=12).candidates)
    new["person_id"] = [f"N{i}" for i in range(len(new))]
    tonight = pd.concat([frame.drop(rng.choice(len(frame), 30, replace=False)), new]).sample(frac=1, random_state=4)
    text = DIRTY + tonight.to_csv(index=False, lineterminator="\n").split("\n", 1)[1] + TAIL
    (folder / "tonight.csv").write_text(text, encoding="utf-8")
    return folder / "yesterday.csv", folder / "tonight.csv"


@pytest.fixture
def yesterday(nights: tuple[Path, Path]) -> Path:
    return nights[0]


@pytest.fixture
def tonight(nights: tuple[Path, Path]) -> Path:
    return nights[1]


@pytest.fixture(scope="module")
def prepared(nights: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Yesterday's prepared table (copy it to update it)."""
    folder = tmp_path_factory.mktemp("prepared")
    prepare_file(nights[0], folder / "yesterday.parquet", today=YESTERDAY)
    return folder / "yesterday.parquet"


@pytest.fixture(scope="module")
def fresh(nights: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
          ) -> tuple[tuple[dict[bytes, bytes], dict[str, object]], bytes]:
    """What a fresh prepare of tonight's extract writes: the table's content and the quarantine file."""
    folder = tmp_path_factory.mktemp("fresh")
    assert main(["prepare", "--candidates", str(nights[1]), "--out", str(folder / "people.parquet"),
                 "--today", TONIGHT.isoformat()]) == 0
    return _content(folder / "people.parquet"), (folder / "tonight.quarantine.csv").read_bytes()


def _unread(yesterday: Path, tonight: Path) -> tuple[int, int]:
    """Tonight's accepted rows whose name cells, and whose region cell, no accepted row of yesterday held."""
    def accepted(path: Path) -> pd.DataFrame:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        return frame[(frame["person_id"] != "") & (frame["sex"] != "3") & ~frame["person_id"].duplicated()]

    old, new = accepted(yesterday), accepted(tonight)
    pairs = set(zip(old["name"], old["former_names"], strict=True))
    names = sum(pair not in pairs for pair in zip(new["name"], new["former_names"], strict=True))
    return names, int((~new["region"].isin(set(old["region"]))).sum())


def _content(path: Path) -> tuple[dict[bytes, bytes], dict[str, object]]:
    """reunite's metadata and every column's values (floats by their bits), whatever the row groups."""
    table = pq.read_table(path)
    columns: dict[str, object] = {}
    for name in table.column_names:
        column = table.column(name)
        columns[name] = (column.to_numpy().view(np.uint32).tolist() if pa.types.is_floating(column.type)
                         else (str(column.type), column.to_pylist()))
    meta = {k: v for k, v in pq.read_metadata(path).metadata.items() if k.startswith(b"reunite.")}
    return meta, columns


def _prepare(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(["prepare", *argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def test_an_update_writes_what_a_fresh_prepare_writes(yesterday: Path, tonight: Path, fresh: tuple[object, bytes],
                                                      tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    people = tmp_path / "people.parquet"
    first = _prepare(capsys, "--candidates", str(yesterday), "--out", str(people), "--update", "--today", "2026-12-06")
    assert "not updated from" in first and "no such file" in first  # the first night: nothing to update
    out = _prepare(capsys, "--candidates", str(tonight), "--out", str(people), "--update", "--today", "2026-12-07")
    names, places = _unread(yesterday, tonight)
    assert f"updated from {people}: names read for {names} and places for {places} of 3006 records" in out
    assert "tonight.csv: read 3010, accepted 3006, quarantined 4" in out
    assert _content(people) == fresh[0]
    assert (tmp_path / "tonight.quarantine.csv").read_bytes() == fresh[1]


# pieces of about 15 and 10 rows (one piece a row is 6 minutes here, as slow as the suite's whole file)
@pytest.mark.parametrize(("old_piece", "new_piece"), [(1 << 30, 1_500), (2_000, 3_000), (1_000, 1 << 30)])
def test_an_update_piece_by_piece_writes_what_a_whole_one_writes(
        yesterday: Path, tonight: Path, fresh: tuple[object, bytes], tmp_path: Path, old_piece: int,
        new_piece: int) -> None:
    """Tonight's extract read in pieces of a few rows (or whole), yesterday's table of many row groups (or
    one): the table a whole update and a fresh prepare write, and as many cells read."""
    old = tmp_path / "yesterday.parquet"
    prepare_file(yesterday, old, today=YESTERDAY, piece_bytes=old_piece)
    groups = pq.ParquetFile(old).num_row_groups
    assert groups > 10 if old_piece < 10_000 else groups == 1
    pieces = update_prepared(tonight, tmp_path / "pieces.parquet", old, today=TONIGHT, piece_bytes=new_piece)
    whole = update_prepared(tonight, tmp_path / "whole.parquet", old, today=TONIGHT, encoding="utf-8")  # read whole
    if new_piece < 10_000:
        assert pq.ParquetFile(tmp_path / "pieces.parquet").num_row_groups > 10
    assert pq.ParquetFile(tmp_path / "whole.parquet").num_row_groups == 1
    assert pieces.reused is not None and pieces.reused == whole.reused
    assert (pieces.reused.names_read, pieces.reused.regions_read) == _unread(yesterday, tonight)
    assert [p.reveal() for p in pieces.report.problems] == [p.reveal() for p in whole.report.problems]
    assert _content(tmp_path / "pieces.parquet") == _content(tmp_path / "whole.parquet") == fresh[0]


def test_from_takes_another_table_and_leaves_it(tonight: Path, prepared: Path, fresh: tuple[object, bytes],
                                                tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = Path(shutil.copy(prepared, tmp_path / "yesterday.parquet"))
    before = old.read_bytes()
    out = _prepare(capsys, "--candidates", str(tonight), "--out", str(tmp_path / "people.parquet"),
                   "--from", str(old), "--today", "2026-12-07")
    assert "updated from" in out and old.read_bytes() == before
    assert _content(tmp_path / "people.parquet") == fresh[0]


def _rewrite(path: Path, out: Path, *, meta: dict[str, str] | None = None,
             column: str | None = None, values: pa.Array | None = None) -> Path:
    """The prepared file with its metadata changed or one column replaced, rewritten by pyarrow."""
    frame = pq.read_table(path)
    found = {k: v for k, v in pq.read_metadata(path).metadata.items() if k.startswith(b"reunite.")}
    found.update({f"reunite.{k}".encode(): v.encode() for k, v in (meta or {}).items()})
    if column is not None:
        frame = frame.set_column(frame.column_names.index(column), column, values)
    pq.write_table(frame.replace_schema_metadata(found), out, row_group_size=1_000)
    return out


def test_a_table_this_code_would_not_read_is_not_used(tonight: Path, prepared: Path, fresh: tuple[object, bytes],
                                                      tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    given = pq.read_table(prepared).column("names.given").to_pylist()
    given[2_500] = ["改"]  # in the table's third row group: seen when every group has been read
    broken = {
        "another version": (_rewrite(prepared, tmp_path / "v.parquet", meta={"version": "0.0.9"}), "reunite 0.0.9"),
        "other code": (_rewrite(prepared, tmp_path / "n.parquet", meta={"normalizer": "0123456789abcdef"}),
                       "other normalizing code"),
        "a changed column": (_rewrite(prepared, tmp_path / "c.parquet", column="names.given", values=pa.array(given)),
                             "'names.given' was changed"),
    }
    for what, (table, why) in broken.items():
        shutil.copy(table, tmp_path / "people.parquet")
        out = _prepare(capsys, "--candidates", str(tonight), "--out", str(tmp_path / "people.parquet"), "--update",
                       "--today", "2026-12-07")
        lines = [line for line in out.splitlines() if "not updated from" in line]
        assert len(lines) == 1 and why in lines[0] and "every record prepared anew" in lines[0], (what, out)
        assert _content(tmp_path / "people.parquet") == fresh[0], what


def test_a_failed_night_leaves_the_table(yesterday: Path, tonight: Path, prepared: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    people = Path(shutil.copy(prepared, tmp_path / "people.parquet"))
    before = people.read_bytes()
    assert main(["prepare", "--candidates", str(tonight), "--out", str(people), "--update", "--strict"]) == 2
    err = capsys.readouterr().err
    assert "strict" in err and "Traceback" not in err
    assert people.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["people.parquet"]
    assert main(["prepare", "--candidates", str(tonight), "--out", str(people), "--from", str(yesterday)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "expected a .parquet file made by reunite prepare" in err
    assert people.read_bytes() == before


def test_the_library_update_says_what_it_reused(yesterday: Path, tonight: Path, prepared: Path,
                                                tmp_path: Path) -> None:
    people = Path(shutil.copy(prepared, tmp_path / "people.parquet"))
    done = update_prepared(tonight, people, people, today=TONIGHT)
    assert done.reused is not None
    assert (done.reused.rows, done.reused.names_read, done.reused.regions_read) == (3006, *_unread(yesterday, tonight))
    assert done.report.read == done.report.accepted + done.report.quarantined == 3010
    assert stored.read_prepared_info(people).today == TONIGHT
