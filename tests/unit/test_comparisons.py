"""The comparison registry: one object per comparison, and nothing else dispatches on names."""

from __future__ import annotations

import dataclasses

from reunite.matching.comparisons import REGISTRY
from reunite.matching.prepare import Prepared
from reunite.matching.spec import COMPARISONS, LEVEL_LABELS, ORDERED


def test_every_comparison_is_registered_once_with_its_labels() -> None:
    assert list(REGISTRY) == list(COMPARISONS)
    for name, comparison in REGISTRY.items():
        assert comparison.name == name
        assert len(comparison.labels) >= 2 and len(set(comparison.labels)) == len(comparison.labels)
        assert LEVEL_LABELS[name] == comparison.labels
        assert (name in ORDERED) == comparison.ordered


def test_term_frequency_levels_name_real_levels_and_tables() -> None:
    prepared_fields = {f.name for f in dataclasses.fields(Prepared)}
    with_tf = {name for name, c in REGISTRY.items() if c.tf_levels}
    assert with_tf == {"given_name", "surname"}
    for comparison in REGISTRY.values():
        for level, table in comparison.tf_levels:
            assert 0 <= level < len(comparison.labels)
            assert table in prepared_fields


def test_reasons_say_the_level_and_the_signed_weight() -> None:
    assert REGISTRY["surname"].reason(0, -1.04) == "surname differs −1.0"
    assert REGISTRY["route"].reason(2, 1.34) == "another province on a main route +1.3"
