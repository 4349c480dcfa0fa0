"""Revision 0007: the store keeps each case's normalized record, and a night reads it back instead of
normalizing every open case again -- only while it stands for a new normalization."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from reunite import stored_records
from reunite.ingest import read_table
from reunite.normalize import RecordTable, normalize
from reunite.rescreen import rescreen
from reunite.store import Store
from reunite.store.db import MIGRATIONS_DIR, create_store_engine
from reunite.synth import generate

TOP_K = 5
_DATA = generate(12, 800, seed=21)
CASES, CANDIDATES = pd.DataFrame(_DATA.cases), pd.DataFrame(_DATA.candidates)


def _same(got: RecordTable, want: RecordTable) -> None:
    """Every per-record array, name column and flag equal (``rows``, the source row numbers, aside)."""
    for item in dataclasses.fields(want):
        value = getattr(want, item.name)
        if isinstance(value, np.ndarray) and item.name != "rows":
            other = getattr(got, item.name)
            assert other.dtype == value.dtype, item.name
            assert np.array_equal(other, value, equal_nan=value.dtype.kind == "f"), item.name
    for item in dataclasses.fields(want.names):
        assert getattr(got.names, item.name).tolist() == getattr(want.names, item.name).tolist(), item.name
    assert {k: v.tolist() for k, v in got.flags.items()} == {k: v.tolist() for k, v in want.flags.items()}


def _normalized_now(store: Store, case_ids: list[str]) -> RecordTable:
    frame = pd.DataFrame(store.read_rows("cases", case_ids), dtype=object)
    return normalize(read_table(frame, "cases", label="stored cases"))


def test_a_full_run_keeps_every_case_normalized_as_normalize_gives_it(db_url: str) -> None:
    with Store.open(db_url) as store:
        rescreen(store, cases=CASES, candidates=CANDIDATES.iloc[:600], top_k=TOP_K)
        ids = sorted(CASES["case_id"])
        kept = store.normalized_cases(ids)
        assert sorted(kept) == ids
        assert {mark for mark, _ in kept.values()} == {stored_records.fingerprint()}
        want = _normalized_now(store, ids)
        got = stored_records.decode([kept[c][1] for c in want.ids.tolist()], "cases", want.report)
        _same(got, want)
        assert stored_records.dates_hold(got, store.read_rows("cases", ids)).all()


def test_a_changed_case_loses_its_record_and_the_night_keeps_the_new_one(db_url: str) -> None:
    with Store.open(db_url) as store:
        rescreen(store, cases=CASES, candidates=CANDIDATES.iloc[:600], top_k=TOP_K)
        cases = CASES.copy()
        case_id = str(cases.loc[0, "case_id"])
        before = store.normalized_cases([case_id])[case_id][1]
        cases.loc[0, "name"] = "欧阳小红"
        store.upsert("cases", cases.iloc[[0]].to_dict("records"))
        assert store.normalized_cases([case_id]) == {}  # it described the old row
        rescreen(store, cases=cases, candidates=CANDIDATES, top_k=TOP_K)
        after = store.normalized_cases([case_id])[case_id][1]
        assert after != before and "欧阳" in after


@pytest.mark.parametrize("stale", ["fingerprint", "dates"])
def test_a_record_that_no_longer_stands_for_a_new_normalization_is_normalized_again(db_url: str, stale: str) -> None:
    """Another normalizer's record (fingerprint), or one whose dates read differently today (a date
    reaching the day it was made is clipped to that day): the night normalizes the case again,
    screens with that, and keeps the new record."""
    with Store.open(db_url) as store:
        rescreen(store, cases=CASES, candidates=CANDIDATES.iloc[:600], top_k=TOP_K)
        ids = sorted(CASES["case_id"])
        kept = store.normalized_cases(ids)
        case_id = ids[3]
        mark, text = kept[case_id]
        if stale == "fingerprint":
            mark = "0" * 64
        else:  # as made a day earlier: the missing date's interval ended a day sooner
            record = json.loads(text)
            fields = [f.name for f in dataclasses.fields(RecordTable)
                      if f.name not in ("side", "rows", "names", "report", "flags")]
            record[0][fields.index("event_known")] = True
            record[0][fields.index("event_hi")] -= 1
            record[3] = True  # made that day, its date reached the day: it may read otherwise later
            text = json.dumps(record, ensure_ascii=False)
        with store.engine.begin() as connection:
            connection.execute(sa.text("UPDATE cases SET normalized = :t, normalized_with = :m WHERE case_id = :c"),
                               {"t": text, "m": mark, "c": case_id})
        night = rescreen(store, cases=CASES, candidates=CANDIDATES, top_k=TOP_K)
        assert night.kind == "incremental" and night.cases_screened_delta > 0
        renewed = store.normalized_cases([case_id])[case_id]
        assert renewed[0] == stored_records.fingerprint() and renewed != (mark, text)
        want = _normalized_now(store, [case_id])
        _same(stored_records.decode([renewed[1]], "cases", want.report), want)
        ranking = [(r.case_id, r.rank, r.person_id, r.score) for r in store.current_topk()]
        rescreen(store, top_k=TOP_K, full=True, refit=False)
        assert ranking == [(r.case_id, r.rank, r.person_id, r.score) for r in store.current_topk()]


def test_a_0006_store_upgraded_normalizes_its_cases_once_and_keeps_them(db_url: str) -> None:
    url = db_url
    with Store.open(url) as store:
        rescreen(store, cases=CASES, candidates=CANDIDATES.iloc[:600], top_k=TOP_K)
    engine = create_store_engine(url)
    try:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0006")
        with engine.connect() as connection:
            assert "normalized" not in {c["name"] for c in sa.inspect(connection).get_columns("cases")}
    finally:
        engine.dispose()
    with Store.open(url) as store:
        assert store.schema_revision() == "0011"
        ids = sorted(CASES["case_id"])
        assert store.normalized_cases(ids) == {}
        with store.engine.begin() as connection:  # (a store from before 0010 records no read day: a full run)
            connection.execute(sa.text("UPDATE runs SET read_on = :day"), {"day": dt.date.today()})
        assert rescreen(store, cases=CASES, candidates=CANDIDATES, top_k=TOP_K).kind == "incremental"
        assert sorted(store.normalized_cases(ids)) == ids
