"""The HTML report and visit sheets as text: self-contained, escaped, masked, every case, both languages."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pandas as pd
import pytest

import reunite
from reunite.i18n import RANKED_HEADERS, TEXT
from reunite.matching.comparisons import REGISTRY
from reunite.report import (
    VisitCase,
    VisitPerson,
    changed_cases,
    parse_reasons,
    read_ranked,
    render_visit_sheets,
    report_from_ranked,
)

ID = "11010519491231002X"


@pytest.fixture(scope="module")
def screened() -> reunite.ScreenResult:
    cases = pd.DataFrame({
        "case_id": ["C1", "C2", "C3"], "name": ["王小红", "<script>alert(1)</script>", "李强"],
        "sex": ["女", "女", "男"], "birth_date": ["1988年5月", "1990", "1930"],
        "missing_region": ["360302", "江西省萍乡市", "110105"], "marks": ["左耳后有痣", "", ""],
    })
    people = pd.DataFrame({
        "person_id": ["P1", "P2", ID, "P4"], "name": ["李小红", "赵强", "王红", "张三"],
        "former_names": ["王小红", "", "", ""], "sex": ["F", "F", "F", "M"],
        "birth_date": ["1988-05-20", "1988-06-02", "1990-01-01", "1960"],
        "id_number": [ID, "", "", ""], "region": ["江西省萍乡市安源区白源街道", "360302", "360302", "110105"],
        "marks": ["左耳后有痣", "", "", ""],
    })
    return reunite.screen(cases, people, top_k=3)


def test_every_level_label_reads_back_in_both_languages() -> None:
    for name, comparison in REGISTRY.items():
        assert len(comparison.labels_zh) == len(comparison.labels), name
        for level, (en, zh) in enumerate(zip(comparison.labels, comparison.labels_zh, strict=True)):
            for label in (en, zh):
                (found,) = parse_reasons(f"{label} −1.5")
                assert (found.comparison, found.level, found.weight) == (name, level, -1.5)


def test_both_languages_have_every_text() -> None:
    assert set(TEXT["en"]) == set(TEXT["zh"])
    from reunite.pipeline import RANKED_COLUMNS  # not reunite.pipeline: a submodule is an attribute only once imported

    assert set(RANKED_HEADERS["zh"]) == set(RANKED_COLUMNS)


def test_report_is_self_contained_escaped_and_masked(screened: reunite.ScreenResult, tmp_path: Path) -> None:
    html = screened.to_html(tmp_path / "r.html").read_text(encoding="utf-8")
    # nothing fetched: no external script, stylesheet, font or image
    assert not re.search(r"<(?:link|img|iframe)\b|<script\s+src|@import|url\(", html)
    assert set(re.findall(r"https?://[^\s\"'<>]+", html)) <= {"http://www.w3.org/2000/svg"}  # SVG's namespace
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert ID not in html and "110105********002X" in html
    assert html.count('<section class="case"') == 3
    revealed = screened.to_html(tmp_path / "revealed.html", reveal_ids=True).read_text(encoding="utf-8")
    assert ID in revealed


def test_report_shows_each_case_its_candidates_and_what_matched(
    screened: reunite.ScreenResult, tmp_path: Path
) -> None:
    out = screened.to_html(tmp_path / "r.html", cases=None, candidates=None)
    html = out.read_text(encoding="utf-8")
    c1 = re.search(r'<section class="case" id="case-C1".*?</section>', html, flags=re.S)
    assert c1 is not None
    section = c1.group(0)
    ranked = screened.to_pandas().query("case_id == 'C1'")
    assert section.count("<tr><td>") >= len(ranked)
    assert "<mark>小</mark><mark>红</mark>" in section  # the former name 王小红 shares 小红 with the case's name
    assert 'class="pygal-chart weights-chart"' in section
    assert "no candidates ranked" in html  # C3 (born 1930) has nobody in its window


def test_report_in_chinese(screened: reunite.ScreenResult, tmp_path: Path) -> None:
    html = screened.to_html(tmp_path / "zh.html", lang="zh").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in html and "筛查案件数" in html and "记录对照" in html
    assert "出生日期重叠或相差一月内 +" in html or "出生日期相同 +" in html
    assert "born " not in html


def test_ranked_csv_in_chinese_reads_back(screened: reunite.ScreenResult, tmp_path: Path) -> None:
    out = screened.to_csv(tmp_path / "ranked.csv", lang="zh")
    header = out.read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith("案件编号,排名,人员编号,得分,概率,")
    rows = read_ranked(out)
    english = read_ranked(screened.to_csv(tmp_path / "en.csv"))
    assert [(r["case_id"], r["person_id"], r["score"]) for r in rows] == [
        (r["case_id"], r["person_id"], r["score"]) for r in english]
    assert {r["sex"] for r in rows} <= {"男", "女"}
    for zh, en in zip(rows, english, strict=True):
        assert [(w.comparison, w.level, w.weight) for w in parse_reasons(zh["reasons"])] == [
            (w.comparison, w.level, w.weight) for w in parse_reasons(en["reasons"])]
        assert "；" in zh["reasons"] or ";" not in en["reasons"]


def test_a_pairs_compared_cell_that_is_no_number_is_left_out(screened: reunite.ScreenResult, tmp_path: Path) -> None:
    """A hand-edited RANKED.csv: '²' passes str.isdigit, but int() cannot read it; its case's count is
    then unknown instead of the report failing."""
    ranked = screened.to_csv(tmp_path / "ranked.csv")
    text = ranked.read_text(encoding="utf-8-sig").splitlines()
    header = text[0].split(",")
    column = header.index("pairs_compared")
    edited = [text[0]] + [",".join([*line.split(",")[:column], "²"]) if line.startswith("C1,") else line
                          for line in text[1:]]
    ranked.write_text("\n".join(edited) + "\n", encoding="utf-8")
    cases = pd.DataFrame({"case_id": ["C1", "C2", "C3"], "sex": ["女", "女", "男"], "birth_date": ["", "", ""]})
    people = pd.DataFrame({"person_id": ["P1", "P2", ID, "P4"], "sex": ["F", "F", "F", "M"],
                           "birth_date": ["", "", "", ""]})
    data = report_from_ranked(ranked, cases, people)
    assert {c.case_id for c in data.cases} >= {"C1"}
    assert data.pairs_compared < screened.pairs_compared  # C1's count left out, the others kept


def test_report_from_ranked_marks_changed_cases(screened: reunite.ScreenResult, tmp_path: Path) -> None:
    ranked = screened.to_csv(tmp_path / "ranked.csv")
    previous = tmp_path / "previous.csv"
    lines = ranked.read_text(encoding="utf-8-sig").splitlines()
    previous.write_text("\n".join(line for line in lines if not line.startswith("C1,")) + "\n", encoding="utf-8")
    cases = pd.DataFrame({"case_id": ["C1", "C2", "C3"], "sex": ["女", "女", "男"], "birth_date": ["", "", ""]})
    people = pd.DataFrame({"person_id": ["P1", "P2", ID, "P4"], "sex": ["F", "F", "F", "M"],
                           "birth_date": ["", "", "", ""]})
    data = report_from_ranked(ranked, cases, people, previous=previous)
    assert [c.case_id for c in data.cases if c.changed] == ["C1"]
    assert data.changed_known and data.pairs_compared == screened.pairs_compared
    first = data.cases[0].candidates[0]
    assert first.probability == pytest.approx(float(screened.to_pandas()["probability"].iloc[0]), abs=1e-6)
    assert first.weights  # read back from the reasons


def test_changed_cases_counts_entries_and_order() -> None:
    previous = [{"case_id": "C1", "rank": 1, "person_id": "P1"}, {"case_id": "C1", "rank": 2, "person_id": "P2"}]
    assert changed_cases({"C1": ("P1", "P2")}, previous) == set()
    assert changed_cases({"C1": ("P2", "P1")}, previous) == {"C1"}
    assert changed_cases({"C1": ("P1", "P2"), "C2": ("P3",)}, previous) == {"C2"}


def test_visit_sheets_group_by_county_and_township_with_masked_ids() -> None:
    def person(pid: str, county: str, region: str) -> VisitPerson:
        return VisitPerson(county, reunite.report.township_of(region), pid, "王芳", "F", "1988", ID, region, False,
                           0.8, (VisitCase("C1", 1, 0.8, ("same county +7.5", "born the same day +6.1")),))

    people = [person("P1", "江西省萍乡市安源区", "江西省萍乡市安源区白源街道"),
              person("P2", "江西省萍乡市安源区", "江西省萍乡市安源区白源街道"),
              person("P3", "江西省萍乡市安源区", "360302"), person("P4", "北京市西城区", "北京市西城区广安门外街道")]
    html = render_visit_sheets(people, lang="zh")
    assert html.count('<section class="county"') == 2
    assert html.count("乡镇街道: 白源街道") == 1 and "（地址中无乡镇）" in html
    assert ID not in html and html.count("110105********002X") == 4
    assert html.count('<td class="notes">') == 4
    assert "@page{size:A4" in html and "counter(page)" in html
    assert render_visit_sheets([], lang="en").count("nobody to visit") == 1


def test_homophones_are_marked_apart_from_same_characters(tmp_path: Path) -> None:
    cases = pd.DataFrame({"case_id": ["C1"], "name": ["谢美涵"], "sex": ["女"], "birth_date": ["2004"]})
    people = pd.DataFrame({"person_id": ["P1"], "name": ["谢梅涵"], "sex": ["F"], "birth_date": ["2004-08-09"]})
    html = reunite.screen(cases, people, top_k=1).to_html(tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<mark>谢</mark><mark class=h>梅</mark><mark>涵</mark>" in html
    assert "<mark>谢</mark><mark class=h>美</mark><mark>涵</mark>" in html


def test_every_comparison_has_its_own_colour_in_the_charts() -> None:
    from reunite.report.charts import COLOURS
    from reunite.report.data import COMPARISON_ORDER

    assert sorted(COMPARISON_ORDER) == sorted(REGISTRY)
    assert len(COLOURS) == len(COMPARISON_ORDER) + 1 == len(set(COLOURS))  # and "other"
    assert all(REGISTRY[name].title and REGISTRY[name].title_zh for name in COMPARISON_ORDER)
    # each comparison's own place and colour (its module's chart_order and chart_colour): one place each
    assert len({REGISTRY[name].chart_order for name in COMPARISON_ORDER}) == len(COMPARISON_ORDER)
    assert COLOURS[:-1] == tuple(REGISTRY[name].chart_colour for name in COMPARISON_ORDER)


def test_the_charts_keep_their_order_and_colours() -> None:
    # the order and colours the report has always drawn, now asked of each comparison
    from reunite.report.charts import COLOURS
    from reunite.report.data import COMPARISON_ORDER

    assert COMPARISON_ORDER == ("birth", "birth_monthday", "birth_month", "region", "vague_place", "route",
                                "given_name", "surname", "registration", "timeline", "marks")
    assert COLOURS == ("#0072B2", "#56B4E9", "#9AC8E8", "#009E73", "#2F6B4F", "#8FD175", "#E69F00", "#F0E442",
                       "#CC79A7", "#D55E00", "#7F4F24", "#999999")


def test_fit_report_in_both_languages() -> None:
    from reunite.matching.learn import FitReport

    fitted = FitReport(accepted=True, reason="", cases=1200, pairs=45000, expected_matches=812.4, confident_cases=790,
                       share_matched=0.66, iterations=7, converged=True,
                       moved=(("birth", "same birth date", 9.5, 10.75),))
    assert fitted.format() == (
        "m fitted on 1,200 cases (45,000 pairs): 790 cases with a likely child, 812 expected true pairs, "
        "7 EM iterations\n  weights that moved most (1 moved by a bit or more):\n"
        f"  {'birth':<13} {'same birth date':<44}  +9.50 -> +10.75 bits")
    assert fitted.format("zh").splitlines() == [
        "已用 1,200 个案件（45,000 对）拟合 m：790 个案件很可能有孩子在候选人中，预计真实配对 812 对，EM 迭代 7 次",
        "  变化最大的权重（1 项变化 1 比特以上）：",
        f"  {'birth':<13} {'same birth date':<44}  +9.50 -> +10.75 比特"]
    real = FitReport(accepted=True, reason="", cases=1200, pairs=45000, expected_matches=812.4, confident_cases=790,
                     share_matched=0.66, iterations=7, converged=True,
                     moved=(("birth", "born the same day", 9.5, 10.75),))
    assert real.format("zh").splitlines()[-1].split() == ["出生日期", "出生日期相同", "+9.50", "->", "+10.75", "比特"]
    refused = FitReport(accepted=False, reason="too few cases", cases=3, pairs=9, expected_matches=0.0,
                        confident_cases=0, share_matched=0.0, iterations=0, converged=False)
    assert refused.format() == "m not fitted (too few cases); the model's own m is used"
    assert refused.format("zh") == "未拟合 m（too few cases）；使用模型自带的 m"


def test_screen_summary_in_chinese(screened: reunite.ScreenResult) -> None:
    english, chinese = screened.summary(), screened.summary("zh")
    assert english.startswith("screened 3 cases against ")
    assert chinese.startswith("筛查 3 个案件，候选人 ") and "个案件有候选人排名（前" in chinese
    assert len(english.splitlines()) == len(chinese.splitlines())


def test_waterfall_steps_end_at_the_score_and_draw_one_row_each(screened: reunite.ScreenResult) -> None:
    from reunite.report import report_from_columns
    from reunite.report.charts import SCORE_COLOUR, waterfall_steps, weights_charts

    data = report_from_columns(screened.columns, screened.cases, screened.candidates,
                               screened.model.spec.comparisons, screened.levels, screened.contributions,
                               screened.pairs_compared)
    candidates = [c for case in data.cases for c in case.candidates[:3]]
    assert candidates
    for candidate in candidates:
        steps = waterfall_steps(candidate)
        assert steps[0][1] == 0.0 and abs(steps[-1][2] - candidate.score) < 1e-3
        assert all(after == following[1] for (_, _, after), following in itertools.pairwise(steps))
    svgs = weights_charts(candidates[:3], "en")
    assert len(svgs) == 3
    assert ">birth</text>" in svgs[0] and ">score</text>" in svgs[0] and "</text>" not in svgs[1].split("axis x")[0]
    for svg, candidate in zip(svgs, candidates, strict=False):
        crossing = sum(1 for _, before, after in waterfall_steps(candidate) if before * after < 0)
        assert svg.count("<rect ") == len(waterfall_steps(candidate)) + crossing + 1  # the score: one more
        assert "#FFFFFE" not in svg and svg.count(f'fill="{SCORE_COLOUR}"') == 1  # the base is not in the SVG


def test_a_lunar_calendar_cell_reads_as_nongli_in_chinese(tmp_path: Path) -> None:
    cases = pd.DataFrame({"case_id": ["C1"], "name": ["王小红"], "sex": ["女"], "birth_date": ["1988-03-18"],
                          "birth_calendar": ["lunar"], "missing_region": ["360302"]})
    people = pd.DataFrame({"person_id": ["P1"], "name": ["王小红"], "sex": ["F"], "birth_date": ["1988-05-03"],
                           "region": ["360302"]})
    cases.to_csv(tmp_path / "cases.csv", index=False)
    people.to_csv(tmp_path / "people.csv", index=False)
    result = reunite.screen(tmp_path / "cases.csv", tmp_path / "people.csv", top_k=1)
    sources = {"cases": tmp_path / "cases.csv", "candidates": tmp_path / "people.csv"}
    chinese = result.to_html(tmp_path / "zh.html", lang="zh", **sources).read_text(encoding="utf-8")
    english = result.to_html(tmp_path / "en.html", **sources).read_text(encoding="utf-8")
    assert "<td>农历</td>" in chinese and "1988-03-18 (农历)" in chinese and ">lunar<" not in chinese
    assert "<td>lunar</td>" in english


def test_a_birth_shifted_by_whole_years_has_its_year_marked(tmp_path: Path) -> None:
    cases = pd.DataFrame({"case_id": ["C1"], "name": ["王小红"], "sex": ["女"], "birth_date": ["1988-05-03"],
                          "missing_region": ["360302"]})
    people = pd.DataFrame({"person_id": ["P1", "P2"], "name": ["王小红", "王小红"], "sex": ["F", "F"],
                           "birth_date": ["1990-05-03", "1990-07-19"], "region": ["360302", "360302"]})
    cases.to_csv(tmp_path / "cases.csv", index=False)
    people.to_csv(tmp_path / "people.csv", index=False)
    result = reunite.screen(tmp_path / "cases.csv", tmp_path / "people.csv", top_k=2)
    html = result.to_html(tmp_path / "r.html", cases=tmp_path / "cases.csv",
                          candidates=tmp_path / "people.csv").read_text(encoding="utf-8")
    assert "<mark class=y>1990</mark>-05-03" in html  # the same birthday two years later
    assert "1990-07-19" in html and "<mark class=y>1990</mark>-07-19" not in html
