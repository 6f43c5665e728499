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

"""Containers find each other by name: Neutron's internal DNS, answered by OVN.

On the session's all-in-one, as the tenant ``demo``: a network with a
``dns_domain`` and a subnet whose DNS server is the outside namespace's
address (the cloud's own; OVN answers the network's names before any
query could leave). Two Docker servers on it: each has the domain in its
resolv.conf search list, and reaches the other by
``<hostname>.<dns_domain>`` and by its short name. Queries go only to the
address the test gave the subnet, in bounded loops.
"""

import pytest

from tests.functional.devstack.conftest import wait
from tools.aio import ovn

pytestmark = [pytest.mark.slow, pytest.mark.docker]

CLOUD = 'aio-demo'
DOMAIN = 'apps.e2e.'
NET = 'dns-e2e-net'


@pytest.fixture(scope='module')
def named(aio):
    servers = {}
    try:
        aio.openstack('network', 'create', '--dns-domain', DOMAIN, NET,
                      cloud=CLOUD)
        aio.openstack('subnet', 'create', '--network', NET, '--subnet-range',
                      '10.40.0.0/24', '--dns-nameserver', ovn.OUTSIDE_GATEWAY,
                      NET + '-subnet', cloud=CLOUD)
        for name in ('dns-a', 'dns-b'):
            servers[name] = aio.openstack_json(
                'server', 'create', '--image', 'dos-idle', '--flavor',
                'docker.tiny', '--network', NET, name, cloud=CLOUD)['id']
        for name, server_id in servers.items():
            wait(lambda: aio.openstack_json(
                'server', 'show', server_id, cloud=CLOUD)['status']
                == 'ACTIVE', 240, 'server %s ACTIVE' % name)
        yield aio, servers
    finally:
        for server_id in servers.values():
            aio.openstack('server', 'delete', '--wait', server_id,
                          cloud=CLOUD, check=False)
        aio.openstack('network', 'delete', NET, cloud=CLOUD, check=False)


def _exec(aio, server_id, script):
    (container,) = aio.containers_of(server_id).values()
    result = container.exec_run(['sh', '-c', script])
    return result.exit_code, result.output.decode(errors='replace')


def _address(aio, server_id):
    shown = aio.openstack_json('server', 'show', server_id, cloud=CLOUD)
    (address,) = shown['addresses'][NET]
    return address


def test_servers_reach_each_other_by_name(named):
    aio, servers = named
    a, b = servers['dns-a'], servers['dns-b']
    # Nova named each port after its server; Neutron's DNS knows them.
    port = aio.openstack_json('port', 'list', '--server', b, '--long',
                              cloud=CLOUD)[0]
    shown = aio.openstack_json('port', 'show', port['ID'], cloud=CLOUD)
    assert shown['dns_name'] == 'dns-b'
    _code, resolv = _exec(aio, a, 'cat /etc/resolv.conf')
    assert 'search %s' % DOMAIN.rstrip('.') in resolv, resolv
    assert 'nameserver %s' % ovn.OUTSIDE_GATEWAY in resolv, resolv
    want = _address(aio, b)
    for name in ('dns-b.' + DOMAIN.rstrip('.'), 'dns-b'):
        def answered(name=name):
            _code, out = _exec(aio, a, 'nslookup %s %s' % (
                name, ovn.OUTSIDE_GATEWAY))
            return want in out.split('Name:', 1)[-1]
        wait(answered, 60, '%s resolved to %s by OVN' % (name, want))
        code, out = _exec(aio, a, 'ping -c 1 -W 2 %s' % name)
        assert code == 0 and want in out, out
