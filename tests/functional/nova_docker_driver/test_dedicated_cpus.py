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

"""hw:cpu_policy=dedicated: PCPUs from placement, Nova's pinning as cpuset."""

from tests.functional.nova_docker_driver import base


class TestDedicatedCpus(base.DockerCloudTestCase):

    def _setup_services(self):
        # This host has two cpus: 1 for pinned instances, 0 for the rest.
        self.flags(cpu_dedicated_set='1', cpu_shared_set='0', group='compute')
        super()._setup_services()

    def test_pinned_and_floating_instances(self):
        rp = self._get_provider_uuid_by_host('compute1')
        inv = self._get_provider_inventory(rp)
        self.assertEqual(1, inv['PCPU']['total'])
        self.assertEqual(1, inv['VCPU']['total'])

        pinned = self._boot(flavor=self._flavor(
            vcpu=1, extra_spec={'hw:cpu_policy': 'dedicated'}))
        self.assertEqual('1', self._container(pinned)['HostConfig'][
            'CpusetCpus'])
        self.assertEqual('1', self._read(
            pinned, '/sys/fs/cgroup/cpuset/cpuset.cpus'))
        usages = self._get_provider_usages(rp)
        self.assertEqual(1, usages['PCPU'])

        floating = self._boot(flavor=self._flavor(vcpu=1))
        self.assertEqual('0', self._read(
            floating, '/sys/fs/cgroup/cpuset/cpuset.cpus'))

        # The one dedicated cpu is taken: a second pinned instance does not
        # fit anywhere.
        self._boot(flavor=self._flavor(
            vcpu=1, extra_spec={'hw:cpu_policy': 'dedicated'}),
            expected_state='ERROR')
