"""How big the HTML report is, how long it takes to write, and how fast Chromium opens it.

    python benchmarks/bench_report.py --cases 2000 --candidates 100000 --top-k 10

Generates seeded synthetic data (``reunite.synth``), screens it, writes ``report.html`` with
``ScreenResult.to_html`` (the inputs given, so records show every cell), then opens it in headless
Chromium three times and keeps the fastest: the page's own timing (first contentful paint -- the first
screen shown --, the file read, DOMContentLoaded and the load event, which comes after every SVG chart
and the filter script) read by a probe script appended to a copy of the file; then a page of plain text
of the same size, as a baseline of what reading that many bytes costs the browser on this machine.
Prints one JSON object; ``--out`` also writes it.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROBE = """<pre id="bench-probe"></pre><script>
window.addEventListener("load", function () {
  var n = performance.getEntriesByType("navigation")[0];
  var paint = performance.getEntriesByName("first-contentful-paint");
  document.getElementById("bench-probe").textContent = JSON.stringify({
    // null: the first paint came after the load event
    first_contentful_paint_ms: paint.length ? paint[0].startTime : null, file_read_ms: n.responseEnd,
    dom_content_loaded_ms: n.domContentLoadedEventEnd, load_ms: performance.now(),
    sections: document.querySelectorAll("section.case").length,
    svg: document.querySelectorAll("svg").length});
});
</script>"""


def open_in_chromium(report: Path, work: Path, *, baseline: bool = False) -> dict[str, float]:
    """The fastest of three opens: navigation timing and the wall time of the whole browser run.

    With ``baseline``, a page of plain text of the report's size instead: what reading that many bytes
    costs the browser on this machine, whatever they hold."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        raise SystemExit("chromium is not installed (Debian: apt-get install chromium fonts-noto-cjk)")
    probed = work / ("baseline.html" if baseline else "probed.html")
    if baseline:
        size = report.stat().st_size
        probed.write_text(f"<!DOCTYPE html><html><body><pre>{'x' * size}</pre>{PROBE}</body></html>", encoding="utf-8")
    else:
        probed.write_text(report.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    best: dict[str, float] | None = None
    for attempt in range(3):
        started = time.perf_counter()
        done = subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={work / f'profile{attempt}'}",
             "--dump-dom", probed.as_uri()], capture_output=True, text=True, timeout=300, check=True)
        wall = time.perf_counter() - started
        found = re.search(r'<pre id="bench-probe">(.*?)</pre>', done.stdout, flags=re.S)
        if not found or not found.group(1):
            raise SystemExit("the probe did not run: " + done.stderr[-1000:])
        timing = json.loads(found.group(1).replace("&quot;", '"'))
        timing["browser_wall_s"] = wall
        if best is None or timing["load_ms"] < best["load_ms"]:
            best = timing
    assert best is not None
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--candidates", type=int, default=100_000)
    parser.add_argument("--top-k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--lang", choices=("en", "zh"), default="zh")
    parser.add_argument("--work-dir", type=Path, default=None, help="keep the data and report here")
    parser.add_argument("--out", type=Path, default=None, help="also write the figures as JSON")
    args = parser.parse_args(argv)

    import reunite
    from reunite.synth import generate, write

    work = args.work_dir or Path(tempfile.mkdtemp(prefix="bench-report-"))
    work.mkdir(parents=True, exist_ok=True)
    paths = write(generate(args.cases, args.candidates, seed=args.seed), work)
    started = time.perf_counter()
    result = reunite.screen(paths.cases, paths.candidates, top_k=args.top_k, seed=args.seed)
    screened = time.perf_counter() - started
    started = time.perf_counter()
    report = result.to_html(work / "report.html", cases=paths.cases, candidates=paths.candidates, lang=args.lang)
    written = time.perf_counter() - started
    figures = {
        "cases": args.cases, "candidates": args.candidates, "top_k": args.top_k, "ranked_rows": len(result),
        "lang": args.lang, "screen_s": round(screened, 1), "report_write_s": round(written, 1),
        "report_bytes": report.stat().st_size, "report_mb": round(report.stat().st_size / 1e6, 2),
        **{k: round(v, 3) if isinstance(v, float) else v for k, v in open_in_chromium(report, work).items()},
        "plain_text_same_size_load_ms": round(open_in_chromium(report, work, baseline=True)["load_ms"], 1),
    }
    text = json.dumps(figures, indent=1)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
