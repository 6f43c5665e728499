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

"""Plugging with ``[docker_network] host_netns``: the host end moved into a
named namespace and handled there; tx checksum offload for the user-space
datapath. On ``FakeNetlink`` (no root, no kernel)."""

import os

os.environ.setdefault('OS_NOVA_DISABLE_EVENTLET_PATCHING', '1')

import nova.tests.functional  # noqa: E402,F401,I100

import uuid  # noqa: E402

import pytest  # noqa: E402
from nova import objects  # noqa: E402
from nova.network import model  # noqa: E402
from oslo_config import cfg  # noqa: E402

from nova_docker_driver.network import exception  # noqa: E402
from nova_docker_driver.network import linux_net  # noqa: E402
from nova_docker_driver.network import mixin  # noqa: E402
from nova_docker_driver.network import ovsdb  # noqa: E402
from nova_docker_driver.network import plugger  # noqa: E402
from nova_docker_driver.network import vif as vif_mod  # noqa: E402
from tests.unit.nova_docker_driver.network import test_vif  # noqa: E402

objects.register_all()
CONF = cfg.CONF
NS = 'aio-test-compute1'
PORT = test_vif.PORT
TAP = ('tap' + PORT)[:14]
PEER = vif_mod.peer_name(PORT)


def _set(name, value):
    CONF.set_override(name, value, group='docker_network')


@pytest.fixture
def host_netns(tmp_path, monkeypatch, netlink):
    """host_netns set to a namespace that exists (a file in NETNS_DIR)."""
    (tmp_path / NS).write_text('')
    monkeypatch.setattr(linux_net, 'NETNS_DIR', str(tmp_path))
    netlink.named[NS] = {}
    _set('host_netns', NS)
    yield NS
    CONF.clear_override('host_netns', group='docker_network')


@pytest.fixture
def ovs(monkeypatch):
    calls = []
    monkeypatch.setattr(ovsdb, 'available', lambda: True)
    monkeypatch.setattr(ovsdb, 'reachable', lambda: True)
    monkeypatch.setattr(ovsdb, 'add_port',
                        lambda *args: calls.append(('add_port',) + args))
    monkeypatch.setattr(ovsdb, 'del_port',
                        lambda name: calls.append(('del_port', name)))
    monkeypatch.setattr(ovsdb, 'ports_of_instance', lambda uuid: [])
    yield calls
    CONF.clear_override('ovs_datapath_type', group='docker_network')


def _spec(**kwargs):
    return vif_mod.from_vif(test_vif.make_vif(**kwargs))


def test_host_netns_helper(host_netns):
    assert plugger.host_netns() == NS
    assert plugger.host_namespaces() == [None, NS]
    _set('host_netns', '')
    assert plugger.host_netns() is None
    assert plugger.host_namespaces() == [None]
    CONF.clear_override('host_netns', group='docker_network')
    assert plugger.host_netns() is None


@pytest.mark.parametrize('value, why', [
    ('absent-ns', 'ip netns add absent-ns'),
    ('a/b', 'not a network namespace name')])
def test_bad_host_netns_fails_before_any_link(host_netns, netlink, value,
                                              why):
    _set('host_netns', value)
    spec = _spec()
    with pytest.raises(exception.InvalidVif) as err:
        plugger.for_spec(spec).plug(spec, 'u1', 42, 'eth0', 100)
    message = str(err.value)
    assert '[docker_network] host_netns' in message and why in message
    assert PORT in message
    assert isinstance(err.value, exception.VifWiringFailed)
    assert netlink.calls == [] and netlink.host == {}


def test_plug_moves_the_host_end_and_bridges_it_there(host_netns, netlink):
    spec = _spec()
    plugger.for_spec(spec).plug(spec, 'u1', 42, 'eth0', 100)
    assert netlink.calls == [
        ('delete_link', TAP, NS),
        ('create_veth', TAP),
        ('move_host_end', TAP, NS),
        ('ensure_bridge', spec.bridge, NS),
        ('set_host_end', TAP, NS),
        ('wire_peer', 42, 'eth0')]
    assert netlink.named[NS] == {TAP: plugger.alias_for('u1')}
    assert netlink.host == {}


def test_tap_plug_sets_the_host_end_up_in_the_namespace(host_netns,
                                                         netlink):
    spec = _spec(vif_type='tap', bridge=None)
    plugger.for_spec(spec).plug(spec, 'u1', 42, 'eth0', 100)
    assert ('set_host_end', TAP, NS) in netlink.calls
    assert TAP in netlink.named[NS]


@pytest.mark.parametrize('broken', ['move_host_end', 'set_host_end',
                                    'wire_peer'])
def test_failed_plug_leaves_nothing_in_either_namespace(
        host_netns, netlink, monkeypatch, broken):
    real = getattr(netlink, broken)

    def fail(*args, **kwargs):
        if broken == 'move_host_end':
            # Refused by the kernel: the end stays here.
            raise linux_net.NetlinkStepFailed('move: File exists')
        real(*args, **kwargs)
        raise linux_net.NetlinkStepFailed('%s refused' % broken)

    monkeypatch.setattr(linux_net, broken, fail)
    spec = _spec(vif_type='tap', bridge=None)
    with pytest.raises(linux_net.NetlinkStepFailed):
        plugger.for_spec(spec).plug(spec, 'u1', 42, 'eth0', 100)
    assert netlink.host == {} and netlink.named[NS] == {}
    assert ('delete_link', TAP, NS) in netlink.calls[-3:]
    assert netlink.calls[-2:] == [('delete_link', TAP),
                                  ('delete_link', PEER)]


def test_unplug_survives_a_vanished_namespace(host_netns, netlink):
    netlink.host[PEER] = 'x'
    del netlink.named[NS]
    spec = _spec()
    assert plugger.for_spec(spec).unplug(spec) is False
    assert netlink.host == {}


def test_unplug_reports_a_link_gone_from_the_namespace(host_netns,
                                                       netlink):
    netlink.named[NS][TAP] = 'x'
    spec = _spec()
    assert plugger.for_spec(spec).unplug(spec) is True
    assert netlink.named[NS] == {}


def test_refresh_looks_in_the_namespace(host_netns, netlink):
    spec = _spec(vif_type='tap', bridge=None)
    strategy = plugger.for_spec(spec)
    strategy.refresh(spec, 'u1', 42, 'eth0', 100)
    assert not any(c[0] == 'set_host_end' for c in netlink.calls)
    netlink.named[NS][TAP] = plugger.alias_for('u1')
    strategy.refresh(spec, 'u1', 42, 'eth0', 100)
    assert ('set_host_end', TAP, NS) in netlink.calls


def test_without_host_netns_nothing_moves(netlink):
    spec = _spec()
    plugger.for_spec(spec).plug(spec, 'u1', 42, 'eth0', 100)
    assert not any(c[0] == 'move_host_end' for c in netlink.calls)
    assert ('set_host_end', TAP) in netlink.calls
    assert list(netlink.host) == [TAP]


# ------------------------------------------------------ tx checksum offload
def test_netdev_vif_details_ask_for_tx_checksum_off(netlink):
    vif = test_vif.make_vif(vif_type='tap', bridge=None)
    vif['details'] = {'datapath_type': 'netdev'}
    spec = vif_mod.from_vif(vif)
    assert spec.tx_checksum_off is True
    plugger.for_spec(spec).plug(spec, 'u1', 42, 'eth0', 100)
    assert netlink.configs[-1]['tx_checksum_off'] is True
    vif['details'] = {'datapath_type': 'system'}
    assert vif_mod.from_vif(vif).tx_checksum_off is False
    del vif['details']
    assert vif_mod.from_vif(vif).tx_checksum_off is False


@pytest.mark.parametrize('datapath, wanted', [('netdev', True),
                                              ('system', False)])
def test_ovs_on_the_user_space_datapath_forces_it(netlink, ovs, monkeypatch,
                                                  datapath, wanted):
    _set('ovs_datapath_type', datapath)
    spec = _spec(vif_type='ovs', bridge='br-int')
    assert spec.tx_checksum_off is False
    strategy = plugger.for_spec(spec)
    strategy.plug(spec, 'u1', 42, 'eth0', 100)
    assert netlink.configs[-1]['tx_checksum_off'] is wanted
    calls = []
    monkeypatch.setattr(linux_net, 'configure_in_netns',
                        lambda pid, ifname, config: calls.append(config))
    strategy.refresh(spec, 'u1', 42, 'eth0', 100)
    assert calls[-1]['tx_checksum_off'] is wanted


def test_ovs_plug_in_the_namespace(host_netns, netlink, ovs):
    spec = _spec(vif_type='ovs', bridge='br-int')
    plugger.for_spec(spec).plug(spec, 'u1', 42, 'eth0', 100)
    names = [c[0] for c in netlink.calls]
    assert names.index('move_host_end') < names.index('set_host_end')
    assert ovs == [('add_port', 'br-int', TAP, PORT, spec.mac, 'u1')]
    assert ('set_host_end', TAP, NS) in netlink.calls


# ------------------------------------------------------------------- mixin
class Driver(mixin.NetworkMixin):
    def __init__(self, pid=42):
        self.pid = pid

    def _container_pid(self, instance):
        return self.pid


def _instance():
    return objects.Instance(uuid=str(uuid.uuid4()))


def test_unwire_sweeps_both_namespaces(host_netns, netlink):
    inst = _instance()
    alias = plugger.alias_for(inst.uuid)
    netlink.host['tapleft'] = alias
    netlink.named[NS].update({'tapmoved': alias, 'tapother': 'someone'})
    Driver()._unwire_network(inst, model.NetworkInfo([]))
    assert netlink.host == {}
    assert netlink.named[NS] == {'tapother': 'someone'}


def test_unwire_with_a_vanished_namespace_still_sweeps_here(host_netns,
                                                            netlink):
    inst = _instance()
    netlink.host['tapleft'] = plugger.alias_for(inst.uuid)
    del netlink.named[NS]
    vif = test_vif.make_vif()
    Driver()._unwire_network(inst, model.NetworkInfo([vif]))
    assert netlink.host == {}


def test_wire_and_unwire_through_the_mixin(host_netns, netlink):
    inst = _instance()
    vif = test_vif.make_vif(vif_type='tap', bridge=None)
    Driver()._wire_network(inst, model.NetworkInfo([vif]))
    assert netlink.named[NS] == {TAP: plugger.alias_for(inst.uuid)}
    Driver().unplug_vifs(inst, model.NetworkInfo([vif]))
    assert netlink.named[NS] == {} and netlink.host == {}


@pytest.mark.parametrize('where', ['netns', 'root'])
def test_unplug_leaves_a_port_another_instance_owns(host_netns, netlink,
                                                    where):
    inst = _instance()
    space = netlink.named[NS] if where == 'netns' else netlink.host
    space[TAP] = plugger.alias_for('another-instance')
    Driver()._unplug_one(test_vif.make_vif(), inst.uuid)
    assert space == {TAP: plugger.alias_for('another-instance')}
    assert not any(c[0] == 'delete_link' for c in netlink.calls)


def test_detach_deletes_in_the_namespace(host_netns, netlink):
    inst = _instance()
    netlink.named[NS][TAP] = plugger.alias_for(inst.uuid)
    Driver().detach_interface(None, inst, test_vif.make_vif())
    assert netlink.named[NS] == {}
    assert netlink.calls[-3:] == [('delete_link', TAP, NS),
                                  ('delete_link', TAP),
                                  ('delete_link', PEER)]


def test_missing_host_netns_fails_wiring_naming_the_option(host_netns,
                                                           netlink):
    _set('host_netns', 'not-made-yet')
    inst = _instance()
    with pytest.raises(exception.InvalidVif) as err:
        Driver()._wire_network(inst, model.NetworkInfo([
            test_vif.make_vif()]))
    assert '[docker_network] host_netns' in str(err.value)
    assert 'not-made-yet' in str(err.value)
    assert netlink.calls == []
