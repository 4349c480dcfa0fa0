"""The report and the visit sheets opened in headless Chromium: what a person sees, not only the HTML text."""

from __future__ import annotations

import itertools
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

import reunite
from reunite.cli import main
from reunite.report import ReportData, report_from_columns
from reunite.report.charts import COMPARISON_ORDER, MIN_DRAWN_WEIGHT
from reunite.synth import generate, write

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def screened(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("browser")
    paths = write(generate(40, 2000, seed=5), folder)
    result = reunite.screen(paths.cases, paths.candidates, top_k=5)
    reports = {lang: result.to_html(folder / f"report-{lang}.html", cases=paths.cases, candidates=paths.candidates,
                                    lang=lang) for lang in ("en", "zh")}
    data = report_from_columns(result.columns, result.cases, result.candidates, result.model.spec.comparisons,
                               result.levels, result.contributions, result.pairs_compared)
    return {"folder": folder, "paths": paths, "result": result, "reports": reports, "data": data}


def expected_bars(data: ReportData, detail: int = 3) -> dict[str, int]:
    """Per case section, the rows its field-weight waterfalls draw: one per field weighing enough to draw
    and one for the score, for each of the first ``detail`` candidates."""
    found = {}
    for case in data.cases:
        bars = 0
        for candidate in case.candidates[:detail]:
            totals: dict[str, float] = {}
            for w in candidate.weights:
                key = w.comparison if w.comparison in COMPARISON_ORDER else "other"
                totals[key] = totals.get(key, 0.0) + w.weight
            bars += sum(1 for v in totals.values() if abs(v) >= MIN_DRAWN_WEIGHT) + 1
        found["case-" + re.sub(r"[^0-9A-Za-z_-]", "_", case.case_id)] = bars
    return found


def assert_waterfall(rows: list[list[float]]) -> None:
    """Each field's bar starts where the one above it ends; the last bar, the score, runs from zero to
    where the last field's ends."""
    *steps, score = rows
    ends = [steps[0][0], steps[0][1]]  # the first step starts at zero: either of its ends
    for above, below in itertools.pairwise(steps):
        assert any(abs(a - b) <= 1.5 for a in above for b in below), (above, below)
    zero = [e for e in ends if any(abs(e - s) <= 1.5 for s in score)]
    assert zero, (steps[0], score)  # the first step and the score share zero
    assert any(abs(e - s) <= 1.5 for e in steps[-1] for s in score), (steps[-1], score)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_report_renders_every_case_and_chart_without_console_errors(
    chromium: Any, screened: dict[str, Any], tmp_path: Path, lang: str
) -> None:
    seen, console = chromium.probe(screened["reports"][lang], tmp_path)
    assert console == []
    data: ReportData = screened["data"]
    assert [s["id"] for s in seen["sections"]] == list(expected_bars(data))
    assert all(s["visible"] for s in seen["sections"])
    assert {s["id"]: s["bars"] for s in seen["sections"]} == expected_bars(data)
    waterfalls = [w for s in seen["sections"] for w in s["waterfalls"]]
    assert len(waterfalls) == sum(min(3, len(c.candidates)) for c in data.cases)
    for rows in waterfalls:
        assert_waterfall(rows)
    assert sum(expected_bars(data).values()) > 40  # the charts have bars to count
    firsts = [c for c in data.cases if c.candidates]
    assert seen["histogram_bars"] >= 1
    assert seen["filters_shown"]  # the script ran
    strong = sum(c.candidates[0].probability >= 0.9 for c in firsts)
    assert seen["shown_at_090"] == strong and int(seen["count_at_090"]) == strong
    assert 0 < strong < len(data.cases)  # the filter had something to hide


def test_chinese_text_is_drawn_with_a_cjk_font(chromium: Any, screened: dict[str, Any], tmp_path: Path) -> None:
    seen, _ = chromium.probe(screened["reports"]["zh"], tmp_path)
    # 8 full-width characters at 20 px: a CJK font draws each 1 em wide (a missing glyph box is narrower)
    assert seen["cjk_width"] == pytest.approx(160, abs=4)


def test_report_reads_as_tables_with_javascript_off(chromium: Any, screened: dict[str, Any], tmp_path: Path) -> None:
    # headless --dump-dom runs scripts whatever the flags say: open a copy without its one script instead
    html = screened["reports"]["en"].read_text(encoding="utf-8")
    assert html.count("<script") == 1
    copy = tmp_path / "no-script.html"
    copy.write_text(re.sub(r"<script>.*?</script>", "", html, flags=re.S), encoding="utf-8")
    dom, console = chromium.dump_dom(copy.as_uri())
    assert console == []
    data: ReportData = screened["data"]
    assert dom.count('<section class="case"') == len(data.cases)
    assert dom.count('<table class="ranked">') == sum(1 for c in data.cases if c.candidates)
    assert re.search(r'<form id="filters" hidden="">', dom)  # the filters need the script: not shown


def test_report_screenshot_and_pdf(chromium: Any, screened: dict[str, Any], tmp_path: Path) -> None:
    report = screened["reports"]["zh"]
    case = screened["data"].cases[0].case_id
    shot = chromium.screenshot(f"{report.as_uri()}#case-{case}", tmp_path / "case.png", size=(1100, 1300))
    assert chromium.png_size(shot.read_bytes()) == (1100, 1300)
    assert shot.stat().st_size > 50_000  # a page of text and charts, not a blank image
    pdf = chromium.pdf(report.as_uri(), tmp_path / "report.pdf")
    assert chromium.pdf_pages(pdf.read_bytes()) >= len(screened["data"].cases)  # a page per case when printed


def test_a_page_error_is_caught(chromium: Any, tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text("<html><body><script>notDefined();</script></body></html>", encoding="utf-8")
    _, console = chromium.dump_dom(page.as_uri())
    assert any("notDefined" in line for line in console)


def test_visit_sheets_print_a_page_per_county(
    chromium: Any, screened: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = screened["paths"]
    url = f"sqlite:///{tmp_path / 'reunite.db'}"
    reunite.rescreen(url, cases=paths.cases, candidates=paths.candidates, top_k=5)
    out = tmp_path / "plan.html"
    assert main(["plan", "--db", url, "--top-k", "2", "--out", str(out), "--lang", "zh"]) == 0
    html = out.read_text(encoding="utf-8")
    counties = html.count('<section class="county"')
    assert counties >= 5
    _, console = chromium.dump_dom(out.as_uri())
    assert console == []
    pdf = chromium.pdf(out.as_uri(), tmp_path / "plan.pdf")
    assert chromium.pdf_pages(pdf.read_bytes()) >= counties  # each county starts a page
    # the printed text (NFKC: the embedded CJK fonts map some glyphs to Kangxi radicals)
    pages = [unicodedata.normalize("NFKC", page.extract_text()) for page in PdfReader(pdf).pages]
    assert all(f"第 {i} / {len(pages)}" in text for i, text in enumerate(pages, start=1))  # page numbers
    headings = [text.count("走访单 · ") for text in pages]  # a county's heading: "DNA 采样走访单 · 县区"
    assert sum(headings) == counties and max(headings) == 1  # every county, never two on one page
    shot = chromium.screenshot(out.as_uri(), tmp_path / "plan.png", size=(900, 1200))
    assert shot.stat().st_size > 30_000


def test_the_report_benchmark_runs_small(chromium: Any, tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, str(root / "benchmarks" / "bench_report.py"), "--cases", "30", "--candidates", "1500",
         "--work-dir", str(tmp_path / "work"), "--out", str(out)],
        capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["sections"] == 30 and figures["ranked_rows"] == 300 and figures["svg"] >= 31
    assert figures["report_bytes"] > 100_000 and figures["load_ms"] > 0
