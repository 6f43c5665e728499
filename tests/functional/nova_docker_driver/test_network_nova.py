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

"""Networking through real Nova: Neutron ports (Nova's NeutronFixture) wired
by the Docker driver into real containers on the private engine.

Ports are NeutronFixture's port data with fresh ids and MACs (parallel runs
on one host never share a link name) and ``binding:vif_type`` ``tap``: Nova
34 refuses Linux-bridge bindings, and there is no Open vSwitch here, so the
tap strategy is the one a real Nova 34 can hand this host.
"""

import os

os.environ.setdefault('OS_NOVA_DISABLE_EVENTLET_PATCHING', '1')

import nova.tests.functional  # noqa: E402,F401,I100

import copy  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
import warnings  # noqa: E402

import fixtures  # noqa: E402
import pytest  # noqa: E402
from nova.tests.fixtures import neutron as neutron_fixture  # noqa: E402
from sqlalchemy import exc as sqla_exc  # noqa: E402

from nova_docker_driver import driver as docker_driver  # noqa: E402
from nova_docker_driver.network import linux_net  # noqa: E402
from nova_docker_driver.network import mixin  # noqa: E402
from nova_docker_driver.network import plugger  # noqa: E402
from nova_docker_driver.network import privsep  # noqa: E402
from nova_docker_driver.network import vif as vif_mod  # noqa: E402
from tests.functional.nova_docker_driver import test_network_netns  # noqa: E402,E501
from tests.functional.nova_docker_driver import test_network_ovs  # noqa: E402,E501
from tests.rig import docker_engine  # noqa: E402
from tests.rig import nova as nova_rig  # noqa: E402

NF = neutron_fixture.NeutronFixture
IMAGE = 'd0c4e7a1-5b6f-4e2a-9c11-0e6f3b2a7d91'
LABEL_UUID = 'org.openstack.nova.instance_uuid'


def stable(text):
    """ip output without what changes by itself: ifindexes, lifetimes and
    the kernel's link-local IPv6 address and route (they appear once DAD
    of the link-local address is done, a moment after link up)."""
    text = re.sub(r'^\d+: ', '', text, flags=re.M)
    text = re.sub(r'@if\d+', '', text)
    return '\n'.join(line for line in text.splitlines()
                     if 'fe80' not in line and 'valid_lft' not in line)


def _driver(virtapi):
    # The driver itself, as nova-compute loads it: networking is its mixin.
    assert issubclass(docker_driver.DockerDriver, mixin.NetworkMixin)
    return docker_driver.DockerDriver(virtapi)


class _NetworkNovaBase(nova_rig.NovaCloudTestCase):
    compute_driver = staticmethod(_driver)
    # Casts stay casts, so a build can wait for an event the test sends.
    CAST_AS_CALL = False

    def setUp(self):
        # Nova's TestCase forbids a privsep helper daemon; the test runs as
        # root, so the privileged calls run in this process.
        privsep.run_in_process()
        self.addCleanup(privsep.run_in_process, False)
        self.engine = docker_engine.client()
        docker_engine.ensure_images(self.engine)
        self.addCleanup(self.engine.close)
        before = docker_engine.Snapshot(self.engine)
        self.addCleanup(docker_engine.remove_new, self.engine, before)
        # Nova clears test attributes before these cleanups run: keep the
        # list in the closure.
        port_ids = self.port_ids = []
        self.addCleanup(self._remove_links, port_ids)
        super().setUp()

    def _setup_services(self):
        # Nova's WarningsFixture makes SQLAlchemy deprecations errors; Nova
        # 34 itself uses noload(), deprecated in the pinned SQLAlchemy 2.1,
        # when the metadata written into containers loads key pairs.
        warnings.filterwarnings('ignore', message='The noload',
                                category=sqla_exc.SADeprecationWarning)
        tmp = self.useFixture(fixtures.TempDir()).path
        # Room for 20 one-vCPU servers on this two-core host.
        self.flags(cpu_allocation_ratio=16.0)
        self.flags(instances=30, cores=40, group='quota')
        # Nova's multi-cell test fixtures can deadlock under many parallel
        # DB writers on native threads (their cell read/write lock taken
        # against their per-database writer lock: seen with 10 builds at
        # once); three builds at a time on the compute stay clear of it.
        self.flags(max_concurrent_builds=3)
        self.flags(endpoint=docker_engine.docker_host(), group='docker')
        self.flags(image_cache_dir=os.path.join(tmp, 'images'),
                   group='docker')
        self.glance.create(None, {
            'id': IMAGE, 'name': 'dos-idle', 'status': 'active',
            'container_format': 'docker', 'disk_format': 'raw',
            'min_ram': 0, 'min_disk': 0, 'visibility': 'public',
            'properties': {'docker_image': 'dos/idle:latest'}})
        super()._setup_services()

    @staticmethod
    def _remove_links(port_ids):
        for port_id in port_ids:
            linux_net.delete_link(vif_mod.host_name(port_id))
            linux_net.delete_link(vif_mod.peer_name(port_id))

    # ----------------------------------------------------------- helpers
    def _port(self, ip='192.168.1.3', ipv6=None, vif_type='tap',
              status='ACTIVE', vif_details=None):
        port = copy.deepcopy(NF.port_1)
        port.update(
            id=str(uuid.uuid4()), status=status,
            mac_address='fa:16:3e:%02x:%02x:%02x' % tuple(
                uuid.uuid4().bytes[:3]),
            fixed_ips=[{'ip_address': ip, 'subnet_id': NF.subnet_1['id']}])
        port['binding:vif_type'] = vif_type
        if vif_details:
            port['binding:vif_details'] = vif_details
        if ipv6:
            port['fixed_ips'].append({'ip_address': ipv6,
                                      'subnet_id': NF.subnet_ipv6_1['id']})
        self.neutron._ports[port['id']] = port
        self.port_ids.append(port['id'])
        return port

    def _boot(self, *ports, expected='ACTIVE', flavor=None):
        body = self._build_server(image_uuid=IMAGE, flavor_id=flavor,
                                  networks=[{'port': p['id']}
                                            for p in ports])
        server = self.api.post_server({'server': body})
        return self._wait_for_state_change(server, expected,
                                           max_retries=60)

    def _container(self, server):
        found = self.engine.containers.list(
            all=True, filters={'label': '%s=%s' % (LABEL_UUID,
                                                    server['id'])})
        return found[0] if found else None

    def _inside(self, server, *cmd):
        code, out = self._container(server).exec_run(list(cmd))
        self.assertEqual(0, code, out)
        return out.decode()

    def _config(self, server):
        """Addresses, MACs and routes in the container, ids stripped."""
        text = (self._inside(server, 'ip', 'addr') +
                self._inside(server, 'ip', 'route') +
                self._inside(server, 'ip', '-6', 'route'))
        return stable(text)

    def _assert_no_links(self, server, ports):
        for port in ports:
            self.assertIsNone(linux_net.host_link(
                vif_mod.host_name(port['id'])))
            self.assertIsNone(linux_net.host_link(
                vif_mod.peer_name(port['id'])))
        self.assertEqual([], linux_net.host_links_with_alias(
            plugger.alias_for(server['id'])))



class NetworkNovaTestCase(_NetworkNovaBase):

    @pytest.mark.slow
    def test_port_lifecycle_attach_detach_reboot_stop_rebuild_delete(self):
        p1 = self._port(ipv6='fd37:44e8:ad06::3')
        p2 = self._port(ip='192.168.1.77')
        server = self._boot(p1)

        eth0 = self._inside(server, 'ip', 'addr', 'show', 'eth0')
        self.assertIn(p1['mac_address'], eth0)
        self.assertIn('inet 192.168.1.3/24', eth0)
        self.assertIn('inet6 fd37:44e8:ad06::3/64', eth0)
        self.assertIn('mtu 1450', eth0)
        self.assertIn('default via 192.168.1.1 dev eth0',
                      self._inside(server, 'ip', 'route'))
        tap = linux_net.host_link(vif_mod.host_name(p1['id']))
        self.assertEqual('up', tap['state'])
        self.assertEqual(plugger.alias_for(server['id']), tap['alias'])
        # Nova shows the port's addresses on the server.
        addresses = self.api.get_server(server['id'])['addresses']
        self.assertIn('192.168.1.3', str(addresses))

        self._attach_interface(server, p2['id'])
        eth1 = self._inside(server, 'ip', 'addr', 'show', 'eth1')
        self.assertIn(p2['mac_address'], eth1)
        self.assertIn('inet 192.168.1.77/24', eth1)
        self.assertIsNotNone(linux_net.host_link(
            vif_mod.host_name(p2['id'])))

        self._detach_interface(server, p2['id'])
        self.assertNotIn('eth1', self._inside(server, 'ip', 'addr'))
        self.assertIsNone(linux_net.host_link(vif_mod.host_name(p2['id'])))
        wired = self._config(server)

        # Reboots and power cycles give the container a new namespace; the
        # driver wires the same interfaces into it.
        for action in ('soft', 'hard'):
            pid = self._container(server).attrs['State']['Pid']
            self._reboot_server(server, hard=action == 'hard')
            self.assertNotEqual(
                pid, self._container(server).attrs['State']['Pid'])
            self.assertEqual(wired, self._config(server), action)
        self._stop_server(server)
        self.assertTrue(test_network_netns.gone(vif_mod.host_name(p1['id'])))
        self._start_server(server)
        self.assertEqual(wired, self._config(server))
        # Suspend keeps the namespace (the container is paused); rebuild
        # makes a new container from the image: wired again.
        self.api.post_server_action(server['id'], {'suspend': None})
        self._wait_for_state_change(server, 'SUSPENDED', max_retries=60)
        self.api.post_server_action(server['id'], {'resume': None})
        self._wait_for_state_change(server, 'ACTIVE', max_retries=60)
        self.assertEqual(wired, self._config(server))
        old_id = self._container(server).id
        self.api.post_server_action(server['id'],
                                    {'rebuild': {'imageRef': IMAGE}})
        self._wait_for_server_parameter(
            server, {'status': 'ACTIVE', 'OS-EXT-STS:task_state': None},
            max_retries=60)
        self.assertNotEqual(old_id, self._container(server).id)
        self.assertEqual(wired, self._config(server))

        self._delete_server(server)
        self.assertIsNone(self._container(server))
        self._assert_no_links(server, [p1, p2])

    @pytest.mark.slow
    def test_build_waits_for_network_vif_plugged(self):
        # NeutronFixture turns the wait off; a real Neutron sends the event
        # once its agent saw the tap device.
        self.flags(vif_plugging_timeout=60)
        port = self._port(status='DOWN')
        body = self._build_server(image_uuid=IMAGE,
                                  networks=[{'port': port['id']}])
        server = self.api.post_server({'server': body})
        # The container is started and wired while Nova waits.
        for _ in range(100):
            container = self._container(server)
            if (container is not None and container.status == 'running' and
                    linux_net.host_link(vif_mod.host_name(port['id']))):
                break
            time.sleep(0.2)
        else:
            self.fail('container never started and wired')
        time.sleep(1)
        self.assertEqual('BUILD', self.api.get_server(server['id'])['status'])
        self.admin_api.api_post('/os-server-external-events', {'events': [{
            'name': 'network-vif-plugged', 'tag': port['id'],
            'server_uuid': server['id'], 'status': 'completed'}]})
        self._wait_for_state_change(server, 'ACTIVE', max_retries=60)
        self.assertIn(port['mac_address'],
                      self._inside(server, 'ip', 'addr', 'show', 'eth0'))
        self._delete_server(server)
        self._assert_no_links(server, [port])

    @pytest.mark.slow
    def test_vif_plugged_timeout_gives_error_and_clean_host(self):
        self.flags(vif_plugging_timeout=2, vif_plugging_is_fatal=True)
        port = self._port(status='DOWN')
        server = self._boot(port, expected='ERROR')
        self.assertIn('fault', server)
        self.assertIsNone(self._container(server))
        self._assert_no_links(server, [port])
        self._delete_server(server)

    def test_unsupported_vif_type_gives_error_naming_it(self):
        port = self._port(vif_type='vhostuser')
        server = self._boot(port, expected='ERROR')
        message = server['fault']['message']
        self.assertIn("vif_type 'vhostuser'", message)
        self.assertIn(port['id'], message)
        # Nothing left behind: no container, no veth.
        self.assertIsNone(self._container(server))
        self._assert_no_links(server, [port])
        self._delete_server(server)

    def test_kernel_refusal_while_wiring_gives_error_and_clean_host(self):
        # A subnet whose host route points at a next hop on no attached
        # network: the kernel refuses the route after the veth is inside.
        subnet = dict(NF.subnet_1, id=str(uuid.uuid4()), host_routes=[
            {'destination': '10.70.0.0/16', 'nexthop': '203.0.113.9'}])
        self.neutron._subnets[subnet['id']] = subnet
        port = self._port()
        port['fixed_ips'][0]['subnet_id'] = subnet['id']
        server = self._boot(port, expected='ERROR')
        message = server['fault']['message']
        self.assertIn(port['id'], message)
        self.assertIn('10.70.0.0/16 via 203.0.113.9', message)
        self.assertIsNone(self._container(server))
        self._assert_no_links(server, [port])
        self._delete_server(server)

    def test_subnet_dns_servers_are_the_containers_name_servers(self):
        # Neutron's dns_nameservers of the port's subnet, through Nova's
        # network info, into the container's /etc/resolv.conf.
        subnet = dict(NF.subnet_1, id=str(uuid.uuid4()),
                      dns_nameservers=['192.0.2.53', '192.0.2.54'])
        self.neutron._subnets[subnet['id']] = subnet
        port = self._port()
        port['fixed_ips'][0]['subnet_id'] = subnet['id']
        server = self._boot(port)
        resolv = self._inside(server, 'cat', '/etc/resolv.conf')
        servers = [line.split()[1] for line in resolv.splitlines()
                   if line.startswith('nameserver')]
        self.assertEqual(['192.0.2.53', '192.0.2.54'], servers)
        self.assertIn('inet 192.168.1.3/24',
                      self._inside(server, 'ip', 'addr', 'show', 'eth0'))
        self._delete_server(server)
        self._assert_no_links(server, [port])

    def test_the_networks_dns_domain_is_the_containers_search_list(self):
        # Neutron's dns_domain of the port's network (looked up by the
        # driver: Nova's network info does not carry it) into the
        # container's /etc/resolv.conf, without the trailing dot.
        network = self.neutron._networks[NF.port_1['network_id']]
        self.addCleanup(network.pop, 'dns_domain', None)
        network['dns_domain'] = 'apps.example.'
        server = self._boot(self._port())
        resolv = self._inside(server, 'cat', '/etc/resolv.conf')
        search = [line.split()[1:] for line in resolv.splitlines()
                  if line.startswith('search')]
        self.assertEqual([['apps.example']], search)
        self._delete_server(server)

    @pytest.mark.slow
    def test_attaching_an_unwirable_port_fails_and_leaves_nothing(self):
        p1 = self._port()
        bad = self._port(ip='192.168.1.80', vif_type='vhostuser')
        server = self._boot(p1)
        before = self._config(server)
        body = {'interfaceAttachment': {'port_id': bad['id']}}
        try:
            self.api.attach_interface(server['id'], body)
        except Exception as err:
            # Nova answers an attach the driver refused with an error.
            self.assertIn('Failed to attach', str(err))
        else:
            self.fail('attach of an unwirable port succeeded')
        self.assertEqual(before, self._config(server))
        self.assertIsNone(linux_net.host_link(vif_mod.host_name(bad['id'])))
        self.assertEqual('ACTIVE',
                         self.api.get_server(server['id'])['status'])
        self._delete_server(server)
        self._assert_no_links(server, [p1, bad])

    @pytest.mark.slow
    def test_twenty_concurrent_boots_with_ports_then_no_veth_left(self):
        flavor = self.admin_api.post_flavor({'flavor': {
            'name': 'c64', 'ram': 64, 'vcpus': 1, 'disk': 1}})['id']
        ports = [self._port(ip='192.168.1.%d' % (100 + i))
                 for i in range(20)]
        servers = []
        for port in ports:
            body = self._build_server(image_uuid=IMAGE, flavor_id=flavor,
                                      networks=[{'port': port['id']}])
            servers.append(self.api.post_server({'server': body}))
        for server in servers:
            self._wait_for_state_change(server, 'ACTIVE', max_retries=240)
        for server, port in zip(servers, ports):
            eth0 = self._inside(server, 'ip', 'addr', 'show', 'eth0')
            self.assertIn(port['mac_address'], eth0)
            self.assertIn(port['fixed_ips'][0]['ip_address'] + '/24', eth0)
            self.assertEqual(
                [vif_mod.host_name(port['id'])],
                linux_net.host_links_with_alias(
                    plugger.alias_for(server['id'])))
        for server in servers:
            self.api.delete_server(server['id'])
        for server in servers:
            self._wait_until_deleted(server)
        for server, port in zip(servers, ports):
            self.assertIsNone(self._container(server))
            self._assert_no_links(server, [port])


class OvsPortNovaTestCase(_NetworkNovaBase):
    """NeutronFixture's own kind of port (vif_type ovs) through Nova, wired
    into a private user-space Open vSwitch."""

    def setUp(self):
        self.ovs = test_network_ovs.PrivateOvs()
        self.ovs.start()
        self.addCleanup(self.ovs.stop)
        super().setUp()

    def _setup_services(self):
        self.flags(ovsdb_connection=self.ovs.db, ovs_datapath_type='netdev',
                   group='docker_network')
        super()._setup_services()

    @pytest.mark.slow
    def test_ovs_port_boot_reboot_delete(self):
        bridge = 'brovs%s' % uuid.uuid4().hex[:8]
        port = self._port(vif_type='ovs', ipv6='fd37:44e8:ad06::3',
                          vif_details={'bridge_name': bridge})
        server = self._boot(port)
        tap = vif_mod.host_name(port['id'])
        eth0 = self._inside(server, 'ip', 'addr', 'show', 'eth0')
        self.assertIn(port['mac_address'], eth0)
        self.assertIn('inet 192.168.1.3/24', eth0)
        self.assertEqual([tap], self.ovs.vsctl('list-ports', bridge).split())
        ids = test_network_ovs.external_ids(self.ovs, tap)
        self.assertEqual(port['id'], ids['iface-id'])
        self.assertEqual(server['id'], ids['vm-uuid'])
        self.assertEqual(port['mac_address'], ids['attached-mac'])
        wired = self._config(server)

        self._reboot_server(server, hard=True)
        self.assertEqual(wired, self._config(server))
        self.assertEqual([tap], self.ovs.vsctl('list-ports', bridge).split())

        self._delete_server(server)
        self.assertIsNone(self._container(server))
        self._assert_no_links(server, [port])
        self.assertEqual([], self.ovs.vsctl('list-ports', bridge).split())
