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

"""Items 3 and 7: the templates in examples/ deployed on real Heat + Docker;
networks and volumes with their lifecycle, joined and mounted by the stack's
containers."""

from tests.functional.heat_plugin import base  # noqa: I100 - rig first

import pytest  # noqa: E402

import os  # noqa: E402

# Examples of Nova servers, Neutron and Octavia: this rig has none of those
# services, so the all-in-one's end-to-end module named here creates them
# (the real heat-api validates them first): example -> (module, the
# example the module deploys, which is or uses it).
# Examples of Nova servers, Octavia or Aodh: the all-in-one's end-to-end
# tests deploy them (the rig here has Heat and Docker only).
CLOUD_EXAMPLES = {
    'lb_group.yaml': ('test_aio_lb_group.py', 'lb_group.yaml'),
    'lb_member.yaml': ('test_aio_lb_group.py', 'lb_group.yaml'),
    'autoscaling_group.yaml': ('test_aio_autoscale.py',
                               'autoscaling_group.yaml'),
    'autoscaling_containers.yaml': ('test_aio_autoscale_containers.py',
                                    'autoscaling_containers.yaml'),
}
DEVSTACK_TESTS = os.path.join(os.path.dirname(__file__), '..', 'devstack')


class TestExamples(base.DockerStackTestCase):

    def test_every_example_validates(self):
        # heat-api validates a stack before the engine creates it.
        names = sorted(n for n in os.listdir(base.EXAMPLES)
                       if n.endswith('.yaml'))
        self.assertGreaterEqual(len(names), 4)
        for name in names:
            if name in CLOUD_EXAMPLES:
                module, deployed = CLOUD_EXAMPLES[name]
                with open(os.path.join(DEVSTACK_TESTS, module)) as f:
                    self.assertIn("'%s'" % deployed, f.read(), name)
                if deployed != name:
                    self.assertIn(name, base.example(deployed))
                continue
            self.parse(base.example(name)).validate()
        self.assertEqual({}, self.leftovers())

    def exec_in(self, cid, cmd):
        api = self.docker.api
        ex = api.exec_create(cid, cmd)
        out = api.exec_start(ex['Id']).decode()
        return api.exec_inspect(ex['Id'])['ExitCode'], out

    @pytest.mark.slow
    def test_web_with_network_and_volume(self):
        stack = self.create_stack(
            base.example('web_with_network_and_volume.yaml'))
        self.assert_state(stack, 'CREATE')
        net_id = stack['net'].resource_id
        vol = stack['data'].resource_id
        net = self.docker.api.inspect_network(net_id)
        self.assertEqual('10.213.57.0/24', net['IPAM']['Config'][0]['Subnet'])
        self.assertEqual('10.213.57.0/24', stack['net'].FnGetAtt('subnets')[0])
        web = stack['web'].resource_id
        client = stack['client'].resource_id
        self.assertEqual({net['Name']: '10.213.57.10'},
                         stack['web'].FnGetAtt('network_ips'))
        self.assertEqual({web, client}, set(
            self.docker.api.inspect_network(net_id)['Containers']))
        # The client reaches the web server by its alias on the network.
        code, out = self.exec_in(client, ['sh', '-c',
                                          'printf "GET / HTTP/1.0\\r\\n\\r\\n"'
                                          ' | nc www 8080'])
        self.assertIn('hello from docker-on-openstack', out)
        # Both mount the same volume.
        self.assertEqual(0, self.exec_in(client, ['touch', '/data/x'])[0])
        self.assertEqual(0, self.exec_in(web, ['ls', '/www/shared/x'])[0])
        self.assertEqual(vol, self.docker.api.inspect_volume(vol)['Name'])
        self.assertEqual('default', stack['net'].FnGetAtt('docker_host'))
        self.delete_stack(stack)
        self.assert_state(stack, 'DELETE')
        self.assertEqual({}, self.leftovers())

    def test_healthy_service(self):
        stack = self.create_stack(base.example('healthy_service.yaml'))
        self.assert_state(stack, 'CREATE')
        res = stack['service']
        self.assertEqual('healthy', res.FnGetAtt('health'))
        host = self.docker.api.inspect_container(res.resource_id)[
            'HostConfig']
        self.assertEqual(50000, host['CpuQuota'])
        self.assertEqual(100000, host['CpuPeriod'])
        self.assertEqual(64, host['PidsLimit'])
        self.assertEqual([{'Name': 'nofile', 'Soft': 1024, 'Hard': 2048}],
                         host['Ulimits'])
        self.assertEqual({'type': 'json-file', 'options': {
            'max-size': '1m', 'max-file': '2'}}, {
            'type': host['LogConfig']['Type'],
            'options': host['LogConfig']['Config']})

    def test_legacy_contrib_template(self):
        stack = self.create_stack(base.example('legacy_contrib.yaml'))
        self.assert_state(stack, 'CREATE')
        res = stack['legacy']
        self.assertEqual('DockerInc::Docker::Container', res.type())
        info = self.docker.api.inspect_container(res.resource_id)
        binding = info['HostConfig']['PortBindings']['8080/tcp'][0]
        self.assertEqual('127.0.0.1', binding['HostIp'])
        port = info['NetworkSettings']['Ports']['8080/tcp'][0]['HostPort']
        self.assertEqual(port, res.FnGetAtt('network_tcp_ports'))
        self.assertEqual('always', info['HostConfig']['RestartPolicy']['Name'])
        self.assertEqual(['MKNOD'], info['HostConfig']['CapDrop'])
        self.delete_stack(stack)
        self.assertEqual({}, self.leftovers())

    def test_network_and_volume_alone(self):
        stack = self.create_stack(base.HOT + '''
resources:
  n:
    type: OS::Docker::Network
    properties: {name: heat-test-net, internal: true, labels: {a: b}}
  v:
    type: OS::Docker::Volume
    properties: {name: heat-test-vol}
''')
        self.assert_state(stack, 'CREATE')
        net = self.docker.api.inspect_network('heat-test-net')
        self.assertTrue(net['Internal'])
        self.assertEqual('b', net['Labels']['a'])
        self.assertEqual('heat-test-vol', stack['v'].FnGetAtt('name'))
        stack.check()
        self.assert_state(stack, 'CHECK')
        self.delete_stack(stack)
        self.assertEqual({}, self.leftovers())

    def test_network_delete_detaches_outside_containers(self):
        stack = self.create_stack(base.HOT + '''
resources:
  n:
    type: OS::Docker::Network
''')
        self.assert_state(stack, 'CREATE')
        api = self.docker.api
        outsider = api.create_container('dos/idle')['Id']
        api.start(outsider)
        api.connect_container_to_network(outsider, stack['n'].resource_id)
        self.delete_stack(stack)
        self.assert_state(stack, 'DELETE')
        # The network is gone; the container attached from outside stays.
        info = api.inspect_container(outsider)
        self.assertTrue(info['State']['Running'])
        self.assertEqual(['bridge'], list(info['NetworkSettings']['Networks']))
        api.remove_container(outsider, force=True)
        self.assert_nothing_left()

    def test_volume_that_exists_is_refused_and_kept(self):
        self.docker.api.create_volume('heat-taken-vol')
        stack = self.create_stack(base.HOT + '''
resources:
  v:
    type: OS::Docker::Volume
    properties: {name: heat-taken-vol}
''')
        self.assert_state(stack, 'CREATE', 'FAILED')
        self.assertIn('Property name: volume heat-taken-vol already exists',
                      stack.status_reason)
        self.delete_stack(stack)
        # Deleting the failed stack must not take someone else's volume.
        self.docker.api.inspect_volume('heat-taken-vol')

    def test_network_on_no_host_names_the_field(self):
        stack = self.create_stack(base.HOT + '''
resources:
  c:
    type: OS::Docker::Container
    properties:
      image: dos/idle
      networks: [{network: no-such-network}]
''')
        self.assert_state(stack, 'CREATE', 'FAILED')
        self.assertIn("Property networks: network 'no-such-network' exists "
                      "on no registered Docker host", stack.status_reason)
        self.assertEqual({}, self.leftovers())
