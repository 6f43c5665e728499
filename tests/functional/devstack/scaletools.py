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

"""What the metrics and autoscaling tests share: queries to metric-storage
as a tenant, and one autoscaling group's life (created, grown by a load
in its first member, shrunk when the load stops, deleted)."""

import time

from keystoneauth1 import exceptions as ks_exc

from tests.rig.waiting import wait
from tools.aio import apps

#: A poll every 10 s and a scrape every 5 s (tools/aio/telemetry.py):
#: a new value shows within about 15 s; allow for a loaded machine.
SHOWS_WITHIN = 90


class Metrics:
    """Instant queries to metric-storage (Aetos) as one user."""

    def __init__(self, aio, cloud):
        self.session = aio.session(cloud)

    def query(self, promql):
        resp = self.session.get(
            '/api/v1/query', params={'query': promql},
            endpoint_filter={'service_type': 'metric-storage',
                             'interface': 'public'})
        body = resp.json()
        assert body['status'] == 'success', body
        return body['data']['result']

    def pending(self, promql):
        """The query's series; [] while Aetos answers it with a 400.

        Until Prometheus has a sample of the query's metric, Aetos cannot
        scope a tenant's query to its project (python-observabilityclient
        finds no metric name to add the label to and sends an invalid
        query): a 400 then means "nothing yet".
        """
        try:
            return self.query(promql)
        except ks_exc.BadRequest:
            return []

    def series(self, promql, count=1, what=None):
        """The query's series once there are ``count`` of them."""
        return wait(lambda: (lambda r: r if len(r) == count else None)(
            self.pending(promql)), timeout=SHOWS_WITHIN, what=what or promql)

    @staticmethod
    def _single(found):
        assert len(found) <= 1, found
        return float(found[0]['value'][1]) if found else None

    def value(self, promql):
        """The single series' value, or None while there is none."""
        return self._single(self.query(promql))

    def shown(self, promql, accept=lambda v: True, what=None):
        """The value once there is one that ``accept`` takes (0 too); a
        400 is "nothing yet" (``pending``)."""
        def check():
            v = self._single(self.pending(promql))
            return (v,) if v is not None and accept(v) else None
        (value,) = wait(check, timeout=SHOWS_WITHIN, what=what or promql)
        return value


def alarms(aio, stack_name):
    """The tenant's alarms of a stack (Heat names them <stack>-<name>-)."""
    return [a for a in aio.openstack_json('alarm', 'list', cloud='aio-demo')
            if a['name'].startswith(stack_name + '-')]


def stack_in(heat, stack_id, *statuses):
    """A check for ``wait``: the stack once in one of ``statuses``; a
    FAILED one fails the test with Heat's reason."""
    def check():
        stack = heat.stacks.get(stack_id)
        assert not stack.stack_status.endswith('FAILED'), (
            stack.stack_status_reason)
        return stack if stack.stack_status in statuses else None
    return check


def grow_and_shrink(aio, heat, stack_id, stack_name, members, exec_in,
                    seen):
    """The group of ``stack_id`` (an autoscaling example: min 1, max 2)
    grows to two members under a busy loop in its first member and goes
    back to one when the loop stops.

    :param members: () -> the sorted ids of the group's running members.
    :param exec_in: (member id, argv, detach) -> (exit code, output).
    :param seen: a set that gets every member id seen.
    :returns: seconds from the load's start to the second member.
    """
    wait(stack_in(heat, stack_id, 'CREATE_COMPLETE'), timeout=300,
         what='the stack')
    (first,) = wait(members, what='one member')
    seen.add(first)
    found = alarms(aio, stack_name)
    assert sorted(a['type'] for a in found) == ['prometheus'] * 2, found
    start = time.monotonic()
    exec_in(first, ['sh', '-c', apps.load_script()], True)
    grown = wait(lambda: (lambda m: m if len(m) == 2 else None)(members()),
                 timeout=apps.LOAD_SECONDS + 60, what='a second member')
    reaction = time.monotonic() - start
    assert first in grown
    seen.update(grown)
    # The load stops; then the group goes back to one member.
    code, out = exec_in(first, ['sh', '-c', apps.STOP_LOAD], False)
    assert code == 0, out
    wait(lambda: len(members()) == 1, timeout=240,
         what='the group to shrink')
    return reaction


def delete_stack(heat, stack_id):
    """Delete the stack and wait; its final status."""
    heat.stacks.delete(stack_id)
    wait(lambda: heat.stacks.get(stack_id).stack_status
         in ('DELETE_COMPLETE', 'DELETE_FAILED'), timeout=300,
         what='the stack to go')
    return heat.stacks.get(stack_id).stack_status
