"""Write transactions that wait for SQLite's lock instead of failing.

oslo.db opens every SQLite transaction with a plain ``BEGIN`` (deferred): a
transaction that reads first and writes later must upgrade its lock, and
when another process wrote meanwhile SQLite answers "database is locked" at
once, without waiting for the busy timeout (waiting could deadlock). With
several Nova processes on one database that happens on every busy boot.
``BEGIN IMMEDIATE`` takes the write lock at the start, where the busy
timeout applies; transactions then queue instead of failing. This is for
the all-in-one's SQLite only (a production cloud uses MariaDB).

Only write transactions need it. oslo.db's reader transactions
(``enginefacade.reader``, Nova's ``pick_context_manager_reader``, Keystone's
``session_for_read``) never commit, so they never upgrade their lock; on a
WAL file they read a snapshot without taking the write lock at all, as a
reader on MariaDB (MVCC) waits for no writer. Taking the write lock for
them too serialised every read of every service (nova-api's GETs, the
scheduler's host and placement's allocation-candidate queries, heartbeats)
with nova-conductor's ``Instance.save`` transactions during boots, and a
transaction that finds the lock taken waits in SQLite's busy handler, which
sleeps 1, 2, 5, 10, 15 ... ms between tries, longer than the holder needs.
So the outermost transaction's oslo.db mode is tracked per thread and a
reader's transaction keeps SQLite's deferred ``BEGIN``; anything not opened
through oslo.db's enginefacade still gets ``BEGIN IMMEDIATE``.
"""

import contextlib
import threading

import sqlalchemy
from sqlalchemy import engine as sa_engine

_outer = threading.local()  # .modes: oslo.db modes of open outermost txns


def _reader_open():
    modes = getattr(_outer, 'modes', None)
    return bool(modes) and modes[-1] != 'writer'


def _track(method):
    """Wrap _TransactionContext._session/_connection: while an outermost
    transaction is open in this thread, its mode is on the thread's stack
    (oslo.db refuses to upgrade a reader to a writer mid-transaction, so
    the outermost mode is the transaction's)."""
    def tracked(self, *args, **kwargs):
        outermost = self.session is None and self.connection is None
        if not outermost:
            return method(self, *args, **kwargs)
        return _pushed(self, method(self, *args, **kwargs))
    tracked.dos_tracked = True
    return tracked


@contextlib.contextmanager
def _pushed(txn, inner):
    from oslo_db.sqlalchemy import enginefacade
    mode = 'writer' if txn.mode is enginefacade._WRITER else 'reader'
    modes = _outer.__dict__.setdefault('modes', [])
    modes.append(mode)
    try:
        with inner as value:
            yield value
    finally:
        modes.pop()


def install():
    from oslo_db.sqlalchemy import enginefacade
    ctx = enginefacade._TransactionContext
    for name in ('_session', '_connection'):
        method = getattr(ctx, name)
        if not getattr(method, 'dos_tracked', False):
            setattr(ctx, name, _track(method))

    @sqlalchemy.event.listens_for(sa_engine.Engine, 'begin')
    def _begin_immediate(conn):
        # Class-level listeners run before oslo.db's per-engine one, which
        # then sees the marker and emits no BEGIN of its own.
        if conn.dialect.name != 'sqlite' or 'in_transaction' in conn.info:
            return
        if _reader_open():
            return  # oslo.db's own listener emits a deferred BEGIN
        conn.execute(sqlalchemy.text('BEGIN IMMEDIATE'))
        conn.info['in_transaction'] = True
