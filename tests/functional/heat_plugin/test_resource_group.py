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

"""Item 7: an OS::Heat::ResourceGroup of 20 containers scales down and up,
its nested stacks run by Heat's real engine service in-process."""

from tests.functional.heat_plugin import base  # noqa: I100 - rig first

import pytest  # noqa: E402

from heat.common import template_format  # noqa: E402
from heat.engine import stack as stack_mod  # noqa: E402

from tests.functional.heat_plugin import local_engine  # noqa: E402

class TestResourceGroup(base.DockerStackTestCase):

    def setUp(self):
        super().setUp()
        self.engine = local_engine.LocalEngine()
        self.engine.install(self)

    def service_create(self, name, template, params):
        """Create through the engine service, as heat-api asks it to."""
        ident = self.engine.service.create_stack(
            self.ctx, name, template_format.parse(template), params, {},
            {'disable_rollback': True})
        stack = stack_mod.Stack.load(self.ctx, stack_id=ident['stack_id'])
        self.addCleanup(self._delete_quietly, stack)
        return stack

    def service_update(self, stack, template, params):
        """Update through the engine service, as heat-api asks it to."""
        self.engine.service.update_stack(
            stack.context, dict(stack.identifier()),
            template_format.parse(template), params, {}, {})
        return stack_mod.Stack.load(stack.context, stack_id=stack.id)

    def workers(self):
        found = self.docker.api.containers(
            filters={'label': 'role=worker', 'status': 'running'})
        return {c['Labels']['index']: c['Id'] for c in found}

    @pytest.mark.slow
    def test_twenty_containers_scale_down_and_up(self):
        template = base.example('scaled_group.yaml')
        stack = self.service_create('group', template, {'count': 20})
        self.assert_state(stack, 'CREATE')
        first = self.workers()
        self.assertEqual({str(i) for i in range(20)}, set(first))
        self.assertEqual(sorted(first.values()),
                         sorted(stack['workers'].FnGetAtt('refs')))

        stack = self.service_update(stack, template, {'count': 7})
        self.assert_state(stack, 'UPDATE')
        down = self.workers()
        self.assertEqual({str(i) for i in range(7)}, set(down))
        # Scaling down keeps the survivors as they were.
        self.assertEqual({k: first[k] for k in down}, down)

        stack = self.service_update(stack, template, {'count': 20})
        self.assert_state(stack, 'UPDATE')
        up = self.workers()
        self.assertEqual({str(i) for i in range(20)}, set(up))
        self.assertEqual(down, {k: up[k] for k in down})

        self.delete_stack(stack)
        self.assert_state(stack, 'DELETE')
        self.assertEqual({}, self.workers())
        self.assertEqual({}, self.leftovers())
