"""Issue 10's leftovers from the thirteenth session: a --strict problem list shows ID numbers under
--reveal-ids, a forced encoding that turns Chinese into Latin letters is named, and messages list ids and
mappings in plain words, not Python syntax."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from reunite.cli import main
from reunite.errors import EncodingError, StoreError
from reunite.ingest import decode_text
from reunite.rescreen import rescreen
from reunite.store import Store
from reunite.stored_ranking import export_topk

ID = "110101199003074514"  # a valid 18-digit resident ID (checksum and birth day)
MASKED = "110101********4514"
CASES = pd.DataFrame({"case_id": ["C1", "C2"], "name": ["王小红", "李建国"], "sex": ["女", "男"],
                      "birth_date": ["1993年2月", "1990-01-01"], "missing_region": ["360302", "510104"]})
PEOPLE = pd.DataFrame({"person_id": ["P1", "P2", ID], "name": ["王小红", "赵强", "李建国"], "sex": ["F", "F", "M"],
                       "birth_date": ["1993-02-11", "1993-02-20", "1990-01-01"],
                       "region": ["360302", "360302", "510104"], "id_number": ["", "", ""]})


def _files(tmp_path: Path, people: str | None = None, encoding: str = "utf-8") -> list[str]:
    cases, candidates = tmp_path / "cases.csv", tmp_path / "people.csv"
    CASES.to_csv(cases, index=False, encoding=encoding)
    if people is None:
        PEOPLE.to_csv(candidates, index=False, encoding="utf-8")
    else:
        candidates.write_text(people, encoding="utf-8")
    return ["screen", "--cases", str(cases), "--candidates", str(candidates), "--out", str(tmp_path / "r.csv")]


# -- 2. --strict problem lists ----------------------------------------------------------------------------------

def test_a_strict_problem_list_shows_id_numbers_only_with_reveal_ids(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """The rows --strict refuses are listed with their values; an ID number among them was masked even under
    --reveal-ids, so the user could not find the row the list named."""
    text = PEOPLE.to_csv(index=False) + f"P9,王芳,,F,1990-03-07,{ID},360302,,extra cell\n"
    argv = [*_files(tmp_path, text), "--strict"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "strict mode" in err and ID not in err and MASKED in err
    assert main([*argv, "--reveal-ids"]) == 2
    err = capsys.readouterr().err
    assert "strict mode" in err and ID in err


# -- 3. a forced encoding that misreads Chinese -----------------------------------------------------------------

@pytest.mark.parametrize(("saved", "forced", "named"), [("gbk", "latin-1", "gb18030"), ("utf-8", "latin-1", "utf-8"),
                                                         ("utf-8", "cp1252", "utf-8"), ("gbk", "utf-8", "gb18030")])
def test_a_forced_encoding_that_misreads_chinese_names_the_likely_one(
        saved: str, forced: str, named: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--encoding latin-1` on a GBK file read every name as Latin letters (王小红 as 'ÍõĞ¡ºì') and said nothing."""
    assert main([*_files(tmp_path, encoding=saved), "--encoding", forced]) == 2
    line = capsys.readouterr().err.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in line
    assert f"--encoding {named}" in line and ("王小红" in line or "李建国" in line)


def test_a_forced_encoding_that_fits_the_file_is_taken() -> None:
    assert decode_text("José,Zoë\n".encode("latin-1"), encoding="latin-1")[0] == "José,Zoë\n"
    assert decode_text("王小红".encode("gbk"), encoding="gbk")[0] == "王小红"
    assert decode_text(b"case_id,sex\n", encoding="latin-1")[0] == "case_id,sex\n"
    with pytest.raises(EncodingError, match="read as latin-1 holds no Chinese character"):
        decode_text("case_id,name\nC1,王小红\n".encode("gbk"), encoding="latin-1")


# -- 4. plain words -----------------------------------------------------------------------------------------------

def test_a_missing_column_message_names_the_mapping_in_plain_words(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    text = "Ident,姓名,sex,birth_date\nP1,王芳,F,1990\n"
    assert main(_files(tmp_path, text)) == 2
    line = capsys.readouterr().err.strip()
    assert "--mapping 'your header=column'" in line and "mapping={" not in line


def test_export_names_cases_without_totals_in_plain_words_with_ids_masked(db_url: str, tmp_path: Path) -> None:
    """export said "cases ['C1', ...] have no stored totals", a Python list with the ids in clear."""
    cases = CASES.assign(case_id=[ID, "C2"])
    with Store.open(db_url) as store:
        rescreen(store, cases=cases, candidates=PEOPLE.iloc[:2], top_k=2)
        with store.engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM case_totals"))
        with pytest.raises(StoreError) as caught:
            export_topk(store, tmp_path / "ranked.csv")
    message = str(caught.value)
    assert "[" not in message and ID not in message and MASKED in message
    assert f"'{ID}'" in caught.value.revealed


# -- 6. from the new-user trial ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "delimiter", "encoding"), [("lab.csv", ";", "utf-8"), ("lab.txt", "\t", "utf-16")])
def test_a_lab_file_separated_as_excel_saves_it_is_read_as_case_files_are(
        name: str, delimiter: str, encoding: str, db_url: str, tmp_path: Path) -> None:
    """A European Excel's CSV (';') and Excel's "Unicode text" (UTF-16, tabs) were refused whole ("missing
    column(s) case_id, ...") though case files in the same form are read."""
    with Store.open(db_url) as store:
        rescreen(store, cases=CASES, candidates=PEOPLE, top_k=2)
        lab = tmp_path / name
        rows = [["case_id", "person_id", "outcome", "date", "note"], ["C1", "P2", "excluded", "2025-03-05", "a, b"],
                ["C2", "P9", "excluded", "2025-03-05", ""], ["C2", "P1", "excluded", "2025-03-05", "", "x"]]
        lab.write_text("\n".join(delimiter.join(r) for r in rows) + "\n", encoding=encoding)
        report = store.import_dna_csv(lab)
        assert (report.read, report.accepted, report.quarantined) == (3, 1, 2)
        assert store.excluded_pairs() == {("C1", "P2")}
        assert [p.value for p in report.problems if not p.column] == [delimiter.join(rows[3])]
