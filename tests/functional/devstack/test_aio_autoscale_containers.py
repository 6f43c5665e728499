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

"""Autoscaling without Nova: examples/autoscaling_containers.yaml.

On the session's all-in-one (conftest.py): the demo tenant creates the
example's stack (an AutoScalingGroup of OS::Docker::Container, two Aodh
Prometheus alarms on the group's average CPU, two scaling policies). The
Heat plugin places the members on the computes' engines, where each
compute's Ceilometer agent finds them (the heat_containers discovery); a
bounded busy loop in the first member makes the group grow to two members
through Ceilometer, Prometheus, Aodh and Heat, and shrink back to one when
the loop ends. The members' series carry the stack id as server_group and
the demo project, which sees them through Aetos and alt_demo does not.
Deleting the stack leaves no container, alarm or series.
"""

import os

import pytest

from tests.functional.devstack import scaletools
from tests.functional.devstack.conftest import wait
from tools.aio import layout

pytestmark = [pytest.mark.slow, pytest.mark.docker]

TEMPLATE = os.path.join(layout.ROOT, 'examples',
                        'autoscaling_containers.yaml')
STACK = 'e2e-autoscale-containers'
GROUP_LABEL = 'metering.server_group'


def _containers(aio, stack_id, all=False):
    """The group's containers on every engine, by id (running ones, or
    all with ``all``)."""
    found = {}
    for client in aio.engines.values():
        for c in client.containers.list(all=all, filters={
                'label': '%s=%s' % (GROUP_LABEL, stack_id)}):
            found[c.id] = c
    return found


def _exec_in(aio, stack_id, cid, argv, detach):
    return _containers(aio, stack_id)[cid].exec_run(argv, detach=detach)


def _check_series(aio, stack_id, member):
    """The member's meters, as the demo tenant, admin and alt_demo see
    them through Aetos."""
    demo = scaletools.Metrics(aio, 'aio-demo')
    alt = scaletools.Metrics(aio, 'aio-alt-demo')
    admin = scaletools.Metrics(aio, 'aio-admin')
    project = aio.openstack_json('project', 'show', 'demo')['id']
    user = aio.openstack_json('user', 'show', 'demo')['id']
    group = 'ceilometer_cpu{server_group="%s"}' % stack_id
    # The series of the member the group shed goes within a poll.
    (cpu,) = demo.series(group, what="the shed member's series to go")
    labels = cpu['metric']
    # Whether the stack's create or a scaling signal (through the stack's
    # trust) made it, the member is the demo user's.
    assert (labels['resource'], labels['project'], labels['user'],
            labels['unit']) == (member, project, user, 'ns'), labels
    sel = '{resource="%s"}' % member
    assert 0 < demo.shown('ceilometer_memory_usage' + sel) <= 64
    # The memory limit (64 MiB) and the CFS quota (one CPU) of the template.
    assert demo.shown('ceilometer_memory' + sel) == 64
    assert demo.shown('ceilometer_vcpus' + sel) == 1
    # Its interface on the engine's bridge, named like an instance's tap.
    (rx,) = demo.series(
        'ceilometer_network_incoming_bytes{resource=~".*-%s-eth0"}'
        % member, what='network bytes')
    assert rx['metric']['server_group'] == stack_id
    # Another tenant sees none of it, even asking by project; admin does.
    assert alt.query(group) == []
    assert alt.query('ceilometer_cpu{project="%s"}' % project) == []
    assert [r['metric']['resource'] for r in admin.query(group)] == [member]


def test_a_group_of_containers_grows_under_load_and_shrinks_after(aio):
    heat = aio.heat()
    seen = set()
    stack_id = heat.stacks.create(
        stack_name=STACK, template=open(TEMPLATE).read(),
        # The busy loop uses up to one CPU, less on a busy machine.
        parameters={'max_size': 2, 'cooldown': 10, 'cpu_high': 0.3},
    )['stack']['id']
    demo = scaletools.Metrics(aio, 'aio-demo')
    group = 'ceilometer_cpu{server_group="%s"}' % stack_id
    try:
        reaction = scaletools.grow_and_shrink(
            aio, heat, stack_id, STACK,
            lambda: sorted(_containers(aio, stack_id)),
            lambda cid, argv, detach: _exec_in(aio, stack_id, cid, argv,
                                               detach),
            seen)
        print('scale-out reaction %.1f s' % reaction)
        (member,) = _containers(aio, stack_id)
        _check_series(aio, stack_id, member)
    finally:
        status = scaletools.delete_stack(heat, stack_id)
    assert status == 'DELETE_COMPLETE'
    assert len(seen) == 2
    assert _containers(aio, stack_id, all=True) == {}
    assert scaletools.alarms(aio, STACK) == []
    wait(lambda: demo.query(group) == [], timeout=scaletools.SHOWS_WITHIN,
         what='the series of the deleted members to go')
