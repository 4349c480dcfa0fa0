"""Engines and schema migrations.

The Alembic scripts ship inside the package (``reunite/store/migrations``) and run from here, so
no ``alembic.ini`` is needed: :func:`upgrade_schema` builds the Alembic configuration in memory and
hands Alembic an open connection.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import (
    Connection,
    Engine,
    Executable,
    String,
    Table,
    column,
    create_engine,
    event,
    insert,
    inspect,
    select,
    table,
)
from sqlalchemy.engine import CursorResult, make_url
from sqlalchemy.exc import IntegrityError

from reunite.errors import StoreError

__all__ = [
    "HEAD",
    "bulk_insert",
    "create_store_engine",
    "current_revision",
    "fetch_tuples",
    "head_revision",
    "safe_url",
    "upgrade_schema",
    "utcnow",
]

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
HEAD = "head"


def utcnow() -> dt.datetime:
    """The current time, timezone-aware in UTC (the only kind of time the store writes)."""
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """A time read back from the database, as UTC (SQLite returns naive times; they are UTC)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages.

    >>> safe_url("postgresql+psycopg://reunite:secret@db:5432/cases")
    'postgresql+psycopg://reunite:***@db:5432/cases'
    """
    return make_url(url).render_as_string(hide_password=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLite checks foreign keys only when asked, per connection; results must never point at
    # cases or persons that do not exist.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_store_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine for ``url``; SQLite gets foreign keys on and a 30 s busy timeout.

    A PostgreSQL URL without its driver installed raises a :class:`StoreError` naming the extra that
    brings it (``pip install 'reunite[postgres]'``).

    >>> create_store_engine("sqlite://").dialect.name
    'sqlite'
    """
    parsed = make_url(url)
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        connect_args["timeout"] = 30.0  # another process may hold the write lock for a moment
    try:
        engine = create_engine(url, echo=echo, connect_args=connect_args)
    except ImportError as exc:
        if parsed.get_backend_name() != "postgresql":
            raise
        raise StoreError(f"--db {safe_url(url)!r}: the PostgreSQL driver {parsed.get_driver_name()!r} is not "
                         "installed; expected it from pip install 'reunite[postgres]'") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


if TYPE_CHECKING:
    from alembic.config import Config

# The newest revision in migrations/versions (tests check it equals head_revision()): a database
# already at it opens without loading Alembic, about a quarter of a second of a nightly start-up.
SCHEMA_HEAD = "0011"


def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    """The newest revision shipped with this package.

    >>> head_revision()
    '0011'
    """
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def upgrade_schema(engine: Engine, revision: str = HEAD) -> None:
    """Upgrade the database to ``revision`` (default the newest), in one transaction.

    Parameters
    ----------
    engine:
        An engine from :func:`create_store_engine`.
    revision:
        An Alembic revision id (``"0001"``, ``"0002"``) or ``"head"``.

    Examples
    --------
    >>> engine = create_store_engine("sqlite://")
    >>> upgrade_schema(engine, "0001"); current_revision(engine)
    '0001'
    """
    if revision in (HEAD, SCHEMA_HEAD) and _stored_revision(engine) == SCHEMA_HEAD:
        return  # already there
    from alembic import command

    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _stored_revision(engine: Engine) -> str | None:
    """The revision in ``alembic_version`` (``None`` without one), read without Alembic."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        version_num = column("version_num", String)
        versions = connection.execute(select(version_num).select_from(table("alembic_version"))).scalars().all()
    return str(versions[0]) if len(versions) == 1 else None


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or ``None`` for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def bulk_insert(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many rows inside ``connection``'s transaction (all rows have the keys of the first).

    PostgreSQL through psycopg gets ``COPY ... FROM STDIN`` (the row-by-row ``executemany`` is
    about 10x slower there once foreign keys are checked); other databases get ``executemany``.
    Constraint violations raise :class:`sqlalchemy.exc.IntegrityError` either way.
    """
    if not rows:
        return
    dialect = connection.dialect
    if dialect.name != "postgresql" or dialect.driver != "psycopg":
        connection.execute(insert(table), list(rows))
        return
    names = list(rows[0])
    quote = dialect.identifier_preparer
    statement = (f"COPY {quote.format_table(table)} ({', '.join(quote.quote(n) for n in names)}) "
                 "FROM STDIN")
    driver = connection.connection.driver_connection
    assert driver is not None
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([row[n] for n in names])
    except dialect.loaded_dbapi.IntegrityError as exc:
        raise IntegrityError(statement, None, exc) from exc


def fetch_tuples(connection: Connection, query: Executable) -> list[tuple[Any, ...]]:
    """Every row of ``query`` as the driver returns it (plain tuples), for reads of 100,000s of rows.

    SQLAlchemy's row objects cost 2-3x the driver's own fetch; no result processing is needed
    for the text, integer and float columns read this way.

    >>> from sqlalchemy import text
    >>> with create_store_engine("sqlite://").connect() as connection:
    ...     fetch_tuples(connection, text("SELECT 'C1', 2.5"))
    [('C1', 2.5)]
    """
    result = connection.execute(query)
    assert isinstance(result, CursorResult)
    try:
        return cast(list[tuple[Any, ...]], result.cursor.fetchall()) if result.returns_rows else []
    finally:
        result.close()
