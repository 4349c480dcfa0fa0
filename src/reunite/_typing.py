"""Closed choices, one spelling each."""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

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
