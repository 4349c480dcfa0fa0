"""Random and real-mix generator configurations: valid, reproducible, and spanning wide ranges."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest

from reunite.synth import SynthConfig, generate, random_config, random_profile, real_mix_config, real_mix_profile
from reunite.synth.profiles import INDEPENDENT, LINKED, REAL_MIX_FIELDS, REGIMES

N_DRAWS = 200


@pytest.fixture(scope="module")
def draws() -> list[SynthConfig]:
    return [random_config(np.random.default_rng(seed)) for seed in range(N_DRAWS)]


def test_every_draw_is_valid_and_moves_add_up(draws: list[SynthConfig]) -> None:
    for cfg in draws:
        assert isinstance(cfg, SynthConfig)  # __post_init__ validated every field
        moves = cfg.move_in_county_rate + cfg.move_in_province_rate + cfg.move_out_province_rate
        assert moves <= 1.0
        assert cfg.older_age_min_years < cfg.older_age_max_years
        assert cfg.date_shift_max_years == int(cfg.date_shift_max_years)


def test_same_seed_same_config_other_seed_other_config() -> None:
    assert random_config(np.random.default_rng(7)) == random_config(np.random.default_rng(7))
    assert random_config(np.random.default_rng(7)) != random_config(np.random.default_rng(8))


def test_no_two_draws_share_a_field_with_the_default(draws: list[SynthConfig]) -> None:
    default = SynthConfig()
    drawn = {f.name for f in fields(SynthConfig) if any(getattr(c, f.name) != getattr(default, f.name)
                                                         for c in draws)}
    assert drawn == {f.name for f in fields(SynthConfig)}, "every field is a drawn parameter"


@pytest.mark.parametrize(
    "field",
    ["baby_rate", "given_replaced_rate", "adoptive_surname_rate", "baby_unnamed_rate", "alias_only_rate",
     "date_shift_rate", "date_jitter_rate", "partial_date_rate", "lunar_rate", "lunar_unmarked_rate",
     "late_registration_rate", "case_dirty_rate", "id_empty_rate", "no_match_rate", "near_twins_per_case"],
)
def test_key_rates_span_most_of_their_range(draws: list[SynthConfig], field: str) -> None:
    if field in LINKED:
        _, a, b = LINKED[field]
        low, high = min(a, b), max(a, b)
    else:
        low, high = INDEPENDENT[field]
    values = np.array([getattr(c, field) for c in draws])
    span = high - low
    assert values.min() >= low - 1e-12 and values.max() <= high + 1e-12, field
    assert values.min() <= low + 0.1 * span and values.max() >= high - 0.1 * span, (
        f"{field}: drawn {values.min():.3f}..{values.max():.3f}, range {low}..{high}"
    )


def test_moves_range_from_local_to_far(draws: list[SynthConfig]) -> None:
    out = np.array([c.move_out_province_rate for c in draws])
    moved = np.array([c.move_in_county_rate + c.move_in_province_rate + c.move_out_province_rate
                      for c in draws])
    assert out.min() < 0.02 and out.max() > 0.7
    assert moved.min() < 0.15 and moved.max() > 0.85


def test_regimes_are_drawn_and_correlated() -> None:
    profiles = [random_profile(np.random.default_rng(seed)) for seed in range(N_DRAWS)]
    assert {p.regime for p in profiles} == set(REGIMES)
    babies = [p.config.baby_rate for p in profiles if p.regime == "babies"]
    older = [p.config.baby_rate for p in profiles if p.regime == "older"]
    assert min(babies) > 0.6 and max(older) < 0.45
    renamed = np.array([p.config.given_replaced_rate for p in profiles])
    surname = np.array([p.config.adoptive_surname_rate for p in profiles])
    assert np.corrcoef(renamed, surname)[0, 1] > 0.7  # one name-loss axis drives both


def test_real_mix_follows_the_aggregates() -> None:
    cfg = real_mix_config()
    assert abs(cfg.baby_rate - 3687 / 5676) < 1e-12
    assert cfg.case_female_share == 0.615
    assert abs(cfg.move_out_province_rate - (0.14 * 0.89 + 0.83 * 0.10)) < 1e-12
    assert 0.0 < cfg.route_share < 1.0
    has_marks = cfg.baby_rate * cfg.baby_marks_rate + (1 - cfg.baby_rate) * cfg.marks_rate
    assert abs(has_marks - 0.70) < 1e-9


def test_real_mix_generates_with_routes_and_wide_ages() -> None:
    data = generate(600, 3000, seed=3, config=real_mix_config())
    tags = [set(t.split(";")) for t in data.truth["tags"]]
    routed = sum("route" in t for t in tags)
    moved_out = sum("moved_out" in t for t in tags)
    assert 0 < routed < moved_out
    assert all("moved_out" in t for t in tags if "route" in t)
    girls = sum(s in ("F", "女") for s in data.cases["sex"]) / data.n_cases
    assert abs(girls - 0.615) < 0.08


def test_surnames_cluster_by_place_with_surname_region_strength() -> None:
    from reunite.synth.cases import draw_people
    from reunite.synth.names import load_name_pools
    from reunite.synth.regions import load_regions

    pools, regions = load_name_pools(), load_regions()
    a, b = regions.province_members[0][0], regions.province_members[-1][0]  # two counties far apart
    county = np.repeat(np.array([a, b], dtype=np.int64), 20_000)

    def distance(strength: float) -> float:
        people = draw_people(np.random.default_rng(5), pools, regions, county.shape[0], female_share=0.5,
                             county=county, surname_region_strength=strength)
        names = np.array(people.surname, dtype=object)
        share = [np.array([np.mean(names[half] == s) for s in pools.surnames])
                 for half in (slice(0, 20_000), slice(20_000, None))]
        return float(np.abs(share[0] - share[1]).sum() / 2)  # total variation

    national, clustered = distance(0.0), distance(1.0)
    assert national < 0.06  # sampling noise only
    assert clustered > 0.3


def test_real_mix_profiles_keep_every_counted_rate_and_draw_the_rest() -> None:
    real = real_mix_config()
    drawn = [real_mix_profile(np.random.default_rng(seed)).config for seed in range(40)]
    for cfg in drawn:  # valid (SynthConfig checks itself) and true to every count of the aggregates
        assert all(getattr(cfg, name) == getattr(real, name) for name in REAL_MIX_FIELDS)
        assert cfg.move_in_county_rate + cfg.move_in_province_rate + cfg.move_out_province_rate <= 1.0 + 1e-12
    uncounted = ("date_shift_rate", "given_replaced_rate", "late_registration_rate", "no_match_rate",
                 "lunar_rate", "move_in_province_rate")
    for name in uncounted:  # what nobody counted is drawn over a range, not kept at the default
        values = [getattr(cfg, name) for cfg in drawn]
        assert max(values) - min(values) > 0.2, name
    assert real_mix_profile(np.random.default_rng(7)) == real_mix_profile(np.random.default_rng(7))
