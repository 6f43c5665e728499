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

"""Heat's engine creates and deletes a real stack in-process."""

from tests.rig import heat as heat_rig  # noqa: I100 - first, see the rig

from heat.engine import stack as stack_mod  # noqa: E402

TEMPLATE = '''
heat_template_version: 2018-08-31
parameters:
  length:
    type: number
    default: 24
resources:
  secret:
    type: OS::Heat::RandomString
    properties:
      length: {get_param: length}
outputs:
  value:
    value: {get_attr: [secret, value]}
'''


class TestHeatRig(heat_rig.HeatStackTestCase):

    def test_create_and_delete_builtin_resource(self):
        stack = self.create_stack(TEMPLATE, params={'length': 17})
        self.assertEqual((stack.CREATE, stack.COMPLETE), stack.state,
                         stack.status_reason)
        value = stack['secret'].FnGetAtt('value')
        self.assertEqual(17, len(value))
        # The stack really is in Heat's database.
        loaded = stack_mod.Stack.load(self.ctx, stack_id=stack.id)
        self.assertEqual(stack.name, loaded.name)
        self.delete_stack(stack)
        self.assertEqual((stack.DELETE, stack.COMPLETE), stack.state)

    def test_plugin_dir_is_configured(self):
        from oslo_config import cfg
        self.assertIn(heat_rig.plugin_dir(), cfg.CONF.plugin_dirs)
