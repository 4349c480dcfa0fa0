"""The report's charts, drawn by pygal as inline SVG: no JavaScript and no network needed to see them.

pygal (a small, pure-Python, long-maintained SVG charting library) writes each chart as one ``<svg>``
element. Its interactive extras are left out: the tooltip script it would fetch from the web is never
linked (``js=[]``), and :func:`trim` removes what only that script reads (value descriptions, the
chart's configuration as a script, hover titles) and empty bars. The many small per-case charts also
share one stylesheet (:func:`shared_css`) instead of carrying pygal's in each: this keeps a report of
2,000 cases x 10 candidates well under 20 MB.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Mapping, Sequence
from functools import lru_cache

import pygal
from pygal.style import Style

from reunite.i18n import Language, text
from reunite.matching.comparisons import REGISTRY
from reunite.report.data import COMPARISON_ORDER, RankedCandidate, comparison_title

__all__ = [
    "COLOURS", "HISTOGRAM_COLOURS", "OTHER_COLOUR", "SCORE_COLOUR", "dna_chart", "score_histogram", "shared_css",
    "trim", "waterfall_steps", "weights_charts",
]

# Importing pygal appends to sys.meta_path a finder for its map plugins (which reunite does not use) that has
# no find_spec: from then on every failed import anywhere in the process warns (ImportWarning). Take it out.
sys.meta_path[:] = [finder for finder in sys.meta_path if type(finder).__name__ != "PluginImportFixer"]

# One colour per comparison (its ``chart_colour``: colour-blind-safe, from the Okabe-Ito order), in
# COMPARISON_ORDER, then "other".
OTHER_COLOUR = "#999999"
COLOURS: tuple[str, ...] = (*(REGISTRY[name].chart_colour for name in COMPARISON_ORDER), OTHER_COLOUR)
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
_SUBPIXEL = re.compile(r'\b(width|height)="0\.(?=\d*[1-9])\d+"')


def trim(svg: str, *, keep_style: bool = True) -> str:
    """pygal's SVG without what only its tooltip script reads, coordinates to whole pixels.

    >>> trim('<svg><!--x--><g class="bar"><rect x="1.2345" height="2" /></g><desc>1</desc></svg>')
    '<svg></svg>'
    >>> trim('<svg><rect x="1.5345" width="2.25" /><text x="3.7">0.5</text></svg>')
    '<svg><rect x="2" width="2"/><text x="4">0.5</text></svg>'
    >>> trim('<svg><rect x="1.5" width="0.3" height="0.0" /></svg>')
    '<svg><rect x="2" width="1" height="0"/></svg>'
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
    # a bar narrower than a pixel stays one pixel wide (a small step is still seen to be there)
    svg = _SUBPIXEL.sub(r'\1="1"', svg)
    # inside tags only (coordinates): the text of labels keeps its decimals
    return _TAG.sub(lambda tag: _DECIMAL.sub(lambda m: str(round(float(m.group(0)))), tag.group(0)), svg)


def _render(chart: pygal.graph.graph.Graph, *, keep_style: bool = True) -> str:
    return trim(str(chart.render(is_unicode=True)), keep_style=keep_style)


_WIDTH = 320  # pixels, of the first (named) waterfall of a case


def _weights_config(n_rows: int, margin_left: int = 4, width: int = _WIDTH) -> pygal.HorizontalStackedBar:
    return pygal.HorizontalStackedBar(
        width=width, height=24 + 16 * max(n_rows, 1), explicit_size=True, js=[], no_prefix=True,
        margin_left=margin_left, disable_xml_declaration=True, show_legend=False, margin=4, spacing=2,
        style=_style(COLOURS), show_y_guides=False, show_x_guides=False, print_values=False,
        classes=["pygal-chart", "weights-chart"],
    )


SCORE_COLOUR = "#333333"
# The invisible base a waterfall's steps stand on: drawn by pygal like any series, then taken out of the
# SVG (a colour no chart uses marks it).
_BASE_COLOUR = "#FFFFFE"
_BASE_SERIES = re.compile(r'<g class="series" fill="#FFFFFE">.*?</g>'  # ... and series with no bar at all
                          r'|<g class="series serie-\d+ color-\d+"><g class="bars"\s*/?>(?:</g>)?</g>', re.S)


_LABEL_GUIDE = re.compile(r'<g class="guides">(<text [^>]*>[^<]*</text>)</g>')
_COLOURED_BAR = re.compile(r'<g class="bar" style="fill:(#\w{6})"><rect ([^>]*?) class="rect"/></g>')


_SERIES_GROUP = re.compile(r'<g class="series serie-\d+ color-\d+"><g class="bars">(.*?)</g></g>', re.S)


def _compact(svg: str) -> str:
    """A waterfall's SVG in fewer bytes, drawn the same: labels out of their (hover) groups, each bar's
    colour on the bar itself, one group per series, none of the classes the shared stylesheet does not
    need (tick labels drawn black rather than 87% black)."""
    svg = _COLOURED_BAR.sub(r'<rect \2 fill="\1"/>', _LABEL_GUIDE.sub(r"\1", svg))
    svg = _SERIES_GROUP.sub(r'<g class="series">\1</g>', svg)
    return svg.replace('<g class="graph horizontalstackedbar-graph horizontal">', '<g class="graph">').replace(
        ' class="major">', ">")


def _wide_characters(label: str) -> int:
    """How many characters of ``label`` are about as wide as they are high (CJK): pygal reserves room
    for labels at 0.6 of the font size a character, which clips them."""
    return sum(1 for ch in label if ord(ch) >= 0x2E80)


#: a field weighing less than this (in bits) draws no bar: pygal is given values rounded to 0.01, and a
#: bar of 0.00 is drawn as nothing (a fitted level's weight can be a few thousandths of a bit)
MIN_DRAWN_WEIGHT = 0.005


def waterfall_steps(candidate: RankedCandidate) -> list[tuple[str, float, float]]:
    """(field, running total before, after) for each field with a non-zero weight, in chart order
    (:data:`COMPARISON_ORDER`, then "other"); the last ``after`` is the score (the weights' sum).

    >>> from reunite.report.data import FieldWeight
    >>> weights = (FieldWeight("region", 2, 7.5, ""), FieldWeight("birth", 7, 4.0, ""),
    ...            FieldWeight("surname", 0, -1.5, ""))
    >>> waterfall_steps(RankedCandidate("P1", 1, 10.0, 0.9, weights, {}))
    [('birth', 0.0, 4.0), ('region', 4.0, 11.5), ('surname', 11.5, 10.0)]
    """
    per_field: dict[str, float] = {}
    for w in candidate.weights:
        key = w.comparison if w.comparison in _SERIES else "other"
        per_field[key] = per_field.get(key, 0.0) + w.weight
    steps, total = [], 0.0
    for name in _SERIES:
        weight = per_field.get(name, 0.0)
        if abs(weight) >= MIN_DRAWN_WEIGHT:
            steps.append((name, total, total + weight))
        total += weight  # (a weight too small to draw still counts towards the score)
    return steps


def _pieces(before: float, after: float) -> tuple[float | None, float | None, float | None]:
    """A floating bar from ``before`` to ``after`` as pygal stacks it: (invisible base, piece right of
    zero, piece left of zero). pygal stacks values right and left of zero apart, each from zero; a step
    that crosses zero is two pieces from zero."""
    low, high = min(before, after), max(before, after)
    if low >= 0.0:
        return (low or None), high - low, None
    if high <= 0.0:
        return (high or None), None, low - high
    return None, high, low


def weights_charts(candidates: Sequence[RankedCandidate], lang: Language) -> list[str]:
    """Each candidate's field weights as a waterfall, all on one scale and with the same rows, side by
    side: a row per field some candidate has a non-zero weight for, each bar from the running total to
    the next (to the right: for; to the left: against), the last row the score, from zero. A field that
    is null or weighs nothing for a pair draws nothing on its row.

    Drawn by pygal as horizontal stacked bars whose first series is an invisible base (taken out of the
    SVG). The first chart names the rows; the others, as much narrower as those names are wide, do not.
    Returns one SVG per candidate, without its own stylesheet (the report includes :func:`shared_css`
    once).
    """
    steps = [{name: (before, after) for name, before, after in waterfall_steps(c)} for c in candidates]
    ends = [end for found in steps for pair in found.values() for end in pair]
    low, high = min([0.0, *ends]), max([0.0, *ends])
    # ticks every 5 bits (10 over a wide range) over what the bars span (pygal's default: one every bit)
    every = 5 if high - low <= 40 else 10
    ticks = list(range(math.floor(low / every) * every, math.ceil(high / every) * every + 1, every))
    colour_of = dict(zip(_SERIES, COLOURS, strict=True))
    names = [name for name in _SERIES if any(name in found for found in steps)]
    labels = [comparison_title(name, lang) for name in names] + [text(lang, "score")]
    labels.reverse()  # pygal draws the first label at the bottom
    label_room = 0
    svgs: list[str] = []
    for found in steps:
        score = next(reversed(found.values()))[1] if found else 0.0
        rows = [(*found[name], colour_of[name]) if name in found else None for name in names]
        rows.append((0.0, score, SCORE_COLOUR))
        rows.reverse()
        named = not svgs
        widest = max(_wide_characters(label) for label in labels)
        chart = _weights_config(len(rows), margin_left=4 + round(0.45 * 11 * widest) if named else 4,
                                width=_WIDTH - label_room)
        chart.x_labels = labels
        chart.show_y_labels = named  # horizontal: pygal draws the x labels on the y axis
        chart.y_labels = ticks
        chart.range = (ticks[0], ticks[-1])
        pieces = [_pieces(row[0], row[1]) if row is not None else (None, None, None) for row in rows]
        chart.add("", [{"value": p[0], "color": _BASE_COLOUR} if p[0] is not None else None for p in pieces])
        for side in (1, 2):
            chart.add("", [{"value": round(value, 2), "color": row[2]} if row is not None and
                           (value := p[side]) is not None else None for p, row in zip(pieces, rows, strict=True)])
        svg = _compact(_BASE_SERIES.sub("", _render(chart, keep_style=False)))
        if named:  # the others' plots start where this one's does, less the names
            label_room = _plot_left(svg) - _plot_left(_unnamed_plot())
        svgs.append(svg)
    return svgs


def _plot_left(svg: str) -> int:
    found = re.search(r'<g transform="translate\((\d+), \d+\)" class="plot">', svg)
    assert found is not None, "pygal's plot group has moved"
    return int(found.group(1))


@lru_cache(maxsize=1)
def _unnamed_plot() -> str:
    chart = _weights_config(1, width=_WIDTH)
    chart.show_y_labels = False
    chart.x_labels = ["x"]
    chart.add("", [1])
    return _render(chart, keep_style=False)


@lru_cache(maxsize=1)
def shared_css() -> str:
    """The stylesheet of :func:`weights_charts`' charts (pygal's own, without per-chart prefixes)."""
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
