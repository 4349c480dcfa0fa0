"""Generator configurations for an evaluation our own defaults cannot flatter.

:func:`random_config` draws every rate of :class:`SynthConfig` from a wide range; :func:`real_mix_config`
is built from the real case aggregates in DESIGN.md ("The real case mix, in numbers") and
``reunite/data/reunion_flows.csv``.

How a random configuration is drawn
-----------------------------------
First a regime (:data:`REGIMES`, with its probability), which narrows some of six latent axes in [0, 1]:

============  ==========================================================================================
axis          rates it drives (``low`` at axis 0 -> ``high`` at axis 1, each with its own noise)
============  ==========================================================================================
``baby``      baby_rate 0.02-0.98
``name_loss`` given_replaced_rate 0.05-0.95, adoptive_surname_rate 0.05-0.9, baby_unnamed_rate 0.2-0.98,
              alias_only_rate 0-0.5; former_name_kept_rate 0.7-0, alias_kept_rate 0.5-0 (fewer kept)
``shift``     date_shift_rate 0-0.6, date_jitter_rate 0.02-0.5, partial_date_rate 0.02-0.6,
              lunar_rate 0-0.6, lunar_unmarked_rate 0-0.7, date_shift_max_years 2-8
``far``       share of true children registered away from home 0.05-0.95, of which out of the province
              0.05-0.9 (the rest split at random between the same county and the same province)
``late``      late_registration_rate 0.02-0.85, population_late_registration_rate 0.01-0.15
``dirty``     case_dirty_rate 0-0.45, candidate_dirty_rate 0-0.15, id_empty_rate 0-0.4,
              id_malformed_rate 0-0.15, homophone_rate 0-0.3, dialect_rate 0-0.25
============  ==========================================================================================

Every other field is drawn on its own from :data:`INDEPENDENT` (uniform). The noise on a linked rate is
uniform in +-:data:`NOISE` on the axis (clipped), so two rates of one axis are correlated, not equal.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from reunite.synth.config import SynthConfig

__all__ = ["INDEPENDENT", "LINKED", "NOISE", "REAL_MIX_FIELDS", "REGIMES", "Profile", "random_config",
           "random_profile", "real_mix_config", "real_mix_profile"]

AXES: tuple[str, ...] = ("baby", "name_loss", "shift", "far", "late", "dirty")

#: regime -> (probability, axis -> (low, high) on [0, 1]); axes not named are uniform on [0, 1].
REGIMES: dict[str, tuple[float, dict[str, tuple[float, float]]]] = {
    "mixed": (0.4, {}),
    # Newborns given away or abandoned: unnamed, renamed by the new family, registered late, mostly local.
    "babies": (0.2, {"baby": (0.8, 1.0), "name_loss": (0.5, 1.0), "far": (0.0, 0.4), "late": (0.4, 1.0)}),
    # Older children trafficked: a childhood name and a memory of home, taken far, births re-registered.
    "older": (0.2, {"baby": (0.0, 0.25), "name_loss": (0.0, 0.7), "far": (0.5, 1.0), "shift": (0.3, 1.0)}),
    "hard": (0.1, {"name_loss": (0.7, 1.0), "shift": (0.6, 1.0), "far": (0.6, 1.0), "dirty": (0.5, 1.0)}),
    "easy": (0.1, {"name_loss": (0.0, 0.3), "shift": (0.0, 0.3), "far": (0.0, 0.3), "dirty": (0.0, 0.3)}),
}

#: field -> (axis, value at axis 0, value at axis 1).
LINKED: dict[str, tuple[str, float, float]] = {
    "baby_rate": ("baby", 0.02, 0.98),
    "given_replaced_rate": ("name_loss", 0.05, 0.95),
    "adoptive_surname_rate": ("name_loss", 0.05, 0.9),
    "baby_unnamed_rate": ("name_loss", 0.2, 0.98),
    "alias_only_rate": ("name_loss", 0.0, 0.5),
    "former_name_kept_rate": ("name_loss", 0.7, 0.0),
    "alias_kept_rate": ("name_loss", 0.5, 0.0),
    "date_shift_rate": ("shift", 0.0, 0.6),
    "date_jitter_rate": ("shift", 0.02, 0.5),
    "partial_date_rate": ("shift", 0.02, 0.6),
    "lunar_rate": ("shift", 0.0, 0.6),
    "lunar_unmarked_rate": ("shift", 0.0, 0.7),
    "date_shift_max_years": ("shift", 2.0, 8.0),
    "late_registration_rate": ("late", 0.02, 0.85),
    "population_late_registration_rate": ("late", 0.01, 0.15),
    "case_dirty_rate": ("dirty", 0.0, 0.45),
    "candidate_dirty_rate": ("dirty", 0.0, 0.15),
    "id_empty_rate": ("dirty", 0.0, 0.4),
    "id_malformed_rate": ("dirty", 0.0, 0.15),
    "homophone_rate": ("dirty", 0.0, 0.3),
    "dialect_rate": ("dirty", 0.0, 0.25),
}
#: the "far" axis: (share registered away from home, share of those out of the province), low -> high.
MOVED_RANGE: tuple[float, float] = (0.05, 0.95)
OUT_SHARE_RANGE: tuple[float, float] = (0.05, 0.9)

#: field -> (low, high), drawn uniformly and independently of the regime.
INDEPENDENT: dict[str, tuple[float, float]] = {
    "no_match_rate": (0.02, 0.6),
    "near_twins_per_case": (0.0, 6.0),
    "case_female_share": (0.35, 0.8),
    "local_decoy_share": (0.0, 0.8),
    "alias_rate": (0.05, 0.8),
    "marks_rate": (0.0, 0.7),
    "baby_marks_rate": (0.0, 0.15),
    "marks_shared_rate": (0.1, 0.9),
    "population_marks_rate": (0.0, 0.1),
    "population_former_name_rate": (0.0, 0.1),
    "id15_rate": (0.0, 0.4),
    "shift_later_share": (0.3, 0.95),
    "route_share": (0.0, 1.0),
    "baby_max_days": (7.0, 365.0),
    "baby_gap_power": (1.0, 5.0),
    "older_age_min_years": (1.0, 4.0),
    "older_age_span_years": (3.0, 14.0),  # older_age_max_years = min + span
    "older_age_power": (0.6, 2.5),
    "wrong_order_rate": (0.0, 0.05),
    "population_rounded_birth_rate": (0.0, 0.3),
    "case_vague_place_rate": (0.0, 0.3),
    # drawn last (in this order), so that adding them left every other drawn value of a seed as it was
    "surname_region_strength": (0.0, 1.2),
    "alias_in_name_rate": (0.0, 0.8),
    "register_lunar_digits_rate": (0.0, 0.6),
    "identity_coupling": (0.0, 0.9),
}
NOISE = 0.15


@dataclass(frozen=True, slots=True)
class Profile:
    """A drawn configuration with the regime and latent axes it came from."""

    regime: str
    axes: dict[str, float]
    config: SynthConfig

    def describe(self) -> str:
        """A short line for a table: regime and the rates that matter most to a matcher."""
        return describe(self.config, self.regime)


def describe(cfg: SynthConfig, regime: str = "") -> str:
    """``regime: babies 0.65, renamed 0.50, shift 0.12, out-prov 0.25, no-match 0.15`` for a table.

    Examples
    --------
    >>> describe(SynthConfig(), "default")
    'default: babies 0.65, renamed 0.50, shift 0.12, out-prov 0.25, late 0.35, no-match 0.15'
    """
    text = (f"babies {cfg.baby_rate:.2f}, renamed {cfg.given_replaced_rate:.2f}, shift {cfg.date_shift_rate:.2f}, "
            f"out-prov {cfg.move_out_province_rate:.2f}, late {cfg.late_registration_rate:.2f}, "
            f"no-match {cfg.no_match_rate:.2f}")
    return f"{regime}: {text}" if regime else text


def _on_axis(rng: np.random.Generator, axis: float, low: float, high: float) -> float:
    """``low`` -> ``high`` as the axis goes 0 -> 1, the axis moved by uniform noise of +-NOISE (clipped)."""
    t = float(np.clip(axis + rng.uniform(-NOISE, NOISE), 0.0, 1.0))
    return low + t * (high - low)


def random_profile(rng: np.random.Generator) -> Profile:
    """Draw a regime, its latent axes and a valid configuration (see the module docstring).

    Parameters
    ----------
    rng
        The only source of randomness: the same generator state gives the same profile.

    Returns
    -------
    Profile

    Examples
    --------
    >>> a = random_profile(np.random.default_rng(3))
    >>> b = random_profile(np.random.default_rng(3))
    >>> a == b and a.regime in REGIMES
    True
    """
    names = list(REGIMES)
    weights = np.array([REGIMES[n][0] for n in names])
    regime = names[int(rng.choice(len(names), p=weights / weights.sum()))]
    bounds = REGIMES[regime][1]
    axes = {a: float(rng.uniform(*bounds.get(a, (0.0, 1.0)))) for a in AXES}

    values: dict[str, Any] = {}
    for field, (axis, low, high) in LINKED.items():
        values[field] = _on_axis(rng, axes[axis], low, high)
    values["date_shift_max_years"] = round(values["date_shift_max_years"])

    moved = _on_axis(rng, axes["far"], *MOVED_RANGE)
    out_share = _on_axis(rng, axes["far"], *OUT_SHARE_RANGE)
    county_share = float(rng.uniform())
    out = moved * out_share
    values["move_out_province_rate"] = float(out)
    values["move_in_county_rate"] = float((moved - out) * county_share)
    values["move_in_province_rate"] = float((moved - out) * (1.0 - county_share))

    for field, (low, high) in INDEPENDENT.items():
        values[field] = float(rng.uniform(low, high))
    values["older_age_max_years"] = values["older_age_min_years"] + values.pop("older_age_span_years")
    if values["id_empty_rate"] + values["id_malformed_rate"] > 1.0:  # cannot happen with these ranges
        values["id_malformed_rate"] = 1.0 - values["id_empty_rate"]
    return Profile(regime, axes, SynthConfig(**values))


def random_config(rng: np.random.Generator) -> SynthConfig:
    """A configuration with every rate drawn from a wide range, in correlated regimes.

    Parameters
    ----------
    rng
        The only source of randomness (``np.random.default_rng(seed)`` for a reproducible draw).

    Returns
    -------
    SynthConfig
        Always valid; :func:`random_profile` also tells which regime and axes it came from.

    Examples
    --------
    >>> cfg = random_config(np.random.default_rng(0))
    >>> cfg == random_config(np.random.default_rng(0))
    True
    >>> cfg.move_in_county_rate + cfg.move_in_province_rate + cfg.move_out_province_rate <= 1.0
    True
    """
    return random_profile(rng).config


# -- the real case mix (DESIGN.md, "The real case mix, in numbers") ----------------------------------
# Age at loss of 5,748 postings (70 give a loss date before the birth date; the other 5,676 below).
_BABY_BANDS = {"same day": 945, "1-7 days": 756, "8-30 days": 585, "1-6 months": 1056, "6-12 months": 345}
_OLDER_BANDS = {"1-2y": 372, "2-3y": 293, "3-6y": 609, "6-12y": 354, "12-18y": 297, "older": 64}
_N_BABY = sum(_BABY_BANDS.values())     # 3,687
_N_OLDER = sum(_OLDER_BANDS.values())   # 1,989
_GIVEN_AWAY, _TRAFFICKED, _ABANDONED = 0.71, 0.14, 0.12
_TRAFFICKED_OUT_OF_PROVINCE = 0.89
# Not in the aggregates: the share of babies given away or abandoned who end up registered in another
# province (adoptive families are mostly local). An assumption, to be replaced when counted.
_GIVEN_AWAY_OUT_OF_PROVINCE = 0.10


def real_mix_config() -> SynthConfig:
    """The generator set to the real case mix of public family-seeking postings.

    Each value is derived in a comment from the counts in DESIGN.md; rates the aggregates say nothing
    about keep their defaults (and say so).

    Returns
    -------
    SynthConfig

    Examples
    --------
    >>> cfg = real_mix_config()
    >>> round(cfg.baby_rate, 3), cfg.case_female_share, round(cfg.route_share, 2)
    (0.65, 0.615, 0.6)
    """
    out_trafficked = _TRAFFICKED * _TRAFFICKED_OUT_OF_PROVINCE                    # 0.125 of all cases
    out_rest = (_GIVEN_AWAY + _ABANDONED) * _GIVEN_AWAY_OUT_OF_PROVINCE           # 0.083 (assumed)
    move_out = out_trafficked + out_rest                                          # 0.208
    return SynthConfig(
        # Lost within the first year: 3,687 of the 5,676 postings with a loss date after birth = 0.650.
        baby_rate=_N_BABY / (_N_BABY + _N_OLDER),
        # Babies: same day 945, <=7 days 1,701, <=30 days 2,286, <=6 months 3,342 of 3,687 (0.26, 0.46,
        # 0.62, 0.91). A gap of u**5 * 365 days gives 0.31, 0.45, 0.61, 0.87: the closest power.
        baby_max_days=365.0,
        baby_gap_power=5.0,
        # Older children, 1,989: <3 years 665 (0.33), <6 1,274 (0.64), <12 1,628 (0.82), 12-18 297, older
        # 64. Ages 1 + u**2 * 17 years give 0.33, 0.53, 0.80: power 2 fits the first and last band.
        older_age_min_years=1.0,
        older_age_max_years=18.0,
        older_age_power=2.0,
        # 70 of 5,748 postings give a loss date before the birth date.
        wrong_order_rate=70 / 5748,
        # Girls 61.5%.
        case_female_share=0.615,
        # Name cell a placeholder in 13% of postings. The generator writes a placeholder in 45% of the
        # name cells of unnamed babies and 20% of childhood-name-only cases (alias_only_rate 0.12 of the
        # others): 0.45 * 0.65 x + 0.2 * 0.12 * (1 - 0.65 x) = 0.13 gives x = 0.38 unnamed among babies.
        baby_unnamed_rate=0.38,
        # Name cell with a tag or variant in 33%: a dirty case touches its name cell about half the time
        # and about half of those touches add a tag or variant (see text.dirty_name); at 0.95, 21% of
        # name cells carry a bracket (measured, 2,000 cases): as close as the generator comes.
        case_dirty_rate=0.95,
        # Marks empty or 无/不详 in 30%: 70% report one. Older children (0.35 of cases) at 0.95, babies at
        # (0.70 - 0.35 * 0.95) / 0.65 = 0.565.
        marks_rate=0.95,
        baby_marks_rate=(0.70 - (1 - _N_BABY / (_N_BABY + _N_OLDER)) * 0.95) / (_N_BABY / (_N_BABY + _N_OLDER)),
        # Given away 71% + trafficked 14% + abandoned 12% = 97% grow up in another family; assume one in
        # six of those keep the surname (given to relatives or a family of the same surname): 0.97 * 5/6.
        adoptive_surname_rate=0.97 * 5 / 6,
        # Out of the province: trafficked 0.14 * 0.89 found in another province = 0.125, plus the given
        # away and abandoned (0.83) at an assumed 10% = 0.083; 0.208 in all.
        move_out_province_rate=move_out,
        # Of those moves, the trafficked ones (0.125 / 0.208 = 0.60) follow the counted routes
        # (reunion_flows.csv: 贵州 -> 福建 alone is 10% of 1,458 reunions).
        route_share=out_trafficked / move_out,
        # Not in the aggregates either, but a known fact of Chinese surnames: they cluster by place (陈, 林
        # and 黄 are several times as common in Guangdong and Fujian as nationally, 王 and 张 in the north;
        # many villages are one clan). A log spread of 0.6 per level (province and county) makes the
        # top surnames of a province 2-3 times their national share, as those do.
        surname_region_strength=0.6,
        # Not in the aggregates, kept at their defaults: no_match_rate, given_replaced_rate, every date
        # rate (shift, jitter, partial, lunar), late registration, in-county and in-province moves, IDs,
        # dirt on the register side, near-twins and decoys.
    )


#: The fields :func:`real_mix_config` derives from the real aggregates (DESIGN.md, reunion_flows.csv).
REAL_MIX_FIELDS: tuple[str, ...] = (
    "baby_rate", "baby_max_days", "baby_gap_power", "older_age_min_years", "older_age_max_years",
    "older_age_power", "wrong_order_rate", "case_female_share", "baby_unnamed_rate", "case_dirty_rate",
    "marks_rate", "baby_marks_rate", "adoptive_surname_rate", "move_out_province_rate", "route_share",
)


def real_mix_profile(rng: np.random.Generator) -> Profile:
    """The real case mix with every rate the aggregates do not give drawn as :func:`random_profile` draws it.

    :func:`real_mix_config` keeps those rates (how often a registered birth is shifted, a given name
    replaced, a child registered late, a case without a match...) at the generator's defaults, which the
    shipped model was never fitted on but which are still one guess. Drawing them instead makes a family of
    configurations that agree with every real count and disagree on what nobody counted: a model is judged
    on the worst of them too.

    Parameters
    ----------
    rng
        The only source of randomness.

    Returns
    -------
    Profile
        Regime ``"real mix drawn"``, the axes of the underlying random draw.

    Examples
    --------
    >>> a, b = real_mix_profile(np.random.default_rng(1)), real_mix_profile(np.random.default_rng(2))
    >>> a.config.baby_rate == b.config.baby_rate == real_mix_config().baby_rate
    True
    >>> a.config.date_shift_rate != b.config.date_shift_rate
    True
    """
    drawn = random_profile(rng)
    real = real_mix_config()
    values = {f.name: getattr(drawn.config, f.name) for f in dataclasses.fields(SynthConfig)}
    values.update({name: getattr(real, name) for name in REAL_MIX_FIELDS})
    # moves within the province keep their drawn rates, scaled down when they leave no room for the
    # counted moves out of it
    within = drawn.config.move_in_county_rate + drawn.config.move_in_province_rate
    room = 1.0 - real.move_out_province_rate
    if within > room:
        values["move_in_county_rate"] = drawn.config.move_in_county_rate * room / within
        values["move_in_province_rate"] = drawn.config.move_in_province_rate * room / within
    return Profile("real mix drawn", drawn.axes, SynthConfig(**values))
