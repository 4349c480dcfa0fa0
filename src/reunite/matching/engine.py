"""How the engine computes, apart from what it computes: the size thresholds that pick a strategy.

Each field of :class:`EngineLimits` chooses between two ways of computing the same numbers (a lookup
table or pair-by-pair kernels, a screen-wide memo or per-batch rows, a histogram cut or a full sort,
a counted window or a scored one). Rankings, scores, reasons and probabilities are the same bits
whichever way is taken (the property tests run both sides of every choice), so the limits are not part
of a model: they are not saved with it, and a model fitted under some limits screens alike under any
other. They trade memory for time; the defaults suit the medium benchmark (``benchmarks/README.md``)
on a machine of a few GB.

The limits travel as an argument from :func:`reunite.pipeline.screen` (``limits=``) down to the
kernels, never through a global: a test that wants a path passes the limits that force it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from reunite.errors import ConfigError

__all__ = ["DEFAULT_LIMITS", "EngineLimits"]


@dataclass(frozen=True, slots=True)
class EngineLimits:
    """The size thresholds that choose the engine's strategies; the defaults are the tuned ones.

    Parameters
    ----------
    table_cells_per_pair:
        A batch of pairs builds a name lookup table (its cases against every name code) when the table
        has at most this many cells per pair of the batch (a cell costs a few ns, a pair compared alone
        20-60 ns) ...
    table_cells:
        ... and at most this many cells in all. Otherwise the batch's names are compared pair by pair.
    similarity_cells:
        Pinyin similarity of scattered pairs is one rapidfuzz matrix of the distinct values of each
        side up to this many cells; beyond, the distinct pairs are scored one by one.
    memo_cells:
        The given-name levels of every case name against every name are computed once per screen and
        kept when that table has at most this many cells; beyond, each batch computes its own rows.
    histogram_rows_per_cell:
        Top-k survivors are cut by a (groups x bins) histogram of scores only when the rows outnumber
        its cells this many times; else every row is sorted.
    exact_sort_rows:
        Top-k sorts up to this many rows directly; more are first cut to their survivors.
    pattern_cells:
        A group of comparisons sums its weights by one lookup in a table of all its level patterns (x
        case kinds) when that table has at most this many cells; else one lookup per comparison (the
        same float32 additions in the same order).
    count_cells:
        Exact pruning counts birth windows with a table of runs x candidate classes of at most this
        many int32 cells (384 MB at the default); a larger one is not built and every pair is scored.
    move_cells:
        Candidates that a case's loss moves out of their cells (registered late, after it) are counted
        by a table of those candidates x bands of their registration day (at most 256 bands) of at most
        this many int32 cells (96 MB at the default); fewer cells, wider bands, and more of them listed
        one by one (0: every one).

    >>> EngineLimits().table_cells_per_pair
    8
    >>> EngineLimits(memo_cells=-1)
    Traceback (most recent call last):
    ...
    reunite.errors.ConfigError: EngineLimits.memo_cells: expected a whole number >= 0; got -1
    """

    table_cells_per_pair: int = 8
    table_cells: int = 64_000_000
    similarity_cells: int = 8_000_000
    memo_cells: int = 32_000_000
    histogram_rows_per_cell: int = 4
    exact_sort_rows: int = 200_000
    pattern_cells: int = 1 << 20
    count_cells: int = 96_000_000
    move_cells: int = 24_000_000

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(f"EngineLimits.{f.name}: expected a whole number >= 0; got {value!r}")


#: the tuned limits: what a call made without ``limits=`` uses (frozen, so a constant, not a setting)
DEFAULT_LIMITS = EngineLimits()
