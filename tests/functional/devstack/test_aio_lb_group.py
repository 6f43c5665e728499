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

"""Issue #20 point 3 on the all-in-one, as the tenant ``demo``:
examples/lb_group.yaml, an AutoScalingGroup of Docker servers each
registered in an Octavia pool (provider ovn) by its own
OS::Octavia::PoolMember. The VIP answers from both members; a release
(a new image) done by a rolling update while a container on the subnet
asks the VIP every 200 ms loses no request, and afterwards the pool holds
the new servers only; a scale-out adds a member to the pool, again with no
request lost; deleting the stack leaves nothing in Octavia, Neutron or
OVN's northbound database (the ``aio`` fixture checks the engines).

Requests go only from the module's own client server to the module's own
load balancer, in bounded loops.
"""

import collections
import os
import time

import pytest
from heatclient.common import template_utils

from tests.functional.devstack.conftest import stack_settled
from tests.functional.devstack.conftest import wait
from tests.functional.devstack.lbtools import best_effort
from tests.functional.devstack.lbtools import count_from
from tests.functional.devstack.lbtools import exec_in
from tests.functional.devstack.lbtools import http_get
from tests.functional.devstack.lbtools import lb_ports
from tests.functional.devstack.lbtools import ovn_lbs
from tests.functional.devstack.lbtools import servers_gone
from tools.aio import bootstrap
from tools.aio import layout as layout_mod

pytestmark = [pytest.mark.slow, pytest.mark.docker]

CLOUD = 'aio-demo'
PREFIX = 'lbg-e2e'
CIDR = '10.33.0.0/24'
VIP_PORT = 80
# The release images: dos/release-N (HEALTHCHECK of GET /healthz, so a
# server is ACTIVE only once its container is healthy) with a command
# that also serves "<release> <hostname>" on /who.
RELEASES = {'%s-1' % PREFIX: 'dos/release-1:latest',
            '%s-2' % PREFIX: 'dos/release-2:latest'}
COMMAND = ('sh -c "trap \'exit 0\' TERM INT; '
           'echo $(cat /www/index.html) $(hostname) > /www/who; '
           'httpd -f -p 8080 -h /www & wait $!"')
PROBE_MAX = 3000        # 200 ms apart: ten minutes at most
PROBE_FILE = '/tmp/lbg-probe'


def _template():
    path = os.path.join(layout_mod.ROOT, 'examples', 'lb_group.yaml')
    files, template = template_utils.get_template_contents(
        template_file=path)
    return files, template


class Env:
    """What the module made: demo's network, router and client server,
    and the release images."""

    def __init__(self, aio):
        self.aio = aio
        self.conn, self.admin = aio.sdk(CLOUD), aio.sdk('aio-admin')
        self.heat = aio.heat(CLOUD)
        self.network = self.subnet = self.router = self.group = None
        self.client = None
        self.images = []


@pytest.fixture(scope='module')
def env(aio):
    env = Env(aio)
    n = env.conn.network
    try:
        admin_sess = aio.session('aio-admin')
        for name, ref in RELEASES.items():
            env.images.append(bootstrap.upload_docker_image(
                aio.lay, admin_sess, name, ref, os_command_line=COMMAND))
        env.network = n.create_network(name=PREFIX).id
        env.subnet = n.create_subnet(
            network_id=env.network, name=PREFIX + '-subnet', ip_version=4,
            cidr=CIDR).id
        # No external gateway: the router only answers the VIP on the
        # subnet and routes to the members (README, load balancers).
        env.router = n.create_router(name=PREFIX + '-router').id
        n.add_interface_to_router(env.router, subnet_id=env.subnet)
        # The client takes no connection: a group with egress only.
        env.group = n.create_security_group(name=PREFIX + '-client').id
        c = env.conn.compute
        flavor = c.find_flavor('docker.tiny', ignore_missing=False)
        image = env.conn.image.find_image('dos-idle', ignore_missing=False)
        env.client = c.create_server(
            name=PREFIX + '-client', image_id=image.id, flavor_id=flavor.id,
            networks=[{'uuid': env.network}],
            security_groups=[{'name': env.group}]).id
        c.wait_for_server(c.get_server(env.client), interval=1, wait=240)
        yield env
    finally:
        _clean(env)


def _clean(env):
    c, n = env.conn, env.conn.network
    steps = []
    if env.client:
        steps += [lambda: c.compute.delete_server(env.client),
                  lambda: servers_gone(c, [env.client])]
    if env.router:
        steps += [lambda: n.remove_interface_from_router(
            env.router, subnet_id=env.subnet),
            lambda: n.delete_router(env.router)]
    if env.network:
        steps.append(lambda: n.delete_network(env.network))
    if env.group:
        steps.append(lambda: n.delete_security_group(env.group))
    steps += [lambda i=i: env.admin.image.delete_image(i)
              for i in env.images]
    best_effort(steps)


class Probe:
    """GET /who through the VIP every 200 ms from the client's container,
    in the background, until stopped (or PROBE_MAX requests); one line per
    request in the container's PROBE_FILE, '=' and the answer (nothing
    after '=' when nothing answered within 2 s)."""

    def __init__(self, env, vip):
        self.env, self.vip = env, vip

    def __enter__(self):
        script = ('rm -f %(f)s %(f)s.stop %(f)s.done; i=0; '
                  'while [ $i -lt %(max)d ] && [ ! -e %(f)s.stop ]; do '
                  'i=$((i+1)); echo "=$(%(get)s)" >> %(f)s; sleep 0.2; '
                  'done; touch %(f)s.done' % {
                      'f': PROBE_FILE, 'max': PROBE_MAX,
                      'get': http_get(self.vip, VIP_PORT)})
        exec_in(self.env.aio, self.env.client, script, detach=True)
        # Started: the first answer is in.
        wait(lambda: self._lines(), 30, 'the probe loop started')
        return self

    def _lines(self):
        _code, out = exec_in(self.env.aio, self.env.client,
                             'cat %s 2>/dev/null' % PROBE_FILE)
        return [line[1:] for line in out.splitlines()
                if line.startswith('=')]

    def __exit__(self, *exc):
        exec_in(self.env.aio, self.env.client, 'touch %s.stop' % PROBE_FILE)
        wait(lambda: exec_in(self.env.aio, self.env.client,
                             'test -e %s.done' % PROBE_FILE)[0] == 0, 30,
             'the probe loop stopped')
        self.answers = self._lines()
        return False

    def lost(self):
        return [i for i, a in enumerate(self.answers) if not a]


def _stack_servers(env, stack_id):
    """{server id: address} of the stack's Nova servers (nested)."""
    out = {}
    for r in env.heat.resources.list(stack_id, nested_depth=3):
        if r.resource_type == 'OS::Nova::Server' and r.physical_resource_id:
            server = env.conn.compute.get_server(r.physical_resource_id)
            (addr,) = server.addresses[PREFIX]
            out[server.id] = addr['addr']
    return out


def _stack_lb(env, stack_id):
    (lb,) = [r.physical_resource_id for r in
             env.heat.resources.list(stack_id)
             if r.resource_type == 'OS::Octavia::LoadBalancer']
    return env.conn.load_balancer.get_load_balancer(lb)


def _pool_members(env, lb):
    """{address: operating status} of the load balancer's pool members."""
    (pool,) = lb.pools
    return {m.address: m.operating_status for m in
            env.conn.load_balancer.members(pool['id'])}


def _wait_online(env, lb, addresses, what, timeout=120):
    """Wait until the pool's members are exactly ``addresses``, each
    ONLINE (the OVN health monitor has seen it answer)."""
    seen = []

    def online():
        seen[:] = [_pool_members(env, lb)]
        return set(seen[0]) == set(addresses) and \
            all(s == 'ONLINE' for s in seen[0].values())
    try:
        wait(online, timeout, what)
    except AssertionError:
        raise AssertionError('%s: pool members %s, servers %s'
                             % (what, seen, sorted(addresses))) from None


def _update(env, stack_id, stack, **params):
    files, template = _template()
    env.heat.stacks.update(stack_id, template=template, files=files,
                           parameters=params)
    stack = wait(stack_settled(env.heat, stack_id, ('UPDATE_IN_PROGRESS',),
                               after=stack.updated_time, outputs=False),
                 600, 'update')
    assert stack.stack_status == 'UPDATE_COMPLETE', stack.stack_status_reason
    return stack


def test_group_members_join_and_leave_the_pool_losing_no_request(env):
    aio, heat = env.aio, env.heat
    ovn_before, ports_before = ovn_lbs(aio), lb_ports(env.admin)
    lbs_before = {lb.id for lb in env.conn.load_balancer.load_balancers()}
    files, template = _template()
    params = {'image': '%s-1' % PREFIX, 'network': env.network,
              'subnet': env.subnet, 'count': 2}
    began = time.monotonic()
    stack_id = heat.stacks.create(
        stack_name=PREFIX, template=template, files=files,
        parameters=params)['stack']['id']
    try:
        stack = wait(stack_settled(heat, stack_id, ('CREATE_IN_PROGRESS',),
                                   outputs=False), 300, 'stack create')
        assert stack.stack_status == 'CREATE_COMPLETE', \
            stack.stack_status_reason
        print('stack of 2 members behind a load balancer: %.1f s'
              % (time.monotonic() - began))
        lb = _stack_lb(env, stack_id)
        assert lb.provider == 'ovn' and lb.id in ovn_lbs(aio)
        first = _stack_servers(env, stack_id)
        assert len(first) == 2
        _wait_online(env, lb, first.values(), 'both members ONLINE')
        # The VIP answers from both members (OVN hashes each connection).
        counts = count_from(aio, env.client, lb.vip_address, VIP_PORT, 20)
        assert sum(counts.values()) == 20 and '' not in counts, counts
        assert {a.split()[0] for a in counts} == {'release-1'}, counts
        assert len(counts) == 2, counts

        # A release: a new image, while the client asks every 200 ms.
        began = time.monotonic()
        with Probe(env, lb.vip_address) as probe:
            stack = _update(env, stack_id, stack, **dict(
                params, image='%s-2' % PREFIX))
            # A few more rounds with the old members gone.
            time.sleep(1)
        took = time.monotonic() - began
        answers = collections.Counter(a.split()[0] for a in probe.answers
                                      if a)
        print('release of 2 members: %.1f s, %d requests, lost %d, '
              'answers %s' % (took, len(probe.answers), len(probe.lost()),
                              dict(answers)))
        assert len(probe.answers) > 10
        assert probe.lost() == [], probe.answers
        assert probe.answers[-1].startswith('release-2'), probe.answers
        second = _stack_servers(env, stack_id)
        assert len(second) == 2 and not set(second) & set(first)
        assert _pool_members(env, lb).keys() == set(second.values())
        _wait_online(env, lb, second.values(), 'the new members ONLINE')
        for server in first:
            assert env.conn.compute.find_server(server) is None

        # Scale out: a third member joins the pool.
        with Probe(env, lb.vip_address) as probe:
            stack = _update(env, stack_id, stack, **dict(
                params, image='%s-2' % PREFIX, count=3))
        assert probe.lost() == [], probe.answers
        third = _stack_servers(env, stack_id)
        assert len(third) == 3 and set(second) < set(third)
        _wait_online(env, lb, third.values(), 'three members ONLINE')
        counts = count_from(aio, env.client, lb.vip_address, VIP_PORT, 30)
        assert sum(counts.values()) == 30 and '' not in counts, counts
        assert len(counts) == 3, counts
    finally:
        heat.stacks.delete(stack_id)
        wait(lambda: heat.stacks.get(stack_id).stack_status in
             ('DELETE_COMPLETE', 'DELETE_FAILED'), 300, 'stack delete')
    assert heat.stacks.get(stack_id).stack_status == 'DELETE_COMPLETE'
    assert {lb.id for lb in env.conn.load_balancer.load_balancers()} == \
        lbs_before
    assert ovn_lbs(aio) == ovn_before
    assert lb_ports(env.admin) == ports_before
    assert not [s for s in env.conn.compute.servers()
                if s.name.startswith(PREFIX) and s.id != env.client]
    assert not [p for p in env.conn.network.ports(network_id=env.network)
                if p.device_owner.startswith('compute:')
                and p.device_id != env.client]
    assert not [g for g in env.conn.network.security_groups()
                if g.name.startswith(PREFIX) and g.id != env.group]
