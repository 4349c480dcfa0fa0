"""Alembic migrations of the reunite database, shipped in the package and run programmatically.

:func:`reunite.store.db.upgrade_schema` runs them (``Store.open`` calls it); no ``alembic.ini`` is
needed. A new revision: copy the newest file in ``versions/``, set ``revision`` and
``down_revision``, write ``upgrade``/``downgrade``, and change ``models.py`` to match —
``tests/integration/test_migrations.py`` fails while the models and the revisions disagree.

Every revision spells out its tables and columns itself (it never imports the models), so an old
revision keeps creating the schema it created when it was written.
"""
