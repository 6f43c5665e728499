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

"""The reclaim service's command line and pure helpers (no cloud needed)."""

import datetime
import os
import subprocess
import sys

from scheduler_filters import conf
from scheduler_filters.reclaim import cloud
from scheduler_filters.reclaim import engine


def server(sid, vcpus, created_min, project='p', meta=None):
    return cloud.Server(
        id=sid, name=sid, project_id=project, status='ACTIVE', host='h1',
        created=datetime.datetime(2026, 1, 1, 0, created_min,
                                  tzinfo=datetime.timezone.utc),
        vcpus=vcpus, memory_mb=512, disk_gb=1, metadata=meta or {})


def test_newest_servers_cover_the_borrowed_amount():
    servers = [server('s%d' % i, 2, i) for i in range(5)]
    got = engine._newest_covering(servers, {'VCPU': 3, 'MEMORY_MB': 0},
                                  'node')
    assert set(got) == {'s4', 's3'}
    assert engine._newest_covering(servers, {'VCPU': 0}, 'n') == {}


def test_servers_booted_in_one_second_are_ordered_by_launch_time():
    # The API's 'created' has whole seconds; the order of equal ones must
    # not depend on the list order the API happened to return.
    created = '2026-01-01T00:00:00Z'
    api = [{'id': sid, 'tenant_id': 'p', 'status': 'ACTIVE',
            'OS-EXT-SRV-ATTR:host': 'h1', 'created': created,
            'OS-SRV-USG:launched_at': '2026-01-01T00:00:00.%06d' % usec,
            'flavor': {'vcpus': 2, 'ram': 512, 'disk': 1}}
           for sid, usec in (('b', 300000), ('a', 900000), ('c', 100000))]
    for order in (api, api[::-1]):
        servers = [cloud._server(s) for s in order]
        got = engine._newest_covering(servers, {'VCPU': 1}, 'n')
        assert set(got) == {'a'}  # launched last
        assert [s.id for s in sorted(servers, key=lambda s: s.age_key)] \
            == ['c', 'b', 'a']


def test_fits_is_first_fit_over_hosts():
    failed = [server('f1', 2, 0), server('f2', 2, 0)]
    room = {'VCPU': 2, 'MEMORY_MB': 4096, 'DISK_GB': 10}
    assert engine._fits(failed, {'h1': dict(room), 'h2': dict(room)})
    assert not engine._fits(failed, {'h1': dict(room)})
    assert not engine._fits(failed[:1], {'h1': dict(room, MEMORY_MB=100)})


def test_server_from_compute_api_json():
    s = cloud._server({
        'id': 'x', 'name': 'n', 'tenant_id': 'p', 'status': 'SHELVED',
        'OS-EXT-SRV-ATTR:host': None, 'created': '2026-01-01T00:00:00Z',
        'flavor': {'vcpus': 2, 'ram': 1024, 'disk': 5, 'ephemeral': 1},
        'metadata': {'docker_share:priority': '3'},
        'fault': {'message': 'No valid host was found.'}})
    assert (s.vcpus, s.memory_mb, s.disk_gb) == (2, 1024, 6)
    assert not s.holds_capacity
    assert s.fault.startswith('No valid host')


def test_options_are_listed_for_the_config_generator():
    groups = dict(conf.list_opts())
    names = {o.name for o in groups['docker_share_reclaim']}
    assert {'grace_period', 'action', 'dry_run', 'audit_log'} <= names
    assert [o.default for o in groups['docker_share_reclaim']
            if o.name == 'grace_period'] == [120.0]
    assert 'share_plan_file' in {o.name for o in groups['docker_scheduler']}


def test_generated_sample_is_current(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))))
    out = tmp_path / 'sample.conf'
    subprocess.run([os.path.join(os.path.dirname(sys.executable),
                                 'oslo-config-generator'),
                    '--namespace', 'scheduler_filters', '--wrap-width', '79',
                    '--output-file', str(out)], check=True, cwd=root,
                   capture_output=True, timeout=120)
    sample = os.path.join(root, 'etc', 'scheduler_filters',
                          'scheduler-filters.conf.sample')
    with open(sample) as f:
        assert out.read_text() == f.read(), (
            'regenerate with oslo-config-generator --config-file '
            'etc/scheduler_filters/scheduler-filters-config-generator.conf')


def test_console_script_refuses_to_start_without_a_plan(tmp_path):
    cfg = tmp_path / 'reclaim.conf'
    cfg.write_text('[docker_share_reclaim]\nshare_plan_file = %s\n'
                   % (tmp_path / 'missing.yaml'))
    proc = subprocess.run(
        [sys.executable, '-m', 'scheduler_filters.reclaim.service',
         '--config-file', str(cfg), '--once'],
        capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert 'missing.yaml' in proc.stderr
    cfg.write_text('[docker_share_reclaim]\naction = explode\n')
    proc = subprocess.run(
        [sys.executable, '-m', 'scheduler_filters.reclaim.service',
         '--config-file', str(cfg), '--once'],
        capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert 'explode' in proc.stderr


# The service loop: fixed-rate cycles, plus a wake-up when the earliest
# pending demand's grace period ends. Real time, short waits.

def _run_in_thread(r, interval, **kw):
    import threading

    from scheduler_filters.reclaim import service
    stop = threading.Event()
    out = {}
    th = threading.Thread(target=lambda: out.update(
        cycles=service.run(r, interval, stop, **kw)), daemon=True)
    th.start()
    return stop, th, out


def _stop(stop, th):
    stop.set()
    th.join(5)
    assert not th.is_alive()


def _ops_demand(grace_left, grace=1.0, **kw):
    """ops' failed server seen with ``grace_left`` s of grace to go; dev
    borrows the host it needs."""
    from tests.unit.scheduler_filters import test_reclaim_pools as tp
    c = tp.MemoryCloud({'h1': 4})
    c.add('o1', 'ops', 'h1')
    c.add('d1', 'dev', 'h1', minute=1)
    c.fail('f1', 'ops')
    # Sub-second 'updated': no rounding up to the next whole second.
    c.by_id['f1'].updated = tp.NOW - datetime.timedelta(
        seconds=grace - grace_left)
    text = tp.TWO_POOLS.split('aggregates:')[0]
    import time

    from scheduler_filters.core import plan as plan_mod
    r = engine.Reclaimer(c, plan_mod.loads(text), grace_period=grace,
                         clock=time.monotonic, wallclock=lambda: tp.NOW,
                         **kw)
    return c, r


def _wait_for(predicate, timeout):
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def test_reclaim_is_issued_when_the_grace_period_ends_not_a_cycle_later():
    import time
    c, r = _ops_demand(grace_left=0.3)
    t0 = time.monotonic()
    stop, th, _ = _run_in_thread(r, interval=30.0)
    try:
        assert _wait_for(lambda: c.acted, 3.0), 'no reclaim within 3 s'
        took = time.monotonic() - t0
    finally:
        _stop(stop, th)
    assert c.acted == [('d1', 'shelve')]
    assert 0.25 <= took < 2.0, took  # not the 30 s interval
    # The first cycle saw the demand, the wake-up at its due time acted.
    assert r.cycles == 2
    assert r.next_due() is None


def test_next_due_is_the_earliest_grace_end_not_yet_reached():
    now = [1000.0]
    c, r = _ops_demand(grace_left=0.3)
    r.clock = lambda: now[0]
    assert r.next_due() is None  # nothing pending before a cycle
    r.cycle()
    assert abs(r.next_due() - 1000.3) < 1e-6
    now[0] = 1000.2
    r.cycle()  # not due yet: still pending, same due time
    assert abs(r.next_due() - 1000.3) < 1e-6
    now[0] = 1000.3
    r.cycle()
    assert c.acted == [('d1', 'shelve')]
    assert r.next_due() is None


def _whole_second_failure(precise=None):
    """ops' server failed 2 s before this cycle by its 'updated', a whole
    second as the API shows it; the cloud's failed_at says ``precise``."""
    c, r = _ops_demand(grace_left=0.0, grace=2.0)
    r.clock = lambda: 1000.0
    assert c.by_id['f1'].updated.microsecond == 0
    if precise is not None:
        c.failed_times['f1'] = precise
    return c, r


def test_the_precise_failure_time_starts_the_grace_period():
    from tests.unit.scheduler_filters import test_reclaim_pools as tp
    c, r = _whole_second_failure(
        precise=tp.NOW - datetime.timedelta(seconds=1.75))
    r.cycle()
    assert c.failed_asked == ['f1']
    # Failed 1.75 s before this cycle (at 1000.0): the 2 s of grace end at
    # 1000.25, not 1 s later as the rounded-up whole second would have it.
    assert abs(r.next_due() - 1000.25) < 1e-6, r.next_due()


def test_without_a_precise_time_the_whole_second_is_rounded_up():
    far_off = datetime.datetime(2025, 1, 1, 0, 0, 0, 5,
                                tzinfo=datetime.timezone.utc)
    for precise in (None, far_off):
        c, r = _whole_second_failure(precise=precise)
        r.cycle()
        # Began at the next whole second: the grace period is never cut
        # short, and a time outside that second is not the same failure.
        assert abs(r.next_due() - 1001.0) < 1e-6, (precise, r.next_due())


def test_a_due_demand_that_cannot_be_acted_on_does_not_spin():
    import time
    c, r = _ops_demand(grace_left=0.2)
    broken = []
    real = c.servers

    def servers():
        if broken:
            raise RuntimeError('compute API down')
        return real()

    c.servers = servers
    stop, th, out = _run_in_thread(r, interval=30.0)
    try:
        assert _wait_for(lambda: r.cycles == 1, 2.0)
        broken.append(True)  # the cycle at the due time fails
        time.sleep(0.8)
    finally:
        _stop(stop, th)
    # One extra cycle at the due time (it failed), then nothing until the
    # next regular cycle: no retry loop on a demand left pending.
    assert out['cycles'] == 2
    assert r.next_due() is None
    assert c.acted == []


TWO_OWNERS = """
version: 1
resources: [VCPU]
unlisted_projects: deny
projects:
  - name: ops
    owns: {VCPU: 4}
  - name: qa
    owns: {VCPU: 4}
  - name: dev
    owns: {VCPU: 0}
"""


def test_a_demand_left_by_a_bounded_round_waits_for_the_next_cycle():
    import time

    from scheduler_filters.core import plan as plan_mod
    from tests.unit.scheduler_filters import test_reclaim_pools as tp
    # Two owners' demands come due at once, one action per cycle: the one
    # left pending must not get an immediate extra round (bounded rounds
    # stay one per interval).
    c = tp.MemoryCloud({'h1': 4, 'h2': 4})
    c.add('o1', 'ops', 'h1')
    c.add('d1', 'dev', 'h1', minute=1)
    c.add('q1', 'qa', 'h2')
    c.add('d2', 'dev', 'h2', minute=2)
    c.fail('f1', 'ops')
    c.fail('f2', 'qa')
    for sid in ('f1', 'f2'):
        c.by_id[sid].updated = tp.NOW - datetime.timedelta(seconds=0.8)
    r = engine.Reclaimer(c, plan_mod.loads(TWO_OWNERS), grace_period=1.0,
                         max_actions=1, clock=time.monotonic,
                         wallclock=lambda: tp.NOW)
    stop, th, out = _run_in_thread(r, interval=30.0)
    try:
        assert _wait_for(lambda: c.acted, 2.0)
        time.sleep(0.5)
    finally:
        _stop(stop, th)
    assert out['cycles'] == 2
    assert len(c.acted) == 1
    assert len(r.pending) == 1  # the other owner's, for the next cycle
    assert r.next_due() is None


class _Stub:
    """A reclaimer reporting a fixed due time; records cycle starts."""

    def __init__(self, due_in=None):
        import time
        self.clock = time.monotonic
        self.t0 = self.clock()
        self.due = None if due_in is None else self.t0 + due_in
        self.starts = []

    def cycle(self):
        self.starts.append(self.clock() - self.t0)

    def next_due(self):
        return self.due


def test_regular_cycles_keep_their_fixed_rate_around_an_extra_one():
    import threading

    from scheduler_filters.reclaim import service
    plain = _Stub()
    service.run(plain, 0.2, threading.Event(), max_cycles=3)
    # The due time 0.3 s lies between the regular cycles at 0.2 and 0.4.
    stub = _Stub(due_in=0.3)
    service.run(stub, 0.2, threading.Event(), max_cycles=5)
    for got, want in ((plain.starts, [0.0, 0.2, 0.4]),
                      (stub.starts, [0.0, 0.2, 0.3, 0.4, 0.6])):
        assert len(got) == len(want), got
        for g, w in zip(got, want):
            assert w <= g < w + 0.08, got
