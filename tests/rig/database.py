# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Nova's test databases with pooled connections, as a service has them.

Under native threads Nova's fixtures keep each database in an SQLite file
(WAL mode), and oslo.db gives SQLite files a NullPool: every transaction
opens a new connection, runs the connection set-up (a function, PRAGMAs)
and has SQLite read the whole Nova schema again before its first query.
In the rig that per-transaction connect was about a tenth of the CPU time
of a boot. A service on MariaDB (the all-in-one's) reuses connections from
oslo.db's QueuePool instead.

``PooledSQLite`` gives the file databases a QueuePool for the length of a
test (this is test scaffolding: the services of the all-in-one run
unpatched). The pool hands each checkout to one thread at a time
(``check_same_thread`` is off only because the thread that returns a
connection may differ from the one that opened it) and never makes a
thread wait (unbounded overflow): Nova's fixtures serialise writers with a
lock of their own, and a thread holding that lock must never wait for a
connection held by a thread waiting for it. In-memory databases keep
oslo.db's StaticPool. The engines are disposed of when the test ends, so no
connection outlives it.
"""

import fixtures
from oslo_db.sqlalchemy import engines
from sqlalchemy import pool

#: Connections kept open per engine between transactions.
POOL_SIZE = 10


def is_sqlite_file(url):
    return (url.get_backend_name() == 'sqlite' and bool(url.database)
            and url.database != ':memory:')


def pooled(init_connection_args):
    """oslo.db's ``_init_connection_args``, with a QueuePool for SQLite
    files where oslo.db chose a NullPool."""
    def init_args(url, engine_args, kw):
        init_connection_args(url, engine_args, kw)
        if (is_sqlite_file(url)
                and engine_args.get('poolclass') is pool.NullPool):
            engine_args['poolclass'] = pool.QueuePool
            engine_args['pool_size'] = POOL_SIZE
            engine_args['max_overflow'] = -1
            engine_args['connect_args']['check_same_thread'] = False
            # A local file does not drop connections as a server does.
            engine_args['pool_pre_ping'] = False
    return init_args


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
            pooled(engines._init_connection_args)))
        self.useFixture(fixtures.MonkeyPatch(
            'oslo_db.sqlalchemy.engines.create_engine', create_engine))
