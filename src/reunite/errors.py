"""One error tree for reunite.

Every error a user can cause derives from :class:`ReuniteError`; specific errors also inherit the
builtin they refine, so ``except ValueError`` keeps working for callers that do not know reunite.
Messages say what was expected, what came, and where (file, row, column) when input is at fault.
"""

from __future__ import annotations

from collections.abc import Iterable

from reunite._masking import mask_id_numbers

__all__ = [
    "ConcurrentRunError",
    "ConfigError",
    "EncodingError",
    "InputError",
    "MissingColumnsError",
    "MissingFileError",
    "NotFittedError",
    "OutputError",
    "ReuniteError",
    "StoreError",
    "listed",
]


class ReuniteError(Exception):
    """Root of every error raised by reunite on purpose.

    Its message has every resident ID number masked (an agency's person_id may be the ID number itself,
    and a message quotes the values it is about), as every other output of reunite; ``revealed`` is the
    message as raised, for a caller who asked for ID numbers unmasked (``--reveal-ids``).

    >>> error = InputError("person_id '11010519491231002X' is not in the store")
    >>> str(error)
    "person_id '110105********002X' is not in the store"
    >>> error.revealed
    "person_id '11010519491231002X' is not in the store"
    """

    def __init__(self, *args: object) -> None:
        message = args[0] if args else None
        self.revealed: str = message if isinstance(message, str) else str(message) if args else ""
        if isinstance(message, str):
            args = (mask_id_numbers(message), *args[1:])
        super().__init__(*args)


def listed(values: Iterable[object], shown: int = 5) -> str:
    """Values for a message, in plain words: the first ``shown`` quoted, then how many more.

    >>> listed(["C1", "C2"]), listed([f"C{i}" for i in range(8)], shown=3), listed([])
    ("'C1', 'C2'", "'C0', 'C1', 'C2' and 5 more", 'none')
    """
    items = list(values)
    if not items:
        return "none"
    text = ", ".join(repr(str(v)) for v in items[:shown])
    return text + (f" and {len(items) - shown:,} more" if len(items) > shown else "")


class InputError(ReuniteError, ValueError):
    """Input data cannot be used: a malformed file, a bad value in strict mode, an empty table."""


class EncodingError(InputError):
    """A text file is in none of the encodings reunite reads (UTF-8, UTF-8 with BOM, GB18030/GBK)."""


class MissingColumnsError(InputError):
    """A required column is missing; the message lists what is missing and what was found."""


class MissingFileError(InputError, FileNotFoundError):
    """An input file named on the command line or in a call does not exist."""


class OutputError(ReuniteError, OSError):
    """A result file cannot be written (no such folder, no permission, disk full)."""


class ConfigError(ReuniteError, ValueError):
    """A specification, model file or option is invalid."""


class NotFittedError(ReuniteError, RuntimeError):
    """A model was used before ``fit`` (or loading) set its learned values."""


class StoreError(ReuniteError, RuntimeError):
    """The database cannot be used as asked."""


class ConcurrentRunError(StoreError):
    """Another re-screen holds the run lock on the same database."""
