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

"""OS::Docker::Container on Heat's engine and the real Docker engine:
create, attributes, update in place and by replacement, suspend, resume,
check, delete, and failures that roll back leaving nothing."""

from tests.functional.heat_plugin import base  # noqa: I100 - rig first

import time  # noqa: E402

import pytest  # noqa: E402

from heat_plugin import hosts  # noqa: E402
from scheduler_filters.core import facts  # noqa: E402

TEMPLATE = base.HOT + '''
resources:
  web:
    type: OS::Docker::Container
    properties:
      image: dos/httpd
      port_specs: ["8080"]
      port_bindings: {"8080/tcp": "127.0.0.1:"}
      env: [GREETING=hello]
      labels: {tier: web}
      memory: 67108864
      pids_limit: 100
      restart_policy: {Name: on-failure, MaximumRetryCount: 2}
'''

IDLE = base.HOT + '''
parameters:
  name: {type: string, default: ""}
  memory: {type: number, default: 33554432}
  policy: {type: string, default: "no"}
  env: {type: string, default: A=1}
resources:
  box:
    type: OS::Docker::Container
    properties:
      image: dos/idle
      name: {get_param: name}
      memory: {get_param: memory}
      cpu_shares: 512
      restart_policy: {Name: {get_param: policy}}
      env: [{get_param: env}]
'''

LIMITS = base.HOT + '''
parameters:
  memory: {type: number}
  cpu_quota: {type: number}
resources:
  box:
    type: OS::Docker::Container
    properties:
      image: dos/idle
      memory: {get_param: memory}
      cpu_quota: {get_param: cpu_quota}
'''
MIB = 1024 * 1024


class TestContainerLifecycle(base.DockerStackTestCase):

    def test_create_attributes_and_delete(self):
        stack = self.create_stack(TEMPLATE)
        self.assert_state(stack, 'CREATE')
        [c] = self.containers_of(stack)
        info = self.docker.api.inspect_container(c['Id'])
        self.assertTrue(info['State']['Running'])
        self.assertEqual(67108864, info['HostConfig']['Memory'])
        self.assertEqual(100, info['HostConfig']['PidsLimit'])
        self.assertIn('GREETING=hello', info['Config']['Env'])
        self.assertEqual('web', info['Config']['Labels']['tier'])
        self.assertEqual('on-failure',
                         info['HostConfig']['RestartPolicy']['Name'])
        web = stack['web']
        self.assertEqual(c['Id'], web.resource_id)
        self.assertEqual(info['NetworkSettings']['IPAddress'],
                         web.FnGetAtt('network_ip'))
        self.assertEqual({'bridge': info['NetworkSettings']['IPAddress']},
                         web.FnGetAtt('network_ips'))
        host_port = info['NetworkSettings']['Ports']['8080/tcp'][0]['HostPort']
        self.assertEqual({'8080/tcp': [host_port]}, web.FnGetAtt('ports'))
        self.assertEqual(host_port, web.FnGetAtt('network_tcp_ports'))
        self.assertEqual('running', web.FnGetAtt('status'))
        self.assertEqual('none', web.FnGetAtt('health'))
        self.assertEqual('default', web.FnGetAtt('docker_host'))
        self.assertEqual(c['Id'], web.FnGetAtt('info')['Id'])
        self.delete_leaving_nothing(stack)

    def test_owner_labels_name_project_user_stack_and_resource(self):
        # Placement's counts and Ceilometer's samples of the container
        # (nova_docker_driver/telemetry/containers.py) read these labels.
        from heat.tests import utils
        ctx = utils.dummy_context(tenant_id='p-labels', user_id='u-labels')
        stack = self.create_as(ctx, IDLE)
        self.assert_state(stack, 'CREATE')
        [c] = self.containers_of(stack)
        labels = self.docker.api.inspect_container(c['Id'])['Config'][
            'Labels']
        self.assertEqual(
            {'org.openstack.heat.project': 'p-labels',
             'org.openstack.heat.user': 'u-labels',
             'org.openstack.heat.stack': stack.id,
             'org.openstack.heat.resource': 'box'},
            {k: labels.get(k) for k in (
                'org.openstack.heat.project', 'org.openstack.heat.user',
                'org.openstack.heat.stack', 'org.openstack.heat.resource')})
        # A scaling signal's context, through the stack's trust, knows
        # the user as the trustor only: the member is still theirs.
        trusted = utils.dummy_context(tenant_id='p-labels')
        trusted.trustor_user_id = 'u-trustor'
        stack = self.create_as(trusted, IDLE)
        self.assert_state(stack, 'CREATE')
        [c] = self.containers_of(stack)
        self.assertEqual('u-trustor', self.docker.api.inspect_container(
            c['Id'])['Config']['Labels']['org.openstack.heat.user'])

    def test_logs_attributes(self):
        stack = self.create_stack(base.one_container(
            'talker', image='dos/busybox', entrypoint=['sh', '-c'],
            cmd=['echo first; echo second; echo last; exec sleep 600'],
            working_dir='/tmp'))
        self.assert_state(stack, 'CREATE')
        res = stack['talker']
        self.assertEqual('first\nsecond\nlast\n', res.FnGetAtt('logs'))
        self.assertEqual('first', res.FnGetAtt('logs_head'))
        self.assertEqual('last', res.FnGetAtt('logs_tail'))
        info = res.FnGetAtt('info')
        self.assertEqual('/tmp', info['Config']['WorkingDir'])
        self.assertEqual(['sh', '-c'], info['Config']['Entrypoint'])

    def test_update_in_place_keeps_the_container(self):
        stack = self.create_stack(IDLE)
        self.assert_state(stack, 'CREATE')
        cid = stack['box'].resource_id
        self.update_stack(stack, IDLE, params={
            'name': 'renamed-box', 'memory': 67108864, 'policy': 'always'})
        self.assert_state(stack, 'UPDATE')
        self.assertEqual(cid, stack['box'].resource_id)
        info = self.docker.api.inspect_container(cid)
        self.assertEqual('/renamed-box', info['Name'])
        self.assertEqual(67108864, info['HostConfig']['Memory'])
        self.assertEqual('always', info['HostConfig']['RestartPolicy']['Name'])
        self.assertTrue(info['State']['Running'])

    def placement_usage(self):
        """(vCPUs, MiB, instances) placement counts for the test project."""
        name, endpoint = next(iter(hosts.registered().items()))
        usage = hosts.FACTS.get(name, endpoint).projects_usage.get(
            self.ctx.project_id, {})
        return tuple(usage.get(k, 0) for k in (
            facts.VCPU, facts.MEMORY_MB, facts.INSTANCES))

    def test_placement_counts_limits_updated_in_place(self):
        # Docker cannot change labels: the usage placement sees must come
        # from the container's live limits, not from what it was created with.
        base_cpu, base_mem, base_n = self.placement_usage()
        stack = self.create_stack(LIMITS, params={'memory': 32 * MIB,
                                                  'cpu_quota': 100000})
        self.assert_state(stack, 'CREATE')
        cid = stack['box'].resource_id
        hosts.FACTS.clear()
        self.assertEqual((base_cpu + 1, base_mem + 32, base_n + 1),
                         self.placement_usage())
        self.update_stack(stack, LIMITS, params={'memory': 96 * MIB,
                                                 'cpu_quota': 250000})
        self.assert_state(stack, 'UPDATE')
        self.assertEqual(cid, stack['box'].resource_id)
        host_config = self.docker.api.inspect_container(cid)['HostConfig']
        self.assertEqual((96 * MIB, 250000),
                         (host_config['Memory'], host_config['CpuQuota']))
        self.assertEqual((base_cpu + 3, base_mem + 96, base_n + 1),
                         self.placement_usage())

    @pytest.mark.slow
    def test_update_that_docker_cannot_apply_replaces(self):
        stack = self.create_stack(IDLE, params={'name': 'fixed-name'})
        self.assert_state(stack, 'CREATE')
        old = stack['box'].resource_id
        self.update_stack(stack, IDLE, params={'name': 'fixed-name',
                                               'env': 'A=2'})
        self.assert_state(stack, 'UPDATE')
        new = stack['box'].resource_id
        self.assertNotEqual(old, new)
        info = self.docker.api.inspect_container(new)
        self.assertEqual('/fixed-name', info['Name'])
        self.assertIn('A=2', info['Config']['Env'])
        ids = [c['Id'] for c in self.containers_of(stack)]
        self.assertEqual([new], ids)

    def test_suspend_resume_and_check(self):
        stack = self.create_stack(IDLE)
        cid = stack['box'].resource_id
        stack.check()
        self.assert_state(stack, 'CHECK')
        stack.suspend()
        self.assert_state(stack, 'SUSPEND')
        self.assertFalse(
            self.docker.api.inspect_container(cid)['State']['Running'])
        stack.resume()
        self.assert_state(stack, 'RESUME')
        self.assertTrue(
            self.docker.api.inspect_container(cid)['State']['Running'])
        # Stopped behind Heat's back: check notices.
        self.docker.api.stop(cid, timeout=1)
        stack.check()
        self.assert_state(stack, 'CHECK', 'FAILED')
        self.assertIn('exited', stack['box'].status_reason)

    def test_delete_is_idempotent(self):
        stack = self.create_stack(IDLE)
        cid = stack['box'].resource_id
        # Gone behind Heat's back: attributes are empty, delete completes.
        self.docker.api.remove_container(cid, force=True)
        self.assertIsNone(stack['box'].FnGetAtt('status'))
        self.delete_leaving_nothing(stack)

    def test_exit_during_create_fails_with_code_and_logs(self):
        stack = self.create_rollback(base.one_container(
            'bad', image='dos/exit-fail'))
        self.assert_state(stack, 'ROLLBACK')
        failed = [e for e in base.events(stack)
                  if e[:3] == ('bad', 'CREATE', 'FAILED')]
        self.assertEqual(1, len(failed), base.events(stack))
        reason = failed[0][3]
        self.assertIn('exited with code 3', reason)
        self.assertIn('exit-fail: failing on purpose', reason)
        self.assert_nothing_left()

    def test_exit_zero_during_create_fails_too(self):
        # The old contrib plugin waited for its timeout here.
        stack = self.create_stack(base.one_container(
            'quick', image='dos/busybox',
            cmd=['sh', '-c', 'echo done; exit 0']))
        self.assert_state(stack, 'CREATE', 'FAILED')
        self.assertIn('exited with code 0', stack.status_reason)
        self.assertIn('done', stack.status_reason)
        self.delete_leaving_nothing(stack)

    def test_missing_image_names_the_field_and_leaves_nothing(self):
        stack = self.create_rollback(base.one_container(
            'ghost', image='dos/no-such-image'))
        self.assert_state(stack, 'ROLLBACK')
        self.assertIn('Property image: image dos/no-such-image is not on '
                      'Docker host default (and pull_images is off)',
                      base.reasons(stack))
        self.assert_nothing_left()

    def test_bad_values_fail_validation_naming_the_field(self):
        cases = [
            ({'port_specs': ['80/xyz']}, None),
            ({'memory': 1024}, None),
            ({'binds': ['nocolon']}, None),
            ({'dns': ['not-an-ip']}, None),
            ({'labels': {'org.openstack.heat.stack': 'x'}}, None),
            ({'networks': [{'network': 'n1', 'ipv4_address': '1.2.3'}]},
             None),
            ({'docker_endpoint': 'ftp://engine'}, self.admin_ctx),
        ]
        from heat.common import exception as heat_exception
        for props, ctx in cases:
            stack = self.parse(base.one_container('c', image='dos/idle',
                                                  **props), ctx=ctx)
            err = self.assertRaises(heat_exception.StackValidationFailed,
                                    stack.validate)
            self.assertIn('Property %s:' % next(iter(props)), str(err))
        self.assert_nothing_left()

    def test_healthcheck_gates_create(self):
        stack = self.create_stack(base.one_container(
            'healthy', image='dos/idle',
            healthcheck={'test': ['CMD', 'true'], 'interval': 0.5,
                         'retries': 1}))
        self.assert_state(stack, 'CREATE')
        self.assertEqual('healthy', stack['healthy'].FnGetAtt('health'))

    @pytest.mark.slow
    def test_check_notices_a_container_turned_unhealthy(self):
        stack = self.create_stack(base.one_container(
            'svc', image='dos/idle',
            healthcheck={'test': ['CMD', 'test', '-f', '/tmp/ok'],
                         'interval': 0.5, 'retries': 1},
            entrypoint=['sh', '-c'],
            cmd=["touch /tmp/ok; trap 'exit 0' TERM; "
                 "while :; do sleep 1; done"]))
        self.assert_state(stack, 'CREATE')
        cid = stack['svc'].resource_id
        api = self.docker.api
        api.exec_start(api.exec_create(cid, ['rm', '/tmp/ok'])['Id'])
        for _ in range(100):     # bounded: 100 x 0.1 s
            if api.inspect_container(cid)['State']['Health'][
                    'Status'] == 'unhealthy':
                break
            time.sleep(0.1)
        self.assertEqual('unhealthy', stack['svc'].FnGetAtt('health'))
        stack.check()
        self.assert_state(stack, 'CHECK', 'FAILED')
        self.assertIn('unhealthy', stack.status_reason)

    def test_unhealthy_container_fails_create(self):
        stack = self.create_rollback(base.one_container(
            'sick', image='dos/idle',
            healthcheck={'test': ['CMD-SHELL', 'echo sick; exit 1'],
                         'interval': 0.5, 'retries': 1}))
        self.assert_state(stack, 'ROLLBACK')
        reasons = base.reasons(stack)
        self.assertIn('unhealthy', reasons)
        self.assertIn('sick', reasons)
        self.assert_nothing_left()

    def test_old_type_name_and_properties(self):
        stack = self.create_stack(base.one_container(
            'legacy', type='DockerInc::Docker::Container', image='dos/idle',
            hostname='legacy-host', user='0', cmd=[], dns=['127.0.0.1'],
            tty=True, open_stdin=True, stdin_once=True, cap_drop=['NET_RAW'],
            read_only=True, cpu_shares=256, cpu_set='0',
            volumes={'/scratch': {}}))
        self.assert_state(stack, 'CREATE')
        info = self.docker.api.inspect_container(stack['legacy'].resource_id)
        self.assertEqual('legacy-host', info['Config']['Hostname'])
        self.assertTrue(info['Config']['Tty'])
        self.assertTrue(info['Config']['OpenStdin'])
        self.assertTrue(info['Config']['StdinOnce'])
        self.assertEqual(['NET_RAW'], info['HostConfig']['CapDrop'])
        self.assertTrue(info['HostConfig']['ReadonlyRootfs'])
        self.assertEqual('0', info['HostConfig']['CpusetCpus'])
        self.assertEqual(['127.0.0.1'], info['HostConfig']['Dns'])
        self.assertIn('/scratch', info['Config']['Volumes'])
        # The anonymous volume goes with the container.
        self.delete_leaving_nothing(stack)
