"""The report's charts, drawn by pygal as inline SVG: no JavaScript and no network needed to see them.

pygal (a small, pure-Python, long-maintained SVG charting library) writes each chart as one ``<svg>``
element. Its interactive extras are left out: the tooltip script it would fetch from the web is never
linked (``js=[]``), and :func:`trim` removes what only that script reads (value descriptions, the
chart's configuration as a script, hover titles) and empty bars. The many small per-case charts also
share one stylesheet (:func:`shared_css`) instead of carrying pygal's in each: this keeps a report of
2,000 cases x 10 candidates well under 20 MB.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from functools import lru_cache

import pygal
from pygal.style import Style

from reunite.i18n import Language, text
from reunite.report.data import COMPARISON_ORDER, RankedCandidate

__all__ = ["COLOURS", "HISTOGRAM_COLOURS", "dna_chart", "score_histogram", "shared_css", "trim", "weights_chart"]

# Importing pygal appends to sys.meta_path a finder for its map plugins (which reunite does not use) that has
# no find_spec: from then on every failed import anywhere in the process warns (ImportWarning). Take it out.
sys.meta_path[:] = [finder for finder in sys.meta_path if type(finder).__name__ != "PluginImportFixer"]

# One colour per comparison, in COMPARISON_ORDER, then "other" (colour-blind-safe Okabe-Ito order).
COLOURS: tuple[str, ...] = (
    "#0072B2", "#56B4E9", "#009E73", "#2F6B4F", "#8FD175", "#E69F00", "#F0E442", "#CC79A7", "#D55E00", "#7F4F24",
    "#999999",
)
_SERIES = (*COMPARISON_ORDER, "other")
_FONT = '"Noto Sans CJK SC", "Noto Sans", "DejaVu Sans", sans-serif'


def _style(colours: Sequence[str]) -> Style:
    return Style(
        background="white", plot_background="white", colors=tuple(colours), font_family=_FONT,
        label_font_size=11, major_label_font_size=11, legend_font_size=12, title_font_size=13,
        opacity="0.9", opacity_hover="0.9", transition="0s",
    )


_DROP = re.compile(r"<!--.*?-->|<script\b.*?</script>|<desc\b[^>]*>.*?</desc>|<title>.*?</title>"
                   r'|<path d="[^"]*" class="(?:major )?guide line"\s*/>', re.S)  # hover titles, grid lines
_OVERLAYS = re.compile(r'<g class="titles"\s*/>(?:(?!<text).)*</g></svg>$', re.S)
_FILL = re.compile(r'style="fill: (#[0-9A-Fa-f]{6}); stroke: #[0-9A-Fa-f]{6}"')
# a series whose every bar has the same colour: the colour once on the series, the bars bare
_ONE_COLOUR_SERIES = re.compile(
    r'<g class="series serie-\d+ color-\d+"><g class="bars">'
    r'((?:<g class="bar" style="fill:(#\w{6})"><rect [^>]*/></g>)+)</g></g>')
_BAR = re.compile(r'<g class="bar" style="fill:#\w{6}">(<rect [^>]*/>)</g>')


def _one_colour(series: re.Match[str]) -> str:
    bars = series.group(1)
    if len(set(re.findall(r'style="fill:(#\w{6})"', bars))) != 1:
        return series.group(0)
    bare = _BAR.sub(r"\1", bars)
    return f'<g class="series" fill="{series.group(2)}">{bare}</g>'


_BACKGROUND = re.compile(r'<rect x="0" y="0" width="[\d.]+" height="[\d.]+" class="background"\s*/>')
_EMPTY_BAR = re.compile(r'<g class="bar"><rect (?:(?!width=)[^>])*/></g>')  # a stacked bar's missing value
_TAG = re.compile(r"<[^>]+>")
_DECIMAL = re.compile(r"\d+\.\d+")


def trim(svg: str, *, keep_style: bool = True) -> str:
    """pygal's SVG without what only its tooltip script reads, coordinates to whole pixels.

    >>> trim('<svg><!--x--><g class="bar"><rect x="1.2345" height="2" /></g><desc>1</desc></svg>')
    '<svg></svg>'
    >>> trim('<svg><rect x="1.5345" width="2.25" /><text x="3.7">0.5</text></svg>')
    '<svg><rect x="2" width="2"/><text x="4">0.5</text></svg>'
    """
    svg = _EMPTY_BAR.sub("", _DROP.sub("", svg))
    if not keep_style:  # a per-case chart: white on white needs no background, inline SVG no namespace
        svg = _BACKGROUND.sub("", svg).replace(' xmlns="http://www.w3.org/2000/svg"', "")
    svg = _OVERLAYS.sub("</g></svg>", svg)  # the empty groups pygal's script would fill on hover
    svg = _ONE_COLOUR_SERIES.sub(_one_colour, _FILL.sub(r'style="fill:\1"', svg))
    if not keep_style:
        svg = re.sub(r"<style\b.*?</style>", "", svg, flags=re.S)
    for long, short in ((' class="rect reactive tooltip-trigger"', ' class="rect"'), (' rx="0" ry="0"', ""),
                        ('id="" ', ""), (' class=""', ""), ("<defs></defs>", ""), (" />", "/>")):
        svg = svg.replace(long, short)
    # inside tags only (coordinates): the text of labels keeps its decimals
    return _TAG.sub(lambda tag: _DECIMAL.sub(lambda m: str(round(float(m.group(0)))), tag.group(0)), svg)


def _render(chart: pygal.graph.graph.Graph, *, keep_style: bool = True) -> str:
    return trim(str(chart.render(is_unicode=True)), keep_style=keep_style)


def _weights_config(n_bars: int) -> pygal.HorizontalStackedBar:
    return pygal.HorizontalStackedBar(
        width=640, height=28 + 22 * max(n_bars, 1), explicit_size=True, js=[], no_prefix=True,
        disable_xml_declaration=True, show_legend=False, margin=4, spacing=2, style=_style(COLOURS),
        show_y_guides=False, show_x_guides=False, print_values=False, classes=["pygal-chart", "weights-chart"],
    )


def weights_chart(candidates: Sequence[RankedCandidate], lang: Language) -> tuple[str, list[tuple[str, str]]]:
    """Each candidate's field weights as one horizontal bar: a segment per field, for to the right of
    zero, against to the left; rank 1 on top. Fields that are null for a pair draw nothing.

    Returns the SVG (without its own stylesheet: the report includes :func:`shared_css` once) and the
    (label, colour) of each field drawn, for the legend beside it.
    """
    chart = _weights_config(len(candidates))
    ordered = list(reversed(candidates))  # pygal draws the first label at the bottom
    chart.x_labels = [f"#{c.rank}" for c in ordered]
    totals: list[dict[str, float]] = []
    for candidate in ordered:
        per_field: dict[str, float] = {}
        for w in candidate.weights:
            key = w.comparison if w.comparison in _SERIES else "other"
            per_field[key] = per_field.get(key, 0.0) + w.weight
        totals.append(per_field)
    # ticks every 5 bits over the range the bars span (pygal's default puts one every bit)
    low = min([0.0, *(sum(v for v in t.values() if v < 0) for t in totals)])
    high = max([0.0, *(sum(v for v in t.values() if v > 0) for t in totals)])
    chart.y_labels = list(range(int(low // 5) * 5, int(high // 5) * 5 + 6, 5))
    # only the fields some candidate has, each in its fixed colour (the legend is the report's)
    drawn = []
    for name, colour in zip(_SERIES, COLOURS, strict=True):
        if any(t.get(name, 0.0) != 0.0 for t in totals):
            chart.add(text(lang, f"c_{name}"), [
                {"value": round(t[name], 2), "color": colour} if t.get(name, 0.0) != 0.0 else None for t in totals])
            drawn.append((text(lang, f"c_{name}"), colour))
    return _render(chart, keep_style=False), drawn


@lru_cache(maxsize=1)
def shared_css() -> str:
    """The stylesheet of :func:`weights_chart`'s charts (pygal's own, without per-chart prefixes)."""
    svg = str(_weights_config(1).render(is_unicode=True))
    found = re.search(r"<style[^>]*>(.*?)</style>", svg, flags=re.S)
    css = (found.group(1) if found else "").replace("&gt;", ">")
    # pygal's sheet begins with unscoped rules meant for its own root: scope them to these charts
    return re.sub(r"(^|\n)\{", r"\1.weights-chart{", css)


HISTOGRAM_COLOURS = ("#009E73", "#999999")


def score_histogram(likely: Sequence[float], unlikely: Sequence[float], lang: Language) -> str:
    """Histogram of the first candidates' scores (bits), cases with a likely match apart from the rest
    (:data:`HISTOGRAM_COLOURS`; the legend is the report's, in HTML, so it wraps in any language)."""
    values = [*likely, *unlikely]
    chart = pygal.Bar(
        width=720, height=300, explicit_size=True, js=[], disable_xml_declaration=True, show_legend=False,
        style=_style(HISTOGRAM_COLOURS), margin=8, spacing=1, x_label_rotation=0, show_minor_x_labels=False,
        classes=["pygal-chart", "score-histogram"],
    )
    if not values:
        chart.add(text(lang, "likely_match"), [])
        return _render(chart)
    low, high = int(min(values) // 2 * 2), int(max(values) // 2 * 2 + 2)
    edges = list(range(low, high + 1, 2))
    chart.x_labels = [str(e) for e in edges[:-1]]
    chart.x_labels_major = [str(e) for e in edges[:-1:max(1, len(edges) // 12)]]
    for label, series in ((text(lang, "likely_match"), likely), (text(lang, "unlikely_match"), unlikely)):
        counts = [0] * (len(edges) - 1)
        for value in series:
            counts[min(int((value - low) // 2), len(counts) - 1)] += 1
        chart.add(label, [c or None for c in counts])
    return _render(chart)


def dna_chart(outcomes: Mapping[str, int], lang: Language) -> str:
    """DNA outcomes so far: pairs confirmed, excluded, pending."""
    chart = pygal.HorizontalBar(
        width=480, height=150, explicit_size=True, js=[], disable_xml_declaration=True, show_legend=False,
        style=_style(("#009E73", "#D55E00", "#E69F00")), margin=8, print_values=True,
        classes=["pygal-chart", "dna-chart"],
    )
    keys = ("pending", "excluded", "confirmed")  # drawn bottom-up: confirmed on top
    chart.x_labels = [text(lang, f"dna_{k}") for k in keys]
    chart.y_labels = list(range(0, max([1, *outcomes.values()]) + 1, max(1, max([1, *outcomes.values()]) // 5)))
    chart.add(text(lang, "dna_outcomes"), [{"value": int(outcomes.get(k, 0)), "color": c}
                                           for k, c in zip(keys, ("#E69F00", "#D55E00", "#009E73"), strict=True)])
    return _render(chart)
