"""ID numbers are masked in every text reunite writes: also when the cell holds them in full-width
digits (as Chinese input methods and some exports write them) or grouped 6-8-4 with spaces or
hyphens -- the forms normalize reads as the same ID number."""

from __future__ import annotations

from pathlib import Path

import pytest

from reunite.ingest._safe import mask_id, mask_id_numbers

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
ID18, ID15 = "11010519491231002X", "110105491231002"


@pytest.mark.parametrize("written", [
    ID18.translate(FULL_WIDTH),
    ID15.translate(FULL_WIDTH),
    "110105 19491231 002X",
    "110105-19491231-002X",
    "１１０１０５　１９４９１２３１　００２Ｘ",
    "110105 491231 002",
])
def test_an_id_number_however_written_is_masked(written: str) -> None:
    for text in (written, f"身份证：{written}，左耳后有痣", f"P7,{written},王芳"):
        masked = mask_id_numbers(text)
        assert "1949" not in masked.translate(str.maketrans("０１２３４５６７８９", "0123456789")), masked
        assert "491231" not in masked.replace(" ", "").replace("-", ""), masked
        assert masked.replace("*", "") != text


@pytest.mark.parametrize("text", ["case 2019-000123", "电话 138 1234 5678", "P0000001", "１２３４５",
                                  "110105 19491331 002X", "2001-2003 1990-1995"])
def test_other_numbers_are_left_alone(text: str) -> None:
    assert mask_id_numbers(text) == text


def test_reprs_of_ingest_and_store_objects_hold_no_id() -> None:
    """A repr reaches logs (a logged exception, a debugger, ``print(report)``): the ingest report,
    its problems, a raw table, a stored top-k row and a re-screen's report printed the ID numbers
    they carry (the raw text of a row with the wrong number of cells, an ID-shaped person_id)."""
    import numpy as np

    from reunite.ingest import IngestReport, Problem, RawTable
    from reunite.rescreen import RescreenReport
    from reunite.store import TopKRow

    report = IngestReport("people.csv", read=2)
    report.add(2, "", f"P1,王芳,F,1988,{ID18},x", "wrong number of cells: expected 5 as in the header, found 6")
    report.add(3, "id_number", ID18, f"likely duplicate record: same resident ID number as person_id {ID18!r}",
               fatal=False)
    raw = RawTable("candidates", {"person_id": [ID18], "id_number": [ID18]}, np.array([3]), report)
    row = TopKRow("C1", 1, ID18, 3.5, 0.9, "", 1)
    rescreened = RescreenReport("incremental", "stored fitted model", 2, "abc", 10, 0, 0, 1, 0, 0, 1, 5, 0,
                                (report,), 0.1)
    for thing in (report, report.problems[0], report.problems[1], raw, row, rescreened):
        for shown in (repr(thing), str(thing)):
            assert "19491231" not in shown, shown
    assert isinstance(report.problems[0], Problem)


def test_an_explanation_shows_an_id_shaped_person_id_masked_unless_revealed() -> None:
    """reunite.explain's result printed in a notebook or a log: the CLI masked it, the object did not."""
    import pandas as pd

    from reunite.pipeline import explain

    cases = pd.DataFrame({"case_id": ["c1"], "name": ["王小红"], "sex": ["女"], "birth_date": ["1949"]})
    people = pd.DataFrame({"person_id": [ID18], "name": ["王小红"], "sex": ["F"], "birth_date": ["1949-12-31"]})
    found = explain(cases, people, "c1", ID18, em=False)
    for shown in (repr(found), str(found), found.format("zh")):
        assert "19491231" not in shown, shown
    assert ID18 in found.format(reveal_ids=True)
    assert found.person_id == ID18  # the value itself stays whole for the caller's own lookups


def test_an_id_number_with_a_letter_typed_after_it_is_masked(tmp_path: Path) -> None:
    """A row with too few cells, "440512198403199626X,坏行" (an X typed after a valid ID number), went into
    the quarantine file's value column in clear: the letter after it hid it from the mask."""
    from reunite.export import write_quarantine
    from reunite.ingest import read_table

    people = tmp_path / "people.csv"
    people.write_text(f"person_id,sex,birth_date\nP1,F,1949\n{ID18}X,坏行\n", encoding="utf-8")
    raw = read_table(people, "candidates")
    assert raw.report.quarantined == 1
    written = write_quarantine(raw.report, tmp_path / "q.csv").read_text(encoding="utf-8-sig")
    assert "19491231" not in written and f"{mask_id(ID18)}X" in written
    assert mask_id_numbers(f"{ID18}x {ID18}Ｘ") == f"{mask_id(ID18)}x {mask_id(ID18)}Ｘ"
