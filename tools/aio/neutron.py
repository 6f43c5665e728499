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

"""Nova's own NeutronFixture, installed in an all-in-one Nova process.

Neutron cannot run here (no agents, no OVS/OVN), and Nova calls Neutron on
every server delete even for ``--nic none`` servers (it lists the instance's
ports). The all-in-one therefore gives nova-api, nova-conductor and
nova-compute the in-process fake Neutron that Nova's functional tests use
(``nova.tests.fixtures.NeutronFixture``, see ``run.py``); servers are created with
``--nic none``, so it never has to invent a port.

The fixture expects a test case for ``flags`` and ``stub_out``; ``_Host``
gives it those two with the same meaning (a config override, a monkey
patch), kept for the life of the process.
"""

import fixtures


class _Host:
    def __init__(self):
        self._patches = []

    def flags(self, **kw):
        from nova import conf
        for name, value in kw.items():
            conf.CONF.set_override(name, value)

    def stub_out(self, target, replacement):
        patch = fixtures.MonkeyPatch(target, replacement)
        patch.setUp()
        self._patches.append(patch)


def install():
    # Nova picks its concurrency backend (native threads here, from
    # OS_NOVA_DISABLE_EVENTLET_PATCHING) before anything imports eventlet;
    # the test fixtures import oslo.service, so patch first.
    from nova import monkey_patch
    monkey_patch.patch()
    from nova.tests.fixtures import neutron
    host = _Host()
    fixture = neutron.NeutronFixture(host)
    fixture.setUp()
    return fixture
