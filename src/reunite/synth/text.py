"""Free text for the generator: marks and their paraphrases, and the dirt real cells carry."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import opencc

from reunite.synth import _tables as T

__all__ = ["Mark", "dirty_name", "draw_marks", "full_width", "render_marks", "to_traditional"]

Mark = tuple[int, int]  # (body part, kind of mark)

_FULL_WIDTH = {code: code + 0xFEE0 for code in range(0x21, 0x7F)} | {0x20: 0x3000}


def full_width(text: str) -> str:
    """ASCII letters, digits and punctuation as full-width characters.

    Examples
    --------
    >>> full_width("1988-05")
    '１９８８－０５'
    """
    return text.translate(_FULL_WIDTH)


@lru_cache(maxsize=1)
def _s2t() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


def to_traditional(text: str) -> str:
    """Simplified to traditional characters (OpenCC ``s2t``).

    Examples
    --------
    >>> to_traditional("刘红")
    '劉紅'
    """
    return str(_s2t().convert(text))


def draw_marks(rng: np.random.Generator) -> tuple[Mark, ...]:
    """One mark, sometimes two, as (part, kind) pairs.

    Examples
    --------
    >>> len(draw_marks(np.random.default_rng(0))) in (1, 2)
    True
    """
    count = 1 if rng.random() < 0.8 else 2
    parts = rng.choice(len(T.BODY_PARTS), size=count, replace=False).tolist()
    return tuple((int(p), int(rng.integers(len(T.MARK_KINDS)))) for p in parts)


def render_marks(marks: tuple[Mark, ...], rng: np.random.Generator, *, avoid: str = "") -> str:
    """Write marks in words; each call may phrase the same mark differently. ``avoid`` is a phrasing
    not to repeat when another exists (so a shared mark is a paraphrase).

    Examples
    --------
    >>> render_marks(((0, 0),), np.random.default_rng(0)).startswith("左耳")
    True
    """
    texts = []
    for part, kind in marks:
        options = [
            template.format(p=place) for template in T.MARK_KINDS[kind] for place in T.BODY_PARTS[part]
        ]
        fresh = [o for o in options if o not in avoid] or options
        texts.append(fresh[int(rng.integers(len(fresh)))])
    return ("，", "；", " ", ",")[int(rng.integers(4))].join(texts)


def dirty_name(name: str, alias: str, rng: np.random.Generator, variant: str | None) -> str:
    """Dirt in a name cell as family postings show it: a bracketed tag, the childhood name inline, a
    variant character in brackets (张（章）丽), spaces, traditional or full-width characters.

    Examples
    --------
    >>> dirty_name("王芳", "", np.random.default_rng(2), None) != "王芳"
    True
    """
    form = rng.random()
    if form < 0.3:
        return name + T.NAME_TAGS[int(rng.integers(len(T.NAME_TAGS)))]
    if form < 0.45 and alias:
        return f"{name}（小名{alias}）" if rng.random() < 0.7 else f"{name}({alias})"
    if form < 0.6 and variant is not None and len(variant) == len(name):
        diff = [i for i in range(len(name)) if name[i] != variant[i]]
        if diff:
            i = diff[0]
            return f"{name[: i + 1]}（{variant[i]}）{name[i + 1:]}"
    if form < 0.75 and len(name) >= 2:
        return name[0] + (" ", "  ", "\u3000")[int(rng.integers(3))] + name[1:]
    if form < 0.9:
        traditional = to_traditional(name)
        if traditional != name:
            return traditional
    return f" {name} " if rng.random() < 0.5 else name + T.NAME_TAGS[int(rng.integers(len(T.NAME_TAGS)))]
