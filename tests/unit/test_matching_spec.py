"""Comparison and blocking specs: checked when made, labels line up with levels, JSON round trip."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reunite.errors import ConfigError
from reunite.matching.spec import (
    COMPARISONS,
    LEVEL_LABELS,
    ORDERED,
    BlockingSpec,
    ComparisonSpec,
)


def test_every_comparison_has_labels_and_ordered_ones_are_comparisons() -> None:
    assert set(LEVEL_LABELS) == set(COMPARISONS)
    assert set(COMPARISONS) >= ORDERED
    assert ComparisonSpec().n_levels() == tuple(len(LEVEL_LABELS[c]) for c in COMPARISONS)
    for labels in LEVEL_LABELS.values():
        assert len(labels) == len(set(labels)) >= 2
        assert len(labels) <= 10  # pattern codes (model.pattern_counts, learn) hold levels -1..9


def test_comparison_spec_round_trips_through_json() -> None:
    spec = ComparisonSpec(comparisons=("birth", "surname"), name_similarity=0.9, birth_band_days=(100, 200, 300),
                          birth_month_days=20, same_day_days=2, nearby_km=80.0,
                          late_registration_days=(10, 20), registration_after_loss_days=(90, 400),
                          timeline_grace_days=0, tf_adjust=False)
    assert ComparisonSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec
    assert ComparisonSpec.from_dict(ComparisonSpec().to_dict()) == ComparisonSpec()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"comparisons": ()}, "at least one comparison"),
        ({"comparisons": ("birth", "birth")}, "each may appear once"),
        ({"comparisons": ("nickname",)}, "expected one of given_name, surname"),
        ({"name_similarity": 1.0}, "name_similarity"),
        ({"name_similarity": 0.0}, "name_similarity"),
        ({"birth_band_days": (731, 366, 1096)}, "birth_band_days"),
        ({"birth_band_days": (366, 731)}, "birth_band_days"),
        ({"birth_month_days": 400}, "birth_month_days"),
        ({"same_day_days": 31}, "same_day_days"),
        ({"same_day_days": -1}, "same_day_days"),
        ({"late_registration_days": (1096, 183)}, "late_registration_days"),
        ({"registration_after_loss_days": (731, 183)}, "registration_after_loss_days"),
        ({"registration_after_loss_days": (0, 183)}, "registration_after_loss_days"),
        ({"nearby_km": 0.0}, "nearby_km"),
        ({"timeline_grace_days": -1}, "timeline_grace_days"),
    ],
)
def test_bad_comparison_specs_are_refused_when_made(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ComparisonSpec(**changes)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {**ComparisonSpec().to_dict(), "birth_band_days": 5},
        {**ComparisonSpec().to_dict(), "name_similarity": "high"},
        {**ComparisonSpec().to_dict(), "comparisons": ["birth", "star_sign"]},
        pytest.param({**ComparisonSpec().to_dict(), "tf_adjust": "false"}),
    ],
)
def test_malformed_comparison_spec_data_gives_config_error(data: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        ComparisonSpec.from_dict(data)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"passes": ()}, "at least one blocking pass"),
        ({"passes": ("by_year",)}, "expected one of birth_window, given_pinyin, late_window, surname_county"),
        ({"passes": ("birth_window", "birth_window")}, "each may appear once"),
        ({"birth_margin_days": 0}, "birth_margin_days"),
        ({"missing_age_days": -5}, "missing_age_days"),
        ({"max_name_block": 0}, "max_name_block"),
        ({"chunk_pairs": 0}, "chunk_pairs"),
        ({"max_name_share": 0.0}, "max_name_share"),
        ({"max_name_share": 1.5}, "max_name_share"),
    ],
)
def test_bad_blocking_specs_are_refused_when_made(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        BlockingSpec(**changes)


def test_blocking_spec_to_dict_holds_every_parameter() -> None:
    spec = BlockingSpec(passes=("given_pinyin",), birth_margin_days=5, missing_age_days=6,
                        max_name_share=0.5, max_name_block=7, chunk_pairs=8)
    assert BlockingSpec(**{**spec.to_dict(), "passes": tuple(spec.to_dict()["passes"])}) == spec
    assert isinstance(ConfigError("x"), ValueError)
