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

"""Reclaim where the owner's image runs, against real Nova.

x86-1 (x86_64) is the default pool; arm-1 (aarch64) is the aggregate
``fast``, whose plan override is a pool of its own. ops owns 4 VCPU in
each, dev owns nothing and borrows both hosts whole. ops' x86_64 server
fails: it is within ops' share in both pools, and the aggregate's pool comes first,
but only x86-1 can run the image, so only dev's instance there is
shelved, and ops boots there.
"""

import pytest

from scheduler_filters.core import plan as plan_mod
from scheduler_filters.reclaim import cloud as cloud_mod
from scheduler_filters.reclaim import engine
from tests.functional.scheduler_filters import base
from tests.functional.scheduler_filters import test_share
from tests.unit.scheduler_filters import test_reclaim_pools

# ops owns 4 VCPU in the default pool and in the aggregate "fast"; dev
# owns nothing and borrows: the plan of the engine's unit tests.
PLAN = test_reclaim_pools.OWNS_IN_BOTH


class GlanceImages:
    """Glance v2 answers from Nova's Glance fixture: image properties at
    the top level, as the v2 API shows them."""

    def __init__(self, glance, context):
        self.glance = glance
        self.context = context

    def get(self, path):
        image = self.glance.show(self.context, path.rsplit('/', 1)[1])
        out = dict(image.get('properties') or {})
        out.update(id=image['id'], name=image.get('name'))
        return out


@pytest.mark.slow
class TestReclaimWhereTheImageRuns(base.SchedulerCloud):
    fleet = {'x86-1': dict(arch='x86_64', vcpus=4, memory_mb=8192),
             'arm-1': dict(arch='aarch64', vcpus=4, memory_mb=8192)}
    plan = PLAN
    extra_flags = {'DEFAULT': {'shelved_offload_time': 0}}

    def setUp(self):
        super().setUp()
        agg = self.admin_api.post_aggregate({'aggregate': {'name': 'fast'}})
        self.admin_api.add_host_to_aggregate(agg['id'], 'arm-1')
        self.c4 = self.flavor('c4', 4, 1024)
        self.c2 = self.flavor('c2', 2, 1024)
        self.x86 = self.image('x86', hw_architecture='x86_64')
        self.arm = self.image('arm', hw_architecture='aarch64')
        self.apis = {p: self.project_api(p) for p in ('ops', 'dev')}
        self.cloud = cloud_mod.ComputeAPICloud(
            test_share.NovaAPITransport(self.admin_api),
            images=GlanceImages(self.glance, self.ctxt))

    def test_reclaim_frees_a_host_that_runs_the_image(self):
        self.assertEqual(
            {'x86-1': frozenset({'x86_64'}), 'arm-1': frozenset({'aarch64'})},
            {h['name']: h['architectures'] for h in self.cloud.hosts()})
        dev_x86 = self.boot(self.x86, self.c4, api=self.apis['dev'])
        dev_arm = self.boot(self.arm, self.c4, api=self.apis['dev'])
        self.assertEqual('x86-1', self.host_of(dev_x86))
        self.assertEqual('arm-1', self.host_of(dev_arm))
        failed = self.boot(self.x86, self.c2, api=self.apis['ops'],
                           expected='ERROR')
        self.assertIn('No valid host', failed['fault']['message'])

        r = engine.Reclaimer(self.cloud, plan_mod.loads(PLAN),
                             grace_period=0.0)
        records = r.cycle()
        self.assertEqual(
            [('ops', 'default')],
            [(e['project'], e['pool']) for e in records
             if e['event'] == 'demand-seen'])
        done = [e for e in records if e['event'] == 'reclaim']
        self.assertEqual([(dev_x86['id'], 'x86-1')],
                         [(e['server'], e['host']) for e in done])
        self._wait_for_state_change(self.admin_api.get_server(
            dev_x86['id']), 'SHELVED_OFFLOADED')
        self.assertEqual('ACTIVE',
                         self.admin_api.get_server(dev_arm['id'])['status'])
        # ops gets its share back where its image runs.
        again = self.boot(self.x86, self.c2, api=self.apis['ops'])
        self.assertEqual('x86-1', self.host_of(again))
