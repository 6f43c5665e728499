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

"""Tenant networking end to end: Neutron (ML2/OVN) and the Docker driver.

On the session's all-in-one (conftest.py), through the openstack CLI as the
tenants ``demo`` and ``alt_demo`` would do it: a network, a subnet and a
router to ``public``; servers on it get their port's address, MTU and DNS
servers in the container; they talk across the two compute hosts over
Geneve; a floating IP answers from the outside namespace only where a
security group lets it; another tenant's network, even with the same CIDR,
is out of reach; a deleted server leaves no link, OVS port or Neutron port.
Traffic goes only between the containers and namespaces the cloud made.
"""

import subprocess
import time

import pytest

from tests.functional.devstack.conftest import wait
from tools.aio import ovn

pytestmark = [pytest.mark.slow, pytest.mark.docker]

CIDR = '10.0.0.0/24'
WEB_PORT = 8080


def _ids(aio, kind, cloud):
    return {r['Name']: r['ID'] for r in aio.openstack_json(
        kind, 'list', cloud=cloud)}


def _tenant_network(aio, cloud, prefix):
    """A network, subnet (DNS: the outside gateway) and router to public."""
    aio.openstack('network', 'create', prefix + '-net', cloud=cloud)
    aio.openstack('subnet', 'create', '--network', prefix + '-net',
                  '--subnet-range', CIDR, '--dns-nameserver',
                  ovn.OUTSIDE_GATEWAY, prefix + '-subnet', cloud=cloud)
    aio.openstack('router', 'create', prefix + '-router', cloud=cloud)
    aio.openstack('router', 'set', '--external-gateway', 'public',
                  prefix + '-router', cloud=cloud)
    aio.openstack('router', 'add', 'subnet', prefix + '-router',
                  prefix + '-subnet', cloud=cloud)


def _drop_tenant_network(aio, cloud, prefix):
    for args in (('router', 'remove', 'subnet', prefix + '-router',
                  prefix + '-subnet'),
                 ('router', 'delete', prefix + '-router'),
                 ('network', 'delete', prefix + '-net')):
        aio.openstack(*args, cloud=cloud, check=False)


@pytest.fixture(scope='module')
def nets(aio):
    """demo-net for demo, alt-net (same CIDR) for alt_demo."""
    try:
        _tenant_network(aio, 'aio-demo', 'demo')
        _tenant_network(aio, 'aio-alt-demo', 'alt')
        yield aio
    finally:
        for server in aio.nova('aio-admin').servers.list(
                search_opts={'all_tenants': 1}):
            server.delete()
        wait(lambda: not aio.nova('aio-admin').servers.list(
            search_opts={'all_tenants': 1}), 120, 'servers deleted')
        for fip in aio.openstack_json('floating', 'ip', 'list'):
            aio.openstack('floating', 'ip', 'delete', fip['ID'], check=False)
        _drop_tenant_network(aio, 'aio-demo', 'demo')
        _drop_tenant_network(aio, 'aio-alt-demo', 'alt')
        left = [n['Name'] for n in aio.openstack_json('network', 'list')
                if n['Name'] != 'public']
        assert not left, 'networks left: %s' % left


def _boot(aio, cloud, name, network, image='dos-idle', *extra):
    return aio.openstack_json(
        'server', 'create', '--image', image, '--flavor', 'docker.tiny',
        '--network', network, *extra, '--wait', name, cloud=cloud)


def _address(aio, server_id, network):
    shown = aio.openstack_json('server', 'show', server_id)
    return shown['addresses'][network][0], shown['OS-EXT-SRV-ATTR:host']


def _exec(aio, server_id, script):
    (container,) = aio.containers_of(server_id).values()
    result = container.exec_run(['sh', '-c', script])
    return result.exit_code, result.output.decode(errors='replace')


def _http_from(aio, server_id, ip, port=WEB_PORT, tries=20):
    """Whether ``ip:port`` answers HTTP 200 from inside the server."""
    script = ("printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 %s %d | "
              "head -1" % (ip, port))
    for _ in range(tries):
        _code, out = _exec(aio, server_id, script)
        if ' 200 ' in out:
            return True
        time.sleep(1)
    return False


def _chassis_links(aio, host):
    out = subprocess.run(
        ['ip', 'netns', 'exec', ovn.netns_name(aio.lay, host), 'ip', '-o',
         'link'], capture_output=True, text=True, check=True).stdout
    return [line.split(':')[1].strip().split('@')[0]
            for line in out.splitlines()]


def _ovs_ports(aio, host):
    out = subprocess.run(
        ['ovs-vsctl', '--db=%s' % ovn.chassis_db(aio.lay, host),
         'list-ports', 'br-int'], capture_output=True, text=True,
        check=True).stdout
    return out.split()


def test_every_chassis_reports_to_neutron(aio):
    agents = aio.openstack_json('network', 'agent', 'list')
    seen = {(a['Host'], a['Agent Type'], a['Alive']) for a in agents}
    assert seen == {('compute1', 'OVN Controller Gateway agent', True),
                    ('compute2', 'OVN Controller agent', True)}
    public = aio.openstack_json('network', 'show', 'public')
    assert public['router:external'] is True
    assert public['provider:network_type'] == 'flat'


def test_servers_get_their_port_and_talk_across_hosts(nets):
    aio = nets
    group = aio.openstack_json('server', 'group', 'create', '--policy',
                               'anti-affinity', 'net-spread',
                               cloud='aio-demo')
    hint = ('--hint', 'group=%s' % group['id'])
    web = _boot(aio, 'aio-demo', 'net-web', 'demo-net', 'dos-httpd', *hint)
    client = _boot(aio, 'aio-demo', 'net-client', 'demo-net', 'dos-idle',
                   *hint)
    web_ip, web_host = _address(aio, web['id'], 'demo-net')
    client_ip, client_host = _address(aio, client['id'], 'demo-net')
    assert {web_host, client_host} == {'compute1', 'compute2'}

    # The container has the port's address, MAC and the network's MTU.
    port = aio.openstack_json('port', 'list', '--server', web['id'],
                              cloud='aio-demo')[0]
    mtu = aio.openstack_json('network', 'show', 'demo-net',
                             cloud='aio-demo')['mtu']
    assert mtu < 1500  # Geneve's header comes off the underlay's 1500
    code, out = _exec(aio, web['id'], 'ip -o addr show eth0; '
                      'ip -o link show eth0; cat /etc/resolv.conf')
    assert code == 0, out
    assert ' %s/24 ' % web_ip in out
    assert port['MAC Address'] in out
    assert 'mtu %d ' % mtu in out
    assert 'nameserver %s' % ovn.OUTSIDE_GATEWAY in out
    # Neutron calls the port ACTIVE once OVN bound it on that chassis.
    assert port['Status'] == 'ACTIVE'

    # Across the two hosts (Geneve over the underlay), both ways, TCP.
    assert _http_from(aio, client['id'], web_ip)
    code, out = _exec(aio, web['id'], 'ping -c 2 -W 2 %s' % client_ip)
    assert code == 0, out

    # The host ends live in each chassis's namespace, none in the host's.
    tap = 'tap' + port['ID'][:11]
    assert tap in _chassis_links(aio, web_host)
    assert tap in _ovs_ports(aio, web_host)
    assert not subprocess.run(['ip', 'link', 'show', tap],
                              capture_output=True).returncode == 0


def test_floating_ip_answers_from_outside_only_where_allowed(nets):
    aio = nets
    aio.openstack('security', 'group', 'create', 'web-in', cloud='aio-demo')
    aio.openstack('security', 'group', 'rule', 'create', '--protocol', 'tcp',
                  '--dst-port', str(WEB_PORT), 'web-in', cloud='aio-demo')
    web = _boot(aio, 'aio-demo', 'fip-web', 'demo-net', 'dos-httpd',
                '--security-group', 'web-in')
    fip = aio.openstack_json('floating', 'ip', 'create', 'public',
                             cloud='aio-demo')['floating_ip_address']
    aio.openstack('server', 'add', 'floating', 'ip', web['id'], fip,
                  cloud='aio-demo')

    def http():
        out = ovn.outside_exec(aio.lay, 'curl', '-s', '-m', '3', '-o',
                               '/dev/null', '-w', '%{http_code}',
                               'http://%s:%d/' % (fip, WEB_PORT),
                               timeout=10).stdout
        return out == '200'
    wait(http, 60, 'HTTP through the floating IP from outside')
    # ICMP has no rule in web-in (nor in its default group): dropped,
    # until a rule lets it in.
    def ping():
        return ovn.outside_exec(aio.lay, 'busybox', 'ping', '-c', '1',
                                '-W', '1', fip, timeout=10).returncode == 0
    assert not any(ping() for _ in range(3))
    aio.openstack('security', 'group', 'rule', 'create', '--protocol',
                  'icmp', 'web-in', cloud='aio-demo')
    wait(ping, 60, 'ping through the floating IP once ICMP is allowed')
    # The floating IP's address is nowhere on the host itself.
    assert fip not in subprocess.run(['ip', '-o', 'addr'],
                                     capture_output=True, text=True).stdout


def test_another_tenant_cannot_reach_or_use_the_network(nets):
    aio = nets
    web = _boot(aio, 'aio-demo', 'iso-web', 'demo-net', 'dos-httpd')
    web_ip, _host = _address(aio, web['id'], 'demo-net')
    # alt_demo does not see demo-net, and cannot boot on it.
    assert 'demo-net' not in _ids(aio, 'network', 'aio-alt-demo')
    demo_net = _ids(aio, 'network', 'aio-demo')['demo-net']
    refused = aio.openstack('server', 'create', '--image', 'dos-idle',
                            '--flavor', 'docker.tiny', '--network',
                            demo_net, 'iso-intruder', cloud='aio-alt-demo',
                            check=False)
    assert refused.returncode != 0
    assert demo_net in refused.stderr or 'etwork' in refused.stderr
    assert 'iso-intruder' not in _ids(aio, 'server', 'aio-alt-demo')
    # alt's own network has the same CIDR: demo's web server's address
    # there is no one (or alt's own port), never demo's server.
    alt = _boot(aio, 'aio-alt-demo', 'iso-alt', 'alt-net', 'dos-idle')
    assert not _http_from(aio, alt['id'], web_ip, tries=3)


def test_bad_network_names_the_field_and_leaves_no_port(nets):
    aio = nets
    before = aio.openstack_json('port', 'list')
    refused = aio.openstack('server', 'create', '--image', 'dos-idle',
                            '--flavor', 'docker.tiny', '--network',
                            'no-such-net', 'bad-net', cloud='aio-demo',
                            check=False)
    assert refused.returncode != 0
    assert 'no-such-net' in refused.stderr
    assert 'bad-net' not in _ids(aio, 'server', 'aio-demo')
    assert aio.openstack_json('port', 'list') == before


def test_deleted_server_leaves_no_link_ovs_port_or_neutron_port(nets):
    aio = nets
    server = _boot(aio, 'aio-demo', 'gone', 'demo-net')
    _ip, host = _address(aio, server['id'], 'demo-net')
    port = aio.openstack_json('port', 'list', '--server', server['id'],
                              cloud='aio-demo')[0]
    tap = 'tap' + port['ID'][:11]
    assert tap in _chassis_links(aio, host)
    aio.openstack('server', 'delete', '--wait', server['id'],
                  cloud='aio-demo')
    assert tap not in _chassis_links(aio, host)
    assert tap not in _ovs_ports(aio, host)
    assert not aio.openstack_json('port', 'list', '--device-id',
                                  server['id'])
    assert not aio.containers_of(server['id'])
