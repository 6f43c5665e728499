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

"""The rig's SQLite files: pooled connections, closed when the test ends."""

# First, as in every Nova-side test module: Nova's test package decides the
# threading mode before oslo.messaging is imported.
from tests.rig import nova as nova_rig  # noqa: I100

import os  # noqa: E402
import threading  # noqa: E402

import fixtures  # noqa: E402
from oslo_db.sqlalchemy import engines  # noqa: E402
import sqlalchemy  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy import pool  # noqa: E402
import testtools  # noqa: E402

from tests.rig import database as database_rig  # noqa: E402


def _connects(test):
    """A list that gets one item per new DB-API connection, any engine."""
    seen = []

    def on_connect(dbapi_con, record):
        seen.append(dbapi_con)
    event.listen(pool.Pool, 'connect', on_connect)
    test.addCleanup(event.remove, pool.Pool, 'connect', on_connect)
    return seen


class TestPooledInACloud(nova_rig.NovaCloudTestCase):

    def test_api_requests_reuse_connections(self):
        self.api.get_servers()  # connections for the first requests
        connects = _connects(self)
        for _ in range(20):
            self.api.get_servers()
            self.api.get_flavors()
        # Without the pool each request opens one or more connections.
        self.assertLess(len(connects), 10)


class TestPooledSQLite(testtools.TestCase):

    def _open_fds_to(self, path):
        fd_dir = '/proc/self/fd'
        out = 0
        for fd in os.listdir(fd_dir):
            try:
                if os.readlink(os.path.join(fd_dir, fd)).startswith(path):
                    out += 1
            except OSError:
                continue
        return out

    def test_connections_are_reused_and_closed_at_the_end(self):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path, 'x.db')
        fixture = database_rig.PooledSQLite()
        fixture.setUp()
        try:
            self._use_from_threads(path)
        finally:
            fixture.cleanUp()
        self.assertEqual(0, self._open_fds_to(path))

    def _use_from_threads(self, path):
        connects = _connects(self)
        engine = engines.create_engine('sqlite:///%s' % path, max_retries=0)
        self.assertIsInstance(engine.pool, pool.QueuePool)
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text('create table t (n integer)'))

        def work(n):
            for _ in range(10):
                with engine.begin() as conn:
                    conn.execute(sqlalchemy.text('insert into t values (%d)'
                                                 % n))
        threads = [threading.Thread(target=work, args=(i,))
                   for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        with engine.connect() as conn:
            rows = conn.execute(sqlalchemy.text('select count(*) from t'))
            self.assertEqual(40, rows.scalar())
        # One connection per thread at most, not one per transaction.
        self.assertLessEqual(len(connects), 5)
        self.assertGreater(self._open_fds_to(path), 0)
