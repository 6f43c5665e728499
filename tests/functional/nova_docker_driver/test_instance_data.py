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

"""User data, metadata, injected files and the key pair inside the container;
console output bounded."""

import base64
import json

from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives import serialization

from tests.functional.nova_docker_driver import base
from tests.functional.nova_docker_driver import helpers

DRIVE = '/var/lib/cloud/seed/config_drive'
NOBODY_IMAGE = '7f1c56c2-6a40-4c86-9a3e-9b7f7a6d0a04'


def _public_key():
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(serialization.Encoding.OpenSSH,
                            serialization.PublicFormat.OpenSSH).decode()


class TestInstanceData(base.DockerCloudTestCase):

    def _keypair(self, name):
        public = _public_key() + ' test@nova-docker'
        self.api.post_keypair({'keypair': {'name': name,
                                           'public_key': public}})
        return public

    def test_user_data_metadata_files_and_key_inside(self):
        public = self._keypair('k1')
        self.api.microversion = '2.56'  # personality files end at 2.57
        try:
            server = self._boot(
                user_data=base64.b64encode(b'#!/bin/sh\necho hi\n').decode(),
                metadata={'role': 'web'}, key_name='k1',
                personality=[{'path': '/etc/motd.d/hello',
                              'contents': base64.b64encode(
                                  b'injected!').decode()}])
        finally:
            self.api.microversion = 'latest'
        md = json.loads(self._read(
            server, DRIVE + '/openstack/latest/meta_data.json'))
        self.assertEqual(server['id'], md['uuid'])
        self.assertEqual({'role': 'web'}, md['meta'])
        self.assertEqual(public, md['public_keys']['k1'])
        self.assertEqual('#!/bin/sh\necho hi', self._read(
            server, DRIVE + '/openstack/latest/user_data'))
        # Booted without a network: an empty network_data.json.
        self.assertEqual({}, json.loads(self._read(
            server, DRIVE + '/openstack/latest/network_data.json')))
        self.assertEqual('injected!', self._read(server, '/etc/motd.d/hello'))
        self.assertEqual(public, self._read(
            server, '/root/.ssh/authorized_keys'))
        self.assertEqual('700 0', self._exec(
            server, 'stat', '-c', '%a %u', '/root/.ssh')[1].strip())
        # The tree is read-only to the tenant and not in a snapshot's layer.
        code, _out = self._exec(server, 'sh', '-c',
                                'echo x > %s/openstack/x' % DRIVE)
        self.assertNotEqual(0, code)
        diff = self.docker.api.diff(self._container(server)['Id'])
        # Only the (empty) mount point is in the container's own layer.
        self.assertFalse([d for d in diff
                          if d['Path'].startswith(DRIVE + '/')])

    def test_key_goes_to_the_images_user(self):
        self.glance.create(None, helpers.engine_image(
            NOBODY_IMAGE, 'dos/busybox:latest', name='busybox-nobody',
            os_command_line='sleep 3600', os_admin_user='nobody'))
        public = self._keypair('k2')
        server = self._boot(image=NOBODY_IMAGE, key_name='k2')
        self.assertEqual(public, self._read(server, '/.ssh/authorized_keys'))
        self.assertEqual('600 65534', self._exec(
            server, 'stat', '-c', '%a %u', '/.ssh/authorized_keys')[1].strip())

    def test_console_output_is_bounded(self):
        self.flags(console_log_bytes=1024, group='docker')
        server = self._boot(image=base.BUSYBOX_IMAGE)
        self._exec(server, 'sh', '-c',
                   'for i in $(seq 1 400); do echo line-$i-xxxxxxxx; done '
                   '> /proc/1/fd/1')
        out = self.api.post_server_action(
            server['id'], {'os-getConsoleOutput': {}})['output']
        self.assertLessEqual(len(out.encode()), 1024)
        self.assertIn('line-400-', out)
        self.assertNotIn('line-1-', out)
