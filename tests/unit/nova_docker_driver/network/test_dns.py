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

"""The containers' DNS search domains: the dns_domain of their networks.

(The search list in a real container: tests/functional/nova_docker_driver/
test_network_nova.py and test_network_host_netns.py.)
"""

import os

os.environ.setdefault('OS_NOVA_DISABLE_EVENTLET_PATCHING', '1')

import nova.tests.functional  # noqa: E402,F401,I100

from nova.network import neutron  # noqa: E402

from nova_docker_driver.network import dns  # noqa: E402


class FakeClient:
    def __init__(self, networks=None, error=None):
        self.networks, self.error, self.calls = networks or [], error, []

    def list_networks(self, **filters):
        self.calls.append(filters)
        if self.error:
            raise self.error
        return {'networks': self.networks}


def _client(monkeypatch, client):
    monkeypatch.setattr(neutron, 'get_client',
                        lambda context, admin=False: client)


def _vif(net_id):
    return {'id': 'port-' + net_id, 'network': {'id': net_id}}


def test_one_query_and_the_domains_in_port_order(monkeypatch):
    client = FakeClient(networks=[
        {'id': 'b', 'dns_domain': 'db.example.'},
        {'id': 'a', 'dns_domain': 'apps.example.'},
        {'id': 'c', 'dns_domain': ''},
        {'id': 'd', 'dns_domain': 'apps.example.'}])
    _client(monkeypatch, client)
    vifs = [_vif('a'), _vif('b'), _vif('a'), _vif('c'), _vif('d')]
    assert dns.search_domains(vifs) == ['apps.example', 'db.example']
    assert client.calls == [{'id': ['a', 'b', 'c', 'd'],
                             'fields': ['id', 'dns_domain']}]


def test_no_ports_ask_nothing(monkeypatch):
    client = FakeClient()
    _client(monkeypatch, client)
    assert dns.search_domains([]) == []
    assert dns.search_domains(None) == []
    assert client.calls == []


def test_a_failed_lookup_gives_no_search_list(monkeypatch):
    _client(monkeypatch, FakeClient(error=RuntimeError('neutron is down')))
    assert dns.search_domains([_vif('a')]) == []


def test_networks_without_the_attribute_add_nothing():
    # Neutron without the dns extension lists no dns_domain at all.
    assert dns.ordered_domains([{'id': 'a'}], ['a']) == []
