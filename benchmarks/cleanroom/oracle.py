"""The clean room's own ceiling: rank candidates by the generator's likelihood ratio (issue 9).

For a case and a candidate, ``oracle.py`` scores

    P(candidate record | case, the candidate is the child) / P(candidate record | someone else)

with the true parameters of the profile that made the data and the story model of ``generate.py`` (read
from its code: it is a benchmark tool, not the product). Nothing is learned. The child's side is a mixture
over the kind of case (given away / trafficked / abandoned / strayed), weighted by what the case says of
it (sex, age at loss, origin province); inside a kind the fields are independent given the case, as the
generator draws them, except where it couples them (the given name and the former names through
"kept the given name"; the registration date through the registered birth and the loss day).
"Someone else" is the generator's population: strangers (names from its pools; registered birth, home
county, registration delay and former names: the candidates' own frequencies, which also hold the other
cases' children) plus the namesake decoy the generator may have made for this case.

Exact (closed form from the generator's draws): sex, surname, given name (with the written-by-ear
variants enumerated from the generator's own homophone table), former names, marks, the home county
(county of the ID number, else of the region cell) given the origin county, the registered birth given
the case's birth cell (offset kernels convolved and averaged over the cell), the registration date
given the registered birth and the loss cell. Approximate: the true birth is taken as uniform inside
the case's birth cell and the loss day inside the loss cell; the arrival day (loss + 0-59 days) as
uniform over the loss cell plus 59 days; a lunar birthday entered as solar as an offset of 15-60 days
back; the age at loss (for the "keeps its name" rules) is the cell midpoints' difference; a
loss date written before the birth (1.2 %) and random later renames are covered only by floors.
No Monte Carlo is needed.

    python benchmarks/cleanroom/oracle.py --dir /tmp/cr/real_mix-2000x200000-s21 --profile real_mix \
        --ranked ranked-fit.csv --json oracle.json

The candidates scored per case are the ranked file's (reunite's top K) plus the true child when it lies in
reunite's blocking window (``--no-window``: not added); ``--ablate`` takes a part of the oracle away,
``--hybrid`` swaps one field at a time with reunite's weights (read from its reasons), ``--window-sample N``
scores N cases against every candidate of reunite's 3-year birth window as well.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate as gen

KINDS = ("given", "trafficked", "abandoned", "strayed")
EPOCH = gen.EPOCH
HK_START = (dt.date(2015, 1, 1) - EPOCH).days
DELAY_SPAN, DELAY_PAD = 15000, 3000  # registration delays counted, days
SPAN = 2400  # offsets of registered birth minus remembered birth, days
ABLATIONS = ("none", "stranger_formula", "independent", "no_kinds", "no_ear", "no_decoy", "flat_birth", "flat_place",
             "no_registration",
             "no_former", "no_alias", "pop_given_uniform", "birth_no_arrival", "shift_flat")
MARK_PLACEHOLDERS = ("无", "不详", "无明显特征")
VILLAGES = ("红星村", "李家湾", "新华村", "城关镇", "东风村", "石桥镇")
FLOOR = 1e-4  # every child factor is mixed with this share of the population's, against model slips


# ------------------------------------------------------------------------------------------------ names
@dataclass(frozen=True)
class NameModel:
    surname_p: dict[str, float]
    last_p: tuple[dict[str, float], dict[str, float]]   # (boys, girls): last character of a given name
    first_p: tuple[dict[str, float], dict[str, float]]
    compound: tuple[str, ...]

    def given_p(self, given: str, female: bool) -> float:
        last, first = self.last_p[int(female)], self.first_p[int(female)]
        if len(given) == 1:
            return 0.35 * last.get(given, 0.0)
        if len(given) == 2:
            return 0.65 * first.get(given[0], 0.0) * last.get(given[1], 0.0)
        return 0.0

    def split(self, name: str) -> tuple[str, str]:
        for s in self.compound:
            if name.startswith(s):
                return s, name[len(s):]
        return name[:1], name[1:]


def _summed(spec: str) -> dict[str, float]:
    items, w = gen._weighted(spec)
    out: dict[str, float] = {}
    for it, p in zip(items, w, strict=True):
        out[it] = out.get(it, 0.0) + float(p)
    return out


def name_model() -> NameModel:
    sp = _summed(gen.SURNAMES)
    return NameModel(surname_p=sp, last_p=(_summed(gen.BOY_CHARS), _summed(gen.GIRL_CHARS)),
                     first_p=(_summed(gen.BOY_FIRST), _summed(gen.GIRL_FIRST)),
                     compound=tuple(s for s in sp if len(s) > 1))


def _ear_alternatives(ch: str) -> dict[str, float]:
    """P(by_ear(ch) = c) for each c != ch (the generator's homophone / dialect draw)."""
    py, by = gen._pinyin_index()
    p = py.get(ch)
    if p is None:
        return {}
    out: dict[str, float] = {}
    homo = [c for c in by.get(p, []) if c != ch]
    # dialect (0.4): one rule drawn among the applicable ones; no alternative there -> homophone draw
    rules = [("zh", "z"), ("ch", "c"), ("sh", "s"), ("z", "zh"), ("c", "ch"), ("s", "sh"), ("f", "h"),
             ("h", "f"), ("n", "l"), ("l", "n"), ("r", "l")]
    finals = [("ang", "an"), ("an", "ang"), ("eng", "en"), ("en", "eng"), ("ing", "in"), ("in", "ing"),
              ("iang", "ian"), ("ian", "iang"), ("uang", "uan"), ("uan", "uang")]
    opts = [p.replace(a, b, 1) for a, b in rules if p.startswith(a) and not (a in "zcs" and p[1:2] == "h")]
    opts += [p[: -len(a)] + b for a, b in finals if p.endswith(a)]
    homo_mass = 0.6
    if opts:
        for o in opts:
            alts = [c for c in by.get(o, []) if c != ch]
            if alts:
                for c in alts:
                    out[c] = out.get(c, 0.0) + 0.4 / len(opts) / len(alts)
            else:
                homo_mass += 0.4 / len(opts)
    else:
        homo_mass = 1.0
    for c in homo:
        out[c] = out.get(c, 0.0) + homo_mass / len(homo)
    return out


# ------------------------------------------------------------------------------------------------ places
@dataclass(frozen=True)
class Places:
    index: dict[str, int]        # county id -> row
    prov: np.ndarray             # row -> province short name
    city: np.ndarray             # row -> city code (str, as generate.py compares it)
    by_code: dict[str, int]
    by_text: dict[str, int]
    n_prov_counties: dict[str, int]
    n_city_counties: dict[str, int]
    provinces: tuple[str, ...]


def places() -> Places:
    P = gen._places()
    ids = [str(c) for c in P["ids"]]
    index = {c: i for i, c in enumerate(ids)}
    prov = np.asarray([str(p) for p in P["prov"]], dtype=object)
    city = np.asarray([str(c) for c in P["city"]], dtype=object)
    votes: dict[str, dict[int, int]] = {}
    by_text: dict[str, int] = {}
    blank = ("县", "市辖区", "省直辖县级行政区划", "自治区直辖县级行政区划")
    for (_year, cid), (code, pname, cname, county) in P["hist"].items():
        row = index.get(str(cid))
        if row is None:
            continue
        v = votes.setdefault(str(code), {})
        v[row] = v.get(row, 0) + 1
        cname = "" if not isinstance(cname, str) or cname in blank else cname
        for key in (f"{pname}{cname}{county}", f"{cname}{county}"):
            by_text.setdefault(key, row)
    by_code = {code: max(v, key=v.__getitem__) for code, v in votes.items()}
    provs = tuple(sorted(set(prov.tolist())))
    return Places(index=index, prov=prov, city=city, by_code=by_code, by_text=by_text,
                  n_prov_counties={p: int((prov == p).sum()) for p in provs},
                  n_city_counties=pd.Series(city).value_counts().to_dict(), provinces=provs)


def resolve(pl: Places, cell: str) -> int:
    """Row of the county a code or address of generate.py's forms names; -1 when none."""
    s = str(cell or "").strip()
    if not s or s == "nan":
        return -1
    if s[:6].isdigit():
        return pl.by_code.get(s[:6], -1)
    t = s.replace("市辖区", "") if "市辖区" in s[2:] else s
    for sep in (",", "/", " "):
        t = t.replace(sep, "")
    for v in VILLAGES:
        if t.endswith(v):
            t = t[: -len(v)]
            break
    return pl.by_text.get(t, -1)


# ------------------------------------------------------------------------------------------------ kernels
def _birth_kernels(prof: gen.Profile, flat: bool, shift_flat: bool = False) -> dict[str, np.ndarray]:
    """Per kind, cumulative sums of the density of (registered birth - remembered birth) on
    [-SPAN, SPAN] (without the "registered on the day it came" branch, which depends on the loss)."""
    n = 2 * SPAN + 1
    mem = np.zeros(n)
    mem[SPAN] = 0.92
    mem[SPAN - 10: SPAN + 11] += 0.08 / 21
    yr = np.zeros(n)
    yr[SPAN] = 0.96
    yr[SPAN - 365] += 0.02
    yr[SPAN + 365] += 0.02
    noise = np.convolve(mem, yr)[SPAN: SPAN + n]
    out: dict[str, np.ndarray] = {}
    for kind in KINDS:
        f = np.zeros(n)
        if flat:  # "born within a few years": no shape at all inside the window
            f[:] = 1.0 / n
        else:
            ps = prof.birth_shift_years[kind]
            if shift_flat:  # shifted births known to be shifted, but not by whole years
                f[SPAN - 5 * 365 - 40: SPAN + 5 * 365 + 41] += ps / (10 * 365 + 81)
            for mag, pm in zip([1, 2, 3, 4, 5], [0.45, 0.28, 0.14, 0.08, 0.05], strict=True):
                for sign, psg in ((1, 0.65), (-1, 0.35)):
                    c = SPAN + sign * mag * 365
                    if shift_flat:
                        continue
                    f[c] += ps * pm * psg * 0.5
                    f[c - 40: c + 41] += ps * pm * psg * 0.5 / 81
            # about the birth (0.15); half of it is "the day it came" for a given / abandoned child older
            # than a month, swapped in per case (the ":near" kernel below)
            f[SPAN - 150: SPAN + 151] += 0.15 / 301
            rest = max(1.0 - ps - 0.15, 0.0)
            f[SPAN - 60: SPAN - 14] += rest * 0.06 / 46
            f[SPAN] += rest * 0.94
        h = np.convolve(f, noise)[SPAN: SPAN + n]
        out[kind] = np.concatenate([[0.0], np.cumsum(h)])
        out[kind + ":near"] = np.concatenate([[0.0], np.cumsum(np.convolve(
            np.where(np.abs(np.arange(n) - SPAN) <= 150, 1.0 / 301, 0.0), noise)[SPAN: SPAN + n])])
    return out


def _window_mean(cum: np.ndarray, r: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Mean over m in [lo, hi] of h(r - m), h given by its cumulative sum on [-SPAN, SPAN]."""
    a = np.clip(r - hi + SPAN, 0, 2 * SPAN + 1)      # first offset index
    b = np.clip(r - lo + SPAN + 1, 0, 2 * SPAN + 1)  # one past the last
    return (cum[b] - cum[a]) / (hi - lo + 1)


def _mass(a0: np.ndarray, a1: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Share of the integers of [a0, a1] lying in [x, y]."""
    return np.clip(np.minimum(y, a1) - np.maximum(x, a0) + 1, 0, None) / (a1 - a0 + 1)


def _age_cdfs(prof: gen.Profile) -> dict[str, np.ndarray]:
    top = 8200
    out: dict[str, np.ndarray] = {}
    rw = gen._reunion_age_weights()
    if prof.trafficked_age_tilt:
        rw = rw * np.exp(prof.trafficked_age_tilt * np.arange(len(rw)))
        rw = rw / rw.sum()
    for kind in KINDS:
        pmf = np.zeros(top)
        if kind == "trafficked":
            for y, w in enumerate(rw):
                pmf[y * 365: y * 365 + 365] += w / 365
        else:
            w = np.asarray(prof.age_bins[kind], float)
            w = w / w.sum()
            for (_, lo, hi), wb in zip(gen.AGE_BINS, w, strict=True):
                pmf[lo: hi + 1] += wb / (hi - lo + 1)
        out[kind] = np.concatenate([[0.0], np.cumsum(pmf)])
    return out


# ------------------------------------------------------------------------------------------------ records
def _days(d: dt.date) -> int:
    return (d - EPOCH).days


def _interval(text: str, calendar: str) -> tuple[int, int] | None:
    from reunite.normalize.dates import DateError, parse_date

    s = str(text or "").strip()
    if not s:
        return None
    m = re.fullmatch(r"(\d{4})年左右", s)
    if m:  # the generator writes "about" for a remembered year
        y = int(m.group(1))
        return _days(dt.date(y, 1, 1)), _days(dt.date(y, 12, 31))
    try:
        iv = parse_date(s, calendar)
    except DateError:
        return None
    return None if iv is None else (_days(iv.lo), _days(iv.hi))


_INLINE_ALIAS = re.compile(r"^(.+?)(?: 小名|（小名|，乳名)(.+?)）?$")
_VARIANT = re.compile(r"（(.)）")


def parse_case_name(cell: str) -> tuple[list[str], str, bool]:
    """(readings of the name, inline childhood name, placeholder) of a name cell in generate.py's forms."""
    s = str(cell or "").strip()
    if not s:
        return [], "", False
    if s in (*gen.PLACEHOLDERS, "女孩", "男孩"):
        return [], "", True
    for tag in (*gen.NAME_TAGS, "（照片是家人）"):
        if s.endswith(tag):
            s = s[: -len(tag)]
            break
    alias = ""
    m = _INLINE_ALIAS.match(s)
    if m:
        s, alias = m.group(1), m.group(2)
    if "（" in s:  # 张（章）丽（莉): the written reading first, then the bracketed ones
        main = _VARIANT.sub("", s)
        alt = re.sub(r".（(.)）", r"\1", s)
        return [main, alt], alias, False
    return [s], alias, False


def read_cases(d: pd.DataFrame, nm: NameModel, pl: Places) -> pd.DataFrame:
    rows = []
    for r in d.itertuples(index=False):
        sex = str(r.sex or "")
        female = 1 if sex in ("F", "女") else 0 if sex in ("M", "男") else -1
        names, inline, placeholder = parse_case_name(str(r.name or ""))
        aliases = [a for a in (str(r.alias or ""), inline) if a]
        sur = given = ""
        givens: list[str] = []
        if names and not placeholder:
            sur, given = nm.split(names[0])
            if given in ("女", "男"):
                given = ""
            givens = [nm.split(n)[1] for n in names]
            givens = [g for g in dict.fromkeys(givens) if g and g not in ("女", "男")]
        b = _interval(r.birth_date, str(r.birth_calendar or ""))
        lo_ = _interval(r.missing_date, "")
        marks = str(r.marks or "")
        real = bool(marks) and marks not in MARK_PLACEHOLDERS
        rows.append({
            "case_id": r.case_id, "female": female, "sur": sur, "given": given, "givens": givens,
            "named_cell": bool(names) and not placeholder, "alias": aliases[0] if aliases else "",
            "b_lo": b[0] if b else -1, "b_hi": b[1] if b else -1,
            "l_lo": lo_[0] if lo_ else -1, "l_hi": lo_[1] if lo_ else -1,
            "origin": resolve(pl, str(r.missing_region or "")),
            "mark": marks.split("，")[0] if real else "",
        })
    return pd.DataFrame(rows)


def read_candidates(d: pd.DataFrame, nm: NameModel, pl: Places) -> pd.DataFrame:
    from reunite.normalize.ids import parse_resident_ids

    ids = parse_resident_ids(d["id_number"].fillna("").astype(str).tolist())
    bcell = d["birth_date"].fillna("").astype(str)
    bd = pd.to_datetime(bcell.where(bcell.str.len() > 4), errors="coerce", format="mixed")
    birth = ((bd - pd.Timestamp("1970-01-01")).dt.days).to_numpy(dtype=float)
    year_only = bcell.str.fullmatch(r"\d{4}").to_numpy()
    id_birth = ids.birth.astype(float)
    birth = np.where(np.isnan(birth) & ids.valid, id_birth, birth)
    yo = np.isnan(birth) & year_only
    birth[yo] = [_days(dt.date(int(y), 7, 1)) for y in bcell[yo]]
    birth = np.nan_to_num(birth, nan=-99999).astype(np.int64)
    rc = d["registration_date"].fillna("").astype(str)
    reg = pd.to_datetime(rc.where(rc != ""), errors="coerce", format="%Y-%m-%d")
    reg_days = np.nan_to_num((reg - pd.Timestamp("1970-01-01")).dt.days.to_numpy(dtype=float), nan=-99999)
    idc = d["id_number"].fillna("").astype(str).str.strip()
    id_row = np.array([pl.by_code.get(s[:6], -1) if len(s) >= 15 and s[:6].isdigit() else -1 for s in idc])
    region_row = np.array([resolve(pl, s) for s in d["region"].fillna("").astype(str)])
    names = d["name"].fillna("").astype(str).tolist()
    split = [nm.split(n) for n in names]
    former = d["former_names"].fillna("").astype(str).tolist()
    sex = d["sex"].fillna("").astype(str)
    return pd.DataFrame({
        "person_id": d["person_id"].astype(str), "female": sex.isin(["F", "女"]).to_numpy(),
        "sur": [s for s, _ in split], "given": [g for _, g in split], "name": names,
        "former": [tuple(x for x in f.split(";") if x) for f in former],
        "birth": birth, "reg": reg_days.astype(np.int64),
        "home": np.where(id_row >= 0, id_row, region_row), "home_from_id": id_row >= 0,
        "mark": d["marks"].fillna("").astype(str),
    })


# ------------------------------------------------------------------------------------------------ scoring
@dataclass
class Oracle:
    prof: gen.Profile
    nm: NameModel
    pl: Places
    cands: pd.DataFrame
    ablate: str = "none"

    def __post_init__(self) -> None:
        c = self.cands
        self.n = len(c)
        self.kern = _birth_kernels(self.prof, flat=self.ablate == "flat_birth",
                                   shift_flat=self.ablate == "shift_flat")
        self.age_cdf = _age_cdfs(self.prof)
        # the population's registered births: the candidates' own, smoothed over two months
        b = c["birth"].to_numpy()
        self.b0 = int(b[b > -99999].min()) - 400
        hist = np.bincount(np.clip(b - self.b0, 0, None), minlength=int(b.max() - self.b0 + 800)).astype(float)
        k = np.ones(61) / 61
        self.birth_p = (np.convolve(hist, k, mode="same") + 1e-3) / hist.sum()
        homes = c["home"].to_numpy()
        cnt = np.bincount(homes[homes >= 0], minlength=len(self.pl.prov)).astype(float)
        self.home_p = (cnt + 0.5) / (cnt.sum() + 0.5 * len(cnt))
        flows = gen._flows()
        self.origin_w = flows.groupby("origin_province")["reunions"].sum()
        self.origin_w = self.origin_w / self.origin_w.sum()
        self.flows = flows
        self.ear_cache: dict[str, dict[str, float]] = {}
        fem = c["female"].to_numpy()
        self.p_sur_all = np.array([self.nm.surname_p.get(x, 1e-5) for x in c["sur"]])
        self.p_giv_all = np.array([max(self.nm.given_p(g, bool(f)), 1e-6)
                                   for g, f in zip(c["given"], fem, strict=True)])
        self.year_all = np.where(b > -99999, pd.to_datetime(np.clip(b, -20000, 40000), unit="D").year, 0)
        self.former_any = np.array([len(f) > 0 for f in c["former"]])
        # The population's registration delay (registered minus born) and former names, counted: besides
        # the strangers it holds the other cases' children (about 1 %), registered months after their
        # birth or arrival and carrying birth and childhood names -- what the stranger formula calls
        # impossible (a delay of 90-364 days, a childhood name as a former name) is rare, not impossible.
        reg = c["reg"].to_numpy()
        known = (reg > -99999) & (b > -99999)
        delay = np.clip(reg[known] - b[known], -DELAY_PAD, DELAY_SPAN) + DELAY_PAD
        counts = np.bincount(delay, minlength=DELAY_SPAN + DELAY_PAD + 1).astype(float)
        self.delay_p = (np.convolve(counts, np.ones(15) / 15, mode="same") + 0.01) / max(known.sum(), 1)
        self.former_count: dict[str, int] = {}
        for f in c["former"]:
            for x in f:
                self.former_count[x] = self.former_count.get(x, 0) + 1
        self.prov_ix = np.searchsorted(np.array(self.pl.provinces, dtype=object), self.pl.prov)
        self.city_ix = pd.factorize(self.pl.city)[0]
        self.dest_share: dict[str, np.ndarray | None] = {}

    # -- the kind of case
    def kind_weights(self, case: Any) -> dict[str, float]:
        prof = self.prof
        if self.ablate == "no_kinds":
            return dict(prof.kinds)
        w: dict[str, float] = {}
        a_lo = max(case.l_lo - case.b_hi, 0) if case.l_lo >= 0 and case.b_lo >= 0 else 0
        a_hi = max(case.l_hi - case.b_lo, a_lo) if case.l_lo >= 0 and case.b_lo >= 0 else 8000
        a_hi = min(a_hi, 8199)
        a_lo = min(a_lo, a_hi)
        for kind in KINDS:
            p = prof.kinds[kind] / sum(prof.kinds.values())
            if case.female >= 0:
                g = prof.girl_share[kind]
                p *= g if case.female else 1 - g
            cdf = self.age_cdf[kind]
            p *= (cdf[a_hi + 1] - cdf[a_lo]) + 1e-4
            if case.origin >= 0:
                prov = self.pl.prov[case.origin]
                if kind == "trafficked":
                    p *= float(self.origin_w.get(prov, 0.0)) * len(self.pl.provinces) + 1e-3
            w[kind] = p
        tot = sum(w.values())
        return {k: v / tot for k, v in w.items()}

    # -- the home county
    def home_child(self, kind: str, origin: int, homes: np.ndarray) -> np.ndarray:
        pl, prof = self.pl, self.prof
        if origin < 0 or self.ablate == "flat_place":
            return self.home_p[np.clip(homes, 0, None)]
        op, oc = pl.prov[origin], pl.city[origin]
        h = np.clip(homes, 0, None)
        prov_ix, city_ix = self.prov_ix, self.city_ix
        same_p = prov_ix[h] == prov_ix[origin]
        n_p = pl.n_prov_counties[op]
        n_out = len(pl.prov) - n_p
        if kind == "trafficked":
            top = prof.trafficked_other_province
            if op not in self.dest_share:
                fl = self.flows[(self.flows["origin_province"] == op) & (self.flows["destination_province"] != op)]
                share = fl.groupby("destination_province")["reunions"].sum()
                vec = np.array([float(share.get(p, 0.0)) / pl.n_prov_counties[p] for p in pl.provinces])
                self.dest_share[op] = vec / share.sum() if len(fl) else None
            vec = self.dest_share[op]
            dest = vec[prov_ix[h]] if vec is not None else np.where(same_p, 0.0, 1.0 / max(n_out, 1))
            return top * dest + (1 - top) * same_p / n_p
        c_county, c_city, c_prov = prof.local_moves[kind]
        n_c = pl.n_city_counties.get(oc, 1)
        return (c_county * (homes == origin) + (c_city - c_county) * (city_ix[h] == city_ix[origin]) / n_c
                + (c_prov - c_city) * same_p / n_p + (1 - c_prov) * (~same_p) / max(n_out, 1))

    def ear(self, ch: str) -> dict[str, float]:
        if ch not in self.ear_cache:
            self.ear_cache[ch] = _ear_alternatives(ch)
        return self.ear_cache[ch]

    def given_posterior(self, case: Any, female: bool, givens: Iterable[str]) -> np.ndarray:
        """P(the birth given name = g | what the case reports), for each g."""
        nm, prof = self.nm, self.prof
        givens = list(givens)
        out = np.zeros(len(givens))
        if case.given:
            r = case.given
            ear = prof.by_ear_share if self.ablate != "no_ear" else 0.0
            # candidates for the birth name: r itself and its one-character by-ear sources
            src: dict[str, float] = {r: (1 - ear) * nm.given_p(r, female)}
            if ear:
                for j, ch in enumerate(r):
                    for b_ch, _ in self.ear(ch).items():
                        b = r[:j] + b_ch + r[j + 1:]
                        q = self.ear(b_ch).get(ch, 0.0)  # P(by_ear(b_ch) = ch)
                        if q:
                            src[b] = src.get(b, 0.0) + ear / len(r) * q * nm.given_p(b, female)
            for alt in case.givens[1:]:  # 张（章）丽（莉）: the bracketed readings are by-ear too
                src.setdefault(alt, 1e-3 * nm.given_p(alt, female))
            z = sum(src.values()) or 1.0
            for i, g in enumerate(givens):
                out[i] = src.get(g, 0.0) / z
            return out
        key = _alias_key(case.alias) if self.ablate != "no_alias" else ""
        if key:
            # a childhood name 小X / 阿X / XX of a named child is made of its given name's last character
            # (78 %), or it is one of the generic ones
            q = sum(p for g, p in self._all_given(female).items() if g[-1] == key)
            form = 0.40 if case.alias[0] == "小" else 0.12 if case.alias[0] == "阿" else 0.26
            pool = gen.CHILDHOOD_GENERIC_F if female else gen.CHILDHOOD_GENERIC_M
            generic = 0.22 / len(pool) if case.alias in pool else 0.0
            derived = form * q / (form * q + generic) if q else 0.0
            for i, g in enumerate(givens):
                if q and g and g[-1] == key:
                    out[i] = derived * nm.given_p(g, female) / q
            return out
        return np.full(len(givens), np.nan)

    def _all_given(self, female: bool) -> dict[str, float]:
        key = f"_all{int(female)}"
        if key not in self.ear_cache:
            last, first = self.nm.last_p[int(female)], self.nm.first_p[int(female)]
            d: dict[str, float] = {}
            for a, pa in last.items():
                d[a] = d.get(a, 0.0) + 0.35 * pa
                for f, pf in first.items():
                    d[f + a] = d.get(f + a, 0.0) + 0.65 * pf * pa
            self.ear_cache[key] = d  # type: ignore[assignment]
        return self.ear_cache[key]  # type: ignore[return-value]

    def score(self, case: Any, rows: np.ndarray) -> np.ndarray:
        """log P(record | child) - log P(record | someone else) for candidate rows of one case."""
        prof, nm, c = self.prof, self.nm, self.cands
        n = len(rows)
        fem = c["female"].to_numpy()[rows]
        sur = c["sur"].to_numpy()[rows]
        giv = c["given"].to_numpy()[rows]
        former = c["former"].to_numpy()[rows]
        birth = c["birth"].to_numpy()[rows]
        reg = c["reg"].to_numpy()[rows]
        home = c["home"].to_numpy()[rows]
        from_id = c["home_from_id"].to_numpy()[rows]
        mark = c["mark"].to_numpy()[rows]
        female = bool(case.female == 1) if case.female >= 0 else bool(np.mean(fem) > 0.5)
        weights = self.kind_weights(case)
        age = 0
        if case.l_lo >= 0 and case.b_lo >= 0:
            age = max((case.l_lo + case.l_hi) // 2 - (case.b_lo + case.b_hi) // 2, 0)
        baby = age <= 30
        p_named = 0.55 if baby else 1.0

        # population side -------------------------------------------------------------------
        p_sur = self.p_sur_all[rows]
        p_giv = self.p_giv_all[rows]
        if self.ablate == "pop_given_uniform":
            p_giv = np.full(n, float(np.median(p_giv)))
        bidx = np.clip(birth - self.b0, 0, len(self.birth_p) - 1)
        p_birth = self.birth_p[bidx]
        known_reg = reg > -99999
        sl = prof.stranger_late_reg
        dr = reg - birth
        p_reg_pop = 0.985 * ((1 - sl) * ((dr >= 0) & (dr <= 89)) / 90 + sl * ((dr >= 365) & (dr <= 3284)) / 2920) \
            + 0.015 * ((reg >= HK_START) & (reg < HK_START + 700)) / 700
        if self.ablate != "stranger_formula":
            delay = np.clip(reg - birth, -DELAY_PAD, DELAY_SPAN) + DELAY_PAD
            p_reg_pop = self.delay_p[delay]
        p_reg_pop = np.where(known_reg, p_reg_pop + 1e-7, 1.0)
        known_home = home >= 0
        p_home = np.where(known_home, self.home_p[np.clip(home, 0, None)], 1.0)
        p_home_region = np.where(from_id, p_home, 0.92 * p_home + 0.08 / len(self.pl.prov))
        n_marks = len(gen.MARKS)
        p_mark_pop = np.where(mark != "", 0.04 / n_marks, 0.96)

        # child side, the parts that do not depend on the kind -----------------------------
        if case.mark:
            p_mark_child = np.where(mark == case.mark, 0.25 + 0.75 * 0.04 / n_marks,
                                    np.where(mark != "", 0.75 * 0.04 / n_marks, 0.75 * 0.96))
        else:
            p_mark_child = p_mark_pop
        full_case = (case.sur + case.given) if case.sur and case.given else ""
        fa = self.former_any[rows]
        bn_in = np.zeros(n, bool)
        al_in = np.zeros(n, bool)
        other_former = np.zeros(n, bool)
        for i in np.flatnonzero(fa):
            f = former[i]
            bn_in[i] = bool(full_case) and full_case in f
            al_in[i] = bool(case.alias) and case.alias in f
            other_former[i] = any(x not in (full_case, case.alias) for x in f)
        if self.ablate == "no_former":
            bn_in[:] = False
            al_in[:] = False
        post_given = self.given_posterior(case, female, giv)  # nan: nothing known of the given name
        p_case_name = nm.surname_p.get(case.sur, 1e-5) * max(nm.given_p(case.given, female), 1e-6) \
            if full_case else 1.0
        al_pop = max(self.former_count.get(case.alias, 0) / self.n, 1e-6) if self.ablate != "stranger_formula" \
            else 1e-6
        bn_pop_p = max(0.03 * p_case_name, self.former_count.get(full_case, 0) / self.n) \
            if self.ablate != "stranger_formula" else 0.03 * p_case_name

        # registered birth: the case's birth cell
        if case.b_lo >= 0:
            b_lo, b_hi = np.full(n, case.b_lo), np.full(n, case.b_hi)
        else:
            b_lo = b_hi = None
        # loss cell -> arrival day ~ uniform [l_lo, l_hi + 59]
        a0 = case.l_lo if case.l_lo >= 0 else None
        total = np.zeros(n)
        per_field: dict[str, np.ndarray] = {}
        for kind in KINDS:
            w = weights[kind]
            if w <= 1e-9:
                continue
            # surname
            if kind == "given":
                ks = prof.given_keeps_surname
            elif kind == "abandoned":
                ks = 0.03
            elif kind == "trafficked":
                ks = prof.older_keeps_surname
            else:
                ks = 0.5
            f_sur = (ks * (sur == case.sur) + (1 - ks) * p_sur) / p_sur if case.sur else np.ones(n)
            # given name and former names, joint through "kept the given name"
            if kind in ("given", "abandoned"):
                kg = prof.older_keeps_given * 0.5 if age >= 182 else 0.0
            else:
                kg = prof.older_keeps_given * (1.6 if kind == "strayed" else 1.0) if age >= 730 else 0.0
            kg *= p_named if not case.given else 1.0
            fns = prof.former_name_share if age >= 365 else 0.0
            p_al = 0.10 if case.alias and age >= 730 else 0.0
            # former names: the birth name (only if the given name was not kept), the childhood name, an
            # unrelated later name; someone else has an unrelated one in 3 % (the case's name among them
            # as often as its share of names)
            f_al = np.where(al_in, p_al / al_pop, 1 - p_al)
            f_other = np.where(other_former, 0.04 / 0.03, 0.96 / 0.97)
            if np.isnan(post_given).all():
                f_given = np.ones(n)
            else:
                bn_pop = np.where(bn_in, bn_pop_p, 1.0)
                kept = kg * post_given / p_giv * np.where(bn_in, 0.0, 1.0)
                lost = (1 - kg) * (np.where(bn_in, fns, 1 - fns) if full_case else 1.0)
                f_given = (kept + lost) / bn_pop
            f_name = f_sur * f_given * f_al * f_other
            # registered birth
            if b_lo is not None:
                dens = _window_mean(self.kern[kind], birth, b_lo, b_hi)
                arrives = self.ablate not in ("flat_birth", "birth_no_arrival")
                if kind in ("given", "abandoned") and age > 30 and arrives:
                    near = _window_mean(self.kern[kind + ":near"], birth, b_lo, b_hi)
                    dens = dens - 0.075 * near
                    if a0 is not None:
                        arrival = (birth >= case.l_lo) & (birth <= case.l_hi)
                        dens = dens + 0.075 * arrival / (case.l_hi - case.l_lo + 1)
                f_birth = dens / p_birth
            else:
                f_birth = np.ones(n)
            # registration date
            if a0 is not None and self.ablate != "no_registration":
                al0, al1 = np.full(n, case.l_lo), np.full(n, case.l_hi + 59)
                prompt = (reg - birth >= 0) & (reg - birth <= 119)
                ontime = _mass(al0, al1, np.full(n, -10**7), birth) * prompt / 120 \
                    + _mass(al0, al1, np.maximum(birth + 1, reg - 119), reg) / 120
                late = 0.5 * _mass(al0, al1, reg - 1094, reg - 365) / 730 \
                    + 0.5 * _mass(al0, al1, reg - 2919, reg - 1095) / 1825
                hk = ((reg >= HK_START) & (reg < HK_START + 700)) / 700
                lr = prof.late_reg[kind]
                p_reg_child = (1 - lr) * ontime + lr * (0.92 * late + 0.08 * hk)
                f_reg = np.where(known_reg, p_reg_child / p_reg_pop, 1.0)
            else:
                f_reg = np.ones(n)
            # home county
            if known_home.any():
                hc = self.home_child(kind, case.origin, home)
                hc = np.where(from_id, hc, 0.92 * hc + 0.08 / len(self.pl.prov))
                f_home = np.where(known_home, hc / p_home_region, 1.0)
            else:
                f_home = np.ones(n)
            lr_kind = f_name * f_birth * f_reg * f_home
            total += w * ((1 - FLOOR) * lr_kind + FLOOR)
            for field_name, f in (("name", f_name), ("birth", f_birth), ("reg", f_reg), ("home", f_home)):
                per_field[field_name] = per_field.get(field_name, 0.0) + w * f
        self.fields = {k: np.log((1 - FLOOR) * f + FLOOR) for k, f in per_field.items()}
        self.fields["marks"] = np.log(p_mark_child / p_mark_pop)
        if self.ablate == "independent":  # each field's likelihood ratio mixed over the kinds by itself
            total = np.prod([(1 - FLOOR) * f + FLOOR for f in per_field.values()], axis=0)
        lr = total * (p_mark_child / p_mark_pop)
        # sex: the child has the case's sex
        if case.female >= 0:
            lr = lr * np.where(fem == bool(case.female), 1.0, 1e-6)
        # someone else may be this case's namesake decoy (same clean name, birth year, origin province)
        if self.ablate != "no_decoy" and case.sur and case.given:
            same = (sur == case.sur) & (giv == case.given)
            if same.any() and case.b_lo >= 0:
                y0, y1 = _d(case.b_lo).year, _d(case.b_hi).year
                yrs = self.year_all[rows]
                in_year = ((yrs >= y0) & (yrs <= y1)) / (365.0 * (y1 - y0 + 1))
                if case.origin >= 0:
                    op = self.pl.prov[case.origin]
                    in_prov = (self.pl.prov[np.clip(home, 0, None)] == op) & known_home
                    f_place = in_prov / self.pl.n_prov_counties[op] / p_home
                else:
                    f_place = np.ones(n)
                ratio = in_year / p_birth * f_place / (p_sur * p_giv)
                delta = prof.namesake_decoy / self.n
                lr = lr / (1 + np.where(same, delta * ratio, 0.0))
        return np.log(lr + 1e-300)


def _d(days: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(days))


def _alias_key(alias: str) -> str:
    if len(alias) == 2:
        if alias[0] in "小阿":
            return alias[1]
        if alias[0] == alias[1]:
            return alias[0]
    return ""


# ------------------------------------------------------------------------------------------------ running
def in_window(cases_csv: Path, cands_csv: Path, pairs: list[tuple[str, str]]) -> list[bool]:
    """Whether each (case_id, person_id) pair lies in reunite's blocking window (any of its passes)."""
    from reunite.matching.blocking import _context, in_pass
    from reunite.matching.prepare import prepare
    from reunite.matching.spec import BlockingSpec
    from reunite.pipeline import load_side

    cs, ds = load_side(cases_csv, "cases"), load_side(cands_csv, "candidates")
    prep = prepare(cs, ds)
    spec = BlockingSpec()
    ctx = _context(prep, spec)
    case_row = {str(k): i for i, k in enumerate(cs.ids.tolist())}
    cand_table_row = {str(k): i for i, k in enumerate(ds.ids.tolist())}
    prepared_of_row = np.empty(len(prep.cand_order), dtype=np.int64)
    prepared_of_row[prep.cand_order] = np.arange(len(prep.cand_order))
    ok = [(a in case_row and b in cand_table_row) for a, b in pairs]
    ci = np.array([case_row.get(a, 0) for a, _ in pairs], dtype=np.int64)
    di = np.array([prepared_of_row[cand_table_row.get(b, 0)] for _, b in pairs], dtype=np.int64)
    hit = np.zeros(len(pairs), bool)
    for name in spec.passes:
        hit |= in_pass(prep, spec, name, ci, di, ctx)
    return (hit & np.array(ok)).tolist()


def profile_of(name: str) -> gen.Profile:
    m = re.fullmatch(r"random(\d+)", name)
    return gen.random_profile_for(int(m.group(1))) if m else gen.PROFILES[name]


FAMILIES = ("name", "birth", "registration", "place", "marks")
ORACLE_FIELD = {"name": "name", "birth": "birth", "registration": "reg", "place": "home", "marks": "marks"}


def _family(term: str) -> str:
    from diagnose import family

    f = family(term)
    return "birth" if f in ("birth date", "timeline") else f


def _hybrids(ranked: pd.DataFrame, cases: pd.DataFrame, child: dict[str, str], row_of: dict[str, int],
             orc: Oracle, tiers: pd.DataFrame) -> dict[str, Any]:
    """Swap one field at a time between the oracle and reunite, on reunite's top K (the child counts
    only when it is there): reunite's per-field weights are read from its reasons (bits -> nats)."""
    from diagnose import terms

    variants: dict[str, dict[str, float]] = {}
    by_case = {cid: g for cid, g in ranked.groupby("case_id")}
    for case in cases.itertuples(index=False):
        cid = case.case_id
        if not child.get(cid):
            continue
        g = by_case.get(cid)
        if g is None or child[cid] not in set(g["person_id"]):
            for v in variants.values():
                v[cid] = np.inf
            continue
        pids = g["person_id"].tolist()
        me = pids.index(child[cid])
        re_f = {f: np.zeros(len(g)) for f in (*FAMILIES, "other")}
        for i, reasons in enumerate(g["reasons"].tolist()):
            for term, w in terms(reasons).items():
                re_f[_family(term)][i] += w * np.log(2)
        full = orc.score(case, np.array([row_of[p] for p in pids]))
        of = orc.fields
        rest = full - sum(of[ORACLE_FIELD[f]] for f in FAMILIES)  # sex, the namesake decoy, the mixing
        re_total = g["score"].to_numpy(dtype=float) * np.log(2)
        scores = {"reunite": re_total, "oracle": full,
                  "oracle, fields mixed over kinds separately": sum(of.values()) + rest}
        for f in FAMILIES:
            scores[f"oracle with reunite's {f}"] = sum(of[ORACLE_FIELD[x]] for x in FAMILIES if x != f) \
                + re_f[f] + rest
            scores[f"reunite with the oracle's {f}"] = re_total - re_f[f] + of[ORACLE_FIELD[f]]
        for name, sc in scores.items():
            variants.setdefault(name, {})[cid] = float((sc > sc[me]).sum() + (sc == sc[me]).sum())
    return {name: {k: v for k, v in _summary(r, tiers).items() if k != "tiers"} for name, r in variants.items()}


def _window_sample(n_cases: int, cases: pd.DataFrame, cands: pd.DataFrame, per_case: dict[str, list[str]],
                   child: dict[str, str], in_win: dict[tuple[str, str], bool], row_of: dict[str, int],
                   orc: Oracle, tiers: pd.DataFrame) -> dict[str, Any]:
    """What scoring only reunite's top K hides: for a sample of cases with a child, the oracle's rank of
    the child among the top K (plus the child in the window) against its rank among those and every
    candidate of a compatible sex born within 3 years of the case's birth cell (reunite's birth window)."""
    rng = np.random.default_rng(0)
    matched = [c for c in cases["case_id"] if child.get(c)]
    pick = set(rng.choice(matched, min(n_cases, len(matched)), replace=False).tolist())
    fem = cands["female"].to_numpy()
    birth = cands["birth"].to_numpy()
    t0 = time.time()
    top: dict[str, float] = {}
    wide: dict[str, float] = {}
    sizes = []
    for case in cases.itertuples(index=False):
        cid = case.case_id
        if cid not in pick:
            continue
        pids = list(per_case.get(cid, []))
        if in_win.get((cid, child[cid]), False):
            pids.append(child[cid])
        base = np.array([row_of[p] for p in pids], dtype=np.int64)
        sel = np.ones(len(fem), bool) if case.female < 0 else fem == bool(case.female)
        if case.b_lo >= 0:
            sel &= (birth >= case.b_lo - 1096) & (birth <= case.b_hi + 1096)
        rows = np.union1d(base, np.flatnonzero(sel))
        sizes.append(len(rows))
        me = row_of[child[cid]]
        for rws, target in ((base, top), (rows, wide)):
            if me not in set(rws.tolist()):
                target[cid] = np.inf
                continue
            sc = orc.score(case, rws)
            mine = sc[int(np.flatnonzero(rws == me)[0])]
            target[cid] = float((sc > mine).sum() + (sc == mine).sum())
    strip = {"tiers"}
    return {"cases": len(pick), "mean_candidates_wide": float(np.mean(sizes)), "seconds": round(time.time() - t0, 1),
            "top_k_only": {k: v for k, v in _summary(top, tiers).items() if k not in strip},
            "with_birth_window": {k: v for k, v in _summary(wide, tiers).items() if k not in strip}}


def run(data: Path, profile: str, ranked_name: str, ablations: list[str], window: bool = True,
        hybrid: bool = False, window_sample: int = 0) -> dict[str, Any]:
    t0 = time.time()
    s = {"dtype": str, "keep_default_na": False}
    cases_raw = pd.read_csv(data / "cases.csv", **s)
    cands_raw = pd.read_csv(data / "candidates.csv", **s)
    truth = pd.read_csv(data / "truth.csv", **s)
    tiers = pd.read_csv(data / "tiers.csv", **s)
    ranked = pd.read_csv(data / ranked_name, dtype={"case_id": str, "person_id": str}, encoding="utf-8-sig")
    prof = profile_of(profile)
    nm, pl = name_model(), places()
    cases = read_cases(cases_raw, nm, pl)
    cands = read_candidates(cands_raw, nm, pl)
    row_of = {p: i for i, p in enumerate(cands["person_id"].tolist())}
    child = dict(zip(truth["case_id"], truth["person_id"], strict=True))
    per_case = {cid: g["person_id"].tolist() for cid, g in ranked.sort_values("rank").groupby("case_id")}
    extra = [(cid, pid) for cid, pid in child.items() if pid and pid not in set(per_case.get(cid, []))]
    in_win = dict(zip(extra, in_window(data / "cases.csv", data / "candidates.csv", extra), strict=True)) \
        if (window and extra) else {}
    read_s = time.time() - t0
    out: dict[str, Any] = {"dir": str(data), "profile": profile, "ranked": ranked_name,
                           "top_k": int(ranked["rank"].max()), "read_seconds": round(read_s, 1),
                           "child_added_in_window": int(sum(in_win.values())),
                           "child_outside_window": int(len(in_win) - sum(in_win.values()))}
    matched = [cid for cid, pid in child.items() if pid]
    reunite_rank = {}
    for cid in matched:
        lst = per_case.get(cid, [])
        reunite_rank[cid] = lst.index(child[cid]) + 1 if child[cid] in lst else np.inf
    out["reunite"] = _summary(reunite_rank, tiers)
    if hybrid:
        out["hybrid"] = _hybrids(ranked, cases, child, row_of, Oracle(prof, nm, pl, cands), tiers)
    if window_sample:
        out["window_sample"] = _window_sample(window_sample, cases, cands, per_case, child, in_win, row_of,
                                              Oracle(prof, nm, pl, cands), tiers)
    for ab in ablations:
        t1 = time.time()
        orc = Oracle(prof, nm, pl, cands, ablate=ab)
        ranks: dict[str, float] = {}
        for case in cases.itertuples(index=False):
            cid = case.case_id
            pids = list(per_case.get(cid, []))
            if child.get(cid) and in_win.get((cid, child[cid]), False):
                pids.append(child[cid])
            if not child.get(cid):
                continue
            if child[cid] not in pids:
                ranks[cid] = np.inf
                continue
            rows = np.array([row_of[p] for p in pids])
            sc = orc.score(case, rows)
            me = sc[pids.index(child[cid])]
            # ties go against the child
            ranks[cid] = float((sc > me).sum() + (sc == me).sum())
        out[ab] = _summary(ranks, tiers)
        out[ab]["seconds"] = round(time.time() - t1, 1)
        print(f"{profile} {ab}: r@1 {out[ab]['recall@1']:.3f} r@10 {out[ab]['recall@10']:.3f} "
              f"mrr {out[ab]['mrr']:.3f} ({out[ab]['seconds']}s)", file=sys.stderr, flush=True)
    return out


TIER_COLS = ("no_name_evidence", "childhood_name_only", "surname_only_kept", "given_only_kept", "full_name_kept",
             "birth_shift_years", "other_province", "partial_birth", "lunar_birth", "baby", "trafficked_older",
             "late_registration")


def _summary(ranks: dict[str, float], tiers: pd.DataFrame) -> dict[str, Any]:
    r = pd.Series(ranks, dtype=float)
    out: dict[str, Any] = {"n": len(r)}
    for k in (1, 10, 20):
        out[f"recall@{k}"] = float((r <= k).mean())
    out["mrr"] = float((1.0 / r).mean())
    t = tiers.set_index("case_id").reindex(r.index)
    by = {}
    for col in TIER_COLS:
        sel = t[col].astype(str).str.lower().eq("true").to_numpy()
        by[col] = {"n": int(sel.sum()), "recall@10": float((r[sel] <= 10).mean()) if sel.sum() else float("nan")}
    for kind in sorted(t["kind"].unique()):
        sel = (t["kind"] == kind).to_numpy()
        by[f"kind={kind}"] = {"n": int(sel.sum()), "recall@10": float((r[sel] <= 10).mean())}
    out["tiers"] = by
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--dir", required=True, help="a data folder written by evaluate.py / generate.py")
    ap.add_argument("--profile", required=True, help="the profile that made the data (default, real_mix, randomSEED)")
    ap.add_argument("--ranked", default="ranked-fit.csv", help="reunite's ranking in --dir (its top K per case)")
    ap.add_argument("--ablate", nargs="+", default=["none"], choices=ABLATIONS)
    ap.add_argument("--no-window", action="store_true", help="do not add the true child when outside the top K")
    ap.add_argument("--hybrid", action="store_true",
                    help="also swap one field at a time between the oracle and reunite's reasons (top K only)")
    ap.add_argument("--json", default=None)
    ap.add_argument("--window-sample", type=int, default=0, metavar="N",
                    help="also score N cases against every candidate in a 3-year birth window (see _window_sample)")
    a = ap.parse_args(argv)
    res = run(Path(a.dir), a.profile, a.ranked, a.ablate, window=not a.no_window, hybrid=a.hybrid,
              window_sample=a.window_sample)
    if a.json:
        Path(a.json).write_text(json.dumps(res, ensure_ascii=False, indent=1, default=float) + "\n")
    print(json.dumps({k: (v if not isinstance(v, dict) else {kk: vv for kk, vv in v.items() if kk != "tiers"})
                      for k, v in res.items()}, ensure_ascii=False, indent=1, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
