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

"""Container properties -> Engine API arguments, and the policy analysis."""

from tests.rig import heat as heat_rig  # noqa: F401,I100 - first, see the rig

import pytest  # noqa: E402

from heat_plugin import container_spec as spec  # noqa: E402
from heat_plugin import exception  # noqa: E402
from heat_plugin import policy  # noqa: E402


def build(**props):
    props.setdefault('image', 'dos/idle')
    return spec.build(props, {'org.openstack.heat.stack': 's'}, 'name')


def test_basic_translation():
    kwargs, extra = build(cmd=['sleep', '1'], env=['A=1'], hostname='h',
                          port_specs=['80', '53/udp'],
                          port_bindings={'80': 8080, '443/tcp': '127.0.0.1:'},
                          memory=64 * 2 ** 20, cpu_quota=50000,
                          cpu_shares=512, pids_limit=10,
                          restart_policy={'Name': 'on-failure',
                                          'MaximumRetryCount': 2},
                          labels={'x': 'y'}, stdin_once=True)
    assert kwargs['image'] == 'dos/idle'
    assert kwargs['name'] == 'name'
    assert kwargs['stdin_once'] is True
    assert kwargs['ports'] == ['443/tcp', '53/udp', '80/tcp']
    assert kwargs['labels'] == {'x': 'y', 'org.openstack.heat.stack': 's'}
    hc = kwargs['host_config']
    assert hc['Memory'] == hc['MemorySwap'] == 64 * 2 ** 20
    assert hc['CpuQuota'] == 50000 and hc['CpuPeriod'] == 100000
    assert hc['CpuShares'] == 512 and hc['PidsLimit'] == 10
    assert hc['RestartPolicy'] == {'Name': 'on-failure',
                                   'MaximumRetryCount': 2}
    assert hc['PortBindings']['80/tcp'] == [{'HostIp': '',
                                             'HostPort': '8080'}]
    assert hc['PortBindings']['443/tcp'] == [{'HostIp': '127.0.0.1',
                                              'HostPort': ''}]
    assert extra == []


def test_networks_first_at_create_rest_connected():
    kwargs, extra = build(networks=[
        {'network': 'n1', 'aliases': ['a'], 'ipv4_address': '10.0.0.5'},
        {'network': 'n2'}])
    assert kwargs['host_config']['NetworkMode'] == 'n1'
    assert kwargs['networking_config'] == {'EndpointsConfig': {'n1': {
        'Aliases': ['a'], 'IPAMConfig': {'IPv4Address': '10.0.0.5'}}}}
    assert extra == [('n2', {'aliases': None, 'ipv4_address': None})]


def test_volumes_old_and_new_forms():
    kwargs, _ = build(volumes={'/srv': '/mnt', 'data': {'bind': '/d',
                                                         'ro': True},
                               '/anon': {}},
                      binds=['vol2:/v2'],
                      mounts=[{'type': 'tmpfs', 'target': '/t'},
                              {'type': 'volume', 'source': 'v3',
                               'target': '/v3', 'read_only': True}])
    hc = kwargs['host_config']
    assert sorted(hc['Binds']) == ['/srv:/mnt:rw', 'data:/d:ro',
                                   'vol2:/v2:rw']
    assert kwargs['volumes'] == ['/anon']
    assert [m['Type'] for m in hc['Mounts']] == ['tmpfs', 'volume']


@pytest.mark.parametrize('props,field', [
    ({'port_specs': ['99999']}, 'port_specs'),
    ({'port_bindings': {'80': 'x:1'}}, 'port_bindings'),
    ({'binds': ['a:b:c:d']}, 'binds'),
    ({'binds': ['../x:/y']}, 'binds'),
    ({'volumes': {'/x': 'relative'}}, 'volumes'),
    ({'mounts': [{'type': 'bind', 'source': 'vol', 'target': '/x'}]},
     'mounts'),
    ({'memory': 1000}, 'memory'),
    ({'dns': ['x']}, 'dns'),
    ({'labels': {'org.openstack.heat.stack': 'forged'}}, 'labels'),
    ({'networks': [{'network': 'a'}], 'network_mode': 'none'}, 'networks'),
    ({'healthcheck': {'interval': 1}}, 'healthcheck'),
])
def test_bad_values_name_their_field(props, field):
    with pytest.raises(exception.InvalidProperty) as err:
        build(**props)
    assert str(err.value).startswith('Property %s:' % field)


def test_host_exposure_lists_every_host_reaching_feature():
    props = {'privileged': True, 'binds': ['/etc:/x'],
             'volumes': {'/var': '/y', 'named': '/z'},
             'mounts': [{'type': 'bind', 'source': '/', 'target': '/h'}],
             'devices': [{'path_on_host': '/dev/null'}],
             'cap_add': ['NET_ADMIN'], 'network_mode': 'host',
             'networks': [{'network': 'host'}], 'pid_mode': 'host',
             'ipc_mode': 'host'}
    rules = [r for r, _f, _w in spec.host_exposure(props)]
    assert rules == [policy.PRIVILEGED, policy.HOST_BINDS, policy.HOST_BINDS,
                     policy.HOST_BINDS, policy.DEVICES, policy.CAP_ADD,
                     policy.HOST_NETWORK, policy.HOST_NETWORK,
                     policy.HOST_PID, policy.HOST_IPC]


def test_named_volumes_and_private_modes_need_nothing():
    props = {'volumes': {'named': '/z', '/anon': {}}, 'binds': ['v:/v'],
             'mounts': [{'type': 'volume', 'source': 'v', 'target': '/m'}],
             'cap_drop': ['ALL'], 'network_mode': 'none',
             'ipc_mode': 'private'}
    assert spec.host_exposure(props) == []


def test_healthcheck_forms():
    h = spec.healthcheck({'test': 'true', 'interval': 0.5, 'retries': 2})
    assert h['Test'] == ['CMD-SHELL', 'true']
    assert h['Interval'] == 500000000 and h['Retries'] == 2
    assert spec.healthcheck({'test': ['true']})['Test'] == ['CMD', 'true']
