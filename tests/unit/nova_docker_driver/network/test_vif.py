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

"""A Nova VIF to a wiring spec: names, addresses, routes, validation."""

import os

os.environ.setdefault('OS_NOVA_DISABLE_EVENTLET_PATCHING', '1')

import nova.tests.functional  # noqa: E402,F401,I100

import pytest  # noqa: E402
from nova.network import model  # noqa: E402

from nova_docker_driver.network import exception  # noqa: E402
from nova_docker_driver.network import mixin  # noqa: E402
from nova_docker_driver.network import plugger  # noqa: E402
from nova_docker_driver.network import vif as vif_mod  # noqa: E402

PORT = 'ce531f90-199f-48c0-816c-13e38010b442'


def make_vif(gateway='192.168.1.1', v6=True, routes=(), mtu=1450,
             vif_type='bridge', bridge='brq3cb9bc59-56'):
    subnets = [model.Subnet(
        cidr='192.168.1.1/24',
        gateway=model.IP(address=gateway, type='gateway'),
        ips=[model.FixedIP(address='192.168.1.3')],
        routes=[model.Route(cidr=c, gateway=model.IP(address=g))
                for c, g in routes])]
    if v6:
        subnets.append(model.Subnet(
            cidr='fd37:44e8:ad06::/64',
            gateway=model.IP(address='fd37:44e8:ad06::1', type='gateway'),
            ips=[model.FixedIP(address='fd37:44e8:ad06::3')]))
    network = model.Network(id='net', bridge=bridge, subnets=subnets,
                            mtu=mtu)
    return model.VIF(id=PORT, address='FA:16:3E:4C:2C:30', network=network,
                     type=vif_type, devname=('tap' + PORT)[:14])


def test_names_mac_mtu_addresses_and_routes():
    spec = vif_mod.from_vif(make_vif(routes=[('10.60.0.0/16',
                                              '192.168.1.254')]))
    assert spec.host_name == 'tapce531f90-19'
    assert spec.peer_name == 'nsce531f90-19'
    assert spec.mac == 'fa:16:3e:4c:2c:30'
    assert spec.mtu == 1450
    assert spec.addresses == [
        {'address': '192.168.1.3', 'prefixlen': 24, 'version': 4,
         'broadcast': '192.168.1.255'},
        {'address': 'fd37:44e8:ad06::3', 'prefixlen': 64, 'version': 6}]
    assert spec.routes == [
        {'dst': 'default', 'gateway': '192.168.1.1', 'version': 4,
         'onlink': False},
        {'dst': '10.60.0.0/16', 'gateway': '192.168.1.254', 'version': 4,
         'onlink': False},
        {'dst': 'default', 'gateway': 'fd37:44e8:ad06::1', 'version': 6,
         'onlink': False}]
    config = spec.netns_config('eth1', 101)
    assert config['ifname'] == 'eth1' and config['metric'] == 101


def test_no_gateway_gives_no_default_route():
    spec = vif_mod.from_vif(make_vif(gateway=None, v6=False))
    assert spec.routes == []


def test_gateway_outside_subnet_is_onlink():
    spec = vif_mod.from_vif(make_vif(gateway='10.0.0.1', v6=False))
    assert spec.routes == [{'dst': 'default', 'gateway': '10.0.0.1',
                            'version': 4, 'onlink': True}]


def test_network_without_mtu_keeps_kernel_default():
    assert vif_mod.from_vif(make_vif(mtu=None)).mtu is None


def test_hydrated_network_info_gives_same_spec():
    vif = make_vif()
    again = model.NetworkInfo.hydrate(model.NetworkInfo([vif]).json())[0]
    assert vif_mod.from_vif(again) == vif_mod.from_vif(vif)


@pytest.mark.parametrize('mutate, field', [
    (lambda v: v.update(address='ff:ff:ff:ff:ff:ff'), 'address'),
    (lambda v: v.update(address=None), 'address'),
    (lambda v: v.update(devname='tap/bad'), 'devname'),
    (lambda v: v['network'].update(bridge='x' * 16), 'network.bridge'),
    (lambda v: v['network']['meta'].update(mtu='big'), 'network.mtu'),
    (lambda v: v['network']['subnets'][0].update(cidr='nonsense'),
     'subnet.cidr'),
    (lambda v: v['network']['subnets'][0]['ips'][0].update(
        address='10.1.1.1'), 'fixed_ips.address'),
    (lambda v: v['network']['subnets'][0]['gateway'].update(
        address='fd00::1'), 'subnet.gateway'),
    (lambda v: v['network']['subnets'][0]['routes'].append(
        model.Route(cidr='10.0.0.0/8', gateway=model.IP(address='fd00::1'))),
     'subnet.routes.gateway'),
    (lambda v: v.update(id=None), 'id'),
    (lambda v: v['network']['subnets'][0]['dns'].append(
        {'address': 'ns1.example.org'}), 'subnet.dns'),
    (lambda v: v['network']['subnets'][0]['dns'].append('300.1.1.1'),
     'subnet.dns'),
])
def test_bad_fields_are_named(mutate, field):
    vif = make_vif()
    mutate(vif)
    with pytest.raises(exception.InvalidVif) as err:
        vif_mod.from_vif(vif)
    assert field in str(err.value)
    assert isinstance(err.value, exception.VifWiringFailed)


def test_plugger_by_type_and_unsupported_type():
    assert isinstance(plugger.for_spec(vif_mod.from_vif(make_vif())),
                      plugger.BridgePlugger)
    tap = vif_mod.from_vif(make_vif(vif_type='tap', bridge=None))
    assert isinstance(plugger.for_spec(tap), plugger.TapPlugger)
    ovs = vif_mod.from_vif(make_vif(vif_type='ovs', bridge='br-int'))
    assert isinstance(plugger.for_spec(ovs), plugger.OvsPlugger)
    with pytest.raises(exception.VifTypeUnsupported) as err:
        plugger.for_spec(vif_mod.from_vif(make_vif(vif_type='vhostuser')))
    assert "'vhostuser'" in str(err.value) and 'bridge' in str(err.value)
    with pytest.raises(exception.InvalidVif) as err:
        plugger.BridgePlugger().check(
            vif_mod.from_vif(make_vif(bridge=None)))
    assert 'network.bridge' in str(err.value)


def test_interface_names_and_metrics():
    assert mixin._free_ifname('eth0', set()) == 'eth0'
    assert mixin._free_ifname('eth1', {'eth1', 'eth0'}) == 'eth2'
    assert mixin._free_ifname('eth2', {'eth0'}) == 'eth2'
    assert mixin._metric('eth0') == 100
    assert mixin._metric('eth3') == 103


def test_vif_type_map_picks_another_strategy():
    from oslo_config import cfg
    conf = cfg.CONF
    spec = vif_mod.from_vif(make_vif(vif_type='ovs', bridge='br-int'))
    conf.set_override('vif_type_map', {'ovs': 'tap'}, group='docker_network')
    try:
        assert isinstance(plugger.for_spec(spec), plugger.TapPlugger)
    finally:
        conf.clear_override('vif_type_map', group='docker_network')
    assert isinstance(plugger.for_spec(spec), plugger.OvsPlugger)


def test_dns_servers_of_every_subnet_in_order_without_repeats():
    vif = make_vif()
    v4, v6 = vif['network']['subnets']
    v4['dns'] = [model.IP(address='192.0.2.53', type='dns'),
                 model.IP(address='192.0.2.54', type='dns')]
    v6['dns'] = [model.IP(address='fd00::53', type='dns'),
                 model.IP(address='192.0.2.53', type='dns')]
    spec = vif_mod.from_vif(vif)
    assert spec.dns_servers == ['192.0.2.53', '192.0.2.54', 'fd00::53']
    again = model.NetworkInfo.hydrate(model.NetworkInfo([vif]).json())[0]
    assert vif_mod.from_vif(again).dns_servers == spec.dns_servers
    # Plain strings (hand-made network info) count too.
    v6['dns'] = ['fd00::54', '192.0.2.54']
    assert vif_mod.from_vif(vif).dns_servers == [
        '192.0.2.53', '192.0.2.54', 'fd00::54']


def test_no_dns_servers_is_an_empty_list():
    assert vif_mod.from_vif(make_vif()).dns_servers == []


def test_tx_checksum_off_reaches_the_netns_config():
    vif = make_vif()
    assert vif_mod.from_vif(vif).netns_config('eth0', 100)[
        'tx_checksum_off'] is False
    vif['details'] = {'datapath_type': 'netdev'}
    assert vif_mod.from_vif(vif).netns_config('eth0', 100)[
        'tx_checksum_off'] is True


def _metadata_routes(spec):
    return [r for r in spec.routes if r['dst'] == '169.254.169.254/32']


def test_metadata_route_via_the_proxy_in_the_ports_subnet():
    # The first proxy address is in another subnet of the network (one the
    # port has no address in): the one in 192.168.1.0/24 is the hop.
    spec = vif_mod.from_vif(make_vif(), ['10.9.9.2', '192.168.1.2'])
    assert _metadata_routes(spec) == [
        {'dst': '169.254.169.254/32', 'gateway': '192.168.1.2',
         'version': 4, 'onlink': False}]
    assert spec.netns_config('eth0', 100)['routes'][-1]['gateway'] == (
        '192.168.1.2')


def test_no_metadata_route_without_a_proxy_in_reach():
    assert _metadata_routes(vif_mod.from_vif(make_vif())) == []
    assert _metadata_routes(vif_mod.from_vif(make_vif(), ['10.9.9.2'])) == []


def test_a_subnet_route_to_the_metadata_address_wins():
    vif = make_vif(routes=[('169.254.169.254/32', '192.168.1.9')])
    routes = _metadata_routes(vif_mod.from_vif(vif, ['192.168.1.2']))
    assert [r['gateway'] for r in routes] == ['192.168.1.9']


def test_bad_metadata_port_address_is_named():
    with pytest.raises(exception.InvalidVif) as err:
        vif_mod.from_vif(make_vif(), ['not-an-ip'])
    assert 'metadata port address' in str(err.value)
