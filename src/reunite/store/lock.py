"""The exclusive run lock: one row in ``run_lock``, so one re-screen at a time per database.

The lock is a row, not an advisory lock or a file, so it works the same on SQLite and PostgreSQL,
across hosts, and survives in the database for a person to inspect. It is taken in its own short
transaction (the primary key and the ``id = 1`` check make a second insert fail), and released by
deleting the row when the run finishes or fails.

A process that dies without releasing leaves the row behind. A later run takes such a stale lock
over **only when the holder ran on the same host and its pid is no longer alive** (checked with
``os.kill(pid, 0)`` on POSIX). A lock held on another host is never taken over automatically —
reunite cannot tell whether that process lives; a person checks and calls
:meth:`reunite.store.Store.break_run_lock`.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import socket
from dataclasses import dataclass

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from reunite.errors import ConcurrentRunError
from reunite.store.db import as_utc, utcnow
from reunite.store.models import RunLock

__all__ = [
    "LockHolder",
    "acquire_run_lock",
    "break_run_lock",
    "lock_holder",
    "release_run_lock",
    "remove_dead_lock",
]


@dataclass(frozen=True, slots=True)
class LockHolder:
    """Who holds the run lock, and since when."""

    pid: int
    host: str
    user: str
    since: dt.datetime
    run_id: int | None

    @property
    def alive_here(self) -> bool:
        """Its process runs on this host (a live run, whose lock is not to be taken)."""
        return self.host == socket.gethostname() and pid_alive(self.pid)

    @property
    def may_live(self) -> bool:
        """Its process may still run: it runs here, or it ran on another host, which cannot be asked."""
        return self.host != socket.gethostname() or pid_alive(self.pid)

    def __str__(self) -> str:
        run = f", run {self.run_id}" if self.run_id is not None else ""
        return (f"pid {self.pid} on host {self.host!r} (user {self.user!r}{run}) since "
                f"{self.since.isoformat(timespec='seconds')}")


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return f"uid-{os.getuid()}" if hasattr(os, "getuid") else "unknown"


def pid_alive(pid: int) -> bool:
    """Whether a process with ``pid`` exists on this host (always ``True`` off POSIX).

    >>> pid_alive(os.getpid())
    True
    """
    if os.name != "posix":
        return True  # os.kill(pid, 0) would terminate the process on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    return True


def lock_holder(engine: Engine) -> LockHolder | None:
    """The current holder of the run lock, or ``None`` when the lock is free."""
    with engine.connect() as connection:
        row = connection.execute(select(RunLock).where(RunLock.c.id == 1)).first()
    if row is None:
        return None
    return LockHolder(row.pid, row.host, row.user, as_utc(row.since), row.run_id)


def acquire_run_lock(engine: Engine, where: str) -> LockHolder | None:
    """Take the run lock for this process, or raise :class:`ConcurrentRunError` naming the holder.

    ``where`` names the database in the message (a URL without password). Returns the dead
    holder whose stale lock was taken over, else ``None``.
    """
    me = LockHolder(os.getpid(), socket.gethostname(), current_user(), utcnow(), None)
    values = {"id": 1, "pid": me.pid, "host": me.host, "user": me.user, "since": me.since, "run_id": None}
    try:
        with engine.begin() as connection:
            connection.execute(insert(RunLock).values(**values))
        return None
    except IntegrityError:
        pass
    holder = lock_holder(engine)
    if holder is None:  # released between our insert and our look: try once more
        return acquire_run_lock(engine, where)
    if holder.host == me.host and not pid_alive(holder.pid):
        with engine.begin() as connection:
            # compare-and-swap: of two processes taking over at once, only one matches the old pid
            taken = connection.execute(
                update(RunLock)
                .where(RunLock.c.id == 1, RunLock.c.pid == holder.pid, RunLock.c.host == holder.host)
                .values(**values)
            ).rowcount
        if taken == 1:
            return holder
        holder = lock_holder(engine) or holder
    raise ConcurrentRunError(
        f"another run holds the run lock on {where}: {holder}. Wait for it to finish. If that "
        f"process is gone (it ran on another host, so reunite cannot check), a person may remove the "
        f"lock with `reunite unlock --db URL` (or Store.break_run_lock() from Python)."
    )


def set_lock_run(engine: Engine, run_id: int) -> None:
    """Record which run holds the lock (after the run row exists)."""
    with engine.begin() as connection:
        connection.execute(
            update(RunLock).where(RunLock.c.id == 1, RunLock.c.pid == os.getpid()).values(run_id=run_id)
        )


def release_run_lock(engine: Engine, run_id: int | None) -> None:
    """Release the lock held by this process (for ``run_id`` when given)."""
    condition = [RunLock.c.id == 1, RunLock.c.pid == os.getpid(), RunLock.c.host == socket.gethostname()]
    if run_id is not None:
        condition.append(RunLock.c.run_id == run_id)
    with engine.begin() as connection:
        connection.execute(delete(RunLock).where(*condition))


def break_run_lock(engine: Engine) -> LockHolder | None:
    """Remove the run lock whoever holds it; returns the holder removed (``None`` if free)."""
    holder = lock_holder(engine)
    with engine.begin() as connection:
        connection.execute(delete(RunLock).where(RunLock.c.id == 1))
    return holder


def remove_dead_lock(engine: Engine) -> LockHolder | None:
    """Remove the lock of a holder that ran on this host and is no longer alive; returns that holder
    (``None`` when the lock is free or its holder may live). A run that finds nothing to do calls
    this, so a killed run's lock does not outlive it until the next night with work."""
    holder = lock_holder(engine)
    if holder is None or holder.may_live:
        return None
    with engine.begin() as connection:
        # compare-and-swap, as in acquire_run_lock: only the dead holder's row goes
        gone = connection.execute(
            delete(RunLock).where(RunLock.c.id == 1, RunLock.c.pid == holder.pid, RunLock.c.host == holder.host)
        ).rowcount
    return holder if gone == 1 else None
