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

"""The plugin's attributes are read from the engine whenever asked for,
never from Heat's attribute cache, and asking for them never writes the
resource's row.

What heat-engine's ``show_stack`` does for each resource of a convergence
stack when it resolves the outputs (heat/engine/service.py, show_stack):
resolve the attributes the outputs name, then ``store_attributes()``,
which saves newly resolved cached attributes in the resource's row and
bumps its atomic_key. A group's attributes are its nested stack's outputs,
so ``openstack stack show`` of a stack whose outputs name a group's
attributes does that for every member. In Heat 27, such a write landing
between a member's UpdateReplace and ``make_replacement`` makes the
replacement fail its atomic_key check; the retry then compares the row's
updated_at (whole seconds on MySQL/MariaDB) with the engine's in-memory
time (microseconds), always finds them different, logs "No replacement
created - resource already locked by new traversal" and returns: the
update waits for ever (heat/engine/resource.py make_replacement,
heat/engine/check_resource.py _handle_resource_replacement). The
all-in-one's rolling release test stalled on exactly that.
"""

from tests.functional.heat_plugin import base  # noqa: I100 - rig first

from heat.engine import stack as stack_mod  # noqa: E402
from heat.objects import resource as resource_objects  # noqa: E402

TEMPLATE = base.one_container('web', image='dos/idle')


class TestLiveAttributes(base.DockerStackTestCase):

    def _row(self, rsrc):
        return resource_objects.Resource.get_obj(self.ctx, rsrc.id)

    def test_attributes_are_live_and_showing_them_writes_no_row(self):
        stack = self.create_stack(TEMPLATE)
        self.assert_state(stack, 'CREATE')
        loaded = stack_mod.Stack.load(self.ctx, stack_id=stack.id)
        web = loaded['web']
        before = self._row(web)
        # What show_stack does: resolve, then store what was resolved.
        self.assertEqual('running', web.FnGetAtt('status'))
        self.assertTrue(web.FnGetAtt('network_ip'))
        web.store_attributes()
        after = self._row(web)
        self.assertEqual(before.atomic_key, after.atomic_key)
        self.assertIsNone(after.attr_data_id)

        # Stopped behind Heat's back: the resource, loaded again as the
        # next show would load it, says so (a cached value would still say running).
        self.docker.api.stop(web.resource_id, timeout=1)
        again = stack_mod.Stack.load(self.ctx, stack_id=stack.id)
        self.assertEqual('exited', again['web'].FnGetAtt('status'))
        self.delete_leaving_nothing(stack)
