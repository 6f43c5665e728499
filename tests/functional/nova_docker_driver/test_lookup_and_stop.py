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

"""How the driver finds an instance's container, and how it stops one.

Containers are found by the instance uuid *and* this host's labels, never
by name; power_off honours Nova's timeout (SIGTERM, then SIGKILL when it
runs out); a soft reboot stops the process gracefully, a hard one kills it.
Stops and reboots go through the API: called behind Nova's back, they
would meet Nova's power-state sync acting on the container's events.
"""

import time

from tests.functional.nova_docker_driver import base
from tests.functional.nova_docker_driver import helpers

from nova_docker_driver import driver as docker_driver  # noqa: E402

# Busybox whose first process leaves a mark and exits on SIGTERM.
TRAP_IMAGE = '7f1c56c2-6a40-4c86-9a3e-9b7f7a6d0a11'
TRAP_COMMAND = ("sh -c 'trap \"touch /termed; exit 0\" TERM; "
                "while :; do sleep 1 & wait $!; done'")
KILLED = 137  # 128 + SIGKILL


class TestLookupAndStop(base.DockerCloudTestCase):

    def _setup_services(self):
        super()._setup_services()
        self.glance.create(None, helpers.engine_image(
            TRAP_IMAGE, 'dos/busybox:latest', name='trap',
            os_command_line=TRAP_COMMAND))

    def _decoy(self, labels, name=None):
        cid = self.docker.api.create_container(
            'dos/idle:latest', labels=labels, name=name)['Id']
        self.docker.api.start(cid)
        self.addCleanup(self.docker.api.remove_container, cid, force=True)
        return cid

    def _state(self, server):
        return self._container(server)['State']

    def test_the_container_is_found_by_uuid_and_host_never_by_name(self):
        server = self._boot()
        instance = self._instance(server)
        real = self._container(server)['Id']
        # The same uuid on another host's engine labels, and a container
        # carrying the instance's name but no labels: neither is this
        # instance's container.
        other_host = self._decoy({docker_driver.LABEL_UUID: server['id'],
                                  docker_driver.LABEL_HOST: 'compute9'})
        same_name = self._decoy({}, name=instance.name)
        self.assertEqual([server['id']], self.driver.list_instance_uuids())
        self.assertTrue(self.driver.instance_exists(instance))
        self.assertEqual(real,
                         self.driver.get_info(instance).internal_id)

        self._delete_server(server)
        self.assertFalse(self.driver.instance_exists(instance))
        self.assertEqual([], self.driver.list_instance_uuids())
        for cid in (other_host, same_name):
            self.assertTrue(
                self.docker.api.inspect_container(cid)['State']['Running'])

    def test_power_off_sends_sigterm_and_kills_when_the_timeout_ends(self):
        # Through the API: Nova stops with its shutdown_timeout (3 s in
        # this cloud) and a clean shutdown, the driver's power_off timeout.
        stubborn = self._boot(image=base.BUSYBOX_IMAGE)
        trapped = self._boot(image=TRAP_IMAGE)
        # dos/busybox with `sleep 3600` as its first process ignores
        # SIGTERM: the engine waits the whole timeout, then kills it.
        start = time.monotonic()
        self._stop_server(stubborn)
        self.assertGreaterEqual(time.monotonic() - start, 3.0)
        self.assertEqual(KILLED, self._state(stubborn)['ExitCode'])
        # A process that handles SIGTERM ends by itself within it.
        self._stop_server(trapped)
        self.assertEqual(0, self._state(trapped)['ExitCode'])
        self.assertFalse(self._state(trapped)['Running'])

    def test_soft_reboot_stops_gracefully_hard_reboot_kills(self):
        server = self._boot(image=TRAP_IMAGE)
        started = self._state(server)['StartedAt']
        self._reboot_server(server, hard=True)
        self.assertNotEqual(started, self._state(server)['StartedAt'])
        self.assertTrue(self._state(server)['Running'])
        # Killed: the trap never ran.
        code, _out = self._exec(server, 'test', '-e', '/termed')
        self.assertEqual(1, code)

        started = self._state(server)['StartedAt']
        self._reboot_server(server)
        self.assertNotEqual(started, self._state(server)['StartedAt'])
        self.assertTrue(self._state(server)['Running'])
        code, _out = self._exec(server, 'test', '-e', '/termed')
        self.assertEqual(0, code)
