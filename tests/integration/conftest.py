"""Fixtures for integration tests: a database, a small synthetic data set, a one-line error check.

``db_url`` is a fresh, empty database per test: a SQLite file in ``tmp_path``, or, when
REUNITE_TEST_DATABASE_URL names a PostgreSQL database (CI:
``postgresql+psycopg://postgres@127.0.0.1:5432/test``), a fresh schema in it, put first on the
``search_path`` through the URL and dropped (with everything in it) after the test.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from reunite.store import Store
from reunite.synth import generate, write

ENV = "REUNITE_TEST_DATABASE_URL"


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    base = os.environ.get(ENV, "").strip()
    if not base:
        yield f"sqlite:///{tmp_path / 'reunite.db'}"
        return
    parsed = make_url(base)
    if parsed.get_backend_name() != "postgresql":
        raise pytest.UsageError(f"{ENV}: expected a postgresql+psycopg:// URL, got {parsed.drivername}")
    schema = f"reunite_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = parsed.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A store at the newest schema revision, closed after the test."""
    opened = Store.open(db_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with cases.csv, candidates.csv and truth.csv of 20 x 600 generated records (seed 5), made once
    per module; a module that needs other data defines its own ``data``."""
    directory = tmp_path_factory.mktemp("synth")
    write(generate(20, 600, seed=5), directory)
    return directory


@pytest.fixture
def one_line(capsys: pytest.CaptureFixture[str]) -> Callable[..., str]:
    """``one_line(*needles)``: what the command wrote to standard error since the last read is one line,
    no traceback, holding every needle; returns that line."""

    def check(*needles: str) -> str:
        err = capsys.readouterr().err
        assert "Traceback" not in err
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        for needle in needles:
            assert needle in lines[0], lines[0]
        return lines[0]

    return check
