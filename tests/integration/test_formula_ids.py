"""Ids that look like spreadsheet formulas (=, +, -, @ first) are written to RANKED.csv with an
apostrophe in front, so that Excel or WPS shows them as text; read back, they are the ids again."""

from __future__ import annotations

from pathlib import Path

import pytest

from reunite.cli import main
from reunite.report.build import read_ranked

CASES = "case_id,name,sex,birth_date,missing_region\n=1+2,王小红,F,1988-05,310115\n@C2,李强,M,1990,360302\n"
PEOPLE = ("person_id,name,sex,birth_date,region\n+P1,王晓红,F,1988-05-03,上海市南汇县\n"
          "-P3,李刚强,M,1990-02-01,360302\nP4,赵六,M,1990-02-01,360302\n")


@pytest.fixture
def ranked(tmp_path: Path) -> Path:
    (tmp_path / "cases.csv").write_text(CASES, encoding="utf-8")
    (tmp_path / "people.csv").write_text(PEOPLE, encoding="utf-8")
    out = tmp_path / "ranked.csv"
    assert main(["screen", "--cases", str(tmp_path / "cases.csv"), "--candidates", str(tmp_path / "people.csv"),
                 "--top-k", "2", "--out", str(out)]) == 0
    assert "'=1+2" in out.read_text(encoding="utf-8-sig")  # as Excel must see it
    return out


def test_read_ranked_gives_back_the_ids(ranked: Path) -> None:
    rows = read_ranked(ranked)
    assert {r["case_id"] for r in rows} == {"=1+2", "@C2"}
    assert {r["person_id"] for r in rows} >= {"+P1", "-P3"}


def test_the_report_of_such_a_ranking_shows_its_candidates(ranked: Path, tmp_path: Path) -> None:
    """The report showed "no candidates ranked" for these cases: the ids read back kept the apostrophe
    and matched no case."""
    out = tmp_path / "report.html"
    assert main(["report", "--ranked", str(ranked), "--cases", str(tmp_path / "cases.csv"), "--candidates",
                 str(tmp_path / "people.csv"), "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "no candidates ranked" not in page
    assert "王晓红" in page and "李刚强" in page


def test_evaluate_reads_such_a_ranking_against_the_truth(ranked: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """`reunite evaluate` stopped with "case_id "'=1+2" is not in the truth": the apostrophe stayed."""
    truth = tmp_path / "truth.csv"
    truth.write_text("case_id,person_id,tags\n=1+2,+P1,\n@C2,-P3,\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["evaluate", "--truth", str(truth), "--ranked", str(ranked)]) == 0
    assert "recall@1 1.000" in capsys.readouterr().out
