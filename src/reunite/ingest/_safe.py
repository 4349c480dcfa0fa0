"""Spreadsheet safety for text that reunite writes to CSV."""

from __future__ import annotations

__all__ = ["neutralise_cell"]

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
