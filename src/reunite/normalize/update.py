"""Normalize tonight's extract with what a prepared table already read (``reunite prepare --update``).

A nightly extract differs from the night before in a few rows, yet preparing it again reads every
name and every place anew: the names are most of normalizing's work, the places most of the rest.
Both depend on their cells only (a row's names on its name and former-names cells, its region on
its region cell), not on the day nor on the other rows. So a row whose name cells, or whose region
cell, some row of the previous table also held takes those readings from the previous table; only
cells the previous table never held are read. That covers every unchanged row, and a changed row
whose names or place did not change.

Everything that depends on the day (birth and registration dates, a resident ID number's birth and
validity) or spans rows (one resident ID number under two person_ids, the ingest report's row
numbers) is read anew for every row, as a fresh prepare reads it: those are the cheap parts. The
table made equals :func:`reunite.normalize.normalize` of the extract on that day, value for value,
dtype for dtype, and its report is the extract's; the previous table may have been prepared on any
day, from any extract, but by this same normalizing code (:func:`reunite.normalize.stored.read_prepared_info`).
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from reunite._codes import factorize
from reunite._typing import Side
from reunite.ingest.table import RawTable
from reunite.normalize.features import MAX_NAMES_COMPARED, NameTable, RecordTable
from reunite.normalize.regions import resolve_regions
from reunite.normalize.stored import read_prepared_columns
from reunite.normalize.table import (
    NamesJob,
    _Background,
    _collector_paused,
    _normalize,
    _ragged_take,
    names_and_many,
)

__all__ = ["Previous", "Reused", "normalize_update", "read_previous"]

_NAME_FIELDS = ("kind", "surname", "given", "surname_pinyin", "given_pinyin", "given_pinyin_alt", "given_fuzzy")
_REGION_FIELDS = ("region_county", "region_city", "region_province", "region_level", "lat", "lon", "display_region")
_MANY = f"more_than_{MAX_NAMES_COMPARED}_names"


def _extra_column(side: Side) -> str:
    return "alias" if side == "cases" else "former_names"


def _region_column(side: Side) -> str:
    return "missing_region" if side == "cases" else "region"


@dataclass(frozen=True, slots=True)
class Previous:
    """What a prepared table read from its cells: per row its name, extra-names and region cells, its
    names (flat, ``counts`` a row), its too-many-names flag and its region's columns."""

    side: Side
    today: datetime.date
    cells: dict[str, npt.NDArray[Any]]     # "name", the extra names' column, the region column
    names: dict[str, npt.NDArray[Any]]     # the NameTable's fields but ``record``, flat
    counts: npt.NDArray[np.int64]          # names a row
    many: npt.NDArray[np.bool_]
    regions: dict[str, npt.NDArray[Any]]   # _REGION_FIELDS

    def __len__(self) -> int:
        return int(self.counts.shape[0])

    def __repr__(self) -> str:  # counts only: the cells are personal data
        return f"Previous(side={self.side!r}, rows={len(self)}, today={self.today.isoformat()})"


@dataclass(frozen=True, slots=True)
class Reused:
    """How much of a table an update took from the previous one."""

    rows: int          # rows of the new table
    names_read: int    # rows whose name cells no previous row held: their names were read
    regions_read: int  # rows whose region cell no previous row held: their region was read


def read_previous(path: str | os.PathLike[str], side: Side = "candidates") -> Previous:
    """The readings of the prepared table at ``path`` an update takes (each column checked against its
    digest; the table refused, as every reader refuses it, when this code would not read it alike).

    Raises
    ------
    InputError, MissingFileError
        No such file, not a prepared table of ``side``, one another version or normalizing code
        wrote, or one changed after it was written.
    """
    cells = ("name", _extra_column(side), _region_column(side))
    info, found = read_prepared_columns(path, side, _REGION_FIELDS, names=_NAME_FIELDS, raw=cells, flags=(_MANY,))
    return Previous(side=side, today=info.today, cells={c: found["raw." + c] for c in cells},
                    names={f: found["names." + f] for f in _NAME_FIELDS}, counts=found["#counts"],
                    many=found["flag." + _MANY], regions={f: found[f] for f in _REGION_FIELDS})


def _matches(old: list[npt.NDArray[Any]], new: list[npt.NDArray[Any]]) -> npt.NDArray[np.int64]:
    """For each new row, a previous row whose cells (``old[c][row]``) equal its own (``new[c][row]``)
    in every column, or -1 when none does."""
    n_old = old[0].shape[0]
    key: npt.NDArray[np.int64] | None = None
    for before, now in zip(old, new, strict=True):
        codes, uniques = factorize(np.concatenate([before, now]))
        if key is None:
            key = codes.astype(np.int64)
        else:
            key = factorize(key * max(1, uniques.shape[0]) + codes)[0].astype(np.int64)
    assert key is not None
    first = np.full(int(key.max()) + 1 if key.shape[0] else 0, -1, dtype=np.int64)
    first[key[:n_old][::-1]] = np.arange(n_old, dtype=np.int64)[::-1]  # any row holding the cells will do
    return first[key[n_old:]]


def _fit_text(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Text as wide as its widest value (at least one character), as numpy makes an array of them."""
    if values.dtype.kind != "U":
        return values
    width = max(1, int(np.strings.str_len(values).max())) if values.shape[0] else 1
    return values if values.dtype.itemsize == 4 * width else values.astype(f"<U{width}")


def _gather(old: npt.NDArray[Any], fresh: npt.NDArray[Any], at: npt.NDArray[np.int64]) -> npt.NDArray[Any]:
    """``concatenate([old, fresh])[at]`` without the concatenation."""
    dtype = np.result_type(old.dtype, fresh.dtype)
    out = np.empty(at.shape[0], dtype=dtype)
    mine = at < old.shape[0]
    out[mine] = old[at[mine]]
    out[~mine] = fresh[at[~mine] - old.shape[0]]
    return _fit_text(out)


def _names_job(previous: Previous, raw: RawTable, match: npt.NDArray[np.int64], second_process_from: int
               ) -> Callable[[_Background], NamesJob]:
    """The names of ``raw``'s rows: a matched row's from its previous row, the others' read."""
    extra = _extra_column(raw.side)

    def start(background: _Background) -> NamesJob:
        fresh = np.flatnonzero(match < 0)
        names, extras = raw.columns["name"], raw.columns[extra]
        job = names_and_many(raw.side, [names[i] for i in fresh.tolist()], [extras[i] for i in fresh.tolist()],
                             background if fresh.shape[0] >= second_process_from else None)

        def result() -> tuple[NameTable, npt.NDArray[np.bool_]]:
            read, read_many = job()
            n = match.shape[0]
            reused = match >= 0
            old_start = np.cumsum(previous.counts) - previous.counts
            read_counts = np.bincount(read.record, minlength=fresh.shape[0]).astype(np.int64)
            start_at, count = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
            start_at[reused], count[reused] = old_start[match[reused]], previous.counts[match[reused]]
            start_at[fresh] = np.cumsum(read_counts) - read_counts + previous.counts.sum()
            count[fresh] = read_counts
            rows, at = _ragged_take(np.arange(n, dtype=np.intp), start_at, count)
            many = np.zeros(n, dtype=bool)
            many[reused], many[fresh] = previous.many[match[reused]], read_many
            fields = {f: _gather(previous.names[f], getattr(read, f), at) for f in _NAME_FIELDS}
            return NameTable(record=rows.astype(np.int32), **fields), many

        return result

    return start


@dataclass(frozen=True, slots=True)
class _Regions:
    """The region columns :func:`reunite.normalize.table._finish` reads (as :class:`RegionArrays`)."""

    county: npt.NDArray[np.int32]
    city: npt.NDArray[np.int32]
    province: npt.NDArray[np.int32]
    level: npt.NDArray[np.int8]
    lat: npt.NDArray[np.float32]
    lon: npt.NDArray[np.float32]
    label: list[str]


def _regions_job(previous: Previous, raw: RawTable, match: npt.NDArray[np.int64]) -> Callable[[], _Regions]:
    """The regions of ``raw``'s rows: a matched row's from its previous row, the others' resolved."""

    def result() -> _Regions:
        fresh = np.flatnonzero(match < 0)
        cells = raw.columns[_region_column(raw.side)]
        read = resolve_regions([cells[i] for i in fresh.tolist()])
        reused = match >= 0
        out: dict[str, npt.NDArray[Any]] = {}
        for field, attr in zip(_REGION_FIELDS, ("county", "city", "province", "level", "lat", "lon", "label"),
                               strict=True):
            old = previous.regions[field]
            values = np.empty(match.shape[0], dtype=old.dtype)
            values[reused] = old[match[reused]]
            values[fresh] = np.asarray(getattr(read, attr), dtype=old.dtype)
            out[attr] = values
        return _Regions(label=out.pop("label").tolist(), **out)

    return result


def normalize_update(
    raw: RawTable, previous: Previous, *, today: datetime.date, strict: bool = False,
    second_process_from: int = 200_000,
) -> tuple[RecordTable, Reused]:
    """:func:`reunite.normalize.normalize` of ``raw`` on ``today``, reading only the names and regions
    of cells no row of ``previous`` held (module docstring). The table is the one a fresh normalize
    gives, its report (``raw.report``, flags added) too."""
    if raw.side != previous.side:
        raise ValueError(f"normalize_update: a table of {raw.side}, a previous table of {previous.side}")
    extra, region = _extra_column(raw.side), _region_column(raw.side)
    names = _matches([previous.cells["name"], previous.cells[extra]],
                     [np.array(raw.columns["name"], dtype=object), np.array(raw.columns[extra], dtype=object)])
    regions = _matches([previous.cells[region]], [np.array(raw.columns[region], dtype=object)])
    with _collector_paused():
        table, _ = _normalize(raw, strict=strict, today=today, second_process_from=second_process_from,
                              names_of=_names_job(previous, raw, names, second_process_from),
                              regions_of=_regions_job(previous, raw, regions))
    return table, Reused(len(raw), int((names < 0).sum()), int((regions < 0).sum()))
