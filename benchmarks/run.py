"""reunite beside recordlinkage, Splink (DuckDB) and today's practice, on the same generated data.

Usage (from the repository root)::

    python benchmarks/run.py --size small --out /tmp/bench-small.json
    python benchmarks/run.py --cases 2000 --candidates 200000 --tools reunite-simple,splink

Each tool runs in its own subprocess with a time limit, so one hang or crash does not end the run,
and its peak memory is that subprocess's maximum resident set size (``os.wait4``). Rows:

``reunite``          reunite's default settings (all comparisons, both blocking passes), in process;
``reunite-cli``      the ``reunite screen`` command end to end (read, normalize, screen, write);
``reunite-simple``   reunite with the issue's simple comparison set (see peers.py), for the speed ratio;
``recordlinkage``, ``splink``  the simple set on reunite's normalized features;
``practice``         same sex, born within 1 year, random order.

The result is JSON (``--out x.json``) and a markdown table beside it (``x.md``); the table is also
printed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

if TYPE_CHECKING:
    from peers import Stages, TopK
    from reunite.normalize import RecordTable

# The parent imports only the standard library: a child's peak RSS on Linux starts at its parent's
# high-water mark (kept across fork and exec), so a heavy parent would inflate every tool's figure.
# Data generation and every tool run in subprocesses.

SIZES: dict[str, tuple[int, int]] = {
    "small": (100, 5_000),
    "medium": (2_000, 200_000),
    "large": (10_000, 1_000_000),
}
TOOLS = ("reunite", "reunite-cli", "reunite-simple", "reunite-simple-mt", "recordlinkage", "splink", "practice")
# Stages that make up "match" time: everything after the features are in memory, before writing.
MATCH_STAGES = ("load", "prepare", "train", "block", "compare", "compare+score", "score", "rank", "output")
PAIR_STAGES = ("block", "compare", "compare+score", "score", "rank")
TOP_K = 10


# -- data ------------------------------------------------------------------------------------------

def ensure_data(directory: Path, n_cases: int, n_candidates: int, seed: int) -> Path:
    """Generated CSVs and the peers' feature files in ``directory`` (made once, then reused)."""
    import pandas as pd

    from peers import export_features, simple_tables
    from reunite.ingest import read_table
    from reunite.normalize import normalize
    from reunite.synth import generate, write

    done = directory / "features.done"
    if done.exists():
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    write(generate(n_cases, n_candidates, seed=seed), directory)
    cases, candidates = (normalize(read_table(directory / f"{side}.csv", side))
                         for side in ("cases", "candidates"))
    simple_cases, simple_cands = simple_tables(cases, candidates)
    for name, table in (("cases", simple_cases), ("candidates", simple_cands)):
        frame = export_features(table)
        frame.to_parquet(directory / f"{name}.features.parquet", index=False)
        pd.DataFrame({"id": table.ids.astype(str)}).to_parquet(directory / f"{name}.ids.parquet", index=False)
    done.write_text(f"{time.perf_counter() - started:.1f} s\n", encoding="utf-8")
    return directory


# -- workers (run in a subprocess) -----------------------------------------------------------------

class SerialExecutor:
    """A stand-in for ThreadPoolExecutor that runs each task when submitted, on the calling thread."""

    def __init__(self, max_workers: int | None = None) -> None:
        del max_workers

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def submit(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(function(*args, **kwargs))
        return future


@contextmanager
def instrument(stages: Stages) -> Iterator[None]:
    """Time reunite's own stages inside ``screen`` by wrapping the functions it calls.

    Nothing in reunite is changed on disk; the wrappers are removed on exit. Chunks are scored one
    after the other on the calling thread (screen's thread pool is replaced by a serial one), so the
    stages add up to the wall time. ``score`` is ``score_chunk`` minus its compare and rank calls.
    """
    import reunite.matching.score as score_module
    import reunite.pipeline as pipeline
    from reunite.matching.blocking import plan
    from reunite.matching.compare import compare_pairs
    from reunite.matching.exact import factor_sums, posteriors_from_sums
    from reunite.matching.prune import score_span_pruned
    from reunite.matching.rank import survivors, top_k

    def timed(function: Callable[..., Any], name: str) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with stages.time(name):
                return function(*args, **kwargs)
        return wrapper

    def timed_span(blocks: Any, model: Any, first: int, last: int, top_k: int, excluded: Any, limits: Any,
                   index: Any = None) -> Any:
        if index is not None:  # windows counted (reunite.matching.prune): its blocking is inside "score"
            with stages.time("_score_chunk"):
                return score_span_pruned(blocks, model, index, first, last, top_k, excluded, limits=limits)[0]
        with stages.time("block"):
            chunk = blocks.chunk(first, last)
        with stages.time("_score_chunk"):
            return score_module.score_chunk(blocks.prep, model, chunk, top_k, excluded, limits=limits)

    replacements: dict[tuple[Any, str], Callable[..., Any]] = {
        (pipeline, "ThreadPoolExecutor"): SerialExecutor,
        (pipeline, "fit_population"): timed(pipeline.fit_population, "prepare"),
        (pipeline, "plan"): timed(plan, "block"),
        (pipeline, "_score_span"): timed_span,
        (score_module, "compare_pairs"): timed(compare_pairs, "compare"),
        (score_module, "factor_sums"): timed(factor_sums, "rank"),
        (score_module, "posteriors_from_sums"): timed(posteriors_from_sums, "rank"),
        (score_module, "survivors"): timed(survivors, "rank"),
        (score_module, "top_k"): timed(top_k, "rank"),
    }
    originals = {key: getattr(*key) for key in replacements}
    for (module, name), function in replacements.items():
        setattr(module, name, function)
    try:
        yield
    finally:
        for (module, name), value in originals.items():
            setattr(module, name, value)
    seconds = stages.seconds
    seconds["score"] = seconds.pop("_score_chunk", 0.0) - seconds.get("compare", 0.0) - seconds.get("rank", 0.0)


def _read_normalize(data: Path, stages: Stages) -> tuple[RecordTable, RecordTable]:
    from reunite.ingest import read_table
    from reunite.normalize import normalize

    with stages.time("read"):
        raw_cases = read_table(data / "cases.csv", "cases")
        raw_cands = read_table(data / "candidates.csv", "candidates")
    with stages.time("normalize"):
        return normalize(raw_cases), normalize(raw_cands)


def _work_reunite(tool: str, data: Path, seed: int) -> dict[str, Any]:
    from peers import SIMPLE_BLOCKING, Stages, simple_model, simple_tables
    from reunite.pipeline import screen

    stages = Stages()
    cases, cands = _read_normalize(data, stages)
    kwargs: dict[str, Any] = {}
    if tool.startswith("reunite-simple"):
        with stages.time("subset"):
            cases, cands = simple_tables(cases, cands)
        kwargs = {"model": simple_model(), "blocking": SIMPLE_BLOCKING}
    if tool == "reunite-simple-mt":
        # as shipped: chunks scored on threads over both cores (as DuckDB uses both for Splink);
        # stages cannot be told apart then, so the whole screen is one "compare+score" figure
        with stages.time("compare+score"):
            result = screen(cases, cands, top_k=TOP_K, seed=seed, **kwargs)
        with stages.time("write"):
            ranked = result.to_csv(data / f"ranked.{tool}.csv")
        return {"stages": stages.seconds, "pairs": result.pairs_compared, "ranked": str(ranked),
                "n_candidates": len(result.candidates)}
    started = time.perf_counter()
    with instrument(stages):
        # chunks scored serially, so the stage times add up to the wall time (the CLI row runs as shipped)
        result = screen(cases, cands, top_k=TOP_K, seed=seed, workers=1, **kwargs)
    inner = sum(stages.seconds.get(s, 0.0) for s in ("prepare", "block", "compare", "score", "rank"))
    stages.add("output", time.perf_counter() - started - inner)
    with stages.time("write"):
        ranked = result.to_csv(data / f"ranked.{tool}.csv")
    return {"stages": stages.seconds, "pairs": result.pairs_compared, "ranked": str(ranked),
            "n_candidates": len(result.candidates)}


def _work_peer(tool: str, data: Path, seed: int) -> dict[str, Any]:
    import pandas as pd

    from peers import PEERS, Stages

    stages = Stages()
    with stages.time("load"):
        cases = pd.read_parquet(data / "cases.features.parquet")
        cands = pd.read_parquet(data / "candidates.features.parquet")
        case_ids = pd.read_parquet(data / "cases.ids.parquet")["id"].to_numpy(dtype=object)
        cand_ids = pd.read_parquet(data / "candidates.ids.parquet")["id"].to_numpy(dtype=object)
    top, pairs = PEERS[tool](cases, cands, TOP_K, seed, stages)
    ranked = data / f"ranked.{tool}.csv"
    _write_ranked(ranked, top, case_ids, cand_ids)
    return {"stages": stages.seconds, "pairs": pairs, "ranked": str(ranked), "n_candidates": len(cands)}


def _write_ranked(path: Path, top: TopK, case_ids: Any, cand_ids: Any) -> None:
    import numpy as np
    import pandas as pd

    case, cand, score = top
    first = np.r_[True, case[1:] != case[:-1]] if case.size else np.zeros(0, dtype=bool)
    starts = np.flatnonzero(first)
    rank = np.arange(case.size) - np.repeat(starts, np.diff(np.r_[starts, case.size])) + 1
    pd.DataFrame({"case_id": case_ids[case], "rank": rank, "person_id": cand_ids[cand],
                  "score": score}).to_csv(path, index=False)


def _work_cli(data: Path, seed: int) -> dict[str, Any]:
    import pandas as pd

    ranked = data / "ranked.reunite-cli.csv"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "reunite.cli", "screen", "--cases", str(data / "cases.csv"),
                    "--candidates", str(data / "candidates.csv"), "--out", str(ranked), "--seed", str(seed)],
                   check=True, stdout=subprocess.DEVNULL)
    pairs = int(pd.read_csv(ranked, usecols=["case_id", "pairs_compared"])
                .drop_duplicates("case_id")["pairs_compared"].sum())
    return {"stages": {"end_to_end": time.perf_counter() - started}, "pairs": pairs, "ranked": str(ranked),
            "n_candidates": None}


def worker(tool: str, data: Path, seed: int, result_path: Path) -> None:
    """Run one tool and write its stages, pair count and metrics as JSON."""
    from reunite.evaluate import evaluate

    if tool == "reunite-cli":
        out = _work_cli(data, seed)
    elif tool in ("reunite", "reunite-simple", "reunite-simple-mt"):
        out = _work_reunite(tool, data, seed)
    else:
        out = _work_peer(tool, data, seed)
    metrics = evaluate(data / "truth.csv", out["ranked"], pairs_compared=out["pairs"],
                       n_candidates=out["n_candidates"])
    out["metrics"] = {k: v for k, v in metrics.as_dict().items() if k != "recall@10_by_tag"}
    result_path.write_text(json.dumps(out, indent=1), encoding="utf-8")


# -- the parent ------------------------------------------------------------------------------------

def run_tool(tool: str, data: Path, seed: int, timeout: float) -> dict[str, Any]:
    """Run a worker subprocess; its wall time, peak RSS (MB) and outcome, whatever happens."""
    result_path = data / f"result.{tool}.json"
    result_path.unlink(missing_ok=True)
    log_path = data / f"log.{tool}.txt"
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", tool, "--data", str(data),
               "--seed", str(seed), "--result", str(result_path)]
    started = time.perf_counter()
    with log_path.open("w", encoding="utf-8") as log:
        spill = data / "duckdb-spill"
        environment = {**os.environ, "REUNITE_BENCH_SPILL": str(spill)}
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment)
        status = "ok"
        while True:
            pid, wait_status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - started > timeout:
                process.kill()
                pid, wait_status, usage = os.wait4(process.pid, 0)
                status = f"timeout after {timeout:.0f} s"
                break
            time.sleep(0.1)
        process.returncode = os.waitstatus_to_exitcode(wait_status)
        shutil.rmtree(spill, ignore_errors=True)  # a killed DuckDB leaves its spill files behind
    row: dict[str, Any] = {"tool": tool, "wall": time.perf_counter() - started,
                           "peak_rss_mb": usage.ru_maxrss / 1024.0, "status": status}
    if status == "ok" and process.returncode != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
        row["status"] = f"failed (exit {process.returncode}): {' | '.join(tail)}"
    if row["status"] == "ok":
        row.update(json.loads(result_path.read_text(encoding="utf-8")))
    return row


def _machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    versions = {}
    for package in ("reunite", "numpy", "pandas", "rapidfuzz", "recordlinkage", "splink", "duckdb"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            "versions": versions}


def _fmt(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _sum(stages: dict[str, float], names: Sequence[str]) -> float | None:
    present = [stages[n] for n in names if n in stages]
    return sum(present) if present else None


def markdown(report: dict[str, Any]) -> str:
    """The result as a markdown table with the ratios of the simple-set rows."""
    lines = [
        f"{report['n_cases']:,} cases x {report['n_candidates']:,} candidates, seed {report['seed']}, "
        f"{report['date']}, {report['machine']['nproc']} cores ({report['machine']['cpu']})",
        "",
        "| tool | pairs | read+norm s | prep/train s | block s | compare s | score s | rank s | "
        "match s | Mpairs/s | peak MB | recall@10 | MRR | status |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in report["rows"]:
        s = row.get("stages", {})
        metrics = row.get("metrics", {})
        pair_seconds = sum(s.get(k, 0.0) for k in PAIR_STAGES)
        match = row.get("match_seconds")
        cells = [
            row["tool"], f"{row['pairs']:,}" if "pairs" in row else "",
            _fmt(_sum(s, ("read", "normalize"))), _fmt(_sum(s, ("load", "prepare", "train"))),
            _fmt(s.get("block")), _fmt(s.get("compare", s.get("compare+score"))),
            "(in compare)" if "compare+score" in s else _fmt(s.get("score")), _fmt(s.get("rank")),
            _fmt(match if match is not None else s.get("end_to_end")),
            _fmt(row["pairs"] / pair_seconds / 1e6, 2) if pair_seconds and "pairs" in row else "",
            f"{row['peak_rss_mb']:.0f}",
            _fmt(metrics.get("recall@10"), 3), _fmt(metrics.get("mrr"), 3), row["status"],
        ]
        lines.append("| " + " | ".join(cells) + " |")
    by_tool = {r["tool"]: r for r in report["rows"] if r.get("match_seconds")}
    for base_name in ("reunite-simple", "reunite-simple-mt"):
        base = by_tool.get(base_name)
        if not base:
            continue
        lines.append("")
        for peer in ("recordlinkage", "splink"):
            if peer in by_tool:
                ratio = by_tool[peer]["match_seconds"] / base["match_seconds"]
                lines.append(f"- match time {peer} / {base_name}: {ratio:.1f}x")
    lines += ["", "match s = " + " + ".join(MATCH_STAGES) + " (what the tool spends once the features are "
              "in memory, before writing); Mpairs/s = pairs / (" + " + ".join(PAIR_STAGES) + ")."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--cases", type=int, help="number of cases (overrides --size)")
    parser.add_argument("--candidates", type=int, help="number of candidates (overrides --size)")
    parser.add_argument("--tools", default=",".join(TOOLS), help=f"comma-separated, of {', '.join(TOOLS)}")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per tool (default 600)")
    parser.add_argument("--data-dir", type=Path, help="where generated data is kept (default: a temp dir)")
    parser.add_argument("--out", type=Path, help="result JSON; a .md table is written beside it")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker == "data":
        ensure_data(args.data, args.cases, args.candidates, args.seed)
        return 0
    if args.worker:
        worker(args.worker, args.data, args.seed, args.result)
        return 0

    n_cases, n_candidates = SIZES[args.size]
    n_cases = args.cases or n_cases
    n_candidates = args.candidates or n_candidates
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = sorted(set(tools) - set(TOOLS))
    if unknown:
        parser.error(f"--tools: expected some of {', '.join(TOOLS)}; got {', '.join(unknown)}")
    data = args.data_dir or Path(tempfile.gettempdir()) / "reunite-bench" / f"{n_cases}x{n_candidates}-seed{args.seed}"
    started = time.perf_counter()
    subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", "data", "--data", str(data),
                    "--cases", str(n_cases), "--candidates", str(n_candidates), "--seed", str(args.seed)],
                   check=True)
    print(f"data in {data} ({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    rows = []
    for tool in tools:
        row = run_tool(tool, data, args.seed, args.timeout)
        if "stages" in row and tool != "reunite-cli":
            row["match_seconds"] = sum(row["stages"].get(s, 0.0) for s in MATCH_STAGES)
        print(f"{tool}: {row['status']} in {row['wall']:.1f} s, peak {row['peak_rss_mb']:.0f} MB", file=sys.stderr)
        rows.append(row)
    report = {
        "n_cases": n_cases, "n_candidates": n_candidates, "seed": args.seed, "top_k": TOP_K,
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": _machine(), "command": " ".join(["python", *sys.argv]), "rows": rows,
    }
    table = markdown(report)
    print(table)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1), encoding="utf-8")
        args.out.with_suffix(".md").write_text(table + "\n", encoding="utf-8")
    return 0 if all(r["status"] == "ok" for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
