"""Known routes of trafficked children, from the publicly reported reunions in reunion_flows.csv.

1,458 reported reunions give the province a child was taken from and the one it was found in; most
ran along a few routes (贵州 → 福建 alone is a tenth). For a case lost in province ``o``, a candidate
registered in another province ``d`` is "on a known route" when ``d`` took a fair share of the
children taken out of ``o``. Shares of a province with few reunions are shrunk towards the national
shares of destinations (``(n_od + k * national_d) / (n_o + k)``, ``k`` reunions of prior), so one
reunion alone does not make a route; a province with no reunions at all gets the national shares, so
the main destinations (福建, 河南, 河北 ...) count as routes from it too. The counts are facts about
solved cases, biased towards what was solved: the levels (:mod:`reunite.matching.comparisons.route`) are
evidence whose weight the model learns, not rules.
"""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from importlib import resources

import numpy as np

from reunite._typing import F64

__all__ = ["PROVINCES", "route_shares"]

PROVINCES = 100  # province codes are two digits: 11 (北京) .. 82 (澳门)
_PRIOR_REUNIONS = 10.0


def _province_codes() -> dict[str, int]:
    """Province short names (贵州) and full names (贵州省) -> two-digit code (52)."""
    text = resources.files("reunite.data").joinpath("regions_divisions.tsv").read_text(encoding="utf-8")
    out: dict[str, int] = {}
    for line in text.splitlines():
        if line.startswith("#") or line.startswith("code"):
            continue
        code, level, name, short, *_ = line.split("\t")
        if level == "1":
            out[short] = out[name] = int(code) // 10_000
    return out


@lru_cache(maxsize=1)
def route_shares() -> F64:
    """(origin, destination) share of the out-of-province reunions of each origin province, shrunk
    towards the national shares: a (100, 100) table by two-digit province code, zero on the diagonal.

    >>> shares = route_shares()
    >>> round(float(shares[52, 35]), 2) > 0.3  # 贵州 -> 福建
    True
    """
    codes = _province_codes()
    counts = np.zeros((PROVINCES, PROVINCES))
    text = resources.files("reunite.data").joinpath("reunion_flows.csv").read_text(encoding="utf-8")
    for row in csv.DictReader(io.StringIO(text)):
        origin, destination = codes.get(row["origin_province"]), codes.get(row["destination_province"])
        if origin is not None and destination is not None and origin != destination:
            counts[origin, destination] += float(row["reunions"])
    national = counts.sum(axis=0) / max(counts.sum(), 1.0)
    per_origin = counts.sum(axis=1, keepdims=True)
    shares: F64 = (counts + _PRIOR_REUNIONS * national[None, :]) / (per_origin + _PRIOR_REUNIONS)
    np.fill_diagonal(shares, 0.0)
    shares.setflags(write=False)  # cached: shared by every caller
    return shares
