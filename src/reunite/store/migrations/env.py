"""Alembic environment: runs on the connection handed in by :func:`reunite.store.db.upgrade_schema`.

With no connection in ``config.attributes["connection"]`` it connects to the ``sqlalchemy.url``
main option (or ``-x url=...``); offline mode prints SQL for that URL.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from reunite.store.models import metadata

target_metadata = metadata


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise RuntimeError("no database: pass a connection, set sqlalchemy.url or use -x url=...")
    return url


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    """Run the migrations Alembic asked for (online on a connection, or offline as SQL)."""
    if context.is_offline_mode():
        context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    given = context.config.attributes.get("connection")
    if given is not None:
        _run(given)
        return
    engine = create_engine(_url())
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


# Alembic's context exists only while Alembic runs this file; importing it elsewhere (doctest
# collection, linters) must do nothing.
if hasattr(context, "config"):
    main()
