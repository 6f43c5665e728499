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

"""Twenty concurrent boots with a Neutron port each on one compute."""

import pytest

from tests.functional.nova_docker_driver import base

from nova_docker_driver.network import linux_net  # noqa: E402
from nova_docker_driver.network import plugger  # noqa: E402
from nova_docker_driver.network import privsep  # noqa: E402

COUNT = 20


@pytest.mark.slow
class TestConcurrentBoots(base.DockerCloudTestCase):
    # Casts stay casts: the builds really run at the same time.
    CAST_AS_CALL = False

    def _setup_services(self):
        # 20 one-vcpu instances on this 2-cpu host need overcommit, as any
        # container host would configure.
        self.flags(cpu_allocation_ratio=16.0)
        super()._setup_services()

    def setUp(self):
        # Root here; Nova's TestCase forbids a privsep helper daemon.
        privsep.run_in_process()
        self.addCleanup(privsep.run_in_process, False)
        super().setUp()
        self.flags(instances=COUNT + 5, cores=COUNT * 2, ram=COUNT * 1024,
                   group='quota')
        # NeutronFixture ports are OVS-bound; no Open vSwitch here.
        self.flags(vif_type_map={'ovs': 'tap'}, group='docker_network')

    def _veths(self, server_id):
        return linux_net.host_links_with_alias(plugger.alias_for(server_id))

    def test_twenty_concurrent_boots_then_nothing_left(self):
        flavor = self._flavor(memory_mb=32)
        body = self._build_server(
            image_uuid=base.IDLE_IMAGE, flavor_id=flavor,
            networks=[{'uuid': self.neutron.network_1['id']}])
        body.update(min_count=COUNT, max_count=COUNT, return_reservation_id=True)
        reservation = self.api.post_server({'server': body})
        servers = [s for s in self.api.get_servers(
            search_opts={'reservation_id': reservation['reservation_id']})]
        self.assertEqual(COUNT, len(servers))
        ids = [s['id'] for s in servers]

        def all_active():
            found = {s['id']: s for s in self.api.get_servers()}
            errors = [s for s in found.values() if s['status'] == 'ERROR']
            self.assertEqual([], errors)
            return all(found.get(i, {}).get('status') == 'ACTIVE'
                       for i in ids)
        # Twenty builds on two cores take a while; bounded.
        self._wait(all_active, timeout=240, what='20 servers ACTIVE')
        servers = [self.api.get_server(i) for i in ids]
        for server in servers:
            c = self._container(server)
            self.assertTrue(c['State']['Running'])
            self.assertEqual(1, len(self._veths(server['id'])))
            addr = [a['addr'] for addrs in server['addresses'].values()
                    for a in addrs if ':' not in a['addr']]
            self.assertEqual(1, len(addr))
            code, out = self._exec(server, 'ip', '-4', '-o', 'addr')
            self.assertIn(addr[0], out)
        for server in servers:
            self.api.delete_server(server['id'])
        for server in servers:
            self._wait_until_deleted(server)
        for server in servers:
            self.assertEqual([], self._containers(server))
            self.assertEqual([], self._veths(server['id']))
