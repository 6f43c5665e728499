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

"""Idle pool threads that sleep as they do in service, and still stop at once.

Nova's test base class sets futurist's ``ThreadWorker.MAX_IDLE_FOR`` from
its default, 1 s, to 10 ms, so that thread pools shut down quickly between
tests (an idle worker notices it was stopped only when its wait for work
times out). Every idle worker of every pool then wakes 100 times a second
and takes the GIL to look; an in-process cloud holds dozens of them, and on
2 cores they slowed each boot of the Nova benchmark by a third or more.

``ServiceIdleWorkers`` puts the default back for the length of a test and
wakes a stopped worker when someone joins it (what an executor's shutdown
does after stopping its workers), so a shutdown during the test does not
wait for the idle timeout either.
"""

import time

import fixtures
from futurist import _thread as futurist_thread

#: futurist's own ThreadWorker.MAX_IDLE_FOR, what a service runs with.
SERVICE_IDLE_WAIT_S = 1.0
_JOIN_STEP_S = 0.01


class _Wake:
    """A work item that does nothing: a worker takes it, runs it, and, if
    it was stopped, leaves its loop."""

    @staticmethod
    def run():
        pass


_WAKE = _Wake()


class ServiceIdleWorkers(fixtures.Fixture):
    """Patch futurist's workers for the length of a test.

    Use it after Nova's TestCase.setUp, which sets the short wait; the
    services it started pick the value up at their next wait.
    """

    def _setUp(self):
        real_join = futurist_thread.ThreadWorker.join

        def join(worker, timeout=None):
            deadline = None if timeout is None else time.monotonic() + timeout
            # Workers of one pool share its queue, so the wake-up may go to
            # another stopped worker: offer one per step until this one is
            # gone. Extra items are harmless (no-ops in a dead pool's queue).
            while worker.should_stop and worker.is_alive():
                step = _JOIN_STEP_S
                if deadline is not None:
                    step = min(step, deadline - time.monotonic())
                    if step <= 0:
                        return
                worker.work_queue.put(_WAKE)
                real_join(worker, step)
            remaining = None
            if deadline is not None:
                remaining = max(0.0, deadline - time.monotonic())
            real_join(worker, remaining)

        self.useFixture(fixtures.MockPatchObject(
            futurist_thread.ThreadWorker, 'MAX_IDLE_FOR', SERVICE_IDLE_WAIT_S))
        self.useFixture(fixtures.MockPatchObject(
            futurist_thread.ThreadWorker, 'join', join))
