"""Nova's test databases with pooled connections, as a service has them.

Under native threads Nova's fixtures keep each database in an SQLite file
(WAL mode), and oslo.db gives SQLite files a NullPool: every transaction
opens a new connection, runs the connection set-up (a function, PRAGMAs)
and has SQLite read the whole Nova schema again before its first query.
Nova in service talks to its database through a pool (QueuePool for MySQL
and PostgreSQL). In the rig that per-transaction connect was about a tenth
of the CPU time of a boot.

``PooledSQLite`` gives the file databases a QueuePool for the length of a
test: connections are reused, never shared by two threads at once, and
the pool never makes a thread wait (unbounded overflow; Nova's fixtures
serialise writers with a lock of their own, and a thread holding it must
not wait for a connection held by a thread waiting for it). The engines
are disposed of when the test ends, so no connection outlives it.
"""

import fixtures
from oslo_db.sqlalchemy import engines
from sqlalchemy import pool

#: Connections kept open per engine between transactions.
POOL_SIZE = 10


def _is_sqlite_file(url):
    return (url.get_backend_name() == 'sqlite' and url.database
            and url.database != ':memory:')


class PooledSQLite(fixtures.Fixture):
    """Use before Nova's fixtures create their engines (its setUp)."""

    def _setUp(self):
        init_args = engines._init_connection_args
        create = engines.create_engine
        created = []

        def init_connection_args(url, engine_args, kw):
            init_args(url, engine_args, kw)
            if (_is_sqlite_file(url)
                    and engine_args.get('poolclass') is pool.NullPool):
                engine_args['poolclass'] = pool.QueuePool
                engine_args['pool_size'] = POOL_SIZE
                engine_args['max_overflow'] = -1
                engine_args['connect_args']['check_same_thread'] = False

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
            init_connection_args))
        self.useFixture(fixtures.MonkeyPatch(
            'oslo_db.sqlalchemy.engines.create_engine', create_engine))
