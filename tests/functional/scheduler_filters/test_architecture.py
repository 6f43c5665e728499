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

"""ArchitectureFilter + EmulationWeigher in Nova's real scheduler."""

import pytest

from tests.functional.scheduler_filters import base

FLEET = {
    'x86-1': dict(arch='x86_64'), 'x86-2': dict(arch='x86_64'),
    'x86-3': dict(arch='x86_64'),
    'arm-1': dict(arch='aarch64'), 'arm-2': dict(arch='aarch64'),
    'ppc-1': dict(arch='ppc64le'),
    's390-1': dict(arch='s390x'),
    # An arm host that runs amd64 images under binfmt emulation.
    'emu-1': dict(arch='aarch64', emulates='x86_64'),
}


@pytest.mark.slow
class TestArchitectureFilter(base.SchedulerCloud):
    fleet = FLEET

    def test_each_image_lands_only_where_it_runs(self):
        arm = self.image('arm-only', hw_architecture='aarch64')
        x86 = self.image('x86-only', docker_platforms='linux/amd64')
        index = self.image('ppc-or-s390',
                           docker_platforms='linux/ppc64le,linux/s390x')
        small = self.flavor('small', 1, 512)
        placed = {}
        for img, n in ((arm, 4), (x86, 4), (index, 3)):
            for _ in range(n):
                server = self.boot(img, small)
                placed.setdefault(img, set()).add(self.host_of(server))
        self.assertLessEqual(placed[arm], {'arm-1', 'arm-2', 'emu-1'})
        # Native hosts win over the emulating one while they have room.
        self.assertLessEqual(placed[x86], {'x86-1', 'x86-2', 'x86-3'})
        self.assertLessEqual(placed[index], {'ppc-1', 's390-1'})

    def test_emulated_host_is_used_only_when_native_ones_are_full(self):
        x86 = self.image('x86', docker_platforms='linux/amd64/v2')
        whole = self.flavor('whole', 4, 1024)
        hosts = [self.host_of(self.boot(x86, whole)) for _ in range(4)]
        self.assertEqual({'x86-1', 'x86-2', 'x86-3'}, set(hosts[:3]))
        self.assertEqual('emu-1', hosts[3])
        # Nothing else runs amd64: the fifth fails to schedule.
        server = self.boot(x86, whole, expected='ERROR')
        self.assertIn('No valid host', server['fault']['message'])

    def test_architecture_no_host_has_fails_scheduling(self):
        img = self.image('riscv-less', hw_architecture='i686')
        server = self.boot(img, expected='ERROR')
        self.assertIn('No valid host', server['fault']['message'])

    def test_unknown_platform_fails_with_a_clear_message(self):
        img = self.image('bad', docker_platforms='linux/amd64,linux/riscv128')
        server = self.boot(img, expected='ERROR')
        message = self.refusal(server)
        self.assertIn('ArchitectureFilter', message)
        self.assertIn('riscv128', message)
        self.assertIn('docker_platforms', message)
        # Nothing is left behind: no allocation in placement.
        self.assertEqual({}, self._get_allocations_by_server_uuid(
            server['id']))

    def test_malformed_platform_fails_with_a_clear_message(self):
        img = self.image('win', docker_platforms='windows/amd64')
        server = self.boot(img, expected='ERROR')
        self.assertIn('only linux platforms', self.refusal(server))

    def test_packing_by_default_spreading_for_anti_affinity_groups(self):
        x86 = self.image('x86', hw_architecture='x86_64')
        small = self.flavor('small', 1, 512)
        packed = {self.host_of(self.boot(x86, small)) for _ in range(3)}
        self.assertEqual(1, len(packed))  # BinPackWeigher fills one host
        group = self.api.post_server_groups(
            {'name': 'spread', 'policy': 'soft-anti-affinity'})
        spread = []
        for _ in range(3):
            body = self._build_server(image_uuid=x86, flavor_id=small,
                                      networks='none')
            created = self.api.post_server(
                {'server': body, 'os:scheduler_hints': {'group': group['id']}})
            spread.append(self.host_of(
                self._wait_for_state_change(created, 'ACTIVE')))
        # Three different native x86 hosts (the emulating host stays last).
        self.assertEqual(3, len(set(spread)))
        self.assertLessEqual(set(spread), {'x86-1', 'x86-2', 'x86-3'})


@pytest.mark.slow
class TestDockerHostWeigher(base.SchedulerCloud):
    """The one-pass weigher orders hosts as the three weighers do."""

    fleet = {'x86-1': dict(arch='x86_64'), 'x86-2': dict(arch='x86_64'),
             'emu-1': dict(arch='aarch64', emulates='x86_64')}
    weighers = ['scheduler_filters.DockerHostWeigher']

    def test_native_first_then_packed_then_emulated(self):
        x86 = self.image('x86', docker_platforms='linux/amd64')
        small = self.flavor('small', 2, 512)
        hosts = [self.host_of(self.boot(x86, small)) for _ in range(5)]
        # Packing: the first host fills before the second is used.
        self.assertEqual(hosts[0], hosts[1])
        self.assertEqual(hosts[2], hosts[3])
        self.assertEqual({'x86-1', 'x86-2'}, set(hosts[:4]))
        # Emulation only when no native host has room.
        self.assertEqual('emu-1', hosts[4])


BIG_FLEET = dict(
    [('x86-%02d' % i, dict(arch='x86_64', vcpus=8)) for i in range(10)]
    + [('arm-%02d' % i, dict(arch='aarch64', vcpus=8)) for i in range(8)]
    + [('ppc-%02d' % i, dict(arch='ppc64le', vcpus=8)) for i in range(3)]
    + [('s390-%02d' % i, dict(arch='s390x', vcpus=8)) for i in range(3)])


@pytest.mark.slow
class TestLargerMixedFleet(base.SchedulerCloud):
    """24 computes; multi-create requests of each architecture."""

    fleet = BIG_FLEET

    def test_multi_create_lands_on_matching_hosts_and_packs(self):
        small = self.flavor('small', 2, 512)
        images = {
            'x86': (self.image('x86', docker_platforms='linux/amd64'),
                    'x86-'),
            'arm': (self.image('arm', docker_platforms='linux/arm64'),
                    'arm-'),
            'index': (self.image('index', docker_platforms=(
                'linux/ppc64le,linux/s390x')), ('ppc-', 's390-')),
        }
        for name, (image, prefix) in images.items():
            body = self._build_server(name=name, image_uuid=image,
                                      flavor_id=small, networks='none')
            body['min_count'] = body['max_count'] = 8
            self.api.post_server({'server': body})
        servers = self.api.get_servers(search_opts={'name': '^'})
        self.assertEqual(24, len(servers))
        placed = {}
        for s in servers:
            s = self._wait_for_state_change(s, 'ACTIVE')
            placed.setdefault(s['name'].split('-')[0], []).append(
                self.host_of(s))
        for name, (_image, prefix) in images.items():
            hosts = placed[name]
            self.assertEqual(8, len(hosts))
            self.assertTrue(all(h.startswith(prefix) for h in hosts),
                            (name, hosts))
            # 8 x 2 VCPU on 8-VCPU hosts: packing needs 2 hosts.
            self.assertEqual(2, len(set(hosts)), (name, hosts))
