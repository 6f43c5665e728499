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

On the session's all-in-one, through openstacksdk as the tenant ``demo``
(one connection per module: the openstack CLI's Python start per call
cost this module minutes): a load balancer on a tenant subnet
(provider ``ovn``), a TCP listener, a pool of two Docker servers (busybox
httpd, each answering its own name on /who) and a TCP health monitor. The
VIP spreads requests over both servers, counted request by request, from
a container on the same subnet, from a container on another subnet behind
the router, and from the outside namespace through a floating IP; a
server that stops is taken out of rotation by the health monitor and put
back when it starts; bad requests get Octavia's own errors and leave
nothing; a deleted load balancer leaves nothing in Octavia, Neutron or
OVN's northbound database. Traffic goes only between the containers and
namespaces the cloud made, in bounded loops.
"""

import collections
import time

import pytest
from openstack import exceptions

from tests.functional.devstack.conftest import wait
from tests.functional.devstack.lbtools import best_effort
from tests.functional.devstack.lbtools import count_from
from tests.functional.devstack.lbtools import exec_in as _exec
from tests.functional.devstack.lbtools import fip_trace
from tests.functional.devstack.lbtools import lb_ports as _lb_ports
from tests.functional.devstack.lbtools import nbctl
from tests.functional.devstack.lbtools import ovn_lbs as _ovn_lbs
from tests.functional.devstack.lbtools import servers_gone
from tools.aio import ovn

pytestmark = [pytest.mark.slow, pytest.mark.docker]

CLOUD = 'aio-demo'
PREFIX = 'lb-e2e'
CIDRS = {'front': '10.30.0.0/24', 'back': '10.31.0.0/24'}
# The front and back networks' dns_domain (Neutron's internal DNS).
DOMAIN = 'lb.e2e.'
# A network of its own, with no router (until the test adds one).
SOLO_CIDR = '10.32.0.0/24'
WEB_PORT = 8080
VIP_PORT = 80
REQUESTS = 20
# Octavia takes no change to a load balancer while it is PENDING_*; the
# OVN provider settles in well under a second, so poll finely.
POLL_S = 0.25


def _net(name):
    return '%s-%s' % (PREFIX, name)


def _own_lbs(conn):
    """The module's load balancers (the tenant may have others: the
    showcase keeps demo-lb)."""
    return [lb for lb in conn.load_balancer.load_balancers()
            if (lb.name or '').startswith(PREFIX)]


def _settled(conn, lb_id, timeout=120):
    """Wait until the load balancer is ACTIVE again (after a change of it
    or of one of its children); returns it."""
    deadline = time.monotonic() + timeout
    while True:
        lb = conn.load_balancer.get_load_balancer(lb_id)
        if lb.provisioning_status == 'ACTIVE':
            return lb
        assert lb.provisioning_status != 'ERROR', lb
        assert time.monotonic() < deadline, \
            'load balancer %s still %s' % (lb_id, lb.provisioning_status)
        time.sleep(POLL_S)


def _delete_lb(conn, lb_id, timeout=120):
    """Cascade delete, waited for until Octavia no longer lists it."""
    conn.load_balancer.delete_load_balancer(lb_id, cascade=True)
    deadline = time.monotonic() + timeout
    while conn.load_balancer.find_load_balancer(lb_id) is not None:
        assert time.monotonic() < deadline, 'load balancer %s not deleted' \
            % lb_id
        time.sleep(POLL_S)


class Nets:
    """The demo tenant's connection and what the module made with it."""

    def __init__(self, aio, conn, admin):
        self.aio, self.conn, self.admin = aio, conn, admin
        self.subnets = {}  # side -> subnet id
        self.networks = {}  # side -> network id
        self.servers = {}  # name -> server id
        self.members = {}  # name -> member id (of the latest pool)
        self.fips = []  # floating IP ids
        self.router = None
        self.solo_router = None  # the router the same-subnet test adds
        self.group = None


def _boot(nets, names_plan):
    """Boot the servers of ``names_plan`` ({name: (side, image)}) at once,
    then wait for each to be ACTIVE."""
    c = nets.conn
    flavor = c.compute.find_flavor('docker.tiny', ignore_missing=False)
    images = {}
    for name, (side, image) in names_plan.items():
        if image not in images:
            images[image] = c.image.find_image(image, ignore_missing=False).id
        nets.servers[name] = c.compute.create_server(
            name='%s-%s' % (PREFIX, name), image_id=images[image],
            flavor_id=flavor.id, networks=[{'uuid': nets.networks[side]}],
            security_groups=[{'name': nets.group}]).id
    for name in names_plan:
        c.compute.wait_for_server(c.compute.get_server(nets.servers[name]),
                                  interval=1, wait=240)


def _address(nets, name, side):
    shown = nets.conn.compute.get_server(nets.servers[name])
    (address,) = shown.addresses[_net(side)]
    return address['addr']


def _network(nets, side, cidr, **attrs):
    n = nets.conn.network
    nets.networks[side] = n.create_network(name=_net(side), **attrs).id
    # The DNS server is the cloud's own outside address: OVN answers the
    # network's names before a query could leave.
    nets.subnets[side] = n.create_subnet(
        network_id=nets.networks[side], name=_net(side + '-subnet'),
        ip_version=4, cidr=cidr, dns_nameservers=[ovn.OUTSIDE_GATEWAY]).id


@pytest.fixture(scope='module')
def lbnets(aio):
    """Two subnets of demo's on one router to public, a group rule for the
    servers' port, two httpd members and two idle clients (one per
    subnet); and a third network with no router, with two more httpd
    members and an idle client on it."""
    conn, admin = aio.sdk(CLOUD), aio.sdk('aio-admin')
    nets = Nets(aio, conn, admin)
    n = conn.network
    try:
        public = n.find_network('public', ignore_missing=False)
        nets.router = n.create_router(
            name=_net('router'),
            external_gateway_info={'network_id': public.id}).id
        for side, cidr in CIDRS.items():
            _network(nets, side, cidr, dns_domain=DOMAIN)
            n.add_interface_to_router(nets.router,
                                      subnet_id=nets.subnets[side])
        _network(nets, 'solo', SOLO_CIDR)
        nets.group = n.create_security_group(name=_net('web')).id
        n.create_security_group_rule(
            security_group_id=nets.group, direction='ingress',
            protocol='tcp', port_range_min=WEB_PORT,
            port_range_max=WEB_PORT)
        _boot(nets, {'m1': ('front', 'dos-httpd'),
                     'm2': ('front', 'dos-httpd'),
                     'c1': ('front', 'dos-idle'),
                     'c2': ('back', 'dos-idle'),
                     'm3': ('solo', 'dos-httpd'),
                     'm4': ('solo', 'dos-httpd'),
                     'c3': ('solo', 'dos-idle')})
        for name in ('m1', 'm2', 'm3', 'm4'):
            _exec(aio, nets.servers[name], 'echo %s > /www/who' % name)
        yield nets
    finally:
        _clean(nets)


def _clean(nets):
    """Best effort, each step whatever the one before did."""
    c, n = nets.conn, nets.conn.network
    steps = [lambda lb=lb: _delete_lb(c, lb.id) for lb in _own_lbs(c)]
    steps += [lambda fip=fip: n.delete_ip(fip, ignore_missing=True)
              for fip in nets.fips]
    steps += [lambda sid=sid: c.compute.delete_server(sid)
              for sid in nets.servers.values()]
    steps.append(lambda: servers_gone(c, nets.servers.values()))
    if nets.solo_router:
        steps += [lambda: n.remove_interface_from_router(
            nets.solo_router, subnet_id=nets.subnets['solo']),
            lambda: n.delete_router(nets.solo_router)]
    if nets.router:
        steps += [lambda sub=sub: n.remove_interface_from_router(
            nets.router, subnet_id=nets.subnets[sub]) for sub in CIDRS]
        steps.append(lambda: n.delete_router(nets.router))
    steps += [lambda net=net: n.delete_network(net)
              for net in nets.networks.values()]
    if nets.group:
        steps.append(lambda: n.delete_security_group(nets.group))
    best_effort(steps)


def _count_from(aio, server_id, ip, port=VIP_PORT, n=REQUESTS):
    return count_from(aio, server_id, ip, port, n)


def _count_from_outside(aio, ip, port=VIP_PORT, n=REQUESTS):
    """The same from the outside namespace, with curl, in one shell."""
    script = ("i=0; while [ $i -lt %d ]; do i=$((i+1)); "
              "echo \"=$(curl -s -m 3 http://%s:%d/who)\"; done"
              % (n, ip, port))
    out = ovn.outside_exec(aio.lay, 'sh', '-c', script,
                           timeout=10 + 4 * n).stdout
    return collections.Counter(line[1:] for line in out.splitlines()
                               if line.startswith('='))


def _spread(counts, names=('m1', 'm2'), n=REQUESTS):
    """Every request answered, by the given members only, each at least
    once."""
    return (sum(counts[m] for m in names) == n
            and all(counts[m] for m in names))


def _member_status(nets, pool_id, name):
    return nets.conn.load_balancer.get_member(
        nets.members[name], pool_id).operating_status


def _balancer(nets, name, side, members, algorithm='SOURCE_IP_PORT'):
    """A load balancer (provider ovn) with its VIP on ``side``'s subnet,
    a TCP listener on VIP_PORT, a pool, a TCP health monitor and the
    ``members`` (servers of ``side``), each ONLINE; returns (lb, pool)."""
    lbc = nets.conn.load_balancer
    lb = lbc.create_load_balancer(name=_net(name), provider='ovn',
                                  vip_subnet_id=nets.subnets[side])
    lb = _settled(nets.conn, lb.id)
    assert lb.provider == 'ovn' and lb.provisioning_status == 'ACTIVE'
    listener = lbc.create_listener(
        name=_net(name + '-tcp'), protocol='TCP', protocol_port=VIP_PORT,
        load_balancer_id=lb.id)
    _settled(nets.conn, lb.id)
    pool = lbc.create_pool(name=_net(name + '-pool'),
                           listener_id=listener.id, protocol='TCP',
                           lb_algorithm=algorithm)
    _settled(nets.conn, lb.id)
    lbc.create_health_monitor(name=_net(name + '-hm'), pool_id=pool.id,
                              type='TCP', delay=2, timeout=1, max_retries=1)
    _settled(nets.conn, lb.id)
    for member in members:
        nets.members[member] = lbc.create_member(
            pool.id, name=member, address=_address(nets, member, side),
            protocol_port=WEB_PORT, subnet_id=nets.subnets[side]).id
        _settled(nets.conn, lb.id)
    for member in members:
        wait(lambda: _member_status(nets, pool.id, member) == 'ONLINE', 60,
             'member %s ONLINE' % member)
    return lb, pool


def test_ovn_load_balancer_spreads_over_healthy_members(lbnets):
    nets = lbnets
    aio, conn, servers = nets.aio, nets.conn, nets.servers
    ovn_before, ports_before = _ovn_lbs(aio), _lb_ports(nets.admin)
    lb, pool = _balancer(nets, 'lb', 'front', ('m1', 'm2'))
    vip = lb.vip_address
    # The load balancer is OVN's own, on the VIP's switch and the router.
    assert lb.id in _ovn_lbs(aio)

    # A client on the VIP's subnet, one behind the router, and the world
    # outside through a floating IP on the VIP's port.
    same = _count_from(aio, servers['c1'], vip)
    assert _spread(same), same
    other = _count_from(aio, servers['c2'], vip)
    assert _spread(other), other
    public = conn.network.find_network('public', ignore_missing=False)
    fip = conn.network.create_ip(floating_network_id=public.id,
                                 port_id=lb.vip_port_id)
    nets.fips.append(fip.id)
    # The provider adds the floating IP to OVN's load balancer when it sees
    # the VIP port's NAT row: within a minute on a quiet machine, longer
    # once in a clean-clone run at load 20 on two cores.
    try:
        wait(lambda: sum(_count_from_outside(
            aio, fip.floating_ip_address, n=1)[m] for m in ('m1', 'm2')),
            180, 'the floating IP answering')
    except AssertionError as exc:
        raise AssertionError('%s (%s)' % (exc, fip_trace(
            aio, lb.id, lb.vip_port_id, fip.floating_ip_address)))
    outside = _count_from_outside(aio, fip.floating_ip_address)
    assert _spread(outside), outside

    # m1 stops: the health monitor takes it out, every request goes to m2;
    # m1 starts: it is back in rotation.
    conn.compute.stop_server(servers['m1'])
    wait(lambda: _member_status(nets, pool.id, 'm1') == 'ERROR', 90,
         'stopped m1 marked ERROR by the health monitor')
    assert _member_status(nets, pool.id, 'm2') == 'ONLINE'
    alone = _count_from(aio, servers['c1'], vip)
    assert alone == {'m2': REQUESTS}, alone
    conn.compute.start_server(servers['m1'])
    wait(lambda: _member_status(nets, pool.id, 'm1') == 'ONLINE', 90,
         'restarted m1 ONLINE again')
    back = wait(lambda: (lambda c: c if _spread(c) else None)(
        _count_from(aio, servers['c1'], vip)), 60, 'm1 back in rotation')
    assert _spread(back), back

    # Deleting it leaves nothing: no Octavia object, no provider port in
    # Neutron, no OVN load balancer.
    conn.network.delete_ip(fip.id)
    _delete_lb(conn, lb.id)
    assert not _own_lbs(conn)
    assert _ovn_lbs(aio) == ovn_before
    assert _lb_ports(nets.admin) == ports_before


def test_what_the_ovn_provider_cannot_do_is_refused_and_leaves_nothing(
        lbnets):
    nets = lbnets
    aio, lbc = nets.aio, nets.conn.load_balancer
    ovn_before, ports_before = _ovn_lbs(aio), _lb_ports(nets.admin)
    lbs_before = {lb.id for lb in _own_lbs(nets.conn)}
    # No amphora here: the provider is not enabled, and Octavia says so.
    with pytest.raises(exceptions.HttpException) as refused:
        lbc.create_load_balancer(name=_net('amp'), provider='amphora',
                                 vip_subnet_id=nets.subnets['front'])
    text = str(refused.value)
    assert 'amphora' in text and 'provider' in text.lower(), text
    assert {lb.id for lb in _own_lbs(nets.conn)} == lbs_before
    # OVN balances L4 only: an HTTP listener is refused by the provider.
    lb = lbc.create_load_balancer(name=_net('l4'),
                                  vip_subnet_id=nets.subnets['front'])
    lb = _settled(nets.conn, lb.id)
    assert lb.provider == 'ovn'   # the default for tenants
    listeners_before = {li.id for li in lbc.listeners()}
    try:
        with pytest.raises(exceptions.HttpException) as http:
            lbc.create_listener(protocol='HTTP', protocol_port=80,
                                load_balancer_id=lb.id)
        text = str(http.value)
        assert 'HTTP' in text and 'ovn' in text.lower(), text
        assert {li.id for li in lbc.listeners()} == listeners_before
        assert lbc.get_load_balancer(lb.id).provisioning_status == 'ACTIVE'
    finally:
        _delete_lb(nets.conn, lb.id)
    assert _ovn_lbs(aio) == ovn_before
    assert _lb_ports(nets.admin) == ports_before


def _ls_lbs(aio, network_id):
    """Names of the OVN load balancers on the network's logical switch."""
    out = nbctl(aio, '--bare', '--columns=load_balancer', 'find',
                'Logical_Switch', 'name=neutron-%s' % network_id).split()
    return {_name_of(aio, uuid) for uuid in out}


def _name_of(aio, lb_uuid):
    return nbctl(aio, 'get', 'Load_Balancer', lb_uuid, 'name').strip('"')


def test_a_client_on_the_vips_own_subnet_is_answered_through_a_router(
        lbnets):
    """The VIP, its members and the client on one subnet. With no router
    on it, OVN has no way to the members: Neutron has OVN answer ARP only
    for bound ports (NB_Global ignore_lsp_down=false) and the VIP's port is
    never bound, so the client's ARP for the VIP goes unanswered; and even
    with the VIP port's MAC known, the switch's DNAT to a member leaves
    that destination MAC, so the packet is switched to the unbound VIP
    port and dropped (ovn-trace shows ``outport = "ovn-lb-vip-..."``). A
    router on the subnet, one with no external gateway will do, answers
    the VIP's ARP and routes the DNATed packet to the member; the OVN
    provider attaches the existing load balancer to it when the interface
    is added."""
    nets = lbnets
    aio, n, servers = nets.aio, nets.conn.network, nets.servers
    ovn_before, ports_before = _ovn_lbs(aio), _lb_ports(nets.admin)
    lb, _pool = _balancer(nets, 'solo', 'solo', ('m3', 'm4'))
    # On the switch alone: no router to attach it to.
    assert lb.id in _ls_lbs(aio, nets.networks['solo'])
    unanswered = _count_from(aio, servers['c3'], lb.vip_address, n=2)
    assert unanswered == {'': 2}, unanswered

    router = n.create_router(name=_net('solo-router'))
    nets.solo_router = router.id
    assert not router.external_gateway_info
    n.add_interface_to_router(router, subnet_id=nets.subnets['solo'])
    answered = wait(lambda: (lambda c: c if _spread(c, ('m3', 'm4'))
                             else None)(
        _count_from(aio, servers['c3'], lb.vip_address)), 60,
        'the VIP answering its own subnet through the router')
    assert _spread(answered, ('m3', 'm4')), answered

    n.remove_interface_from_router(router, subnet_id=nets.subnets['solo'])
    n.delete_router(router)
    nets.solo_router = None
    _delete_lb(nets.conn, lb.id)
    assert _ovn_lbs(aio) == ovn_before
    assert _lb_ports(nets.admin) == ports_before


def test_containers_behind_a_router_find_each_other_by_name(lbnets):
    """Neutron's internal DNS, answered by OVN: the network has a
    dns_domain, Nova named each port after its server, the driver wrote
    the subnet's DNS server and the domain as the search list into the
    container's resolv.conf; OVN answers the query for the network's own
    names in the logical switch. The query must leave the container to be
    answered: its DNS server is off the subnet, so it needs the subnet's
    router (on a network with no router nothing answers ARP for the
    gateway and the query never leaves)."""
    nets = lbnets
    aio = nets.aio
    _code, resolv = _exec(aio, nets.servers['c1'], 'cat /etc/resolv.conf')
    assert 'search %s' % DOMAIN.rstrip('.') in resolv, resolv
    assert 'nameserver %s' % ovn.OUTSIDE_GATEWAY in resolv, resolv
    # OVN answers the names of the client's own network (each logical
    # switch has its network's records).
    want = _address(nets, 'm1', 'front')
    for name in ('%s-m1.%s' % (PREFIX, DOMAIN.rstrip('.')), '%s-m1' % PREFIX):
        def answered(name=name):
            _code, out = _exec(aio, nets.servers['c1'], 'nslookup %s' % name)
            return want in out.split('Name:', 1)[-1]
        wait(answered, 60, '%s resolved to %s' % (name, want))
    # A request by the short name (the search list), resolved with
    # busybox's own resolver: the images' static busybox cannot resolve
    # through glibc (no NSS in a static binary), so its nc gets "bad
    # address" for any name.
    code, out = _exec(aio, nets.servers['c1'], (
        "a=$(nslookup %s-m2 | sed -n 's/^Address:[[:space:]]*"
        "\\([0-9.]*\\)$/\\1/p' | tail -1); echo \"address=$a\"; "
        "printf 'GET /who HTTP/1.0\\r\\n\\r\\n' | nc -w 2 \"$a\" %d "
        "| tail -1") % (PREFIX, WEB_PORT))
    assert 'address=%s\n' % _address(nets, 'm2', 'front') in out, out
    assert out.strip().splitlines()[-1] == 'm2', out
