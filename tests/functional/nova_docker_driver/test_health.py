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

"""Issue #19 point 3 for Nova servers: an image that declares a health
check gives a server that is ACTIVE only once its container is healthy, so
Heat's rolling updates of OS::Nova::Server groups wait for healthy members;
an unhealthy one fails the build with the reason and leaves nothing."""

from tests.functional.nova_docker_driver import base
from tests.functional.nova_docker_driver import helpers

RELEASE = '7f1c56c2-6a40-4c86-9a3e-9b7f7a6d0a21'
BAD = '7f1c56c2-6a40-4c86-9a3e-9b7f7a6d0a22'


class TestHealthGatedBoot(base.DockerCloudTestCase):

    def setUp(self):
        super().setUp()
        self.glance.create(None, helpers.engine_image(
            RELEASE, 'dos/release-1:latest', name='release-1'))
        self.glance.create(None, helpers.engine_image(
            BAD, 'dos/release-bad:latest', name='release-bad'))

    def test_active_only_once_healthy(self):
        server = self._boot(image=RELEASE)
        # ACTIVE was reached after the health check passed, not before.
        state = self._container(server)['State']
        self.assertEqual('healthy', state['Health']['Status'])
        passed = [c for c in state['Health']['Log'] if c['ExitCode'] == 0]
        self.assertTrue(passed)
        self._delete_server(server)
        self.assertEqual([], self._containers(server))

    def test_unhealthy_image_fails_the_build_and_leaves_nothing(self):
        server = self._boot(image=BAD, expected_state='ERROR')
        fault = self._fault(server)
        self.assertIn('unhealthy', fault)
        self.assertIn('GET /healthz: not 200 OK', fault)
        self.assertEqual([], self._containers(server))
        self._delete_server(server)
