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

"""Item 6: host-reaching features are refused for non-admins by oslo.policy,
with a validation error naming the field, before anything exists; admins
get them."""

from tests.functional.heat_plugin import base  # noqa: I100 - rig first

import os  # noqa: E402

import pytest  # noqa: E402
import tempfile  # noqa: E402

from heat.common import exception as heat_exception  # noqa: E402

from tests.rig import docker_engine  # noqa: E402

CONTAINER = base.HOT + '''
resources:
  c:
    type: OS::Docker::Container
    properties:
      image: dos/idle
%s
'''


def _container(props):
    return CONTAINER % '\n'.join('      ' + line for line in props)


# (case, template, field, rule); {bind} is a host directory of the test's.
REFUSALS = [
    ('privileged', _container(['privileged: true']), 'privileged',
     'docker:container:privileged'),
    ('binds', _container(['binds: ["{bind}:/mnt"]']), 'binds',
     'docker:container:host_binds'),
    ('old volumes', _container(['volumes: {"{bind}": /mnt}']), 'volumes',
     'docker:container:host_binds'),
    ('bind mount', _container(
        ['mounts: [{type: bind, source: "{bind}", target: /mnt}]']),
     'mounts', 'docker:container:host_binds'),
    ('devices', _container(
        ['devices: [{path_on_host: /dev/null, path_in_container: '
         '/dev/xnull}]']), 'devices', 'docker:container:devices'),
    ('cap_add', _container(['cap_add: [NET_ADMIN]']), 'cap_add',
     'docker:container:cap_add'),
    ('network_mode host', _container(['network_mode: host']),
     'network_mode', 'docker:container:host_network'),
    ('networks host', _container(['networks: [{network: host}]']),
     'networks', 'docker:container:host_network'),
    ('pid host', _container(['pid_mode: host']), 'pid_mode',
     'docker:container:host_pid'),
    ('ipc host', _container(['ipc_mode: host']), 'ipc_mode',
     'docker:container:host_ipc'),
    ('endpoint', _container(['docker_endpoint: "{endpoint}"']),
     'docker_endpoint', 'docker:endpoint_override'),
    ('network options', base.HOT + '''
resources:
  n:
    type: OS::Docker::Network
    properties:
      options: {com.docker.network.bridge.enable_icc: "false"}
''', 'options', 'docker:network:driver_options'),
    ('volume driver_opts', base.HOT + '''
resources:
  v:
    type: OS::Docker::Volume
    properties:
      driver_opts: {type: none, o: bind, device: "{bind}"}
''', 'driver_opts', 'docker:volume:driver_options'),
    ('network endpoint', base.HOT + '''
resources:
  n:
    type: OS::Docker::Network
    properties:
      docker_endpoint: "{endpoint}"
''', 'docker_endpoint', 'docker:endpoint_override'),
]

# Admins may; these run here (privileged cannot: this machine's capability
# bounding set lacks CAP_SYS_RESOURCE, see DESIGN.md; it is validated only).
RUNS_HERE = {case for case, *_rest in REFUSALS} - {'privileged'}


class TestTenantSafety(base.DockerStackTestCase):

    def setUp(self):
        super().setUp()
        self.bind = tempfile.mkdtemp(dir=docker_engine.STATE,
                                     prefix='heat-bind-')
        self.addCleanup(os.rmdir, self.bind)

    def _render(self, template):
        return (template.replace('{bind}', self.bind)
                .replace('{endpoint}', docker_engine.docker_host()))

    def test_every_refusal_comes_before_anything_exists(self):
        for case, template, field, rule in REFUSALS:
            text = self._render(template)
            stack = self.parse(text)           # a member, not an admin
            err = self.assertRaises(heat_exception.StackValidationFailed,
                                    stack.validate)
            self.assertIn('Property %s:' % field, str(err), case)
            self.assertIn(rule, str(err), case)
            # Had the API skipped validation, create refuses the same way.
            stack = self.create_stack(text)
            self.assert_state(stack, 'CREATE', 'FAILED')
            self.assertIn(rule, stack.status_reason, case)
            self.assertEqual({}, self.leftovers(), case)

    @pytest.mark.slow
    def test_admins_get_them(self):
        for case, template, field, rule in REFUSALS:
            text = self._render(template)
            stack = self.parse(text, ctx=self.admin_ctx)
            stack.validate()
            if case not in RUNS_HERE:
                continue
            stack = self.create_admin(text)
            self.assert_state(stack, 'CREATE')
            self.delete_stack(stack)
            self.assert_state(stack, 'DELETE')
        self.assertEqual({}, self.leftovers())

    def test_admin_binds_really_reach_the_host(self):
        stack = self.create_admin(self._render(_container(
            ['binds: ["{bind}:/mnt:ro"]', 'cap_add: [NET_ADMIN]'])))
        self.assert_state(stack, 'CREATE')
        info = self.docker.api.inspect_container(stack['c'].resource_id)
        self.assertEqual(['%s:/mnt:ro' % self.bind],
                         info['HostConfig']['Binds'])
        self.assertEqual(['NET_ADMIN'], info['HostConfig']['CapAdd'])

    def test_operator_policy_file_can_open_a_rule(self):
        path = os.path.join(self.bind, 'policy.yaml')
        with open(path, 'w') as f:
            f.write('"docker:container:cap_add": ""\n')
        self.addCleanup(os.unlink, path)
        self.fixture_conf = None
        from oslo_config import cfg
        cfg.CONF.set_override('policy_file', path, group='oslo_policy')
        from heat_plugin import policy
        policy.reset()
        stack = self.parse(_container(['cap_add: [NET_ADMIN]']))
        stack.validate()
        stack = self.parse(_container(['privileged: true']))
        self.assertRaises(heat_exception.StackValidationFailed,
                          stack.validate)


class TestOtherProjects(base.DockerStackTestCase):
    """A project cannot reach another project's containers or networks."""

    OWNER = base.HOT + '''
resources:
  net:
    type: OS::Docker::Network
    properties: {name: owner-net}
  data:
    type: OS::Docker::Container
    properties:
      image: dos/idle
      name: owner-data
      volumes: {/secret: {}}
  member:
    type: OS::Docker::Container
    properties:
      image: dos/idle
      networks: [{network: {get_resource: net}}]
'''
    INTRUDER = base.HOT + '''
resources:
  c:
    type: OS::Docker::Container
    properties:
      image: dos/idle
      %s
'''

    @pytest.mark.slow
    def test_other_projects_are_off_limits(self):
        from heat.tests import utils
        owner = self.create_stack(self.OWNER)
        self.assert_state(owner, 'CREATE')
        snapshot = docker_engine.Snapshot(self.docker)
        other = utils.dummy_context(tenant_id='other_project')
        for line, field in (('volumes_from: [owner-data]', 'volumes_from'),
                            ('links: {owner-data: db}', 'links'),
                            ('networks: [{network: owner-net}]',
                             'networks')):
            stack = self.create_as(other, self.INTRUDER % line)
            self.assert_state(stack, 'CREATE', 'FAILED')
            self.assertIn('Property %s:' % field, stack.status_reason)
            self.assertIn('docker:container:other_projects',
                          stack.status_reason)
            left = snapshot.leftovers(self.docker)
            self.assertEqual([], [k for k, v in left.items() if v], line)
            # The same project may; so may an admin of another one.
            mine = self.create_stack(self.INTRUDER % line)
            self.assert_state(mine, 'CREATE')
            self.delete_stack(mine)
            admin = utils.dummy_context(tenant_id='other_project',
                                        roles=['admin'])
            theirs = self.create_as(admin, self.INTRUDER % line)
            self.assert_state(theirs, 'CREATE')
            self.delete_stack(theirs)
