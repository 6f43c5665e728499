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

"""Ports wired into real container namespaces on the private engine.

Each test starts ``--network none`` containers, wires them through
``NetworkMixin`` with Nova ``NetworkInfo`` built from the port, network and
subnet data of Nova's ``NeutronFixture`` (fresh port ids and MACs per test,
so parallel runs on one host never share a link name), then checks from
inside the container (busybox ``ip``) and on the host (pyroute2).

The privileged functions run in this (root) process: see
``nova_docker_driver.network.privsep``.
"""

import os

os.environ.setdefault('OS_NOVA_DISABLE_EVENTLET_PATCHING', '1')

# Nova's functional package picks native threads on import; it must come
# before anything imports eventlet (oslo.privsep's daemon module tries to).
import nova.tests.functional  # noqa: E402,F401,I100

import copy  # noqa: E402
import re
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402
from nova import objects  # noqa: E402
from nova.network import model  # noqa: E402
from nova.tests.fixtures import neutron as neutron_fixture  # noqa: E402
from pyroute2 import IPRoute  # noqa: E402

from nova_docker_driver.network import exception  # noqa: E402
from nova_docker_driver.network import linux_net  # noqa: E402
from nova_docker_driver.network import mixin  # noqa: E402
from nova_docker_driver.network import plugger  # noqa: E402
from nova_docker_driver.network import privsep  # noqa: E402
from nova_docker_driver.network import vif as vif_mod  # noqa: E402

objects.register_all()
NF = neutron_fixture.NeutronFixture


# ------------------------------------------------------------------ helpers
def neutron_port(ipv6=True, **overrides):
    """A copy of NeutronFixture.port_1 with a fresh id and MAC."""
    port = copy.deepcopy(NF.port_1)
    port['id'] = str(uuid.uuid4())
    port['mac_address'] = 'fa:16:3e:%02x:%02x:%02x' % tuple(
        uuid.uuid4().bytes[:3])
    if ipv6:
        port['fixed_ips'].append({'ip_address': 'fd37:44e8:ad06::3',
                                  'subnet_id': NF.subnet_ipv6_1['id']})
    port.update(overrides)
    return port


def vif_from_port(port, vif_type='bridge', bridge=None, subnets=None,
                  network=None):
    """A nova.network.model.VIF as Nova's Neutron API builds it."""
    network = network or NF.network_1
    known = {s['id']: s for s in (subnets or [NF.subnet_1,
                                              NF.subnet_ipv6_1])}
    by_subnet = {}
    for fixed in port['fixed_ips']:
        by_subnet.setdefault(fixed['subnet_id'], []).append(
            model.FixedIP(address=fixed['ip_address']))
    nova_subnets = []
    for subnet_id, ips in by_subnet.items():
        s = known[subnet_id]
        gateway = model.IP(address=s['gateway_ip'], type='gateway')
        routes = [model.Route(cidr=r['destination'],
                              gateway=model.IP(address=r['nexthop'],
                                               type='gateway'))
                  for r in s.get('host_routes') or []]
        nova_subnets.append(model.Subnet(cidr=s['cidr'], gateway=gateway,
                                         ips=ips, routes=routes))
    net = model.Network(id=network['id'], bridge=bridge,
                        label=network['name'], subnets=nova_subnets,
                        mtu=network.get('mtu'))
    return model.VIF(id=port['id'], address=port['mac_address'],
                     network=net, type=vif_type,
                     devname=('tap' + port['id'])[:14],
                     active=port['status'] == 'ACTIVE')


class NetDriver(mixin.NetworkMixin):
    """The smallest driver: finds the container by the instance uuid label."""

    def __init__(self, client):
        self.client = client

    def _container_pid(self, instance):
        found = self.client.containers.list(
            all=True, filters={'label': 'test.uuid=%s' % instance.uuid})
        if not found or found[0].status != 'running':
            return None
        return found[0].attrs['State']['Pid']


def host_link(name):
    return linux_net.host_link(name)


def gone(name, timeout=20.0):
    """Whether host link ``name`` is gone within ``timeout`` seconds.

    The kernel tears a dead namespace down (and its veths with it) in a
    work queue, a moment after the last process left it.
    """
    deadline = time.monotonic() + timeout
    while host_link(name) is not None:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def exec_out(container, *cmd):
    code, out = container.exec_run(list(cmd))
    assert code == 0, out
    return out.decode()


def inside(container):
    """What busybox ip shows in the container, without volatile numbers."""
    text = (exec_out(container, 'ip', 'addr') +
            exec_out(container, 'ip', 'route') +
            exec_out(container, 'ip', '-6', 'route'))
    # Without what changes by itself: ifindexes, lifetimes and the kernel's
    # link-local IPv6 address and route (they appear once DAD of the
    # link-local address is done, a moment after link up).
    text = re.sub(r'^\d+: ', '', text, flags=re.M)
    text = re.sub(r'@if\d+', '', text)
    return '\n'.join(line for line in text.splitlines()
                     if 'fe80' not in line and 'valid_lft' not in line)


@pytest.fixture(autouse=True)
def in_process_privsep():
    privsep.run_in_process()
    yield
    privsep.run_in_process(False)


@pytest.fixture
def bridge():
    """A test bridge name; the bridge is removed afterwards."""
    name = 'brqt%s' % uuid.uuid4().hex[:9]
    yield name
    linux_net.delete_link(name)


@pytest.fixture
def net(docker):
    """Starts containers for fake instances; cleans links up afterwards."""

    class Net:
        driver = NetDriver(docker)
        ports = []

        def container(self, image='dos/idle', **kwargs):
            instance = objects.Instance(uuid=str(uuid.uuid4()))
            kwargs.setdefault('network_mode', 'none')
            c = docker.containers.run(
                image, detach=True, labels={'test.uuid': instance.uuid},
                **kwargs)
            return instance, c

    n = Net()
    yield n
    for port_id in n.ports:
        linux_net.delete_link(vif_mod.host_name(port_id))
        linux_net.delete_link(vif_mod.peer_name(port_id))


def new_vif(net, **kwargs):
    port = neutron_port(**{k: kwargs.pop(k) for k in list(kwargs)
                           if k in ('ipv6', 'fixed_ips', 'mac_address')})
    net.ports.append(port['id'])
    return vif_from_port(port, **kwargs)


# -------------------------------------------------------------------- tests
def test_bridge_port_full_config(net, bridge):
    instance, c = net.container()
    pid = net.driver._container_pid(instance)
    # Docker brings lo up itself; take it down to see the wiring do it.
    with IPRoute(netns='/proc/%d/ns/net' % pid, flags=0) as ipr:
        ipr.link('set', index=ipr.link_lookup(ifname='lo')[0], state='down')
    assert 'UP' not in exec_out(c, 'ip', 'link', 'show', 'lo')
    vif = new_vif(net, bridge=bridge)
    net.driver._wire_network(instance, model.NetworkInfo([vif]))

    assert exec_out(c, 'cat', '/sys/class/net/eth0/address').strip() == \
        vif['address']
    assert exec_out(c, 'cat', '/sys/class/net/eth0/mtu').strip() == '1450'
    addr = exec_out(c, 'ip', 'addr', 'show', 'eth0')
    assert 'inet 192.168.1.3/24 brd 192.168.1.255' in addr
    assert 'inet6 fd37:44e8:ad06::3/64' in addr
    assert ',UP' in addr
    assert 'UP' in exec_out(c, 'ip', 'link', 'show', 'lo')
    routes = exec_out(c, 'ip', 'route')
    assert 'default via 192.168.1.1 dev eth0' in routes
    assert '192.168.1.0/24 dev eth0' in routes
    assert 'default via fd37:44e8:ad06::1 dev eth0' in \
        exec_out(c, 'ip', '-6', 'route')

    # Host side: the tap end is up, in the bridge, tagged with the instance.
    tap = host_link(vif['devname'])
    assert tap['kind'] == 'veth'
    assert tap['master'] == bridge
    assert tap['state'] == 'up'
    assert tap['mtu'] == 1450
    assert tap['alias'] == plugger.alias_for(instance.uuid)
    assert tap['peer_elsewhere']
    assert host_link(vif_mod.peer_name(vif['id'])) is None

    # The namespace as pyroute2 sees it, through the container's pid.
    with IPRoute(netns='/proc/%d/ns/net' % pid, flags=0) as ipr:
        eth0 = ipr.get_links(ipr.link_lookup(ifname='eth0')[0])[0]
        assert eth0.get('address') == vif['address']
        assert eth0.get('IFLA_MTU') == 1450
        addrs = {(a.get('IFA_ADDRESS'), a['prefixlen'])
                 for a in ipr.get_addr(index=eth0['index'])}
        assert ('192.168.1.3', 24) in addrs
        assert ('fd37:44e8:ad06::3', 64) in addrs


def test_no_gateway_means_no_default_route(net, bridge):
    instance, c = net.container()
    subnet = dict(NF.subnet_1, gateway_ip=None)
    port = neutron_port(ipv6=False)
    net.ports.append(port['id'])
    vif = vif_from_port(port, bridge=bridge, subnets=[subnet])
    net.driver._wire_network(instance, model.NetworkInfo([vif]))
    routes = exec_out(c, 'ip', 'route')
    assert 'default' not in routes
    assert '192.168.1.0/24 dev eth0' in routes


def test_host_routes_and_offlink_gateway(net, bridge):
    instance, c = net.container()
    subnet = dict(NF.subnet_1, gateway_ip='10.254.0.1', host_routes=[
        {'destination': '10.60.0.0/16', 'nexthop': '192.168.1.254'}])
    port = neutron_port(ipv6=False)
    net.ports.append(port['id'])
    vif = vif_from_port(port, bridge=bridge, subnets=[subnet])
    net.driver._wire_network(instance, model.NetworkInfo([vif]))
    routes = exec_out(c, 'ip', 'route')
    assert re.search(r'default via 10\.254\.0\.1 dev eth0 .*onlink', routes)
    assert '10.60.0.0/16 via 192.168.1.254 dev eth0' in routes


def test_restart_then_rewire_gives_same_config(net, bridge):
    instance, c = net.container()
    vifs = model.NetworkInfo([new_vif(net, bridge=bridge),
                              new_vif(net, bridge=bridge, ipv6=False,
                                      fixed_ips=[{
                                          'ip_address': '192.168.1.4',
                                          'subnet_id': NF.subnet_1['id']}])])
    net.driver._wire_network(instance, vifs)
    before = inside(c)
    assert 'eth0' in before and 'eth1' in before
    # eth1 is a fall-back: its default route has the higher metric.
    assert re.search(r'default via 192\.168\.1\.1 dev eth1\s+metric 101',
                     before)

    c.restart(timeout=5)
    # The old namespace died with its veths: nothing half-left on the host.
    for v in vifs:
        assert gone(v['devname'])
    assert 'eth0' not in exec_out(c, 'ip', 'addr')

    net.driver._wire_network(instance, vifs)
    assert inside(c) == before


def test_stale_pair_left_on_the_host_is_replaced(net, bridge):
    # What a crash between creating a pair and moving its end leaves.
    instance, c = net.container()
    vif = new_vif(net, bridge=bridge, ipv6=False)
    linux_net.create_veth(vif['devname'], vif_mod.peer_name(vif['id']),
                          None, 'stale')
    net.driver._wire_network(instance, model.NetworkInfo([vif]))
    tap = host_link(vif['devname'])
    assert tap['alias'] == plugger.alias_for(instance.uuid)
    assert tap['peer_elsewhere'] and tap['master'] == bridge
    assert host_link(vif_mod.peer_name(vif['id'])) is None
    assert 'inet 192.168.1.3/24' in exec_out(c, 'ip', 'addr', 'show', 'eth0')


def test_late_unplug_of_a_moved_port_leaves_its_new_owner_alone(net,
                                                                bridge):
    # A port detached from A and attached to B on this host; A's cleanup
    # comes late, with the same port (hence the same link names).
    a_inst, a = net.container()
    b_inst, b = net.container()
    vif = new_vif(net, bridge=bridge, ipv6=False)
    net.driver._wire_network(a_inst, model.NetworkInfo([vif]))
    net.driver._wire_network(b_inst, model.NetworkInfo([vif]))
    assert host_link(vif['devname'])['alias'] == plugger.alias_for(
        b_inst.uuid)
    net.driver.unplug_vifs(a_inst, model.NetworkInfo([vif]))
    net.driver._unwire_network(a_inst, model.NetworkInfo([vif]))
    assert host_link(vif['devname'])['alias'] == plugger.alias_for(
        b_inst.uuid)
    assert vif['address'] in exec_out(b, 'ip', 'addr', 'show', 'eth0')
    net.driver._unwire_network(b_inst, model.NetworkInfo([vif]))
    assert host_link(vif['devname']) is None


def test_wiring_twice_is_idempotent(net, bridge):
    instance, c = net.container()
    vifs = model.NetworkInfo([new_vif(net, bridge=bridge)])
    net.driver._wire_network(instance, vifs)
    before = inside(c)
    net.driver.plug_vifs(instance, vifs)
    assert inside(c) == before
    assert before.count('link/ether') == 1


def test_unwire_removes_host_veths_even_without_network_info(net, bridge):
    instance, c = net.container()
    vifs = model.NetworkInfo([new_vif(net, bridge=bridge),
                              new_vif(net, vif_type='tap')])
    net.driver._wire_network(instance, vifs)
    assert all(host_link(v['devname']) for v in vifs)
    # Stale info: the instance's host ends are found by their alias.
    net.driver._unwire_network(instance, model.NetworkInfo([]))
    for v in vifs:
        assert host_link(v['devname']) is None
        assert host_link(vif_mod.peer_name(v['id'])) is None
    assert 'eth0' not in exec_out(c, 'ip', 'addr')
    assert linux_net.host_links_with_alias(
        plugger.alias_for(instance.uuid)) == []
    # Idempotent, also once the container is gone.
    c.remove(force=True)
    net.driver._unwire_network(instance, vifs)
    net.driver.unplug_vifs(instance, vifs)


def test_tap_vif_host_end_is_up_and_unbridged(net):
    instance, c = net.container()
    vif = new_vif(net, vif_type='tap', ipv6=False)
    net.driver._wire_network(instance, model.NetworkInfo([vif]))
    tap = host_link(vif['devname'])
    assert tap['state'] == 'up' and tap['master'] is None
    assert 'inet 192.168.1.3/24' in exec_out(c, 'ip', 'addr', 'show', 'eth0')


def test_link_vanishing_between_lookup_and_read_counts_as_gone(
        net, monkeypatch):
    # A stopping container takes its veth pair along at any moment: here
    # the kernel deletes the link right after the name lookup found it.
    instance, c = net.container()
    vif = new_vif(net, vif_type='tap', ipv6=False)
    net.driver._wire_network(instance, model.NetworkInfo([vif]))

    class IPRouteWhileTheLinkDies:
        def __init__(self):
            self.ipr = IPRoute()

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.ipr.close()

        def __getattr__(self, name):
            return getattr(self.ipr, name)

        def get_links(self, *args, **kwargs):
            linux_net.delete_link(vif['devname'])
            return self.ipr.get_links(*args, **kwargs)

    monkeypatch.setattr(linux_net, 'IPRoute', IPRouteWhileTheLinkDies)
    assert linux_net.host_link(vif['devname']) is None
    monkeypatch.undo()
    # Unwiring a port whose links already went is a no-op, not an error.
    net.driver._unwire_network(instance, model.NetworkInfo([vif]))
    assert host_link(vif['devname']) is None


def test_kernel_refusal_mid_plug_leaves_no_veth(net, bridge):
    instance, c = net.container()
    good = new_vif(net, bridge=bridge, ipv6=False)
    # The kernel refuses a route whose next hop is on no attached network;
    # by then the veth exists and is inside the container.
    subnet = dict(NF.subnet_1, host_routes=[
        {'destination': '10.70.0.0/16', 'nexthop': '203.0.113.9'}])
    port = neutron_port(ipv6=False, fixed_ips=[
        {'ip_address': '192.168.1.5', 'subnet_id': NF.subnet_1['id']}])
    net.ports.append(port['id'])
    bad = vif_from_port(port, bridge=bridge, subnets=[subnet])

    with pytest.raises(exception.VifWiringFailed) as err:
        net.driver._wire_network(instance, model.NetworkInfo([good, bad]))
    message = str(err.value)
    assert port['id'] in message and '10.70.0.0/16' in message
    assert '203.0.113.9' in message
    # Both ports rolled back: the good one made before, the bad one mid-way.
    for v in (good, bad):
        assert host_link(v['devname']) is None
        assert host_link(vif_mod.peer_name(v['id'])) is None
    assert 'eth' not in exec_out(c, 'ip', 'addr')


@pytest.mark.parametrize('change, field', [
    (dict(address='01:00:5e:00:00:01'), 'address'),
    (dict(address='not-a-mac'), 'address'),
    (dict(type='vhostuser'), 'vif_type'),
    (dict(bridge='a-much-too-long-bridge'), 'network.bridge'),
    (dict(ip='10.0.0.9'), 'fixed_ips.address'),
    (dict(mtu=20), 'network.mtu'),
])
def test_bad_port_data_names_field_and_makes_nothing(net, bridge, change,
                                                     field):
    instance, c = net.container()
    vif = new_vif(net, bridge=bridge, ipv6=False)
    if 'address' in change:
        vif['address'] = change['address']
    if 'type' in change:
        vif['type'] = change['type']
    if 'bridge' in change:
        vif['network']['bridge'] = change['bridge']
    if 'ip' in change:
        vif['network']['subnets'][0]['ips'][0]['address'] = change['ip']
    if 'mtu' in change:
        vif['network']['meta']['mtu'] = change['mtu']
    with pytest.raises(exception.InvalidVif) as err:
        net.driver._wire_network(instance, model.NetworkInfo([vif]))
    assert field in str(err.value)
    assert vif['id'] in str(err.value)
    assert host_link(vif['devname']) is None
    assert host_link(vif_mod.peer_name(vif['id'])) is None
    if field != 'network.bridge':
        assert host_link(bridge) is None
    assert 'eth0' not in exec_out(c, 'ip', 'addr')


def test_stopped_container_is_refused_and_plug_vifs_waits(net, bridge):
    instance, c = net.container()
    c.stop(timeout=2)
    vifs = model.NetworkInfo([new_vif(net, bridge=bridge)])
    with pytest.raises(exception.ContainerNotRunning):
        net.driver._wire_network(instance, vifs)
    # plug_vifs on a stopped container is a no-op: it is wired on start.
    net.driver.plug_vifs(instance, vifs)
    assert host_link(vifs[0]['devname']) is None


def test_host_network_container_is_never_wired(net, bridge):
    instance, c = net.container(network_mode='host')
    vif = new_vif(net, bridge=bridge)
    with pytest.raises(exception.VifWiringFailed) as err:
        net.driver._wire_network(instance, model.NetworkInfo([vif]))
    assert 'host network namespace' in str(err.value)
    assert host_link(vif['devname']) is None
    assert host_link(vif_mod.peer_name(vif['id'])) is None


def test_attach_and_detach_interface(net, bridge):
    instance, c = net.container()
    first = new_vif(net, bridge=bridge, ipv6=False)
    net.driver._wire_network(instance, model.NetworkInfo([first]))
    second = new_vif(net, bridge=bridge, ipv6=False, fixed_ips=[
        {'ip_address': '192.168.1.77', 'subnet_id': NF.subnet_1['id']}])
    net.driver.attach_interface(None, instance, None, second)
    eth1 = exec_out(c, 'ip', 'addr', 'show', 'eth1')
    assert second['address'] in eth1 and '192.168.1.77/24' in eth1
    assert host_link(second['devname'])['master'] == bridge

    net.driver.detach_interface(None, instance, second)
    assert 'eth1' not in exec_out(c, 'ip', 'addr')
    assert host_link(second['devname']) is None
    assert 'eth0' in exec_out(c, 'ip', 'addr')
    # Detaching again is harmless.
    net.driver.detach_interface(None, instance, second)

    # Attaching to a stopped container is recorded, not wired.
    c.stop(timeout=2)
    net.driver.attach_interface(None, instance, None, second)
    assert host_link(second['devname']) is None


@pytest.fixture
def bridge_forwarding(bridge):
    """Let traffic cross the test bridge (and only it) through FORWARD.

    With br_netfilter loaded, bridged frames pass iptables FORWARD, whose
    policy Docker sets to DROP; in a cloud Neutron's security groups allow
    them.
    """
    rule = ['DOCKER-USER', '-i', bridge, '-o', bridge, '-j', 'ACCEPT']
    have_iptables = subprocess.run(['iptables', '-I'] + rule,
                                   capture_output=True).returncode == 0
    yield bridge
    if have_iptables:
        subprocess.run(['iptables', '-D'] + rule, capture_output=True)


@pytest.mark.slow
def test_two_containers_on_one_bridge_ping_each_other(net,
                                                      bridge_forwarding):
    a_inst, a = net.container()
    b_inst, b = net.container()
    a_vif = new_vif(net, bridge=bridge_forwarding, ipv6=False)
    b_vif = new_vif(net, bridge=bridge_forwarding, ipv6=False, fixed_ips=[
        {'ip_address': '192.168.1.30', 'subnet_id': NF.subnet_1['id']}])
    net.driver._wire_network(a_inst, model.NetworkInfo([a_vif]))
    net.driver._wire_network(b_inst, model.NetworkInfo([b_vif]))
    code, out = a.exec_run(['ping', '-c', '2', '-W', '2', '192.168.1.30'])
    assert code == 0, out
    code, out = b.exec_run(['ping', '-c', '2', '-W', '2', '192.168.1.3'])
    assert code == 0, out
    # The neighbour seen is the other port's MAC.
    assert b_vif['address'] in exec_out(a, 'ip', 'neigh')


PRIVSEP_SCRIPT = r'''
import json, sys
from oslo_config import cfg
from oslo_privsep import priv_context
from nova import objects
from nova.network import model
from nova_docker_driver.network import mixin, privsep
objects.register_all()
cfg.CONF([], project='nova')
class D(mixin.NetworkMixin):
    def _container_pid(self, instance):
        return int(sys.argv[1])
vif = model.NetworkInfo.hydrate(sys.argv[2])
privsep.vif_plug.start(priv_context.Method.FORK)
D()._wire_network(objects.Instance(uuid=sys.argv[3]), vif)
print(json.dumps(privsep.vif_plug.channel is not None))
privsep.vif_plug.stop()
'''


@pytest.mark.slow
def test_wiring_through_a_real_privsep_daemon(net, bridge, tmp_path):
    """The capability set is enough: wire through a forked privsep daemon
    that keeps only CAP_NET_ADMIN, CAP_SYS_ADMIN and CAP_SYS_PTRACE."""
    instance, c = net.container()
    vif = new_vif(net, bridge=bridge)
    pid = net.driver._container_pid(instance)
    script = tmp_path / 'wire.py'
    script.write_text(PRIVSEP_SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script), str(pid),
         model.NetworkInfo([vif]).json(), instance.uuid],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith('true')
    assert 'inet 192.168.1.3/24' in exec_out(c, 'ip', 'addr', 'show', 'eth0')
    assert host_link(vif['devname'])['master'] == bridge
