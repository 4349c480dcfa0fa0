"""The store: cases, candidates, runs, results, DNA outcomes and the audit log in one database.

:class:`Store` is the only place reunite talks to a database (SQLite for one investigator,
PostgreSQL for the bureau). Every method runs in its own transaction; the ones that write several
tables (``save_results``, ``import_dna_csv``) write all or nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import socket
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from operator import itemgetter
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, get_args

from sqlalchemy import Connection, Row, func, insert, or_, select, true, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from reunite._typing import DnaOutcome, Side, check_flags
from reunite.errors import InputError, StoreError
from reunite.ingest.table import fold_id
from reunite.store import dna
from reunite.store.db import (
    HEAD,
    create_store_engine,
    current_revision,
    fetch_tuples,
    safe_url,
    upgrade_schema,
    utcnow,
)
from reunite.store.fitted import (
    Bound,
    CaseTotals,
    StoredModel,
    add_fitted_model,
    latest_fitted_model,
    read_bounds,
    read_totals,
    write_bounds,
    write_totals,
)
from reunite.store.lock import (
    LockHolder,
    acquire_run_lock,
    break_run_lock,
    current_user,
    lock_holder,
    release_run_lock,
    remove_dead_lock,
    set_lock_run,
)
from reunite.store.models import AuditEntry, Candidate, Case, CurrentTopK, DnaProfile, Run
from reunite.store.records import (
    COLUMNS,
    MODELS,
    UpsertResult,
    check_side,
    current,
    inputs_hash,
    mark_read,
    prepare_rows,
    upsert_rows,
    write_normalized,
)
from reunite.store.removals import Removal, mark_removed
from reunite.store.results import (
    TOPK_SELECT,
    TopKRow,
    fix_probabilities,
    leave_rows,
    parse_result_rows,
    rank_rows,
    write_results,
)

__all__ = ["RunKind", "Store", "UpsertResult"]

RunKind = Literal["full", "incremental"]
_FIRST_RUN = "a first reunite rescreen with --cases creates it"


def _package_version() -> str:
    try:
        return version("reunite")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def _running(connection: Connection, run_id: int, what: str) -> Row[Any]:
    """The run ``run_id``, which must exist and be running (else a StoreError naming ``what``)."""
    run = connection.execute(select(Run).where(Run.c.id == run_id)).first()
    if run is None or run.status != "running":
        state = "no such run" if run is None else f"it is {run.status}"
        raise StoreError(f"{what}: run {run_id} must be running, {state}")
    return run


class Store:
    """A reunite database.

    ``Store(url)`` only creates the engine; :meth:`Store.open` also upgrades the schema to the
    newest revision (do that once per process, before use).

    Parameters
    ----------
    url:
        A SQLAlchemy URL: ``sqlite:///reunite.db`` or
        ``postgresql+psycopg://user@host:5432/reunite``.

    Examples
    --------
    >>> store = Store.open("sqlite://")
    >>> store.upsert("cases", [{"case_id": "C1", "sex": "F", "birth_date": "1988"}]).new_ids
    ['C1']
    >>> store.read_rows("cases")[0]["birth_date"]
    '1988'
    >>> store.close()
    """

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = create_store_engine(url, echo=echo)

    @classmethod
    def open(cls, url: str, *, echo: bool = False, create: bool = True, label: str | None = None) -> Store:
        """Connect and upgrade the schema to the newest revision (Alembic, in one transaction).

        ``create=False`` opens only a database reunite has written to: a SQLite file that does not
        exist, or a database without reunite's tables, is a :class:`StoreError` (a mistyped path
        of a command that only reads would otherwise become a new, empty database). ``label`` names
        the database in those messages (default: the URL without its password).

        >>> Store.open("sqlite:////no/such/folder/typo.db", create=False)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        reunite.errors.StoreError: sqlite:////no/such/folder/typo.db: no such database file ...
        """
        named = safe_url(url) if label is None else label
        if not create:
            database = make_url(url).database if make_url(url).get_backend_name() == "sqlite" else None
            if database not in (None, "", ":memory:") and not Path(str(database)).is_file():
                raise StoreError(f"{named}: no such database file {database} ({_FIRST_RUN})")
        store = cls(url, echo=echo)
        try:
            if not create and store.schema_revision() is None:
                raise StoreError(f"{named}: not a reunite database ({_FIRST_RUN})")
            upgrade_schema(store.engine, HEAD)
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({safe_url(self.url)!r})"

    def schema_revision(self) -> str | None:
        """The Alembic revision the database is at (``None`` when empty)."""
        return current_revision(self.engine)

    # -- cases and candidates -------------------------------------------------------------------

    def upsert(
        self, side: Side, rows: Sequence[Mapping[str, str]], *, run_id: int | None = None
    ) -> UpsertResult:
        """Insert new rows and update changed ones, by id, comparing a hash of the content.

        Parameters
        ----------
        side:
            ``"cases"`` (id column ``case_id``) or ``"candidates"`` (``person_id``).
        rows:
            Canonical columns of the data contract as text (missing columns count as ""); a key
            that is not a canonical column is an error, as is an empty or repeated id.
        run_id:
            Recorded as ``first_seen_run`` (new rows) and ``updated_run`` (new and changed rows): the
            rows are then that run's to screen, so it must be running (a caller that drives a run
            itself, :meth:`begin_run` to :meth:`commit_run`). Rows written without one are left for
            the next re-screen (:meth:`unscreened`): it screens them as new rows, and screens
            everything in full when one replaced a stored candidate.

        Returns
        -------
        UpsertResult
            ``new_ids`` and ``changed_ids`` in input order, and the count left unchanged. A row a
            run removed (:meth:`commit_run`, ``removals``) that comes again is stored again and
            counts as new.

        Raises
        ------
        InputError
            For an unknown side, an unknown column, a non-text value, an empty or repeated id.
        StoreError
            For a ``run_id`` that is not a running run: its rows would count as screened by a run
            that never read them. Nothing is written.
        """
        side = check_side(side)
        prepared = prepare_rows(side, rows)
        with self.engine.begin() as connection:
            if run_id is not None:
                _running(connection, run_id, f"upsert {side}")
            done = upsert_rows(connection, side, prepared, run_id)
            self._audit(connection, f"upsert {side}", run_id=run_id,
                        inputs_hash=inputs_hash({"rows": [r["content_hash"] for r in prepared.values()]}),
                        detail={"rows": len(prepared), "new": len(done.new_ids),
                                "changed": len(done.changed_ids)})
        return done

    def count_rows(self, side: Side) -> int:
        """How many rows of ``side`` are stored (removed ones not counted)."""
        model = MODELS[check_side(side)]
        with self.engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(model).where(current(model))) or 0)

    def read_rows(self, side: Side, ids: Collection[str] | None = None, *, removed: bool = False
                  ) -> list[dict[str, str]]:
        """Canonical columns of stored rows (all, or those in ``ids``), sorted by id; rows removed by
        :meth:`commit_run` (``remove_cases``, ``remove_candidates``) are left out unless ``removed``."""
        side = check_side(side)
        table, columns = MODELS[side], COLUMNS[side]
        id_column = table.c[columns[0]]
        query = select(*(table.c[c] for c in columns))
        if not removed:
            query = query.where(current(MODELS[side]))
        # one Core query, rows as tuples (a whole table is 100,000s of rows)
        with self.engine.connect() as connection:
            if ids is None:
                found = fetch_tuples(connection, query.order_by(id_column))
            else:
                found = []
                for part in dna.chunks(sorted(set(ids))):
                    found.extend(fetch_tuples(connection, query.where(id_column.in_(part))))
                found.sort(key=lambda r: str(r[0]))
        return [dict(zip(columns, row, strict=True)) for row in found]

    def content_hashes(self, side: Side, ids: Collection[str] | None = None) -> dict[str, str]:
        """Content hash of stored rows (all, or those in ``ids``), by id (to tell new and changed
        input rows apart).

        >>> store = Store.open("sqlite://")
        >>> _ = store.upsert("cases", [{"case_id": "C1"}])
        >>> list(store.content_hashes("cases"))
        ['C1']
        """
        side = check_side(side)
        table = MODELS[side]
        id_column = table.c[COLUMNS[side][0]]
        query = select(id_column, table.c.content_hash).where(current(MODELS[side]))  # a removed row comes back new
        with self.engine.connect() as connection:
            if ids is None:
                return dict(fetch_tuples(connection, query))
            found: dict[str, str] = {}
            for part in dna.chunks(sorted(set(ids))):
                found.update(fetch_tuples(connection, query.where(id_column.in_(part))))
            return found

    def person_ids_by_id_number(self, numbers: Collection[str]) -> dict[str, list[str]]:
        """The stored person_ids whose ``id_number`` cell is one of ``numbers`` (as written), by number.

        >>> store = Store.open("sqlite://")
        >>> _ = store.upsert("candidates", [{"person_id": "P1", "id_number": "11010519491231002X"}])
        >>> store.person_ids_by_id_number(["11010519491231002X", "x"])
        {'11010519491231002X': ['P1']}
        """
        found: dict[str, list[str]] = {}
        query = select(Candidate.c.id_number, Candidate.c.person_id).where(current(Candidate))
        with self.engine.connect() as connection:
            for part in dna.chunks(sorted({n for n in numbers if n})):
                for number, person_id in connection.execute(query.where(Candidate.c.id_number.in_(part))):
                    found.setdefault(str(number), []).append(str(person_id))
        return {number: sorted(ids) for number, ids in found.items()}

    def normalized_cases(self, ids: Collection[str]) -> dict[str, tuple[str, str]]:
        """``(fingerprint, text)`` of the stored normalized record of each case in ``ids`` that has
        one (written by :meth:`commit_run`; see :mod:`reunite.stored_records`).

        >>> store = Store.open("sqlite://")
        >>> _ = store.upsert("cases", [{"case_id": "C1"}])
        >>> store.normalized_cases(["C1"])
        {}
        """
        table = Case
        query = select(table.c.case_id, table.c.normalized_with, table.c.normalized)
        found: dict[str, tuple[str, str]] = {}
        with self.engine.connect() as connection:
            for part in dna.chunks(sorted(set(ids))):
                chosen = query.where(table.c.case_id.in_(part), table.c.normalized.is_not(None))
                found.update((c, (w, t)) for c, w, t in fetch_tuples(connection, chosen))
        return found

    def last_run_id(self) -> int | None:
        """Id of the newest run, whatever its status (``None`` before the first)."""
        with self.engine.connect() as connection:
            return connection.scalar(select(Run.c.id).order_by(Run.c.id.desc()).limit(1))

    def open_case_ids(self) -> list[str]:
        """Ids of cases not closed by a confirmed DNA outcome and not removed, sorted."""
        with self.engine.connect() as connection:
            return list(connection.scalars(select(Case.c.case_id).where(Case.c.closed.is_(False), current(Case))
                                        .order_by(Case.c.case_id)))

    def count_removed(self, side: Side) -> int:
        """How many rows of ``side`` a run has removed."""
        model = MODELS[check_side(side)]
        with self.engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(model)
                                      .where(model.c.removed_run.is_not(None))) or 0)

    def removal_state(self, side: Side, ids: Collection[str]) -> dict[str, int | None]:
        """Each of ``ids`` that is stored, with the run that removed it (``None``: it is current).

        >>> store = Store.open("sqlite://")
        >>> _ = store.upsert("cases", [{"case_id": "C1"}])
        >>> store.removal_state("cases", ["C1", "C2"])
        {'C1': None}
        """
        side = check_side(side)
        table = MODELS[side]
        id_column = table.c[COLUMNS[side][0]]
        found: dict[str, int | None] = {}
        with self.engine.connect() as connection:
            for part in dna.chunks(sorted(set(ids))):
                found.update(fetch_tuples(connection, select(id_column, table.c.removed_run)
                                          .where(id_column.in_(part))))
        return found

    def calendar_rows(self, *, every: bool = False) -> list[dict[str, str]]:
        """Canonical columns of the current candidates whose reading may change with the day they
        are read on, or is not known to be settled (``calendar`` not false: revision 0010), sorted
        by id: the rows a night checks against the calendar (``every``: all current candidates).

        >>> store = Store.open("sqlite://")
        >>> _ = store.upsert("candidates", [{"person_id": "P1", "registration_date": "2026-12"}])
        >>> [r["person_id"] for r in store.calendar_rows()]
        ['P1']
        """
        table, columns = Candidate, COLUMNS["candidates"]
        query = (select(*(table.c[c] for c in columns))
                 .where(current(Candidate), *(() if every else (or_(table.c.calendar.is_(None),
                                                                      table.c.calendar == true()),)))
                 .order_by(table.c.person_id))
        with self.engine.connect() as connection:
            return [dict(zip(columns, row, strict=True)) for row in fetch_tuples(connection, query)]

    def unscreened(self, side: Side) -> tuple[list[str], list[str]]:
        """``(new, changed)``: ids of the current rows of ``side`` that :meth:`upsert` wrote outside a
        run (``updated_run`` empty) and no run has screened since, sorted; ``changed`` replaced a row
        a run had stored (``first_seen_run`` set), whose old version is gone.

        >>> store = Store.open("sqlite://")
        >>> _ = store.upsert("cases", [{"case_id": "C1"}])
        >>> store.unscreened("cases")
        (['C1'], [])
        """
        model = MODELS[check_side(side)]
        table = model
        key = table.c[COLUMNS[side][0]]
        query = select(key, table.c.first_seen_run).where(current(model), table.c.updated_run.is_(None)).order_by(key)
        with self.engine.connect() as connection:
            found = fetch_tuples(connection, query)
        return [str(k) for k, first in found if first is None], [str(k) for k, first in found if first is not None]

    def closed_case_ids(self, ids: Collection[str]) -> set[str]:
        """Those of ``ids`` whose case a confirmed DNA outcome closed (removed ones too).

        >>> store = Store.open("sqlite://")
        >>> _ = store.upsert("cases", [{"case_id": "C1"}])
        >>> store.closed_case_ids(["C1", "C2"])
        set()
        """
        found: set[str] = set()
        with self.engine.connect() as connection:
            for part in dna.chunks(sorted(set(ids))):
                found.update(connection.scalars(select(Case.c.case_id).where(Case.c.case_id.in_(part),
                                                                              Case.c.closed.is_(True))))
        return found

    # -- runs ----------------------------------------------------------------------------------

    def begin_run(
        self,
        kind: RunKind,
        config_hash: str,
        model_version: str,
        seed: int | None,
        inputs: Mapping[str, Any],
        *,
        user: str | None = None,
    ) -> int:
        """Take the exclusive run lock and record a new run; returns its id.

        The lock is released by :meth:`finish_run` or :meth:`fail_run` (or use :meth:`run`). A
        lock left by a dead process on this host is taken over, and that process's run is marked
        failed ("abandoned"); see :mod:`reunite.store.lock`.

        Parameters
        ----------
        kind:
            ``"full"`` or ``"incremental"``.
        config_hash, model_version, seed:
            What is needed to replay the run (the package version is added).
        inputs:
            JSON-able description of the inputs (counts, file hashes); stored on the run, and
            hashed into the audit log.
        user:
            Who runs it (default: the login name).

        Raises
        ------
        ConcurrentRunError
            Another run holds the lock (the message names its pid, host and since when).
        InputError
            ``kind`` is not ``"full"`` or ``"incremental"``.
        """
        if kind not in get_args(RunKind):
            raise InputError(f"run kind: expected 'full' or 'incremental', got {kind!r}")
        user = user or current_user()
        stale = acquire_run_lock(self.engine, safe_url(self.url))
        try:
            with self.engine.begin() as connection:
                if stale is not None:
                    self._abandon(connection, stale)
                run_id = int(connection.execute(insert(Run).values(
                    started=utcnow(), status="running", kind=kind, config_hash=config_hash,
                    model_version=model_version, package_version=_package_version(), seed=seed,
                    input_counts=dict(inputs), user=user, host=socket.gethostname()).returning(Run.c.id)).scalar_one())
                self._audit(connection, "begin_run", run_id=run_id, inputs_hash=inputs_hash(inputs),
                            user=user, detail={"kind": kind, "model_version": model_version,
                                               "config_hash": config_hash, "seed": seed})
            set_lock_run(self.engine, run_id)
        except BaseException:
            release_run_lock(self.engine, None)
            raise
        return run_id

    def _abandon(self, connection: Connection, stale: LockHolder) -> None:
        # The holder died without finishing: its run can never finish, so it is marked failed.
        error = f"abandoned: the process ({stale}) died without finishing; lock taken over"
        if stale.run_id is not None:
            connection.execute(update(Run).where(Run.c.id == stale.run_id, Run.c.status == "running")
                            .values(status="failed", finished=utcnow(), error=error))
        self._audit(connection, "take over stale run lock", run_id=stale.run_id, detail={"error": error})

    def _end_run(self, run_id: int, status: str, error: str | None) -> None:
        with self.engine.begin() as connection:
            _running(connection, run_id, f"marking it {status}")
            connection.execute(update(Run).where(Run.c.id == run_id).values(status=status, finished=utcnow(),
                                                                           error=error))
            self._audit(connection, f"{status} run", run_id=run_id, detail={"error": error} if error else {})
        release_run_lock(self.engine, run_id)

    def finish_run(self, run_id: int) -> None:
        """Mark a running run succeeded and release the run lock."""
        self._end_run(run_id, "succeeded", None)

    def fail_run(self, run_id: int, error: str | BaseException) -> None:
        """Mark a running run failed (keeping the error text) and release the run lock."""
        text = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else error
        self._end_run(run_id, "failed", text)

    @contextmanager
    def run(
        self, kind: RunKind, config_hash: str, model_version: str, seed: int | None,
        inputs: Mapping[str, Any], *, user: str | None = None,
    ) -> Iterator[int]:
        """``begin_run`` as a context: finished on success, failed (and re-raised) on an error."""
        run_id = self.begin_run(kind, config_hash, model_version, seed, inputs, user=user)
        try:
            yield run_id
        except BaseException as exc:
            self.fail_run(run_id, exc)
            raise
        self.finish_run(run_id)

    def run_info(self, run_id: int) -> dict[str, Any]:
        """Every recorded column of one run, as a dict."""
        with self.engine.connect() as connection:
            run = connection.execute(select(Run).where(Run.c.id == run_id)).mappings().first()
            if run is None:
                raise StoreError(f"run {run_id}: no such run")
            return dict(run)

    def last_succeeded_run(self) -> dict[str, Any] | None:
        """:meth:`run_info` of the newest succeeded run (``None`` before the first)."""
        with self.engine.connect() as connection:
            run_id = connection.scalar(select(Run.c.id).where(Run.c.status == "succeeded")
                                       .order_by(Run.c.id.desc()).limit(1))
        return None if run_id is None else self.run_info(run_id)

    def last_read_on(self) -> dt.date | None:
        """The day the last succeeded run that read rows read them on (revision 0010; runs that read
        none, such as results saved by hand, record none); ``None``: none recorded."""
        with self.engine.connect() as connection:
            return connection.scalar(select(Run.c.read_on)
                                     .where(Run.c.status == "succeeded", Run.c.read_on.is_not(None))
                                     .order_by(Run.c.id.desc()).limit(1))

    def last_top_k(self) -> int | None:
        """The top-k of the newest succeeded run (``None`` before the first): the depth every open case's
        stored ranking is exact to (rows stored beyond it are a reserve)."""
        run = self.last_succeeded_run()
        return (int(run["input_counts"].get("top_k", 0)) or None) if run is not None else None

    def last_model_version(self) -> str | None:
        """Model version of the newest succeeded run (``None`` before the first)."""
        with self.engine.connect() as connection:
            return connection.scalar(select(Run.c.model_version).where(Run.c.status == "succeeded")
                                  .order_by(Run.c.id.desc()).limit(1))

    def lock_holder(self) -> LockHolder | None:
        """Who holds the run lock now (``None`` when free)."""
        return lock_holder(self.engine)

    def clear_dead_lock(self) -> LockHolder | None:
        """Remove a run lock left by a dead process on this host and mark its run failed
        ("abandoned"), as :meth:`begin_run` would; returns that holder, or ``None``."""
        holder = remove_dead_lock(self.engine)
        if holder is not None:
            with self.engine.begin() as connection:
                self._abandon(connection, holder)
        return holder

    def break_run_lock(self) -> LockHolder | None:
        """Remove the run lock whoever holds it (for a person, after checking it is stale)."""
        holder = break_run_lock(self.engine)
        self.audit("break_run_lock", detail={"holder": str(holder) if holder else None})
        return holder

    # -- results -------------------------------------------------------------------------------

    def save_results(
        self,
        run_id: int,
        rows: Sequence[Mapping[str, Any]],
        *,
        replace_cases: Collection[str],
        rescored_person_ids: Collection[str] = (),
        top_k: int | None = None,
    ) -> None:
        """Write a run's ranked rows and update the merged current top-k, in ONE transaction.

        Parameters
        ----------
        run_id:
            A running run.
        rows:
            Mappings with ``case_id, rank, person_id, score, probability`` and optionally
            ``reasons``; other keys (display columns) are ignored.
        replace_cases:
            Cases screened against every candidate in this run: their current top-k becomes
            exactly this run's rows (no rows -> empty; more than ``top_k``: the first ``top_k`` by
            the given rank).
        rescored_person_ids:
            Persons this run compared with every open case (the new and changed candidates of an
            incremental run). Every other case is merged: its old rows of these persons are
            dropped (their old score is stale; a person no longer in a case's top rows leaves it),
            this run's rows for the case are added, and the rows are re-ranked by score (then
            person id). Cases neither replaced nor touched are left alone. Only the rows that
            enter a case's top-k are written and only those that leave it are deleted: ranks are
            not stored but derived when read (:meth:`current_topk`).
        top_k:
            Keep at most this many rows per case in the current top-k (``None``: keep all).

        The cases these rows touch keep the probabilities given here: their re-screen totals are
        dropped (their next re-screen screens them in full), and the derived probabilities of
        their rows that stay are written into them first (see :mod:`reunite.store.results`).

        Raises
        ------
        InputError
            A row lacks a key or has a value of the wrong kind; nothing is written.
        StoreError
            The run is not running, or the database refused a row (unknown case or person, a
            repeated rank or person in a case); nothing is written.
        """
        results = parse_result_rows(rows)
        replace = set(replace_cases)
        rescored = set(rescored_person_ids)
        try:
            with self.engine.begin() as connection:
                _running(connection, run_id, "save_results")
                fix_probabilities(connection, results, replace, rescored)
                touched = write_results(connection, run_id, results, replace=replace, rescored=rescored,
                                        top_k=top_k)
                self._audit(connection, "save_results", run_id=run_id,
                            inputs_hash=inputs_hash({"rows": results}),
                            detail={"rows": len(results), "cases": touched, "replaced": len(replace)})
        except IntegrityError as exc:
            first_line = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise StoreError(
                f"save_results for run {run_id} wrote nothing: the database refused a row ({first_line}); "
                "expected every case_id in cases, every person_id in candidates, each rank and person "
                "once per case, probability in [0, 1]"
            ) from exc

    def current_topk(self, case_ids: Collection[str] | None = None, *, closed: bool = False) -> list[TopKRow]:
        """The merged current top-k of the open cases (all, or those in ``case_ids``), by case then rank.

        A case's rows rank by score (high first), then person id: the matcher's own order. A row's
        probability is derived from its case's factor when the case has one (revision 0006, see
        :mod:`reunite.store.results`).

        A case closed by a confirmed DNA outcome keeps its rows, but they are not current: no night
        merges into a closed case (its rows stay as the night it closed left them, and go when it
        reopens), so they are left out unless ``closed`` is true (for the audit; every run's rows
        are also in the ``results`` history). A removed case has no rows.
        """
        shown = set(self.open_case_ids()) if not closed else None
        with self.engine.connect() as connection:
            if case_ids is None:
                found = fetch_tuples(connection, TOPK_SELECT)
            else:
                found = []
                wanted = set(case_ids) if shown is None else set(case_ids) & shown
                for part in dna.chunks(sorted(wanted)):
                    found.extend(fetch_tuples(connection, TOPK_SELECT.where(CurrentTopK.c.case_id.in_(part))))
        if shown is not None:
            found = [row for row in found if row[0] in shown]
        return rank_rows(found)

    def topk_scores(self, case_ids: Collection[str] | None = None) -> dict[str, list[Bound]]:
        """Per case (all, or those in ``case_ids``), the ``(score, person_id)`` of its current top-k
        rows in rank order: what merging needs, read without the other columns.

        >>> store = Store.open("sqlite://")
        >>> store.topk_scores()
        {}
        """
        table = CurrentTopK
        query = select(table.c.case_id, table.c.score, table.c.person_id)
        found: dict[str, list[Bound]] = {}
        with self.engine.connect() as connection:
            parts = [None] if case_ids is None else list(dna.chunks(sorted(set(case_ids))))
            for part in parts:
                chosen = query if part is None else query.where(table.c.case_id.in_(part))
                for case_id, score, person_id in fetch_tuples(connection, chosen):
                    found.setdefault(case_id, []).append((score, person_id))
        by_person, by_score = itemgetter(1), itemgetter(0)
        for keys in found.values():  # rank_key order, by two stable sorts on C-level keys
            keys.sort(key=by_person)
            keys.sort(key=by_score, reverse=True)
        return found

    def fitted_model(self) -> StoredModel | None:
        """The newest fitted model stored by :meth:`commit_run` (``None`` before the first)."""
        with self.engine.connect() as connection:
            return latest_fitted_model(connection)

    def case_bounds(self) -> dict[str, Bound]:
        """Per case, the (score, person_id) after which every candidate missing from its current
        top-k ranks (set by :meth:`commit_run`); a case without one has its whole window stored."""
        with self.engine.connect() as connection:
            return read_bounds(connection)

    def case_totals(self) -> dict[str, CaseTotals]:
        """Per case, what its probabilities need besides its stored rows (set by :meth:`commit_run`);
        a case without totals (screened before revision 0005) must be screened in full."""
        with self.engine.connect() as connection:
            return read_totals(connection)

    def commit_run(
        self,
        run_id: int,
        *,
        cases: Sequence[Mapping[str, str]] = (),
        candidates: Sequence[Mapping[str, str]] = (),
        results: Sequence[Mapping[str, Any]] = (),
        replace_cases: Collection[str] = (),
        rescored_person_ids: Collection[str] = (),
        top_k: int | None = None,
        model_version: str | None = None,
        fitted_model: Mapping[str, Any] | None = None,
        base_model_version: str = "",
        bounds: Mapping[str, Bound | None] | None = None,
        totals: Mapping[str, CaseTotals] | None = None,
        leave: Sequence[tuple[str, str]] = (),
        log_factors: Mapping[str, float | None] | None = None,
        normalized_cases: Mapping[str, str] | None = None,
        normalized_with: str = "",
        summary: Mapping[str, Any] | None = None,
        merged: bool = False,
        removals: Sequence[Removal] = (),
        restores: Sequence[Removal] = (),
        read_on: dt.date | None = None,
        calendar: Mapping[str, bool] | None = None,
        scored: Mapping[Side, Collection[str]] | None = None,
    ) -> dict[Side, UpsertResult]:
        """Everything a re-screen writes, and the run marked succeeded, in ONE transaction.

        Upserts ``cases`` and ``candidates`` (as :meth:`upsert`), stores ``fitted_model`` (JSON of
        ``FellegiSunter.to_dict()``, fitted from ``base_model_version`` under the run's config
        hash), saves ``results`` (as :meth:`save_results`), sets the case ``bounds`` (see
        :meth:`case_bounds`; ``None`` removes one) and ``totals`` (see :meth:`case_totals`) with
        each case's ``log_factors`` (its rows' probabilities are ``2**(log_factor + score)``,
        derived when read: :mod:`reunite.store.results`), deletes the top-k rows
        ``(case, person)`` in ``leave``, keeps the ``normalized_cases`` (case id -> text, made by
        the code whose fingerprint is ``normalized_with``: :meth:`normalized_cases`), sets the run's
        ``model_version`` when given, and finishes the run; then releases the run lock.
        A process killed before the commit leaves the database as it was (the run stays "running"
        until a later run takes the dead holder's lock over and marks it failed).

        ``merged``: the caller has merged ``results`` into the cases not in ``replace_cases``
        already (:func:`reunite.merge.night_writes`): their rows are written as given, the rows
        that go being in ``leave``; nothing is read. Otherwise they are merged here as
        :meth:`save_results` merges.

        ``removals`` marks cases and candidates removed by this run (they stay stored, for the
        history of results, the DNA outcomes and the audit log, but :meth:`read_rows`,
        :meth:`open_case_ids` and the other readers leave them out): a removed case loses its
        current top-k, bound and totals; a removed person's rows must leave the open cases through
        ``results``, ``replace_cases`` and ``leave``. Each removal is in the audit log.

        ``restores`` undoes earlier removals: their rows must be among ``cases`` and ``candidates``
        (a removed row upserted again is current again) and be screened as new ones; each restore is
        in the audit log.

        ``read_on`` is the day the run read its rows on (:meth:`last_read_on`); ``calendar`` sets
        candidates' marks (person id -> whether the row may read differently on a later day:
        :meth:`calendar_rows`), after the upserts; ``scored`` names the rows :meth:`upsert` wrote
        outside a run that this run screened (side -> ids: :meth:`unscreened`).

        Raises
        ------
        InputError
            A row is malformed; nothing is written.
        StoreError
            The run is not running, or the database refused a row; nothing is written.
        """
        sides: tuple[tuple[Side, Sequence[Mapping[str, str]]], ...] = (("cases", cases),
                                                                     ("candidates", candidates))
        prepared = {side: prepare_rows(side, rows) for side, rows in sides}
        parsed = parse_result_rows(results)
        done: dict[Side, UpsertResult] = {}
        try:
            with self.engine.begin() as connection:
                run = _running(connection, run_id, "commit_run")
                for side, rows in prepared.items():
                    done[side] = upsert_rows(connection, side, rows, run_id, calendar)
                written = {*done["candidates"].new_ids, *done["candidates"].changed_ids}
                mark_read(connection, run_id, calendar or {}, scored or {}, written)
                write_normalized(connection, normalized_cases or {}, normalized_with)
                if fitted_model is not None:
                    add_fitted_model(connection, run_id, fitted_model, base_version=base_model_version,
                                     config_hash=run.config_hash)
                leave_rows(connection, leave)  # before the rows that enter: a person may leave and enter
                touched = write_results(connection, run_id, parsed, replace=set(replace_cases),
                                        rescored=set(rescored_person_ids), top_k=top_k, merged=merged)
                write_bounds(connection, run_id, bounds or {})
                write_totals(connection, run_id, totals or {}, log_factors)
                if removals:
                    mark_removed(connection, run_id, removals)
                    self._audit(connection, "remove", run_id=run_id,
                                inputs_hash=inputs_hash({"removals": [r.as_detail() for r in removals]}),
                                detail={"removed": [r.as_detail() for r in removals]})
                if restores:
                    self._audit(connection, "restore", run_id=run_id,
                                inputs_hash=inputs_hash({"restores": [r.as_detail() for r in restores]}),
                                detail={"restored": [r.as_detail() for r in restores]})
                connection.execute(update(Run).where(Run.c.id == run_id).values(
                    read_on=read_on, status="succeeded", finished=utcnow(),
                    **({"model_version": model_version} if model_version is not None else {})))
                detail = {"rows": len(parsed), "cases": touched, "replaced": len(set(replace_cases)),
                          "removed cases": sum(r.side == "cases" for r in removals),
                          "removed candidates": sum(r.side == "candidates" for r in removals),
                          **({"restored cases": sum(r.side == "cases" for r in restores),
                              "restored candidates": sum(r.side == "candidates" for r in restores)}
                             if restores else {}),
                          **{f"{side} {what}": len(getattr(r, f"{what}_ids"))
                             for side, r in done.items() for what in ("new", "changed")},
                          **dict(summary or {})}
                self._audit(connection, "succeeded run", run_id=run_id, detail=detail,
                            inputs_hash=inputs_hash({"rows": parsed, **{
                                side: [r["content_hash"] for r in rows.values()]
                                for side, rows in prepared.items()}}))
        except IntegrityError as exc:
            first_line = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise StoreError(f"commit_run for run {run_id} wrote nothing: the database refused a row "
                             f"({first_line})") from exc
        release_run_lock(self.engine, run_id)
        return done

    # -- DNA -----------------------------------------------------------------------------------

    def excluded_pairs(self) -> set[tuple[str, str]]:
        """(case_id, person_id) pairs whose latest DNA outcome is ``excluded``."""
        with self.engine.connect() as connection:
            return dna.latest_pairs(connection, "excluded")

    def confirmed_pairs(self) -> set[tuple[str, str]]:
        """(case_id, person_id) pairs whose latest DNA outcome is ``confirmed``."""
        with self.engine.connect() as connection:
            return dna.latest_pairs(connection, "confirmed")

    def pending_pairs(self) -> set[tuple[str, str]]:
        """(case_id, person_id) pairs whose latest DNA outcome is ``pending`` (sample at the lab)."""
        with self.engine.connect() as connection:
            return dna.latest_pairs(connection, "pending")

    def record_dna(
        self,
        case_id: str,
        person_id: str,
        outcome: DnaOutcome,
        *,
        date: dt.date | str | None = None,
        lab_ref: str | None = None,
        note: str | None = None,
        user: str | None = None,
        supersede: bool = False,
    ) -> int:
        """Record one DNA outcome; ``confirmed`` closes the case. Returns the outcome's row id.

        ``excluded`` and ``confirmed`` also mark the person's profile as on file. An outcome that
        contradicts the pair's latest one (``confirmed`` after ``excluded`` or the reverse) needs
        ``supersede=True``; the audit log keeps what it superseded. An outcome the store already
        holds for the pair (the same outcome, date, lab ref and note) is not stored again: the
        recorded row's id is returned (:meth:`dna_outcome_id` tells beforehand).

        Raises
        ------
        InputError
            ``outcome`` is not one of 'excluded', 'confirmed', 'pending'; ``date`` is not
            YYYY-MM-DD or is in the future; the case or the person is not in the store; the
            outcome contradicts the recorded one and ``supersede`` is not given.
        """
        check_flags(supersede=supersede)
        if not (isinstance(case_id, str) and isinstance(person_id, str)):
            raise InputError(f"expected a case_id and a person_id as text, got {case_id!r:.40} and {person_id!r:.40}")
        case_id, person_id = fold_id(case_id), fold_id(person_id)  # as every reader reads ids
        checked = dna.parse_outcome(outcome)
        day = dna.parse_outcome_date(date)
        user = user or current_user()
        with self.engine.begin() as connection:
            if not dna.existing_ids(connection, "cases", [case_id]):
                raise InputError(f"case_id {case_id!r} is not in the store (a case is stored when a rescreen "
                                 "reads it)")
            if not dna.existing_ids(connection, "candidates", [person_id]):
                raise InputError(f"person_id {person_id!r} is not in the store (a person is stored when a "
                                 "rescreen reads them)")
            same = dna.recorded_outcomes(connection, [case_id]).get((case_id, person_id, checked, day, lab_ref or None,
                                                                     note or None))
            if same is not None:  # the same result sent twice is one result
                return same
            latest = dna.latest_outcomes(connection, [case_id])
            previous = latest.get((case_id, person_id))
            conflict = dna.contradiction(previous, checked)
            if conflict is not None and not supersede:
                raise InputError(f"case {case_id!r}, person {person_id!r}: {checked!r} {conflict}; "
                                 "expected no contradiction, or --supersede (supersede=True) to replace it")
            second = dna.second_confirmation(dna.confirmed_with_dates(connection), case_id, person_id, checked)
            if second is not None and not supersede:
                raise InputError(f"person {person_id!r}: {second.replace('import with', 'record it with')}")
            (row_id,) = dna.write_outcomes(connection, [(case_id, person_id, checked, day, lab_ref, note)], user)
            detail: dict[str, Any] = {"case_id": case_id, "person_id": person_id, "outcome": checked,
                                      "id": row_id}
            if conflict is not None and previous is not None:
                detail["supersedes"] = previous[0]
            self._audit(connection, "record_dna", user=user, detail=detail)
        return row_id

    def dna_outcome_id(self, case_id: str, person_id: str, outcome: DnaOutcome, *, date: dt.date | str | None = None,
                       lab_ref: str | None = None, note: str | None = None) -> int | None:
        """The row id of this very outcome (the same outcome, date, lab ref and note for the pair) if the
        store holds it, else ``None``."""
        case_id, person_id = fold_id(case_id), fold_id(person_id)
        key = (case_id, person_id, dna.parse_outcome(outcome), dna.parse_outcome_date(date), lab_ref or None,
               note or None)
        with self.engine.connect() as connection:
            return dna.recorded_outcomes(connection, [case_id]).get(key)

    def import_dna_csv(self, path: str | Path, *, user: str | None = None, mapping: Mapping[str, str] | None = None,
                       supersede: bool = False, encoding: str | None = None) -> dna.LabReport:
        """Import a lab CSV (``case_id, person_id, outcome`` and optional ``date, lab_ref, note``).

        Every row is imported whole or quarantined in the returned report with the reason
        (``reunite.export.write_quarantine``); the good rows are written in one transaction and each
        is listed in the audit entry. ``mapping`` maps other headers to those columns (``""``
        ignores one); any other header is an error. A row contradicting its pair's latest outcome
        is quarantined unless ``supersede``. A row the store already holds (the same outcome, date,
        lab ref and note for the pair: the same file imported again) is counted in
        ``report.already_recorded`` and not stored again, so ``read == accepted + quarantined`` and
        ``accepted - already_recorded`` rows were stored. ``encoding`` overrides the detected text
        encoding (UTF-8, UTF-16 with its BOM, GB18030/GBK).
        """
        check_flags(supersede=supersede)
        user = user or current_user()
        data = Path(path).read_bytes()
        with self.engine.begin() as connection:
            good, report, superseded, repeated = dna.read_dna_csv(connection, path, mapping=mapping,
                                                                  supersede=supersede, encoding=encoding)
            row_ids = dna.write_outcomes(connection, good, user)
            self._audit(connection, "import_dna_csv", user=user, inputs_hash=hashlib.sha256(data).hexdigest(),
                        detail={"file": str(path), "read": report.read, "accepted": report.accepted,
                                "quarantined": report.quarantined, "already_recorded": repeated,
                                "outcomes": [{"id": i, "case_id": c, "person_id": p, "outcome": o}
                                             for i, (c, p, o, *_) in zip(row_ids, good, strict=True)],
                                "superseded": superseded})
        return report

    def mark_profiles_on_file(self, person_ids: Collection[str], *, source: str = "") -> int:
        """Mark persons whose DNA profile is already in the database; returns how many were new.

        Raises
        ------
        InputError
            Some person is not in the store (the message lists up to five).
        """
        wanted = sorted({fold_id(p) for p in person_ids})
        now = utcnow()
        with self.engine.begin() as connection:
            missing = sorted(set(wanted) - dna.existing_ids(connection, "candidates", wanted))
            if missing:
                shown = ", ".join(map(repr, missing[:5])) + (", ..." if len(missing) > 5 else "")
                raise InputError(f"{len(missing)} person_id(s) not in the store: {shown} (a person is stored when a "
                                 "rescreen reads them); no profile marked")
            on_file: set[str] = set()
            for part in dna.chunks(wanted):
                on_file.update(connection.scalars(select(DnaProfile.c.person_id)
                                               .where(DnaProfile.c.person_id.in_(part))))
            new = [p for p in wanted if p not in on_file]
            if new:
                connection.execute(insert(DnaProfile), [{"person_id": p, "marked_at": now, "source": source}
                                                        for p in new])
            self._audit(connection, "mark_profiles_on_file", detail={"persons": len(wanted), "new": len(new)})
        return len(new)

    def profiles_on_file(self) -> set[str]:
        """Person ids with a DNA profile on file."""
        with self.engine.connect() as connection:
            return set(connection.scalars(select(DnaProfile.c.person_id)))

    # -- audit ---------------------------------------------------------------------------------

    def audit(
        self, action: str, *, run_id: int | None = None, inputs: Mapping[str, Any] | None = None,
        detail: Mapping[str, Any] | None = None, user: str | None = None,
    ) -> None:
        """Append to the audit log: who did ``action``, when, on which ``inputs`` (hashed)."""
        with self.engine.begin() as connection:
            self._audit(connection, action, run_id=run_id, user=user, detail=detail,
                        inputs_hash=inputs_hash(inputs) if inputs is not None else None)

    def audit_log(self, run_id: int | None = None) -> list[dict[str, Any]]:
        """The audit log (for one run when given), oldest first."""
        with self.engine.connect() as connection:
            query = select(AuditEntry).order_by(AuditEntry.c.id)
            if run_id is not None:
                query = query.where(AuditEntry.c.run_id == run_id)
            return [dict(e) for e in connection.execute(query).mappings()]

    @staticmethod
    def _audit(
        connection: Connection, action: str, *, run_id: int | None = None, inputs_hash: str | None = None,
        detail: Mapping[str, Any] | None = None, user: str | None = None,
    ) -> None:
        connection.execute(insert(AuditEntry).values(at=utcnow(), user=user or current_user(),
                                                     host=socket.gethostname(), action=action, run_id=run_id,
                                                     inputs_hash=inputs_hash, detail=dict(detail or {})))

