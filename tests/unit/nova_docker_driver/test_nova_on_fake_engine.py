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

"""Real Nova in-process (API, conductor, scheduler, compute, placement on
SQLite) driving the Docker driver on the fake engine: no root, no engine.

What the driver hands the compute manager on a failure is what a tenant
sees: an engine away aborts the build with a fault that says so.
"""

import json
import os
import warnings

import pytest

from nova_docker_driver import driver as docker_driver
from nova_docker_driver import inject
from tests.rig import nova as nova_rig

IDLE_IMAGE = '3c0e2a7e-5d55-4c3a-9d5e-6f1c2b1a0001'


def build_driver(virtapi):
    return docker_driver.DockerDriver(virtapi)


# A boot through the API takes several seconds: make test runs these,
# make test-quick does not.
@pytest.mark.slow
class TestNovaOnFakeEngine(nova_rig.NovaCloudTestCase):

    compute_driver = staticmethod(build_driver)

    def _setup_services(self):
        tmp = self.useFixture(nova_rig.fixtures.TempDir()).path
        self.flags(backend='fake', instances_dir=os.path.join(tmp, 'i'),
                   image_cache_dir=os.path.join(tmp, 'c'), group='docker')
        # Nova 34 loads instance.keypairs with SQLAlchemy 2.1's deprecated
        # noload(); Nova's test fixture would turn that into an error.
        from sqlalchemy import exc as sqla_exc
        warnings.filterwarnings('ignore', message='The noload',
                                category=sqla_exc.SADeprecationWarning)
        self.glance.create(None, {
            'id': IDLE_IMAGE, 'name': 'idle', 'status': 'active',
            'container_format': 'docker', 'disk_format': 'raw',
            'min_ram': 0, 'min_disk': 0, 'visibility': 'public',
            'properties': {'docker_image': 'dos/idle:latest'}})
        super()._setup_services()
        self.engine = self.computes['compute1'].manager.driver.backend
        self.engine.add_image('dos/idle:latest')

    def _boot(self, expected_state='ACTIVE'):
        flavor = self._create_flavor(memory_mb=96, vcpu=2, disk=1,
                                     ephemeral=0)
        body = self._build_server(image_uuid=IDLE_IMAGE, flavor_id=flavor,
                                  networks='none')
        server = self.api.post_server({'server': body})
        return self._wait_for_state_change(server, expected_state)

    def _containers(self, server):
        return [c for c in self.engine.containers()
                if c.labels.get(docker_driver.LABEL_UUID) == server['id']]

    def test_boot_stop_start_delete(self):
        server = self._boot()
        (state,) = self._containers(server)
        self.assertEqual('running', state.status)
        limits = self.engine.limits_of(state.id)
        self.assertEqual((96 << 20, 200000), (limits.memory_bytes,
                                              limits.cpu_quota_us))
        # Nova's own metadata, copied in as the config drive.
        meta = self.engine.files_of(state.id)[os.path.join(
            inject.CONFIG_DRIVE_DIR, 'openstack/latest/meta_data.json')]
        self.assertEqual(server['id'], json.loads(meta)['uuid'])

        self.api.post_server_action(server['id'], {'os-stop': None})
        self._wait_for_state_change(server, 'SHUTOFF')
        self.assertEqual('exited', self.engine.inspect(state.id).status)
        self.api.post_server_action(server['id'], {'os-start': None})
        self._wait_for_state_change(server, 'ACTIVE')
        self.assertEqual('running', self.engine.inspect(state.id).status)

        self._delete_server(server)
        self.assertEqual([], self.engine.containers())

    def test_engine_away_aborts_the_build_with_a_clear_fault(self):
        self.engine.set_available(False)
        server = self._boot(expected_state='ERROR')
        fault = self.api.get_server(server['id'])['fault']['message']
        self.assertIn('aborted', fault)
        self.assertIn('fake://engine is unavailable', fault)
        self.engine.set_available(True)
        self.assertEqual([], self.engine.containers())
        self._delete_server(server)
