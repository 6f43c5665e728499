"""Commits in WAL mode without an fsync each: ``PRAGMA synchronous=NORMAL``.

SQLite's default (FULL) syncs the write-ahead log on every commit. In WAL
mode SQLite recommends NORMAL: the log is synced at checkpoints only; a
commit is still atomic and survives a crash of the process, and the
database cannot be corrupted, but the last commits before a power loss or
an OS crash may be lost. On the all-in-one the per-commit fsync was the
largest single cost of nova-conductor during a boot (about a quarter of its
CPU time in py-spy, each of Nova's many small ``Instance.save`` calls is a
commit). This is for the all-in-one's SQLite only; a production cloud sets
its own durability on its MariaDB (``innodb_flush_log_at_trx_commit``).
Only databases in WAL mode are changed (the all-in-one puts all of them in
WAL mode, ``bootstrap.wal_mode``).
"""

import sqlite3

import sqlalchemy
from sqlalchemy import pool


def _normal_sync(dbapi_con, _record):
    if not isinstance(dbapi_con, sqlite3.Connection):
        return
    (mode,) = dbapi_con.execute('PRAGMA journal_mode').fetchone()
    if mode.lower() == 'wal':
        dbapi_con.execute('PRAGMA synchronous = NORMAL')


def install():
    """For every SQLite connection the process opens from now on."""
    if not sqlalchemy.event.contains(pool.Pool, 'connect', _normal_sync):
        sqlalchemy.event.listen(pool.Pool, 'connect', _normal_sync)
