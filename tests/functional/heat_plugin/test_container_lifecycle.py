"""OS::Docker::Container on Heat's engine and the real Docker engine."""

from tests.functional.heat_plugin import base  # noqa: I100 - rig first

TEMPLATE = base.HOT + '''
resources:
  web:
    type: OS::Docker::Container
    properties:
      image: dos/httpd
      port_specs: ["8080"]
      env: [GREETING=hello]
      labels: {tier: web}
      memory: 67108864
      restart_policy: {Name: on-failure, MaximumRetryCount: 2}
outputs:
  ip:
    value: {get_attr: [web, network_ip]}
  status:
    value: {get_attr: [web, status]}
'''


class TestContainerLifecycle(base.DockerStackTestCase):

    def test_create_and_delete(self):
        stack = self.create_stack(TEMPLATE)
        self.assert_state(stack, 'CREATE')
        [c] = self.containers_of(stack)
        info = self.docker.api.inspect_container(c['Id'])
        self.assertTrue(info['State']['Running'])
        self.assertEqual(67108864, info['HostConfig']['Memory'])
        self.assertIn('GREETING=hello', info['Config']['Env'])
        self.assertEqual('web', info['Config']['Labels']['tier'])
        self.assertEqual('on-failure',
                         info['HostConfig']['RestartPolicy']['Name'])
        self.assertEqual(c['Id'], stack['web'].resource_id)
        web = stack['web']
        self.assertEqual(info['NetworkSettings']['IPAddress'],
                         web.FnGetAtt('network_ip'))
        self.assertEqual('running', web.FnGetAtt('status'))
        self.assertEqual('none', web.FnGetAtt('health'))
        self.delete_stack(stack)
        self.assert_state(stack, 'DELETE')
        self.assertEqual({}, self.leftovers())
