"""Comparison and blocking specifications: frozen data, checked when made, saved as JSON.

A :class:`ComparisonSpec` names the comparisons a model uses and their parameters; the levels and
labels of each comparison are fixed by its module (:mod:`reunite.matching.comparisons`) and read here,
so a model's m and u arrays always line up with the same meaning.
Level ``-1`` is null (a value missing on either side) and carries zero weight.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal, get_args

from reunite.errors import ConfigError
from reunite.matching.comparisons import REGISTRY, ComparisonName

__all__ = [
    "COMPARISONS",
    "LEVEL_LABELS",
    "ORDERED",
    "BlockingPass",
    "BlockingSpec",
    "ComparisonName",
    "ComparisonSpec",
]

BlockingPass = Literal["birth_window", "given_pinyin", "late_window", "surname_county"]

COMPARISONS: tuple[ComparisonName, ...] = get_args(ComparisonName)

# Index = level: each comparison's labels and order live with it (reunite.matching.comparisons).
LEVEL_LABELS: dict[ComparisonName, tuple[str, ...]] = {
    name: REGISTRY[name].labels for name in COMPARISONS
}

# Comparisons whose levels are ordered by closeness of agreement: their weights are kept
# non-decreasing in level, so a closer value never lowers a score.
ORDERED: frozenset[ComparisonName] = frozenset(name for name in COMPARISONS if REGISTRY[name].ordered)


def _strict_bool(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{what}: expected true or false; got {value!r}")
    return value


def _check_literal(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise ConfigError(f"{what}: expected one of {', '.join(allowed)}; got {value!r}")


@dataclass(frozen=True, slots=True)
class ComparisonSpec:
    """Which comparisons a model uses and their parameters.

    Parameters
    ----------
    comparisons:
        The comparisons, in the order of the model's weight arrays.
    name_similarity:
        Jaro-Winkler similarity of toneless given-name pinyin at or above which names are "similar".
    birth_band_days:
        Gaps between birth intervals (days) for "within 1 / 2 / 3 years".
    birth_month_days:
        Intervals that overlap or lie at most this many days apart are "within a month".
    birthday_min_gap_days:
        Births known to the day at least this far apart are compared on month and day alone (a
        registered birth shifted by whole years often keeps the birthday); within ``birth_band_days[0]``
        ("born within 1 year") only "the same birthday" is read, as "near" there follows from the gap.
    birthday_near_days:
        Birthdays in another year at most this many days apart around the year (and more than
        ``same_day_days``) are "near": a lunar birthday written as solar lies 19-51 days after it (a
        lunar new year falls between 21 January and 20 February), a family remembers a birthday "around
        the Spring Festival", a register rounds it to the month.
    same_day_days:
        Two birth dates known to the day and at most this many days apart are "the same day"
        (lunar conversions and registrations are often a day off). Agreeing to the day is far
        stronger evidence than overlapping a year-long interval.
    nearby_km:
        Centroid distance for "region nearby".
    late_registration_days:
        Registration this long after birth is "late", and the second value "years late".
    registration_after_loss_days:
        Registered late and after the child went missing, at most this long after: "within 6 months
        after" (a family registers a child soon after it came), the second value "6 months to 2 years
        after"; later, "years after" (when the child needs a school, or in a registration drive).
    route_shares:
        A destination province taking at least this share of the reunions of trafficked children from
        the case's province (reunite/data/reunion_flows.csv, shrunk towards the national shares) is
        "on a known route", and at least the second share "on a main route".
    timeline_grace_days:
        A registered birth up to this long after the missing date is "shortly after".
    tf_adjust:
        Term-frequency adjustment of the exact levels of given name and surname.

    Examples
    --------
    >>> spec = ComparisonSpec()
    >>> spec.comparisons[0]
    'given_name'
    >>> ComparisonSpec(comparisons=("birth", "nickname"))
    Traceback (most recent call last):
    ...
    reunite.errors.ConfigError: comparison: expected one of given_name, surname, ...; got 'nickname'
    """

    comparisons: tuple[ComparisonName, ...] = COMPARISONS
    name_similarity: float = 0.88
    birth_band_days: tuple[int, int, int] = (366, 731, 1096)
    birth_month_days: int = 31
    same_day_days: int = 1
    nearby_km: float = 150.0
    birthday_min_gap_days: int = 300
    birthday_near_days: int = 60
    late_registration_days: tuple[int, int] = (183, 1096)
    registration_after_loss_days: tuple[int, int] = (183, 731)
    route_shares: tuple[float, float] = (0.03, 0.12)
    timeline_grace_days: int = 731
    tf_adjust: bool = True

    def __post_init__(self) -> None:
        if not self.comparisons:
            raise ConfigError("comparisons: expected at least one comparison; got none")
        for name in self.comparisons:
            _check_literal(name, COMPARISONS, "comparison")
        if len(set(self.comparisons)) != len(self.comparisons):
            raise ConfigError(f"comparisons: each may appear once; got {self.comparisons}")
        if not 0.0 < self.name_similarity < 1.0:
            raise ConfigError(f"name_similarity: expected a value in (0, 1); got {self.name_similarity}")
        bands = self.birth_band_days
        if len(bands) != 3 or not 0 < bands[0] < bands[1] < bands[2]:
            raise ConfigError(f"birth_band_days: expected three increasing positive days; got {bands}")
        if not 0 <= self.same_day_days < self.birth_month_days < bands[0]:
            raise ConfigError(
                "same_day_days < birth_month_days < birth_band_days[0] expected; got "
                f"{self.same_day_days}, {self.birth_month_days}, {bands[0]}"
            )
        late = self.late_registration_days
        if len(late) != 2 or not 0 < late[0] < late[1]:
            raise ConfigError(f"late_registration_days: expected two increasing days; got {late}")
        if self.nearby_km <= 0 or self.timeline_grace_days < 0:
            raise ConfigError("nearby_km must be positive and timeline_grace_days not negative")
        if self.birthday_min_gap_days < 1:
            raise ConfigError(f"birthday_min_gap_days: expected positive days; got {self.birthday_min_gap_days}")
        after = self.registration_after_loss_days
        if len(after) != 2 or not 0 < after[0] < after[1]:
            raise ConfigError(f"registration_after_loss_days: expected two increasing positive days; got {after}")
        if not self.same_day_days < self.birthday_near_days < 183:
            raise ConfigError(
                "same_day_days < birthday_near_days < 183 (half a year) expected; got "
                f"{self.same_day_days}, {self.birthday_near_days}"
            )
        shares = self.route_shares
        if len(shares) != 2 or not 0.0 < shares[0] < shares[1] <= 1.0:
            raise ConfigError(f"route_shares: expected two increasing shares in (0, 1]; got {shares}")

    def n_levels(self) -> tuple[int, ...]:
        return tuple(len(LEVEL_LABELS[name]) for name in self.comparisons)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["comparisons"] = list(self.comparisons)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ComparisonSpec:
        try:
            return cls(
                comparisons=tuple(data["comparisons"]),
                name_similarity=float(data["name_similarity"]),
                birth_band_days=tuple(int(v) for v in data["birth_band_days"]),  # type: ignore[arg-type]
                birth_month_days=int(data["birth_month_days"]),
                same_day_days=int(data["same_day_days"]),
                nearby_km=float(data["nearby_km"]),
                birthday_min_gap_days=int(data["birthday_min_gap_days"]),
                birthday_near_days=int(data["birthday_near_days"]),
                late_registration_days=tuple(int(v) for v in data["late_registration_days"]),  # type: ignore[arg-type]
                registration_after_loss_days=tuple(  # type: ignore[arg-type]
                    int(v) for v in data["registration_after_loss_days"]),
                route_shares=tuple(float(v) for v in data["route_shares"]),  # type: ignore[arg-type]
                timeline_grace_days=int(data["timeline_grace_days"]),
                tf_adjust=_strict_bool(data["tf_adjust"], "tf_adjust"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"comparison spec: malformed ({exc!r}); got {data!r}") from exc


@dataclass(frozen=True, slots=True)
class BlockingSpec:
    """Which candidate pairs are compared at all.

    Parameters
    ----------
    passes:
        ``birth_window``: sex compatible (unknown matches both) and birth intervals at most
        ``birth_margin_days`` apart. ``given_pinyin``: sex compatible and the same toneless given-name
        pinyin on any names of the two records, at any birth date. ``surname_county``: same surname
        pinyin and same county, at any birth date. Later passes add only pairs the earlier ones missed.
    birth_margin_days:
        Default about 3 years: registered birth dates of trafficked children are often years off.
    late_days, late_margin_days:
        The ``late_window`` pass: registered this long after birth, born this far from the case.
    missing_age_days:
        A case without a birth date is taken as born at most this long before it went missing.
    max_name_share:
        A given-name pinyin carried by more than this share of candidates is too common to block on
        (its pairs are left to the birth window). A share, not a count, so that screening a subset
        of candidates blocks the same pairs as screening all of them.
    max_name_block:
        A surname-and-county value shared by more candidates than this is too common to block on.
    chunk_pairs:
        Pairs scored at once (a chunk of whole cases); memory stays flat as the candidate count
        grows. Chunks are spread over the worker threads; half a million pairs keep each chunk's
        arrays small enough to be reused rather than mapped afresh.

    Examples
    --------
    >>> BlockingSpec().passes
    ('birth_window', 'late_window', 'given_pinyin')
    >>> BlockingSpec(passes=("by_year",))
    Traceback (most recent call last):
    ...
    reunite.errors.ConfigError: blocking pass: expected one of birth_window, ..., surname_county; got 'by_year'
    """

    passes: tuple[BlockingPass, ...] = ("birth_window", "late_window", "given_pinyin")
    birth_margin_days: int = 1096
    late_days: int = 366
    late_margin_days: int = 2922
    missing_age_days: int = 16 * 366
    max_name_share: float = 0.002
    max_name_block: int = 20_000
    chunk_pairs: int = 500_000

    def __post_init__(self) -> None:
        if not self.passes:
            raise ConfigError("passes: expected at least one blocking pass; got none")
        for name in self.passes:
            _check_literal(name, get_args(BlockingPass), "blocking pass")
        if len(set(self.passes)) != len(self.passes):
            raise ConfigError(f"passes: each may appear once; got {self.passes}")
        for attr in ("birth_margin_days", "missing_age_days", "max_name_block", "chunk_pairs", "late_days",
                     "late_margin_days"):
            if int(getattr(self, attr)) < 1:
                raise ConfigError(f"{attr}: expected a positive whole number; got {getattr(self, attr)}")
        if not 0.0 < self.max_name_share <= 1.0:
            raise ConfigError(f"max_name_share: expected a share in (0, 1]; got {self.max_name_share}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BlockingSpec:
        try:
            return cls(
                passes=tuple(data["passes"]),
                birth_margin_days=int(data["birth_margin_days"]),
                late_days=int(data.get("late_days", 366)),
                late_margin_days=int(data.get("late_margin_days", 2922)),
                missing_age_days=int(data["missing_age_days"]),
                max_name_share=float(data["max_name_share"]),
                max_name_block=int(data["max_name_block"]),
                chunk_pairs=int(data["chunk_pairs"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"blocking spec: malformed ({exc!r}); got {data!r}") from exc

    def to_dict(self) -> dict[str, Any]:
        return {
            "passes": list(self.passes),
            "birth_margin_days": self.birth_margin_days,
            "late_days": self.late_days,
            "late_margin_days": self.late_margin_days,
            "missing_age_days": self.missing_age_days,
            "max_name_share": self.max_name_share,
            "max_name_block": self.max_name_block,
            "chunk_pairs": self.chunk_pairs,
        }
