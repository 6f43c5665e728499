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

import pytest

from tests.functional.devstack import scaletools
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


def _exec_in(aio, server_id, argv, detach):
    (container,) = aio.containers_of(server_id).values()
    return container.exec_run(argv, detach=detach)


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
        reaction = scaletools.grow_and_shrink(
            aio, heat, stack_id, STACK,
            lambda: _members(aio, stack_id),
            lambda member, argv, detach: _exec_in(aio, member, argv, detach),
            seen)
        print('scale-out reaction %.1f s' % reaction)
    finally:
        status = scaletools.delete_stack(heat, stack_id)
        aio.openstack('network', 'delete', NET, cloud='aio-demo',
                      check=False)
    assert status == 'DELETE_COMPLETE'
    assert _members(aio, stack_id) == []
    assert scaletools.alarms(aio, STACK) == []
    # Every member's container went with its server.
    assert seen and all(aio.containers_of(s) == {} for s in seen)
