"""Every comparison as one object: its levels and their labels, whether they are ordered, the levels
that get a term-frequency adjustment, its kernel and the text of its reasons — found by name.

Adding a comparison means one :class:`Comparison` here (with its kernel, usually in
:mod:`reunite.matching.compare`), its name in :data:`reunite.matching.spec.ComparisonName`, and a model
fitted with it (``tools/train_default_model.py``). Nothing else dispatches on comparison names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reunite._typing import I8, I32
from reunite.matching import compare as kernels
from reunite.matching.compare import Pairs
from reunite.matching.prepare import Prepared

if TYPE_CHECKING:
    from reunite.matching.spec import ComparisonSpec

__all__ = ["REGISTRY", "ROUNDED_BIRTH", "Comparison"]

#: the birth level of a 1st of the month read as the month: its m follows how often the screened data's
#: registers round (FellegiSunter.fit_rounded_share)
ROUNDED_BIRTH = "birth dates agree if a 1st of the month means the month (1 January the year)"

# (prepared data, spec, pairs, agreeing-value output or None) -> int8 levels, -1 null
Kernel = Callable[[Prepared, "ComparisonSpec", Pairs, "I32 | None"], I8]


@dataclass(frozen=True, slots=True)
class Comparison:
    """One comparison: what its levels mean and how they are computed.

    ``labels[i]`` names level ``i``; with ``ordered`` a higher level is closer agreement and its weight
    is kept at least the weight below it. ``tf_levels`` are ``(level, frequency table)`` pairs: pairs
    agreeing at that level on a value get the term-frequency adjustment of that value's share in the
    :class:`~reunite.matching.prepare.Prepared` table named (the kernel stores the agreeing value).
    ``field`` groups comparisons that read the same value of the records (the birth date is read by
    four): the unsupervised fit estimates a comparison with its whole field left out.
    """

    name: str
    labels: tuple[str, ...]
    kernel: Kernel
    field: str          # what the records hold that it reads: comparisons of one field are not independent
    ordered: bool = True
    tf_levels: tuple[tuple[int, str], ...] = ()

    def reason(self, level: int, weight: float) -> str:
        """The reason text of one level and its weight: ``born the same day +7.7``.

        >>> REGISTRY["birth"].reason(7, 7.65)
        'born the same day +7.7'
        """
        sign = "+" if weight >= 0 else "−"
        return f"{self.labels[level]} {sign}{abs(weight):.1f}"


def _no_value(kernel: Callable[[Prepared, ComparisonSpec, Pairs], I8]) -> Kernel:
    def run(prep: Prepared, spec: ComparisonSpec, pairs: Pairs, value: I32 | None) -> I8:
        return kernel(prep, spec, pairs)
    return run


def _surname(prep: Prepared, spec: ComparisonSpec, pairs: Pairs, value: I32 | None) -> I8:
    return kernels.surname_levels(prep, pairs, value)


def _marks(prep: Prepared, spec: ComparisonSpec, pairs: Pairs, value: I32 | None) -> I8:
    return kernels.marks_levels(prep, pairs)


REGISTRY: dict[str, Comparison] = {c.name: c for c in (
    Comparison("given_name", (
        "given name differs",
        "given name ends in the childhood name's character",
        "given name similar pinyin",
        "given name same dialect-fuzzy pinyin",
        "given name same pinyin",
        "given name same characters",
    ), kernels.given_name_levels, "given name", tf_levels=((5, "given_freq"), (4, "pinyin_freq"))),
    Comparison("surname", ("surname differs", "surname same pinyin", "surname same"), _surname, "surname",
               tf_levels=((2, "surname_freq"),)),
    Comparison("birth", (
        "born further apart",
        "born within 3 years",
        "born within 2 years",
        "born within 1 year",
        ROUNDED_BIRTH,
        "birth dates agree if the case's date is lunar",
        "birth dates overlap or within a month",
        "born the same day",
    ), _no_value(kernels.birth_levels), "birth date"),
    Comparison("birth_monthday", (
        "birthday differs, another year",
        "same birthday, another year",
    ), _no_value(kernels.birthday_levels), "birth date"),
    Comparison("region", (
        "region far apart",
        "region nearby",
        "same province",
        "same city",
        "same county",
    ), _no_value(kernels.region_levels), "place"),
    # the case's place known only to its city or province (region is then missing)
    Comparison("vague_place", (
        "another province than the case's vaguely known place",
        "the province of the case's city, another city",
        "the province of a case known only to the province",
        "the city of a case known only to the city",
    ), _no_value(kernels.vague_place_levels), "place"),
    Comparison("route", (
        "another province, off the known routes",
        "another province on a known route",
        "another province on a main route",
    ), _no_value(kernels.route_levels_of_pairs), "place"),
    # the later after birth and after the loss, the stronger
    Comparison("registration", (
        "registered on time",
        "registered late",
        "registered years late",
        "registered years after the child went missing",
        "registered within 2 years after the child went missing",
    ), _no_value(kernels.registration_levels), "birth date"),
    # born before the loss is the consistent story
    Comparison("timeline", (
        "born long after the child went missing",
        "born shortly after the child went missing",
        "born before the child went missing",
    ), _no_value(kernels.timeline_levels), "birth date"),
    Comparison("marks", (
        "marks differ",
        "marks share a feature",
        "marks partly agree",
        "marks agree",
    ), _marks, "marks"),
)}
