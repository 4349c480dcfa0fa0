"""Alembic: a database at an old revision keeps its data through the upgrade to head (and back)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from reunite.store import Store, build_plan
from reunite.store.db import (
    MIGRATIONS_DIR,
    create_store_engine,
    current_revision,
    head_revision,
    upgrade_schema,
)
from reunite.store.models import metadata

# The tables as revision 0001 created them (no dna_profiles, no runs.error): written out here, not
# taken from the models, because the models describe the head revision.
OLD = sa.MetaData()
OLD_CASES = sa.Table("cases", OLD, sa.Column("case_id", sa.Text), sa.Column("name", sa.Text),
                     sa.Column("sex", sa.Text), sa.Column("birth_date", sa.Text),
                     sa.Column("content_hash", sa.String(64)), sa.Column("closed", sa.Boolean))
OLD_CANDIDATES = sa.Table("candidates", OLD, sa.Column("person_id", sa.Text), sa.Column("name", sa.Text),
                          sa.Column("region", sa.Text), sa.Column("id_number", sa.Text),
                          sa.Column("content_hash", sa.String(64)))
OLD_RUNS = sa.Table(
    "runs", OLD, sa.Column("id", sa.Integer), sa.Column("started", sa.DateTime(timezone=True)),
    sa.Column("finished", sa.DateTime(timezone=True)), sa.Column("status", sa.String(16)),
    sa.Column("kind", sa.String(16)), sa.Column("config_hash", sa.Text), sa.Column("model_version", sa.Text),
    sa.Column("package_version", sa.Text), sa.Column("seed", sa.BigInteger),
    sa.Column("input_counts", sa.JSON), sa.Column("user", sa.Text), sa.Column("host", sa.Text),
)
OLD_TOPK = sa.Table("current_topk", OLD, sa.Column("case_id", sa.Text), sa.Column("person_id", sa.Text),
                    sa.Column("rank", sa.Integer), sa.Column("score", sa.Float),
                    sa.Column("probability", sa.Float), sa.Column("reasons", sa.Text),
                    sa.Column("run_id", sa.Integer))
OLD_DNA = sa.Table("dna_outcomes", OLD, sa.Column("case_id", sa.Text), sa.Column("person_id", sa.Text),
                   sa.Column("outcome", sa.String(16)), sa.Column("outcome_date", sa.Date),
                   sa.Column("recorded_at", sa.DateTime(timezone=True)), sa.Column("recorded_by", sa.Text))

NOW = dt.datetime(2024, 3, 1, 2, 0, tzinfo=dt.UTC)


def test_upgrade_from_first_revision_keeps_data_and_adds_the_new_structure(db_url: str) -> None:
    engine = create_store_engine(db_url)
    try:
        upgrade_schema(engine, "0001")
        assert current_revision(engine) == "0001"
        with engine.begin() as connection:
            assert "dna_profiles" not in sa.inspect(connection).get_table_names()
            old_run_id = connection.execute(OLD_RUNS.insert().returning(OLD_RUNS.c.id).values(
                started=NOW, finished=NOW, status="succeeded", kind="full", config_hash="cfg",
                model_version="model-1", package_version="0.1.0", seed=5, input_counts={"cases": 2},
                user="night", host="batch")).scalar_one()
            connection.execute(OLD_CASES.insert(), [
                {"case_id": "C1", "name": "王芳", "sex": "F", "birth_date": "1988", "content_hash": "h1",
                 "closed": False},
                {"case_id": "C2", "name": "", "sex": "M", "birth_date": "1990", "content_hash": "h2",
                 "closed": False},
            ])
            connection.execute(OLD_CANDIDATES.insert(), [
                {"person_id": "P1", "name": "李芳", "region": "360302", "id_number": "36030219880503002X",
                 "content_hash": "p1"},
                {"person_id": "P2", "name": "张伟", "region": "360302", "id_number": "",
                 "content_hash": "p2"},
            ])
            connection.execute(OLD_TOPK.insert(), [
                {"case_id": "C1", "person_id": "P1", "rank": 1, "score": 5.5, "probability": 0.8,
                 "reasons": "surname differs −0.8", "run_id": old_run_id},
                {"case_id": "C2", "person_id": "P2", "rank": 1, "score": 2.0, "probability": 0.3,
                 "reasons": "", "run_id": old_run_id},
            ])
            connection.execute(OLD_DNA.insert().values(case_id="C2", person_id="P1", outcome="excluded",
                                                       outcome_date=dt.date(2023, 5, 1), recorded_at=NOW,
                                                       recorded_by="lab"))
    finally:
        engine.dispose()

    store = Store.open(db_url)
    try:
        assert store.schema_revision() == head_revision() == "0011"
        assert [r["name"] for r in store.read_rows("cases")] == ["王芳", ""]
        assert store.read_rows("candidates", ["P1"])[0]["id_number"] == "36030219880503002X"
        assert [(r.case_id, r.person_id, r.reasons) for r in store.current_topk()] == [
            ("C1", "P1", "surname differs −0.8"), ("C2", "P2", "")]
        assert store.excluded_pairs() == {("C2", "P1")}
        old_run = store.run_info(old_run_id)
        assert old_run["model_version"] == "model-1" and old_run["error"] is None  # new column
        assert store.last_model_version() == "model-1"
        # the new table works
        assert store.mark_profiles_on_file(["P2"], source="provincial database") == 1
        plan = build_plan(store, 3)
        assert [(r.person_id, r.action) for r in plan] == [("P1", "collect sample"),
                                                            ("P2", "compare in database")]
        failed = store.begin_run("incremental", "cfg", "model-2", 1, {})
        store.fail_run(failed, "stopped by hand")
        assert store.run_info(failed)["error"] == "stopped by hand"
        assert failed > old_run_id
    finally:
        store.close()


def _topk_rows(engine: sa.Engine) -> list[tuple[str, str, int | None]]:
    """(case, person, stored rank or None) of current_topk, as the database holds it."""
    with engine.connect() as connection:
        columns = {c["name"] for c in sa.inspect(connection).get_columns("current_topk")}
        rank = "rank" if "rank" in columns else "NULL"
        found = connection.execute(sa.text(f"SELECT case_id, person_id, {rank} FROM current_topk"))
        return sorted((str(c), str(p), r) for c, p, r in found)


def test_revision_0004_derives_topk_ranks_and_downgrades_with_them(db_url: str) -> None:
    """0004 drops the stored rank of current_topk (read as score order, then person id); going
    back to 0003 writes that order back as ranks."""
    engine = create_store_engine(db_url)
    try:
        upgrade_schema(engine, "0003")
        with engine.begin() as connection:
            run_id = connection.execute(OLD_RUNS.insert().returning(OLD_RUNS.c.id).values(
                started=NOW, status="succeeded", kind="full", config_hash="cfg", model_version="m",
                package_version="0.1.0", seed=1, input_counts={}, user="night", host="batch")).scalar_one()
            connection.execute(OLD_CASES.insert(), [
                {"case_id": c, "name": "", "sex": "F", "birth_date": "", "content_hash": c, "closed": False}
                for c in ("C1", "C2")])
            connection.execute(OLD_CANDIDATES.insert(), [
                {"person_id": p, "name": "", "region": "", "id_number": "", "content_hash": p}
                for p in ("P1", "P2", "P3")])
            connection.execute(OLD_TOPK.insert(), [
                {"case_id": "C1", "person_id": "P3", "rank": 1, "score": 4.0, "probability": 0.5,
                 "reasons": "", "run_id": run_id},
                {"case_id": "C1", "person_id": "P2", "rank": 2, "score": 2.0, "probability": 0.2,
                 "reasons": "", "run_id": run_id},
                {"case_id": "C1", "person_id": "P1", "rank": 3, "score": 2.0, "probability": 0.2,
                 "reasons": "", "run_id": run_id},  # a tie ranked against person id order
                {"case_id": "C2", "person_id": "P1", "rank": 1, "score": -1.5, "probability": 0.1,
                 "reasons": "", "run_id": run_id},
            ])
        upgrade_schema(engine)
        assert _topk_rows(engine) == [("C1", "P1", None), ("C1", "P2", None), ("C1", "P3", None),
                                      ("C2", "P1", None)]
        with Store(db_url) as store:
            assert [(r.case_id, r.rank, r.person_id) for r in store.current_topk()] == [
                ("C1", 1, "P3"), ("C1", 2, "P1"), ("C1", 3, "P2"), ("C2", 1, "P1")]
            assert store.topk_scores(["C1"]) == {"C1": [(4.0, "P3"), (2.0, "P1"), (2.0, "P2")]}

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0003")
        assert current_revision(engine) == "0003"
        assert _topk_rows(engine) == [("C1", "P1", 2), ("C1", "P2", 3), ("C1", "P3", 1), ("C2", "P1", 1)]
        with engine.begin() as connection, pytest.raises(sa.exc.IntegrityError):
            connection.execute(sa.text("UPDATE current_topk SET rank = 1 WHERE person_id = 'P2'"))
    finally:
        engine.dispose()


def test_revision_0005_adds_case_totals_and_a_store_without_them_screens_each_case_in_full(db_url: str) -> None:
    """0005 adds per-case totals (what probabilities need besides the stored rows). A store whose
    top-k came from before it has none: its next incremental run screens every open case in full."""
    import pandas as pd

    from reunite.rescreen import rescreen

    cases = pd.DataFrame({"case_id": ["C1", "C2"], "name": ["王小红", "李强"], "sex": ["F", "M"],
                          "birth_date": ["1988", "1990"]})
    people = pd.DataFrame({"person_id": [f"P{i}" for i in range(8)], "name": ["王小红", "李强"] * 4,
                           "sex": ["F", "M"] * 4, "birth_date": ["1988-05-01", "1990-02-03"] * 4})
    with Store.open(db_url) as store:
        rescreen(store, cases=cases, candidates=people.iloc[:6], top_k=2)
        assert sorted(store.case_totals()) == ["C1", "C2"]
    engine = create_store_engine(db_url)
    try:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0004")
        with engine.connect() as connection:
            assert "case_totals" not in sa.inspect(connection).get_table_names()
    finally:
        engine.dispose()
    with Store.open(db_url) as store:
        assert store.schema_revision() == "0011" and store.case_totals() == {}
        _record_read_day(store)
        report = rescreen(store, candidates=people, top_k=2)
        assert (report.kind, report.cases_screened_all, report.cases_screened_delta) == ("incremental", 2, 0)
        assert sorted(store.case_totals()) == ["C1", "C2"]


def _record_read_day(store: Store) -> None:
    """Give the runs of a store from before revision 0010 the day they read their rows on (today), so
    its next night is not screened in full for lack of it (that rule has a test of its own)."""
    with store.engine.begin() as connection:
        connection.execute(sa.text("UPDATE runs SET read_on = :day"), {"day": dt.date.today()})


def _downgrade(engine: sa.Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_revision_0006_derives_probabilities_from_one_factor_per_case_and_upgrades_a_0005_store(
        db_url: str) -> None:
    """0006 stores one posterior factor per case instead of rescaling every stored row. A store made
    at 0005 (rows holding their probabilities) reads the same after the upgrade, and its nights then
    end as one full run would; going back to 0005 writes the derived probabilities into the rows."""
    import pandas as pd

    from reunite.rescreen import rescreen

    cases = pd.DataFrame({"case_id": ["C1", "C2"], "name": ["王小红", "李强"], "sex": ["F", "M"],
                          "birth_date": ["1988", "1990"]})
    people = pd.DataFrame({"person_id": [f"P{i}" for i in range(12)], "name": ["王小红", "李强", "王晓红"] * 4,
                           "sex": ["F", "M", "F"] * 4,
                           "birth_date": ["1988-05-01", "1990-02-03", "1988-07-01"] * 4})

    def rows(store: Store) -> list[tuple[str, int, str, float]]:
        return [(r.case_id, r.rank, r.person_id, r.probability) for r in store.current_topk()]

    with Store.open(db_url) as store:
        rescreen(store, cases=cases, candidates=people.iloc[:6], top_k=2)
        rescreen(store, cases=cases, candidates=people.iloc[:9], top_k=2)  # a night: factors move
        before = rows(store)
        factors = sorted(store.case_totals())
    assert factors == ["C1", "C2"] and before
    engine = create_store_engine(db_url)
    try:
        _downgrade(engine, "0005")
        with engine.connect() as connection:
            assert "log_factor" not in {c["name"] for c in sa.inspect(connection).get_columns("case_totals")}
            stored = connection.execute(sa.text("SELECT case_id, person_id, probability FROM current_topk")).all()
        derived = {(c, p): v for c, _, p, v in before}
        assert {(c, p): v for c, p, v in stored} == pytest.approx(derived, abs=1e-15)
    finally:
        engine.dispose()
    with Store.open(db_url) as store:  # the 0005 store, upgraded
        assert store.schema_revision() == "0011"
        _record_read_day(store)
        assert [r[:3] for r in rows(store)] == [r[:3] for r in before]
        assert [r[3] for r in rows(store)] == pytest.approx([r[3] for r in before], abs=1e-15)
        assert rescreen(store, cases=cases, candidates=people, top_k=2).kind == "incremental"
        night = rows(store)
        rescreen(store, top_k=2, full=True, refit=False)
        full = rows(store)
    assert [r[:3] for r in night] == [r[:3] for r in full]
    assert [r[3] for r in night] == pytest.approx([r[3] for r in full], abs=1e-9)


def test_models_match_the_head_revision(db_url: str) -> None:
    """The models and the migration scripts describe the same schema (autogenerate finds nothing)."""
    engine = create_store_engine(db_url)
    try:
        upgrade_schema(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, metadata)
        assert differences == []
    finally:
        engine.dispose()


def test_schema_head_constant_is_the_newest_revision() -> None:
    """A database at SCHEMA_HEAD opens without loading Alembic: the constant must follow the scripts."""
    from reunite.store.db import SCHEMA_HEAD

    assert head_revision() == SCHEMA_HEAD


def test_open_twice_is_a_no_op(db_url: str) -> None:
    Store.open(db_url).close()
    store = Store.open(db_url)
    try:
        assert store.schema_revision() == "0011"
    finally:
        store.close()


def test_revision_0009_keeps_every_row_current_and_goes_back(db_url: str) -> None:
    """0009 adds ``removed_run`` to cases and candidates: a store made at 0008 keeps every row as part
    of the data; going back to 0008 drops the columns (a removed row then counts again)."""
    import pandas as pd

    from reunite.rescreen import rescreen

    engine = create_store_engine(db_url)
    try:
        upgrade_schema(engine, "0008")
    finally:
        engine.dispose()
    with Store(db_url) as store, store.engine.begin() as connection:  # at 0008: the tables as they were
        connection.execute(sa.text("INSERT INTO cases (case_id, sex, content_hash) VALUES ('C1', 'F', 'h')"))
        connection.execute(sa.text("INSERT INTO candidates (person_id, sex, content_hash) "
                                   "VALUES ('P1', 'F', 'h'), ('P2', 'F', 'h')"))
    with Store.open(db_url) as store:
        assert store.schema_revision() == "0011"
        assert store.open_case_ids() == ["C1"] and store.count_rows("candidates") == 2
        people = pd.DataFrame({"person_id": ["P1", "P2"], "sex": ["F", "F"], "birth_date": ["1988", "1988"]})
        rescreen(store, candidates=people, top_k=1)
        rescreen(store, remove_candidates=["P2"], top_k=1)
        assert store.count_rows("candidates") == 1
    engine = create_store_engine(db_url)
    try:
        _downgrade(engine, "0008")
        with engine.connect() as connection:
            assert "removed_run" not in {c["name"] for c in sa.inspect(connection).get_columns("candidates")}
            assert "removed_run" not in {c["name"] for c in sa.inspect(connection).get_columns("cases")}
    finally:
        engine.dispose()
