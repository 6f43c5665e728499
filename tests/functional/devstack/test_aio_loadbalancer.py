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

"""Load balancers of Docker servers: Octavia with the OVN provider.

On the session's all-in-one, through the openstack CLI as the tenant
``demo``: a load balancer on a tenant subnet (``--provider ovn``), a TCP
listener, a pool of two Docker servers (busybox httpd, each answering its
own name on /who) and a TCP health monitor. The VIP spreads requests over
both servers, counted request by request, from a container on the same
subnet, from a container on another subnet behind the router, and from
the outside namespace through a floating IP; a server that stops is taken
out of rotation by the health monitor and put back when it starts; bad
requests get Octavia's own errors and leave nothing; a deleted load
balancer leaves nothing in Octavia, Neutron or OVN's northbound database.
Traffic goes only between the containers and namespaces the cloud made,
in bounded loops.
"""

import collections
import subprocess

import pytest

from tests.functional.devstack.conftest import wait
from tools.aio import ovn

pytestmark = [pytest.mark.slow, pytest.mark.docker]

CLOUD = 'aio-demo'
PREFIX = 'lb-e2e'
CIDRS = {'front': '10.30.0.0/24', 'back': '10.31.0.0/24'}
WEB_PORT = 8080
VIP_PORT = 80
REQUESTS = 20


def _os(aio, *args, check=True):
    return aio.openstack(*args, cloud=CLOUD, check=check)


def _js(aio, *args):
    return aio.openstack_json(*args, cloud=CLOUD)


def _net(name):
    return '%s-%s' % (PREFIX, name)


def _ovn_lbs(aio):
    out = subprocess.run(
        ['ovn-nbctl', '--db=%s' % ovn.nb_connection(aio.lay), '--timeout=10',
         '--bare', '--columns=name', 'list', 'Load_Balancer'],
        capture_output=True, text=True, env=ovn.central_env(aio.lay),
        check=True, timeout=30).stdout
    return {line.strip() for line in out.splitlines() if line.strip()}


def _lb_ports(aio):
    """Neutron ports the OVN provider made (VIPs, health-check sources)."""
    ports = aio.openstack_json('port', 'list', '--long')
    return {p['ID'] for p in ports
            if (p.get('Device Owner') or '').startswith('ovn-lb')}


@pytest.fixture(scope='module')
def lbnets(aio):
    """Two subnets of demo's on one router to public, a group rule for the
    servers' port, two httpd members and two idle clients (one per
    subnet)."""
    aio.openstack('router', 'create', _net('router'), cloud=CLOUD)
    aio.openstack('router', 'set', '--external-gateway', 'public',
                  _net('router'), cloud=CLOUD)
    servers = {}
    try:
        for side, cidr in CIDRS.items():
            _os(aio, 'network', 'create', _net(side))
            _os(aio, 'subnet', 'create', '--network', _net(side),
                '--subnet-range', cidr, _net(side + '-subnet'))
            _os(aio, 'router', 'add', 'subnet', _net('router'),
                _net(side + '-subnet'))
        _os(aio, 'security', 'group', 'create', _net('web'))
        _os(aio, 'security', 'group', 'rule', 'create', '--protocol', 'tcp',
            '--dst-port', str(WEB_PORT), _net('web'))
        plan = {'m1': ('front', 'dos-httpd'), 'm2': ('front', 'dos-httpd'),
                'c1': ('front', 'dos-idle'), 'c2': ('back', 'dos-idle')}
        for name, (side, image) in plan.items():
            servers[name] = _js(
                aio, 'server', 'create', '--image', image, '--flavor',
                'docker.tiny', '--network', _net(side), '--security-group',
                _net('web'), '%s-%s' % (PREFIX, name))['id']
        for name, server_id in servers.items():
            wait(lambda: _js(aio, 'server', 'show', server_id)['status']
                 == 'ACTIVE', 240, 'server %s ACTIVE' % name)
        for name in ('m1', 'm2'):
            _exec(aio, servers[name], 'echo %s > /www/who' % name)
        yield aio, servers
    finally:
        for lb in _js(aio, 'loadbalancer', 'list'):
            _os(aio, 'loadbalancer', 'delete', '--cascade', '--wait',
                lb['id'], check=False)
        for fip in _js(aio, 'floating', 'ip', 'list'):
            _os(aio, 'floating', 'ip', 'delete', fip['ID'], check=False)
        for server_id in servers.values():
            _os(aio, 'server', 'delete', '--wait', server_id, check=False)
        for side in CIDRS:
            _os(aio, 'router', 'remove', 'subnet', _net('router'),
                _net(side + '-subnet'), check=False)
        _os(aio, 'router', 'delete', _net('router'), check=False)
        for side in CIDRS:
            _os(aio, 'network', 'delete', _net(side), check=False)
        _os(aio, 'security', 'group', 'delete', _net('web'), check=False)


def _exec(aio, server_id, script):
    (container,) = aio.containers_of(server_id).values()
    result = container.exec_run(['sh', '-c', script])
    return result.exit_code, result.output.decode(errors='replace')


def _count_from(aio, server_id, ip, port=VIP_PORT, n=REQUESTS):
    """GET /who ``n`` times from inside a server: {answer: count}; a
    request without an answer counts as ''."""
    script = ("i=0; while [ $i -lt %d ]; do i=$((i+1)); "
              "a=$(printf 'GET /who HTTP/1.0\\r\\n\\r\\n' | nc -w 2 %s %d "
              "| tail -1); echo \"=$a\"; done" % (n, ip, port))
    _code, out = _exec(aio, server_id, script)
    return collections.Counter(line[1:] for line in out.splitlines()
                               if line.startswith('='))


def _count_from_outside(aio, ip, port=VIP_PORT, n=REQUESTS):
    got = collections.Counter()
    for _ in range(n):
        out = ovn.outside_exec(aio.lay, 'curl', '-s', '-m', '3',
                               'http://%s:%d/who' % (ip, port),
                               timeout=10).stdout
        got[out.strip()] += 1
    return got


def _spread(counts, names=('m1', 'm2'), n=REQUESTS):
    """Every request answered, by the given members only, each at least
    once."""
    return (sum(counts[m] for m in names) == n
            and all(counts[m] for m in names))


def _member_status(aio, name):
    return _js(aio, 'loadbalancer', 'member', 'show', _net('pool'),
               name)['operating_status']


def test_ovn_load_balancer_spreads_over_healthy_members(lbnets):
    aio, servers = lbnets
    ovn_before, ports_before = _ovn_lbs(aio), _lb_ports(aio)
    lb = _js(aio, 'loadbalancer', 'create', '--name', _net('lb'),
             '--provider', 'ovn', '--vip-subnet-id', _net('front-subnet'),
             '--wait')
    assert lb['provider'] == 'ovn' and lb['provisioning_status'] == 'ACTIVE'
    vip = lb['vip_address']
    _os(aio, 'loadbalancer', 'listener', 'create', '--name', _net('tcp'),
        '--protocol', 'TCP', '--protocol-port', str(VIP_PORT), '--wait',
        lb['id'])
    _os(aio, 'loadbalancer', 'pool', 'create', '--name', _net('pool'),
        '--listener', _net('tcp'), '--protocol', 'TCP', '--lb-algorithm',
        'SOURCE_IP_PORT', '--wait')
    _os(aio, 'loadbalancer', 'healthmonitor', 'create', '--name',
        _net('hm'), '--type', 'TCP', '--delay', '2', '--timeout', '1',
        '--max-retries', '1', '--wait', _net('pool'))
    for name in ('m1', 'm2'):
        shown = _js(aio, 'server', 'show', servers[name])
        (address,) = shown['addresses'][_net('front')]
        _os(aio, 'loadbalancer', 'member', 'create', '--name', name,
            '--address', address, '--protocol-port', str(WEB_PORT),
            '--subnet-id', _net('front-subnet'), '--wait', _net('pool'))
    for name in ('m1', 'm2'):
        wait(lambda: _member_status(aio, name) == 'ONLINE', 60,
             'member %s ONLINE' % name)
    # The load balancer is OVN's own, on the VIP's switch and the router.
    assert lb['id'] in _ovn_lbs(aio)

    # A client on the VIP's subnet, one behind the router, and the world
    # outside through a floating IP on the VIP's port.
    same = _count_from(aio, servers['c1'], vip)
    assert _spread(same), same
    other = _count_from(aio, servers['c2'], vip)
    assert _spread(other), other
    fip = _js(aio, 'floating', 'ip', 'create', '--port', lb['vip_port_id'],
              'public')['floating_ip_address']
    wait(lambda: sum(_count_from_outside(aio, fip, n=1)[m]
                     for m in ('m1', 'm2')), 60, 'the floating IP answering')
    outside = _count_from_outside(aio, fip)
    assert _spread(outside), outside

    # m1 stops: the health monitor takes it out, every request goes to m2;
    # m1 starts: it is back in rotation.
    _os(aio, 'server', 'stop', servers['m1'])
    wait(lambda: _member_status(aio, 'm1') == 'ERROR', 90,
         'stopped m1 marked ERROR by the health monitor')
    assert _member_status(aio, 'm2') == 'ONLINE'
    alone = _count_from(aio, servers['c1'], vip)
    assert alone == {'m2': REQUESTS}, alone
    _os(aio, 'server', 'start', servers['m1'])
    wait(lambda: _member_status(aio, 'm1') == 'ONLINE', 90,
         'restarted m1 ONLINE again')
    back = wait(lambda: (lambda c: c if _spread(c) else None)(
        _count_from(aio, servers['c1'], vip)), 60, 'm1 back in rotation')
    assert _spread(back), back

    # Deleting it leaves nothing: no Octavia object, no provider port in
    # Neutron, no OVN load balancer.
    _os(aio, 'floating', 'ip', 'delete', fip)
    _os(aio, 'loadbalancer', 'delete', '--cascade', '--wait', lb['id'])
    assert not _js(aio, 'loadbalancer', 'list')
    assert _ovn_lbs(aio) == ovn_before
    assert _lb_ports(aio) == ports_before


def test_what_the_ovn_provider_cannot_do_is_refused_and_leaves_nothing(
        lbnets):
    aio, _servers = lbnets
    ovn_before, ports_before = _ovn_lbs(aio), _lb_ports(aio)
    # No amphora here: the provider is not enabled, and Octavia says so.
    refused = _os(aio, 'loadbalancer', 'create', '--name', _net('amp'),
                  '--provider', 'amphora', '--vip-subnet-id',
                  _net('front-subnet'), check=False)
    assert refused.returncode != 0
    assert 'amphora' in refused.stderr and 'provider' in refused.stderr.lower()
    assert not _js(aio, 'loadbalancer', 'list')
    # OVN balances L4 only: an HTTP listener is refused by the provider.
    lb = _js(aio, 'loadbalancer', 'create', '--name', _net('l4'),
             '--vip-subnet-id', _net('front-subnet'), '--wait')
    assert lb['provider'] == 'ovn'   # the default for tenants
    try:
        http = _os(aio, 'loadbalancer', 'listener', 'create', '--protocol',
                   'HTTP', '--protocol-port', '80', lb['id'], check=False)
        assert http.returncode != 0
        assert 'HTTP' in http.stderr and 'ovn' in http.stderr.lower(), \
            http.stderr
        assert not _js(aio, 'loadbalancer', 'listener', 'list')
        assert _js(aio, 'loadbalancer', 'show', lb['id'])[
            'provisioning_status'] == 'ACTIVE'
    finally:
        _os(aio, 'loadbalancer', 'delete', '--cascade', '--wait', lb['id'])
    assert _ovn_lbs(aio) == ovn_before
    assert _lb_ports(aio) == ports_before
