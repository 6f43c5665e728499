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

"""The host side in a named network namespace (``[docker_network]
host_netns``), TX checksum offload and DNS servers, on real links, real
namespaces and real containers of the private engine.

Each test makes its own namespace (``ip netns add``, a fresh name, deleted
afterwards) and reads what happened with iproute2 and ethtool, not with
the code under test. OVS cases run a private ovsdb-server, and an
ovs-vswitchd started inside the test's namespace (``ip netns exec``), as
each compute host of the all-in-one runs its own.
"""

import os

os.environ.setdefault('OS_NOVA_DISABLE_EVENTLET_PATCHING', '1')

import nova.tests.functional  # noqa: E402,F401,I100

import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402
from nova.network import model  # noqa: E402
from oslo_config import cfg  # noqa: E402

from nova_docker_driver.backends import base as backend_base  # noqa: E402
# Registers the [docker] options the backend reads.
from nova_docker_driver import driver as docker_driver  # noqa: E402,F401
from nova_docker_driver.backends import docker_api  # noqa: E402
from nova_docker_driver.network import exception  # noqa: E402
from nova_docker_driver.network import linux_net  # noqa: E402
from nova_docker_driver.network import plugger  # noqa: E402
from nova_docker_driver.network import vif as vif_mod  # noqa: E402
from tests.functional.nova_docker_driver import test_network_netns as base  # noqa: E402,E501
from tests.functional.nova_docker_driver import test_network_ovs as ovs_base  # noqa: E402,E501
from tests.rig import docker_engine  # noqa: E402

CONF = cfg.CONF
NF = base.NF
net = base.net
in_process_privsep = base.in_process_privsep


# ------------------------------------------------------------------ helpers
def ip(*args, check=True):
    done = subprocess.run(['ip'] + list(args), capture_output=True,
                          text=True, timeout=30)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def links_in(netns):
    """{name: ip -d -j link record} of the named namespace (or the root)."""
    prefix = ['-n', netns] if netns else []
    out = ip(*(prefix + ['-d', '-j', 'link', 'show'])).stdout
    return {link['ifname']: link for link in json.loads(out)}


def ns_gone(netns, name, timeout=20.0):
    """Whether link ``name`` left namespace ``netns`` within ``timeout``."""
    deadline = time.monotonic() + timeout
    while name in links_in(netns):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def tx_checksumming(pid, ifname='eth0'):
    """'on' or 'off': ethtool -k inside the namespace of process ``pid``."""
    out = subprocess.run(
        ['nsenter', '-t', str(pid), '-n', 'ethtool', '-k', ifname],
        capture_output=True, text=True, timeout=30, check=True).stdout
    for line in out.splitlines():
        if line.startswith('tx-checksumming:'):
            return line.split(':', 1)[1].split()[0]
    raise AssertionError('no tx-checksumming in ethtool -k: %s' % out)


@pytest.fixture
def host_netns():
    """A namespace of the test's own, set as [docker_network] host_netns."""
    name = 'dost-%s' % uuid.uuid4().hex[:10]
    ip('netns', 'add', name)
    CONF.set_override('host_netns', name, group='docker_network')
    yield name
    CONF.clear_override('host_netns', group='docker_network')
    ip('netns', 'del', name, check=False)


def pid_of(net, instance):
    return net.driver._container_pid(instance)


# ------------------------------------------------------------ host_netns
def test_bridge_port_host_end_lives_in_the_named_namespace(net, host_netns):
    bridge = 'brqt%s' % uuid.uuid4().hex[:9]
    instance, c = net.container()
    vif = base.new_vif(net, bridge=bridge)
    net.driver._wire_network(instance, model.NetworkInfo([vif]))

    inside_ns = links_in(host_netns)
    tap = inside_ns[vif['devname']]
    assert tap['linkinfo']['info_kind'] == 'veth'
    assert tap['master'] == bridge
    assert tap['ifalias'] == plugger.alias_for(instance.uuid)
    assert 'UP' in tap['flags'] and tap['mtu'] == 1450
    assert inside_ns[bridge]['linkinfo']['info_kind'] == 'bridge'
    # Neither the host end, nor the bridge, nor the peer is in the root.
    root = links_in(None)
    for name in (vif['devname'], bridge, vif_mod.peer_name(vif['id'])):
        assert name not in root
    assert linux_net.host_link(vif['devname']) is None
    found = linux_net.host_link(vif['devname'], netns=host_netns)
    assert found['master'] == bridge and found['peer_elsewhere']

    eth0 = base.exec_out(c, 'ip', 'addr', 'show', 'eth0')
    assert vif['address'] in eth0 and 'inet 192.168.1.3/24' in eth0
    assert 'inet6 fd37:44e8:ad06::3/64' in eth0
    assert 'default via 192.168.1.1 dev eth0' in base.exec_out(
        c, 'ip', 'route')

    net.driver.unplug_vifs(instance, model.NetworkInfo([vif]))
    assert vif['devname'] not in links_in(host_netns)
    assert vif['devname'] not in links_in(None)
    assert 'eth0' not in base.exec_out(c, 'ip', 'addr')
    # The bridge is shared: it stays, in the namespace.
    assert bridge in links_in(host_netns)


def test_move_host_end_keeps_the_alias(host_netns):
    name = 'tapmv%s' % uuid.uuid4().hex[:8]
    peer = 'nsmv%s' % uuid.uuid4().hex[:8]
    linux_net.create_veth(name, peer, 1400, 'nova-docker:moved')
    try:
        linux_net.move_host_end(name, host_netns, 'nova-docker:moved')
        moved = links_in(host_netns)[name]
        assert moved['ifalias'] == 'nova-docker:moved'
        assert moved['mtu'] == 1400
        assert name not in links_in(None) and peer in links_in(None)
        assert linux_net.host_links_with_alias(
            'nova-docker:moved', netns=host_netns) == [name]
        assert linux_net.host_links_with_alias('nova-docker:moved') == []
    finally:
        linux_net.delete_link(peer)
    # The pair went together, across namespaces.
    assert ns_gone(host_netns, name)


def test_tap_port_restart_rewire_and_unwire_leave_no_link(net, host_netns):
    instance, c = net.container()
    vifs = model.NetworkInfo([
        base.new_vif(net, vif_type='tap', ipv6=False),
        base.new_vif(net, vif_type='tap', ipv6=False, fixed_ips=[{
            'ip_address': '192.168.1.4', 'subnet_id': NF.subnet_1['id']}])])
    net.driver._wire_network(instance, vifs)
    before = base.inside(c)
    assert 'eth0' in before and 'eth1' in before
    for v in vifs:
        assert 'UP' in links_in(host_netns)[v['devname']]['flags']

    c.restart(timeout=5)
    # The container's namespace died: its veths, host ends included, go.
    for v in vifs:
        assert ns_gone(host_netns, v['devname'])
    net.driver._wire_network(instance, vifs)
    assert base.inside(c) == before
    # Wiring again is a refresh, not a second pair.
    net.driver.plug_vifs(instance, vifs)
    assert base.inside(c) == before

    # Stale network info: the sweep by alias finds them in the namespace.
    net.driver._unwire_network(instance, model.NetworkInfo([]))
    for v in vifs:
        assert v['devname'] not in links_in(host_netns)
        assert v['devname'] not in links_in(None)
        assert vif_mod.peer_name(v['id']) not in links_in(None)
    assert 'eth' not in base.exec_out(c, 'ip', 'addr')


def test_alias_sweep_in_the_namespace_removes_only_the_instances(
        net, host_netns):
    instance, c = net.container()
    mine, theirs = 'brmine%s' % uuid.uuid4().hex[:8], 'brtheirs%s' % \
        uuid.uuid4().hex[:7]
    stray_root = 'tapst%s' % uuid.uuid4().hex[:8]
    for name, alias in ((mine, plugger.alias_for(instance.uuid)),
                        (theirs, plugger.alias_for('someone-else'))):
        ip('-n', host_netns, 'link', 'add', name, 'type', 'bridge')
        ip('-n', host_netns, 'link', 'set', name, 'alias', alias)
    # A pair left in the root by a crash between create and move.
    linux_net.create_veth(stray_root, 'nsst%s' % uuid.uuid4().hex[:8], None,
                          plugger.alias_for(instance.uuid))
    try:
        net.driver._unwire_network(instance, model.NetworkInfo([]))
        left = links_in(host_netns)
        assert mine not in left and theirs in left
        assert stray_root not in links_in(None)
    finally:
        linux_net.delete_link(stray_root)


def test_kernel_refusal_mid_plug_leaves_nothing_in_either_namespace(
        net, host_netns):
    bridge = 'brqt%s' % uuid.uuid4().hex[:9]
    instance, c = net.container()
    good = base.new_vif(net, bridge=bridge, ipv6=False)
    subnet = dict(NF.subnet_1, host_routes=[
        {'destination': '10.70.0.0/16', 'nexthop': '203.0.113.9'}])
    port = base.neutron_port(ipv6=False, fixed_ips=[
        {'ip_address': '192.168.1.5', 'subnet_id': NF.subnet_1['id']}])
    net.ports.append(port['id'])
    bad = base.vif_from_port(port, bridge=bridge, subnets=[subnet])
    with pytest.raises(exception.VifWiringFailed) as err:
        net.driver._wire_network(instance, model.NetworkInfo([good, bad]))
    assert port['id'] in str(err.value) and '10.70.0.0/16' in str(err.value)
    for v in (good, bad):
        for netns in (host_netns, None):
            assert v['devname'] not in links_in(netns)
            assert vif_mod.peer_name(v['id']) not in links_in(netns)
    assert 'eth' not in base.exec_out(c, 'ip', 'addr')


def test_stale_link_of_the_port_name_in_the_namespace_is_replaced(
        net, host_netns):
    instance, c = net.container()
    vif = base.new_vif(net, vif_type='tap', ipv6=False)
    # A stale link of the port's host-end name in the namespace (the
    # driver owns tap<port> names): the move would collide with it.
    ip('-n', host_netns, 'link', 'add', vif['devname'], 'type', 'bridge')
    net.driver._wire_network(instance, model.NetworkInfo([vif]))
    # The stale link of the port's name was replaced by the port's end.
    tap = links_in(host_netns)[vif['devname']]
    assert tap['linkinfo']['info_kind'] == 'veth'
    assert vif['address'] in base.exec_out(c, 'ip', 'addr', 'show', 'eth0')


def test_missing_host_netns_fails_naming_the_option(net, host_netns):
    CONF.set_override('host_netns', host_netns + '-absent',
                      group='docker_network')
    instance, c = net.container()
    vif = base.new_vif(net, vif_type='tap', ipv6=False)
    with pytest.raises(exception.InvalidVif) as err:
        net.driver._wire_network(instance, model.NetworkInfo([vif]))
    message = str(err.value)
    assert '[docker_network] host_netns' in message
    assert host_netns + '-absent' in message and vif['id'] in message
    assert vif['devname'] not in links_in(None)
    assert vif['devname'] not in links_in(host_netns)
    assert vif_mod.peer_name(vif['id']) not in links_in(None)
    assert 'eth0' not in base.exec_out(c, 'ip', 'addr')
    # Destroy with the option still wrong is no error (nothing can be
    # in a namespace that is not there).
    net.driver._unwire_network(instance, model.NetworkInfo([vif]))


PRIVSEP_SCRIPT = r'''
import json, sys
from oslo_config import cfg
from oslo_privsep import priv_context
from nova import objects
from nova.network import model
from nova_docker_driver.network import linux_net, mixin, plugger, privsep
objects.register_all()
cfg.CONF([], project='nova')
cfg.CONF.set_override('host_netns', sys.argv[4], group='docker_network')
class D(mixin.NetworkMixin):
    def _container_pid(self, instance):
        return int(sys.argv[1])
vif = model.NetworkInfo.hydrate(sys.argv[2])
instance = objects.Instance(uuid=sys.argv[3])
privsep.vif_plug.start(priv_context.Method.FORK)
D()._wire_network(instance, vif)
seen = linux_net.host_links_with_alias(plugger.alias_for(sys.argv[3]),
                                       netns=sys.argv[4])
D()._unwire_network(instance, model.NetworkInfo([]))
print(json.dumps(seen))
privsep.vif_plug.stop()
'''


@pytest.mark.slow
def test_named_namespace_through_a_real_privsep_daemon(net, host_netns,
                                                       tmp_path):
    """CAP_NET_ADMIN, CAP_SYS_ADMIN and CAP_SYS_PTRACE are enough to move
    the host end, read and sweep links in the named namespace."""
    instance, c = net.container()
    vif = base.new_vif(net, vif_type='tap', ipv6=False)
    script = tmp_path / 'wire.py'
    script.write_text(PRIVSEP_SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script), str(pid_of(net, instance)),
         model.NetworkInfo([vif]).json(), instance.uuid, host_netns],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [
        vif['devname']]
    assert vif['devname'] not in links_in(host_netns)
    assert 'eth0' not in base.exec_out(c, 'ip', 'addr')


# ------------------------------------------------------ tx checksum offload
def test_tx_checksum_offload_is_off_only_when_asked(net):
    instance, c = net.container()
    netdev = base.new_vif(net, vif_type='tap', ipv6=False)
    netdev['details'] = {'datapath_type': 'netdev'}
    plain = base.new_vif(net, vif_type='tap', ipv6=False, fixed_ips=[{
        'ip_address': '192.168.1.6', 'subnet_id': NF.subnet_1['id']}])
    net.driver._wire_network(instance, model.NetworkInfo([netdev, plain]))
    pid = pid_of(net, instance)
    assert tx_checksumming(pid, 'eth0') == 'off'
    assert tx_checksumming(pid, 'eth1') == 'on'
    # A refresh (wiring again) keeps it off.
    net.driver.plug_vifs(instance, model.NetworkInfo([netdev, plain]))
    assert tx_checksumming(pid, 'eth0') == 'off'


def test_the_ioctl_reads_what_ethtool_sets(net):
    # The ioctl against ethtool(8), both ways, in a container's namespace.
    instance, c = net.container()
    vif = base.new_vif(net, vif_type='tap', ipv6=False)
    net.driver._wire_network(instance, model.NetworkInfo([vif]))
    pid = pid_of(net, instance)
    fd = linux_net._open_netns(pid)
    try:
        def read(ipr):
            return linux_net._ethtool_value('eth0',
                                            linux_net.ETHTOOL_GTXCSUM)
        assert linux_net._in_netns(fd, read) == 1
        subprocess.run(['nsenter', '-t', str(pid), '-n', 'ethtool', '-K',
                        'eth0', 'tx', 'off'], check=True,
                       capture_output=True, timeout=30)
        assert linux_net._in_netns(fd, read) == 0
    finally:
        os.close(fd)


# ------------------------------------------------------------------- DNS
def test_container_created_with_dns_servers_has_them_in_resolv_conf(
        docker, docker_conf_endpoint):
    backend = docker_api.DockerAPIBackend(CONF)
    spec = backend_base.ContainerSpec(
        name='dos-dns-%s' % uuid.uuid4().hex[:8], image='dos/idle:latest',
        labels={'test': 'dns'}, hostname='dns',
        limits=backend_base.Limits(memory_bytes=64 << 20,
                                   cpu_quota_us=100000,
                                   cpu_period_us=100000, cpu_shares=1024,
                                   pids_limit=64),
        dns_servers=['192.0.2.53', 'fd00::53'],
        dns_search=['apps.example', 'db.example'])
    cid = backend.create(spec)
    backend.start(cid)
    resolv = docker.containers.get(cid).exec_run(
        ['cat', '/etc/resolv.conf']).output.decode()
    servers = [line.split()[1] for line in resolv.splitlines()
               if line.startswith('nameserver')]
    assert servers == ['192.0.2.53', 'fd00::53']
    search = [line.split()[1:] for line in resolv.splitlines()
              if line.startswith('search')]
    assert search == [['apps.example', 'db.example']]


@pytest.fixture
def docker_conf_endpoint():
    CONF.set_override('endpoint', docker_engine.docker_host(),
                      group='docker')
    yield
    CONF.clear_override('endpoint', group='docker')


# --------------------------------------------- OVS inside the named netns
class NetnsOvs(ovs_base.PrivateOvs):
    """The private Open vSwitch, its ovs-vswitchd inside ``netns``."""

    def __init__(self, netns):
        super().__init__()
        self.netns = netns

    def _run(self, *cmd):
        if cmd[0] == 'ovs-vswitchd':
            cmd = ('ip', 'netns', 'exec', self.netns) + cmd
        return super()._run(*cmd)

    def stop(self):
        super().stop()
        # The bridges' tap devices live in the namespace; it goes anyway.


@pytest.fixture
def ovs_in_netns(host_netns):
    switch = NetnsOvs(host_netns)
    switch.start()
    CONF.set_override('ovsdb_connection', switch.db, group='docker_network')
    CONF.set_override('ovs_datapath_type', 'netdev', group='docker_network')
    bridge = 'brovs%s' % uuid.uuid4().hex[:8]
    yield switch, bridge
    CONF.clear_override('ovsdb_connection', group='docker_network')
    CONF.clear_override('ovs_datapath_type', group='docker_network')
    switch.stop()


@pytest.mark.slow
def test_ovs_bridge_in_the_namespace_carries_tcp(net, host_netns,
                                                 ovs_in_netns):
    switch, bridge = ovs_in_netns
    a_inst, a = net.container()
    b_inst, b = net.container(image='dos/httpd')
    a_vif = ovs_base.ovs_vif(net, bridge, ipv6=False)
    b_vif = ovs_base.ovs_vif(net, bridge, ipv6=False, fixed_ips=[
        {'ip_address': '192.168.1.30', 'subnet_id': NF.subnet_1['id']}])
    net.driver._wire_network(a_inst, model.NetworkInfo([a_vif]))
    net.driver._wire_network(b_inst, model.NetworkInfo([b_vif]))

    ports = switch.vsctl('list-ports', bridge).split()
    assert sorted(ports) == sorted([a_vif['devname'], b_vif['devname']])
    in_ns = links_in(host_netns)
    for inst, v in ((a_inst, a_vif), (b_inst, b_vif)):
        assert v['devname'] in in_ns and v['devname'] not in links_in(None)
        # ovs-vswitchd found the device in its namespace.
        assert switch.vsctl('get', 'Interface', v['devname'],
                            'ofport').strip() not in ('-1', '[]')
        # Forced by ovs_datapath_type netdev.
        assert tx_checksumming(pid_of(net, inst)) == 'off'
    # The bridge's own device is in the namespace too.
    assert bridge in in_ns and bridge not in links_in(None)

    code, out = a.exec_run(['ping', '-c', '2', '-W', '2', '192.168.1.30'])
    assert code == 0, out
    # TCP over the user-space datapath: needs tx checksum offload off.
    request = "printf 'GET / HTTP/1.0\\r\\n\\r\\n'"
    code, out = a.exec_run(['sh', '-c', request +
                            ' | nc -w 5 192.168.1.30 8080'])
    assert b'hello from docker-on-openstack' in out, (code, out)

    net.driver._unwire_network(a_inst, model.NetworkInfo([]))
    net.driver._unwire_network(b_inst, model.NetworkInfo([]))
    assert switch.vsctl('list-ports', bridge).split() == []
    left = links_in(host_netns)
    assert a_vif['devname'] not in left and b_vif['devname'] not in left
