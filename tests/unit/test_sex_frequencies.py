"""Given names' term frequencies and u are counted among the candidates a case is compared with:
its own sex (and the unknown), since every blocking pass keeps to compatible sexes."""

from __future__ import annotations

import itertools
from typing import Literal

import numpy as np
import pandas as pd

from reunite.matching.blocking import random_pairs
from reunite.matching.model import default_model
from reunite.matching.prepare import name_counts, name_frequencies, prepare
from reunite.matching.score import pair_contributions
from reunite.matching.shards import take_records
from reunite.normalize.features import RecordTable
from reunite.pipeline import load_side

_CHARS = "明华建国志强伟军平安晓丽敏静燕红霞玲英秀兰梅琳娟婷雪娜鹏飞涛"


def _people() -> RecordTable:
    """200 girls (4 named 芳), 200 boys (1 named 芳) and 2 people of unknown sex (one 芳); every other
    given name distinct."""
    others = ("".join(pair) for pair in itertools.permutations(_CHARS, 2))
    girls = ["芳"] * 4 + [next(others) for _ in range(196)]
    given = girls + ["芳"] + [next(others) for _ in range(199)] + ["芳", "鹏程"]
    sex = ["F"] * 200 + ["M"] * 200 + ["", ""]
    return load_side(pd.DataFrame({
        "person_id": [f"p{i:03d}" for i in range(len(given))], "name": ["王" + g for g in given],
        "sex": sex, "birth_date": ["1990-05-03"] * len(given),
    }), "candidates")


def test_counts_by_sex_take_the_unknown_sex_on_both_sides() -> None:
    counts = name_counts(_people())
    assert counts["given"]["芳"] == 6
    assert counts["given@F"]["芳"] == 5  # four girls and the one of unknown sex
    assert counts["given@M"]["芳"] == 2
    assert counts["pinyin@F"]["fang"] == 5
    assert counts["candidates"] == {"M": 202, "F": 202}
    assert "surname@F" not in counts  # surnames are not gendered: one table
    shares = name_frequencies(_people())
    assert shares["given@F"]["芳"] == 5 / 202
    assert shares["given"]["芳"] == 6 / 402


def test_counts_of_shards_add_up_to_the_whole() -> None:
    people = _people()
    whole = name_counts(people)
    rows = np.arange(len(people))
    parts = [name_counts(take_records(people, rows[rows % 3 == r])) for r in range(3)]
    for key, table in whole.items():
        for value, count in table.items():
            assert sum(part.get(key, {}).get(value, 0) for part in parts) == count, (key, value)


def _given_weight(prep_kwargs: dict[str, object], case_sex: str) -> float:
    people = _people()
    cases = load_side(pd.DataFrame({"case_id": ["c"], "name": ["李芳"], "sex": [case_sex],
                                    "birth_date": ["1990-05-03"]}), "cases")
    prep = prepare(cases, people, **prep_kwargs)  # type: ignore[arg-type]
    row = 0 if case_sex == "F" else 200  # a girl named 芳 for the girl's case, the boy named 芳 for the boy's
    cand = np.flatnonzero(prep.cand_order == row)
    model = default_model()
    _, contributions = pair_contributions(prep, model, np.zeros(1, dtype=np.int64), cand.astype(np.int64))
    return float(contributions[model.spec.comparisons.index("given_name"), 0])


def test_a_name_common_among_girls_weighs_less_for_a_girl_than_for_a_boy() -> None:
    girl, boy = _given_weight({}, "F"), _given_weight({}, "M")
    overall = {k: v for k, v in name_frequencies(_people()).items() if "@" not in k}  # as counted before
    girl_before = _given_weight({"frequencies": overall, "frequency_base": 402}, "F")
    boy_before = _given_weight({"frequencies": overall, "frequency_base": 402}, "M")
    assert girl_before == boy_before  # a model fitted before: one table for every case
    assert girl < girl_before < boy
    model = default_model()
    shrink = 402 / (402 + 5000)
    factor = model.temperature * model.scale["given_name"] * shrink
    # 芳 is 5 of the 202 a girl's case meets, 6 of all 402: log2(6/402 / (5/202)) bits (scaled) less
    assert abs((girl - girl_before) - factor * np.log2((6 / 402) / (5 / 202))) < 1e-4


def test_random_pairs_for_u_keep_to_compatible_sexes() -> None:
    def side(n: int, kind: Literal["cases", "candidates"]) -> RecordTable:
        key = "case_id" if kind == "cases" else "person_id"
        return load_side(pd.DataFrame({key: [f"{kind[0]}{i:03d}" for i in range(n)], "name": ["王伟"] * n,
                                       "sex": ["", "M", "F"] * (n // 3), "birth_date": ["1990"] * n}), kind)

    prep = prepare(side(300, "cases"), side(30, "candidates"))  # 9,000 pairs, 7,000 of compatible sexes
    case, cand = random_pairs(prep, 9_000, np.random.default_rng(1))
    assert case.size == 7_000  # every compatible pair when there are few
    case, cand = random_pairs(prep, 8_000, np.random.default_rng(1))
    assert case.size == 8_000
    case_sex, cand_sex = prep.cases.sex[case], prep.candidates.sex[cand]
    assert np.all((case_sex == 0) | (cand_sex == 0) | (case_sex == cand_sex))
    # a girl's case meets the 10 girls and the 10 of unknown sex alike, the unknown case all 30
    girl = np.bincount(cand[case_sex == 2], minlength=30)
    anyone = np.bincount(cand[case_sex == 0], minlength=30)
    assert np.count_nonzero(girl) == 20 and girl.max() < 1.6 * girl[girl > 0].min()
    assert np.count_nonzero(anyone) == 30
