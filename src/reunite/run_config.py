"""One run's settings, checked once when made and passed down (STYLE: configuration is frozen data).

The command line and the library build the same :class:`RunConfig`, so ``top_k="5"``,
``top_k=2.5`` and ``--top-k 0`` are refused in one place, with one message, before any work.
"""

from __future__ import annotations

import contextlib
import datetime
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from reunite.errors import ConfigError

if TYPE_CHECKING:  # the matching modules load the normalizers (pandas, pinyin): not for `reunite --help`
    from reunite.matching.engine import EngineLimits
    from reunite.matching.model import FellegiSunter
    from reunite.matching.spec import BlockingSpec

__all__ = ["DEFAULT_TOP_K", "EARLIEST_TODAY", "MAX_TOP_K", "RunConfig", "checked_limits", "checked_pairs",
           "checked_today", "resolve_model"]

DEFAULT_TOP_K: Final = 10
"""Candidates kept per case by ``screen``, ``rescreen`` and ``plan`` unless told otherwise."""
MAX_TOP_K: Final = 1_000
"""Candidates kept per case, at most. A sampling team visits the first handful; 1,000 is as deep as a
check of the ranking looks (``benchmarks/cleanroom/diagnose.py``) and about every candidate of one case's
birth window in a city's register (30,000 persons: some 2,000 of one sex within 3 years). Beyond it the
output grows as cases x top-k (``--top-k 1000000000`` kept every pair of every window, in memory)."""
MAX_SEED: Final = 2**63 - 1
"""The largest seed: runs store it as a 64-bit integer."""
DEFAULT_FIT_MAX_PAIRS: Final = 40_000_000
"""Birth-window pairs of the cases an unsupervised fit of m reads, at most (``reunite.matching.learn``)."""
EARLIEST_TODAY: Final = datetime.date(2000, 1, 1)
"""The earliest day rows can be read as on (``today=``, ``--today``). The cold cases are from the 1980s-2000s
and the records were written since: read as on 1900-01-01 every date was in the future, so unknown, and
the run screened on names alone, exit 0, each row flagged."""


def _whole_number(name: str, value: object, minimum: int, maximum: int | None = None, why: str = "") -> int:
    # bool is an int to Python, but top_k=True is a mistake, as are "5" and 2.5
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{name}: expected a whole number >= {minimum}, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ConfigError(f"{name}: expected a whole number >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{name}: expected a whole number from {minimum} to {maximum:,}{why}, got {value:,}")
    return value


def resolve_model(model: FellegiSunter | str | os.PathLike[str] | None) -> FellegiSunter | None:
    """A model given as itself, as a path to its JSON (as ``--model`` takes it), or None (shipped model).

    >>> resolve_model(None) is None
    True
    >>> resolve_model(3)
    Traceback (most recent call last):
    ...
    reunite.errors.ConfigError: model: expected a FellegiSunter, a path to a model JSON or None, got 3 (int)
    """
    from reunite.matching.model import FellegiSunter

    if model is None or isinstance(model, FellegiSunter):
        return model
    if isinstance(model, str | os.PathLike):
        return FellegiSunter.load(Path(model))
    raise ConfigError(f"model: expected a FellegiSunter, a path to a model JSON or None, got {model!r} "
                      f"({type(model).__name__})")


def checked_pairs(name: str, pairs: object) -> list[tuple[str, str]]:
    """``(case_id, person_id)`` pairs (``exclude=``, ``confirmed=``) as a list, each checked.

    One pair not put in a list (``exclude=("C1", "P9")``) was read as the pairs ``("C", "1")`` and
    ``("P", "9")``, and ids given as numbers matched no record: either way a DNA-excluded pair was proposed
    again without a word.

    >>> checked_pairs("exclude", [("C1", "P9")])
    [('C1', 'P9')]
    >>> checked_pairs("exclude", ("C1", "P9"))
    Traceback (most recent call last):
    ...
    reunite.errors.ConfigError: exclude: expected (case_id, person_id) pairs of strings, e.g. [('C1', 'P9')], \
got 'C1' among them
    """
    if isinstance(pairs, str | bytes) or not isinstance(pairs, Iterable):
        raise ConfigError(f"{name}: expected (case_id, person_id) pairs of strings, e.g. [('C1', 'P9')], got "
                          f"{pairs!r:.80} ({type(pairs).__name__})")
    checked: list[tuple[str, str]] = []
    for pair in pairs:
        case_id: object = None
        person_id: object = None
        if not isinstance(pair, str | bytes):  # a string would unpack into its characters
            with contextlib.suppress(TypeError, ValueError):  # not two values: refused below
                case_id, person_id = pair
        if not (isinstance(case_id, str) and isinstance(person_id, str)):
            raise ConfigError(f"{name}: expected (case_id, person_id) pairs of strings, e.g. [('C1', 'P9')], got "
                              f"{pair!r:.80} among them")
        checked.append((str(case_id), str(person_id)))
    return checked


def checked_today(today: datetime.date | str | None) -> datetime.date | None:
    """``today=``: None (today's date) or a day from :data:`EARLIEST_TODAY` on, as a date or written YYYY-MM-DD.

    >>> checked_today(datetime.date(2024, 6, 30)), checked_today("2024-06-30")
    (datetime.date(2024, 6, 30), datetime.date(2024, 6, 30))
    >>> checked_today(datetime.date(1900, 1, 1))
    Traceback (most recent call last):
    ...
    reunite.errors.ConfigError: today: expected a day from 2000-01-01 to today's date, got 1900-01-01 (every \
record's dates would read as in the future)
    """
    if today is None:
        return None
    if isinstance(today, str) and len(today) == 10:  # as --today takes it
        with contextlib.suppress(ValueError):
            today = datetime.date.fromisoformat(today)
    if isinstance(today, datetime.datetime) or not isinstance(today, datetime.date):
        raise ConfigError(f"today: expected a datetime.date, a day written YYYY-MM-DD or None, got {today!r:.80} "
                          f"({type(today).__name__})")
    if today < EARLIEST_TODAY:
        raise ConfigError(f"today: expected a day from {EARLIEST_TODAY} to today's date, got {today} (every "
                          "record's dates would read as in the future)")
    return today  # (a later day than today's date is the command line's to refuse: a test may simulate one)


def checked_limits(limits: object) -> EngineLimits:
    """``limits=``: an :class:`~reunite.matching.engine.EngineLimits`, or None for the tuned default."""
    from reunite.matching.engine import DEFAULT_LIMITS, EngineLimits

    if limits is None:
        return DEFAULT_LIMITS
    if not isinstance(limits, EngineLimits):
        raise ConfigError(f"limits: expected an EngineLimits or None, got {limits!r:.80} ({type(limits).__name__})")
    return limits


@dataclass(frozen=True, slots=True)
class RunConfig:
    """The settings of one screening run, validated at construction.

    Parameters
    ----------
    top_k:
        Candidates kept per case: a whole number from 1 to :data:`MAX_TOP_K` (1,000).
    seed:
        Seed of the random pairs u is fitted from: a whole number from 0 to 2**63 - 1.
    blocking:
        Which pairs are compared (default :class:`BlockingSpec`).
    fit_max_pairs:
        The unsupervised fit of m reads the cases of a seeded order while their birth-window pairs stay
        within this many (and 2,000 cases): a whole number >= 1. One machine and Spark read the same
        cases for the same value; a national screen on Spark may want more than the default 40 M.

    Examples
    --------
    >>> RunConfig(top_k=5).top_k
    5
    >>> RunConfig(top_k="5")
    Traceback (most recent call last):
    ...
    reunite.errors.ConfigError: top_k: expected a whole number >= 1, got '5' (str)
    >>> RunConfig(top_k=10**9)
    Traceback (most recent call last):
    ...
    reunite.errors.ConfigError: top_k: expected a whole number from 1 to 1,000 (...), got 1,000,000,000
    """

    top_k: int = DEFAULT_TOP_K
    seed: int = 0
    blocking: BlockingSpec | None = None
    fit_max_pairs: int = DEFAULT_FIT_MAX_PAIRS

    def __post_init__(self) -> None:
        _whole_number("top_k", self.top_k, 1, MAX_TOP_K,
                      " (a sampling team visits the first few; the output grows as cases x top_k)")
        _whole_number("seed", self.seed, 0, MAX_SEED, " (runs store it as a 64-bit integer)")
        _whole_number("fit_max_pairs", self.fit_max_pairs, 1)
        from reunite.matching.spec import BlockingSpec

        if self.blocking is not None and not isinstance(self.blocking, BlockingSpec):
            raise ConfigError(f"blocking: expected a BlockingSpec or None, got {type(self.blocking).__name__}")

    @classmethod
    def with_birth_margin(cls, *, top_k: int = DEFAULT_TOP_K, seed: int = 0,
                          birth_margin_years: float | None = None,
                          fit_max_pairs: int = DEFAULT_FIT_MAX_PAIRS) -> RunConfig:
        """A config whose blocking window on birth dates is ``birth_margin_years`` (None: the default)."""
        if birth_margin_years is None:
            return cls(top_k=top_k, seed=seed, fit_max_pairs=fit_max_pairs)
        if not (isinstance(birth_margin_years, int | float) and math.isfinite(birth_margin_years)
                and 0 <= birth_margin_years <= 100):
            raise ConfigError(f"birth margin: expected a number of years from 0 to 100, got {birth_margin_years!r}")
        from reunite.matching.spec import BlockingSpec

        return cls(top_k=top_k, seed=seed, blocking=BlockingSpec(birth_margin_days=round(birth_margin_years * 365.25)),
                   fit_max_pairs=fit_max_pairs)

    @property
    def blocking_spec(self) -> BlockingSpec:
        from reunite.matching.spec import BlockingSpec

        return self.blocking if self.blocking is not None else BlockingSpec()
