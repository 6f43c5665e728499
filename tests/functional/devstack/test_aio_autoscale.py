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

"""Autoscaling end to end: examples/autoscaling_group.yaml as a tenant.

On the session's all-in-one (conftest.py): the demo tenant creates the
example's stack (an AutoScalingGroup of Docker servers, two Aodh
Prometheus alarms on the group's average CPU, two scaling policies); a
bounded busy loop in the first member's container makes the group grow to
two members through Ceilometer, Prometheus, Aodh and Heat; when the loop
ends the group shrinks back to one; deleting the stack leaves no server,
alarm or container.
"""

import os
import time

import pytest

from tests.functional.devstack.conftest import wait
from tools.aio import apps
from tools.aio import layout

pytestmark = [pytest.mark.slow, pytest.mark.docker]

TEMPLATE = os.path.join(layout.ROOT, 'examples', 'autoscaling_group.yaml')
NET = 'scale-net'
STACK = 'e2e-autoscale'


def _members(aio, stack_id):
    """ACTIVE servers of the demo tenant in the stack's group."""
    return sorted(s['ID'] for s in aio.openstack_json(
        'server', 'list', '--long', cloud='aio-demo')
        if s['Status'] == 'ACTIVE'
        and ("'metering.server_group': '%s'" % stack_id) in str(
            s['Properties']))


def _alarms(aio):
    """The tenant's alarms of the stack (Heat names them <stack>-<name>-)."""
    return [a for a in aio.openstack_json('alarm', 'list', cloud='aio-demo')
            if a['name'].startswith(STACK + '-')]


def _stack(heat, stack_id, *statuses):
    def check():
        stack = heat.stacks.get(stack_id)
        assert not stack.stack_status.endswith('FAILED'), (
            stack.stack_status_reason)
        return stack if stack.stack_status in statuses else None
    return check


def test_the_group_grows_under_load_and_shrinks_after(aio):
    aio.openstack('network', 'create', NET, cloud='aio-demo')
    aio.openstack('subnet', 'create', '--network', NET, '--subnet-range',
                  '10.32.0.0/24', NET + '-subnet', cloud='aio-demo')
    heat = aio.heat()
    seen = set()
    stack_id = heat.stacks.create(
        stack_name=STACK, template=open(TEMPLATE).read(),
        # The busy loop uses up to one CPU, less on a busy machine.
        parameters={'network': NET, 'max_size': 2, 'cooldown': 10,
                    'cpu_high': 0.3},
    )['stack']['id']
    try:
        wait(_stack(heat, stack_id, 'CREATE_COMPLETE'), timeout=300,
             what='the stack')
        (first,) = wait(lambda: _members(aio, stack_id), what='one member')
        alarms = _alarms(aio)
        assert sorted(a['type'] for a in alarms) == ['prometheus'] * 2, alarms
        (container,) = aio.containers_of(first).values()
        start = time.monotonic()
        container.exec_run(['sh', '-c', apps.load_script()], detach=True)
        grown = wait(lambda: (lambda m: m if len(m) == 2 else None)(
            _members(aio, stack_id)), timeout=apps.LOAD_SECONDS + 60,
            what='a second member')
        reaction = time.monotonic() - start
        assert first in grown
        seen.update(grown)
        # The load stops; then the group goes back to one member.
        code, out = container.exec_run(['sh', '-c', apps.STOP_LOAD])
        assert code == 0, out
        wait(lambda: len(_members(aio, stack_id)) == 1, timeout=240,
             what='the group to shrink')
        print('scale-out reaction %.1f s' % reaction)
    finally:
        heat.stacks.delete(stack_id)
        wait(lambda: heat.stacks.get(stack_id).stack_status
             in ('DELETE_COMPLETE', 'DELETE_FAILED'), timeout=300,
             what='the stack to go')
        aio.openstack('network', 'delete', NET, cloud='aio-demo',
                      check=False)
    assert heat.stacks.get(stack_id).stack_status == 'DELETE_COMPLETE'
    assert _members(aio, stack_id) == []
    assert _alarms(aio) == []
    # Every member's container went with its server.
    assert seen and all(aio.containers_of(s) == {} for s in seen)
