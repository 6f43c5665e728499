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

import json
import subprocess
import time

import pytest

from tests.functional.devstack.conftest import netns_names
from tests.functional.devstack.conftest import wait
from tools.aio import ovn
from tools.aio import procs
from tools.aio import services

pytestmark = [pytest.mark.slow, pytest.mark.docker]

CIDR = '10.0.0.0/24'
NET, ALT_NET = 'e2e-net', 'e2e-alt-net'
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
                 ('router', 'delete', prefix + '-router')):
        aio.openstack(*args, cloud=cloud, check=False)
    # Ports a test made itself outlive their servers (Nova only unbinds
    # them): they would keep the network in use.
    listed = aio.openstack('port', 'list', '--network', prefix + '-net',
                           '-f', 'value', '-c', 'ID', cloud=cloud,
                           check=False)
    for port_id in listed.stdout.split():
        aio.openstack('port', 'delete', port_id, cloud=cloud, check=False)
    aio.openstack('network', 'delete', prefix + '-net', cloud=cloud,
                  check=False)


@pytest.fixture(scope='module')
def nets(aio):
    """e2e-net for demo, e2e-alt-net (same CIDR) for alt_demo (names of
    their own: the showcase's demo-net may be there too)."""
    before = {n['ID'] for n in aio.openstack_json('network', 'list')}
    try:
        _tenant_network(aio, 'aio-demo', 'e2e')
        _tenant_network(aio, 'aio-alt-demo', 'e2e-alt')
        yield aio
    finally:
        for server in aio.nova('aio-admin').servers.list(
                search_opts={'all_tenants': 1}):
            server.delete()
        wait(lambda: not aio.nova('aio-admin').servers.list(
            search_opts={'all_tenants': 1}), 120, 'servers deleted')
        for fip in aio.openstack_json('floating', 'ip', 'list'):
            aio.openstack('floating', 'ip', 'delete', fip['ID'], check=False)
        _drop_tenant_network(aio, 'aio-demo', 'e2e')
        _drop_tenant_network(aio, 'aio-alt-demo', 'e2e-alt')
        left = [n['Name'] for n in aio.openstack_json('network', 'list')
                if n['ID'] not in before]
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


def _logical_ports(aio):
    """Names (Neutron port ids) of OVN's logical switch ports."""
    return set(ovn.nbctl(aio.lay, '--bare', '--columns=name', 'list',
                         'Logical_Switch_Port').split())


def _ovs_ports(aio, host):
    return ovn.vsctl(aio.lay, host, 'list-ports', 'br-int').split()


def test_every_chassis_reports_to_neutron(aio):
    agents = aio.openstack_json('network', 'agent', 'list')
    seen = {(a['Host'], a['Agent Type'], a['Alive']) for a in agents}
    assert seen == {('compute1', 'OVN Controller Gateway agent', True),
                    ('compute2', 'OVN Controller agent', True),
                    ('compute1', 'OVN Metadata agent', True),
                    ('compute2', 'OVN Metadata agent', True)}
    public = aio.openstack_json('network', 'show', 'public')
    assert public['router:external'] is True
    assert public['provider:network_type'] == 'flat'


def test_servers_get_their_port_and_talk_across_hosts(nets):
    aio = nets
    group = aio.openstack_json('server', 'group', 'create', '--policy',
                               'anti-affinity', 'net-spread',
                               cloud='aio-demo')
    hint = ('--hint', 'group=%s' % group['id'])
    web = _boot(aio, 'aio-demo', 'net-web', NET, 'dos-httpd', *hint)
    client = _boot(aio, 'aio-demo', 'net-client', NET, 'dos-idle',
                   *hint)
    web_ip, web_host = _address(aio, web['id'], NET)
    client_ip, client_host = _address(aio, client['id'], NET)
    assert {web_host, client_host} == {'compute1', 'compute2'}

    # The container has the port's address, MAC and the network's MTU.
    port = aio.openstack_json('port', 'list', '--server', web['id'],
                              cloud='aio-demo')[0]
    mtu = aio.openstack_json('network', 'show', NET,
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
    web = _boot(aio, 'aio-demo', 'fip-web', NET, 'dos-httpd',
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
    web = _boot(aio, 'aio-demo', 'iso-web', NET, 'dos-httpd')
    client = _boot(aio, 'aio-demo', 'iso-client', NET, 'dos-idle')
    web_ip, _host = _address(aio, web['id'], NET)
    # alt_demo does not see demo-net, and cannot boot on it.
    assert NET not in _ids(aio, 'network', 'aio-alt-demo')
    demo_net = _ids(aio, 'network', 'aio-demo')[NET]
    refused = aio.openstack('server', 'create', '--image', 'dos-idle',
                            '--flavor', 'docker.tiny', '--network',
                            demo_net, 'iso-intruder', cloud='aio-alt-demo',
                            check=False)
    assert refused.returncode != 0
    assert demo_net in refused.stderr or 'etwork' in refused.stderr
    assert 'iso-intruder' not in _ids(aio, 'server', 'aio-alt-demo')
    # alt's own network has the same CIDR. alt's web server gets an
    # address no port on demo's network has, so an answer could only come
    # from across the tenants.
    used = {ip['ip_address'] for p in aio.openstack_json(
        'port', 'list', '--network', NET, '--long', cloud='aio-demo')
        for ip in p['Fixed IP Addresses']}
    alt_ip = next('10.0.0.%d' % n for n in range(250, 200, -1)
                  if '10.0.0.%d' % n not in used)
    port = aio.openstack_json('port', 'create', '--network', ALT_NET,
                              '--fixed-ip', 'ip-address=%s' % alt_ip,
                              'iso-alt-port', cloud='aio-alt-demo')
    alt = aio.openstack_json(
        'server', 'create', '--image', 'dos-httpd', '--flavor', 'docker.tiny',
        '--port', port['id'], '--wait', 'iso-alt', cloud='aio-alt-demo')
    # Both ways: neither tenant's server reaches the other's web server.
    assert not _http_from(aio, alt['id'], web_ip, tries=3)
    assert not _http_from(aio, client['id'], alt_ip, tries=3)
    # Each reaches its own network's web server: the refusals are
    # isolation, not a broken path.
    assert _http_from(aio, client['id'], web_ip)
    assert _http_from(aio, alt['id'], alt_ip)


def test_the_default_group_admits_its_members_and_a_rule_another_group(
        nets):
    """A tenant's default security group lets in its own members only;
    a member of another group gets in once a rule names that group."""
    aio = nets
    aio.openstack('security', 'group', 'create', 'e2e-other',
                  cloud='aio-demo')
    web = _boot(aio, 'aio-demo', 'sg-web', NET, 'dos-httpd')
    member = _boot(aio, 'aio-demo', 'sg-member', NET, 'dos-idle')
    other = _boot(aio, 'aio-demo', 'sg-other', NET, 'dos-idle',
                  '--security-group', 'e2e-other')
    web_ip, _host = _address(aio, web['id'], NET)
    assert _http_from(aio, member['id'], web_ip)
    assert not _http_from(aio, other['id'], web_ip, tries=3)
    aio.openstack('security', 'group', 'rule', 'create', '--protocol', 'tcp',
                  '--dst-port', str(WEB_PORT), '--remote-group', 'e2e-other',
                  'default', cloud='aio-demo')
    assert _http_from(aio, other['id'], web_ip)
    for server in (web, member, other):
        aio.openstack('server', 'delete', '--wait', server['id'],
                      cloud='aio-demo')
    aio.openstack('security', 'group', 'delete', 'e2e-other',
                  cloud='aio-demo')


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


def _metadata(aio, server_id, path='/openstack/latest/meta_data.json',
              tries=20):
    """The metadata service's answer to ``path``, asked from inside the
    server (busybox nc: its wget does not work statically linked)."""
    script = ("printf 'GET %s HTTP/1.0\\r\\nHost: 169.254.169.254\\r\\n"
              "\\r\\n' | nc -w 5 169.254.169.254 80" % path)
    out = ''
    for _ in range(tries):
        _code, out = _exec(aio, server_id, script)
        if out.startswith('HTTP/1.') and ' 200 ' in out.split('\n')[0]:
            return json.loads(out.split('\r\n\r\n', 1)[1])
        time.sleep(1)
    raise AssertionError('no metadata for %s: %r' % (server_id, out))


def test_the_metadata_service_answers_each_server_with_its_own_uuid(nets):
    """169.254.169.254 from inside a container, on both chassis: each
    chassis's neutron-ovn-metadata-agent, through the network's metadata
    port (the route the driver adds), proxies to nova's metadata API."""
    aio = nets
    group = aio.openstack_json('server', 'group', 'create', '--policy',
                               'anti-affinity', 'meta-spread',
                               cloud='aio-demo')
    hint = ('--hint', 'group=%s' % group['id'])
    servers = [_boot(aio, 'aio-demo', 'meta-%d' % n, NET, 'dos-idle', *hint)
               for n in (1, 2)]
    (proxy,) = aio.openstack_json('port', 'list', '--network', NET,
                                  '--device-owner', 'network:distributed',
                                  '--long')
    proxy_ip = proxy['Fixed IP Addresses'][0]['ip_address']
    hosts = set()
    for server in servers:
        _ip, host = _address(aio, server['id'], NET)
        hosts.add(host)
        code, out = _exec(aio, server['id'], 'ip route show 169.254.169.254')
        assert code == 0 and 'via %s ' % proxy_ip in out, out
        data = _metadata(aio, server['id'])
        assert data['uuid'] == server['id']
        assert data['name'] == server['name']
    assert hosts == {e.host for e in aio.lay.engines}
    for server in servers:
        aio.openstack('server', 'delete', '--wait', server['id'],
                      cloud='aio-demo')


def _eth(aio, server_id):
    """{ifname: 'address/prefix'} of the container's IPv4 interfaces."""
    code, out = _exec(aio, server_id, 'ip -o -4 addr show')
    assert code == 0, out
    return {line.split()[1]: line.split()[3] for line in out.splitlines()
            if line.split()[1].startswith('eth')}


def _status(aio, server_id):
    return aio.openstack_json('server', 'show', server_id,
                              cloud='aio-demo')['status']


def test_ports_outlive_reboot_stop_rebuild_resize_detach_cleans(nets):
    """A second port attached to a running server: both interfaces keep
    their addresses through reboot, stop/start, rebuild and resize (each
    makes a new container or network namespace); detach removes the one,
    delete the rest, from OVS and the chassis's namespace."""
    aio = nets
    server = _boot(aio, 'aio-demo', 'life', NET)
    sid = server['id']
    ip, host = _address(aio, sid, NET)
    (first,) = aio.openstack_json('port', 'list', '--server', sid,
                                  cloud='aio-demo')
    extra = aio.openstack_json('port', 'create', '--network', NET,
                               'life-extra', cloud='aio-demo')
    aio.openstack('server', 'add', 'port', sid, extra['id'],
                  cloud='aio-demo')
    expected = {'eth0': ip + '/24',
                'eth1': extra['fixed_ips'][0]['ip_address'] + '/24'}
    wait(lambda: _eth(aio, sid) == expected, 60, 'the attached interface')
    taps = {'tap' + p[:11] for p in (first['ID'], extra['id'])}

    def wired(what):
        wait(lambda: _status(aio, sid) == 'ACTIVE', 120, what)
        wait(lambda: _eth(aio, sid) == expected, 60,
             'both interfaces after %s' % what)
        assert taps <= set(_ovs_ports(aio, host)), what
        assert taps <= set(_chassis_links(aio, host)), what
        assert _address(aio, sid, NET)[1] == host, what

    wired('attach')
    aio.openstack('server', 'reboot', '--wait', sid, cloud='aio-demo')
    wired('reboot')
    aio.openstack('server', 'stop', sid, cloud='aio-demo')
    wait(lambda: _status(aio, sid) == 'SHUTOFF', 120, 'stopped')
    aio.openstack('server', 'start', sid, cloud='aio-demo')
    wired('stop and start')
    aio.openstack('server', 'rebuild', '--image', 'dos-idle', '--wait', sid,
                  cloud='aio-demo')
    wired('rebuild')
    aio.openstack('server', 'resize', '--flavor', 'docker.small', '--wait',
                  sid, cloud='aio-demo')
    aio.openstack('server', 'resize', 'confirm', sid, cloud='aio-demo')
    wired('resize')

    aio.openstack('server', 'remove', 'port', sid, extra['id'],
                  cloud='aio-demo')
    del expected['eth1']
    wait(lambda: _eth(aio, sid) == expected, 60, 'the interface detached')
    gone = 'tap' + extra['id'][:11]
    wait(lambda: gone not in _ovs_ports(aio, host), 30, 'its OVS port gone')
    assert gone not in _chassis_links(aio, host)
    aio.openstack('server', 'delete', '--wait', sid, cloud='aio-demo')
    for tap in taps:
        assert tap not in _ovs_ports(aio, host)
        assert tap not in _chassis_links(aio, host)
    # The port Nova made went with the server; the one the tenant made
    # stays theirs, unbound.
    assert not aio.openstack_json('port', 'list', '--device-id', sid)
    left = aio.openstack_json('port', 'show', extra['id'], cloud='aio-demo')
    assert left['device_id'] == '' and left['status'] == 'DOWN'
    aio.openstack('port', 'delete', extra['id'], cloud='aio-demo')


def test_deleted_server_leaves_no_link_ovs_port_or_neutron_port(nets):
    aio = nets
    server = _boot(aio, 'aio-demo', 'gone', NET)
    _ip, host = _address(aio, server['id'], NET)
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


def test_twenty_boots_at_once_get_addresses_and_leave_nothing(nets):
    """One request for 20 servers on demo-net: all ACTIVE, each
    container carries its port's address; after delete no Neutron port,
    OVN logical port, OVS port, veth or namespace of theirs is left."""
    aio = nets
    hosts = [e.host for e in aio.lay.engines]
    before = {'ports': {p['ID'] for p in aio.openstack_json('port', 'list')},
              'lsps': _logical_ports(aio), 'netns': set(netns_names()),
              'links': {h: set(_chassis_links(aio, h)) for h in hosts},
              'ovs': {h: set(_ovs_ports(aio, h)) for h in hosts}}
    aio.openstack('quota', 'set', '--instances', '40', '--cores', '40',
                  '--ports', '60', 'demo')
    aio.openstack('server', 'create', '--image', 'dos-idle', '--flavor',
                  'docker.tiny', '--network', NET, '--min', '20',
                  '--max', '20', 'burst', cloud='aio-demo')

    def burst():
        return [s for s in aio.openstack_json('server', 'list', '--name',
                                              '^burst', cloud='aio-demo')]
    wait(lambda: len(burst()) == 20 and all(
        s['Status'] in ('ACTIVE', 'ERROR') for s in burst()), 300,
        '20 servers out of BUILD')
    servers = burst()
    assert {s['Status'] for s in servers} == {'ACTIVE'}, servers
    addresses = {}
    for s in servers:
        (ip,) = s['Networks'][NET]
        code, out = _exec(aio, s['ID'], 'ip -o addr show eth0')
        assert code == 0 and ' %s/24 ' % ip in out, (s['Name'], ip, out)
        addresses[s['ID']] = ip
    assert len(set(addresses.values())) == 20
    used = {aio.openstack_json('server', 'show', sid)[
        'OS-EXT-SRV-ATTR:host'] for sid in addresses}
    assert used == set(hosts)  # the scheduler spread them

    for sid in addresses:
        aio.openstack('server', 'delete', sid, cloud='aio-demo')
    wait(lambda: not burst(), 300, '20 servers deleted')
    assert {p['ID'] for p in aio.openstack_json('port', 'list')} == \
        before['ports']
    wait(lambda: _logical_ports(aio) == before['lsps'], 30,
         'OVN logical ports of the servers gone')
    assert set(netns_names()) == before['netns']
    # The metadata agent of a chassis the network no longer has a server
    # on takes its metadata veth down a moment later.
    for h in hosts:
        wait(lambda: set(_chassis_links(aio, h)) == before['links'][h], 30,
             'links of %s as before' % h)
        wait(lambda: set(_ovs_ports(aio, h)) == before['ovs'][h], 30,
             'OVS ports of %s as before' % h)
    for sid in addresses:
        assert not aio.containers_of(sid)


def test_a_port_in_use_is_refused_and_stays_with_its_server(nets):
    aio = nets
    port = aio.openstack_json('port', 'create', '--network', NET,
                              'taken', cloud='aio-demo')
    owner = aio.openstack_json(
        'server', 'create', '--image', 'dos-idle', '--flavor', 'docker.tiny',
        '--port', port['id'], '--wait', 'port-owner', cloud='aio-demo')
    refused = aio.openstack('server', 'create', '--image', 'dos-idle',
                            '--flavor', 'docker.tiny', '--port', port['id'],
                            'port-thief', cloud='aio-demo', check=False)
    assert refused.returncode != 0
    assert port['id'] in refused.stderr, refused.stderr
    assert 'port-thief' not in _ids(aio, 'server', 'aio-demo')
    shown = aio.openstack_json('port', 'show', port['id'], cloud='aio-demo')
    assert shown['device_id'] == owner['id']
    assert shown['status'] == 'ACTIVE'
    aio.openstack('server', 'delete', '--wait', owner['id'],
                  cloud='aio-demo')
    aio.openstack('port', 'delete', port['id'], cloud='aio-demo')


def test_a_full_subnet_fails_the_boot_and_leaves_no_port(nets):
    aio = nets
    aio.openstack('network', 'create', 'full-net', cloud='aio-demo')
    aio.openstack('subnet', 'create', '--network', 'full-net',
                  '--subnet-range', '10.9.9.0/29', '--allocation-pool',
                  'start=10.9.9.2,end=10.9.9.2', '--no-dhcp', 'full-subnet',
                  cloud='aio-demo')
    try:
        first = _boot(aio, 'aio-demo', 'full-first', 'full-net')
        assert first['status'] == 'ACTIVE'
        ports = {p['ID'] for p in aio.openstack_json('port', 'list')}
        second = aio.openstack_json(
            'server', 'create', '--image', 'dos-idle', '--flavor',
            'docker.tiny', '--network', 'full-net', 'full-second',
            cloud='aio-demo')
        shown = wait(lambda: (lambda s: s if s['status'] != 'BUILD'
                              else None)(aio.openstack_json(
                                  'server', 'show', second['id'])),
                     120, 'the second boot to end')
        assert shown['status'] == 'ERROR'
        assert 'network' in shown['fault']['message'].lower(), shown['fault']
        assert {p['ID'] for p in aio.openstack_json('port', 'list')} == ports
        assert not aio.containers_of(second['id'])
    finally:
        for name in ('full-first', 'full-second'):
            aio.openstack('server', 'delete', '--wait', name,
                          cloud='aio-demo', check=False)
        aio.openstack('network', 'delete', 'full-net', cloud='aio-demo',
                      check=False)


def test_a_rule_with_a_bad_cidr_names_the_field_and_adds_nothing(nets):
    aio = nets
    group = aio.openstack_json('security', 'group', 'create', 'bad-cidr',
                               cloud='aio-demo')
    try:
        rules = aio.openstack_json('security', 'group', 'rule', 'list',
                                   group['id'], cloud='aio-demo')
        sess = aio.session('aio-demo')
        resp = sess.post('/v2.0/security-group-rules', raise_exc=False,
                         endpoint_filter={'service_type': 'network'},
                         json={'security_group_rule': {
                             'security_group_id': group['id'],
                             'direction': 'ingress', 'protocol': 'tcp',
                             'remote_ip_prefix': '10.0.0.0/33'}})
        assert resp.status_code == 400, resp.text
        assert '10.0.0.0/33' in resp.text, resp.text
        assert aio.openstack_json('security', 'group', 'rule', 'list',
                                  group['id'], cloud='aio-demo') == rules
    finally:
        aio.openstack('security', 'group', 'delete', group['id'],
                      cloud='aio-demo', check=False)


def test_services_ride_out_a_database_restart(nets):
    """MariaDB stopped and started under the running cloud: every service
    keeps its process, and serves again with nothing lost."""
    aio = nets
    others = [svc.name for svc in services.all_services(aio.lay)
              if svc.name != 'mariadb']
    pids = {name: procs.Process(aio.lay, name).pid() for name in others}
    before = _boot(aio, 'aio-demo', 'db-before', NET)
    procs.Process(aio.lay, 'mariadb').stop()
    down = aio.openstack('server', 'list', cloud='aio-demo', check=False)
    assert down.returncode != 0  # the API really lost its database
    aio.cloud.start()  # starts what is not running: MariaDB only
    wait(lambda: aio.openstack('server', 'show', before['id'],
                               check=False).returncode == 0, 120,
         'the services to serve again')
    after = _boot(aio, 'aio-demo', 'db-after', NET)
    assert after['status'] == 'ACTIVE'
    assert aio.openstack_json('server', 'show', before['id'])['status'] == \
        'ACTIVE'
    assert {name: procs.Process(aio.lay, name).pid()
            for name in others} == pids
