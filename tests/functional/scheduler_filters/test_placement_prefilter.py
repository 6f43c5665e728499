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

"""Architectures pushed down to Placement, through real Nova and Placement.

Every compute runs the project's Docker driver (on the fake engine
backend, so that each can be another architecture): its
``update_provider_tree`` reports HW_ARCH_<native> and COMPUTE_ARCH_<each
one it runs>; emulation comes from a binfmt_misc table (the one local
engine) or the engine's ``docker_emulated_architectures`` daemon label.
With ``[scheduler] image_metadata_prefilter`` Nova asks Placement for
those traits and no filter of ours is enabled: what does not fit never
reaches a filter. With the prefilter off, ArchitectureFilter reaches the
same verdicts from the driver's compute stat.
"""

import os

import fixtures
import pytest

from tests.functional.scheduler_filters import base
from tests.unit.scheduler_filters.test_arch import binfmt_entry
from tests.unit.scheduler_filters.test_arch import QEMU_MAGIC

from tests.functional.nova_docker_driver import helpers  # noqa: E402

ENGINE_REF = 'dos/idle:latest'
NO_CANDIDATES = 'Got no allocation candidates from the Placement API'

# host -> (engine Arch, local engine, daemon labels)
FLEET = {
    # x86_64, and aarch64 through this host's binfmt_misc (qemu-user, F).
    'x86-emu': ('amd64', True, []),
    'x86-1': ('amd64', False, []),
    # x86_64 whose (remote) engine declares ppc64le emulation.
    'x86-ppc': ('amd64', False, ['docker_emulated_architectures=ppc64le']),
    'arm-1': ('arm64', False, []),
}


class DockerFleet(base.SchedulerCloud):
    fleet = {name: {} for name in FLEET}
    filters = ['ComputeFilter']
    prefilter = True

    def _setup_services(self):
        tmp = os.path.dirname(self.plan_path)
        binfmt = os.path.join(tmp, 'binfmt_misc')
        os.mkdir(binfmt)
        with open(os.path.join(binfmt, 'status'), 'w') as f:
            f.write('enabled\n')
        with open(os.path.join(binfmt, 'qemu-aarch64'), 'w') as f:
            f.write(binfmt_entry(QEMU_MAGIC['aarch64']))
        # The driver reads the table from this module constant (ours).
        self.useFixture(fixtures.MonkeyPatch(
            'nova_docker_driver.hostinfo.BINFMT_MISC', binfmt))
        self.flags(backend='fake', lifecycle_events=False,
                   instances_dir=os.path.join(tmp, 'instances'),
                   image_cache_dir=os.path.join(tmp, 'cache'), group='docker')
        self.flags(image_metadata_prefilter=self.prefilter, group='scheduler')
        super()._setup_services()

    def driver_for_host(self, virtapi, host):
        drv = helpers.OneProcessDriver(virtapi)
        engine_arch, local, labels = FLEET[host]
        drv.backend.version_data['Arch'] = engine_arch
        drv.backend.local = local
        drv.backend.info_data['Labels'] = labels
        drv.backend.add_image(ENGINE_REF)
        return drv

    def docker_image(self, name, **properties):
        image = {'name': name, 'status': 'active',
                 'container_format': 'docker', 'disk_format': 'raw',
                 'min_ram': 0, 'min_disk': 0, 'size': 1,
                 'properties': dict(properties, docker_image=ENGINE_REF)}
        return self.glance.create(self.ctxt, image)['id']

    def hosts(self, image, flavor, n):
        return [self.host_of(self.boot(image, flavor)) for _ in range(n)]

    def emulated_images_land_where_they_run(self):
        """ppc64le goes to the host whose engine declares it; aarch64 to
        the native host, then to the one emulating it (binfmt); a third
        whole-host aarch64 server finds no host: its server is returned."""
        ppc = self.docker_image('ppc', hw_emulation_architecture='ppc64le')
        small = self.flavor('small', 1, 64)
        self.assertEqual(['x86-ppc'] * 2, self.hosts(ppc, small, 2))
        arm = self.docker_image('arm', hw_emulation_architecture='aarch64')
        whole = self.flavor('whole', 4, 64)
        self.assertEqual({'arm-1', 'x86-emu'}, set(self.hosts(arm, whole, 2)))
        return self.boot(arm, whole, expected='ERROR')


@pytest.mark.slow
class TestPlacementPrefilter(DockerFleet):

    def test_driver_reports_native_and_emulated_architectures(self):
        traits = {}
        for host in FLEET:
            rp = self._get_provider_uuid_by_host(host)
            traits[host] = {t for t in self._get_provider_traits(rp)
                            if t.startswith(('HW_ARCH_', 'COMPUTE_ARCH_'))}
        self.assertEqual({
            'x86-emu': {'HW_ARCH_X86_64', 'COMPUTE_ARCH_X86_64',
                        'COMPUTE_ARCH_AARCH64'},
            'x86-1': {'HW_ARCH_X86_64', 'COMPUTE_ARCH_X86_64'},
            'x86-ppc': {'HW_ARCH_X86_64', 'COMPUTE_ARCH_X86_64',
                        'COMPUTE_ARCH_PPC64LE'},
            'arm-1': {'HW_ARCH_AARCH64', 'COMPUTE_ARCH_AARCH64'},
        }, traits)

    def test_hw_architecture_goes_to_native_hosts_only(self):
        small = self.flavor('small', 1, 64)
        arm = self.docker_image('arm', hw_architecture='aarch64')
        self.assertEqual(['arm-1'] * 3, self.hosts(arm, small, 3))
        x86 = self.docker_image('x86', hw_architecture='x86_64')
        self.assertLessEqual(set(self.hosts(x86, small, 3)),
                             {'x86-emu', 'x86-1', 'x86-ppc'})

    def test_hw_emulation_architecture_goes_where_it_runs(self):
        server = self.emulated_images_land_where_they_run()
        self.assertIn(NO_CANDIDATES, self.stdlog.logger.output)
        self.assertNotIn('ArchitectureFilter', self.stdlog.logger.output)
        self.assertIn('No valid host', server['fault']['message'])

    def test_architecture_no_host_runs_fails_in_placement(self):
        for prop in ('hw_architecture', 'hw_emulation_architecture'):
            image = self.docker_image('s390x-' + prop, **{prop: 's390x'})
            server = self.boot(image, expected='ERROR')
            self.assertIn('No valid host', server['fault']['message'])
        # Both refusals came from Placement: no filter ever saw a host.
        self.assertEqual(2, self.stdlog.logger.output.count(NO_CANDIDATES))


@pytest.mark.slow
class TestWithoutThePrefilter(DockerFleet):
    """The control: without the prefilter and without ArchitectureFilter,
    nothing keeps an s390x image away (so the test above can fail)."""

    prefilter = False

    def test_nothing_refuses_an_s390x_image(self):
        image = self.docker_image('s390x', hw_architecture='s390x')
        self.boot(image)
        self.assertNotIn(NO_CANDIDATES, self.stdlog.logger.output)


@pytest.mark.slow
class TestArchitectureFilterWithoutThePrefilter(DockerFleet):
    """Prefilter off: ArchitectureFilter reaches the same verdicts from the
    driver's ``docker_emulated_architectures`` compute stat."""

    prefilter = False
    filters = ['ComputeFilter', 'ArchitectureFilter']

    def test_same_hosts_as_placement(self):
        server = self.emulated_images_land_where_they_run()
        self.assertIn('ArchitectureFilter', self.refusal(server))
        s390x = self.docker_image('s390x', hw_emulation_architecture='s390x')
        server = self.boot(s390x, expected='ERROR')
        self.assertIn('no host runs architecture s390x', self.refusal(server))
