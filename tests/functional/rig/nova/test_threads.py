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

"""The rig's pool threads: idle as in service, stopped without waiting."""

# First, as in every Nova-side test module: Nova's test package decides the
# threading mode before oslo.messaging is imported.
from tests.rig import nova as nova_rig  # noqa: I100

import statistics  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import futurist  # noqa: E402
from futurist import _thread as futurist_thread  # noqa: E402
import testtools  # noqa: E402

from tests.rig import threads as threads_rig  # noqa: E402


def _switches(native_id):
    """Context switches of one thread so far (None: it is gone)."""
    try:
        with open('/proc/self/task/%d/status' % native_id) as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    return sum(int(line.split()[1]) for line in lines
               if line.startswith(('voluntary_ctxt_switches',
                                   'nonvoluntary_ctxt_switches')))


class TestIdleWorkersInACloud(nova_rig.NovaCloudTestCase):

    def test_idle_pool_threads_sleep_as_in_service(self):
        # Nova's TestCase shortens the idle wait to 10 ms: an idle worker
        # would wake about 100 times in this second.
        time.sleep(0.5)
        workers = [t for t in threading.enumerate()
                   if isinstance(t, futurist_thread.ThreadWorker) and t.idle]
        self.assertGreater(len(workers), 2)
        before = {t.native_id: _switches(t.native_id) for t in workers}
        time.sleep(1.0)
        woke = [_switches(n) - b for n, b in before.items()
                if b is not None and _switches(n) is not None]
        self.assertLessEqual(statistics.median(woke), 10, woke)


class TestStoppingWorkers(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(threads_rig.ServiceIdleWorkers())

    @staticmethod
    def _idle_for_a_minute(workers):
        # Only the wake-up can then end a worker's wait in time: its idle
        # wait is far longer than the test waits for the shutdown. (Set on
        # these workers only, not on the class, so that no other pool in
        # the process sleeps that long.)
        for w in workers:
            w.MAX_IDLE_FOR = 60.0

    def _shutdown_returns(self, executor):
        done = threading.Event()

        def shutdown():
            executor.shutdown(wait=True)
            done.set()
        threading.Thread(target=shutdown, daemon=True).start()
        return done.wait(10.0)

    def test_a_shutdown_does_not_wait_for_the_idle_timeout(self):
        executor = futurist.ThreadPoolExecutor(max_workers=4)
        gate = threading.Barrier(5)
        running = [executor.submit(gate.wait, 5) for _ in range(4)]
        workers = list(executor._workers)
        self.assertEqual(4, len(workers))
        self._idle_for_a_minute(workers)
        gate.wait(5)
        for f in running:
            f.result(5)
        self.assertTrue(self._shutdown_returns(executor))
        self.assertFalse(any(w.is_alive() for w in workers))

    def test_a_running_worker_is_not_cut_short(self):
        executor = futurist.ThreadPoolExecutor(max_workers=2)
        release = threading.Event()
        slow = executor.submit(lambda: release.wait(5) and 'finished')
        self._idle_for_a_minute(executor._workers)
        time.sleep(0.1)
        threading.Timer(0.3, release.set).start()
        self.assertTrue(self._shutdown_returns(executor))
        self.assertEqual('finished', slow.result(0))
