"""The report as one self-contained HTML file: a summary, then a section per case.

Rendered by jinja2 with autoescape on (every value from the data is escaped; only the SVG of the
charts and the marked-up record text built here from escaped pieces are inserted as markup). The file
links nothing: no font, script or stylesheet is fetched, so it opens on an offline workstation; it
reads as plain tables with JavaScript off, and a few lines of inline script only add the filters.
ID-shaped values are masked everywhere unless ``reveal_ids``.
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from reunite.export.files import write_text
from reunite.i18n import TEXT, Language, calendar_text, check_language, reason_separator, sex_text
from reunite.ingest._safe import mask_id, mask_id_numbers
from reunite.matching.comparisons.birth_monthday import Level as BirthdayLevel
from reunite.report import charts
from reunite.report.data import (
    COMPARISON_ORDER,
    CaseView,
    FieldWeight,
    RankedCandidate,
    ReportData,
    comparison_title,
)

__all__ = ["DEFAULT_DETAIL_RANKS", "TABLE_REASONS", "reasons_text", "render_report", "write_report"]

DEFAULT_DETAIL_RANKS = 3
"""Ranks per case drawn in the field-weight chart and shown record by record (all ranks are in the table)."""
TABLE_REASONS = 3
"""Reasons shown per candidate in a case's table of ranked candidates (the strongest, for or against)."""

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")  # a Chinese character


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The jinja2 environment of the report templates (autoescape on, undefined names are errors)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("reunite.report", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )


@lru_cache(maxsize=65_536)
def today_region(cell: str) -> str:
    """Today's division name for a region cell ("" unknown): shown beside an old code or name."""
    from reunite.normalize.regions import resolve_region

    if not cell.strip():
        return ""
    return resolve_region(cell).label


@lru_cache(maxsize=65_536)
def province_of(cell: str) -> str:
    """Today's province name of a region cell, for the region filter ("" unknown)."""
    from reunite.normalize.regions import resolve_region

    if not cell.strip():
        return ""
    found = resolve_region(cell)
    return resolve_region(str(found.province)).label if found.province else ""


@dataclass(frozen=True, slots=True)
class _Shown:
    """How values are shown: masked unless revealed, in one language."""

    lang: Language
    reveal_ids: bool

    def __call__(self, value: object) -> str:
        text = "" if value is None else str(value)
        return text if self.reveal_ids else mask_id_numbers(text)

    def id_number(self, value: str) -> str:
        return value if self.reveal_ids else mask_id(value)

    def t(self, key: str, **values: object) -> str:
        return TEXT[self.lang][key].format(**values) if values else TEXT[self.lang][key]


@lru_cache(maxsize=65_536)
def _sound(ch: str) -> frozenset[str]:
    """The toneless readings of one Chinese character (all of a heteronym's)."""
    from pypinyin import Style, pinyin

    return frozenset(pinyin(ch, style=Style.NORMAL, heteronym=True)[0])


def _marked(text: str, others: Iterable[str], *, bigrams: bool = False) -> Markup:
    """``text`` escaped, with the Chinese characters that also occur in ``others`` inside ``<mark>`` and
    those that only sound the same (同音字: 美 for 梅) inside ``<mark class=h>``; with ``bigrams`` (marks
    text) only two-character runs that occur in ``others`` are marked."""
    pool = "".join(others)
    if not text:
        return Markup("")
    kind = [""] * len(text)
    if bigrams:
        for i in range(len(text) - 1):
            if _HAN.match(text[i]) and _HAN.match(text[i + 1]) and text[i:i + 2] in pool:
                kind[i] = kind[i + 1] = "<mark>"
    else:
        sounds = frozenset().union(*(_sound(ch) for ch in pool if _HAN.match(ch)))
        for i, ch in enumerate(text):
            if _HAN.match(ch):
                kind[i] = "<mark>" if ch in pool else "<mark class=h>" if _sound(ch) & sounds else ""
    out: list[str] = []
    for ch, opening in zip(text, kind, strict=True):
        piece = str(escape(ch))
        out.append(f"{opening}{piece}</mark>" if opening else piece)
    return Markup("".join(out))


def reasons_text(weights: Iterable[FieldWeight], lang: Language) -> str:
    """Field weights as a reasons text, as RANKED.csv writes them (``同县 +7.5；出生日期相同 +3.5``)."""
    return reason_separator(lang).join(f"{w.label_in(lang)} {'+' if w.weight >= 0 else '−'}{abs(w.weight):.1f}"
                                       for w in weights)


def _weights_text(weights: Sequence[FieldWeight], names: Sequence[str], lang: Language) -> tuple[str, str]:
    """The reasons of the given comparisons, and a css class by their summed weight (for/against/"")."""
    picked = [w for w in weights if w.comparison in names]
    if not picked:
        return "", ""
    total = sum(w.weight for w in picked)
    return reasons_text(picked, lang), "for" if total > 0 else "against" if total < 0 else ""


_FIELDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("f_name", ("given_name", "surname")), ("f_sex", ()),
    ("f_birth_date", ("birth", "birth_monthday", "birth_month")),
    ("f_region", ("region", "vague_place", "route")), ("f_dates", ("registration", "timeline")),
    ("f_marks", ("marks",)),
)


def _record_cells(record: Mapping[str, str], side: str, others: list[Mapping[str, str]],
                  shown: _Shown) -> dict[str, Markup]:
    """One record's cell per field of :data:`_FIELDS`: escaped, with what also occurs in ``others`` marked."""
    name_keys = ("name", "alias") if side == "cases" else ("name", "former_names")
    other_names = [shown(o.get(k, "")) for o in others for k in ("name", "alias", "former_names")]
    other_marks = [shown(o.get("marks", "")) for o in others]

    def names_cell() -> Markup:
        parts = []
        for key in name_keys:
            value = shown(record.get(key, ""))
            if value:
                label = "" if key == "name" else f"{shown.t('f_' + key)}: "
                parts.append(Markup("{}{}").format(label, _marked(value, other_names)))
        return Markup("<br>").join(parts)

    def place(cell: str) -> Markup:
        now = today_region(cell)
        # today's division beside a code or an old name, not beside an address that already spells it
        if now and now not in re.sub(r"[\s,，/、]", "", cell):
            return Markup("{} <span class=today>→ {} {}</span>").format(shown(cell), shown.t("today"), now)
        return Markup("{}").format(shown(cell))

    calendar = calendar_text(shown.lang, record.get("birth_calendar", ""))
    event_key = "missing_date" if side == "cases" else "registration_date"
    event = shown(record.get(event_key, ""))
    return {
        "f_name": names_cell(),
        "f_sex": Markup(escape(sex_text(shown.lang, record.get("sex", "")))),
        "f_birth_date": Markup(escape(shown(record.get("birth_date", "")) + (f" ({calendar})" if calendar else ""))),
        "f_region": place(record.get("missing_region" if side == "cases" else "region", "")),
        "f_dates": Markup(escape(f"{shown.t('f_' + event_key)}: {event}" if event else "")),
        "f_marks": _marked(shown(record.get("marks", "")), other_marks, bigrams=True),
    }


def _side_by_side(case: CaseView, detail: Sequence[RankedCandidate], shown: _Shown) -> list[dict[str, Any]]:
    """The case's record beside each detailed candidate's, field by field, what matched marked and each
    candidate's weights on that field under its value (green for, red against)."""
    case_cells = _record_cells(case.record, "cases", [c.record for c in detail], shown)
    cand_cells = [_record_cells(c.record, "candidates", [case.record], shown) for c in detail]
    rows = []
    for key, names in _FIELDS:
        cells = []
        for candidate, own in zip(detail, cand_cells, strict=True):
            label, css = _weights_text(candidate.weights, names, shown.lang)
            value = own[key]
            if key == "f_birth_date" and _birthday_in_another_year(candidate):
                value = _year_marked(value)
            cells.append({"value": value, "weights": label, "css": Markup(f" class={css}") if css else ""})
        if case_cells[key] or any(c["value"] or c["weights"] for c in cells):
            rows.append({"field": shown.t(key), "case": case_cells[key], "candidates": cells})
    return rows


def _birthday_in_another_year(candidate: RankedCandidate) -> bool:
    """Whether the pair's birth dates share month and day in another year (a shifted registered birth)."""
    return any(w.comparison == "birth_monthday" and w.level == BirthdayLevel.SAME for w in candidate.weights)


def _year_marked(cell: Markup) -> Markup:
    """The first year in a date cell inside ``<mark class=y>``: the year a shifted birth moved.

    >>> str(_year_marked(Markup("1990-05-03")))
    '<mark class=y>1990</mark>-05-03'
    """
    return Markup(re.sub(r"(?:19|20)\d\d", lambda m: f"<mark class=y>{m.group(0)}</mark>", str(cell), count=1))


def _region_text(cell: str) -> str:
    """A region cell as the table shows it: a bare division code as today's name, text as written."""
    return (today_region(cell) or cell) if cell.strip().isdigit() else cell


def _case_context(case: CaseView, shown: _Shown, detail_ranks: int) -> dict[str, Any]:
    detail = case.candidates[:detail_ranks]
    svgs = charts.weights_charts(detail, shown.lang) if detail else []
    waterfalls = [{"rank": r.rank, "person": shown(r.person_id), "score": r.score, "svg": Markup(svg)}
                  for r, svg in zip(detail, svgs, strict=True)]
    top = case.candidates[0].probability if case.candidates else 0.0
    shown_as = {"sex": sex_text, "birth_calendar": calendar_text}
    record = [(shown.t("f_" + key), shown_as[key](shown.lang, value) if key in shown_as else shown(value))
              for key, value in case.record.items() if key != "case_id" and value]
    return {
        "id": shown(case.case_id),
        "anchor": "case-" + re.sub(r"[^0-9A-Za-z_-]", "_", shown(case.case_id)),
        "region": case.region,
        "top_probability": top,
        "case_probability": case.case_probability,
        "changed": case.changed,
        "record": record,
        "candidates": [{
            "rank": r.rank, "person": shown(r.person_id), "name": shown(r.record.get("name", "")),
            "sex": sex_text(shown.lang, r.record.get("sex", "")), "birth": shown(r.record.get("birth_date", "")),
            "region": shown(_region_text(r.record.get("region", ""))),
            "id_number": shown.id_number(r.record.get("id_number", "")),
            "score": r.score, "probability": r.probability, "dna": shown.t(f"dna_{r.dna}") if r.dna else "",
            # the strongest few (by size, for or against); every reason is in RANKED.csv and, for the
            # charted ranks, field by field in the records side by side
            "reasons": reasons_text(sorted(r.weights, key=lambda w: -abs(w.weight))[:TABLE_REASONS], shown.lang)
                       + (" …" if len(r.weights) > TABLE_REASONS else ""),
        } for r in case.candidates],
        "charts": waterfalls,
        "detail": [{"rank": r.rank, "person": shown(r.person_id), "probability": r.probability} for r in detail],
        "side_by_side": _side_by_side(case, detail, shown),
    }


def render_report(data: ReportData, *, lang: Language = "en", reveal_ids: bool = False,
                  detail_ranks: int = DEFAULT_DETAIL_RANKS, now: Callable[[], datetime.datetime] | None = None) -> str:
    """The report's HTML text (see :func:`write_report`)."""
    lang = check_language(lang)
    shown = _Shown(lang, reveal_ids)
    firsts = [c for c in data.cases if c.candidates]
    likely = [c.candidates[0].score for c in firsts if c.case_probability >= 0.5]
    unlikely = [c.candidates[0].score for c in firsts if c.case_probability < 0.5]
    top = [c.candidates[0].probability for c in firsts]
    dna_total = sum(data.dna_outcomes.values())
    stamp = (now or (lambda: datetime.datetime.now(datetime.UTC)))().strftime("%Y-%m-%d %H:%M UTC")
    context = {
        "lang": lang, "t": shown.t, "title": shown(data.title) or shown.t("report_title"), "source": shown(data.source),
        "generated": stamp, "last_run": shown(data.last_run), "reveal_ids": reveal_ids,
        "summary": [
            (shown.t("cases_screened"), f"{data.cases_screened:,}"),
            (shown.t("pairs_compared"), f"{data.pairs_compared:,}" if data.pairs_compared is not None else "–"),
            (shown.t("cases_ranked"), f"{len(firsts):,}"),
            (shown.t("cases_p50"), f"{sum(p >= 0.5 for p in top):,}"),
            (shown.t("cases_p90"), f"{sum(p >= 0.9 for p in top):,}"),
            (shown.t("cases_changed"),
             f"{sum(c.changed for c in data.cases):,}" if data.changed_known else "–"),
            # a ranking read from files knows no DNA outcome: "–", not 0
            *((shown.t(f"dna_{k}"), f"{data.dna_outcomes.get(k, 0):,}" if data.dna_outcomes else "–")
              for k in ("confirmed", "excluded", "pending")),
        ],
        "histogram": Markup(charts.score_histogram(likely, unlikely, lang)),
        "histogram_legend": [(shown.t(key), colour) for key, colour in
                             zip(("likely_match", "unlikely_match"), charts.HISTOGRAM_COLOURS, strict=True)],
        "dna_chart": Markup(charts.dna_chart(data.dna_outcomes, lang)) if dna_total else Markup(""),
        "weights_css": Markup(charts.shared_css()),
        "legend": [(comparison_title(name, shown.lang), colour) for name, colour in
                   zip((*COMPARISON_ORDER, "other"), charts.COLOURS, strict=True)],
        "regions": sorted({c.region for c in data.cases if c.region}),
        "changed_known": data.changed_known,
        "dna_known": dna_total > 0,
        "detail_ranks": detail_ranks,
        "cases": [_case_context(c, shown, detail_ranks) for c in data.cases],
    }
    return environment().get_template("report.html.j2").render(context)


def write_report(path: str | os.PathLike[str], data: ReportData, *, lang: Language = "en", reveal_ids: bool = False,
                 detail_ranks: int = DEFAULT_DETAIL_RANKS) -> Path:
    """Write ``data`` as one self-contained HTML file (written whole or not at all).

    Parameters
    ----------
    path:
        The ``.html`` file to write; its folder must exist.
    data:
        What to show (:func:`reunite.report.report_from_screen`, ``report_from_ranked``, or the store's).
    lang:
        ``"en"`` or ``"zh"``: every label, reason and message of the page.
    reveal_ids:
        Show ID numbers unmasked (masked by default, ``person_id`` and ``case_id`` too when ID-shaped).
    detail_ranks:
        Ranks per case drawn in the field-weight chart and shown record beside record.

    Returns
    -------
    Path
        The file written.
    """
    if detail_ranks < 1:
        from reunite.errors import ConfigError

        raise ConfigError(f"detail_ranks: expected at least 1, got {detail_ranks}")
    return write_text(path, render_report(data, lang=lang, reveal_ids=reveal_ids, detail_ranks=detail_ranks))
