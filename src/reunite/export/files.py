"""Where outputs go: checked before a run, written whole or not at all.

Every file reunite writes (RANKED.csv, quarantine files, the sampling plan, a model JSON, generated
data) goes through :func:`atomic_output`: it is written to a temporary file in the same folder and
renamed over the target only when complete, so a failed or interrupted run never leaves half a
file, and an old result stays until the new one is ready. :func:`check_output` refuses, before any
work, an output whose folder does not exist or that is one of the run's inputs (a ranking written
over the cases file would lose the cases).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from reunite.errors import OutputError

__all__ = ["atomic_output", "check_output", "check_output_dir", "write_text"]


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def check_output(path: str | os.PathLike[str], *, option: str = "--out",
                 inputs: Iterable[str | os.PathLike[str] | None] = ()) -> Path:
    """Refuse an output path before a run: its folder must exist, and it must not be an input.

    Parameters
    ----------
    path:
        The file to be written.
    option:
        How the user named it (``--out``), for the message.
    inputs:
        The files the run reads (None entries are skipped); the same file after resolving links
        is refused.

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
    return out


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
