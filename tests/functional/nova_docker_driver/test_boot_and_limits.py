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

"""Boot through the Nova API: the container runs under the flavor's limits."""

import re

from docker import errors as docker_errors

from tests.functional.nova_docker_driver import base

from nova_docker_driver import exception  # noqa: E402


class TestBootAndLimits(base.DockerCloudTestCase):

    def test_boot_runs_container_under_flavor_limits(self):
        flavor = self._flavor(memory_mb=96, vcpu=2, extra_spec={
            'docker:pids_limit': '77', 'docker:cpuset': '0'})
        server = self._boot(flavor=flavor)
        c = self._container(server)
        self.assertTrue(c['State']['Running'])
        labels = c['Config']['Labels']
        self.assertEqual(server['id'],
                         labels['org.openstack.nova.instance_uuid'])
        self.assertEqual('compute1', labels['org.openstack.nova.host'])
        # The engine's view of the limits.
        hc = c['HostConfig']
        self.assertEqual(96 * 1024 * 1024, hc['Memory'])
        self.assertEqual(96 * 1024 * 1024, hc['MemorySwap'])
        self.assertEqual(200000, hc['CpuQuota'])
        self.assertEqual(100000, hc['CpuPeriod'])
        self.assertEqual(2048, hc['CpuShares'])
        self.assertEqual(77, hc['PidsLimit'])
        self.assertEqual('0', hc['CpusetCpus'])
        self.assertFalse(hc['Privileged'])
        self.assertEqual('none', hc['NetworkMode'])
        # The kernel's view, from the cgroup v1 files inside the container.
        cg = '/sys/fs/cgroup'
        self.assertEqual(str(96 * 1024 * 1024), self._read(
            server, cg + '/memory/memory.limit_in_bytes'))
        self.assertEqual('200000', self._read(
            server, cg + '/cpu/cpu.cfs_quota_us'))
        self.assertEqual('2048', self._read(server, cg + '/cpu/cpu.shares'))
        self.assertEqual('77', self._read(server, cg + '/pids/pids.max'))
        self.assertEqual('0', self._read(server, cg + '/cpuset/cpuset.cpus'))
        # Nova sees it running on the Docker hypervisor.
        server = self.admin_api.get_server(server['id'])
        self.assertEqual(1, server['OS-EXT-STS:power_state'])
        self._delete_server(server)
        self.assertEqual([], self._containers(server))

    def test_bad_cpuset_fails_with_a_fault_naming_the_spec(self):
        flavor = self._flavor(extra_spec={'docker:cpuset': '0-63'})
        server = self._boot(flavor=flavor, expected_state='ERROR')
        self.assertIn('docker:cpuset', self._fault(server))
        self.assertEqual([], self._containers(server))

    def test_api_refuses_bad_docker_extra_specs(self):
        from nova.tests.functional.api import client as api_client
        flavor = self._flavor()
        # Nova's messages name the bad value, or the key it does not know.
        for key, value, named in (('docker:cpuset', 'abc', "'abc'"),
                                  ('docker:pids_limit', '0', '0'),
                                  ('docker:no_such_thing', '1',
                                   'docker:no_such_thing')):
            err = self.assertRaises(
                api_client.OpenStackApiException,
                self.admin_api.post_extra_spec, flavor,
                {'extra_specs': {key: value}})
            self.assertEqual(400, err.response.status_code)
            self.assertIn(named, str(err))
        self.admin_api.post_extra_spec(
            flavor, {'extra_specs': {'docker:cpuset': '0-1,3',
                                     'docker:pids_limit': '10'}})

    def test_disk_quota_on_where_the_engine_cannot_refuses_to_start(self):
        info = self.docker.info()
        supported = (info['Driver'] in ('btrfs', 'zfs', 'devicemapper') or
                     dict(info['DriverStatus']).get('Backing Filesystem') ==
                     'xfs')
        if supported:
            self.skipTest('this engine can limit root filesystems')
        self.flags(disk_quota='on', group='docker')
        drv = base.build_driver(None)
        err = self.assertRaises(exception.DiskQuotaUnsupported,
                                drv.init_host, 'compute1')
        self.assertIn(info['Driver'], str(err))

    def _engine_refuses_disk_quotas(self):
        hc = self.docker.api.create_host_config(storage_opt={'size': '1G'})
        try:
            cid = self.docker.api.create_container('dos/idle:latest',
                                                   host_config=hc)['Id']
        except docker_errors.APIError as exc:
            self.assertIn('--storage-opt', str(exc))
            return True
        self.docker.api.remove_container(cid, force=True)
        return False

    def _misjudge_disk_quotas(self):
        # What the engine's info makes the driver believe on overlay2 over
        # xfs mounted without pquota (the info cannot show the option).
        self.driver._disk_quota = True

    def test_disk_quota_auto_learns_from_the_engines_refusal(self):
        self.assertEqual('auto', base.docker_driver.CONF.docker.disk_quota)
        refuses = self._engine_refuses_disk_quotas()
        self._misjudge_disk_quotas()
        server = self._boot(flavor=self._flavor(disk=2))
        opts = self._container(server)['HostConfig'].get('StorageOpt')
        if refuses:
            # Booted without the quota, and no later boot asks again.
            self.assertFalse(opts)
            self.assertFalse(self.driver._disk_quota)
            second = self._boot(flavor=self._flavor(disk=2))
            self.assertFalse(
                self._container(second)['HostConfig'].get('StorageOpt'))
        else:
            self.assertEqual({'size': str(2 * 1024 ** 3)}, opts)

    def test_disk_quota_on_and_an_engine_refusal_fail_the_boot_cleanly(self):
        if not self._engine_refuses_disk_quotas():
            self.skipTest('this engine limits root filesystems')
        self.flags(disk_quota='on', group='docker')
        self._misjudge_disk_quotas()
        server = self._boot(flavor=self._flavor(disk=2),
                            expected_state='ERROR')
        fault = self._fault(server)
        self.assertIn('disk_quota=on', fault)
        self.assertIn('--storage-opt', fault)
        self.assertEqual([], self._containers(server))
        self.assertTrue(self.driver._disk_quota)  # 'on' never drops it

    def test_host_resources_come_from_the_engine(self):
        from nova import context as nova_context
        from nova import objects
        hyp = self.admin_api.api_get(
            '/os-hypervisors/detail').body['hypervisors'][0]
        # Nova's integer form of the engine's version: 24.0.7 -> 24000007.
        major, minor, patch = map(int, re.match(
            r'(\d+)\.(\d+)\.(\d+)',
            self.docker.version()['Version']).groups())
        self.assertEqual(major * 1000000 + minor * 1000 + patch,
                         hyp['hypervisor_version'])
        node = objects.ComputeNode.get_by_nodename(
            nova_context.get_admin_context(), hyp['hypervisor_hostname'])
        arch = {'amd64': 'x86_64', 'arm64': 'aarch64', 'ppc64le': 'ppc64le',
                's390x': 's390x'}[self.docker.version()['Arch']]
        self.assertEqual([[arch, 'docker', 'exe']],
                         [s.to_list() for s in node.supported_hv_specs])
        self.assertEqual(self.docker.info()['NCPU'], node.vcpus)

    def test_allocation_ratios_reach_the_inventory(self):
        from nova.compute import provider_tree
        self.flags(cpu_allocation_ratio=3.0, ram_allocation_ratio=1.5,
                   disk_allocation_ratio=2.0)
        tree = provider_tree.ProviderTree()
        tree.new_root('compute1', 'b1f4c1de-0000-4000-8000-000000000001')
        self.driver.update_provider_tree(tree, 'compute1')
        inv = tree.data('compute1').inventory
        self.assertEqual((3.0, 1.5, 2.0), (
            inv['VCPU']['allocation_ratio'],
            inv['MEMORY_MB']['allocation_ratio'],
            inv['DISK_GB']['allocation_ratio']))

    def test_hypervisor_reports_docker(self):
        hyp = self.admin_api.api_get(
            '/os-hypervisors/detail').body['hypervisors'][0]
        self.assertEqual('docker', hyp['hypervisor_type'])
        self.assertGreater(hyp['hypervisor_version'], 1000)
        rp = self._get_provider_uuid_by_host('compute1')
        inv = self._get_provider_inventory(rp)
        self.assertEqual({'VCPU', 'MEMORY_MB', 'DISK_GB'}, set(inv))
        self.assertEqual(self.docker.info()['NCPU'], inv['VCPU']['total'])
        traits = self._get_provider_traits(rp)
        self.assertIn('CUSTOM_HYPERVISOR_DOCKER', traits)
        # The architectures it runs: this engine's natively, plus what this
        # host's binfmt_misc emulates (what Nova's image_metadata_prefilter
        # asks Placement for).
        from nova_docker_driver import hostinfo
        from scheduler_filters.core import arch
        native = hostinfo.architecture(self.docker.version())
        self.assertEqual(
            arch.placement_traits(native, hostinfo.binfmt_emulated()),
            {t for t in traits if t.startswith(arch.TRAIT_PREFIXES)})
        self.assertIn('HW_ARCH_X86_64', traits)
        self.assertIn('COMPUTE_ARCH_X86_64', traits)
