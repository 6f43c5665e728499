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

"""Host selection: the one implementation behind Nova's filters and Heat.

``select_hosts`` validates the request, keeps the hosts that can run the
image, that have room, that respect hard (anti-)affinity and that the share
plan allows, then orders them best first with the same weighers the Nova
adapters use (emulation, share, packing).
"""

import numbers

from scheduler_filters import exception
from scheduler_filters.core import arch
from scheduler_filters.core import facts
from scheduler_filters.core import share
from scheduler_filters.core import weigh

#: Multipliers, as Nova's weight multipliers: native arch beats everything.
EMULATION_MULTIPLIER = 4.0
SHARE_MULTIPLIER = 2.0
BINPACK_MULTIPLIER = 1.0
GROUP_MULTIPLIER = 2.0  # soft (anti-)affinity beats packing

GROUP_POLICIES = frozenset(('affinity', 'anti-affinity', 'soft-affinity',
                            'soft-anti-affinity'))


def validate_request(request):
    """Raise InvalidRequest naming the field; return canonical architectures."""
    if not isinstance(request, facts.RequestFacts):
        raise exception.InvalidRequest(field='request',
                                       reason='expected RequestFacts')
    if not isinstance(request.project_id, str) or not request.project_id:
        raise exception.InvalidRequest(field='project_id',
                                       reason='expected a non-empty string')
    for field in ('vcpus', 'memory_mb', 'disk_gb'):
        value = getattr(request, field)
        if (not isinstance(value, numbers.Integral) or isinstance(value, bool)
                or value < 0):
            raise exception.InvalidRequest(
                field=field, reason='expected a non-negative whole number, '
                'got %r' % (value,))
    count = request.instance_count
    if not isinstance(count, numbers.Integral) or isinstance(count, bool) \
            or count < 1:
        raise exception.InvalidRequest(
            field='instance_count',
            reason='expected a whole number >= 1, got %r' % (count,))
    if (request.group_policy is not None
            and request.group_policy not in GROUP_POLICIES):
        raise exception.InvalidRequest(
            field='group_policy', reason='unknown policy %r (known: %s)'
            % (request.group_policy, ', '.join(sorted(GROUP_POLICIES))))
    if request.architectures is None:
        return None
    if isinstance(request.architectures, str) or not request.architectures:
        raise exception.InvalidRequest(
            field='architectures',
            reason='expected a non-empty set of names or None, got %r'
            % (request.architectures,))
    return arch.canonicalize_all(request.architectures, 'architectures')


def arch_passes(host, archs):
    """Native or emulated support for any of the image's architectures."""
    if archs is None:
        return True
    return bool(host.architectures & archs
                or host.emulated_architectures & archs)


def fits(host, demand):
    """Room for one instance of ``demand`` (per-instance amounts)."""
    for r in (facts.VCPU, facts.MEMORY_MB, facts.DISK_GB):
        need = demand.get(r, 0)
        if need and host.total(r) - host.used(r) < need:
            return False
    return True


def group_passes(host, request):
    if request.group_policy == 'anti-affinity':
        return host.name not in request.group_hosts
    if request.group_policy == 'affinity' and request.group_hosts:
        return host.name in request.group_hosts
    return True


def select_hosts(hosts, request, share_plan=None, usage=None,
                 packing=weigh.PACK, now=None, check_capacity=True):
    """Hosts that can take ``request``, best first.

    :param hosts: iterable of HostFacts.
    :param request: RequestFacts.
    :param share_plan: a ``plan.ShareConfig`` (or a bare ``plan.Plan``) or
        None for no share rules.
    :param usage: {project: {resource: amount}} for the default pool;
        None sums ``projects_usage`` over ``hosts``.
    :param packing: 'pack' or 'spread' (anti-affinity groups always spread).
    :param check_capacity: keep only hosts with room for one instance (Nova
        leaves that to placement and passes False).
    """
    archs = validate_request(request)
    if packing not in weigh.PACKING_MODES:
        raise exception.InvalidRequest(
            field='packing', reason='expected one of %s, got %r'
            % (', '.join(weigh.PACKING_MODES), packing))
    if archs is not None and archs != request.architectures:
        request = _with_archs(request, archs)
    hosts = list(hosts)
    per_instance = request.demand(per_instance=True)
    total_demand = request.demand()
    decisions = {}
    if share_plan is not None:
        config = _as_config(share_plan)
        by_host, pools = share.pools_for(hosts, config, usage, now)
        if len(pools) == 1:
            # One pool (no aggregate plans): one decision for every host.
            d = pools[0].decide(request.project_id, total_demand)
            if not d.allowed:
                return []
            decisions = dict.fromkeys((h.name for h in hosts), d)
        else:
            cache = {}
            for h in hosts:
                pool = by_host[h.name]
                d = cache.get(id(pool))
                if d is None:
                    d = cache[id(pool)] = pool.decide(request.project_id,
                                                      total_demand)
                decisions[h.name] = d
    need_v = per_instance[facts.VCPU]
    need_m = per_instance[facts.MEMORY_MB]
    need_d = per_instance[facts.DISK_GB]
    passing = []
    for h in hosts:
        if archs is not None and not (h.architectures & archs
                                      or h.emulated_architectures & archs):
            continue
        if check_capacity and (
                (need_v and h.vcpus_total - h.vcpus_used < need_v)
                or (need_m and h.memory_mb_total - h.memory_mb_used < need_m)
                or (need_d and h.disk_gb_total - h.disk_gb_used < need_d)):
            continue
        if request.group_policy and not group_passes(h, request):
            continue
        if decisions:
            d = decisions.get(h.name)
            if d is not None and not d.allowed:
                continue
        passing.append(h)
    return order(passing, request, decisions, packing)


def order(hosts, request, decisions=None, packing=weigh.PACK):
    """Sort hosts best first by the combined, normalised weights."""
    if len(hosts) <= 1:
        return list(hosts)
    decisions = decisions or {}
    mode = weigh.packing_mode(request, packing)
    demand = request.demand(per_instance=True)
    columns = [
        (BINPACK_MULTIPLIER, weigh.binpack_many(
            [(h.vcpus_total, h.vcpus_used, h.memory_mb_total,
              h.memory_mb_used, h.disk_gb_total, h.disk_gb_used)
             for h in hosts],
            (demand[facts.VCPU], demand[facts.MEMORY_MB],
             demand[facts.DISK_GB]), mode)),
    ]
    if request.architectures is not None:
        columns.append((EMULATION_MULTIPLIER,
                        [weigh.emulation_score(h, request) for h in hosts]))
    if decisions and len({id(d) for d in decisions.values()}) > 1:
        # A single pool gives every host the same share score: skip it.
        columns.append((SHARE_MULTIPLIER,
                        [weigh.share_score(decisions.get(h.name))
                         for h in hosts]))
    if request.group_hosts:
        columns.append((GROUP_MULTIPLIER,
                        [weigh.group_score(h, request) for h in hosts]))
    totals = [0.0] * len(hosts)
    for mult, raw in columns:
        for i, v in enumerate(weigh.normalize(raw)):
            totals[i] += mult * v
    ranked = sorted(range(len(hosts)), key=lambda i: (-totals[i],
                                                      hosts[i].name))
    return [hosts[i] for i in ranked]


def share_decision(hosts, request, share_plan, usage=None, now=None):
    """The share decision for the request in the first pool (the default
    pool whenever some host is outside the aggregate plans), for callers
    that want the reason a request was refused."""
    validate_request(request)
    config = _as_config(share_plan)
    by_host, pools = share.pools_for(list(hosts), config, usage, now)
    return pools[0].decide(request.project_id, request.demand())


def _as_config(share_plan):
    from scheduler_filters.core import plan as plan_mod
    if isinstance(share_plan, plan_mod.ShareConfig):
        return share_plan
    if isinstance(share_plan, plan_mod.Plan):
        return plan_mod.ShareConfig(share_plan, {}, [])
    raise exception.InvalidRequest(
        field='share_plan', reason='expected a ShareConfig or Plan, got %s'
        % type(share_plan).__name__)


def _with_archs(request, archs):
    import dataclasses
    return dataclasses.replace(request, architectures=archs)
