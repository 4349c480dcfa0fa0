"""The names of each distinct (name cell, extra cell) pair, put together as arrays, equal those of the
pair-by-pair loop they replaced (a childhood name written twice, unusable names, more than eight names)."""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.normalize.features import MAX_NAMES_COMPARED, NAME_KINDS
from reunite.normalize.name_cells import is_childhood_name, parse_alias_cell, parse_former_names, parse_name_cell
from reunite.normalize.names import name_parts

table = importlib.import_module("reunite.normalize.table")  # the module, not the function it exports

_NAME_CELLS = ["", "王芳", "王芳（小名芳芳）", "张（章）丽（莉）", "不详", "王某某", "毛毛", "芳芳", "欧阳小红",
               "Wang Xiaoming", "x", "女孩（小名毛毛）", "王芳 又名 王小芳", "李娜/李丽/李莉/李力/李立", "（芳芳）",
               "張紅", "无", "·", "王芳或王芬"]
_EXTRA_CELLS = ["", "芳芳", "毛毛、狗蛋（音）", "李小红；張紅", "王芳", "不详", "王芳;王芬;王芬", "x",
                "张（章）丽（莉）;李娜/李丽/李莉", "a;b;c;毛毛;芳芳;王芳;李娜;李丽;李莉;张丽", "小红（小名）"]
_CELL = st.one_of(st.sampled_from(_NAME_CELLS), st.text(st.sampled_from("王李芳小红毛（）/;、 x"), max_size=8))
_EXTRA = st.one_of(st.sampled_from(_EXTRA_CELLS), st.text(st.sampled_from("王李芳小红毛（）/;、 x"), max_size=10))
# a case's childhood name in its name cell and again in its alias cell (kept once); a candidate's name
# that is also its former name (kept twice: two kinds)
_TWICE = [("王芳（小名芳芳）", "芳芳"), ("女孩（小名毛毛）", "毛毛、狗蛋（音）"), ("王芳", "王芳;王芬;王芬"),
          ("芳芳（小名）", "芳芳")]
_ROW = st.one_of(st.sampled_from(_TWICE), st.tuples(_CELL, _EXTRA))


def _loop(side: str, name_values: list[str], extra_values: list[str], pairs: list[int]) -> list[object]:
    """The pair-by-pair reading the arrays replaced: per pair its usable names (kind and keys) and
    whether it held more than MAX_NAMES_COMPARED names."""
    parse_extra = parse_alias_cell if side == "cases" else parse_former_names
    extra_kind = NAME_KINDS["alias"] if side == "cases" else NAME_KINDS["former"]
    width = max(1, len(extra_values))
    out: list[object] = []
    for pair in pairs:
        cell = parse_name_cell(name_values[pair // width])
        names = [(n, NAME_KINDS["name"]) for n in cell.names] + [(a, NAME_KINDS["alias"]) for a in cell.aliases]
        names += [(e, extra_kind) for e in parse_extra(extra_values[pair % width])]
        seen: set[tuple[str, int]] = set()
        usable = []
        for text, kind in names:
            if not text or (text, kind) in seen:
                continue
            seen.add((text, kind))
            whole = kind == NAME_KINDS["alias"] or (kind == extra_kind and is_childhood_name(text))
            parts = name_parts(text, alias=whole)
            if parts.given or parts.surname:
                usable.append((kind, *(getattr(parts, attr) for attr in table._NAME_COLUMNS)))
        out.append((usable, len(seen) > MAX_NAMES_COMPARED))
    return out


def _arrays(distinct: Any) -> list[object]:
    out: list[object] = []
    for p in range(distinct.start.shape[0]):
        at = range(distinct.start[p], distinct.start[p] + distinct.count[p])
        usable = [(int(distinct.kind[i]), *(str(distinct.columns[attr][distinct.part[i]])
                                            for attr in table._NAME_COLUMNS)) for i in at]
        out.append((usable, bool(distinct.many[p])))
    return out


@settings(max_examples=150, deadline=None)
@given(side=st.sampled_from(["cases", "candidates"]),
       rows=st.lists(_ROW, min_size=0, max_size=30))
def test_pairs_put_together_as_arrays_equal_the_loop(side: str, rows: list[tuple[str, str]]) -> None:
    names, extras = [r[0] for r in rows], [r[1] for r in rows]
    pair_codes, distinct = table._names_of_pairs(side, names, extras)
    name_codes, name_values = pd.factorize(np.asarray(names, dtype=object))
    extra_codes, extra_values = pd.factorize(np.asarray(extras, dtype=object))
    _, pairs = pd.factorize(name_codes.astype(np.int64) * max(1, len(extra_values)) + extra_codes)
    assert pair_codes.shape == (len(rows),)
    assert _arrays(distinct) == _loop(side, name_values.tolist(), extra_values.tolist(), pairs.tolist())
    # each column as wide as its widest usable name (the width the name table's columns keep)
    for attr in table._NAME_COLUMNS:
        widest = max((len(v) for v in distinct.columns[attr].tolist()), default=0)
        assert distinct.columns[attr].dtype == np.dtype(f"<U{max(1, widest)}")
