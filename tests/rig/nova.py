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

"""Real Nova in-process: API, conductor, scheduler, compute and placement on SQLite.

Built on Nova's own functional fixtures (``_IntegratedTestBase``), with the
compute driver handed in: set ``compute_driver`` on a subclass to a Nova
driver path (``fake.SmallFakeDriver``) or to a callable that takes the
VirtAPI and returns a driver instance (how the Docker driver is handed in,
since Nova only imports drivers from ``nova.virt``).

Import this module only in the Nova-side test process.
"""

import os

# Native threads, as nova-compute runs on oslo.service's threading backend.
os.environ.setdefault('OS_NOVA_DISABLE_EVENTLET_PATCHING', '1')

import sysconfig  # noqa: E402

import fixtures  # noqa: E402
import importlib  # noqa: E402
from nova.tests.functional import integrated_helpers  # noqa: E402
from nova.virt import driver as virt_driver  # noqa: E402

from tests.rig import database as database_rig  # noqa: E402
from tests.rig import messaging as messaging_rig  # noqa: E402
from tests.rig import threads as threads_rig  # noqa: E402

# The package re-exports a name 'nova', so import the module by its path.
nova_fixtures_module = importlib.import_module('nova.tests.fixtures.nova')


class ReaderPreferringLock(nova_fixtures_module.ReaderWriterLock):
    """The cell-switch lock of Nova's CellDatabases fixture, readers first.

    Under native threads Nova's fixtures can deadlock when many builds run
    at once: a compute thread holding DatabaseWriteLock asks for the cell
    read lock, which fasteners refuses while a writer (say, the API thread
    switching cells) is pending, and that writer waits for a reader that is
    itself waiting for DatabaseWriteLock. Letting readers in while a writer
    only waits breaks the cycle; a writer still never runs beside a reader.
    """

    def _acquire_read_lock(self, me):
        with self._cond:
            while self._writer is not None and self._writer != me:
                self._cond.wait()
            self._readers[me] = self._readers.get(me, 0) + 1


def api_paste_config():
    """Absolute path of the api-paste.ini that pip installed with Nova."""
    data = sysconfig.get_paths()['data']
    path = os.path.join(data, 'etc', 'nova', 'api-paste.ini')
    if not os.path.exists(path):
        raise RuntimeError('api-paste.ini not found at %s' % path)
    return path


class NovaCloudTestCase(integrated_helpers._IntegratedTestBase):
    """A whole Nova cloud in the test process.

    ``self.api`` is a project member's API client and ``self.admin_api`` an
    admin's; ``self.computes`` maps host names to compute services.
    """

    #: Nova driver path under nova.virt, or callable(virtapi) -> driver.
    compute_driver = 'fake.SmallFakeDriver'
    #: Host names of the compute services to start.
    compute_hosts = ('compute1',)
    ADMIN_API = False
    REQUIRES_LOCKING = False
    microversion = 'latest'

    def setUp(self):
        self.useFixture(fixtures.MockPatchObject(
            nova_fixtures_module, 'ReaderWriterLock', ReaderPreferringLock))
        self.useFixture(messaging_rig.PromptDelivery())
        self.useFixture(database_rig.PooledSQLite())
        self._driver_factory = None
        if callable(self.compute_driver):
            self._driver_factory = self.compute_driver
            real_load = virt_driver.load_compute_driver

            def load(virtapi, compute_driver=None):
                if compute_driver is None:
                    return self._driver_factory(virtapi)
                return real_load(virtapi, compute_driver)
            self.useFixture(fixtures.MonkeyPatch(
                'nova.virt.driver.load_compute_driver', load))
        super().setUp()
        # After Nova's setUp, which shortens futurist's idle wait for the
        # whole test; cleaned up first, so the services stop as Nova's
        # fixtures expect.
        self.useFixture(threads_rig.ServiceIdleWorkers())

    def _setup_services(self):
        self.flags(api_paste_config=api_paste_config(), group='wsgi')
        if not callable(self.compute_driver):
            self.flags(compute_driver=self.compute_driver)
        super()._setup_services()

    def _setup_compute_service(self):
        for host in self.compute_hosts:
            compute = self._start_compute(host)
            # Nova's fixture stops the service with the manager's graceful
            # shutdown in a background thread; the driver's own threads (the
            # Docker driver's engine-event watcher) must not outlive the
            # test and see the next test's containers on the same host name.
            self.addCleanup(compute.manager.driver.cleanup_host, host)

    def _clear_attrs(self):
        # Nova deletes public attributes after each test, which under pytest
        # includes the test method pytest still needs to report on.
        method = getattr(self, '_testMethodName', None)
        keep = {k: v for k, v in self.__dict__.items() if k == method}
        super()._clear_attrs()
        self.__dict__.update(keep)
