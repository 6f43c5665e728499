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

"""In-memory RPC delivered when sent, not at the listener's next 50 ms poll.

oslo.messaging's fake driver (the in-memory transport of Nova's functional
fixtures) makes each RPC server look for messages every 50 ms, so every
cast and call between API, conductor, scheduler and compute waits 25 ms on
average - the better part of a boot's time in this rig, and nothing a real
broker imposes (RabbitMQ pushes to its consumers). ``PromptDelivery`` keeps
the fake driver's queues and semantics and only rings a doorbell when a
message is queued, so a waiting listener looks again at once. The 50 ms
poll stays as a fallback, so a missed ring costs no more than before.
"""

import threading
import time

import fixtures
from oslo_messaging._drivers import base as driver_base
from oslo_messaging._drivers import impl_fake

POLL_FALLBACK_S = 0.050


class Doorbell:
    """A counter that waiters watch: a ring between reading it and waiting
    is not lost, since the wait returns at once when the count moved."""

    def __init__(self):
        self._cond = threading.Condition()
        self.rings = 0

    def ring(self):
        with self._cond:
            self.rings += 1
            self._cond.notify_all()

    def wait(self, seen, timeout):
        with self._cond:
            if self.rings == seen:
                self._cond.wait(timeout)


class PromptDelivery(fixtures.Fixture):
    """Patch the fake driver for the length of a test."""

    def _setUp(self):
        bell = Doorbell()
        deliver = impl_fake.FakeExchange.deliver_message

        def deliver_and_ring(exchange, *args, **kwargs):
            deliver(exchange, *args, **kwargs)
            bell.ring()

        stop = impl_fake.FakeListener.stop

        def stop_and_ring(listener):
            stop(listener)
            bell.ring()  # a stopping server need not wait for the poll

        @driver_base.batch_poll_helper
        def poll(listener, timeout=None):
            deadline = None if timeout is None else time.monotonic() + timeout
            while not listener._stopped.is_set():
                seen = bell.rings
                for target in listener._targets:
                    exchange = listener._exchange_manager.get_exchange(
                        target.exchange)
                    ctxt, message, reply_q, requeue = exchange.poll(
                        target, listener._pool)
                    if message is not None:
                        return impl_fake.FakeIncomingMessage(
                            ctxt, message, reply_q, requeue)
                pause = POLL_FALLBACK_S
                if deadline is not None:
                    pause = min(pause, deadline - time.monotonic())
                    if pause < 0:
                        return None
                bell.wait(seen, pause)
            return None

        self.useFixture(fixtures.MockPatchObject(
            impl_fake.FakeExchange, 'deliver_message', deliver_and_ring))
        self.useFixture(fixtures.MockPatchObject(
            impl_fake.FakeListener, 'poll', poll))
        self.useFixture(fixtures.MockPatchObject(
            impl_fake.FakeListener, 'stop', stop_and_ring))
