"""Revision 0011: a store written before the readers folded ids (``ＰＡ００１２３`` read as ``PA00123``)
has its stored keys folded, so the re-sent rows match them again; ids that would become one are
refused, with nothing changed. On SQLite, and on PostgreSQL when REUNITE_TEST_DATABASE_URL is set."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from reunite.errors import StoreError
from reunite.rescreen import rescreen
from reunite.store import Store
from reunite.store.db import MIGRATIONS_DIR, create_store_engine, upgrade_schema
from reunite.store.records import COLUMNS, content_hash
from reunite.synth import generate

TODAY = dt.date(2026, 12, 1)

# every table and column that holds a case or person id
ID_COLUMNS = [("cases", "case_id"), ("candidates", "person_id"), ("results", "case_id"), ("results", "person_id"),
              ("current_topk", "case_id"), ("current_topk", "person_id"), ("dna_outcomes", "case_id"),
              ("dna_outcomes", "person_id"), ("case_bounds", "case_id"), ("case_bounds", "person_id"),
              ("case_totals", "case_id")]


def _wide(text: str) -> str:
    """``text`` as a full-width input method types it."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


POINTING = {"cases": [(t, c) for t, c in ID_COLUMNS if c == "case_id" and t != "cases"],
            "candidates": [(t, c) for t, c in ID_COLUMNS if c == "person_id" and t != "candidates"]
            + [("dna_profiles", "person_id")]}


def _write_as_before(db_url: str, side: str, ids: set[str]) -> None:
    """Rewrite the rows of ``ids`` as a store written before the readers folded ids held them: the id
    full-width, the content hash over it, every row pointing at it following."""
    key = COLUMNS[side][0]  # type: ignore[index]
    engine = create_store_engine(db_url)
    try:
        with engine.begin() as connection:
            table = sa.Table(side, sa.MetaData(), autoload_with=connection)
            for row in connection.execute(sa.select(table).where(table.c[key].in_(sorted(ids)))).mappings().all():
                copy = {**row, key: _wide(row[key])}
                copy["content_hash"] = content_hash([copy[c] for c in COLUMNS[side]])  # type: ignore[index]
                connection.execute(table.insert(), [copy])
                for name, column in POINTING[side]:
                    connection.execute(sa.text(f"UPDATE {name} SET {column} = :new WHERE {column} = :old"),
                                       {"new": copy[key], "old": row[key]})
                connection.execute(table.delete().where(table.c[key] == row[key]))
    finally:
        engine.dispose()


def _dump(db_url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the tables that hold ids (a case's normalized record left out), sorted."""
    engine = create_store_engine(db_url)
    try:
        with engine.connect() as connection:
            dumped = {}
            for name in sorted({t for t, _ in ID_COLUMNS} | {"dna_profiles"}):
                table = sa.Table(name, sa.MetaData(), autoload_with=connection)
                shown = [c for c in table.c if c.name not in ("normalized", "normalized_with", "id")]
                dumped[name] = sorted(tuple(map(repr, r)) for r in connection.execute(sa.select(*shown)).all())
            return dumped
    finally:
        engine.dispose()


def _old_store(db_url: str, wide_cases: set[str], wide_people: set[str]
               ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, list[tuple[object, ...]]]]:
    """A store screened in full (results, top-k, bounds, totals), with a DNA outcome and a profile, then
    taken back to revision 0010 and its ``wide_*`` ids written as a store written before held them;
    and the store as it was before that."""
    data = generate(12, 400, seed=11)
    cases, people = pd.DataFrame(data.cases).astype(str), pd.DataFrame(data.candidates).astype(str)
    with Store.open(db_url) as store:
        rescreen(store, cases=cases, candidates=people, top_k=5, today=TODAY)
        case, person = sorted(wide_cases)[0], sorted(wide_people)[0]
        store.record_dna(case, person, "excluded", user="lab")
        store.mark_profiles_on_file([person], source="lab")
    dumped = _dump(db_url)
    engine = create_store_engine(db_url)
    try:
        _downgrade(engine, "0010")
    finally:
        engine.dispose()
    _write_as_before(db_url, "cases", wide_cases)
    _write_as_before(db_url, "candidates", wide_people)
    return cases, people, dumped


def _downgrade(engine: sa.Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _ids(db_url: str) -> dict[tuple[str, str], list[str]]:
    engine = create_store_engine(db_url)
    try:
        with engine.connect() as connection:
            return {(t, c): sorted(str(v) for v in connection.execute(sa.text(f"SELECT {c} FROM {t}")).scalars())
                    for t, c in ID_COLUMNS}
    finally:
        engine.dispose()


def test_stored_full_width_ids_are_folded_back_with_everything_pointing_at_them(db_url: str) -> None:
    wide_cases = {"C000001", "C000002", "C000003"}
    data = generate(12, 400, seed=11)
    wide_people = set(map(str, data.candidates["person_id"]))  # every person: the top-k rows, bounds too
    cases, people, written = _old_store(db_url, wide_cases, wide_people)
    old = _dump(db_url)
    assert any(_wide("C000001") in r[0] for r in old["cases"])
    assert any(_wide("P0000001") in r[0] for r in old["candidates"])
    assert old != written

    with Store.open(db_url) as store:  # upgraded to 0011
        assert store.schema_revision() == "0011"
    assert _dump(db_url) == written  # every row as the readers would have written it

    # the night that re-sends every row (ids typed full-width: the readers fold them) finds nothing new
    with Store.open(db_url) as store:
        report = rescreen(store, cases=cases.assign(case_id=[_wide(c) for c in cases.case_id]),
                          candidates=people.assign(person_id=[_wide(p) for p in people.person_id]), top_k=5,
                          today=TODAY)
        assert (report.new_cases, report.changed_cases, report.new_candidates, report.changed_candidates) == (
            0, 0, 0, 0)
        assert (store.count_rows("cases"), store.count_rows("candidates")) == (len(cases), len(people))
        night = _dump(db_url)["current_topk"]
        rescreen(store, full=True, refit=False, top_k=5, today=TODAY)
    assert [r[:3] for r in night] == [r[:3] for r in _dump(db_url)["current_topk"]]


def test_ids_that_folding_would_make_one_are_refused_and_nothing_changes(db_url: str) -> None:
    engine = create_store_engine(db_url)
    try:
        upgrade_schema(engine, "0010")
        with engine.begin() as connection:
            connection.execute(sa.text("INSERT INTO candidates (person_id, sex, content_hash) VALUES "
                                       "(:a, 'F', 'h'), ('PA00123', 'F', 'h'), (:b, 'M', 'h')"),
                               {"a": _wide("PA00123"), "b": _wide("PB7")})
    finally:
        engine.dispose()
    with pytest.raises(StoreError) as caught:
        Store.open(db_url)
    message = str(caught.value)
    assert "'PA00123' and 'ＰＡ００１２３'" in message and "nothing was changed" in message
    assert "\n" not in message
    with Store(db_url) as store:
        assert store.schema_revision() == "0010"
    assert _ids(db_url)[("candidates", "person_id")] == sorted(["PA00123", _wide("PA00123"), _wide("PB7")])
