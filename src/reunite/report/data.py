"""What a report shows, as plain frozen data: built from a screen, a RANKED.csv or the store, drawn by
:mod:`reunite.report.html`.

Records are shown as their cells (canonical column -> text as written); each ranked candidate carries
its field weights (comparison, level, bits), the numbers its reasons list. A RANKED.csv or a stored
row holds only the reasons text: :func:`parse_reasons` reads the weights back from it, in either
language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from reunite.i18n import Language, text
from reunite.matching.comparisons import REGISTRY

__all__ = [
    "COMPARISON_ORDER", "CaseView", "FieldWeight", "RankedCandidate", "ReportData", "comparison_title", "parse_reasons",
]

#: Chart order and colour order: each comparison's ``chart_order`` (the ones a reader weighs first come first).
COMPARISON_ORDER: tuple[str, ...] = tuple(sorted(REGISTRY, key=lambda name: (REGISTRY[name].chart_order, name)))



def comparison_title(name: str, lang: Language) -> str:
    """A comparison's name in words in ``lang``; "other" the weights of comparisons not charted.

    >>> comparison_title("vague_place", "zh"), comparison_title("other", "en")
    ('大致地点', 'other')
    """
    return REGISTRY[name].title_in(lang) if name in REGISTRY else text(lang, "c_other")


_LABEL_OWNER: dict[str, tuple[str, int]] = {
    label: (name, level)
    for name, comparison in REGISTRY.items()
    for labels in (comparison.labels, comparison.labels_zh)
    for level, label in enumerate(labels)
}
_REASON = re.compile(r"^(?P<label>.+?) (?P<sign>[+−-])(?P<weight>\d+(?:\.\d+)?)$")


@dataclass(frozen=True, slots=True)
class FieldWeight:
    """One comparison's level and weight (bits) for a pair; ``level`` -1 when read from unknown text."""

    comparison: str
    level: int
    weight: float
    label: str

    def label_in(self, lang: Language) -> str:
        """The level's label in ``lang`` (the label as read when the level is unknown).

        >>> FieldWeight("region", 4, 9.4, "same county").label_in("zh")
        '同县'
        """
        if self.level < 0 or self.comparison not in REGISTRY:
            return self.label
        return REGISTRY[self.comparison].label(self.level, lang)


@dataclass(frozen=True, slots=True)
class RankedCandidate:
    """One ranked candidate of a case."""

    person_id: str
    rank: int
    score: float
    probability: float
    weights: tuple[FieldWeight, ...]
    record: Mapping[str, str]
    dna: str = ""  # the pair's latest DNA outcome: confirmed, excluded, pending or ""


@dataclass(frozen=True, slots=True)
class CaseView:
    """One case, its record and its ranked candidates (rank order)."""

    case_id: str
    record: Mapping[str, str]
    region: str  # today's county (or coarser) as a name, for the region filter; "" unknown
    case_probability: float
    candidates: tuple[RankedCandidate, ...]
    changed: bool = False


@dataclass(frozen=True, slots=True)
class ReportData:
    """Everything one report shows."""

    title: str
    source: str
    cases_screened: int
    pairs_compared: int | None  # None: not known (a stored ranking re-screened night by night)
    cases: tuple[CaseView, ...]
    dna_outcomes: Mapping[str, int] = field(default_factory=dict)  # confirmed / excluded / pending -> pairs
    changed_known: bool = False  # whether "changed in the last run" was known for these cases
    last_run: str = ""


def parse_reasons(reasons: str) -> tuple[FieldWeight, ...]:
    """The field weights a reasons text lists (English or Chinese), in its order.

    A part whose label is not a known level is kept as comparison ``"other"`` with level -1.

    >>> [(w.comparison, w.level, w.weight) for w in parse_reasons("born the same day +7.7; surname differs −0.8")]
    [('birth', 9, 7.7), ('surname', 0, -0.8)]
    >>> [(w.comparison, w.level, w.weight) for w in parse_reasons("出生日期相同 +11.3；同县 +9.4")]
    [('birth', 9, 11.3), ('region', 4, 9.4)]
    >>> parse_reasons("")
    ()
    """
    found = []
    for part in re.split(r"; |；", reasons.strip()):
        matched = _REASON.match(part.strip())
        if matched is None:
            continue
        label = matched.group("label")
        weight = float(matched.group("weight")) * (1.0 if matched.group("sign") == "+" else -1.0)
        name, level = _LABEL_OWNER.get(label, ("other", -1))
        found.append(FieldWeight(name, level, weight, label))
    return tuple(found)
