"""Parameters of the synthetic cold-case generator: one frozen, validated dataclass.

Every corruption of a true pair is drawn with one rate of :class:`SynthConfig`, and the pair is tagged
with the name in :data:`TAG_RATES`, so an evaluation can break recall down by what went wrong.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from reunite.errors import ConfigError

__all__ = ["BOUNDS", "SHIFT_YEAR_WEIGHTS", "TAG_RATES", "SynthConfig"]

#: Weights of a registered birth shifted by 1, 2, ... years (``date_shift``); the first
#: ``date_shift_max_years`` of them are used, renormalised (the first five sum to 1).
SHIFT_YEAR_WEIGHTS: tuple[float, ...] = (0.4, 0.25, 0.15, 0.12, 0.08, 0.05, 0.04, 0.03, 0.02, 0.02)

#: tag in truth.csv -> the SynthConfig field whose rate draws it (the population it is drawn over is
#: documented on each field).
TAG_RATES: dict[str, str] = {
    "adoptive_surname": "adoptive_surname_rate",
    "alias": "alias_rate",
    "alias_kept": "alias_kept_rate",
    "alias_in_name": "alias_in_name_rate",
    "alias_only": "alias_only_rate",
    "baby": "baby_rate",
    "date_jitter": "date_jitter_rate",
    "date_shift": "date_shift_rate",
    "dialect": "dialect_rate",
    "dirty": "case_dirty_rate",
    "dirty_register": "candidate_dirty_rate",
    "former_name": "former_name_kept_rate",
    "given_replaced": "given_replaced_rate",
    "homophone": "homophone_rate",
    "id_15": "id15_rate",
    "id_empty": "id_empty_rate",
    "id_malformed": "id_malformed_rate",
    "late_registration": "late_registration_rate",
    "lunar": "lunar_rate",
    "lunar_unmarked": "lunar_unmarked_rate",
    "marks": "marks_rate",
    "marks_shared": "marks_shared_rate",
    "moved_county": "move_in_county_rate",
    "moved_out": "move_out_province_rate",
    "moved_province": "move_in_province_rate",
    "partial_date": "partial_date_rate",
    "register_lunar": "register_lunar_digits_rate",
    "rounded_birth": "population_rounded_birth_rate",
    "route": "route_share",
    "unnamed": "baby_unnamed_rate",
    "vague_place": "case_vague_place_rate",
}

#: Fields that are not probabilities: name -> (lowest, highest, what the value is). Their defaults
#: reproduce the generator as it was before they existed, byte for byte.
BOUNDS: dict[str, tuple[float, float, str]] = {
    "near_twins_per_case": (0.0, 1000.0, "a mean count"),
    "baby_max_days": (1.0, 3650.0, "days"),
    "baby_gap_power": (0.1, 20.0, "an exponent"),
    "older_age_min_years": (0.0, 30.0, "years"),
    "older_age_max_years": (0.1, 40.0, "years"),
    "older_age_power": (0.1, 20.0, "an exponent"),
    "date_shift_max_years": (1.0, float(len(SHIFT_YEAR_WEIGHTS)), "whole years"),
    "surname_region_strength": (0.0, 3.0, "a spread of log shares"),
}


@dataclass(frozen=True, slots=True)
class SynthConfig:
    """Rates of the generator; all are probabilities in [0, 1] unless said otherwise.

    Case side (drawn for every case, matched or not, so a matcher cannot tell the two apart by form):

    - ``baby_rate``: the case is a baby given away or abandoned days or weeks after birth (tag
      ``baby``); the others are children lost at ages 2-10.
    - ``baby_max_days``, ``baby_gap_power``: a baby is lost ``u ** baby_gap_power * baby_max_days``
      days after birth (u uniform; the default, 0-60 days, most of them in the first weeks).
    - ``older_age_min_years``, ``older_age_max_years``, ``older_age_power``: an older child is lost at
      ``min + u ** power * (max - min)`` years (power 1: uniform whole days, the default 2-11 years).
    - ``wrong_order_rate``: the report gives a loss date before the birth date.
    - ``baby_unnamed_rate``: among babies, no name and no childhood name is known (``unnamed``).
    - ``alias_only_rate``: among named children, only the childhood name is known (``alias_only``).
    - ``alias_in_name_rate``: among those, the family writes the childhood name in the name cell
      (小军, 毛毛), and half of them in the alias cell too (``alias_in_name``).
    - ``alias_rate``: among the rest, a childhood name is reported beside the name (``alias``).
    - ``homophone_rate`` / ``dialect_rate``: among cases with a reported name, one character was
      written by ear with another of the same toneless pinyin (``homophone``), or with a southern
      dialect confusion such as zh/z, l/n, f/h, in/ing (``dialect``).
    - ``lunar_rate``: the family remembers the lunar birth date (``lunar``); ``lunar_unmarked_rate``:
      among those, nothing says it is lunar (``lunar_unmarked``).
    - ``partial_date_rate``: only the year or year-month of birth is given (``partial_date``).
    - ``marks_rate``: the case reports a mark or scar (``marks``); older children only, babies get
      ``baby_marks_rate`` (same tag).
    - ``case_vague_place_rate``: the place lost is known only to its city (two in three) or province
      (``vague_place``).
    - ``case_dirty_rate``: full-width characters, spaces, traditional characters, tags in brackets,
      variant characters in the case's cells (``dirty``).

    Candidate side, drawn for the true candidate of a matched case:

    - ``adoptive_surname_rate``: the register has an adoptive parent's surname.
    - ``given_replaced_rate``: among cases with a reported name, the given name was replaced;
      ``former_name_kept_rate``: among those, the birth name is kept as a former name (``former_name``).
    - ``alias_kept_rate``: among older children with a childhood name, it is kept as a former name.
    - ``date_jitter_rate``: registered birth date off by days or weeks (``date_jitter``).
    - ``date_shift_rate``: registered birth date shifted by 1 to ``date_shift_max_years`` years
      (weights :data:`SHIFT_YEAR_WEIGHTS`), ``shift_later_share`` of them later.
    - ``move_in_county_rate``, ``move_in_province_rate``, ``move_out_province_rate``: where the child
      was registered relative to the place lost (exclusive; the rest stay at home).
    - ``route_share``: among moves out of the province, the destination province is drawn from the
      real routes of trafficked children (``reunite/data/reunion_flows.csv``: origin -> destination
      counts; the overall destinations when the home province has no route); the others go to a
      province drawn by population.
    - ``register_lunar_digits_rate``: among children whose family gives the birth as a lunar date,
      the register wrote the lunar digits as the solar birth date (农历七月初七 registered as 07-07),
      as many registers did (``register_lunar``).
    - ``late_registration_rate``: among babies, registered 1-12 years after birth. Older children are
      always registered after the date they were lost.
    - ``marks_shared_rate``: among cases with marks, the register repeats one (paraphrased).
    - ``identity_coupling``: how much the events of a new identity come together. Adoption moves the
      surname, the given name, the registered birth and the registration date at once, not each by
      its own coin: with this probability per event, the adoptive surname, the replaced given name,
      the shifted birth and the late registration are decided by one draw per child instead of their
      own (each event keeps its rate; 0: independent events, 1: a child with a rarer event has every
      more common one too).

    Both sides of the candidate pool (decoys and true candidates alike):

    - ``id_empty_rate``, ``id_malformed_rate``; ``id15_rate`` among the other IDs of people born before
      1984.
    - ``candidate_dirty_rate`` (``dirty_register``), ``population_late_registration_rate``,
      ``population_former_name_rate``, ``population_marks_rate``.
    - ``population_rounded_birth_rate``: the registered birth date is written as the 1st of its
      month, half of them as 1 January of its year, as registers do when the day was not known
      (``rounded_birth``; the ID number carries the same date).
    - ``surname_region_strength``: surnames cluster by place, as they do in China (clan villages,
      the southern 陈 林 黄 against the northern 王 张 刘): a person's surname is drawn from the national
      shares tilted by a fixed random factor per (province, surname) and per (county, surname), of
      log standard deviation this value each (0: the national shares everywhere). People of one
      county then share surnames, and so do a case and the strangers born where the child was lost.

    Decoys: ``no_match_rate`` of cases have no true candidate (exact count, rounded);
    ``near_twins_per_case`` (Poisson mean) candidates share the child's surname, sex, birth year and
    province with a similar given name; ``local_decoy_share`` of the other decoys live in a province
    of some case.

    Examples
    --------
    >>> SynthConfig(no_match_rate=0.2).no_match_rate
    0.2
    >>> SynthConfig(baby_rate=1.5)
    Traceback (most recent call last):
    ...
    reunite.errors.ConfigError: SynthConfig.baby_rate: expected a probability in [0, 1], got 1.5
    """

    no_match_rate: float = 0.15
    case_female_share: float = 0.6
    baby_rate: float = 0.65
    baby_max_days: float = 60.0
    baby_gap_power: float = 2.0
    older_age_min_years: float = 2.0
    older_age_max_years: float = 11.0
    older_age_power: float = 1.0
    wrong_order_rate: float = 0.03
    baby_unnamed_rate: float = 0.7
    alias_only_rate: float = 0.12
    alias_rate: float = 0.4
    homophone_rate: float = 0.12
    dialect_rate: float = 0.08
    lunar_rate: float = 0.25
    lunar_unmarked_rate: float = 0.15
    partial_date_rate: float = 0.25
    marks_rate: float = 0.3
    case_vague_place_rate: float = 0.0
    baby_marks_rate: float = 0.05
    case_dirty_rate: float = 0.15

    adoptive_surname_rate: float = 0.4
    given_replaced_rate: float = 0.5
    former_name_kept_rate: float = 0.3
    alias_kept_rate: float = 0.15
    date_jitter_rate: float = 0.15
    date_shift_rate: float = 0.12
    date_shift_max_years: int = 5
    shift_later_share: float = 0.7
    move_in_county_rate: float = 0.1
    move_in_province_rate: float = 0.25
    move_out_province_rate: float = 0.25
    route_share: float = 0.0
    late_registration_rate: float = 0.35
    marks_shared_rate: float = 0.6

    id_empty_rate: float = 0.05
    id_malformed_rate: float = 0.03
    id15_rate: float = 0.1
    candidate_dirty_rate: float = 0.03
    population_late_registration_rate: float = 0.05
    population_former_name_rate: float = 0.04
    population_marks_rate: float = 0.03
    population_rounded_birth_rate: float = 0.0
    surname_region_strength: float = 0.0
    alias_in_name_rate: float = 0.0
    register_lunar_digits_rate: float = 0.0
    identity_coupling: float = 0.0

    near_twins_per_case: float = 2.0
    local_decoy_share: float = 0.3

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = getattr(self, spec.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"SynthConfig.{spec.name}: expected a number, got {value!r}")
            if spec.name in BOUNDS:
                low, high, what = BOUNDS[spec.name]
                if not low <= value <= high:
                    raise ConfigError(
                        f"SynthConfig.{spec.name}: expected {what} in [{low:g}, {high:g}], got {value!r}"
                    )
            elif not 0.0 <= value <= 1.0:
                raise ConfigError(f"SynthConfig.{spec.name}: expected a probability in [0, 1], got {value!r}")
        if self.date_shift_max_years != int(self.date_shift_max_years):
            raise ConfigError(
                f"SynthConfig.date_shift_max_years: expected whole years, got {self.date_shift_max_years!r}"
            )
        if self.older_age_min_years >= self.older_age_max_years:
            raise ConfigError(
                "SynthConfig: expected older_age_min_years < older_age_max_years, got "
                f"{self.older_age_min_years:g} and {self.older_age_max_years:g}"
            )
        moves = self.move_in_county_rate + self.move_in_province_rate + self.move_out_province_rate
        if moves > 1.0 + 1e-12:
            raise ConfigError(f"SynthConfig: the three move rates must add up to at most 1, got {moves:g}")
        ids = self.id_empty_rate + self.id_malformed_rate
        if ids > 1.0 + 1e-12:
            raise ConfigError(
                f"SynthConfig: id_empty_rate + id_malformed_rate must be at most 1, got {ids:g}"
            )

    def as_dict(self) -> dict[str, Any]:
        """The parameters as a plain dict (for run records).

        Examples
        --------
        >>> SynthConfig().as_dict()["no_match_rate"]
        0.15
        """
        return asdict(self)
