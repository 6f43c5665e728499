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

"""The one per-request seam: ``state.for_request``.

A scheduling pass of one instance computes the request's facts once for
all the filters and weighers, keyed by values (instance uuid, request id
of the current oslo.context, retry attempt), never by object identity;
the store is bounded and entries expire. No cloud needed.
"""

# The rig first: it decides how Nova's test package patches threading.
from tests.rig import nova as nova_rig  # noqa: F401,I100

import uuid  # noqa: E402

import pytest  # noqa: E402
from nova import context as nova_ctx  # noqa: E402
from nova import objects  # noqa: E402
from nova.scheduler import filters as host_filters  # noqa: E402
from nova.scheduler import weights as host_weights  # noqa: E402

from scheduler_filters.nova import state  # noqa: E402
from tests.functional.scheduler_filters import test_nova_contracts as tnc  # noqa: E402,E501

objects.register_all()


@pytest.fixture
def counted(share_view, monkeypatch):
    """Counts the RequestStates computed (one per image-architecture read)."""
    calls = []
    real = state._image_architectures
    monkeypatch.setattr(state, '_image_architectures',
                        lambda spec: calls.append(state.uuid_of(spec))
                        or real(spec))
    return calls


share_view = tnc.share_view


def _request(request_id=None):
    """A request context made current, as Nova's RPC server does."""
    ctx = nova_ctx.RequestContext(user_id='u', project_id='p',
                                  request_id=request_id, is_admin=False,
                                  overwrite=True)
    return ctx


def _pass(hosts, spec):
    """One scheduling pass: both filters, then the three weighers, through
    Nova's handlers."""
    filters, weighers = tnc.OURS
    passed = host_filters.HostFilterHandler().get_filtered_objects(
        [f() for f in filters], hosts, spec, 0)
    return host_weights.HostWeightHandler().get_weighed_objects(
        [w() for w in weighers], passed, spec)


def test_one_pass_computes_the_request_once(counted):
    _request()
    hosts = tnc.make_fleet(60)
    spec = tnc.make_spec('x86_64')
    assert _pass(hosts, spec)
    assert counted == [spec.instance_uuid]
    # Per-host calls (Nova's base path) reuse it too.
    tnc.PerHostArchitecture().host_passes(hosts[0], spec)
    assert counted == [spec.instance_uuid]


def test_keyed_by_values_not_by_object(counted):
    _request()
    spec = tnc.make_spec('x86_64')
    # Another RequestSpec object for the same instance in the same request
    # (e.g. a copy made by the conductor) gets the same facts.
    copy = objects.RequestSpec.obj_from_primitive(spec.obj_to_primitive())
    assert copy is not spec
    assert state.for_request(copy) is state.for_request(spec)
    assert len(counted) == 1


def test_new_request_or_attempt_computes_again(counted):
    _request('req-%s' % uuid.uuid4())
    spec = tnc.make_spec('x86_64')
    first = state.for_request(spec)
    assert state.for_request(spec) is first
    _request('req-%s' % uuid.uuid4())  # a migration: a new API request
    second = state.for_request(spec)
    assert second is not first
    spec.retry = objects.SchedulerRetries(
        num_attempts=2, hosts=objects.ComputeNodeList(objects=[]))
    third = state.for_request(spec)  # a reschedule: a new attempt
    assert third is not second
    assert len(counted) == 3
    assert state.request_key(spec)[0] == spec.instance_uuid
    assert state.request_key(spec)[2] == 2


def test_multi_create_instances_are_apart(counted):
    _request()
    one, two = tnc.make_spec('x86_64'), tnc.make_spec('aarch64')
    assert state.for_request(one).archs == {'x86_64'}
    assert state.for_request(two).archs == {'aarch64'}
    assert len(counted) == 2


def test_no_instance_uuid_is_not_remembered(counted):
    _request()
    spec = tnc.make_spec('x86_64')
    spec.obj_reset_changes()
    del spec.instance_uuid
    assert state.request_key(spec) is None
    before = len(state._requests.data)
    a, b = state.for_request(spec), state.for_request(spec)
    assert a is not b
    assert len(state._requests.data) == before
    assert len(counted) == 2


def test_bounded_and_expiring(counted, monkeypatch):
    _request()
    now = [1000.0]
    monkeypatch.setattr(state._requests, 'clock', lambda: now[0])
    specs = [tnc.make_spec('x86_64') for _ in range(state.MAX_ENTRIES + 10)]
    for spec in specs:
        state.for_request(spec)
    assert len(state._requests.data) == state.MAX_ENTRIES
    # The least recently used went first.
    state.for_request(specs[0])
    assert len(counted) == len(specs) + 1
    last = state.for_request(specs[-1])
    assert state.for_request(specs[-1]) is last
    now[0] += state.MAX_AGE
    assert state.for_request(specs[-1]) is not last  # expired
    state.reset()
    assert not state._requests.data


def test_contexts_come_from_the_current_request():
    ctx = _request('req-%s' % uuid.uuid4())
    db, current = state.contexts()
    assert current is ctx
    assert db.is_admin and db.global_request_id == ctx.global_id


def test_database_reads_of_the_pass_keep_its_key(counted):
    # Nova's target_cell makes its copy of the context the thread's
    # current one; the plug-ins' database context carries the request's
    # id, so a read in the middle of a pass does not start another.
    ctx = _request('req-%s' % uuid.uuid4())
    spec = tnc.make_spec('x86_64')
    first = state.for_request(spec)
    db, _current = state.contexts()
    assert db.request_id == ctx.request_id
    with nova_ctx.target_cell(db, None):
        pass
    assert state.for_request(spec) is first
    assert len(counted) == 1
