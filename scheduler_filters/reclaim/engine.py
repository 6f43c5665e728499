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

"""One reclaim cycle: mark borrowers, find unmet owner demand, reclaim.

Unmet demand is what Nova shows: a server of a project that failed with
"No valid host" while the project was within its entitlement (it asked for
what it owns, and others' borrowed instances stood in the way). After the
grace period, if the demand is still there, the borrowers' instances are
reclaimed - lowest priority first (instance metadata, then plan node
priority), newest first - just until the owner's failed servers would fit
on some host again, at most ``max_actions`` per cycle (bounded rounds, as
YARN's preemption). The owner then boots again and gets its share.

All of this happens per pool, as TenantShareFilter decides (``pools``):
an aggregate's plan override makes its hosts a pool of their own, and a
pool's borrowers give way only to owners' demand within that pool's plan.
A failed server is demand only in pools with a host that can run its
image (``architectures``), as ArchitectureFilter would place it.
"""

import datetime
import logging
import time

from scheduler_filters import exception
from scheduler_filters.core import loader
from scheduler_filters.core import plan as plan_mod
from scheduler_filters.reclaim import architectures as archs_mod
from scheduler_filters.reclaim import audit as audit_mod
from scheduler_filters.reclaim import cloud as cloud_mod
from scheduler_filters.reclaim import pools as pools_mod

LOG = logging.getLogger(__name__)

BORROWED_KEY = 'docker_share:borrowed'
NO_VALID_HOST = 'No valid host'
_PHYSICAL = pools_mod.PHYSICAL
_EPS = 1e-9
_SECOND = datetime.timedelta(seconds=1)
# Servers asked for their precise failure time per new demand, at most.
_PRECISE_MAX = 3


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


class Reclaimer:
    def __init__(self, cloud, plans, grace_period=120.0, action='shelve',
                 dry_run=False, audit=None, demand_window=600.0,
                 priority_key='docker_share:priority', mark_borrowed=True,
                 max_actions=20, clock=time.monotonic, wallclock=_utcnow):
        if action not in cloud_mod.ACTIONS:
            raise exception.ReclaimError(
                what='action', reason='%r is not one of %s'
                % (action, ', '.join(cloud_mod.ACTIONS)))
        if action == 'stop':
            LOG.warning('reclaim action "stop": Nova keeps the placement '
                        'allocations of stopped instances, so stopping '
                        'frees the host but not scheduler capacity; use '
                        'shelve (with shelved_offload_time=0) or delete')
        self.cloud = cloud
        self.plans = plans
        self.grace = grace_period
        self.action = action
        self.dry_run = dry_run
        self.audit = audit or audit_mod.AuditLog()
        self.demand_window = demand_window
        self.priority_key = priority_key
        self.mark = mark_borrowed
        self.max_actions = max_actions
        self.clock = clock
        self.wallclock = wallclock
        self.pending = {}   # (pool, project) -> monotonic time first seen
        self.served = set()  # failed server ids whose demand was handled
        self.cycles = 0
        self.looked_at = None  # clock time the last cycle judged dues at

    def _config(self):
        if isinstance(self.plans, loader.PlanStore):
            return self.plans.get()
        return self.plans

    def cycle(self):
        """Run one cycle; returns the list of audit records it wrote."""
        self.cycles += 1
        # Set first, so that a cycle failing early still counts as having
        # looked (see next_due).
        self.looked_at = self.clock()
        with self.cloud.cycle():
            return self._cycle()

    def _cycle(self):
        first = len(self.audit.records)
        plan, agg_plans = self._config().active(self.wallclock())
        servers = self.cloud.servers()
        hosts = self.cloud.hosts()
        holding = [s for s in servers if s.holds_capacity]
        pools = {p.name: p for p in pools_mod.split(plan, agg_plans, hosts,
                                                    holding, self.cloud)}
        borrowed = {}  # pool name -> {server id: node}
        demand = {}  # (pool name, project) -> [failed servers]
        runs = archs_mod.Lookups(self.cloud)
        for p in pools.values():
            borrowed[p.name] = self._borrowed(p.share, p.plan, p.holding)
            if self.mark:
                self._mark(p.holding, borrowed[p.name], p.name)
            for project, failed in self._demand(
                    p.share, p.plan, servers,
                    lambda s, hosts=p.hosts: runs.can_run(s.image_id, hosts)
                    ).items():
                demand[(p.name, project)] = failed
        now = self.looked_at = self.clock()
        for key in list(self.pending):
            if key not in demand:
                del self.pending[key]
                self.audit.write('demand-gone', project=key[1], pool=key[0])
        wall = self.wallclock()
        for key, failed in demand.items():
            if key not in self.pending:
                began = self._failed_since(failed, wall)
                age = max(0.0, min((wall - began).total_seconds(),
                                   self.grace))
                self.pending[key] = now - age
                self.audit.write(
                    'demand-seen', project=key[1], pool=key[0],
                    servers=[s.id for s in failed], grace=self.grace,
                    age=round(age, 3))
        actions = 0
        for key in sorted(self.pending, key=lambda k: self.pending[k]):
            if now - self.pending[key] < self.grace:
                continue
            # A failed server may be within its project's share in more
            # than one pool; once one pool has handled it, the others
            # must not reclaim for it again.
            failed = [s for s in demand[key] if s.id not in self.served]
            del self.pending[key]
            if not failed:
                self.audit.write('demand-served-elsewhere', project=key[1],
                                 pool=key[0])
                continue
            p = pools[key[0]]
            actions += self._reclaim_for(key[1], failed, p, borrowed[p.name],
                                         self.max_actions - actions)
            self.served.update(s.id for s in failed)
            if actions >= self.max_actions:
                break
        return self.audit.records[first:]

    def next_due(self):
        """The clock time at which the earliest pending demand's grace
        period ends, or None: when a cycle next has something to act on.

        Only demands that were not yet due when the last cycle looked
        count. One that was due then and is still pending (the cycle hit
        ``max_actions``, or failed) waits for the next regular cycle, so a
        demand that cannot be acted on never makes the service spin."""
        dues = [t + self.grace for t in self.pending.values()]
        if self.looked_at is not None:
            dues = [d for d in dues if d > self.looked_at]
        return min(dues, default=None)

    def _borrowed(self, pool, plan, holding):
        """Ids of servers running on borrowed capacity: per project, its
        newest servers covering what it uses beyond its entitlement."""
        by_project = {}
        for s in holding:
            by_project.setdefault(s.project_id, []).append(s)
        out = {}
        unlisted = []
        for project, servers in by_project.items():
            node = plan.node_for(project)
            if node is None:
                unlisted.extend(servers)
                continue
            over = pool.borrowed_amount(node)
            out.update(_newest_covering(servers, over, node))
        if unlisted:
            over = {r: max(0.0, pool.unlisted_used[r] - pool.unlisted_ent[r])
                    for r in pool.resources}
            out.update(_newest_covering(unlisted, over, None))
        return out  # id -> node (None for unlisted)

    def _mark(self, holding, borrowed, pool):
        for s in holding:
            marked = s.metadata.get(BORROWED_KEY) == 'true'
            if s.id in borrowed and not marked:
                self._change(s, pool, 'mark-borrowed', lambda s=s: self.cloud
                             .set_metadata(s.id, {BORROWED_KEY: 'true'}))
            elif s.id not in borrowed and marked:
                self._change(s, pool, 'unmark-borrowed',
                             lambda s=s: self.cloud
                             .delete_metadata(s.id, BORROWED_KEY))

    def _change(self, server, pool, event, fn):
        self.audit.write(event if not self.dry_run else 'would-' + event,
                         server=server.id, project=server.project_id,
                         pool=pool)
        if not self.dry_run:
            fn()

    def _failed_since(self, failed, wall):
        """When the first of ``failed`` went to ERROR, not when this cycle
        saw it. The API's 'updated' has whole seconds, truncated, so the
        first failure is among the servers with the earliest one; the
        cloud is asked for their precise time (a few at most). Whole
        seconds are rounded up, so the grace period is never cut short
        (at worst 1 s late)."""
        stamped = [s for s in failed if s.updated]
        if not stamped:
            return wall
        first = min(s.updated for s in stamped)
        began = []
        for s in [s for s in stamped if s.updated == first][:_PRECISE_MAX]:
            when = self.cloud.failed_at(s)
            # The failed event is recorded just before the server's last
            # save (which sets 'updated'); a time further off is not the
            # same failure (e.g. an earlier attempt): not used.
            if when is None or not (first - _SECOND <= when
                                    < first + _SECOND):
                when = first
            began.append(_ceil_second(when))
        if len(stamped) < len(failed):
            began.append(wall)
        return min(began)

    def _demand(self, pool, plan, servers, can_run):
        """{project: [failed servers]} of owners asking within their share
        whose image the pool's hosts may run (``can_run(server)``)."""
        cutoff = self.wallclock() - datetime.timedelta(
            seconds=self.demand_window)
        out = {}
        asked = {}
        for s in sorted(servers, key=lambda s: s.age_key):
            if (s.status != 'ERROR' or s.holds_capacity
                    or NO_VALID_HOST not in s.fault or s.id in self.served
                    or s.created < cutoff):
                continue
            node = plan.node_for(s.project_id)
            if node is None:
                continue  # unlisted projects own nothing to reclaim
            if not can_run(s):
                continue  # reclaiming here would free nothing it can use
            used = pool.usage_of(node)
            extra = asked.setdefault(s.project_id, {})
            amounts = s.amounts()
            within = all(used[r] + extra.get(r, 0) + amounts.get(r, 0)
                         <= pool.ent[node][r] + _EPS for r in pool.resources)
            if not within:
                continue  # asking beyond its share is not reclaimable demand
            for r, v in amounts.items():
                extra[r] = extra.get(r, 0) + v
            out.setdefault(s.project_id, []).append(s)
        return out

    def _reclaim_for(self, project, failed, pool, borrowed, budget):
        """Reclaim borrowed instances of ``pool`` until ``failed`` would fit
        on one of its hosts; returns how many instances were acted on."""
        free = {h['name']: {r: h['total'][r] - h['used'][r]
                            for r in _PHYSICAL} for h in pool.hosts}
        if _fits(failed, free):
            self.audit.write('no-reclaim-needed', project=project,
                             pool=pool.name,
                             reason='the failed servers fit now; the owner '
                                    'can boot again')
            return 0
        # Newest first, then (a stable sort) lowest priority first.
        victims = sorted((s for s in pool.holding if s.id in borrowed
                          and s.project_id != project),
                         key=lambda s: s.age_key, reverse=True)
        victims.sort(key=lambda s: (self._priority(s),
                                    _node_priority(borrowed[s.id])))
        done = 0
        for s in victims:
            if done >= budget:
                self.audit.write('reclaim-bounded', project=project,
                                 pool=pool.name, budget=budget)
                break
            event = 'reclaim' if not self.dry_run else 'would-reclaim'
            self.audit.write(event, project=project, server=s.id,
                             borrower=s.project_id, action=self.action,
                             host=s.host, priority=self._priority(s),
                             pool=pool.name)
            if not self.dry_run:
                try:
                    self.cloud.act(s.id, self.action)
                except Exception as e:
                    self.audit.write('reclaim-failed', server=s.id,
                                     pool=pool.name, error=str(e))
                    continue
            done += 1
            if s.host in free:
                for r in _PHYSICAL:
                    free[s.host][r] += s.amounts()[r]
            if _fits(failed, free):
                break
        return done

    def _priority(self, server):
        value = server.metadata.get(self.priority_key, 0)
        try:
            return int(value)
        except (TypeError, ValueError):
            LOG.warning('server %s: %s=%r is not a whole number; using 0',
                        server.id, self.priority_key, value)
            return 0


def _ceil_second(when):
    if when.microsecond:
        return when
    return when + datetime.timedelta(seconds=1)


def _node_priority(node):
    return node.priority if isinstance(node, plan_mod.Node) else -1


def _newest_covering(servers, over, node):
    out = {}
    remaining = {r: v for r, v in over.items() if v > _EPS}
    for s in sorted(servers, key=lambda s: s.age_key, reverse=True):
        if not any(v > _EPS for v in remaining.values()):
            break
        out[s.id] = node
        amounts = s.amounts()
        for r in remaining:
            remaining[r] -= amounts.get(r, 0)
    return out


def _fits(failed, free):
    """First-fit of the failed servers into the hosts' free capacity."""
    free = {h: dict(v) for h, v in free.items()}
    for s in sorted(failed, key=lambda s: -s.vcpus):
        need = s.amounts()
        for room in free.values():
            if all(room[r] >= need[r] for r in _PHYSICAL):
                for r in _PHYSICAL:
                    room[r] -= need[r]
                break
        else:
            return False
    return True
