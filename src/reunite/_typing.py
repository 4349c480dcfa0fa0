"""Closed choices, one spelling each."""

from __future__ import annotations

from typing import Literal

Side = Literal["cases", "candidates"]
Sex = Literal["M", "F"]
Calendar = Literal["solar", "lunar"]
RegionLevel = Literal["province", "city", "county"]
DnaOutcome = Literal["excluded", "confirmed", "pending"]
NameKind = Literal["name", "alias", "former"]
