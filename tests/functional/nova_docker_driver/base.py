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

"""A real Nova cloud in-process whose compute driver is the Docker driver."""

import io
import json
import time

from tests.functional.nova_docker_driver import helpers
from tests.rig import nova as nova_rig

from nova_docker_driver import driver as docker_driver  # noqa: E402

IDLE_IMAGE = '7f1c56c2-6a40-4c86-9a3e-9b7f7a6d0a01'
HTTPD_IMAGE = '7f1c56c2-6a40-4c86-9a3e-9b7f7a6d0a02'
BUSYBOX_IMAGE = '7f1c56c2-6a40-4c86-9a3e-9b7f7a6d0a03'


def build_driver(virtapi):
    return docker_driver.DockerDriver(virtapi)


class DockerCloudTestCase(nova_rig.NovaCloudTestCase):
    """Nova API, conductor, scheduler, placement and a Docker compute."""

    compute_driver = staticmethod(build_driver)
    compute_hosts = ('compute1',)

    def _setup_services(self):
        # Before the compute starts: its driver reaches the engine at once.
        self.engine = self.useFixture(helpers.EngineCleanup())
        self.docker = self.engine.client
        self.tmp = self.useFixture(helpers.fixtures.TempDir()).path
        helpers.engine_flags(self, self.tmp)
        helpers.allow_noload_warning()
        self.flags(allow_resize_to_same_host=True)
        # Images whose first process ignores SIGTERM (sleep) are killed
        # after this many seconds on a clean stop, not Nova's default 60.
        self.flags(shutdown_timeout=3)
        self.glance.create(None, helpers.engine_image(
            IDLE_IMAGE, 'dos/idle:latest', name='idle'))
        self.glance.create(None, helpers.engine_image(
            HTTPD_IMAGE, 'dos/httpd:latest', name='httpd'))
        self.glance.create(None, helpers.engine_image(
            BUSYBOX_IMAGE, 'dos/busybox:latest', name='busybox-sleep',
            os_command_line='sleep 3600'))
        super()._setup_services()

    @property
    def driver(self):
        return self.computes['compute1'].manager.driver

    def _flavor(self, memory_mb=64, vcpu=1, disk=1, extra_spec=None):
        return self._create_flavor(memory_mb=memory_mb, vcpu=vcpu, disk=disk,
                                   ephemeral=0, extra_spec=extra_spec)

    def _boot(self, image=IDLE_IMAGE, flavor=None, networks='none',
              expected_state='ACTIVE', **extra):
        flavor = flavor or self._flavor()
        body = self._build_server(image_uuid=image, flavor_id=flavor,
                                  networks=networks)
        body.update(extra)
        server = self.api.post_server({'server': body})
        return self._wait_for_state_change(server, expected_state)

    def _containers(self, server):
        return self.docker.api.containers(all=True, filters={
            'label': '%s=%s' % (docker_driver.LABEL_UUID, server['id'])})

    def _container(self, server):
        found = self._containers(server)
        self.assertEqual(1, len(found), found)
        return self.docker.api.inspect_container(found[0]['Id'])

    def _exec(self, server, *cmd):
        cid = self._container(server)['Id']
        exec_id = self.docker.api.exec_create(cid, list(cmd))
        out = self.docker.api.exec_start(exec_id)
        code = self.docker.api.exec_inspect(exec_id)['ExitCode']
        return code, out.decode('utf-8', 'replace')

    def _read(self, server, path):
        code, out = self._exec(server, 'cat', path)
        self.assertEqual(0, code, out)
        return out.strip()

    def _instance(self, server):
        from nova import context as nova_context
        from nova import objects
        return objects.Instance.get_by_uuid(
            nova_context.get_admin_context(), server['id'])

    def _fault(self, server):
        server = self.api.get_server(server['id'])
        return (server.get('fault') or {}).get('message', '')

    def _add_tarball_image(self, image_id, data, **kw):
        record = helpers.tarball_image(image_id, **kw)
        self.glance.create(None, record, data=io.BytesIO(data))
        return image_id

    def _sync_power_states(self):
        from nova import context as nova_context
        self.computes['compute1'].manager._sync_power_states(
            nova_context.get_admin_context())

    def _wait(self, predicate, timeout=20, what='condition'):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.2)
        self.fail('timed out waiting for %s' % what)

    @staticmethod
    def _json(text):
        return json.loads(text)
