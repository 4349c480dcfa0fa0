"""Closed choices, one spelling each (a flag is one too: True or False)."""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from reunite.errors import ConfigError

Side = Literal["cases", "candidates"]
Sex = Literal["M", "F"]
Calendar = Literal["solar", "lunar"]
RegionLevel = Literal["province", "city", "county"]
DnaOutcome = Literal["excluded", "confirmed", "pending"]
NameKind = Literal["name", "alias", "former"]

# Array aliases: the columnar code reads better with the element type up front.
B = npt.NDArray[np.bool_]
I8 = npt.NDArray[np.int8]
I16 = npt.NDArray[np.int16]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]
F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
Str = npt.NDArray[np.str_]


def check_flags(**flags: object) -> None:
    """Refuse a flag argument that is not ``True`` or ``False``.

    ``em="false"``, ``strict="no"`` or ``prune=0`` were read as Python reads them (a non-empty string is
    true): a run did the opposite of what was asked, without a word.

    >>> check_flags(em=True, strict=False)
    >>> check_flags(em="false")
    Traceback (most recent call last):
    ...
    reunite.errors.ConfigError: em: expected True or False, got 'false' (str)
    """
    for name, value in flags.items():
        if not isinstance(value, bool | np.bool_):
            raise ConfigError(f"{name}: expected True or False, got {value!r:.80} ({type(value).__name__})")
