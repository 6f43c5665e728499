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

"""`make demo`: a Docker-backed Nova in this process, end to end.

Brings up Nova in this process (API, conductor, scheduler, placement and one
nova-compute whose driver is ``nova_docker_driver.driver.DockerDriver``) on
SQLite and the project's private Docker engine, then through the Nova API:
uploads a `docker save` tarball to Glance, boots a container instance from
it with a Neutron port, shows its status, addresses, limits and console
output, and deletes it, checking that nothing is left on the engine or the
host. Glance and Neutron are Nova's own test fixtures (in memory); every
other part is real. Exits non-zero, with the reason, when a step fails.
"""

import logging
import os
import sys
import time
import unittest
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault('OS_NOVA_DISABLE_EVENTLET_PATCHING', '1')

from tests.functional.nova_docker_driver import base  # noqa: E402
from tests.functional.nova_docker_driver import helpers  # noqa: E402

from nova_docker_driver.network import linux_net  # noqa: E402
from nova_docker_driver.network import plugger  # noqa: E402
from nova_docker_driver.network import privsep  # noqa: E402

STARTED = time.monotonic()


def say(step, text=''):
    print('[%5.1fs] %-10s %s' % (time.monotonic() - STARTED, step, text),
          flush=True)


class Demo(base.DockerCloudTestCase):
    compute_hosts = ('demo-compute',)

    def setUp(self):
        privsep.run_in_process()
        self.addCleanup(privsep.run_in_process, False)
        super().setUp()
        # Neutron's ports here are OVS-bound; no Open vSwitch on this host,
        # so they are wired as plain veths into the container.
        self.flags(vif_type_map={'ovs': 'tap'}, group='docker_network')

    @property
    def driver(self):
        return self.computes['demo-compute'].manager.driver

    def test_demo(self):
        version = self.docker.version()
        hyp = self.admin_api.api_get(
            '/os-hypervisors/detail').body['hypervisors'][0]
        say('nova', 'up: API, conductor, scheduler, placement, compute %s'
            % hyp['service']['host'])
        inv = self._get_provider_inventory(
            self._get_provider_uuid_by_host(hyp['service']['host']))
        say('', 'hypervisor %s %s, placement: %d VCPU, %d MEMORY_MB, %d '
            'DISK_GB; Docker %s (API %s) at %s'
            % (hyp['hypervisor_type'], hyp['hypervisor_version'],
               inv['VCPU']['total'], inv['MEMORY_MB']['total'],
               inv['DISK_GB']['total'], version['Version'],
               version['ApiVersion'], self.driver.backend.endpoint()))

        data = helpers.save_image(self.docker, 'dos/httpd:latest')
        image_id = self._add_tarball_image(str(uuid.uuid4()), data,
                                           name='httpd')
        say('image', 'Glance image %s: container_format docker, a %d kB '
            'docker save tarball of dos/httpd' % (image_id, len(data) // 1024))

        flavor = self._flavor(memory_mb=128, vcpu=1, extra_spec={
            'docker:pids_limit': '64'})
        network = self.neutron.network_1['id']
        say('boot', 'POST /servers (flavor 128 MB, 1 vcpu, pids 64; '
            'network %s)' % network)
        t0 = time.monotonic()
        server = self._boot(image=image_id, flavor=flavor,
                            networks=[{'uuid': network}])
        say('', 'status %s in %.1f s' % (server['status'],
                                         time.monotonic() - t0))

        server = self.admin_api.get_server(server['id'])
        container = self._container(server)
        say('status', '%s, power state %d, host %s; container %s %s' % (
            server['status'], server['OS-EXT-STS:power_state'],
            server['OS-EXT-SRV-ATTR:host'], container['Id'][:12],
            container['State']['Status']))

        addresses = [(net, a['addr'], a.get('OS-EXT-IPS-MAC:mac_addr'))
                     for net, addrs in server['addresses'].items()
                     for a in addrs]
        for net, addr, mac in addresses:
            say('addresses', '%s %s (mac %s)' % (net, addr, mac))
        host_ends = linux_net.host_links_with_alias(
            plugger.alias_for(server['id']))
        say('', 'host end of the veth: %s' % ', '.join(host_ends))
        code, links = self._exec(server, 'ip', '-4', '-o', 'addr')
        say('', 'inside the container: ' + '; '.join(
            ' '.join(line.split()[1:4]) for line in links.splitlines()))
        for _net, addr, _mac in addresses:
            if ':' not in addr and addr not in links:
                self.fail('address %s is not inside the container' % addr)

        hc = container['HostConfig']
        cg = '/sys/fs/cgroup'
        say('limits', 'engine: memory %d MB, cpu quota %d/%d us, shares %d, '
            'pids %d' % (hc['Memory'] // 2 ** 20, hc['CpuQuota'],
                         hc['CpuPeriod'], hc['CpuShares'], hc['PidsLimit']))
        say('', 'cgroups: memory.limit_in_bytes %s, cpu.cfs_quota_us %s, '
            'cpu.shares %s, pids.max %s' % (
                self._read(server, cg + '/memory/memory.limit_in_bytes'),
                self._read(server, cg + '/cpu/cpu.cfs_quota_us'),
                self._read(server, cg + '/cpu/cpu.shares'),
                self._read(server, cg + '/pids/pids.max')))

        # A request to the httpd from inside the container gives it a log
        # line to show.
        self._exec(server, 'sh', '-c', 'printf "GET / HTTP/1.0\\r\\n\\r\\n" '
                   '| nc 127.0.0.1 8080')
        out = self.api.post_server_action(
            server['id'], {'os-getConsoleOutput': {'length': 10}})['output']
        say('console', '%d lines:' % len(out.splitlines()))
        for line in out.splitlines()[-5:]:
            say('', '  ' + line)
        if not out.strip():
            self.fail('the console output is empty')

        say('cleanup', 'DELETE /servers/%s' % server['id'])
        self._delete_server(server)
        left = self._containers(server)
        veths = linux_net.host_links_with_alias(
            plugger.alias_for(server['id']))
        self.assertEqual([], left, 'containers left behind')
        self.assertEqual([], veths, 'veths left behind')
        self.docker.api.remove_image('nova-glance:%s' % image_id)
        say('', 'no container, veth or cached image left')


def main():
    say('start', 'engine %s' % helpers.docker_engine.docker_host())
    # Nova's thread pools log their shutdown after the test's log capture
    # has ended; keep that out of the progress lines.
    logging.getLogger('nova.thread_pool_factory').setLevel(logging.WARNING)
    result = unittest.TestResult()
    Demo('test_demo').run(result)
    problems = result.errors + result.failures
    if problems or not result.wasSuccessful():
        for _test, trace in problems:
            # The trace carries Nova's whole captured log; show the error.
            print(trace[trace.rfind('Traceback'):], file=sys.stderr)
        say('FAILED', 'see the error above')
        return 1
    say('done', 'all steps passed')
    return 0


if __name__ == '__main__':
    sys.exit(main())
