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

"""Share decisions: may a project place a request, on owned or borrowed?

Entitlement of a node = what it owns + its share-ratio part of the capacity
its parent has not handed to children (for top-level nodes: the pool's
capacity nobody owns). A request within the entitlement places; beyond it,
the node borrows what siblings lend (idle entitlement, up to lend limits,
less what other siblings already borrow); what siblings cannot cover goes up
one level, where the parent must be allowed to borrow in turn. Resources a
plan does not list are never limited here.
"""

import dataclasses

from scheduler_filters.core import facts
from scheduler_filters.core import plan as plan_mod

INF = float('inf')


@dataclasses.dataclass
class Decision:
    allowed: bool
    borrowed: bool
    node: str | None
    reason: str
    #: Fraction of the entitlement still free after placing (>= 0 when the
    #: request fits its own share; below 0 when borrowing). For weighers.
    headroom: float = 0.0


def unlisted_refusal(plan):
    """The decision for a project the plan does not list when the plan
    denies unlisted projects (no usage needed to reach it), else None."""
    if plan.unlisted == 'deny':
        return Decision(False, False, None,
                        'project is not in the share plan and the plan '
                        'denies unlisted projects')
    return None


class Pool:
    """A plan applied to a capacity and per-project usage (one pool of hosts).

    Built once per scheduling request; ``decide`` is then cheap.
    """

    def __init__(self, plan, capacity, usage):
        self.plan = plan
        self.resources = plan.resources
        self.capacity = {}
        owned_top = {r: sum(n.owns.get(r, 0) for n in plan.roots)
                     for r in self.resources}
        for r in self.resources:
            if r in plan.capacity:
                self.capacity[r] = plan.capacity[r]
            elif capacity.get(r) is not None:
                self.capacity[r] = capacity[r]
            else:
                # Hosts do not bound it (instances): the pool is what the
                # plan hands out, so nobody gets an unowned share of it.
                self.capacity[r] = owned_top[r]
        self.used = {}  # node -> {r: subtree usage}
        self.unlisted_used = dict.fromkeys(self.resources, 0)
        for project, amounts in usage.items():
            node = plan.by_project.get(project)
            if node is None:
                for r in self.resources:
                    self.unlisted_used[r] += amounts.get(r, 0)
                continue
            while node is not None:
                u = self.used.setdefault(node, dict.fromkeys(self.resources,
                                                             0))
                for r in self.resources:
                    u[r] += amounts.get(r, 0)
                node = node.parent
        self.ent = {}
        self.unlisted_ent = dict.fromkeys(self.resources, 0.0)
        top_ratio = sum(n.share_ratio for n in plan.roots)
        if plan.unlisted == 'borrow':
            top_ratio += plan.unlisted_share_ratio
        for r in self.resources:
            spare = max(0, self.capacity[r] - owned_top[r])
            if top_ratio and plan.unlisted == 'borrow':
                self.unlisted_ent[r] = (spare * plan.unlisted_share_ratio
                                        / top_ratio)
            self._entitle(plan.roots, r, spare, top_ratio)

    def _entitle(self, siblings, r, spare, ratio_sum):
        for node in siblings:
            share = spare * node.share_ratio / ratio_sum if ratio_sum else 0
            ent = node.owns.get(r, 0) + share
            self.ent.setdefault(node, {})[r] = ent
            if node.children:
                child_owned = sum(c.owns.get(r, 0) for c in node.children)
                child_ratio = sum(c.share_ratio for c in node.children)
                self._entitle(node.children, r, max(0, ent - child_owned),
                              child_ratio)

    def usage_of(self, node):
        return self.used.get(node) or dict.fromkeys(self.resources, 0)

    def _lendable(self, siblings, me, r):
        """What siblings of ``me`` can still lend of resource r.

        Idle entitlement of lending siblings (up to their limits), less what
        all siblings - ``me`` included - already use beyond their own
        entitlement: borrowing is assumed to be served at the lowest level
        first, so current borrowers have taken that much of the lending.
        """
        lend = 0.0
        borrowed = 0.0
        for s in siblings:
            idle = self.ent[s][r] - self.usage_of(s)[r]
            if idle > 0:
                if s is not me and s.lend:
                    lend += min(idle, s.lend_limit.get(r, INF))
            else:
                borrowed += -idle
        if me is None:  # unlisted projects borrow at the top level
            borrowed += max(0.0, self.unlisted_used[r]
                            - self.unlisted_ent[r])
        elif me.parent is None and self.plan.unlisted == 'borrow':
            borrowed += max(0.0, self.unlisted_used[r]
                            - self.unlisted_ent[r])
        return max(0.0, lend - borrowed)

    def decide(self, project_id, demand):
        """Decision for ``demand`` ({resource: amount}) of ``project_id``."""
        node = self.plan.by_project.get(project_id)
        res = [r for r in self.resources if demand.get(r, 0) > 0]
        if node is None:
            return self._decide_unlisted(demand, res)
        used = self.usage_of(node)
        ent = self.ent[node]
        headroom = min((ent[r] - used[r] - demand[r]) / ent[r] if ent[r]
                       else (0.0 if used[r] + demand[r] <= 0 else -1.0)
                       for r in res) if res else 1.0
        need = {r: min(demand[r], used[r] + demand[r] - ent[r]) for r in res
                if used[r] + demand[r] > ent[r] + 1e-9}
        if not need:
            return Decision(True, False, node.name, 'within entitlement',
                            headroom)
        level = node
        while True:
            lu = self.usage_of(level)
            lent = self.ent[level]
            if level is not node:
                excess = {r: lu[r] + demand[r] - lent[r] for r in need}
                if any(excess[r] <= 1e-9 for r in need):
                    return Decision(
                        False, False, node.name,
                        'siblings of %s do not lend enough %s'
                        % (_child_towards(level, node).path(),
                           ', '.join(sorted(need))), headroom)
            if not level.borrow:
                return Decision(False, False, node.name,
                                '%s is at its share and may not borrow %s'
                                % (level.path(), ', '.join(sorted(need))),
                                headroom)
            for r in need:
                limit = level.borrow_limit.get(r, INF)
                if lu[r] + demand[r] - lent[r] > limit + 1e-9:
                    return Decision(
                        False, False, node.name,
                        '%s would borrow %g %s, over its borrow limit %d'
                        % (level.path(), lu[r] + demand[r] - lent[r], r,
                           limit), headroom)
            siblings = (level.parent.children if level.parent
                        else self.plan.roots)
            for r in list(need):
                need[r] -= self._lendable(siblings, level, r)
                if need[r] <= 1e-9:
                    del need[r]
            if not need:
                return Decision(True, True, node.name,
                                'borrows from siblings of %s' % level.path(),
                                headroom)
            if level.parent is None:
                return Decision(False, False, node.name,
                                'nobody lends enough %s'
                                % ', '.join(sorted(need)), headroom)
            level = level.parent

    def _decide_unlisted(self, demand, res):
        refused = unlisted_refusal(self.plan)
        if refused is not None:
            return refused
        need = {}
        for r in res:
            over = self.unlisted_used[r] + demand[r] - self.unlisted_ent[r]
            if over > 1e-9:
                need[r] = min(demand[r], over)
        if not need:
            return Decision(True, False, plan_mod.UNLISTED,
                            'within the unlisted share', 0.0)
        for r in need:
            if self._lendable(self.plan.roots, None, r) < need[r] - 1e-9:
                return Decision(False, False, plan_mod.UNLISTED,
                                'nobody lends enough %s' % r, -1.0)
        return Decision(True, True, plan_mod.UNLISTED,
                        'unlisted project borrows', -1.0)

    def borrowed_amount(self, node):
        """{r: amount} a node uses beyond its entitlement now."""
        u = self.usage_of(node)
        return {r: max(0.0, u[r] - self.ent[node][r]) for r in self.resources}

    def shortfall(self, node, extra=None):
        """{r: amount} of its entitlement a node cannot use because others
        borrow it, given ``extra`` unmet demand."""
        extra = extra or {}
        u = self.usage_of(node)
        return {r: max(0.0, min(self.ent[node][r], u[r] + extra.get(r, 0))
                       - u[r]) for r in self.resources}


def _child_towards(ancestor, node):
    while node.parent is not ancestor and node.parent is not None:
        node = node.parent
    return node


def usage_from_hosts(hosts):
    """Sum ``projects_usage`` over hosts: {project: {resource: amount}}."""
    total = {}
    for h in hosts:
        for project, amounts in h.projects_usage.items():
            t = total.setdefault(project, {})
            for r, v in amounts.items():
                t[r] = t.get(r, 0) + v
    return total


def capacity_of(hosts):
    cap = {facts.VCPU: 0, facts.MEMORY_MB: 0, facts.DISK_GB: 0}
    for h in hosts:
        cap[facts.VCPU] += h.vcpus_total
        cap[facts.MEMORY_MB] += h.memory_mb_total
        cap[facts.DISK_GB] += h.disk_gb_total
    return cap


def pools_for(hosts, config, usage=None, now=None):
    """Split hosts into pools by the active plan's aggregate overrides.

    Returns ({host name: Pool}, list of Pools). A host in several overridden
    aggregates follows the first in the plan file's order (documented).
    ``usage`` given explicitly applies to the default pool only; the
    aggregate pools always count usage on their own hosts.
    """
    plan, agg_plans = config.active(now)
    groups = {}
    default_hosts = []
    for h in hosts:
        for agg in agg_plans:
            if agg in h.aggregates:
                groups.setdefault(agg, []).append(h)
                break
        else:
            default_hosts.append(h)
    by_host = {}
    pools = []
    if default_hosts or not groups:
        pool = Pool(plan, capacity_of(default_hosts),
                    usage if usage is not None
                    else usage_from_hosts(default_hosts))
        pools.append(pool)
        for h in default_hosts:
            by_host[h.name] = pool
    for agg, members in groups.items():
        pool = Pool(agg_plans[agg], capacity_of(members),
                    usage_from_hosts(members))
        pools.append(pool)
        for h in members:
            by_host[h.name] = pool
    return by_host, pools
