"""Reports people read: one self-contained HTML report of a ranking, and printable visit sheets.

:func:`write_report` draws :class:`ReportData` (gathered by :func:`report_from_columns` from a screen,
:func:`report_from_ranked` from a RANKED.csv, or :mod:`reunite.stored_report` from the store);
:func:`write_visit_sheets` draws the sampling plan, one printable page per county.
"""

from __future__ import annotations

from reunite.report.build import changed_cases, read_ranked, records_of, report_from_columns, report_from_ranked
from reunite.report.data import CaseView, FieldWeight, RankedCandidate, ReportData, parse_reasons
from reunite.report.html import DEFAULT_DETAIL_RANKS, render_report, write_report
from reunite.report.visits import (
    VisitCase,
    VisitPerson,
    render_visit_sheets,
    township_of,
    visits_from_plan,
    write_visit_sheets,
)

__all__ = [
    "DEFAULT_DETAIL_RANKS", "CaseView", "FieldWeight", "RankedCandidate", "ReportData", "VisitCase", "VisitPerson",
    "changed_cases", "parse_reasons", "read_ranked", "records_of", "render_report", "render_visit_sheets",
    "report_from_columns", "report_from_ranked", "township_of", "visits_from_plan", "write_report",
    "write_visit_sheets",
]
