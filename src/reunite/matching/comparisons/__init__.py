"""Every comparison as one object, one module each, found by name in :data:`REGISTRY`.

A comparison's module owns everything about it: its levels (an ``IntEnum`` named ``Level``), their
English and Chinese labels, whether they are ordered, the levels that get a term-frequency adjustment,
its kernel, its scalar reference (the definition the kernel is property-tested against), how exact
top-k pruning reads it (:class:`~reunite.matching.comparisons.base.Pruning`) and the text of its
reasons (:class:`~reunite.matching.comparisons.base.Comparison`). Nothing else dispatches on
comparison names or level numbers.

Adding a level to a comparison touches its module alone (and the model data file, refitted with
``tools/train_default_model.py``: data, not code; a level that needs a new threshold also adds it to
:class:`reunite.matching.spec.ComparisonSpec`, the configuration saved with a model). Adding a
comparison means a new module here (its place and colour in the report's charts included:
``chart_order``, ``chart_colour``), its name in :data:`ComparisonName` (a closed ``Literal``) and in
the registry below, and a refitted model.
"""

from __future__ import annotations

from typing import Literal

from reunite.matching.comparisons import (
    birth,
    birth_month,
    birth_monthday,
    given_name,
    marks,
    region,
    registration,
    route,
    surname,
    timeline,
    vague_place,
)
from reunite.matching.comparisons.base import Comparison
from reunite.matching.comparisons.birth import ROUNDED_BIRTH

__all__ = ["REGISTRY", "ROUNDED_BIRTH", "Comparison", "ComparisonName"]

#: the comparisons, in the order of a default model's weight arrays (a test holds REGISTRY to it)
ComparisonName = Literal[
    "given_name", "surname", "birth", "birth_monthday", "birth_month", "region", "vague_place", "route", "registration",
    "timeline", "marks",
]

REGISTRY: dict[str, Comparison] = {module.COMPARISON.name: module.COMPARISON for module in (
    given_name, surname, birth, birth_monthday, birth_month, region, vague_place, route, registration, timeline, marks,
)}
