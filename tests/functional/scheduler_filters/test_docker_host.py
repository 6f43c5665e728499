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

"""A mixed fleet with one real Docker host (nova_docker_driver).

Three fake-driver hosts report arm64 and ppc64le; ``docker-1`` runs the
project's Docker driver on this machine's engine (x86_64). An amd64-only
image must land on the Docker host and really run there as a container;
an arm64 image must land on the arm hosts.
"""

import pytest

from tests.functional.scheduler_filters import base
from tests.rig import docker_engine

# Registers the Docker driver's [docker] options.
from nova_docker_driver import driver as docker_driver  # noqa: E402
IDLE_IMAGE = '5c0e2a1e-4d59-4b7a-9a39-0d5c2d9a5a01'
LABEL_UUID = 'org.openstack.nova.instance_uuid'


@pytest.mark.slow
@pytest.mark.docker
class TestMixedFleetWithDockerHost(base.SchedulerCloud):
    fleet = {'arm-1': dict(arch='aarch64'), 'arm-2': dict(arch='aarch64'),
             'ppc-1': dict(arch='ppc64le'), 'docker-1': {}}

    def setUp(self):
        # Before the services start: the Docker driver reaches the engine
        # as soon as its compute starts.
        self.engine = docker_engine.client()
        docker_engine.ensure_images(self.engine)
        self.before = docker_engine.Snapshot(self.engine)
        super().setUp()
        self.addCleanup(self._clean_engine)
        self.compute_driver_used = {
            h: type(s.manager.driver).__name__
            for h, s in self.computes.items()}

    def _clean_engine(self):
        docker_engine.remove_new(self.engine, self.before)
        self.engine.close()

    def driver_for_host(self, virtapi, host):
        if host == 'docker-1':
            return docker_driver.DockerDriver(virtapi)
        return super().driver_for_host(virtapi, host)

    def _setup_services(self):
        self.flags(endpoint=docker_engine.docker_host(), group='docker')
        tmp = self.plan_path.rsplit('/', 1)[0]
        self.flags(image_cache_dir=tmp + '/image-cache',
                   instances_dir=tmp + '/instances', group='docker')
        self.glance.create(None, {
            'id': IDLE_IMAGE, 'name': 'idle', 'status': 'active',
            'container_format': 'docker', 'disk_format': 'raw',
            'min_ram': 0, 'min_disk': 0, 'visibility': 'public',
            'properties': {'docker_image': 'dos/idle:latest',
                           'docker_platforms': 'linux/amd64'}})
        super()._setup_services()

    def test_amd64_image_runs_on_the_docker_host_arm_on_arm(self):
        self.assertEqual('DockerDriver', self.compute_driver_used['docker-1'])
        self.assertEqual('Fleet', self.compute_driver_used['arm-1'])
        small = self.flavor('small', 1, 64)
        server = self.boot(IDLE_IMAGE, small)
        self.assertEqual('docker-1', self.host_of(server))
        found = self.engine.api.containers(filters={
            'label': '%s=%s' % (LABEL_UUID, server['id'])})
        self.assertEqual(1, len(found), found)
        self.assertEqual('running', found[0]['State'])
        arm = self.image('arm', docker_platforms='linux/arm64/v8')
        hosts = {self.host_of(self.boot(arm, small)) for _ in range(3)}
        self.assertLessEqual(hosts, {'arm-1', 'arm-2'})
        self._delete_server(server)
        self._wait_until_deleted(server)
        self.assertEqual([], self.engine.api.containers(all=True, filters={
            'label': '%s=%s' % (LABEL_UUID, server['id'])}))
