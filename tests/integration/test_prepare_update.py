"""``reunite prepare --update``: the nightly extract updates yesterday's prepared table into the one a
fresh prepare writes; a table this code would not read is not used (every row prepared anew, one line
says why); a failed night leaves yesterday's table as it was."""

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


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Yesterday's extract and tonight's: 2% of the rows changed (names, places, dates), 1% gone, 1%
    new, the rows in another order, and the dirty rows (quarantined and flagged) in both."""
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
    text = DIRTY + tonight.to_csv(index=False, lineterminator="\n").split("\n", 1)[1]
    (folder / "tonight.csv").write_text(text, encoding="utf-8")
    return folder / "yesterday.csv", folder / "tonight.csv"


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


def _fresh(tonight: Path, folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[object, bytes]:
    """What a fresh prepare of tonight's extract writes: the table and the quarantine file."""
    (folder / "fresh").mkdir()
    _prepare(capsys, "--candidates", str(tonight), "--out", str(folder / "fresh" / "people.parquet"),
             "--today", "2026-12-07")
    return _content(folder / "fresh" / "people.parquet"), (folder / "fresh" / "tonight.quarantine.csv").read_bytes()


def test_an_update_writes_what_a_fresh_prepare_writes(nights: tuple[Path, Path], tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    yesterday, tonight = nights
    people = tmp_path / "people.parquet"
    first = _prepare(capsys, "--candidates", str(yesterday), "--out", str(people), "--update", "--today", "2026-12-06")
    assert "not updated from" in first and "no such file" in first  # the first night: nothing to update
    out = _prepare(capsys, "--candidates", str(tonight), "--out", str(people), "--update", "--today", "2026-12-07")
    names, places = _unread(yesterday, tonight)
    assert f"updated from {people}: names read for {names} and places for {places} of 3004 records" in out
    assert "tonight.csv: read 3007, accepted 3004, quarantined 3" in out
    want, quarantine = _fresh(tonight, tmp_path, capsys)
    assert _content(people) == want
    assert (tmp_path / "tonight.quarantine.csv").read_bytes() == quarantine


def test_from_takes_another_table_and_leaves_it(nights: tuple[Path, Path], tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    yesterday, tonight = nights
    old = tmp_path / "yesterday.parquet"
    _prepare(capsys, "--candidates", str(yesterday), "--out", str(old), "--today", "2026-11-01")
    before = old.read_bytes()
    out = _prepare(capsys, "--candidates", str(tonight), "--out", str(tmp_path / "people.parquet"),
                   "--from", str(old), "--today", "2026-12-07")
    assert "updated from" in out and old.read_bytes() == before
    assert _content(tmp_path / "people.parquet") == _fresh(tonight, tmp_path, capsys)[0]


def _rewrite(path: Path, out: Path, *, meta: dict[str, str] | None = None,
             column: str | None = None, values: pa.Array | None = None) -> Path:
    """The prepared file with its metadata changed or one column replaced, rewritten by pyarrow."""
    frame = pq.read_table(path)
    found = {k: v for k, v in pq.read_metadata(path).metadata.items() if k.startswith(b"reunite.")}
    found.update({f"reunite.{k}".encode(): v.encode() for k, v in (meta or {}).items()})
    if column is not None:
        frame = frame.set_column(frame.column_names.index(column), column, values)
    pq.write_table(frame.replace_schema_metadata(found), out)
    return out


def test_a_table_this_code_would_not_read_is_not_used(nights: tuple[Path, Path], tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    yesterday, tonight = nights
    old = tmp_path / "old.parquet"
    _prepare(capsys, "--candidates", str(yesterday), "--out", str(old), "--today", "2026-12-06")
    given = pq.read_table(old).column("names.given").to_pylist()
    given[5] = ["改"]
    broken = {
        "another version": (_rewrite(old, tmp_path / "v.parquet", meta={"version": "0.0.9"}), "reunite 0.0.9"),
        "other code": (_rewrite(old, tmp_path / "n.parquet", meta={"normalizer": "0123456789abcdef"}),
                       "other normalizing code"),
        "a changed column": (_rewrite(old, tmp_path / "c.parquet", column="names.given", values=pa.array(given)),
                             "'names.given' was changed"),
    }
    want = _fresh(tonight, tmp_path, capsys)[0]
    for what, (table, why) in broken.items():
        shutil.copy(table, tmp_path / "people.parquet")
        out = _prepare(capsys, "--candidates", str(tonight), "--out", str(tmp_path / "people.parquet"), "--update",
                       "--today", "2026-12-07")
        lines = [line for line in out.splitlines() if "not updated from" in line]
        assert len(lines) == 1 and why in lines[0] and "every record prepared anew" in lines[0], (what, out)
        assert _content(tmp_path / "people.parquet") == want, what


def test_a_failed_night_leaves_the_table(nights: tuple[Path, Path], tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    yesterday, tonight = nights
    people = tmp_path / "people.parquet"
    _prepare(capsys, "--candidates", str(yesterday), "--out", str(people), "--today", "2026-12-06")
    before = people.read_bytes()
    assert main(["prepare", "--candidates", str(tonight), "--out", str(people), "--update", "--strict"]) == 2
    err = capsys.readouterr().err
    assert "strict" in err and "Traceback" not in err
    assert people.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["people.parquet", "yesterday.quarantine.csv"]
    assert main(["prepare", "--candidates", str(tonight), "--out", str(people), "--from", str(yesterday)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "expected a .parquet file made by reunite prepare" in err
    assert people.read_bytes() == before


def test_the_library_update_says_what_it_reused(nights: tuple[Path, Path], tmp_path: Path) -> None:
    from reunite.pipeline import prepare_file, update_prepared

    yesterday, tonight = nights
    people = tmp_path / "people.parquet"
    prepare_file(yesterday, people, today=datetime.date(2026, 12, 6))
    done = update_prepared(tonight, people, people, today=datetime.date(2026, 12, 7))
    assert done.reused is not None
    assert (done.reused.rows, done.reused.names_read, done.reused.regions_read) == (3004, *_unread(yesterday, tonight))
    assert done.report.read == done.report.accepted + done.report.quarantined == 3007
    assert stored.read_prepared_info(people).today == datetime.date(2026, 12, 7)
