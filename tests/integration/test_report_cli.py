"""reunite report / plan --out *.html / screen --report --lang / demo: the HTML outputs from the command line."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from reunite.cli import main
from reunite.synth import generate, write


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report-cli")
    write(generate(30, 1500, seed=11), folder)
    return folder


def test_screen_writes_chinese_ranked_csv_and_report(data: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    out, report = tmp_path / "ranked.csv", tmp_path / "report.html"
    code = main(["screen", "--cases", str(data / "cases.csv"), "--candidates", str(data / "candidates.csv"),
                 "--top-k", "5", "--out", str(out), "--report", str(report), "--lang", "zh"])
    assert code == 0
    printed = capsys.readouterr().out
    assert f"报告：{report}" in printed and f"候选人排名：{out}" in printed
    # the ingest and screen summaries, the fit too: no English line left
    assert "cases.csv：读取 30 行，接受 30 行，隔离 0 行" in printed
    assert "筛查 30 个案件，候选人 1500 人：比对" in printed and "个案件的第一候选人概率 ≥ 0.5" in printed
    assert "个案件很可能在候选人中完全没有匹配" in printed and "拟合 m" in printed  # 30 cases: too few to fit
    assert not re.search(r"^(screened|\d+ cases|m fitted|m not fitted|\S+: read|ranked)", printed, flags=re.M)
    header = out.read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.split(",")[:7] == ["案件编号", "排名", "人员编号", "得分", "概率", "案件有匹配的概率", "理由"]
    html = report.read_text(encoding="utf-8")
    assert html.count('<section class="case"') == 30 and "走失地点" in html


def test_report_from_ranked_csv_and_its_mistakes(data: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    ranked = tmp_path / "ranked.csv"
    assert main(["screen", "--cases", str(data / "cases.csv"), "--candidates", str(data / "candidates.csv"),
                 "--top-k", "4", "--out", str(ranked)]) == 0
    out = tmp_path / "r.html"
    assert main(["report", "--ranked", str(ranked), "--cases", str(data / "cases.csv"), "--candidates",
                 str(data / "candidates.csv"), "--previous", str(ranked), "--out", str(out), "--top-k", "2"]) == 0
    html = out.read_text(encoding="utf-8")
    assert html.count('<section class="case"') == 30
    assert not re.search(r"<tr><td>3<td>", html)  # --top-k 2: ranks 1 and 2 only
    assert "changed in last run</th>" in html and 'class="badge"' not in html  # same ranking: nothing changed
    capsys.readouterr()
    assert main(["report", "--ranked", str(ranked), "--out", str(tmp_path / "x.html")]) == 2
    assert "--ranked needs --cases and --candidates" in capsys.readouterr().err
    assert main(["report", "--ranked", str(ranked), "--cases", str(data / "cases.csv"), "--candidates",
                 str(data / "candidates.csv"), "--out", str(ranked)]) == 2  # never over an input
    assert not (tmp_path / "x.html").exists()


def test_report_checks_its_mapping_as_screen_does(data: Path, tmp_path: Path,
                                                  one_line: Callable[..., str]) -> None:
    """`report --ranked ... --mapping 'Bron On=birth_date'` (a header no file has) wrote the report without a word,
    where screen refuses the same mapping; `report --db ... --mapping` ignored the mapping."""
    ranked = tmp_path / "ranked.csv"
    files = ["--cases", str(data / "cases.csv"), "--candidates", str(data / "candidates.csv")]
    assert main(["screen", *files, "--top-k", "3", "--out", str(ranked)]) == 0
    out = tmp_path / "r.html"
    for mapping, needle in (("Bron On=birth_date", "maps nothing: cases.csv, candidates.csv have no header 'Bron On'"),
                            ("marks=name", "header 'name' is already read as 'name'")):
        assert main(["report", "--ranked", str(ranked), *files, "--out", str(out), "--mapping", mapping]) == 2
        one_line(needle)
        assert not out.exists()
    assert main(["report", "--db", f"sqlite:///{tmp_path / 'none.db'}", "--out", str(out),
                 "--mapping", "marks=name"]) == 2
    one_line("drop --cases, --candidates, --previous and --mapping")
    assert not out.exists()
    assert main(["report", "--ranked", str(ranked), *files, "--out", str(out), "--mapping", "Marks=marks"]) == 0
    assert out.exists()


def test_report_and_visit_sheets_from_the_store(data: Path, tmp_path: Path, db_url: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--db", db_url, "--out", str(tmp_path / "none.html")]) == 2
    assert main(["rescreen", "--db", db_url, "--cases", str(data / "cases.csv"), "--candidates",
                 str(data / "candidates.csv"), "--top-k", "3"]) == 0
    export = tmp_path / "export.csv"
    assert main(["export", "--db", db_url, "--out", str(export)]) == 0
    rows = [line.split(",") for line in export.read_text(encoding="utf-8-sig").splitlines()[1:]]
    (c1, _, p1), (c2, _, p2) = rows[0][:3], rows[3][:3]
    assert main(["dna", "record", "--db", db_url, "--case", c1, "--person", p1, "--outcome", "excluded"]) == 0
    assert main(["dna", "record", "--db", db_url, "--case", c2, "--person", p2, "--outcome", "pending"]) == 0
    capsys.readouterr()
    out = tmp_path / "db.html"
    assert main(["report", "--db", db_url, "--out", str(out), "--lang", "zh"]) == 0
    assert f"报告：{out}" in capsys.readouterr().out
    html = out.read_text(encoding="utf-8")
    summary = dict(re.findall(r'<tr><td>([^<]+)</td><td class="num">([^<]+)</td></tr>', html))
    assert summary["已排除"] == "1" and summary["待检"] == "1" and summary["已确认"] == "0"
    assert summary["上次运行中候选名单有变化的案件"] == "30"  # the first run put every case's top-k
    assert html.count('<section class="case"') == 30 and 'class="pygal-chart dna-chart"' in html
    sheets = tmp_path / "plan.html"
    assert main(["plan", "--db", db_url, "--top-k", "2", "--out", str(sheets)]) == 0
    page = sheets.read_text(encoding="utf-8")
    assert page.count('<section class="county"') >= 3 and "three strongest reasons" in page
    capsys.readouterr()
    assert main(["plan", "--db", db_url, "--top-k", "2", "--out", str(tmp_path / "plan.csv"), "--lang", "zh"]) == 0
    assert (tmp_path / "plan.csv").read_text(encoding="utf-8-sig").startswith("province,county,")  # the contract
    printed = capsys.readouterr().out
    assert f"采样计划：{tmp_path / 'plan.csv'}" in printed and "需采样" in printed and "persons" not in printed


def test_demo_writes_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--out-dir", str(tmp_path), "--cases", "20", "--candidates", "1000"]) == 0
    report = tmp_path / "report.html"
    assert f"report: {report}" in capsys.readouterr().out
    assert report.read_text(encoding="utf-8").count('<section class="case"') == 20


def test_evaluate_reads_a_chinese_ranked_csv(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = {}
    for lang in ("en", "zh"):
        out = tmp_path / f"ranked-{lang}.csv"
        assert main(["screen", "--cases", str(data / "cases.csv"), "--candidates", str(data / "candidates.csv"),
                     "--top-k", "5", "--out", str(out), "--lang", lang]) == 0
        capsys.readouterr()
        assert main(["evaluate", "--truth", str(data / "truth.csv"), "--ranked", str(out)]) == 0
        outputs[lang] = capsys.readouterr().out
    assert outputs["zh"] == outputs["en"] and "recall@" in outputs["en"]


@pytest.mark.parametrize(("make", "kind"), [
    (lambda folder: folder / "nowhere.csv", "找不到文件"),
    (lambda folder: _file(folder / "bad.csv", b"a,b\n1,2\n"), "缺少必需的列"),
    (lambda folder: _file(folder / "enc.csv", b"\xff\xfe\x00\x81\x30"), "文件编码无法识别"),
])
def test_chinese_user_errors(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                             make: Callable[[Path], Path], kind: str) -> None:
    cases = make(tmp_path)
    argv = ["screen", "--cases", str(cases), "--candidates", str(data / "candidates.csv"),
            "--out", str(tmp_path / "ranked.csv")]
    assert main([*argv, "--lang", "zh"]) == 2
    chinese = capsys.readouterr().err
    assert main(argv) == 2
    english = capsys.readouterr().err
    assert english.startswith("reunite screen: error: ") and kind not in english
    # the framing and the kind in Chinese, the detail as in English
    assert chinese == english.replace("reunite screen: error: ", f"reunite screen：错误：{kind}：")


def _file(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(("column", "value", "expected"), [
    ("rank", "x", "column 'rank': expected a whole number >= 1, got 'x'"),
    ("rank", "", "column 'rank': expected a whole number >= 1, got ''"),
    ("score", "nan", "column 'score': expected a finite number, got 'nan'"),
    ("probability", "7", "column 'probability': expected a probability from 0 to 1, got '7'"),
])
@pytest.mark.parametrize("as_previous", [False, True])
def test_a_hand_edited_ranked_csv_is_one_line_not_a_traceback(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], column: str, value: str, expected: str,
    as_previous: bool,
) -> None:
    """A score of 'nan' stopped `reunite report` with "ValueError: cannot convert float NaN to integer",
    and a rank that is not a number did so when the file was given as --previous."""
    ranked = tmp_path / "ranked.csv"
    assert main(["screen", "--cases", str(data / "cases.csv"), "--candidates", str(data / "candidates.csv"),
                 "--top-k", "2", "--out", str(ranked)]) == 0
    with ranked.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[1][rows[0].index(column)] = value
    edited = tmp_path / "edited.csv"
    with edited.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    given = ["--ranked", str(ranked), "--previous", str(edited)] if as_previous else ["--ranked", str(edited)]
    capsys.readouterr()
    assert main(["report", *given, "--cases", str(data / "cases.csv"), "--candidates",
                 str(data / "candidates.csv"), "--out", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"reunite report: error: {edited} row 2: {expected}"]
    assert not (tmp_path / "r.html").exists()
