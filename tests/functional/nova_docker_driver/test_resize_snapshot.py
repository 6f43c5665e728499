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

"""Resize changes the limits of the running container; snapshots go to
Glance as docker save tarballs and boot again."""

import pytest

from tests.functional.nova_docker_driver import base

MiB = 1024 * 1024


class TestResize(base.DockerCloudTestCase):

    def _limits(self, server):
        hc = self._container(server)['HostConfig']
        cg = '/sys/fs/cgroup'
        return (hc['Memory'], hc['CpuQuota'], hc['CpuShares'],
                int(self._read(server, cg + '/memory/memory.limit_in_bytes')),
                int(self._read(server, cg + '/cpu/cpu.cfs_quota_us')),
                int(self._read(server, cg + '/cpu/cpu.shares')))

    def _pids_and_cpuset(self, server):
        """(pids limit, cpus) as the engine and as the kernel have them."""
        from nova.virt import hardware
        hc = self._container(server)['HostConfig']
        cg = '/sys/fs/cgroup'
        return (hc['PidsLimit'], hardware.parse_cpu_spec(hc['CpusetCpus']),
                int(self._read(server, cg + '/pids/pids.max')),
                hardware.parse_cpu_spec(
                    self._read(server, cg + '/cpuset/cpuset.cpus')))

    @pytest.mark.slow
    def test_resize_changes_limits_live_then_confirm_and_revert(self):
        small = self._flavor(memory_mb=64, vcpu=1, extra_spec={
            'docker:pids_limit': '40', 'docker:cpuset': '0'})
        big = self._flavor(memory_mb=160, vcpu=2, extra_spec={
            'docker:pids_limit': '80', 'docker:cpuset': '0-1'})
        server = self._boot(flavor=small)
        started = self._container(server)['State']['StartedAt']
        self.assertEqual((64 * MiB, 100000, 1024, 64 * MiB, 100000, 1024),
                         self._limits(server))
        self.assertEqual((40, {0}, 40, {0}), self._pids_and_cpuset(server))

        server = self._resize_server(server, big)
        self.assertEqual((160 * MiB, 200000, 2048, 160 * MiB, 200000, 2048),
                         self._limits(server))
        self.assertEqual((80, {0, 1}, 80, {0, 1}),
                         self._pids_and_cpuset(server))
        # The same process kept running: no restart.
        self.assertEqual(started,
                         self._container(server)['State']['StartedAt'])
        self._confirm_resize(server)
        self.assertEqual(160 * MiB, self._limits(server)[3])

        server = self._resize_server(server, small)
        self.assertEqual(64 * MiB, self._limits(server)[3])
        self.assertEqual((40, {0}, 40, {0}), self._pids_and_cpuset(server))
        self._revert_resize(server)
        self.assertEqual((160 * MiB, 200000, 2048, 160 * MiB, 200000, 2048),
                         self._limits(server))
        self.assertEqual((80, {0, 1}, 80, {0, 1}),
                         self._pids_and_cpuset(server))
        self.assertEqual(started,
                         self._container(server)['State']['StartedAt'])
        self.assertTrue(self._container(server)['State']['Running'])


class TestSnapshot(base.DockerCloudTestCase):

    def setUp(self):
        super().setUp()
        # Nova's Glance fixture drops uploaded data and ignores
        # purge_props; keep both, as Glance does.
        glance = self.glance
        real_update = glance.update

        def update(context, image_id, metadata, data=None,
                   purge_props=False):
            if data is not None:
                glance._imagedata[image_id] = b''.join(iter(data))
            if purge_props and 'properties' in metadata:
                glance.images[image_id]['properties'] = {}
            return real_update(context, image_id, metadata,
                               purge_props=False)
        glance.update = update

    def _snapshot(self, server, name):
        self._snapshot_server(server, name)

        def uploaded():
            found = [i for i in self.glance.images.values()
                     if i['name'] == name]
            return (found and found[0].get('container_format') and
                    found[0]['id'] in self.glance._imagedata)
        # The upload runs in the compute's task pool.
        self._wait(uploaded, what='snapshot upload')
        self._wait_for_state_change(server, server['status'])
        return [i for i in self.glance.images.values()
                if i['name'] == name][0]

    def test_snapshot_reports_nova_task_states_in_order(self):
        from nova.compute import task_states
        from nova import context as nova_context
        server = self._boot(image=base.BUSYBOX_IMAGE)
        ctx = nova_context.get_admin_context()
        image_id = self.glance.create(ctx, {'name': 'snap-direct'})['id']
        calls = []

        def update_task_state(task_state, expected_state=None):
            # What had happened by then: the commit, the upload.
            committed = any(
                t == 'nova-snapshot:%s' % image_id
                for i in self.docker.api.images()
                for t in i.get('RepoTags') or ())
            calls.append((task_state, expected_state, committed,
                          image_id in self.glance._imagedata))

        self.driver.snapshot(ctx, self._instance(server), image_id,
                             update_task_state)
        self.assertEqual(
            [(task_states.IMAGE_PENDING_UPLOAD, None, False, False),
             (task_states.IMAGE_UPLOADING, task_states.IMAGE_PENDING_UPLOAD,
              True, False)], calls)
        self.assertIn(image_id, self.glance._imagedata)

    @pytest.mark.slow
    def test_snapshot_running_and_stopped_then_boot_it(self):
        engine_images = {i['Id'] for i in self.docker.api.images()}
        server = self._boot(image=base.BUSYBOX_IMAGE)
        self._exec(server, 'sh', '-c', 'echo snap-data > /root/state')
        image = self._snapshot(server, 'snap-running')
        self.assertEqual('docker', image['container_format'])
        self.assertEqual('raw', image['disk_format'])
        self.assertNotIn('docker_image', image['properties'])
        self.assertEqual('sleep 3600',
                         image['properties']['os_command_line'])
        data = self.glance._imagedata[image['id']]
        self.assertGreater(len(data), 1000)
        # The engine keeps no copy of the snapshot.
        self.assertEqual(engine_images,
                         {i['Id'] for i in self.docker.api.images()})
        self.assertTrue(self._container(server)['State']['Running'])

        # A stopped instance snapshots too (Nova allows it).
        self._stop_server(server)
        stopped = self._snapshot(self._show_server(server), 'snap-stopped')
        self.assertGreater(len(self.glance._imagedata[stopped['id']]), 1000)

        clone = self._boot(image=image['id'])
        self.assertEqual('snap-data', self._read(clone, '/root/state'))
        self.assertEqual(['sleep', '3600'],
                         self._container(clone)['Config']['Cmd'])
