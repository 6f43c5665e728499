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

"""Nova runs in-process with Nova's fake driver: boot, then delete a server."""

from tests.rig import nova as nova_rig


class TestNovaRig(nova_rig.NovaCloudTestCase):
    compute_hosts = ('compute1', 'compute2')

    def test_boot_and_delete_with_fake_driver(self):
        server = self._create_server(networks='none')
        self.assertEqual('ACTIVE', server['status'])
        self.assertIn(server['OS-EXT-SRV-ATTR:host']
                      if 'OS-EXT-SRV-ATTR:host' in server
                      else self.admin_api.get_server(server['id'])
                      ['OS-EXT-SRV-ATTR:host'], self.compute_hosts)
        # Placement really holds the allocation of the booted server.
        allocations = self._get_allocations_by_server_uuid(server['id'])
        self.assertEqual(1, len(allocations))
        self._delete_server(server)
        self.assertEqual([], self.api.get_servers())
        self.assertEqual({}, self._get_allocations_by_server_uuid(
            server['id']))

    def test_hypervisors_are_registered(self):
        hypervisors = self.admin_api.api_get(
            '/os-hypervisors/detail').body['hypervisors']
        self.assertEqual(sorted(self.compute_hosts),
                         sorted(h['service']['host'] for h in hypervisors))


class _CountingDriver:
    """Records that the factory path was used to build the driver."""
    built = []


def _factory(virtapi):
    from nova.virt import fake
    driver = fake.SmallFakeDriver(virtapi)
    _CountingDriver.built.append(driver)
    return driver


class TestNovaRigDriverFactory(nova_rig.NovaCloudTestCase):
    compute_driver = staticmethod(_factory)

    def test_driver_handed_in_by_factory(self):
        _CountingDriver.built.clear()
        self._start_compute('compute-extra')
        self.assertEqual(1, len(_CountingDriver.built))
        self.assertIs(_CountingDriver.built[0],
                      self.computes['compute-extra'].manager.driver)
