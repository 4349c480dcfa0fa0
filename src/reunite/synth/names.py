"""Names for the generator: surnames and given names by sex and era, childhood names, and the ways a
name is changed or misheard (同音字, dialect confusions)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from pypinyin import Style, lazy_pinyin

from reunite._typing import F64
from reunite.synth import _tables as T
from reunite.synth.regions import RegionTable

__all__ = ["NamePools", "dialect_variant", "homophone", "load_name_pools", "make_alias"]



def _rank_weights(items: tuple[str, ...] | str, exponent: float = 0.75) -> dict[str, float]:
    return {item: 1.0 / (rank + 1) ** exponent for rank, item in enumerate(items)}


def _era_pool(early: tuple[str, ...] | str, late: tuple[str, ...] | str) -> tuple[tuple[str, ...], F64, F64]:
    w_early = _rank_weights(early)
    w_late = _rank_weights(late)
    items = tuple(sorted(set(w_early) | set(w_late)))
    e = np.array([w_early.get(i, 0.0) for i in items]) + 1e-3
    la = np.array([w_late.get(i, 0.0) for i in items]) + 1e-3
    return items, e / e.sum(), la / la.sum()


@dataclass(frozen=True, slots=True)
class _SexPools:
    single: tuple[tuple[str, ...], F64, F64]
    first: tuple[tuple[str, ...], F64, F64]
    whole: tuple[tuple[str, ...], F64, F64]


@dataclass(frozen=True, slots=True)
class NamePools:
    """Surnames with weights, given-name pools per sex (index 0 male, 1 female), homophone groups."""

    surnames: tuple[str, ...]
    surname_p: F64
    by_sex: tuple[_SexPools, _SexPools]
    homophones: dict[str, tuple[str, ...]]       # character -> name-like characters of the same reading
    any_homophones: dict[str, tuple[str, ...]]   # character -> common characters of the same reading
    by_reading: dict[str, tuple[str, ...]]       # toneless pinyin -> common characters (name-like first)
    reading: dict[str, str]
    name_like: frozenset[str]

    def sample_surnames(self, rng: np.random.Generator, size: int) -> list[str]:
        """Surnames drawn with their population shares."""
        idx = rng.choice(len(self.surnames), size=size, p=self.surname_p)
        names = self.surnames
        return [names[i] for i in idx.tolist()]

    def sample_regional_surnames(
        self, rng: np.random.Generator, regions: RegionTable, county: npt.NDArray[np.int64], strength: float
    ) -> list[str]:
        """Surnames of people living in ``county`` (row indices of ``regions``): the national shares
        tilted by ``exp(strength * (z_province + z_county))``, ``z`` fixed standard normals per place and
        surname (:func:`_place_tilts`), drawn by the Gumbel-max trick in chunks."""
        z_province, z_county = _place_tilts(int(regions.provinces.shape[0]), len(regions), len(self.surnames))
        province = regions.province_index(county)
        log_p = np.log(self.surname_p)
        out: list[str] = []
        for start in range(0, county.shape[0], 50_000):
            rows = slice(start, start + 50_000)
            logits = log_p + strength * (z_province[province[rows]] + z_county[county[rows]])
            gumbel = -np.log(-np.log(rng.random(logits.shape)))
            out.extend(self.surnames[i] for i in np.argmax(logits + gumbel, axis=1).tolist())
        return out

    def sample_given(
        self, rng: np.random.Generator, female: npt.NDArray[np.bool_], year: npt.NDArray[np.int64]
    ) -> list[str]:
        """Given names of one or two characters, from era-mixed pools of the person's sex."""
        n = female.shape[0]
        out = [""] * n
        t = np.clip((year - 1975) / 30.0, 0.0, 1.0)
        length_one = np.less(rng.random(n), T.ONE_CHAR_GIVEN_SHARE).tolist()
        whole = np.less(rng.random(n), T.WHOLE_GIVEN_SHARE).tolist()
        # Era mixing per (sex, birth year) group keeps the draw vectorized.
        keys = female.astype(np.int64) * 10000 + year
        for key in np.unique(keys).tolist():
            where = np.flatnonzero(keys == key)
            pools = self.by_sex[key // 10000]
            mix = float(t[where[0]])
            single = self._draw(rng, pools.single, mix, where.shape[0])
            second = self._draw(rng, pools.single, mix, where.shape[0])
            first = self._draw(rng, pools.first, mix, where.shape[0])
            whole_name = self._draw(rng, pools.whole, mix, where.shape[0])
            for j, row in enumerate(where.tolist()):
                if length_one[row]:
                    out[row] = single[j]
                elif whole[row]:
                    out[row] = whole_name[j]
                else:
                    out[row] = first[j] + second[j] if first[j] != second[j] else first[j] + single[j]
        return out

    @staticmethod
    def _draw(
        rng: np.random.Generator, pool: tuple[tuple[str, ...], F64, F64], mix: float, size: int
    ) -> list[str]:
        items, early, late = pool
        p = (1.0 - mix) * early + mix * late
        return [items[i] for i in rng.choice(len(items), size=size, p=p / p.sum()).tolist()]


@lru_cache(maxsize=4)
def _place_tilts(n_provinces: int, n_counties: int, n_surnames: int) -> tuple[F64, F64]:
    """Fixed standard normals per (province, surname) and (county, surname): the same geography of
    surnames in every draw (its own seed, not the data's)."""
    geography = np.random.default_rng(19_820_101)
    return (geography.standard_normal((n_provinces, n_surnames)),
            geography.standard_normal((n_counties, n_surnames)))


def _gb2312_level1() -> list[str]:
    """The 3,755 common characters of GB 2312 level 1 (rows 0xB0-0xD7), a stand-in for 'common'."""
    chars = []
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.append(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


@lru_cache(maxsize=1)
def load_name_pools() -> NamePools:
    """Build the pools once (pypinyin readings of about 4,000 characters).

    Examples
    --------
    >>> pools = load_name_pools()
    >>> "欧阳" in pools.surnames and "莉" in pools.homophones["丽"]
    True
    """
    top_p = list(T.TOP10_SHARES) + [1.25 * (0.14 / 1.25) ** (k / 89) for k in range(90)]
    surnames = tuple(T.TOP_SURNAMES) + tuple(s for s, _ in T.TAIL_SURNAMES)
    weights = np.array(top_p + [w for _, w in T.TAIL_SURNAMES])
    pools = []
    for single, first, whole in (
        ((T.MALE_EARLY, T.MALE_LATE), T.MALE_FIRST, (T.MALE_WHOLE_EARLY, T.MALE_WHOLE_LATE)),
        ((T.FEMALE_EARLY, T.FEMALE_LATE), T.FEMALE_FIRST, (T.FEMALE_WHOLE_EARLY, T.FEMALE_WHOLE_LATE)),
    ):
        pools.append(_SexPools(_era_pool(*single), _era_pool(first, first), _era_pool(*whole)))

    name_chars = set(T.NAME_LIKE_EXTRA) | set(T.FEMALE_EARLY + T.FEMALE_LATE + T.MALE_EARLY + T.MALE_LATE)
    name_chars |= set(T.FEMALE_FIRST + T.MALE_FIRST) | set("".join(T.TOP_SURNAMES))
    common = set(_gb2312_level1()) | name_chars
    ordered = sorted(common)
    readings = lazy_pinyin(ordered, style=Style.NORMAL, errors="ignore")
    reading = dict(zip(ordered, readings, strict=True)) if len(readings) == len(ordered) else {
        ch: lazy_pinyin(ch, style=Style.NORMAL)[0] for ch in ordered
    }
    groups: dict[str, list[str]] = {}
    for ch in ordered:
        groups.setdefault(reading[ch], []).append(ch)
    by_reading = {
        py: tuple(sorted(chars, key=lambda c: (c not in name_chars, c))) for py, chars in groups.items()
    }
    homophones = {
        ch: tuple(c for c in by_reading[reading[ch]] if c != ch and c in name_chars) for ch in ordered
    }
    any_homophones = {ch: tuple(c for c in by_reading[reading[ch]] if c != ch) for ch in ordered}
    return NamePools(
        surnames=surnames, surname_p=weights / weights.sum(), by_sex=(pools[0], pools[1]),
        homophones=homophones, any_homophones=any_homophones, by_reading=by_reading, reading=reading,
        name_like=frozenset(name_chars),
    )


def homophone(pools: NamePools, text: str, rng: np.random.Generator, *, skip: int = 0) -> str | None:
    """Replace one character (not among the first ``skip``) by another with the same toneless reading,
    preferring name-like characters; ``None`` when no character has one.

    Examples
    --------
    >>> homophone(load_name_pools(), "王丽", np.random.default_rng(1), skip=1)[:1]
    '王'
    """
    positions = [i for i in range(skip, len(text)) if pools.any_homophones.get(text[i])]
    if not positions:
        return None
    i = positions[int(rng.integers(len(positions)))]
    choices = pools.homophones.get(text[i]) or pools.any_homophones[text[i]]
    if choices is pools.homophones.get(text[i]) and rng.random() < 0.2:
        choices = pools.any_homophones[text[i]]
    return text[:i] + choices[int(rng.integers(len(choices)))] + text[i + 1:]


def _split(syllable: str) -> tuple[str, str]:
    for initial in T.INITIALS:
        if syllable.startswith(initial):
            return initial, syllable[len(initial):]
    return "", syllable


def dialect_variant(pools: NamePools, text: str, rng: np.random.Generator) -> str | None:
    """Rewrite one character as a southern-dialect speaker would hear it (zh->z, l->n, in->ing ...);
    ``None`` when no rule gives a real reading.

    Examples
    --------
    >>> pools = load_name_pools()
    >>> pools.reading[dialect_variant(pools, "林", np.random.default_rng(0))] in ("ling", "nin")
    True
    """
    options: list[tuple[int, str]] = []
    for i, ch in enumerate(text):
        syllable = pools.reading.get(ch)
        if not syllable:
            continue
        initial, final = _split(syllable)
        for part, old, new in T.DIALECT_RULES:
            if part == "initial" and initial == old:
                target = new + final
            elif part == "final" and final == old:
                target = initial + new
            else:
                continue
            if target in pools.by_reading:
                options.append((i, target))
    if not options:
        return None
    # A person writing by ear picks a character common in names when there is one.
    name_like = [(i, t) for i, t in options if pools.by_reading[t][0] in pools.name_like]
    if name_like:
        options = name_like
    i, target = options[int(rng.integers(len(options)))]
    chars = pools.by_reading[target]
    top = tuple(c for c in chars if c in pools.name_like) or chars[:3]
    return text[:i] + top[int(rng.integers(len(top)))] + text[i + 1:]


def make_alias(given: str, female: bool, rng: np.random.Generator) -> str:
    """A childhood name: derived from the given name (芳芳, 小芳, 阿芳) or a common one (丫丫, 狗蛋).

    Examples
    --------
    >>> make_alias("丽", True, np.random.default_rng(3)) != ""
    True
    """
    if given and rng.random() < 0.5:
        last = given[-1]
        form = rng.random()
        if form < 0.45:
            return last + last
        if form < 0.85:
            return "小" + last
        return "阿" + last
    pool = T.FEMALE_ALIASES if female else T.MALE_ALIASES
    return pool[int(rng.integers(len(pool)))]
