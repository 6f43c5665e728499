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

"""Bench: an Octavia load balancer (provider ovn) on the all-in-one.

Everything as the tenant ``demo``, through openstacksdk, on the bench's
own network (a subnet on a router of its own, no gateway to public), with
two Nova servers of dos/httpd as members and a dos/idle server as the
client, in a security group that opens tcp 8080.

1. Create to serving. Subject: one POST of a fully populated load
   balancer (provider ovn, a TCP listener on port 80, a pool, both
   members: Octavia's graph create, one request as Heat or a script
   would send) on the subnet, with a VIP address the bench picks (a new
   one each round); timed from the POST to ACTIVE (the API polled every
   0.1 s) and to the first TCP reply through the VIP, asked by a probe in
   the client container's network namespace (a connect every 10 ms with
   0.2 s timeouts, bounded). "ACTIVE-and-serving" is the later of the
   two. The probe asks before the VIP exists, so its kernel's ARP for
   the VIP fails first and would be retried only every second (Linux's
   default neighbour retransmit time): the bench sets the client's
   ``retrans_time_ms`` to 20 ms, so the probe sees the VIP when OVN
   answers, not at the kernel's next retry. Baseline, same run, same
   tenant: ``port create`` on the same network (one Neutron write: the
   API call), the port deleted again.
   Samples alternate (port, load balancer), each load balancer deleted
   (cascade) before the next. Targets (reported, not asserted):
   serving p50 <= 5 x port create p50 and under 5 s.
2. Throughput: from the client container, a bounded loop of
   ``BENCH_AIO_LB_REQUESTS`` HTTP/1.0 requests (``nc``, one connection
   each) to one member directly, and the same loop to the VIP, rounds
   alternating; each loop timed around its ``docker exec`` and every
   answer checked. Ratio: requests per second through the VIP / direct.
   Target (reported): >= 0.8.

Where the time goes (2026-12-07, Octavia's debug log, an OVN NB
monitor, per-process CPU accounting, on this shared 2-CPU machine). The
figures add ``lb_post_s``: the POST until Octavia answers.

- The POST (p50 1.6 x a port create): Octavia checks the subnet with
  the tenant's token, builds its Neutron network driver twice (four
  extension look-ups each), has the OVN provider create the VIP port
  (one port create, the baseline itself, and a port list) and writes
  the graph with its quota checks.
- Then the OVN provider's single request thread, in order: lb_create
  (Neutron reads, the NB Load_Balancer row and its router and switch),
  listener_create, pool_create, member_create; after each of the first
  three a status update to the driver agent must return before the
  next starts, and only member_create writes the VIP's backends to NB.
  From that write the first reply comes within about 30 ms (northd,
  ovn-controller, the ARP for the VIP, the probe): OVN is not the
  limit. ACTIVE (the load balancer's own status) comes with the first
  status update; serving about three updates later.
- A status update is Octavia's driver agent forking a process per
  update (socketserver's ForkingMixIn), which opens a database engine
  and writes, while octavia_lib in the API reads the answer one byte
  at a time with a 10 ms sleep after each: upstream, not configurable.
  The all-in-one maps Octavia's models in the agent before it forks
  (child CPU per update 0.149 s -> 0.065 s) and gives Octavia Neutron's
  address (``[neutron] endpoint_override``), which removes a password
  login to Keystone (0.36 s of Keystone CPU, bcrypt) from every create.
  Same load, before/after: serving p50 2.73 s -> 2.30 s, ratio 5.37 ->
  3.48.
- CPU per load balancer (create, serve, cascade delete) against a port
  create and delete: driver agent 0.81 s, Neutron 0.60 s, octavia-api
  0.55 s, MariaDB 0.20 s, Keystone 0.11 s (background); the port:
  Neutron 0.44 s, MariaDB 0.10 s. Without the two settings, same
  session: driver agent 1.23 s, Keystone 0.46 s. On
  a busy machine the port create stretches more than the load balancer,
  whose steps partly wait: compare ratios from runs at similar load
  (``machine.python_loop_s``).

Starts the all-in-one if it is not running and stops it again in that
case. Everything the bench made is deleted at the end.
"""

import os
import subprocess
import sys
import time

from tests.bench import bench_aio_boot
from tests.bench import bench_aio_net
from tests.bench import common

ROUNDS = int(os.environ.get('BENCH_AIO_LB_ROUNDS', '7'))
REQUESTS = int(os.environ.get('BENCH_AIO_LB_REQUESTS', '200'))
TPUT_ROUNDS = int(os.environ.get('BENCH_AIO_LB_TPUT_ROUNDS', '5'))
CLOUD = 'aio-demo'
NAME = 'bench-lb'
CIDR = '10.98.0.0/24'
VIP = '10.98.0.%d'   # 100 + round
POOL = {'start': '10.98.0.2', 'end': '10.98.0.99'}  # everything else
WEB_PORT = 8080
VIP_PORT = 80
POLL_S = 0.1
PROBE_TIMEOUT_S = 60
ARP_RETRANS_MS = 20  # the client's (see above)
LABEL_UUID = 'org.openstack.nova.instance_uuid'


class Probe:
    """bench_aio_net's probe, run in a container's network namespace:
    start(), then wait() for the epoch of the first HTTP 200."""

    def __init__(self, pid, ip, port):
        self.argv = ['nsenter', '-t', str(pid), '-n', sys.executable, '-c',
                     bench_aio_net.PROBE, ip, str(port),
                     str(PROBE_TIMEOUT_S)]
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)

    def wait(self):
        try:
            out, err = self.proc.communicate(timeout=PROBE_TIMEOUT_S + 10)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        if self.proc.returncode:
            raise RuntimeError('probe: %s' % err.strip())
        return float(out)


class Bench:
    def __init__(self, lay):
        import docker
        import openstack
        os.environ.update(OS_CLIENT_CONFIG_FILE=lay.clouds_yaml)
        self.conn = openstack.connect(cloud=CLOUD)
        self.lbc = self.conn.load_balancer
        self.net = self.conn.network
        self.clients = [docker.DockerClient(base_url=e.endpoint)
                        for e in lay.engines]
        self.servers = {}
        self.network = self.subnet = self.router = self.group = None

    # -- set-up and clean-up ------------------------------------------------

    def setup(self):
        n, c = self.net, self.conn.compute
        self.network = n.create_network(name=NAME)
        # The servers' addresses come from below the VIPs the bench picks
        # (VIP), so a server never holds a round's VIP.
        self.subnet = n.create_subnet(network_id=self.network.id, name=NAME,
                                      ip_version=4, cidr=CIDR,
                                      allocation_pools=[POOL])
        # The VIP's ARP is answered by the router (OVN answers it on
        # router ports only): see the README's load balancer section.
        self.router = n.create_router(name=NAME)
        n.add_interface_to_router(self.router, subnet_id=self.subnet.id)
        self.group = n.create_security_group(name=NAME)
        n.create_security_group_rule(
            security_group_id=self.group.id, direction='ingress',
            protocol='tcp', port_range_min=WEB_PORT, port_range_max=WEB_PORT)
        flavor = c.find_flavor('docker.tiny', ignore_missing=False)
        for name, image in (('m1', 'dos-httpd'), ('m2', 'dos-httpd'),
                            ('client', 'dos-idle')):
            image_id = self.conn.image.find_image(image,
                                                  ignore_missing=False).id
            self.servers[name] = c.create_server(
                name='%s-%s' % (NAME, name), image_id=image_id,
                flavor_id=flavor.id, networks=[{'uuid': self.network.id}],
                security_groups=[{'name': self.group.id}]).id
        self.addresses = {}
        for name, sid in self.servers.items():
            server = c.wait_for_server(c.get_server(sid), interval=1,
                                       wait=240)
            (addr,) = server.addresses[NAME]
            self.addresses[name] = addr['addr']
        self.client = self._container(self.servers['client'])
        self.client_pid = self.client.attrs['State']['Pid']
        subprocess.run(['nsenter', '-t', str(self.client_pid), '-n',
                        'sysctl', '-q', '-w',
                        'net.ipv4.neigh.eth0.retrans_time_ms=%d'
                        % ARP_RETRANS_MS], check=True)

    def _container(self, server_id):
        for client in self.clients:
            found = client.containers.list(
                filters={'label': '%s=%s' % (LABEL_UUID, server_id)})
            if found:
                return found[0]
        raise RuntimeError('no container for server %s' % server_id)

    def close(self):
        c, n = self.conn.compute, self.net
        steps = [lambda lb=lb: self._delete_lb(lb.id)
                 for lb in self.lbc.load_balancers(name=NAME)]
        steps += [lambda p=p: n.delete_port(p.id)
                  for p in (n.ports(network_id=self.network.id)
                            if self.network else [])
                  if p.name.startswith(NAME)]
        steps += [lambda sid=sid: c.delete_server(sid)
                  for sid in self.servers.values()]
        steps += [lambda sid=sid: c.wait_for_delete(
            c.get_server(sid), interval=1, wait=120)
            for sid in self.servers.values()]
        if self.router is not None:
            steps += [lambda: n.remove_interface_from_router(
                self.router, subnet_id=self.subnet.id),
                lambda: n.delete_router(self.router)]
        if self.network is not None:
            steps.append(lambda: n.delete_network(self.network.id))
        if self.group is not None:
            steps.append(lambda: n.delete_security_group(self.group.id))
        problems = []
        for step in steps:
            try:
                step()
            except Exception as exc:  # noqa: BLE001 - each step is tried
                if 'NotFound' not in type(exc).__name__:
                    problems.append(repr(exc))
        for client in self.clients:
            client.close()
        if problems:
            raise RuntimeError('clean-up: %s' % '; '.join(problems))

    # -- samples ------------------------------------------------------------

    def port_create(self, n):
        start = time.monotonic()
        port = self.net.create_port(network_id=self.network.id,
                                    name='%s-port-%d' % (NAME, n))
        elapsed = time.monotonic() - start
        self.net.delete_port(port.id)
        return elapsed

    def _graph(self, vip):
        members = [{'address': self.addresses[m], 'protocol_port': WEB_PORT,
                    'subnet_id': self.subnet.id, 'name': m}
                   for m in ('m1', 'm2')]
        return dict(
            name=NAME, provider='ovn', vip_subnet_id=self.subnet.id,
            vip_address=vip, listeners=[{
                'name': NAME, 'protocol': 'TCP', 'protocol_port': VIP_PORT,
                'default_pool': {'name': NAME, 'protocol': 'TCP',
                                 'lb_algorithm': 'SOURCE_IP_PORT',
                                 'members': members}}])

    def _wait_active(self, lb_id, timeout=120):
        deadline = time.monotonic() + timeout
        while True:
            lb = self.lbc.get_load_balancer(lb_id)
            if lb.provisioning_status == 'ACTIVE':
                return time.time()
            if lb.provisioning_status == 'ERROR' or \
                    time.monotonic() > deadline:
                raise RuntimeError('load balancer %s is %s' % (
                    lb_id, lb.provisioning_status))
            time.sleep(POLL_S)

    def _delete_lb(self, lb_id, timeout=120):
        self.lbc.delete_load_balancer(lb_id, cascade=True)
        deadline = time.monotonic() + timeout
        while self.lbc.find_load_balancer(lb_id) is not None:
            if time.monotonic() > deadline:
                raise RuntimeError('load balancer %s not deleted' % lb_id)
            time.sleep(POLL_S)

    def lb_create(self, n, keep=False):
        """(seconds to the POST's answer, to ACTIVE, to the first
        reply), all from the POST; with ``keep`` the load balancer stays
        (its id in self.kept)."""
        vip = VIP % (100 + n)
        probe = Probe(self.client_pid, vip, VIP_PORT)
        posted = time.time()
        lb = self.lbc.create_load_balancer(**self._graph(vip))
        accepted = time.time() - posted
        try:
            probe.start()
            active = self._wait_active(lb.id) - posted
            reply = probe.wait() - posted
        except Exception:
            self._delete_lb(lb.id)
            raise
        if keep:
            self.kept = lb.id
        else:
            self._delete_lb(lb.id)
        return accepted, active, reply

    def requests(self, ip, port):
        """Seconds for REQUESTS requests from the client container, one
        connection each; raises unless every one was answered 200."""
        script = ("i=0; while [ $i -lt %d ]; do i=$((i+1)); "
                  "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 %s %d "
                  "| head -1; done" % (REQUESTS, ip, port))
        start = time.monotonic()
        result = self.client.exec_run(['sh', '-c', script])
        elapsed = time.monotonic() - start
        answered = result.output.decode(errors='replace').count(' 200 ')
        if answered != REQUESTS:
            raise RuntimeError('%d of %d requests to %s:%d answered 200'
                               % (answered, REQUESTS, ip, port))
        return elapsed


def main():
    with bench_aio_boot.running_cloud() as lay:
        bench = Bench(lay)
        try:
            bench.setup()
            bench.port_create(0)
            bench.lb_create(0)  # warm-up
            ports, lbs = [], []
            for n in range(1, ROUNDS + 1):
                ports.append(bench.port_create(n))
                lbs.append(bench.lb_create(n))
            bench.lb_create(ROUNDS + 1, keep=True)
            vip = VIP % (100 + ROUNDS + 1)
            direct, through = [], []
            bench.requests(bench.addresses['m1'], WEB_PORT)  # warm-up
            for _ in range(TPUT_ROUNDS):
                direct.append(REQUESTS / bench.requests(
                    bench.addresses['m1'], WEB_PORT))
                through.append(REQUESTS / bench.requests(vip, VIP_PORT))
        finally:
            bench.close()
    p = common.summary(ports)
    accepted = common.summary([s[0] for s in lbs])
    active = common.summary([s[1] for s in lbs])
    serving = common.summary([max(s[1:]) for s in lbs])
    d, v = common.summary(direct), common.summary(through)
    figures = {
        'rounds': ROUNDS, 'requests': REQUESTS, 'tput_rounds': TPUT_ROUNDS,
        'port_create_s': p, 'lb_post_s': accepted, 'lb_active_s': active,
        'lb_serving_s': serving,
        'post_ratio_p50': accepted['p50'] / p['p50'],
        'serving_ratio_p50': serving['p50'] / p['p50'],
        'serving_ratio_p95': serving['p95'] / p['p95'],
        'direct_rps': d, 'vip_rps': v,
        'throughput_ratio_p50': v['p50'] / d['p50'],
        'targets': {'serving_ratio_p50': 5.0, 'serving_p50_s': 5.0,
                    'throughput_ratio_p50': 0.8}}
    print('load balancer (ovn) POST answered p50 %.3f s, ACTIVE p50 %.3f s, '
          'serving p50 %.3f s p95 %.3f s | port create p50 %.3f s p95 %.3f s '
          '(x%.2f / x%.2f; target <= 5 and < 5 s)'
          % (accepted['p50'], active['p50'], serving['p50'], serving['p95'],
             p['p50'],
             p['p95'], figures['serving_ratio_p50'],
             figures['serving_ratio_p95']), flush=True)
    print('requests through the VIP p50 %.1f/s | direct to one member p50 '
          '%.1f/s (ratio %.2f; target >= 0.8)'
          % (v['p50'], d['p50'], figures['throughput_ratio_p50']),
          flush=True)
    common.write(figures)
    return 0


if __name__ == '__main__':
    sys.exit(main())
