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

"""Per-aggregate share plans in Nova's real scheduler.

Hosts in the aggregate ``fast`` form their own pool with their own plan:
ops owns it and research-a may not borrow there; research-a owns the rest.
"""

import pytest

from tests.functional.scheduler_filters import base

PLAN = """
version: 1
resources: [VCPU]
unlisted_projects: deny
projects:
  - name: research-a
    owns: {VCPU: 8}
  - name: ops
    owns: {VCPU: 0}
aggregates:
  fast:
    projects:
      - name: ops
        owns: {VCPU: 8}
      - name: research-a
        owns: {VCPU: 0}
        borrow: false
"""


@pytest.mark.slow
class TestAggregatePlans(base.SchedulerCloud):
    fleet = {'host-%d' % i: dict(arch='x86_64', vcpus=4) for i in range(1, 5)}
    plan = PLAN
    extra_flags = {'docker_scheduler': {
        'tenant_share_weight_multiplier': 10.0}}

    def test_pools_follow_their_own_plans(self):
        agg = self.admin_api.post_aggregate(
            {'aggregate': {'name': 'fast'}})
        for host in ('host-3', 'host-4'):
            self.admin_api.add_host_to_aggregate(agg['id'], host)
        c2 = self.flavor('c2', 2, 1024)
        img = self.image('x86', hw_architecture='x86_64')
        ops = self.project_api('ops')
        ra = self.project_api('research-a')
        # ops owns the fast pool: its instances go there although it
        # could borrow research-a's idle capacity elsewhere.
        ops_hosts = {self.host_of(self.boot(img, c2, api=ops))
                     for _ in range(3)}
        self.assertLessEqual(ops_hosts, {'host-3', 'host-4'})
        # research-a never lands in the fast pool.
        ra_hosts = {self.host_of(self.boot(img, c2, api=ra))
                    for _ in range(4)}
        self.assertEqual({'host-1', 'host-2'}, ra_hosts)
        # Its own pool is full now and the fast pool refuses it, although
        # host-3/4 still have 2 VCPU free.
        server = self.boot(img, c2, api=ra, expected='ERROR')
        self.assertIn('TenantShareFilter', self.refusal(server))
        self.assertIn('may not borrow', self.refusal(server))
        # ops still gets its last owned slot in the fast pool.
        self.assertIn(self.host_of(self.boot(img, c2, api=ops)),
                      {'host-3', 'host-4'})
