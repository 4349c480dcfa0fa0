"""Stored ids are folded as every reader folds them: NFKC, then stripped (``ＰＡ００１２３`` is
``PA00123``). Since the readers fold the ids of every input (revision 0010's package), a store
written before may hold keys the re-sent rows no longer match: a night stored the person a second
time and never found the old row again.

Each case or candidate whose id folding changes is moved to the folded id: the row is copied under it
(its ``content_hash`` computed again over the folded id, as an upsert of the re-sent row computes it;
a case's normalized record cleared, to be made again from the row), every row pointing at it follows
(results, current top-k, DNA outcomes and profiles, case bounds and totals), and the old row is
deleted. When folding would make two stored ids one (``ＰＡ００１２３`` and ``PA00123`` both stored),
nothing is changed and the upgrade stops naming them: which record is the person is for a person to
decide.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import hashlib
import unicodedata
from json.encoder import encode_basestring

import sqlalchemy as sa
from alembic import op

from reunite.errors import StoreError

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None

# The tables as this revision finds them: a side's id column, the columns its content hash covers (in
# order), and the (table, column) pairs that point at its ids.
_SIDES: dict[str, tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]]] = {
    "cases": ("case_id", ("case_id", "name", "alias", "sex", "birth_date", "birth_calendar", "missing_date",
                          "missing_region", "marks"),
              (("results", "case_id"), ("current_topk", "case_id"), ("dna_outcomes", "case_id"),
               ("case_bounds", "case_id"), ("case_totals", "case_id"))),
    "candidates": ("person_id", ("person_id", "name", "former_names", "sex", "birth_date", "id_number", "region",
                                 "registration_date", "marks"),
                   (("results", "person_id"), ("current_topk", "person_id"), ("dna_outcomes", "person_id"),
                    ("dna_profiles", "person_id"), ("case_bounds", "person_id"))),
}
_SHOWN = 5  # colliding ids named in the message


def _fold(text: str) -> str:
    """As ``reunite.ingest.table.fold_id`` reads an id (written out: a revision does not change)."""
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        return text.strip()
    return unicodedata.normalize("NFKC", text).strip()


def _content_hash(values: list[str]) -> str:
    """As ``reunite.store.records.content_hash`` hashes a row."""
    return hashlib.sha256(("[" + ", ".join(map(encode_basestring, values)) + "]").encode("utf-8")).hexdigest()


def _moves(connection: sa.Connection, side: str) -> dict[str, str]:
    """Stored id -> its folded id, for the ids folding changes; raises naming ids that would become one."""
    key = _SIDES[side][0]
    stored = [str(k) for k in connection.execute(sa.text(f"SELECT {key} FROM {side}")).scalars()]
    groups: dict[str, list[str]] = {}
    for k in stored:
        groups.setdefault(_fold(k), []).append(k)
    clashes = [sorted(ids) for ids in groups.values() if len(ids) > 1]
    if clashes:
        shown = "; ".join(" and ".join(repr(i) for i in ids) for ids in sorted(clashes)[:_SHOWN])
        more = f" (and {len(clashes) - _SHOWN} more)" if len(clashes) > _SHOWN else ""
        raise StoreError(
            f"the store holds {side} whose ids are one id once full-width characters are read as the readers "
            f"read them (ＰＡ００１２３ is PA00123): {shown}{more}; nothing was changed: keep one record of each "
            f"(delete or rename the other in the database), then open the store again")
    return {k: f for f, ids in groups.items() for k in ids if k != f}


def _move(connection: sa.Connection, side: str, moves: dict[str, str]) -> None:
    key, hashed, pointers = _SIDES[side]
    table = sa.Table(side, sa.MetaData(), autoload_with=connection)
    rows = connection.execute(sa.select(table).where(table.c[key].in_(list(moves)))).mappings().all()
    copies = []
    for row in rows:
        copy = dict(row)
        copy[key] = moves[row[key]]
        copy["content_hash"] = _content_hash([copy[c] or "" for c in hashed])
        if side == "cases":
            copy["normalized"] = copy["normalized_with"] = None  # made again from the row
        copies.append(copy)
    connection.execute(table.insert(), copies)
    for name, column in pointers:
        pointing = sa.table(name, sa.column(column))
        connection.execute(pointing.update().where(pointing.c[column] == sa.bindparam("_old"))
                           .values({column: sa.bindparam("_new")}),
                           [{"_old": old, "_new": new} for old, new in moves.items()])
    connection.execute(table.delete().where(table.c[key] == sa.bindparam("_old")),
                       [{"_old": old} for old in moves])


def upgrade() -> None:
    connection = op.get_bind()
    moves = {side: _moves(connection, side) for side in _SIDES}  # every clash found before anything changes
    for side, side_moves in moves.items():
        if side_moves:
            _move(connection, side, side_moves)


def downgrade() -> None:
    pass  # the folded ids are what every reader reads: nothing to undo
