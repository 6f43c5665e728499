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

"""Bench: autoscaling reaction on the all-in-one.

As the tenant ``demo``, on the bench's own network: the stack of
examples/autoscaling_group.yaml (min 1, max 2 members of dos-httpd on
docker.tiny). Subject: from the start of a CPU load in the first
member's container (a busy loop, bounded in time) to the second member
ACTIVE, through Ceilometer's poll, Prometheus's scrape, Aodh's
evaluation, Heat's scaling policy and a Nova boot. The stack is made
anew for each round and deleted after it.

Baseline, same run: the loop's fixed parts from the all-in-one's settings
(Ceilometer's polling interval and Aodh's evaluation interval,
tools/aio/telemetry.py) plus one boot of the same server (image, flavor,
network) to ACTIVE as the same tenant, timed here. Targets (reported, not
asserted): reaction p50 <= 1.5 x baseline, and the whole loop under 45 s
(Kubernetes' HPA reacts in 15-90 s with its defaults).

Heat's part, same run: a stack of the same template, its grow policy
signalled directly through Heat's API (as Aodh's alarm does), timed to
the second member ACTIVE: Heat's signal handling and group update plus
the boot. The baseline above counts one boot only, not Heat's work, so
the reaction is also reported against poll + evaluation + this.

Starts the all-in-one if it is not running and stops it again in that
case. Everything the bench made is deleted at the end.
"""

import contextlib
import os
import sys
import time

from tests.bench import bench_aio_boot
from tests.bench import common
from tests.rig import waiting
from tools.aio import apps

ROUNDS = int(os.environ.get('BENCH_AIO_AUTOSCALE_ROUNDS', '3'))
NAME = 'bench-autoscale'
CLOUD = 'aio-demo'
CIDR = '10.33.0.0/24'
#: The group grows above this many CPUs per member: the busy loop uses up
#: to one, less on a busy machine.
CPU_HIGH = 0.3


class Bench:
    def __init__(self, lay):
        import docker
        import openstack
        from tools.aio import layout
        os.environ.update(OS_CLIENT_CONFIG_FILE=lay.clouds_yaml)
        self.conn = openstack.connect(cloud=CLOUD)
        self.clients = [docker.DockerClient(base_url=e.endpoint)
                        for e in lay.engines]
        with open(os.path.join(layout.ROOT, 'examples',
                               'autoscaling_group.yaml')) as f:
            self.template = f.read()
        self.network = self.conn.network.create_network(name=NAME)
        self.conn.network.create_subnet(network_id=self.network.id,
                                        name=NAME, ip_version=4, cidr=CIDR)
        c = self.conn.compute
        self.flavor = c.find_flavor('docker.tiny', ignore_missing=False)
        self.image = self.conn.image.find_image('dos-httpd',
                                                ignore_missing=False)

    def close(self):
        for server in self.conn.compute.servers(name=NAME):
            self.conn.compute.delete_server(server)
            self.conn.compute.wait_for_delete(server, wait=240)
        self.conn.network.delete_network(self.network)

    def boot(self):
        """One server to ACTIVE, the way a member boots; seconds."""
        c = self.conn.compute
        start = time.monotonic()
        server = c.create_server(name=NAME, image_id=self.image.id,
                                 flavor_id=self.flavor.id,
                                 networks=[{'uuid': self.network.id}])
        c.wait_for_server(server, interval=0.2, wait=240)
        took = time.monotonic() - start
        c.delete_server(server)
        c.wait_for_delete(server, wait=240)
        return took

    def _members(self, stack_id):
        return [s.id for s in self.conn.compute.servers(details=True)
                if s.status == 'ACTIVE'
                and s.metadata.get('metering.server_group') == stack_id]

    def reaction(self, n):
        """Seconds from the load's start to the second member ACTIVE."""
        with self._group('%s-%d' % (NAME, n)) as (stack, first):
            container = self._container(first)
            start = time.monotonic()
            container.exec_run(['sh', '-c', apps.load_script()],
                               detach=True)
            waiting.wait(lambda: len(self._members(stack.id)) >= 2,
                         apps.LOAD_SECONDS, 'the second member',
                         interval=0.5)
            took = time.monotonic() - start
            container.exec_run(['sh', '-c', apps.STOP_LOAD])
            return took

    def signalled(self, n):
        """Seconds from a direct signal of the grow policy to the second
        member ACTIVE."""
        with self._group('%s-signal-%d' % (NAME, n)) as (stack, _first):
            start = time.monotonic()
            resp = self.conn.orchestration.post(
                '/stacks/%s/%s/resources/grow/signal' % (stack.name,
                                                         stack.id), json={})
            resp.raise_for_status()
            waiting.wait(lambda: len(self._members(stack.id)) >= 2, 240,
                         'the second member', interval=0.5)
            return time.monotonic() - start

    @contextlib.contextmanager
    def _group(self, name):
        """A stack of the example with one member ACTIVE: (stack, the
        member's id); deleted after the block."""
        orch = self.conn.orchestration
        stack = orch.create_stack(
            name=name, template=self.template,
            parameters={'network': self.network.id, 'max_size': 2,
                        'cooldown': 10, 'cpu_high': CPU_HIGH})
        try:
            orch.wait_for_status(stack, status='CREATE_COMPLETE',
                                 failures=['CREATE_FAILED'], interval=1,
                                 wait=300)
            (first,) = waiting.wait(lambda: self._members(stack.id), 240,
                                    'the first member', interval=0.5)
            yield stack, first
        finally:
            orch.delete_stack(stack)
            orch.wait_for_delete(stack, interval=1, wait=300)

    def _container(self, server_id):
        label = 'org.openstack.nova.instance_uuid=%s' % server_id
        for client in self.clients:
            found = client.containers.list(filters={'label': label})
            if found:
                return found[0]
        raise RuntimeError('no container for %s' % server_id)


def main():
    from tools.aio import telemetry
    fixed = telemetry.POLL_INTERVAL + telemetry.EVALUATION_INTERVAL
    with bench_aio_boot.running_cloud() as lay:
        bench = Bench(lay)
        try:
            bench.boot()  # warm-up: the image loads into the engines
            boots, reactions, signals = [], [], []
            for n in range(1, ROUNDS + 1):
                boots.append(bench.boot())
                reactions.append(bench.reaction(n))
                signals.append(bench.signalled(n))
        finally:
            bench.close()
    b, r = common.summary(boots), common.summary(reactions)
    baseline = fixed + b['p50']
    figures = {
        'rounds': ROUNDS, 'poll_interval_s': telemetry.POLL_INTERVAL,
        'evaluation_interval_s': telemetry.EVALUATION_INTERVAL,
        'scrape_interval_s': telemetry.SCRAPE_INTERVAL,
        'boot_s': b, 'reaction_s': r, 'baseline_p50_s': baseline,
        'reaction_ratio_p50': r['p50'] / baseline,
        'targets': {'reaction_ratio_p50': 1.5, 'reaction_p50_s': 45.0}}
    sig = common.summary(signals)
    figures['signal_to_active_s'] = sig
    figures['reaction_over_heat_ratio_p50'] = r['p50'] / (fixed + sig['p50'])
    print('scale-out reaction (load to the new member ACTIVE) p50 %.1f s '
          'p95 %.1f s | poll %d s + evaluation %d s + boot p50 %.1f s = '
          '%.1f s (x%.2f; target <= 1.5 and < 45 s)'
          % (r['p50'], r['p95'], telemetry.POLL_INTERVAL,
             telemetry.EVALUATION_INTERVAL, b['p50'], baseline,
             figures['reaction_ratio_p50']), flush=True)
    print('Heat\'s part: the grow policy signalled to the new member '
          'ACTIVE p50 %.1f s; reaction / (poll + evaluation + that) x%.2f'
          % (sig['p50'], figures['reaction_over_heat_ratio_p50']),
          flush=True)
    common.write(figures)
    return 0


if __name__ == '__main__':
    sys.exit(main())
