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

"""The metadata port lookup: one Neutron query, failures cost the route.

(The route in a real container, to a real agent: the all-in-one's
tests/functional/devstack/test_aio_network.py.)
"""

import os

os.environ.setdefault('OS_NOVA_DISABLE_EVENTLET_PATCHING', '1')

import nova.tests.functional  # noqa: E402,F401,I100

from nova.network import neutron  # noqa: E402
from oslo_config import cfg  # noqa: E402

from nova_docker_driver.network import metadata  # noqa: E402
from tests.unit.nova_docker_driver.network import test_vif  # noqa: E402

CONF = cfg.CONF


class FakeClient:
    def __init__(self, ports=None, error=None):
        self.ports, self.error, self.calls = ports or [], error, []

    def list_ports(self, **filters):
        self.calls.append(filters)
        if self.error:
            raise self.error
        return {'ports': self.ports}


def _client(monkeypatch, client):
    monkeypatch.setattr(neutron, 'get_client',
                        lambda context, admin=False: client)


def test_one_query_for_all_networks(monkeypatch):
    client = FakeClient(ports=[
        {'network_id': 'net', 'fixed_ips': [
            {'subnet_id': 's1', 'ip_address': '192.168.1.2'},
            {'subnet_id': 's2', 'ip_address': 'fd37:44e8:ad06::2'}]}])
    _client(monkeypatch, client)
    vifs = [test_vif.make_vif(), test_vif.make_vif()]
    assert metadata.proxy_addresses(vifs) == {
        'net': ['192.168.1.2', 'fd37:44e8:ad06::2']}
    assert client.calls == [{'network_id': ['net'],
                             'device_owner': 'network:distributed',
                             'fields': ['network_id', 'fixed_ips']}]


def test_a_failed_lookup_gives_no_route(monkeypatch):
    _client(monkeypatch, FakeClient(error=RuntimeError('neutron is down')))
    assert metadata.proxy_addresses([test_vif.make_vif()]) == {}


def test_switched_off_asks_nothing(monkeypatch):
    client = FakeClient()
    _client(monkeypatch, client)
    CONF.set_override('metadata_route', False, group='docker_network')
    try:
        assert metadata.proxy_addresses([test_vif.make_vif()]) == {}
    finally:
        CONF.clear_override('metadata_route', group='docker_network')
    assert client.calls == []
