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

"""Self-healing: changes made outside Nova, an engine that goes away, and
containers Nova does not know."""

import os
import subprocess

from nova.virt import event as virtevent
import pytest

from nova_docker_driver import exception
from tests.functional.nova_docker_driver import base
from tests.functional.nova_docker_driver import helpers
from tests.rig import docker_engine


class TestOutsideChanges(base.DockerCloudTestCase):
    # The power-state sync casts a stop while it holds the instance lock;
    # run casts as casts, as in a real cloud.
    CAST_AS_CALL = False

    @pytest.mark.slow
    def test_container_killed_outside_shows_shutoff(self):
        server = self._boot()
        self.docker.api.kill(self._container(server)['Id'])
        self.assertEqual(4, self.driver.get_info(
            self._instance(server)).state)
        # Nova's periodic power-state sync acts on what the driver reports.
        self._sync_power_states()
        server = self._wait_for_state_change(server, 'SHUTOFF')
        self.assertEqual(4, server['OS-EXT-STS:power_state'])
        # And it starts again through the API, same container.
        self._start_server(server)
        self._wait_for_state_change(server, 'ACTIVE')
        self.assertTrue(self._container(server)['State']['Running'])

    def test_container_that_exits_by_itself_shows_shutoff(self):
        # No periodic sync here: the driver's engine-event watcher tells
        # Nova at once.
        server = self._boot()
        self._exec(server, 'kill', '-TERM', '1')
        self._wait(lambda: self.api.get_server(server['id'])['status'] ==
                   'SHUTOFF', timeout=30, what='SHUTOFF from the event')
        self.assertFalse(self._container(server)['State']['Running'])

    def test_exit_code_of_a_finished_server_is_in_its_console_log(self):
        # A run-to-completion server: its process ends with code 5 by
        # itself; the tenant sees SHUTOFF and, in the console log, the end
        # of the output and the exit code.
        image = '7f1c56c2-6a40-4c86-9a3e-9b7f7a6d0a19'
        self.glance.create(None, helpers.engine_image(
            image, 'dos/busybox:latest', name='batch',
            os_command_line="sh -c 'echo batch step; sleep 3; "
                            "echo batch failed >&2; exit 5'"))
        server = self._boot(image=image)
        self._wait(lambda: self.api.get_server(server['id'])['status'] ==
                   'SHUTOFF', timeout=30, what='SHUTOFF after the exit')
        out = self.api.post_server_action(
            server['id'], {'os-getConsoleOutput': {}})['output']
        self.assertIn('batch step\nbatch failed\n', out)
        self.assertRegex(out.splitlines()[-1],
                         r'^\[docker-on-openstack\] the container process '
                         r'exited with code 5 at 20\d\d-')
        # The last line survives a length-limited request too.
        out = self.api.post_server_action(
            server['id'], {'os-getConsoleOutput': {'length': 1}})['output']
        self.assertIn('exited with code 5', out)
        self._delete_server(server)
        self.assertEqual([], self._containers(server))

    def test_the_drivers_own_boot_and_delete_are_not_echoed_to_nova(self):
        # The first start of a container the driver created and the death
        # of one it removes would only cost Nova a lookup while that very
        # task runs; a change made outside is still handed on.
        seen = []
        forward = self.driver._compute_event_callback

        def record(event):
            seen.append((event.get_instance_uuid(), event.get_transition()))
            return forward(event)
        self.driver._compute_event_callback = record
        kept, gone = self._boot(), self._boot()
        self._delete_server(gone)
        # The engine reports events in order: once the outside kill of
        # 'kept' arrived, the boots' and the delete's would have too.
        self.docker.api.kill(self._container(kept)['Id'])
        self._wait(lambda: seen, timeout=30, what='the outside kill event')
        self.assertEqual([(kept['id'], virtevent.EVENT_LIFECYCLE_STOPPED)],
                         seen)

    def test_events_off_means_the_periodic_sync_decides(self):
        self.flags(lifecycle_events=False, group='docker')
        self.restart_compute_service(self.computes['compute1'])
        server = self._boot()
        self._exec(server, 'kill', '-TERM', '1')
        self._wait(lambda: not self._container(server)['State']['Running'],
                   what='container exit')
        self.assertEqual('ACTIVE', self.api.get_server(server['id'])['status'])
        self._sync_power_states()
        self._wait_for_state_change(server, 'SHUTOFF')

    def test_init_host_reports_unknown_containers_and_keeps_them(self):
        known = self._boot()
        stray = self.docker.api.create_container(
            'dos/idle:latest', labels={
                'org.openstack.nova.host': 'compute1',
                'org.openstack.nova.instance_uuid':
                    '00000000-0000-4000-8000-00000000beef'})['Id']
        self.driver.init_host('compute1')
        reported = [c.id for c in self.driver.unknown_containers]
        self.assertEqual([stray], reported)
        # Nothing was removed, Nova's own instance is still fine.
        self.docker.api.inspect_container(stray)
        self.assertTrue(self._container(known)['State']['Running'])


def _engine(action):
    subprocess.run([os.path.join(docker_engine.ROOT, 'tools',
                                 'docker-engine.sh'), action],
                   check=True, capture_output=True, timeout=120)


def _engine_answers():
    try:
        client = docker_engine.client(timeout=5)  # asks the engine already
    except Exception:  # noqa: BLE001 - any failure means it does not
        return False
    try:
        return client.ping()
    except Exception:  # noqa: BLE001
        return False
    finally:
        client.close()


@pytest.mark.slow
class TestEngineStopsDuringBoot(base.DockerCloudTestCase):
    """The engine is stopped after the create, as the start is asked for."""

    def _setup_services(self):
        tmp = self.useFixture(helpers.fixtures.TempDir()).path
        target = docker_engine.docker_host()[len('unix://'):]
        # The start request is held back while the real engine stops.
        self.proxy = helpers.EngineProxy(os.path.join(tmp, 'engine.sock'),
                                         target, fail_on=b'/start',
                                         on_trip=lambda: _engine('stop'))
        self.addCleanup(self.proxy.stop)
        super()._setup_services()
        # Before the engine clean-up fixture's own clean-up (LIFO): the
        # engine is back whatever the test did.
        self.addCleanup(_engine, 'start')
        # The compute's driver builds its client at the first call, after
        # this point (init_host runs in super(); the proxy passes that).
        self.flags(endpoint=self.proxy.endpoint(), group='docker')

    def _setup_compute_service(self):
        self.flags(endpoint=self.proxy.endpoint(), group='docker')
        return super()._setup_compute_service()

    def test_engine_gone_gives_error_with_clear_fault_then_clean_delete(self):
        server = self._boot(expected_state='ERROR')
        self.assertTrue(self.proxy.tripped.is_set())
        self.assertTrue(self.proxy.trip_done.wait(120))
        self.assertFalse(_engine_answers())  # really stopped
        fault = self._fault(server)
        self.assertIn('Docker engine at unix://', fault)
        self.assertIn('is unavailable', fault)
        # The engine comes back: the half-made container is still there.
        _engine('start')
        self.proxy.resume()
        self.assertEqual(1, len(self._containers(server)))
        # Nova clears the host of an aborted build, so deleting it is an
        # API-only delete; the compute's periodic clean-up of deleted
        # instances still on the hypervisor ("reap", the default) removes
        # the container through the driver.
        self._delete_server(server)
        from nova import context as nova_context
        self.computes['compute1'].manager._cleanup_running_deleted_instances(
            nova_context.get_admin_context())
        self.assertEqual([], self._containers(server))
        self.assertFalse(os.path.exists(os.path.join(
            self.tmp, 'instances', server['id'])))


@pytest.mark.slow
class TestEngineRestart(base.DockerCloudTestCase):
    CAST_AS_CALL = False

    def test_instances_survive_an_engine_restart(self):
        server = self._boot()
        cid = self._container(server)['Id']
        _engine('stop')
        try:
            # While it is down Nova's view is unchanged: nothing is deleted.
            self.assertRaises(exception.EngineUnavailable,
                              self.driver.get_info, self._instance(server))
        finally:
            _engine('start')
        # The engine stopped the container; the driver says so, and tells
        # Nova when its events are back (the 'die' came while the engine
        # went, and the restarted engine forgot it): no periodic power
        # sync needed.
        self.assertEqual(4, self.driver.get_info(
            self._instance(server)).state)
        self._wait_for_state_change(server, 'SHUTOFF')
        # Nothing lost: the same container starts again, with its data.
        self._start_server(server)
        self._wait_for_state_change(server, 'ACTIVE')
        self.assertEqual(cid, self._container(server)['Id'])
        self.assertIn(server['id'], self._read(
            server, '/var/lib/cloud/seed/config_drive/openstack/latest/'
                    'meta_data.json'))
