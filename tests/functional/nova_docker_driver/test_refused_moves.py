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

"""A move the driver refuses (live migration) leaves the server as it was,
containers of deleted servers do not outlive them, and a resize prefers
the host that runs the container.

Two computes in one process on one engine, both with ``my_ip`` 127.0.0.1 as
in the all-in-one: Nova hands the driver only the destination's address,
which both share, so the driver must tell them apart by the migration.
"""

from unittest import mock
import uuid

from tests.functional.nova_docker_driver import base
from tests.functional.nova_docker_driver import helpers

docker_driver = base.docker_driver

MiB = 1024 * 1024


class _TwoComputes(base.DockerCloudTestCase):
    compute_driver = staticmethod(helpers.OneProcessDriver)
    compute_hosts = ('compute1', 'compute2')
    # The destination casts resize_instance to the source, as in a cloud:
    # a call would hand the source's refusal back to the destination's
    # prep_resize, which no real cloud does.
    CAST_AS_CALL = False

    def setUp(self):
        super().setUp()
        self.assertEqual(self.computes['compute1'].manager.driver._host,
                         'compute1')

    def _service(self, host, status):
        (svc,) = self.admin_api.get_services(binary='nova-compute',
                                             host=host)
        self.admin_api.put_service(svc['id'], {'status': status})

    def _boot_on_compute1(self, **kw):
        self._service('compute2', 'disabled')
        try:
            server = self._boot(**kw)
        finally:
            self._service('compute2', 'enabled')
        self.assertEqual('compute1', server['OS-EXT-SRV-ATTR:host'])
        return server

    def _assert_untouched(self, server, container, status, running):
        server = self.admin_api.get_server(server['id'])
        self.assertEqual(status, server['status'])
        self.assertIsNone(server['OS-EXT-STS:task_state'])
        self.assertEqual('compute1', server['OS-EXT-SRV-ATTR:host'])
        now = self._container(server)
        self.assertEqual(container['Id'], now['Id'])
        self.assertEqual(container['State']['StartedAt'],
                         now['State']['StartedAt'])
        self.assertEqual(running, now['State']['Running'])
        self.assertEqual(container['HostConfig']['Memory'],
                         now['HostConfig']['Memory'])
        return server

    def _delete_and_check_clean(self, server):
        self._delete_server(server)
        self.assertEqual([], self._containers(server))


class TestRefusedMoves(_TwoComputes):
    """Live migration needs CRIU, which this machine cannot run: refused,
    the server stays where it was. (Cold migration and resize to another
    host work: tests/functional/devstack/test_aio_migrate.py, on two
    engines.)"""

    def test_live_migration_is_refused_and_the_server_stays(self):
        server = self._boot_on_compute1()
        before = self._container(server)
        self.admin_api.post_server_action(
            server['id'], {'os-migrateLive': {'host': 'compute2',
                                              'block_migration': 'auto'}})
        self._wait_for_migration_status(server, ['error', 'failed'])
        self._assert_untouched(server, before, 'ACTIVE', True)
        self._delete_and_check_clean(server)


class TestDeletedServersContainers(base.DockerCloudTestCase):
    """Containers labelled for the host whose instance Nova deleted."""

    def _leftover(self, server_id):
        """A container as a delete that never reached the host leaves it."""
        return self.docker.api.create_container(
            'dos/idle:latest', labels={
                docker_driver.LABEL_HOST: 'compute1',
                docker_driver.LABEL_UUID: server_id})['Id']

    def _exists(self, container_id):
        return bool(self.docker.api.containers(
            all=True, filters={'id': container_id}))

    def test_reap_removes_containers_of_deleted_servers_only(self):
        gone = self._boot()
        self._delete_server(gone)
        leftover = self._leftover(gone['id'])
        self.docker.api.start(leftover)
        # Nova never had this one (a database restore): left alone.
        foreign = self._leftover(str(uuid.uuid4()))
        alive = self._boot()

        removed = self.driver._reconcile('compute1')
        self.assertEqual([leftover], [c.id for c in removed])
        self.assertFalse(self._exists(leftover))
        self.assertTrue(self._exists(foreign))
        self.assertEqual([foreign],
                         [c.id for c in self.driver.unknown_containers])
        self.assertTrue(self._container(alive)['State']['Running'])

    def test_a_pass_loads_no_instance_of_the_hosts_servers(self):
        # The pass runs every reconcile_interval: what it costs must not
        # grow with the host's servers (it once loaded every Instance).
        from nova import objects
        servers = [self._boot() for _ in range(3)]
        built = []
        real = objects.Instance._from_db_object

        def counting(context, instance, db_inst, *args, **kwargs):
            built.append(db_inst['uuid'])
            return real(context, instance, db_inst, *args, **kwargs)

        with mock.patch.object(objects.Instance, '_from_db_object',
                               side_effect=counting):
            self.assertEqual([], self.driver._reconcile('compute1'))
        self.assertEqual([], built)
        self.assertEqual([], self.driver.unknown_containers)
        for server in servers:
            self.assertTrue(self._container(server)['State']['Running'])

    def test_first_pass_at_compute_start_reaps(self):
        gone = self._boot()
        self._delete_server(gone)
        leftover = self._leftover(gone['id'])
        self.restart_compute_service(self.computes['compute1'])
        self.assertFalse(self._exists(leftover))

    def test_periodic_pass_reaps(self):
        self.flags(reconcile_interval=1, group='docker')
        self.restart_compute_service(self.computes['compute1'])
        gone = self._boot()
        self._delete_server(gone)
        leftover = self._leftover(gone['id'])
        self._wait(lambda: not self._exists(leftover), timeout=30,
                   what='the periodic pass to remove the leftover')

    def test_action_log_keeps_and_reports_them(self):
        self.flags(running_deleted_instance_action='log')
        gone = self._boot()
        self._delete_server(gone)
        leftover = self._leftover(gone['id'])
        self.assertEqual([], self.driver._reconcile('compute1'))
        self.assertTrue(self._exists(leftover))
        self.assertEqual([leftover],
                         [c.id for c in self.driver.unknown_containers])

    def test_timeout_keeps_them_until_it_passes(self):
        self.flags(running_deleted_instance_timeout=3600)
        gone = self._boot()
        self._delete_server(gone)
        leftover = self._leftover(gone['id'])
        self.assertEqual([], self.driver._reconcile('compute1'))
        self.assertTrue(self._exists(leftover))


class TestResizeStaysOnItsHost(_TwoComputes):
    """InPlaceResizeFilter: with both computes enabled, Nova's default RAM
    weigher prefers the emptier compute2; the filter keeps the resize on
    compute1, where the driver can do it."""

    def _setup_services(self):
        from nova.conf import CONF
        self.flags(enabled_filters=list(CONF.filter_scheduler.enabled_filters)
                   + ['InPlaceResizeFilter'],
                   available_filters=['nova.scheduler.filters.all_filters',
                                      'scheduler_filters.InPlaceResizeFilter'],
                   group='filter_scheduler')
        super()._setup_services()

    def test_resize_stays_on_the_host_that_runs_the_container(self):
        server = self._boot_on_compute1()
        before = self._container(server)
        server = self._resize_server(server, self._flavor(memory_mb=96))
        server = self.admin_api.get_server(server['id'])
        self.assertEqual('compute1', server['OS-EXT-SRV-ATTR:host'])
        after = self._container(server)
        self.assertEqual(before['Id'], after['Id'])
        self.assertEqual(96 * MiB, after['HostConfig']['Memory'])
        self._confirm_resize(server)
        self._delete_and_check_clean(server)

    def test_a_new_server_may_go_to_either_host(self):
        first = self._boot_on_compute1()
        second = self.admin_api.get_server(self._boot()['id'])
        # The RAM weigher spreads: the filter does not hold new servers.
        self.assertEqual('compute2', second['OS-EXT-SRV-ATTR:host'])
        for server in (first, second):
            self._delete_and_check_clean(server)
