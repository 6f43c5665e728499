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

"""Reclaim per pool against real Nova.

host-3 and host-4 are in the aggregate ``fast``, whose plan override makes
them a pool of their own: research owns it, ops owns the default pool
(host-1, host-2), and dev owns nothing anywhere but borrows in both. An
owner's unmet demand reclaims only the borrowers' instances on its own
pool's hosts, acting through Nova's API as the service does.
"""

import pytest

from scheduler_filters.core import plan as plan_mod
from scheduler_filters.reclaim import cloud as cloud_mod
from scheduler_filters.reclaim import engine
from tests.functional.scheduler_filters import base
from tests.functional.scheduler_filters import test_share

PLAN = """
version: 1
resources: [VCPU]
unlisted_projects: deny
projects:
  - name: ops
    owns: {VCPU: 8}
    borrow: false
  - name: dev
    owns: {VCPU: 0}
aggregates:
  fast:
    projects:
      - name: research
        owns: {VCPU: 8}
        borrow: false
      - name: dev
        owns: {VCPU: 0}
"""

FAST = {'host-3', 'host-4'}
DEFAULT = {'host-1', 'host-2'}


@pytest.mark.slow
class TestReclaimPerPool(base.SchedulerCloud):
    fleet = test_share.FLEET  # host-1 .. host-4, 4 VCPU each
    plan = PLAN
    extra_flags = {'DEFAULT': {'shelved_offload_time': 0}}

    def setUp(self):
        super().setUp()
        agg = self.admin_api.post_aggregate({'aggregate': {'name': 'fast'}})
        for host in sorted(FAST):
            self.admin_api.add_host_to_aggregate(agg['id'], host)
        self.c2 = self.flavor('c2', 2, 1024)
        self.img = self.image('x86', hw_architecture='x86_64')
        self.apis = {p: self.project_api(p)
                     for p in ('ops', 'research', 'dev')}
        self.cloud = cloud_mod.ComputeAPICloud(
            test_share.NovaAPITransport(self.admin_api))

    def boot(self, project, expected='ACTIVE', name=None):
        return super().boot(self.img, self.c2, api=self.apis[project],
                            expected=expected, name=name)

    def dev_hosts(self):
        """{server id: host} of dev's servers still holding capacity."""
        return {s.id: s.host for s in self.cloud.servers()
                if s.project_id == 'dev' and s.holds_capacity}

    def reclaim(self, r):
        records = r.cycle()
        done = [e for e in records if e['event'] == 'reclaim']
        for e in done:
            self._wait_for_state_change(
                self.admin_api.get_server(e['server']), 'SHELVED_OFFLOADED')
        return records, done

    def test_owners_reclaim_only_in_their_own_pool(self):
        # dev borrows all 16 VCPU: both pools are full.
        for i in range(8):
            self.boot('dev', name='dev-%d' % i)
        before = self.dev_hosts()
        self.assertEqual(8, len(before))
        self.assertEqual(DEFAULT | FAST, set(before.values()))
        r = engine.Reclaimer(self.cloud, plan_mod.loads(PLAN),
                             grace_period=0.0)

        # research asks for 2 x 2 VCPU of its 8 in the fast pool.
        for _ in range(2):
            failed = self.boot('research', expected='ERROR')
            self.assertIn('No valid host', failed['fault']['message'])
        records, done = self.reclaim(r)
        seen = [e for e in records if e['event'] == 'demand-seen']
        self.assertEqual([('research', 'fast')],
                         [(e['project'], e['pool']) for e in seen])
        self.assertTrue(done)
        for e in done:
            self.assertEqual(('dev', 'fast'), (e['borrower'], e['pool']))
            self.assertIn(e['host'], FAST)
            self.assertIn(before[e['server']], FAST)
        # dev's instances in the default pool were not touched; the
        # borrowed marks name the pool each instance is in.
        after = self.dev_hosts()
        self.assertEqual({s for s, h in before.items() if h in DEFAULT},
                         {s for s, h in after.items() if h in DEFAULT})
        self.assertEqual(
            {(s, 'fast' if h in FAST else 'default')
             for s, h in before.items()},
            {(e['server'], e['pool']) for e in records
             if e['event'] == 'mark-borrowed'})
        # research boots its share, in its pool.
        for _ in range(2):
            self.assertIn(self.host_of(self.boot('research')), FAST)
        fast_borrowers = {s for s, h in self.dev_hosts().items()
                          if h in FAST}
        self.assertTrue(fast_borrowers)  # dev still borrows in fast

        # ops' demand is in the default pool: fast's borrowers stay.
        failed = self.boot('ops', expected='ERROR')
        self.assertIn('No valid host', failed['fault']['message'])
        records, done = self.reclaim(r)
        self.assertEqual(
            [('ops', 'default')],
            [(e['project'], e['pool']) for e in records
             if e['event'] == 'demand-seen'])
        self.assertTrue(done)
        for e in done:
            self.assertEqual(('dev', 'default'), (e['borrower'], e['pool']))
            self.assertIn(e['host'], DEFAULT)
        self.assertEqual(fast_borrowers,
                         {s for s, h in self.dev_hosts().items()
                          if h in FAST})
        self.assertIn(self.host_of(self.boot('ops')), DEFAULT)
