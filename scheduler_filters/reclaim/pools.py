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

"""Split the cloud into the pools TenantShareFilter decides on.

Hosts of an aggregate that the active plan overrides form that aggregate's
pool, with its plan; every other host is in the default pool with the
default plan. Membership follows the filter (``nova/state.py``): a host in
several overridden aggregates belongs to the first in the plan file's
order, and an overridden aggregate that does not exist is skipped.
"""

import dataclasses
import logging

from scheduler_filters.core import facts
from scheduler_filters.core import share

LOG = logging.getLogger(__name__)

DEFAULT = 'default'
PHYSICAL = (facts.VCPU, facts.MEMORY_MB, facts.DISK_GB)


@dataclasses.dataclass
class ReclaimPool:
    name: str
    plan: object
    hosts: list      # the cloud's host dicts in this pool
    holding: list    # servers holding capacity on those hosts
    share: share.Pool


def split(plan, agg_plans, hosts, holding, cloud):
    """[ReclaimPool], aggregate pools first, the default pool last."""
    members = {}
    if agg_plans:
        # Asked only when the plan overrides aggregates, so a plan without
        # overrides costs the same API calls as before.
        known = cloud.aggregates()
        taken = set()
        for name in agg_plans:
            if name not in known:
                LOG.warning('share plan names aggregate %s, which does not '
                            'exist', name)
                continue
            members[name] = set(known[name]) - taken
            taken |= members[name]
    out = []
    placed = set()
    for name, names in members.items():
        out.append(_pool(name, agg_plans[name],
                         [h for h in hosts if h['name'] in names],
                         [s for s in holding if s.host in names]))
        placed |= names
    # The default pool is the fleet less the aggregate pools; servers on
    # hosts the cloud does not list as up still count here, as they did
    # before pools existed.
    out.append(_pool(DEFAULT, plan,
                     [h for h in hosts if h['name'] not in placed],
                     [s for s in holding if s.host not in placed]))
    return out


def _pool(name, plan, hosts, holding):
    capacity = {r: sum(h['total'][r] for h in hosts) for r in PHYSICAL}
    usage = {}
    for s in holding:
        u = usage.setdefault(s.project_id, {})
        for r, v in s.amounts().items():
            u[r] = u.get(r, 0) + v
    return ReclaimPool(name, plan, hosts, holding,
                       share.Pool(plan, capacity, usage))
