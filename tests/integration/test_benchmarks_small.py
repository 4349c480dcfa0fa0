"""The benchmarks run, small, so they cannot rot: every tool produces a ranking and metrics.

No timing is asserted: the machine is shared and the figures belong in benchmarks/README.md.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ("reunite", "reunite-cli", "reunite-simple", "recordlinkage", "splink", "practice")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    pytest.importorskip("recordlinkage")
    pytest.importorskip("splink")
    tmp = tmp_path_factory.mktemp("bench")
    out = tmp / "result.json"
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--cases", "60", "--candidates", "3000",
         "--tools", ",".join(TOOLS), "--timeout", "120", "--data-dir", str(tmp / "data"), "--out", str(out)],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    loaded: dict[str, object] = json.loads(out.read_text(encoding="utf-8"))
    assert out.with_suffix(".md").read_text(encoding="utf-8").count("| ok |") == len(TOOLS)
    return loaded


def _rows(report: dict[str, object]) -> dict[str, dict[str, object]]:
    rows = report["rows"]
    assert isinstance(rows, list)
    return {str(row["tool"]): row for row in rows}


def test_every_tool_ranks_and_is_evaluated(report: dict[str, object]) -> None:
    rows = _rows(report)
    assert tuple(rows) == TOOLS
    for tool, row in rows.items():
        assert row["status"] == "ok", tool
        assert isinstance(row["pairs"], int) and row["pairs"] > 0, tool
        metrics = row["metrics"]
        assert isinstance(metrics, dict)
        assert 0.0 <= metrics["recall@10"] <= 1.0, tool
        assert 0.0 <= metrics["mrr"] <= metrics["recall@10"], tool
        assert isinstance(row["peak_rss_mb"], float) and row["peak_rss_mb"] > 0, tool
        assert Path(str(row["ranked"])).stat().st_size > 0, tool


def test_simple_set_blocks_the_same_pairs_in_every_engine(report: dict[str, object]) -> None:
    rows = _rows(report)
    assert rows["reunite-simple"]["pairs"] == rows["recordlinkage"]["pairs"] == rows["splink"]["pairs"]
    assert rows["reunite-cli"]["pairs"] == rows["reunite"]["pairs"]


def test_report_names_the_machine(report: dict[str, object]) -> None:
    machine = report["machine"]
    assert isinstance(machine, dict)
    assert machine["nproc"] >= 1 and machine["versions"]["splink"] != "not installed"


def test_normalize_benchmark_runs(tmp_path: Path) -> None:
    out = tmp_path / "normalize.json"
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_normalize.py"), "--rows", "2000", "--budget", "600",
         "--data-dir", str(tmp_path), "--out", str(out)],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["rows_read"] == 2000 and 0 < result["rows_accepted"] <= 2000
    assert result["normalize_rows_per_second"] > 0 and result["peak_mb_after_normalize"] > 0


def test_prepare_benchmark_runs(tmp_path: Path) -> None:
    out = tmp_path / "prepare.json"
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_prepare.py"), "--rows", "2000", "--budget", "600",
         "--data-dir", str(tmp_path), "--out", str(out)],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["rows_read"] == 2000 and result["parquet_mb"] > 0
    assert all(result[stage]["wall_s"] > 0 for stage in ("read", "rows", "normalize", "write", "load"))


def test_prepare_update_benchmark_runs(tmp_path: Path) -> None:
    out = tmp_path / "update.json"
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_prepare_update.py"), "--rows", "2000", "--repeat", "1",
         "--data-dir", str(tmp_path), "--out", str(out)],
        capture_output=True, text=True, timeout=180, cwd=ROOT,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["tonight"] == {"rows": 2008, "edited": 10, "new": 10, "gone": 2}
    assert [run["kind"] for run in result["runs"]] == ["update", "fresh"]
    assert "updated from yesterday.parquet" in result["runs"][0]["line"]
    assert all(run["peak_gb"] > 0 for run in result["runs"])
    assert "the updated table equals the fresh one" in completed.stdout


def test_fit_sample_benchmark_runs(tmp_path: Path) -> None:
    out = tmp_path / "fit_sample.json"
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_fit_sample.py"), "--cases", "60", "--candidates", "3000",
         "--max-cases", "20", "--repeat", "1", "--data-dir", str(tmp_path), "--out", str(out)],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    every, counted = json.loads(out.read_text(encoding="utf-8"))["runs"]
    assert (every["way"], counted["way"]) == ("every pair", "counted by cells")
    for run in (every, counted):
        assert run["cases"] == 20 and run["pairs"] > 0 and run["case_patterns_wall_s"] > 0
    assert (every["pairs"], every["patterns"]) == (counted["pairs"], counted["patterns"])
    assert "patterns counted by cells equal every pair compared" in completed.stdout


def test_the_stage_profile_runs_on_the_same_pairs(report: dict[str, object]) -> None:
    rows = _rows(report)
    data = Path(str(rows["reunite"]["ranked"])).parent
    for extra, tool in (([], "reunite"), (["--simple"], "reunite-simple")):
        completed = subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "profile_stages.py"), "--data-dir", str(data),
             "--repeat", "1", *extra],
            capture_output=True, text=True, timeout=300, cwd=ROOT,
        )
        assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
        assert f"{rows[tool]['pairs']:,} pairs" in completed.stdout, completed.stdout
        assert "compare: given_name" in completed.stdout and "survivors" in completed.stdout


def test_the_cells_timer_times_the_pruned_screen(report: dict[str, object]) -> None:
    data = Path(str(_rows(report)["reunite"]["ranked"])).parent
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "prune_cells_time.py"), "--data-dir", str(data)],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    spent = json.loads(completed.stdout.strip().splitlines()[-1])
    assert spent["_cells"] > 0 and spent["score_span_pruned"] > 0  # (small data: the fit may not count by cells)
    assert spent["screen (its thread)"] >= spent["_span"] >= spent["_cells"] >= spent["_breaks"]


def test_the_kernel_race_runs_against_a_tree(report: dict[str, object]) -> None:
    # this tree against itself: every step runs, and the two outputs of each are asserted equal
    data = Path(str(_rows(report)["reunite"]["ranked"])).parent
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "kernels_ab.py"), "--before-src", str(ROOT / "src"),
         "--data-dir", str(data), "--chunks", "2", "--repeat", "1"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    for step in ("compare: given_name", "compare: registration", "weights", "exact sums", "fit: a chunk's patterns"):
        assert f"| {step}" in completed.stdout, completed.stdout


SUITE_STRATEGIES = ("shipped", "default", "labelled_m", "supervised", "supervised_suite")


def test_randomized_suite_runs_every_strategy_on_every_configuration(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    out = tmp_path / "suite.json"
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "suite.py"), "--configs", "2", "--cases", "40",
         "--candidates", "1500", "--strategies", ",".join(SUITE_STRATEGIES), "--real-mix-draws", "1",
         "--out", str(out)],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    names = [c["name"] for c in result["configurations"]]
    assert names == ["random-0", "random-1", "real-mix", "real-mix-0"]
    rows = {(r["config"], r["strategy"]): r for r in result["rows"]}
    assert set(rows) == {(c, s) for c in names for s in SUITE_STRATEGIES}
    for (config, strategy), row in rows.items():
        for metric in ("recall@10", "mrr", "ece_top", "ece_case"):
            assert 0.0 <= row[metric] <= 1.0, (config, strategy, metric)
        assert math.isnan(row["auc"]) or 0.0 <= row["auc"] <= 1.0
        for tier in row["tiers"].values():
            assert tier["recall@10"] is None or 0.0 <= tier["recall@10"] <= 1.0
        # The bound and the re-ranker learn from the TRAIN draw, another seed than the EVAL draw.
        assert row["eval_seed"] != row["train_seed"]
        if strategy == "shipped":  # no ranking finds a pair that blocking never compared
            assert row["recall@20"] <= row["blocked"] <= 1.0
        if strategy in ("labelled_m", "supervised"):
            assert row["notes"]["trained_on_seed"] == row["train_seed"]
        if strategy == "supervised_suite":  # trained on other configurations only
            assert row["notes"]["trained_on_configs"] and config not in row["notes"]["trained_on_configs"]
    assert len({c["eval_seed"] for c in result["configurations"]}
               | {c["train_seed"] for c in result["configurations"]}) == 2 * len(names)
    # The random configurations differ from each other and from the real mix.
    configs = [json.dumps(c["config"], sort_keys=True) for c in result["configurations"]]
    assert len(set(configs)) == len(configs)
    table = out.with_suffix(".md").read_text(encoding="utf-8")
    assert "labelled_m" in table and "worst r@10" in table and "other_province" in table
    assert "The real mix with the rates it does not count drawn (1 configurations" in table
    assert "| default |" in table.split("Per configuration against `shipped`")[1]


def test_side_by_side_nightly_benchmark_runs(tmp_path: Path) -> None:
    """bench_rescreen_ab.py, small, with this very code as the "before" version too."""
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_rescreen_ab.py"), "--before", str(ROOT / "src"),
         "--sizes", "40x2000", "--repeat", "1"],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    for name in ("before", "after"):
        assert f"40x2000 {name} night 1: wall" in completed.stdout
        assert f"40x2000 {name}: full CPU" in completed.stdout


def test_nightly_import_floor_benchmark_runs() -> None:
    """bench_rescreen_imports.py, once: the night's import process and its split by library."""
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_rescreen_imports.py"), "--repeat", "1"],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    assert "empty process CPU:" in completed.stdout and "imports process CPU:" in completed.stdout
    pieces = next(line for line in completed.stdout.splitlines() if line.startswith("pieces 1: "))
    assert "SQLAlchemy ORM" in pieces and "pypinyin with its dictionaries" in pieces and "in all" in pieces


def test_provincial_benchmark_runs(tmp_path: Path) -> None:
    out = tmp_path / "provincial.json"
    data = tmp_path / "prov"
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_provincial.py"), "--data-dir", str(data),
         "--cases", "30", "--slices", "2", "--slice-rows", "1500", "--out", str(out)],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    lines = (data / "candidates.csv").read_text(encoding="utf-8").splitlines()
    ids = [line.split(",", 1)[0] for line in lines[1:]]
    assert len(ids) == result["candidates"] == 3000 and len(set(ids)) == 3000  # the second slice renumbered
    assert result["prepare"]["peak_rss_mb"] > 0 and result["prepare"]["cpu_s"] > 0
    screen = result["screen"]
    assert 0 < screen["pairs_scored"] <= screen["pairs_in_windows"] and screen["peak_rss_mb"] > 0
    assert "recall@10" in result["evaluate"]
    ranked = (data / "ranked.csv").read_text(encoding="utf-8-sig").splitlines()
    assert ranked[0].startswith("case_id,rank,person_id") and len(ranked) > 30
    # the benchmark's screen is reunite screen's: the same RANKED.csv, byte for byte
    command = Path(sys.executable).with_name("reunite")
    subprocess.run([str(command), "screen", "--cases", str(data / "cases.csv"), "--candidates",
                    str(data / "candidates.parquet"), "--out", str(tmp_path / "cli.csv"), "--seed", "1"],
                   capture_output=True, check=True, timeout=300)
    assert (tmp_path / "cli.csv").read_bytes() == (data / "ranked.csv").read_bytes()


def test_removal_night_benchmark_runs_and_ends_as_a_full_run(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_removals.py"), "--small", "--out-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    assert "ranks 1..10 equal to the full run: True" in completed.stdout


def test_given_names_by_sex_runs_small_and_finds_given_names_gendered(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "given_name_by_sex.py"), "--cleanroom", "8100", "--synth",
         "810000", "--cases", "40", "--candidates", "2000"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    ratios = re.findall(r"given ([+-][0-9.]+) \(n \d+\) pinyin ([+-][0-9.]+) \(n \d+\) surname ([+-][0-9.]+)",
                        completed.stdout)
    assert len(ratios) == 2, completed.stdout
    for given, _, surname in ratios:  # both generators draw given names by sex, surnames not
        assert float(given) > 0.5 and abs(float(surname)) < 0.3
