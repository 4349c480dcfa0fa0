"""Prepared data: term frequencies count each candidate once, derived tables are computed once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pandas as pd

from reunite.matching.prepare import Memo, name_frequencies, prepare
from reunite.pipeline import load_side


def test_a_value_carried_by_several_names_of_one_candidate_counts_once() -> None:
    people = load_side(pd.DataFrame({
        "person_id": ["a", "b", "c"], "name": ["王伟", "李伟", "张强"], "former_names": ["陈伟;王伟", "", ""],
        "sex": ["M", "M", "M"], "birth_date": ["1990", "1991", "1992"],
    }), "candidates")
    shares = name_frequencies(people)
    assert shares["given"] == {"伟": 2 / 3, "强": 1 / 3}
    assert shares["surname"] == {"王": 1 / 3, "陈": 1 / 3, "李": 1 / 3, "张": 1 / 3}
    assert shares["pinyin"] == {"wei": 2 / 3, "qiang": 1 / 3}


def test_readings_follow_the_characters_on_both_sides() -> None:
    cases = load_side(pd.DataFrame({"case_id": ["c"], "name": ["单小红"], "sex": ["F"], "birth_date": ["1988"]}),
                      "cases")
    people = load_side(pd.DataFrame({"person_id": ["p", "q"], "name": ["李晓红", "单晓"], "sex": ["F", "F"],
                                     "birth_date": ["1988", "1988"]}), "candidates")
    prep = prepare(cases, people)
    vocab = prep.pinyin_vocab
    assert vocab[prep.given_readings[prep.cases.given[0, 0], 0]] == "xiao hong"
    assert vocab[prep.cases.given_py[0, 0]] == "xiao hong"
    # the surname 单 reads "shan" on both sides, and the code table says so
    surname = prep.cases.surname[0, 0]
    assert surname in prep.candidates.surname[:, 0]
    assert prep.surname_readings[surname] == prep.cases.surname_py[0, 0]


def test_memo_computes_once_while_threads_wait_for_it() -> None:
    memo = Memo()
    calls: list[int] = []
    started = threading.Event()

    def compute() -> object:
        calls.append(1)
        started.set()
        return object()

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: memo.get("key", compute), range(16)))
    assert started.is_set() and len(calls) == 1
    assert all(r is results[0] for r in results)
    assert memo.get("other", lambda: 5) == 5 and len(calls) == 1


def test_memo_values_may_be_computed_from_other_memo_values() -> None:
    memo = Memo()
    inner = memo.get("outer", lambda: memo.get("inner", lambda: 2) + 1)
    assert inner == 3 and memo.get("inner", lambda: 0) == 2
