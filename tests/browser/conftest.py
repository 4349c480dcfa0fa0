"""Headless Chromium for the browser tests: the report and the visit sheets opened as a person would.

The tests skip, saying what is missing, where no Chromium is installed (Debian: ``apt-get install chromium
fonts-noto-cjk``). ``.ci/run`` installs both and sets ``REUNITE_REQUIRE_BROWSER=1``, which turns that skip
into a failure: in CI these tests run or the run fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
REQUIRE = "REUNITE_REQUIRE_BROWSER"


@dataclass(frozen=True)
class Chromium:
    """One headless Chromium binary, run once per call with a profile of its own."""

    binary: str
    profile: Path

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        command = [self.binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                   "--disable-extensions", "--hide-scrollbars", f"--user-data-dir={self.profile}",
                   "--enable-logging=stderr", "--v=0", *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)

    def dump_dom(self, url: str, *, budget_ms: int = 5000) -> tuple[str, list[str]]:
        """The DOM after the page's scripts ran, and every console message the page logged."""
        done = self.run(f"--virtual-time-budget={budget_ms}", "--dump-dom", url)
        assert done.returncode == 0, f"chromium --dump-dom failed ({done.returncode}): {done.stderr[-2000:]}"
        return done.stdout, console_messages(done.stderr)

    def screenshot(self, url: str, out: Path, size: tuple[int, int] = (1200, 1600)) -> Path:
        done = self.run(f"--window-size={size[0]},{size[1]}", f"--screenshot={out}", url)
        assert done.returncode == 0 and out.is_file(), f"no screenshot: {done.stderr[-2000:]}"
        return out

    def pdf(self, url: str, out: Path) -> Path:
        done = self.run("--no-pdf-header-footer", f"--print-to-pdf={out}", url)
        assert done.returncode == 0 and out.is_file(), f"no PDF: {done.stderr[-2000:]}"
        return out

    def probe(self, report: Path, tmp: Path) -> tuple[dict[str, Any], list[str]]:
        """Open a copy of ``report`` with :data:`PROBE` appended: what rendered, and the console messages."""
        copy = tmp / f"probed-{report.name}"
        copy.write_text(report.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
        dom, console = self.dump_dom(copy.as_uri())
        found = re.search(r'<pre id="probe">(.*?)</pre>', dom, flags=re.S)
        assert found and found.group(1), "the probe script did not run"
        return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&")), console

    @staticmethod
    def pdf_pages(data: bytes) -> int:
        """Pages of a PDF Chromium printed (its page objects are not compressed)."""
        assert data[:5] == b"%PDF-", "not a PDF"
        return len(re.findall(rb"/Type\s*/Page(?![s\w])", data))

    @staticmethod
    def png_size(data: bytes) -> tuple[int, int]:
        assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def console_messages(stderr: str) -> list[str]:
    """The page's console messages (errors, uncaught exceptions, logs) in Chromium's stderr log."""
    return [line for line in stderr.splitlines() if re.search(r":CONSOLE(?:\(\d+\))?[:\]]", line)]


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Chromium:
    binary = next((found for name in BROWSERS if (found := shutil.which(name))), None)
    missing = []
    if binary is None:
        missing.append("a Chromium browser (none of " + ", ".join(BROWSERS) + " is on PATH)")
    if shutil.which("fc-match") is None or "CJK" not in _fc_match("Noto Sans CJK SC"):
        missing.append("the Noto CJK fonts (fc-match does not find 'Noto Sans CJK SC')")
    if missing:
        message = ("browser tests need " + " and ".join(missing)
                   + "; on Debian/Ubuntu: apt-get install -y chromium fonts-noto-cjk")
        if os.environ.get(REQUIRE) == "1":
            pytest.fail(f"{REQUIRE}=1 but {message}", pytrace=False)
        pytest.skip(message)
    assert binary is not None
    return Chromium(binary, tmp_path_factory.mktemp("chromium-profile"))


def _fc_match(pattern: str) -> str:
    done = subprocess.run(["fc-match", "-f", "%{family}", pattern], capture_output=True, text=True, check=False)
    return done.stdout


PROBE = """
<pre id="probe"></pre>
<script>
(function () {
  var out = {sections: [], fonts: {}};
  document.querySelectorAll("section.case").forEach(function (s) {
    // each waterfall as its rows, top down: [left, right] of what is drawn on the row (a step that crosses
    // zero is two rects)
    var waterfalls = [], bars = 0;
    s.querySelectorAll("svg.weights-chart").forEach(function (svg) {
      var rows = {};
      svg.querySelectorAll("g.series rect").forEach(function (r) {
        var box = r.getBoundingClientRect();
        if (box.width > 0 && box.height > 0) {
          var key = Math.round(box.top), row = rows[key];
          rows[key] = row ? [Math.min(row[0], box.left), Math.max(row[1], box.right)] : [box.left, box.right];
        }
      });
      var tops = Object.keys(rows).map(Number).sort(function (a, b) { return a - b; });
      bars += tops.length;
      waterfalls.push(tops.map(function (t) { return rows[t]; }));
    });
    out.sections.push({id: s.id, bars: bars, waterfalls: waterfalls, visible: s.getBoundingClientRect().height > 0});
  });
  out.histogram_bars = 0;
  document.querySelectorAll("svg.score-histogram rect.rect").forEach(function (r) {
    if (r.getBoundingClientRect().width > 0) { out.histogram_bars++; }
  });
  out.filters_shown = !document.getElementById("filters").hidden;
  var select = document.getElementById("f-p");
  select.value = "0.9";
  select.dispatchEvent(new Event("change", {bubbles: true}));
  out.shown_at_090 = document.querySelectorAll("section.case:not([hidden])").length;
  out.count_at_090 = document.getElementById("f-count").value;
  select.value = "0";
  select.dispatchEvent(new Event("change", {bubbles: true}));
  var probe = document.createElement("span");
  probe.style.font = "20px " + getComputedStyle(document.body).fontFamily;
  probe.textContent = "出生日期相同同县";
  document.body.appendChild(probe);
  out.cjk_width = probe.getBoundingClientRect().width;
  document.getElementById("probe").textContent = JSON.stringify(out);
})();
</script>
"""


