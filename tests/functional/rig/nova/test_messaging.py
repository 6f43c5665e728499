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

"""The rig's in-memory RPC: delivered on the doorbell, not on the poll."""

# First, as in every Nova-side test module: Nova's test package decides the
# threading mode before oslo.messaging is imported.
from tests.rig import nova as _nova_rig  # noqa: F401,I100

import threading  # noqa: E402
import time  # noqa: E402

import fixtures  # noqa: E402
from oslo_config import cfg  # noqa: E402
import oslo_messaging as messaging  # noqa: E402
from oslo_messaging import conffixture  # noqa: E402
import testtools  # noqa: E402

from tests.rig import messaging as messaging_rig  # noqa: E402


class Echo:
    target = messaging.Target(version='1.0')

    def echo(self, ctxt, value):
        return value


class TestPromptDelivery(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(messaging_rig.PromptDelivery())
        # Only the doorbell can wake a listener in time: the fallback poll
        # is longer than the call's timeout.
        self.useFixture(fixtures.MonkeyPatch(
            'tests.rig.messaging.POLL_FALLBACK_S', 60.0))
        conf = cfg.ConfigOpts()
        conf([], project='rig-test')
        # oslo.messaging's own fixture registers its options (tracing, ...).
        self.useFixture(conffixture.ConfFixture(conf))
        self.transport = messaging.get_rpc_transport(conf, url='fake:/')
        self.addCleanup(self.transport.cleanup)
        target = messaging.Target(topic='rig-test', server='s1')
        self.server = messaging.get_rpc_server(
            self.transport, target, [Echo()], executor='threading')
        self.server.start()
        self.addCleanup(self.server.wait)
        self.addCleanup(self.server.stop)
        self.client = messaging.get_rpc_client(
            self.transport, messaging.Target(topic='rig-test', server='s1'),
            timeout=20)

    def test_calls_are_answered_without_waiting_for_the_poll(self):
        # The server's listener is already waiting (on the doorbell) when
        # each call is sent; with a 60 s poll and a 20 s call timeout, an
        # undelivered ring would fail the call.
        time.sleep(0.2)
        for i in range(5):
            self.assertEqual(i, self.client.call({}, 'echo', value=i))

    def test_a_ring_before_the_wait_is_not_lost(self):
        bell = messaging_rig.Doorbell()
        seen = bell.rings
        bell.ring()
        returned = threading.Event()

        def waiter():
            bell.wait(seen, 60)
            returned.set()
        threading.Thread(target=waiter, daemon=True).start()
        self.assertTrue(returned.wait(20))
