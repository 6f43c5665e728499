"""Write transactions that wait for SQLite's lock instead of failing.

oslo.db opens every SQLite transaction with a plain ``BEGIN`` (deferred): a
transaction that reads first and writes later must upgrade its lock, and
when another process wrote meanwhile SQLite answers "database is locked" at
once, without waiting for the busy timeout (waiting could deadlock). With
several Nova processes on one database that happens on every busy boot.
``BEGIN IMMEDIATE`` takes the write lock at the start, where the busy
timeout applies; transactions then queue instead of failing. This is for
the all-in-one's SQLite only (a production cloud uses MariaDB).
"""

import sqlalchemy
from sqlalchemy import engine as sa_engine


def install():
    @sqlalchemy.event.listens_for(sa_engine.Engine, 'begin')
    def _begin_immediate(conn):
        # Class-level listeners run before oslo.db's per-engine one, which
        # then sees the marker and emits no BEGIN of its own.
        if conn.dialect.name != 'sqlite' or 'in_transaction' in conn.info:
            return
        conn.execute(sqlalchemy.text('BEGIN IMMEDIATE'))
        conn.info['in_transaction'] = True
