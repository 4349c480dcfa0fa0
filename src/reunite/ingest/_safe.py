"""Safety for text that reunite writes out: spreadsheet formulas neutralised, ID numbers masked.

Kept in the lowest layer because the ingest report, the exports and the command line all write text
that may carry a resident ID number: a ``person_id`` that is the ID number itself, the raw text of a
row with the wrong number of cells, a value quoted in a message.
"""

from __future__ import annotations

from reunite._masking import looks_like_id_number, mask_id, mask_id_numbers

__all__ = ["looks_like_id_number", "mask_id", "mask_id_numbers", "neutralise_cell", "restore_cell"]

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: str) -> str:
    """Prefix a cell that Excel or WPS would run as a formula with an apostrophe.

    >>> neutralise_cell("=HYPERLINK(\\"x\\")")
    '\\'=HYPERLINK("x")'
    >>> neutralise_cell("王芳")
    '王芳'
    """
    if value and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def restore_cell(value: str) -> str:
    """The cell :func:`neutralise_cell` was given: one apostrophe before a formula start removed.

    >>> restore_cell("'=1+2"), restore_cell("'+P1"), restore_cell("'王芳"), restore_cell("P1")
    ('=1+2', '+P1', "'王芳", 'P1')
    """
    if value.startswith("'") and value[1:].startswith(_FORMULA_STARTS):
        return value[1:]
    return value
