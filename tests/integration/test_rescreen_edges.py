"""Edges of the nightly re-screen found by a hostile new-user test: rows of closed cases, and the
command line's quarantine files and input options."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from reunite.cli import main
from reunite.errors import ConfigError
from reunite.rescreen import rescreen
from reunite.store import Store
from reunite.synth import generate

TOP_K = 3


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    data = generate(6, 400, seed=7)
    return pd.DataFrame(data.cases), pd.DataFrame(data.candidates)


def test_a_changed_row_of_a_closed_case_is_stored(store: Store) -> None:
    cases, candidates = _frames()
    rescreen(store, cases=cases, candidates=candidates, top_k=TOP_K)
    first = next(r for r in store.current_topk() if r.rank == 1)
    store.record_dna(first.case_id, first.person_id, "confirmed")
    edited = cases[cases["case_id"] == first.case_id].copy()
    edited["marks"] = "右耳有痣"
    report = rescreen(store, cases=edited, top_k=TOP_K)
    assert report.changed_cases == 1
    assert [r["marks"] for r in store.read_rows("cases", [first.case_id])] == ["右耳有痣"]
    # sent again, it is nothing new
    assert rescreen(store, cases=edited, top_k=TOP_K).kind == "nothing"


CASES = """case_id,name,sex,birth_date,missing_region
C1,王小红,F,1988-05,310115
C2,李强,M,1990,360302
"""
CANDIDATES = """person_id,name,sex,birth_date,region
P1,王小红,F,1988-05-03,上海市南汇县
P2,张小红,F,1988-06-11,310115
P3,李强,M,1990-02-01,360302
"""


def test_rescreen_refuses_an_unwritable_quarantine_file_before_storing_anything(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A quarantine file that cannot be written was found only after the run had committed: exit 2,
    the accepted rows stored, and the quarantined rows in no file at all."""
    people = tmp_path / "people.csv"
    people.write_text(CANDIDATES + "P4,李刚,M,1990-07-09,,extra cell\n", encoding="utf-8")
    (tmp_path / "people.quarantine.csv").mkdir()
    cases = tmp_path / "cases.csv"
    cases.write_text(CASES, encoding="utf-8")
    assert main(["rescreen", "--db", db_url, "--cases", str(cases), "--candidates", str(people)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "people.quarantine.csv" in err[0] and "folder" in err[0], err
    with Store.open(db_url) as store:
        assert store.read_rows("candidates") == [] and store.last_run_id() is None


def test_rescreen_takes_the_input_options_its_messages_name(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """rescreen's errors say "--mapping" and "--encoding", as screen's do: rescreen takes them (and
    --sheet, --strict, --quarantine-dir) as screen does."""
    people = tmp_path / "people.csv"
    people.write_bytes(CANDIDATES.replace("birth_date", "登记生日").encode("gbk"))
    cases = tmp_path / "cases.csv"
    cases.write_bytes(CASES.encode("gbk"))
    assert main(["rescreen", "--db", db_url, "--cases", str(cases), "--candidates", str(people)]) == 2
    assert "--mapping" in capsys.readouterr().err
    assert main(["rescreen", "--db", db_url, "--cases", str(cases), "--candidates", str(people),
                 "--mapping", "登记生日=birth_date", "--encoding", "gbk", "--top-k", "3"]) == 0
    assert "people.csv: read 3, accepted 3, quarantined 0 (encoding gbk)" in capsys.readouterr().out
    with Store.open(db_url) as store:
        assert len(store.read_rows("candidates")) == 3
    more = tmp_path / "more.csv"
    more.write_text(CANDIDATES.replace("birth_date", "登记生日") + "P4,李刚,M,1990-07-09,,extra\n", encoding="utf-8")
    assert main(["rescreen", "--db", db_url, "--candidates", str(more), "--mapping", "登记生日=birth_date",
                 "--strict", "--top-k", "3"]) == 2
    assert "wrong number of cells" in capsys.readouterr().err
    elsewhere = tmp_path / "q"
    elsewhere.mkdir()
    assert main(["rescreen", "--db", db_url, "--candidates", str(more), "--mapping", "登记生日=birth_date",
                 "--quarantine-dir", str(elsewhere), "--top-k", "3"]) == 0
    assert (elsewhere / "more.quarantine.csv").is_file() and not (tmp_path / "more.quarantine.csv").exists()
    assert main(["rescreen", "--db", db_url, "--candidates", str(more), "--quarantine-dir",
                 str(tmp_path / "nope")]) == 2
    assert "--quarantine-dir" in capsys.readouterr().err


def test_rescreen_gives_two_inputs_of_one_name_two_quarantine_files(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    cases, people = tmp_path / "a" / "new.csv", tmp_path / "b" / "new.csv"
    cases.write_text(CASES + "C3,,F,1991,,extra\n", encoding="utf-8")
    people.write_text(CANDIDATES + "P4,李刚,M,1990-07-09,,extra\n", encoding="utf-8")
    out = tmp_path / "q"
    out.mkdir()
    assert main(["rescreen", "--db", db_url, "--cases", str(cases), "--candidates", str(people),
                 "--quarantine-dir", str(out), "--top-k", "3"]) == 0
    written = sorted(p.name for p in out.iterdir())
    assert len(written) == 2, written
    text = "".join((out / name).read_text(encoding="utf-8-sig") for name in written)
    assert "C3" in text and "P4" in text


def test_dna_import_refuses_an_unwritable_quarantine_file_before_importing(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As for rescreen: the quarantine file was checked after the outcomes had been committed."""
    cases, people = tmp_path / "cases.csv", tmp_path / "people.csv"
    cases.write_text(CASES, encoding="utf-8")
    people.write_text(CANDIDATES, encoding="utf-8")
    assert main(["rescreen", "--db", db_url, "--cases", str(cases), "--candidates", str(people),
                 "--top-k", "2"]) == 0
    lab = tmp_path / "lab.csv"
    lab.write_text("case_id,person_id,outcome,date\nC1,P2,excluded,2024-01-02\nC2,P3,maybe,\n", encoding="utf-8")
    (tmp_path / "lab.quarantine.csv").mkdir()
    capsys.readouterr()
    assert main(["dna", "import", "--db", db_url, "--file", str(lab)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "lab.quarantine.csv" in err[0], err
    with Store.open(db_url) as store:
        assert store.excluded_pairs() == set()


def test_export_refuses_more_ranks_than_the_store_holds_for_certain(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``export --top-k 30`` after a night at top-k 10 wrote the 20 stored rows per case (and fewer
    where the reserve had thinned) with exit 0: not what ``screen --top-k 30`` writes."""
    cases, people = tmp_path / "cases.csv", tmp_path / "people.csv"
    cases.write_text(CASES, encoding="utf-8")
    people.write_text(CANDIDATES + "P4,王晓红,F,1988-04-30,310115\nP5,王红,F,1988-05-20,310115\n", encoding="utf-8")
    assert main(["rescreen", "--db", db_url, "--cases", str(cases), "--candidates", str(people),
                 "--top-k", "1"]) == 0
    capsys.readouterr()
    assert main(["export", "--db", db_url, "--out", str(tmp_path / "one.csv"), "--top-k", "1"]) == 0
    assert main(["export", "--db", db_url, "--out", str(tmp_path / "two.csv"), "--top-k", "2"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--top-k 2" in err[0] and "rescreen --top-k 2" in err[0], err
    assert not (tmp_path / "two.csv").exists()


def test_a_new_person_id_carrying_a_stored_resident_id_is_flagged(store: Store) -> None:
    """screen flags a second person_id with the same resident ID number as a likely duplicate; a
    night's delta was only checked against itself, so the duplicate of a stored person went unflagged."""
    people = pd.DataFrame({"person_id": ["P1", "P2"], "sex": ["F", "F"], "birth_date": ["1988-05-03", "1988"],
                           "id_number": ["310225198805030029", ""]})
    cases = pd.DataFrame({"case_id": ["C1"], "sex": ["F"], "birth_date": ["1988-05"]})
    rescreen(store, cases=cases, candidates=people, top_k=TOP_K)
    night = pd.DataFrame({"person_id": ["P3", "P9"], "sex": ["F", "F"], "birth_date": ["1988", "1988-05-03"],
                          "id_number": ["", "310225 19880503 0029"]})
    report = rescreen(store, candidates=night, top_k=TOP_K)
    [ingest] = report.ingest
    flags = [(p.row, p.reason) for p in ingest.problems if not p.fatal]
    assert [row for row, _ in flags] == [3], flags
    assert "likely duplicate record" in flags[0][1] and "'P1'" in flags[0][1], flags
    assert {r["person_id"] for r in store.read_rows("candidates")} == {"P1", "P2", "P3", "P9"}
    assert all("19880503" not in str(p) for p in ingest.problems)
    # P9 re-sent changed is P1's duplicate still, not its own
    again = rescreen(store, candidates=night.assign(name="王芳").iloc[1:], top_k=TOP_K)
    assert ["'P1'" in p.reason and "'P9'" not in p.reason for p in again.ingest[0].problems] == [True]


def test_a_quarantine_file_of_flags_only_is_not_called_not_stored(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file listing only flagged rows (kept and stored: a bad date read as an interval) was
    announced as "quarantined rows: … (not stored)"."""
    cases, people = tmp_path / "cases.csv", tmp_path / "people.csv"
    cases.write_text(CASES, encoding="utf-8")
    people.write_text(CANDIDATES + "P4,王芳,F,1988-02-30,310115\n", encoding="utf-8")
    assert main(["rescreen", "--db", db_url, "--cases", str(cases), "--candidates", str(people),
                 "--top-k", "2"]) == 0
    out = capsys.readouterr().out
    assert "people.quarantine.csv" in out and "not stored" not in out, out
    with Store.open(db_url) as store:
        assert "P4" in {r["person_id"] for r in store.read_rows("candidates")}


def test_a_changed_candidate_scoring_the_same_gets_the_reasons_of_its_new_record(store: Store) -> None:
    """A candidate whose birth date moved by a year often scores exactly the same (two levels of
    equal fitted weight: "born within 1 year" and "within 2 years"), and its stored row was kept as
    it was -- with the reasons of the old record. RANKED.csv from the store then differed from a
    screen of the same data in the reasons column."""
    from reunite.matching.model import FellegiSunter
    from reunite.pipeline import screen

    data = generate(60, 3000, seed=11)
    cases, candidates = pd.DataFrame(data.cases), pd.DataFrame(data.candidates)
    rescreen(store, cases=cases, candidates=candidates, top_k=5)
    ranked = {r.person_id for r in store.current_topk()}
    night = candidates[candidates["person_id"].isin(ranked)].copy()
    night["birth_date"] = [str(int(b[:4]) - 1) + b[4:] if b[:4].isdigit() else b for b in night["birth_date"]]
    assert rescreen(store, candidates=night, top_k=5).kind == "incremental"
    final = pd.concat([candidates[~candidates["person_id"].isin(ranked)], night])
    stored = store.fitted_model()
    assert stored is not None
    full = screen(cases, final, top_k=5, model=FellegiSunter.from_dict(stored.model), fit_to_data=False).to_pandas()
    expected = {(r.case_id, r.rank, r.person_id, r.score, r.reasons) for r in full.itertuples()}
    got = {(r.case_id, r.rank, r.person_id, r.score, r.reasons) for r in store.current_topk() if r.rank <= 5}
    assert got == expected, sorted(got - expected)[:3]


def test_a_column_the_input_lacks_keeps_the_stored_values(store: Store) -> None:
    """A night's file without an optional column (an extract of name, sex and birth date only)
    blanked that column in every stored row it re-sent: ID numbers, regions, registration dates
    and marks gone, without a word. A column the input does not have is not a column of empty
    cells: the stored values stay."""
    people = pd.DataFrame({"person_id": ["P1", "P2"], "name": ["王芳", "李强"], "sex": ["F", "M"],
                           "birth_date": ["1988-05-03", "1990"], "id_number": ["310225198805030029", ""],
                           "region": ["310115", "360302"], "registration_date": ["1995-01-02", ""],
                           "marks": ["左耳后有痣", ""]})
    cases = pd.DataFrame({"case_id": ["C1"], "sex": ["F"], "birth_date": ["1988-05"], "missing_region": ["310115"],
                          "marks": ["左耳后有痣"]})
    rescreen(store, cases=cases, candidates=people, top_k=TOP_K)
    partial = pd.DataFrame({"person_id": ["P1", "P3"], "name": ["王小芳", "赵六"], "sex": ["F", "F"],
                            "birth_date": ["1988-05-03", "1988"]})
    report = rescreen(store, cases=cases[["case_id", "sex", "birth_date"]], candidates=partial, top_k=TOP_K)
    assert (report.changed_cases, report.new_candidates, report.changed_candidates) == (0, 1, 1)
    stored = {r["person_id"]: r for r in store.read_rows("candidates")}
    assert stored["P1"] == {**people.iloc[0].to_dict(), "name": "王小芳", "former_names": ""}
    assert stored["P3"]["region"] == "" and stored["P3"]["name"] == "赵六"
    assert store.read_rows("cases")[0]["marks"] == "左耳后有痣"
    assert rescreen(store, candidates=partial, top_k=TOP_K).kind == "nothing"


@pytest.mark.parametrize(("options", "message"), [
    ({"top_k": "5"}, "top_k: expected a whole number >= 1, got '5' (str)"),
    ({"top_k": 2.5}, "top_k: expected a whole number >= 1, got 2.5 (float)"),
    ({"top_k": True}, "top_k: expected a whole number >= 1, got True (bool)"),
    ({"seed": -1}, "seed: expected a whole number >= 0, got -1"),
])
def test_rescreen_checks_its_arguments_as_screen_does(store: Store, options: dict[str, object],
                                                      message: str) -> None:
    """rescreen(top_k="5") raised TypeError; top_k=2.5 and seed=-1 (--seed -1) ran a night, which screen refuses."""
    cases, people = _frames()
    with pytest.raises(ConfigError) as info:
        rescreen(store, cases=cases, candidates=people, **options)  # type: ignore[arg-type]
    assert str(info.value) == message
    assert store.last_run_id() is None


def test_rescreen_seed_below_zero_is_one_line(store: Store, db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rescreen", "--db", db_url, "--seed", "-1"]) == 2
    assert capsys.readouterr().err == "reunite rescreen: error: seed: expected a whole number >= 0, got -1\n"
