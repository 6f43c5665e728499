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

"""Issue #19 point 5 on the all-in-one, through heatclient as a tenant: a
rolling release of four containers (examples/rolling_release.yaml) keeps at
least min_in_service of them answering (probed every 200 ms), and a release
whose containers fail their health check is rolled back by Heat to the
previous image, every member healthy."""

import os
import time

from docker import errors as docker_errors
import pytest

from tests.functional.devstack.conftest import stack_settled as _settled
from tests.functional.devstack.conftest import wait as _wait
from tests.rig import docker_engine
from tests.rig import web_probe
from tools.aio import layout as layout_mod

pytestmark = [pytest.mark.slow, pytest.mark.docker]

MIN_IN_SERVICE = 3
LABEL = 'role=web'


def _template():
    with open(os.path.join(layout_mod.ROOT, 'examples',
                           'rolling_release.yaml')) as f:
        return f.read()


class Members:
    """The group's containers on every engine of the cloud."""

    def __init__(self, aio):
        self.engines = list(aio.engines.values())

    def __call__(self, running=True):
        found = {}
        for client in self.engines:
            for c in client.api.containers(all=not running,
                                           filters={'label': LABEL}):
                try:
                    found[c['Id']] = client.api.inspect_container(c['Id'])
                except docker_errors.NotFound:
                    pass    # removed between the list and the inspect
        return found

    def targets(self):
        out = []
        for cid, attrs in self().items():
            nets = attrs['NetworkSettings']['Networks'] or {}
            ips = [n['IPAddress'] for n in nets.values() if n['IPAddress']]
            if ips:
                out.append((cid, ips[0]))
        return out

    def release(self):
        """{image: [health, ...]} of the running members."""
        out = {}
        for attrs in self().values():
            out.setdefault(attrs['Config']['Image'], []).append(
                (attrs['State'].get('Health') or {}).get('Status'))
        return out


def test_rolling_release_and_rollback_of_an_unhealthy_one(aio):
    for client in aio.engines.values():
        # Heat may place members on either compute's engine.
        docker_engine.ensure_images(client)
    heat = aio.heat()
    members = Members(aio)
    template = _template()
    stack_id = heat.stacks.create(
        stack_name='e2e-release', template=template,
        parameters={'image': 'dos/release-1'})['stack']['id']
    try:
        stack = _wait(_settled(heat, stack_id, ('CREATE_IN_PROGRESS',)),
                      what='stack create')
        assert stack.stack_status == 'CREATE_COMPLETE', \
            stack.stack_status_reason
        assert members.release() == {'dos/release-1': ['healthy'] * 4}

        # A rolling release: batches of one, three members answering.
        began = time.monotonic()
        with web_probe.Prober(members.targets, 8080) as probe:
            heat.stacks.update(stack_id, template=template,
                               parameters={'image': 'dos/release-2'},
                               disable_rollback=False)
            stack = _wait(_settled(heat, stack_id, ('UPDATE_IN_PROGRESS',),
                                   after=stack.updated_time),
                          what='rolling update')
        assert stack.stack_status == 'UPDATE_COMPLETE', \
            stack.stack_status_reason
        assert members.release() == {'dos/release-2': ['healthy'] * 4}
        assert not probe.errors
        answering = probe.answering()
        print('rolling release of 4: %.1f s, %d probe rounds, fewest '
              'answering %d' % (time.monotonic() - began, len(answering),
                                min(answering)))
        assert len(answering) > 5
        assert min(answering) >= MIN_IN_SERVICE, answering
        assert max(probe.answering('release-2')) == 4

        # A release that fails its health check: Heat rolls back.
        began = time.monotonic()
        with web_probe.Prober(members.targets, 8080) as probe:
            heat.stacks.update(stack_id, template=template,
                               parameters={'image': 'dos/release-bad'},
                               disable_rollback=False)
            stack = _wait(_settled(heat, stack_id, (
                'UPDATE_IN_PROGRESS', 'UPDATE_FAILED',
                'ROLLBACK_IN_PROGRESS'), after=stack.updated_time),
                what='update and rollback')
        print('failed release rolled back: %.1f s, %d probe rounds, fewest '
              'answering release-2 %d' % (
                  time.monotonic() - began, len(probe.ticks),
                  min(probe.answering('release-2'))))
        assert stack.stack_status == 'ROLLBACK_COMPLETE', \
            stack.stack_status_reason
        events = ' '.join(e.resource_status_reason or '' for e in
                          heat.events.list(stack_id, nested_depth=2))
        assert 'unhealthy' in events and 'dos/release-bad' in events, events
        assert members.release() == {'dos/release-2': ['healthy'] * 4}
        assert set(members()) == set(members(running=False))
        assert min(probe.answering('release-2')) >= MIN_IN_SERVICE, \
            probe.answering('release-2')
    finally:
        heat.stacks.delete(stack_id)
        _wait(lambda: heat.stacks.get(stack_id).stack_status in
              ('DELETE_COMPLETE', 'DELETE_FAILED'), what='stack delete')
    assert heat.stacks.get(stack_id).stack_status == 'DELETE_COMPLETE'
    assert members(running=False) == {}
