"""Where outputs go: checked before a run, written whole or not at all.

Every file reunite writes (RANKED.csv, quarantine files, the sampling plan, a model JSON, generated
data) goes through :func:`atomic_output`: it is written to a temporary file in the same folder and
renamed over the target only when complete, so a failed or interrupted run never leaves half a
file, and an old result stays until the new one is ready. :func:`check_output` refuses, before any
work, an output whose folder does not exist or that is one of the run's inputs (a ranking written
over the cases file would lose the cases), and, when told what the output may replace, an existing
file that is not such a file (``reunite export --out cases.csv`` replaced the agency's cases file,
exit 0: export reads no file of its own to compare with).
"""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from reunite.errors import OutputError
from reunite.ingest._safe import mask_id_numbers

__all__ = ["REUNITE_HTML_MARK", "Replaceable", "atomic_output", "check_output", "check_output_dir", "csv_headed",
           "reunite_html", "write_text"]

# what every HTML page reunite writes carries in its head (the report, the visit sheets)
REUNITE_HTML_MARK = '<meta name="generator" content="reunite">'
_HEAD_BYTES = 4096


@dataclass(frozen=True, slots=True)
class Replaceable:
    """What an output may replace when its path exists: ``accepts(first bytes)`` says whether the file
    there is such a file, ``what`` names it for the message ("a RANKED.csv")."""

    what: str
    accepts: Callable[[bytes], bool]


def csv_headed(what: str, headers: Collection[Iterable[str]]) -> Replaceable:
    """A CSV file whose header row begins with one of ``headers`` (with or without a BOM; the columns an
    earlier reunite wrote after them may differ).

    >>> ranked = csv_headed("a RANKED.csv", [("case_id", "rank")])
    >>> ranked.accepts("\\ufeffcase_id,rank,score\\r\\nC1,1,2\\r\\n".encode()), ranked.accepts(b"case_id,name\\n")
    (True, False)
    """
    wanted = [tuple(header) for header in headers]

    def accepts(head: bytes) -> bool:
        line = head.decode("utf-8-sig", errors="replace").splitlines()[:1]
        found = tuple(next(csv.reader(line), [])) if line else ()
        return any(found[:len(header)] == header for header in wanted)

    return Replaceable(what, accepts)


def reunite_html(what: str) -> Replaceable:
    """An HTML page reunite wrote (its head carries :data:`REUNITE_HTML_MARK`)."""
    return Replaceable(what, lambda head: REUNITE_HTML_MARK.encode() in head)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def check_output(path: str | os.PathLike[str], *, option: str = "--out",
                 inputs: Iterable[str | os.PathLike[str] | None] = (), replaces: Replaceable | None = None) -> Path:
    """Refuse an output path before a run: its folder must exist, it must not be an input, and (with
    ``replaces``) a file already there must be one this output may replace.

    Parameters
    ----------
    path:
        The file to be written.
    option:
        How the user named it (``--out``), for the message.
    inputs:
        The files the run reads (None entries are skipped); the same file after resolving links
        is refused.
    replaces:
        The kind of file the output may replace (an earlier RANKED.csv, report ...); an existing,
        non-empty file of another kind is refused, not replaced. ``None``: any file.

    Raises
    ------
    OutputError
        What is wrong, naming the option and the path.

    Examples
    --------
    >>> check_output("/nonexistent/ranked.csv")
    Traceback (most recent call last):
    ...
    reunite.errors.OutputError: --out /nonexistent/ranked.csv: expected an existing folder, /nonexistent does not exist
    """
    out = Path(path)
    folder = out.resolve().parent
    if not folder.is_dir():
        raise OutputError(f"{option} {out}: expected an existing folder, {folder} does not exist")
    if out.is_dir():
        raise OutputError(f"{option} {out}: expected a file name, got a folder")
    _refuse_special(out, option)
    # a folder that takes no new file (read-only, not the user's) failed only when the output was written:
    # after a whole screen, or a train's fit. Asked by trying, as permission bits do not say it for root
    # or for a read-only mount
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".reunite-check-"):
            pass
    except OSError as error:
        raise OutputError(f"{option} {out}: cannot write in {folder} ({error.strerror or error})") from None
    for source in inputs:
        if source is not None and _same_file(out, Path(source)):
            raise OutputError(f"{option} {out}: expected a new file, got the input {source} "
                              "(writing there would overwrite it)")
    if replaces is not None:
        _refuse_another_kind(out, option, replaces)
    return out


def _refuse_another_kind(out: Path, option: str, replaces: Replaceable) -> None:
    """Refuse an existing, non-empty file that is not of the kind ``replaces`` accepts."""
    try:
        with out.open("rb") as handle:
            head = handle.read(_HEAD_BYTES)
    except FileNotFoundError:
        return
    except OSError as error:
        raise OutputError(f"{option} {out}: cannot read the file there ({error.strerror or error})") from None
    if not head or replaces.accepts(head):
        return
    first = mask_id_numbers(head.decode("utf-8-sig", errors="replace").splitlines()[0][:60]) if head.strip() else ""
    raise OutputError(f"{option} {out}: expected a new file or {replaces.what} to replace, got another file "
                      f"(it begins {first!r}); writing there would replace it: remove it first or choose "
                      "another name")


def check_output_dir(path: str | os.PathLike[str], *, option: str) -> Path:
    """Refuse an output folder that does not exist (reunite does not create folders it is given).

    >>> check_output_dir("/nonexistent", option="--quarantine-dir")
    Traceback (most recent call last):
    ...
    reunite.errors.OutputError: --quarantine-dir /nonexistent: expected an existing folder, it does not exist
    """
    folder = Path(path)
    if not folder.is_dir():
        what = "a folder, got a file" if folder.exists() else "an existing folder, it does not exist"
        raise OutputError(f"{option} {folder}: expected {what}")
    return folder


def _refuse_special(out: Path, option: str) -> None:
    """Refuse an output that exists and is no regular file: the temporary file renamed into place replaced
    it (``--out /dev/full`` run as root reported success and left /dev/full a regular file; /dev/null alike)."""
    if out.exists() and not out.is_file():
        kind = ("a character device" if out.is_char_device() else "a block device" if out.is_block_device()
                else "a named pipe" if out.is_fifo() else "a socket" if out.is_socket() else "not a regular file")
        raise OutputError(f"{option} {out}: expected a regular file or a new file name, got {kind} (writing there "
                          "would replace it)")


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``, on failure it is removed.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_output(target) as tmp:
    ...     _ = tmp.write_text("whole")
    >>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
    ('whole', ['out.txt'])
    """
    out = Path(path)
    _refuse_special(out, "output")
    try:
        handle, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {out}: {exc.strerror or exc}") from exc
    os.close(handle)
    tmp = Path(name)
    try:
        yield tmp
        if out.exists():  # keep the permissions of the file being replaced
            with contextlib.suppress(OSError):
                os.chmod(tmp, out.stat().st_mode & 0o777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write {out}: {exc.strerror or exc}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` through :func:`atomic_output`."""
    out = Path(path)
    with atomic_output(out) as tmp:
        tmp.write_text(text, encoding=encoding)
    return out
