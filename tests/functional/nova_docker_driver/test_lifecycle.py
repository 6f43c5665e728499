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

"""Every lifecycle action through the Nova API, checked on the engine."""

import pytest

from tests.functional.nova_docker_driver import base


class TestLifecycle(base.DockerCloudTestCase):

    def _started_at(self, server):
        return self._container(server)['State']['StartedAt']

    def _status(self, server):
        return self._container(server)['State']['Status']

    @pytest.mark.slow
    def test_stop_start_reboot_pause_suspend_delete(self):
        server = self._boot()
        cid = self._container(server)['Id']

        self._stop_server(server)
        self.assertEqual('exited', self._status(server))
        self.assertEqual(4, self.admin_api.get_server(
            server['id'])['OS-EXT-STS:power_state'])
        self._start_server(server)
        self._wait_for_state_change(server, 'ACTIVE')
        self.assertEqual('running', self._status(server))

        for hard in (False, True):
            before = self._started_at(server)
            self._reboot_server(server, hard=hard)
            self.assertEqual('running', self._status(server))
            self.assertNotEqual(before, self._started_at(server))

        self.api.post_server_action(server['id'], {'pause': None})
        self._wait_for_state_change(server, 'PAUSED')
        self.assertEqual('paused', self._status(server))
        self.api.post_server_action(server['id'], {'unpause': None})
        self._wait_for_state_change(server, 'ACTIVE')
        self.assertEqual('running', self._status(server))

        self._suspend_server(server)
        self.assertEqual('paused', self._status(server))
        self.assertEqual(7, self.admin_api.get_server(
            server['id'])['OS-EXT-STS:power_state'])
        self._resume_server(server)
        self.assertEqual('running', self._status(server))

        # Nova's API refuses to stop a paused server, but its power-state
        # sync may: the driver thaws a frozen container before stopping it.
        self.api.post_server_action(server['id'], {'pause': None})
        self._wait_for_state_change(server, 'PAUSED')
        self.driver.power_off(self._instance(server), timeout=5)
        self.assertEqual('exited', self._status(server))

        # The same container all along.
        self.assertEqual(cid, self._container(server)['Id'])
        self._delete_server(server)
        self.assertEqual([], self._containers(server))

    def test_console_output_and_diagnostics(self):
        server = self._boot(image=base.BUSYBOX_IMAGE)
        self._exec(server, 'sh', '-c', 'echo hello-console > /proc/1/fd/1')
        out = self.api.post_server_action(
            server['id'], {'os-getConsoleOutput': {'length': 5}})
        self.assertIn('hello-console', out['output'])
        # The free-form diagnostics of microversions before 2.48.
        self.admin_api.microversion = '2.47'
        diags = self.admin_api.api_get(
            '/servers/%s/diagnostics' % server['id']).body
        self.admin_api.microversion = 'latest'
        self.assertEqual('running', diags['status'])
        self.assertEqual(64 * 1024 * 1024, diags['memory'])
        self.assertEqual(64 * 1024 * 1024, diags['memory-limit'])
        self.assertGreater(diags['memory-actual'], 0)
        self.assertGreater(diags['cpu0_time'], 0)
        # The structured ones (2.48+); Nova's schema has no 'docker' driver
        # name, so 'driver' stays unset (the API logs a schema warning).
        structured = self.driver.get_instance_diagnostics(
            self._instance(server))
        self.assertEqual('running', structured.state)
        self.assertEqual('docker', structured.hypervisor)
        self.assertEqual(64, structured.memory_details.maximum)
        self.assertTrue(structured.cpu_details)
        # The command came from the image's os_command_line property.
        self.assertEqual(['sleep', '3600'],
                         self._container(server)['Config']['Cmd'])

    def test_rebuild_with_a_new_image_keeps_the_instance(self):
        server = self._boot()
        old = self._container(server)
        self.api.post_server_action(server['id'], {'rebuild': {
            'imageRef': base.HTTPD_IMAGE}})
        server = self._wait_for_state_change(server, 'ACTIVE')
        new = self._container(server)
        self.assertNotEqual(old['Id'], new['Id'])
        self.assertEqual(base.HTTPD_IMAGE,
                         new['Config']['Labels']['org.openstack.nova.image_id'])
        self.assertIn('httpd', ' '.join(new['Config']['Cmd']))
        self.assertTrue(new['State']['Running'])
        self.assertEqual(base.HTTPD_IMAGE, server['image']['id'])

    def test_soft_delete_and_restore(self):
        self.flags(reclaim_instance_interval=3600)
        server = self._boot()
        self.api.delete_server(server['id'])
        server = self._wait_for_state_change(server, 'SOFT_DELETED')
        self.assertEqual('exited', self._status(server))
        self.api.post_server_action(server['id'], {'restore': None})
        self._wait_for_state_change(server, 'ACTIVE')
        self.assertEqual('running', self._status(server))
