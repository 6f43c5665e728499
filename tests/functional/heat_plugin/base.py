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

"""Base for the plugin's stack tests: real Heat engine, real Docker engine."""

from tests.rig import heat as heat_rig  # noqa: I100 - first, see the rig

import os  # noqa: E402

import pytest  # noqa: E402
from oslo_config import cfg  # noqa: E402

from heat_plugin import docker_client  # noqa: E402
from heat_plugin import hosts  # noqa: E402
from heat_plugin import policy  # noqa: E402
from tests.rig import docker_engine  # noqa: E402

HOT_VERSION = '2021-04-16'
HOT = 'heat_template_version: %s\n' % HOT_VERSION
EXAMPLES = os.path.join(os.path.dirname(__file__), '..', '..', '..',
                        'examples')


def example(name):
    """The text of examples/<name>."""
    with open(os.path.join(EXAMPLES, name)) as f:
        return f.read()


def one_container(name, type='OS::Docker::Container', **properties):
    """A template (dict) of one container resource ``name``."""
    return {'heat_template_version': HOT_VERSION,
            'resources': {name: {'type': type, 'properties': properties}}}


def _find_file(name):
    return name if os.path.isabs(name) and os.path.exists(name) else None


class DockerStackTestCase(heat_rig.HeatStackTestCase):

    @pytest.fixture(autouse=True)
    def _docker_engine(self, docker_client, docker_cleanup):
        # testtools cases cannot take fixtures as arguments.
        self.docker = docker_client
        self.before = docker_cleanup

    def setUp(self):
        super().setUp()
        cfg.CONF.set_override('endpoint', docker_engine.docker_host(),
                              group='heat_docker')
        cfg.CONF.set_override('settle_seconds', 0.5, group='heat_docker')
        # No registry is reachable here: never try one.
        cfg.CONF.set_override('pull_images', False, group='heat_docker')
        # busybox httpd as pid 1 ignores SIGTERM; do not wait 10 s for it.
        cfg.CONF.set_override('stop_timeout', 1, group='heat_docker')
        hosts.FACTS.clear()
        # Heat's base mocks find_file; policy files need the real lookup.
        self.mock_find_file.side_effect = _find_file
        policy.reset()
        self.addCleanup(policy.reset)
        self.addCleanup(hosts.FACTS.clear)

    def leftovers(self):
        found = self.before.leftovers(self.docker)
        return {k: v for k, v in found.items() if v}

    def assert_nothing_left(self):
        self.assertEqual({}, self.leftovers())

    def delete_leaving_nothing(self, stack):
        self.delete_stack(stack)
        self.assert_state(stack, 'DELETE')
        self.assert_nothing_left()

    def containers_of(self, stack, engine=None):
        engine = engine or self.docker
        return engine.api.containers(all=True, filters={
            'label': ['%s=%s' % (docker_client.LABEL_STACK, stack.id)]})

    def assert_state(self, stack, action, status='COMPLETE'):
        self.assertEqual((action, status), stack.state, stack.status_reason)

    def create_admin(self, template, **kw):
        return self.create_stack(template, ctx=self.admin_ctx, **kw)

    def create_as(self, ctx, template):
        """Create a stack owned by ``ctx``'s project (the rig's stacks all
        belong to the default test project)."""
        from heat.common import template_format
        from heat.engine import environment
        from heat.engine import stack as stack_mod
        from heat.engine import template as template_mod
        from heat.tests import utils
        tmpl = template_mod.Template(template_format.parse(template),
                                     env=environment.Environment({}))
        tmpl.store(ctx)
        stack = stack_mod.Stack(ctx, utils.random_name(), tmpl)
        stack.store()
        self.addCleanup(self._delete_quietly, stack)
        stack.create()
        return stack

    def update_stack(self, stack, template, params=None):
        new = self.parse(template, params=params, ctx=stack.context)
        stack.update(new)
        return stack

    def create_rollback(self, template, ctx=None):
        """Create with rollback on failure, as heat-engine does by default."""
        stack = self.parse(template, ctx=ctx)
        stack.disable_rollback = False
        stack.stored_id = stack.store()
        self.addCleanup(self._delete_quietly, stack)
        stack.create()
        return stack


def events(stack, ctx=None):
    """(resource, action, status, reason) of every event of ``stack``."""
    from heat.objects import event as event_object
    # A create rolled back clears stack.id; create_rollback keeps it.
    stack_id = getattr(stack, 'stored_id', None) or stack.id
    found = event_object.Event.get_all_by_stack(ctx or stack.context,
                                                 stack_id)
    return [(e.resource_name, e.resource_action, e.resource_status,
             e.resource_status_reason or '') for e in found]


def reasons(stack):
    """The reasons of every event of ``stack``, in one string."""
    return ' '.join(e[3] for e in events(stack))
