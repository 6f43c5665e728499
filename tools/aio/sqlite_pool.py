"""Pooled connections to SQLite files, as a service has them on MariaDB.

oslo.db gives SQLite *files* a NullPool: every transaction opens a new
connection, runs oslo.db's connection set-up (a Python function, PRAGMAs)
and has SQLite parse the whole schema again before its first statement
(Nova's schemas are large). A service on MariaDB or PostgreSQL reuses
connections from a QueuePool instead. On the all-in-one, where every
database is an SQLite file, the per-transaction connect was a large share
of each service's CPU time per boot; the in-process test rig
(``tests/rig/database.py``) measured about a tenth of a boot.

``pooled`` wraps oslo.db's ``_init_connection_args`` so that SQLite file
URLs get a QueuePool: connections are reused, never used by two threads at
once (the pool hands each checkout to one thread; ``check_same_thread`` is
off only because the thread that returns a connection may differ from the
one that opened it), and the pool never makes a thread wait (unbounded
overflow): a thread holding SQLite's write lock must never wait for a
connection held by a thread that waits for that lock. Pooling does not
change SQLite's locking: each transaction still takes the file's lock (the
all-in-one's ``BEGIN IMMEDIATE``, see ``sqlite_tx``), so several processes
on one file stay safe. In-memory databases keep oslo.db's StaticPool.

``install`` applies it for the rest of the process (the all-in-one's
services, through ``run.py`` and ``serve.py``); the rig's fixture applies it
for one test.
"""

from oslo_db.sqlalchemy import engines
from sqlalchemy import pool

#: Connections kept open per engine between transactions. Nova's thread
#: pools and gunicorn's threads rarely run more transactions at once.
POOL_SIZE = 10


def is_sqlite_file(url):
    return (url.get_backend_name() == 'sqlite' and bool(url.database)
            and url.database != ':memory:')


def pooled(init_connection_args):
    """oslo.db's ``_init_connection_args``, with a QueuePool for SQLite
    files where oslo.db chose a NullPool."""
    if getattr(init_connection_args, 'pools_sqlite_files', False):
        return init_connection_args

    def init_args(url, engine_args, kw):
        init_connection_args(url, engine_args, kw)
        if (is_sqlite_file(url)
                and engine_args.get('poolclass') is pool.NullPool):
            engine_args['poolclass'] = pool.QueuePool
            engine_args['pool_size'] = POOL_SIZE
            engine_args['max_overflow'] = -1
            engine_args['connect_args']['check_same_thread'] = False
            # A file on the local disk does not drop connections the way
            # a database server does: no "SELECT 1" before each checkout.
            engine_args['pool_pre_ping'] = False

    init_args.pools_sqlite_files = True
    return init_args


def install():
    """Pool SQLite file connections in every engine oslo.db creates from
    now on in this process (idempotent)."""
    engines._init_connection_args = pooled(engines._init_connection_args)
