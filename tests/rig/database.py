"""Nova's test databases with pooled connections, as a service has them.

Under native threads Nova's fixtures keep each database in an SQLite file
(WAL mode), and oslo.db gives SQLite files a NullPool: every transaction
opens a new connection, runs the connection set-up (a function, PRAGMAs)
and has SQLite read the whole Nova schema again before its first query.
In the rig that per-transaction connect was about a tenth of the CPU time
of a boot.

``PooledSQLite`` gives the file databases a QueuePool for the length of a
test, with the all-in-one's pooling (``tools/aio/sqlite_pool.py``, which
says why the pool is shaped as it is). Nova's fixtures serialise writers
with a lock of their own; the pool never makes a thread wait, so a thread
holding that lock never waits for a connection held by a thread waiting for
it. The engines are disposed of when the test ends, so no connection
outlives it.
"""

import fixtures
from oslo_db.sqlalchemy import engines

from tools.aio import sqlite_pool


class PooledSQLite(fixtures.Fixture):
    """Use before Nova's fixtures create their engines (its setUp)."""

    def _setUp(self):
        create = engines.create_engine
        created = []

        def create_engine(*args, **kwargs):
            engine = create(*args, **kwargs)
            created.append(engine)
            return engine

        def dispose():
            for engine in created:
                engine.dispose()

        self.addCleanup(dispose)
        self.useFixture(fixtures.MonkeyPatch(
            'oslo_db.sqlalchemy.engines._init_connection_args',
            sqlite_pool.pooled(engines._init_connection_args)))
        self.useFixture(fixtures.MonkeyPatch(
            'oslo_db.sqlalchemy.engines.create_engine', create_engine))
