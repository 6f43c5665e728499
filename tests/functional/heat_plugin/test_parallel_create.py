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

"""The plugin's create is non-blocking: Heat's task scheduler starts the
containers of one dependency level together and their Engine API work
overlaps on the plugin's pool (the bench measures how much that buys)."""

from tests.functional.heat_plugin import base  # noqa: I100 - rig first

import threading  # noqa: E402

import pytest  # noqa: E402

from heat_plugin import container_ops  # noqa: E402

N = 4


class TestParallelCreate(base.DockerStackTestCase):

    @pytest.mark.slow
    def test_creates_of_one_level_overlap(self):
        lock = threading.Lock()
        state = {'now': 0, 'max': 0, 'threads': set()}
        real = container_ops.create_and_start

        def counting(*args, **kwargs):
            with lock:
                state['now'] += 1
                state['max'] = max(state['max'], state['now'])
                state['threads'].add(threading.get_ident())
            try:
                return real(*args, **kwargs)
            finally:
                with lock:
                    state['now'] -= 1

        self.patchobject(container_ops, 'create_and_start',
                         side_effect=counting)
        body = ''.join('''
  c%d:
    type: OS::Docker::Container
    properties: {image: dos/idle}
''' % i for i in range(N))
        stack = self.create_stack(base.HOT + 'resources:' + body)
        self.assert_state(stack, 'CREATE')
        self.assertEqual(N, len(self.containers_of(stack)))
        # Off Heat's thread, several at once.
        self.assertNotIn(threading.get_ident(), state['threads'])
        self.assertGreater(state['max'], 1)
