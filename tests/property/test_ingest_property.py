"""Random tables with random bad rows: every row is accounted for and accepted ids are unique."""

from __future__ import annotations

import csv
import io
import tempfile
import unicodedata
from pathlib import Path

import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st

from reunite.ingest import read_table

HEADER = ["case_id", "name", "sex", "birth_date", "marks"]
GOOD_SEX = ["M", "F", "男", "女", "", "不详", "female", "男性", "Ｆ", "MALE", "1", "2", "0", "9"]
BAD_SEX = ["3", "12", "X", "男孩?", "mf"]
# The accepted spellings, written out independently of the implementation's table (digits: GB/T 2261.1).
SEX_MEANING = {"m": "M", "male": "M", "man": "M", "boy": "M", "男": "M", "男性": "M", "男孩": "M", "男婴": "M",
               "男童": "M", "f": "F", "female": "F", "woman": "F", "girl": "F", "女": "F", "女性": "F", "女孩": "F",
               "女婴": "F", "女童": "F", "": "", "不详": "", "未知": "", "不明": "", "不清楚": "", "unknown": "",
               "?": "", "-": "", "1": "M", "2": "F", "0": "", "9": ""}
SEX_BRACKETS = str.maketrans("", "", "()[]【】")  # (男) is 男; a lone bracket is an empty cell

cell_text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=8)
ids = st.sampled_from(["C1", "C2", "C3", " C1", "C4 ", "", "  ", "娜", "NA"])
sexes = st.sampled_from([*GOOD_SEX, *BAD_SEX])
rows = st.lists(
    st.one_of(
        st.tuples(ids, cell_text, sexes, cell_text, cell_text).map(list),
        st.lists(cell_text, min_size=1, max_size=8),  # any width: ragged unless it happens to be 5
    ),
    max_size=25,
)


def expected(table_rows: list[list[str]]) -> tuple[list[str], list[str], int]:
    """A slow model of the rules: accepted ids, their sexes, and rows read."""
    seen: set[str] = set()
    accepted_ids, accepted_sex, read = [], [], 0
    for row in table_rows:
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        read += 1
        if len(cells) != len(HEADER):
            continue
        record_id, sex = unicodedata.normalize("NFKC", cells[0]).strip(), cells[2]  # ids folded as typed full-width
        meaning = SEX_MEANING.get(unicodedata.normalize("NFKC", sex).translate(SEX_BRACKETS).strip().casefold())
        if record_id and meaning is not None and record_id not in seen:
            seen.add(record_id)
            accepted_ids.append(record_id)
            accepted_sex.append(meaning)
    return accepted_ids, accepted_sex, read


@settings(max_examples=80, deadline=None)
@given(rows)
@example([["C1", "", "M", "", ""], ["C1", "", "M", "", ""], ["0", "", ")", "", ""]])  # found on a random draw
@example([["C1", "", "M", "", ""], ["¯", "", "", "", ""]])  # an id NFKC changes (found on a random draw)
def test_csv_rows_all_accounted_for(table_rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(table_rows)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cases.csv"
        path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
        table = read_table(path, "cases")
    report = table.report
    assert report.read == report.accepted + report.quarantined
    assert len(table) == report.accepted
    assert len(set(table.ids)) == len(table.ids)
    assert all(len(values) == len(table) for values in table.columns.values())
    accepted_ids, accepted_sex, read = expected(table_rows)
    assert table.ids == accepted_ids
    assert table.columns["sex"] == accepted_sex
    assert report.read == read


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(ids, cell_text, sexes, cell_text, cell_text).map(list), max_size=25))
def test_dataframe_rows_all_accounted_for(table_rows: list[list[str]]) -> None:
    frame = pd.DataFrame(table_rows, columns=HEADER, dtype=object)
    table = read_table(frame, "cases")
    report = table.report
    assert report.read == report.accepted + report.quarantined
    assert len(set(table.ids)) == len(table.ids)
    accepted_ids, accepted_sex, read = expected(table_rows)
    assert (table.ids, table.columns["sex"], report.read) == (accepted_ids, accepted_sex, read)
