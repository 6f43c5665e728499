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

"""OVS ports (Nova 34's usual vif_type) wired through a real Open vSwitch.

There is no openvswitch kernel module here, so the tests run their own
``ovsdb-server`` and ``ovs-vswitchd`` (Debian's openvswitch-switch) with the
user-space datapath (``datapath_type=netdev``), which forwards between the
veths for real. The OVS port data is NeutronFixture.port_1's, as Nova builds
the VIF (vif_type ovs, bridge from the binding).
"""

import os

os.environ.setdefault('OS_NOVA_DISABLE_EVENTLET_PATCHING', '1')

import nova.tests.functional  # noqa: E402,F401,I100

import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402
from nova.network import model  # noqa: E402
from oslo_config import cfg  # noqa: E402

from nova_docker_driver.network import exception  # noqa: E402
from nova_docker_driver.network import ovsdb  # noqa: E402
from nova_docker_driver.network import vif as vif_mod  # noqa: E402
from tests.functional.nova_docker_driver import test_network_netns as base  # noqa: E402,E501

CONF = cfg.CONF
NF = base.NF
net = base.net
in_process_privsep = base.in_process_privsep


class PrivateOvs:
    """ovsdb-server + ovs-vswitchd of our own, every file in one folder."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='dos-ovs-')
        self.db = 'unix:%s/db.sock' % self.dir
        self.env = dict(os.environ, OVS_RUNDIR=self.dir, OVS_LOGDIR=self.dir,
                        OVS_DBDIR=self.dir)

    def _run(self, *cmd):
        return subprocess.run(cmd, env=self.env, check=True,
                              capture_output=True, text=True,
                              timeout=60).stdout

    def start(self):
        d = self.dir
        self._run('ovsdb-tool', 'create', '%s/conf.db' % d,
                  '/usr/share/openvswitch/vswitch.ovsschema')
        self._run('ovsdb-server', '%s/conf.db' % d,
                  '--remote=punix:%s/db.sock' % d,
                  '--pidfile=%s/ovsdb.pid' % d,
                  '--unixctl=%s/ovsdb.ctl' % d,
                  '--log-file=%s/ovsdb.log' % d, '--detach')
        self.vsctl('--no-wait', 'init')
        self._run('ovs-vswitchd', self.db,
                  '--pidfile=%s/vswitchd.pid' % d,
                  '--unixctl=%s/vswitchd.ctl' % d,
                  '--log-file=%s/vswitchd.log' % d, '--detach')

    def vsctl(self, *args):
        return self._run('ovs-vsctl', '--timeout=20', '--db=%s' % self.db,
                         *args)

    def stop(self):
        bridges = []
        try:
            bridges = self.vsctl('list-br').split()
            for bridge in bridges:
                self.vsctl('--if-exists', 'del-br', bridge)
        finally:
            for ctl in ('vswitchd.ctl', 'ovsdb.ctl'):
                subprocess.run(['ovs-appctl', '--timeout=10',
                                '--target=%s/%s' % (self.dir, ctl), 'exit'],
                               env=self.env, capture_output=True)
            # A user-space bridge's tap device may outlive the daemon (not
            # through privsep: this may run after the tests reset it).
            for bridge in bridges:
                subprocess.run(['ip', 'link', 'del', bridge],
                               capture_output=True)
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope='module')
def ovs():
    switch = PrivateOvs()
    switch.start()
    yield switch
    switch.stop()


@pytest.fixture
def ovs_conf(ovs):
    CONF.set_override('ovsdb_connection', ovs.db, group='docker_network')
    CONF.set_override('ovs_datapath_type', 'netdev', group='docker_network')
    bridge = 'brovs%s' % uuid.uuid4().hex[:8]
    yield bridge
    CONF.clear_override('ovsdb_connection', group='docker_network')
    CONF.clear_override('ovs_datapath_type', group='docker_network')
    ovs.vsctl('--if-exists', 'del-br', bridge)
    subprocess.run(['ip', 'link', 'del', bridge], capture_output=True)


def ovs_vif(net, bridge, **kwargs):
    vif = base.new_vif(net, vif_type='ovs', bridge=bridge, **kwargs)
    vif['ovs_interfaceid'] = vif['id']
    return vif


def external_ids(ovs, name):
    raw = ovs.vsctl('--bare', 'get', 'Interface', name, 'external_ids')
    return dict(item.split('=', 1) for item in
                raw.strip().strip('{}').replace('"', '').split(', ') if item)


def test_ovs_port_is_wired_with_the_ids_agents_bind_by(net, ovs, ovs_conf):
    instance, c = net.container()
    vif = ovs_vif(net, ovs_conf)
    net.driver._wire_network(instance, model.NetworkInfo([vif]))

    eth0 = base.exec_out(c, 'ip', 'addr', 'show', 'eth0')
    assert vif['address'] in eth0
    assert 'inet 192.168.1.3/24' in eth0 and 'fd37:44e8:ad06::3/64' in eth0
    assert ovs.vsctl('port-to-br', vif['devname']).strip() == ovs_conf
    ids = external_ids(ovs, vif['devname'])
    assert ids == {'iface-id': vif['id'], 'iface-status': 'active',
                   'attached-mac': vif['address'],
                   'vm-uuid': instance.uuid}
    assert ovs.vsctl('get', 'Bridge', ovs_conf,
                     'datapath_type').strip() == 'netdev'
    assert base.host_link(vif['devname'])['state'] == 'up'


def test_an_existing_bridge_keeps_its_datapath_type(net, ovs, ovs_conf):
    # br-int belongs to ovn-controller (or the OVS agent): a plug must not
    # turn it into the datapath type of the driver's own option.
    ovs.vsctl('add-br', ovs_conf, '--', 'set', 'Bridge', ovs_conf,
              'datapath_type=netdev')
    CONF.set_override('ovs_datapath_type', 'system', group='docker_network')
    instance, _c = net.container()
    vif = ovs_vif(net, ovs_conf)
    net.driver._wire_network(instance, model.NetworkInfo([vif]))
    assert ovs.vsctl('port-to-br', vif['devname']).strip() == ovs_conf
    assert ovs.vsctl('get', 'Bridge', ovs_conf,
                     'datapath_type').strip() == 'netdev'


@pytest.mark.slow
def test_two_containers_ping_through_open_vswitch(net, ovs, ovs_conf):
    a_inst, a = net.container()
    b_inst, b = net.container()
    a_vif = ovs_vif(net, ovs_conf, ipv6=False)
    b_vif = ovs_vif(net, ovs_conf, ipv6=False, fixed_ips=[
        {'ip_address': '192.168.1.30', 'subnet_id': NF.subnet_1['id']}])
    net.driver._wire_network(a_inst, model.NetworkInfo([a_vif]))
    net.driver._wire_network(b_inst, model.NetworkInfo([b_vif]))
    code, out = a.exec_run(['ping', '-c', '2', '-W', '2', '192.168.1.30'])
    assert code == 0, out
    assert b_vif['address'] in base.exec_out(a, 'ip', 'neigh')


def test_restart_rewire_keeps_one_ovs_port(net, ovs, ovs_conf):
    instance, c = net.container()
    vifs = model.NetworkInfo([ovs_vif(net, ovs_conf)])
    net.driver._wire_network(instance, vifs)
    before = base.inside(c)
    c.restart(timeout=5)
    # The link died with the namespace; the OVS record stays until re-wired.
    assert base.gone(vifs[0]['devname'])
    net.driver._wire_network(instance, vifs)
    assert base.inside(c) == before
    assert ovs.vsctl('list-ports', ovs_conf).split() == [vifs[0]['devname']]


def test_unwire_removes_ovs_ports_of_a_gone_container(net, ovs, ovs_conf):
    instance, c = net.container()
    vifs = model.NetworkInfo([ovs_vif(net, ovs_conf),
                              ovs_vif(net, ovs_conf, ipv6=False,
                                      fixed_ips=[{
                                          'ip_address': '192.168.1.9',
                                          'subnet_id': NF.subnet_1['id']}])])
    net.driver._wire_network(instance, vifs)
    assert len(ovs.vsctl('list-ports', ovs_conf).split()) == 2
    c.remove(force=True)
    # No network info at all: the ports are found by the instance uuid.
    net.driver._unwire_network(instance, model.NetworkInfo([]))
    assert ovs.vsctl('list-ports', ovs_conf).split() == []
    assert ovsdb.ports_of_instance(instance.uuid) == []
    for v in vifs:
        assert base.host_link(v['devname']) is None
    net.driver.unplug_vifs(instance, vifs)


def test_kernel_refusal_mid_plug_leaves_no_ovs_port(net, ovs, ovs_conf):
    instance, c = net.container()
    subnet = dict(NF.subnet_1, host_routes=[
        {'destination': '10.70.0.0/16', 'nexthop': '203.0.113.9'}])
    port = base.neutron_port(ipv6=False)
    net.ports.append(port['id'])
    vif = base.vif_from_port(port, vif_type='ovs', bridge=ovs_conf,
                             subnets=[subnet])
    with pytest.raises(exception.VifWiringFailed) as err:
        net.driver._wire_network(instance, model.NetworkInfo([vif]))
    assert '10.70.0.0/16' in str(err.value)
    assert ovs.vsctl('list-ports', ovs_conf).split() == []
    assert base.host_link(vif['devname']) is None
    assert base.host_link(vif_mod.peer_name(vif['id'])) is None


def test_unreachable_ovsdb_fails_clearly_and_leaves_nothing(net, ovs,
                                                            ovs_conf):
    instance, c = net.container()
    CONF.set_override('ovsdb_connection', 'unix:%s/nothing.sock' % ovs.dir,
                      group='docker_network')
    CONF.set_override('ovs_vsctl_timeout', 2, group='docker_network')
    try:
        vif = ovs_vif(net, ovs_conf)
        with pytest.raises(exception.VifWiringFailed) as err:
            net.driver._wire_network(instance, model.NetworkInfo([vif]))
    finally:
        CONF.clear_override('ovs_vsctl_timeout', group='docker_network')
    assert 'ovs-vsctl' in str(err.value) and vif['id'] in str(err.value)
    assert base.host_link(vif['devname']) is None
    assert base.host_link(vif_mod.peer_name(vif['id'])) is None
    assert 'eth0' not in base.exec_out(c, 'ip', 'addr')
