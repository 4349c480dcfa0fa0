"""FellegiSunter without EM: patterns, u and labelled m, weights, term frequencies, JSON persistence."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.errors import ConfigError
from reunite.matching.model import (
    MODEL_FORMAT,
    FellegiSunter,
    _monotone,
    default_model,
    merge_pattern_counts,
    pattern_counts,
)
from reunite.matching.spec import COMPARISONS, LEVEL_LABELS, ORDERED, ComparisonSpec

SPEC = ComparisonSpec(comparisons=("surname", "birth", "timeline"))


def _random_levels(rng: np.random.Generator, n: int, spec: ComparisonSpec = SPEC) -> np.ndarray:
    return np.stack([rng.integers(-1, size, n) for size in spec.n_levels()]).astype(np.int8)


def _fitted(seed: int = 0) -> FellegiSunter:
    rng = np.random.default_rng(seed)
    model = FellegiSunter(SPEC, prior=0.3)
    model.fit_u(_random_levels(rng, 3000))
    model.fit_labelled(_random_levels(rng, 300))
    return model


def test_pattern_counts_equal_a_counter_of_columns() -> None:
    levels = _random_levels(np.random.default_rng(1), 5000)
    patterns, counts = pattern_counts(levels)
    expected = Counter(tuple(column) for column in levels.T.tolist())
    assert dict(zip(map(tuple, patterns.tolist()), counts.tolist(), strict=True)) == expected
    assert int(counts.sum()) == 5000


def test_merged_pattern_counts_equal_the_counts_of_all_pairs() -> None:
    levels = _random_levels(np.random.default_rng(2), 3000)
    merged = merge_pattern_counts([pattern_counts(levels[:, :1000]), pattern_counts(levels[:, 1000:])])
    whole = pattern_counts(levels)
    assert merged[0].tolist() == whole[0].tolist() and merged[1].tolist() == whole[1].tolist()


def test_more_than_eighteen_comparisons_are_refused() -> None:
    with pytest.raises(ConfigError, match="at most 18"):
        pattern_counts(np.zeros((19, 3), dtype=np.int8))


def test_fit_u_takes_shares_of_the_known_levels() -> None:
    levels = np.array([[0, 0, 2, -1], [1, 1, 1, 1], [2, 2, 0, -1]], dtype=np.int8)
    model = FellegiSunter(SPEC, floor=1e-9).fit_u(levels)
    np.testing.assert_allclose(model.u_[0], [2 / 3, 1e-9, 1 / 3], atol=1e-8)
    np.testing.assert_allclose(model.u_[1][1], 1.0, atol=1e-8)
    np.testing.assert_allclose(model.u_[2], [1 / 3, 1e-9, 2 / 3], atol=1e-8)


def test_fit_u_with_prior_pairs_moves_u_in_proportion() -> None:
    model = FellegiSunter(SPEC, floor=1e-9).fit_u(np.array([[0] * 4, [0] * 4, [0] * 4], dtype=np.int8))
    model.fit_u(np.array([[2] * 4, [0] * 4, [0] * 4], dtype=np.int8), prior_pairs=12)
    np.testing.assert_allclose(model.u_[0], [0.75, 0.0, 0.25], atol=1e-8)  # 4 new pairs vs 12


def test_fit_labelled_mixes_observed_shares_with_uniform() -> None:
    levels = np.array([[2, 2, 2, 2], [5, 5, 4, -1], [2, 2, 2, 2]], dtype=np.int8)
    model = FellegiSunter(SPEC, floor=1e-12).fit_labelled(levels, smoothing=0.3)
    np.testing.assert_allclose(model.m_[0], [0.1, 0.1, 0.7 + 0.1], atol=1e-9)
    np.testing.assert_allclose(model.m_[1], [0.3 / 10] * 4 + [0.3 / 10 + 0.7 / 3, 0.3 / 10 + 1.4 / 3] + [0.3 / 10] * 4,
                               atol=1e-9)
    with pytest.raises(ConfigError, match="at least one confirmed pair"):
        model.fit_labelled(np.zeros((3, 0), dtype=np.int8))
    with pytest.raises(ConfigError, match="smoothing"):
        model.fit_labelled(levels, smoothing=1.0)


def test_ordered_weights_never_fall_with_closer_agreement() -> None:
    model = default_model()
    for name, weights in zip(model.spec.comparisons, model.weights_, strict=True):
        if name in ORDERED:
            assert np.all(np.diff(weights) >= 0), name
    assert set(model.spec.comparisons) == set(COMPARISONS)


def test_match_weight_sums_level_weights_and_null_is_zero() -> None:
    model = _fitted()
    levels = np.array([[2, -1], [-1, -1], [0, -1]], dtype=np.int8)
    w = model.weights_
    np.testing.assert_allclose(model.match_weight(levels), [w[0][2] + w[2][0], 0.0], rtol=1e-6)


def test_tf_adjustment_rewards_rare_values_and_shrinks_for_few_candidates() -> None:
    model = _fitted()
    u = float(model.u_[0][2])
    rare, common = np.array([u / 8], dtype=np.float32), np.array([u * 8], dtype=np.float32)
    many = 10**9
    assert model.tf_adjustment("surname", 2, rare, many)[0] == pytest.approx(3.0, abs=1e-4)
    assert model.tf_adjustment("surname", 2, common, many)[0] == pytest.approx(-3.0, abs=1e-4)
    tiny = np.array([1e-12], dtype=np.float32)
    assert model.tf_adjustment("surname", 2, tiny, many)[0] == pytest.approx(4.0, abs=1e-3)  # clipped
    assert model.tf_adjustment("surname", 2, rare, 5000)[0] == pytest.approx(1.5, abs=1e-4)


# -- persistence -----------------------------------------------------------------------------------
def test_json_round_trip_keeps_everything(tmp_path: Path) -> None:
    model = _fitted()
    model.fit_frequencies({"given": {"小红": 0.01}, "pinyin": {"xiao hong": 0.02}, "surname": {"王": 0.07}}, 900)
    loaded = FellegiSunter.load(model.save(tmp_path / "model.json"))
    assert loaded.to_dict() == model.to_dict()
    assert loaded.version == model.version and loaded.prior == 0.3
    assert loaded.frequency_candidates_ == 900 and loaded.frequencies_["surname"] == {"王": 0.07}
    levels = _random_levels(np.random.default_rng(3), 100)
    np.testing.assert_allclose(loaded.match_weight(levels), model.match_weight(levels), atol=1e-5)
    text = (tmp_path / "model.json").read_text(encoding="utf-8")
    assert json.loads(text)["format"] == MODEL_FORMAT and "王" in text  # readable, not \\u-escaped


def test_version_changes_when_m_u_or_frequencies_change() -> None:
    model = _fitted()
    before = model.version
    assert model.version == before  # stable
    model.m_[1] = np.roll(model.m_[1], 1)
    after_m = model.version
    assert after_m != before
    model.u_[0] = model.u_[0][::-1].copy()
    assert model.version != after_m
    with_freq = _fitted().fit_frequencies({"given": {}, "pinyin": {}, "surname": {"王": 0.1}}, 100)
    other_freq = _fitted().fit_frequencies({"given": {}, "pinyin": {}, "surname": {"王": 0.2}}, 100)
    assert len({with_freq.version, other_freq.version, _fitted().version}) == 3


def test_version_changes_when_probabilities_or_scores_change() -> None:
    model = _fitted()
    other_prior = FellegiSunter.from_dict({**model.to_dict(), "params": {**model.to_dict()["params"], "prior": 0.9}})
    assert other_prior.version != model.version
    few = _fitted().fit_frequencies({"given": {}, "pinyin": {}, "surname": {"王": 0.1}}, 10)
    many = _fitted().fit_frequencies({"given": {}, "pinyin": {}, "surname": {"王": 0.1}}, 10**6)
    assert few.version != many.version


def _body() -> dict[str, Any]:
    return _fitted().to_dict()


def _with(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    body = _body()
    target = body
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return body


_DELETE = object()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(_with(("format",), "reunite.model/0"), "expected format", id="format"),
        pytest.param(_with(("format",), "reunite.model/2"), "earlier reunite (format reunite.model/2", id="older"),
        # a model saved before the registration level "before the loss" (format 4)
        pytest.param(_with(("format",), "reunite.model/3"), "earlier reunite (format reunite.model/3", id="format 3"),
        pytest.param(_with(("m",), _DELETE), "missing or malformed", id="no m"),
        pytest.param(_with(("u", "birth"), _DELETE), "missing or malformed", id="no u level"),
        pytest.param(_with(("m", "surname"), [0.5, 0.5]), "surname expects 3 levels", id="short m"),
        pytest.param(_with(("spec", "comparisons"), ["surname", "nickname"]), "nickname", id="comparison"),
        pytest.param(_with(("spec", "birth_band_days"), [1, 2]), "birth_band_days", id="bands"),
        pytest.param(_with(("params", "prior"), 1.5), "prior", id="prior"),
        pytest.param(_with(("params", "speed"), 1), "malformed", id="unknown param"),
        pytest.param(_with(("frequencies",), {"given": {}, "pinyin": {}, "surname": {}}), "malformed",
                     id="frequencies without their count"),
        pytest.param(_with(("m", "surname"), ["a", "b", "c"]), "", id="text probabilities"),
        pytest.param(_with(("m", "surname"), [0.0, -0.5, 1.5]), "", id="impossible probabilities"),
        pytest.param(_with(("frequencies",), ["王"]), "", id="frequencies not a mapping"),
        pytest.param(_with(("lambda",), 2.0), "lambda must be a probability", id="lambda"),
    ],
)
def test_malformed_model_json_gives_config_error(body: dict[str, Any], message: str) -> None:
    try:
        FellegiSunter.from_dict(body)
    except ConfigError as exc:
        assert message in str(exc)
    except Exception as exc:  # the test is that nothing but ConfigError comes out
        raise AssertionError(f"expected ConfigError, got {type(exc).__name__}: {exc}") from exc
    else:
        raise AssertionError("expected ConfigError, got a model")


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"{not json", id="not json"),
        pytest.param(b"", id="empty"),
        pytest.param(b'["a list"]', id="top-level list"),
        pytest.param(b'{"format": "\xff"}', id="not utf-8"),
    ],
)
def test_unreadable_model_files_give_config_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "model.json"
    path.write_bytes(content)
    try:
        FellegiSunter.load(path)
    except ConfigError:
        pass
    except Exception as exc:
        raise AssertionError(f"expected ConfigError, got {type(exc).__name__}: {exc}") from exc
    else:
        raise AssertionError("expected ConfigError, got a model")


def test_a_missing_model_file_gives_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read it"):
        FellegiSunter.load(tmp_path / "absent.json")


def test_default_model_is_fitted_and_labels_line_up() -> None:
    model = default_model()
    body = model.to_dict()
    assert body["format"] == MODEL_FORMAT and len(body["version"]) == 12
    for name, m, u in zip(model.spec.comparisons, model.m_, model.u_, strict=True):
        assert m.shape == u.shape == (len(LEVEL_LABELS[name]),)
        assert m.sum() == pytest.approx(1.0, abs=1e-6) and u.sum() == pytest.approx(1.0, abs=1e-6)
        assert (m > 0).all() and (u > 0).all()
    assert body["levels"] == {n: list(LEVEL_LABELS[n]) for n in model.spec.comparisons}


def test_prior_outside_zero_one_is_refused() -> None:
    for prior in (0.0, 1.0, -0.1):
        with pytest.raises(ConfigError, match="prior"):
            FellegiSunter(SPEC, prior=prior)


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_pattern_table_weights_equal_the_per_comparison_sum(data: st.DataObject) -> None:
    from reunite.matching.engine import EngineLimits
    from reunite.matching.score import weights_of_levels

    model = default_model()
    n = data.draw(st.integers(0, 40))
    levels = np.array([data.draw(st.lists(st.integers(-1, len(w) - 1), min_size=n, max_size=n))
                       for w in model.weights_], dtype=np.int8).reshape(len(model.weights_), n)
    by_pattern = weights_of_levels(model, levels)
    by_comparison = weights_of_levels(model, levels, limits=EngineLimits(pattern_cells=0))
    assert by_pattern.tolist() == by_comparison.tolist()
    expected = [sum(float(model.weight_table()[k, levels[k, j] + 1]) for k in range(levels.shape[0]))
                for j in range(n)]
    np.testing.assert_allclose(by_pattern, expected, rtol=1e-5, atol=1e-5)


def test_pattern_codes_hold_every_level_a_comparison_can_have() -> None:
    # birth has 10 levels (0..9): a code base too small mixed level 9 into the next comparison
    levels = np.array([[9, 9, 0, -1], [0, 2, 9, 9]], dtype=np.int8)
    patterns, counts = pattern_counts(levels)
    assert sorted(map(tuple, patterns.tolist())) == [(-1, 9), (0, 9), (9, 0), (9, 2)]
    assert counts.tolist() == [1, 1, 1, 1]
    with pytest.raises(ConfigError, match="levels up to 9"):
        pattern_counts(np.array([[10]], dtype=np.int8))


def test_the_rounded_birth_level_follows_the_data_s_share_of_rounded_births() -> None:
    from reunite.matching.comparisons import ROUNDED_BIRTH
    from reunite.matching.model import default_model
    from reunite.matching.spec import COMPARISONS, LEVEL_LABELS

    model = default_model()
    assert model.rounded_share is not None
    birth, level = COMPARISONS.index("birth"), LEVEL_LABELS["birth"].index(ROUNDED_BIRTH)
    before = [m.copy() for m in model.m_of("baby")]
    model.fit_rounded_share(0.0)  # registers here never round: that agreement is mostly chance
    after = model.m_of("baby")
    assert after[birth][level] == pytest.approx(before[birth][level] * 0.01 / (0.01 + 0.13958094456582085))
    assert after[birth].sum() == pytest.approx(1.0)
    others = np.delete(after[birth], level) / np.delete(before[birth], level)
    assert np.allclose(others, others[0])  # the other levels keep their proportions
    assert all(np.array_equal(a, b) for j, (a, b) in enumerate(zip(after, before, strict=True)) if j != birth)
    assert model.kind_weights("baby")[birth][level] < FellegiSunter.from_dict(
        default_model().to_dict()).kind_weights("baby")[birth][level]
    model.fit_rounded_share(0.13958094456582085)
    np.testing.assert_allclose(model.m_of("baby")[birth], before[birth], rtol=1e-9)
    assert FellegiSunter.from_dict(model.to_dict()).rounded_share == pytest.approx(0.13958094456582085)
    with pytest.raises(ConfigError, match="rounded share"):
        model.fit_rounded_share(1.5)


def _contaminated(model: FellegiSunter, share: float) -> FellegiSunter:
    return FellegiSunter.from_dict({**model.to_dict(), "params": {**model.to_dict()["params"], "contamination": share}})


def test_contamination_weighs_m_mixed_with_u_and_caps_each_disagreement() -> None:
    """A field of a true pair taken as unrelated with share a: weight log2(((1-a) m + a u) / u), so no
    level costs more than log2(1/a) bits (times the temperature), and 0 is plain log2(m/u)."""
    model = _fitted()
    share = 0.25
    mixed = _contaminated(model, share)
    for k, name in enumerate(model.spec.comparisons):
        raw = model.temperature * np.log2(model.m_[k] / model.u_[k])
        m, u = mixed.m_[k], mixed.u_[k]  # as the model file keeps them
        expected = model.temperature * np.log2(((1 - share) * m + share * u) / u)
        if name in ORDERED:
            raw, expected = _monotone(raw), _monotone(expected)  # pooled as every ordered comparison is
        np.testing.assert_allclose(model.weights_[k], raw)
        np.testing.assert_allclose(mixed.weights_[k], expected)
        assert mixed.weights_[k].min() >= model.temperature * np.log2(share) - 1e-12
        # disagreements cost less, strong agreements count a little less
        assert mixed.weights_[k].min() > model.weights_[k].min()
        assert mixed.weights_[k].max() < model.weights_[k].max()


def test_contamination_is_kept_by_the_model_file_and_absent_when_zero() -> None:
    """A model file of an earlier reunite (no contamination) loads as 0 with the same version: stored
    models do not change; a contaminated model's file keeps it and is another version."""
    model = _fitted()
    assert "contamination" not in model.to_dict()["params"]
    assert FellegiSunter.from_dict(model.to_dict()).version == model.version
    mixed = _contaminated(model, 0.3)
    assert FellegiSunter.from_dict(mixed.to_dict()).contamination == 0.3
    assert mixed.version != model.version


@pytest.mark.parametrize("share", [-0.1, 1.0, 1.5])
def test_contamination_outside_zero_one_is_refused(share: float) -> None:
    with pytest.raises(ConfigError, match="contamination"):
        FellegiSunter(SPEC, contamination=share)


def _scaled(model: FellegiSunter, scale: dict[str, float]) -> FellegiSunter:
    return FellegiSunter.from_dict({**model.to_dict(), "params": {**model.to_dict()["params"], "scale": scale}})


def test_scale_multiplies_one_comparison_s_weights_and_term_frequencies() -> None:
    """A comparison's scale multiplies its weights and its term-frequency adjustments, and no other
    comparison's; m and u are unchanged, so is the fit (it reads m and u)."""
    model = FellegiSunter.from_dict(_fitted().to_dict())  # m and u as the model file rounds them
    scaled = _scaled(model, {"surname": 0.5})
    for k, name in enumerate(model.spec.comparisons):
        factor = 0.5 if name == "surname" else 1.0
        np.testing.assert_allclose(scaled.weights_[k], factor * model.weights_[k], rtol=1e-12)
        np.testing.assert_array_equal(scaled.m_[k], model.m_[k])
    frequency = np.array([1e-4, 0.01, 0.2], dtype=np.float32)
    np.testing.assert_allclose(scaled.tf_adjustment("surname", 2, frequency, 10_000),
                               0.5 * model.tf_adjustment("surname", 2, frequency, 10_000), rtol=1e-6)


def test_scale_is_kept_by_the_model_file_and_absent_when_none() -> None:
    """A model file without scales (an earlier reunite) loads with every scale 1 and the same version;
    a scaled model's file keeps its scales and is another version."""
    model = _fitted()
    assert "scale" not in model.to_dict()["params"]
    assert FellegiSunter.from_dict(model.to_dict()).version == model.version
    scaled = _scaled(model, {"birth": 1.25, "surname": 0.5})
    again = FellegiSunter.from_dict(json.loads(json.dumps(scaled.to_dict())))
    assert again.scale == {"surname": 0.5, "birth": 1.25} and again.version == scaled.version != model.version


@pytest.mark.parametrize(("scale", "message"), [({"surname": 0.0}, "multiplier in (0, 4]"),
                                                ({"birth": 4.5}, "multiplier in (0, 4]"),
                                                ({"marks": 1.0}, "unknown comparison(s) marks;")])
def test_a_scale_outside_its_range_or_of_another_comparison_is_refused(scale: dict[str, float], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        FellegiSunter(SPEC, scale=scale)
    assert message in str(info.value)
