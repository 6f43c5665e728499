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

"""Weighers on plain data: raw scores per host, higher is better.

Each returns raw values; ``normalize`` maps them to [0, 1] the way Nova
does (all equal -> all 0), so the same multipliers mean the same thing in
Nova and in the Heat plugin.
"""

import math

from scheduler_filters.core import facts

PACK = 'pack'
SPREAD = 'spread'
PACKING_MODES = (PACK, SPREAD)
SPREAD_POLICIES = frozenset(('anti-affinity', 'soft-anti-affinity'))
#: Weight of shape alignment against fullness in pack mode.
ALIGNMENT = 0.25


def normalize(values):
    if not values:
        return []
    lo = min(values)
    hi = max(values)
    if hi == lo:
        return [0.0] * len(values)
    span = hi - lo
    return [(v - lo) / span for v in values]


def emulation_score(host, request):
    """1 when the host runs the image natively (or any arch will do), else 0."""
    if request.architectures is None:
        return 1.0
    return 1.0 if host.architectures & request.architectures else 0.0


def packing_mode(request, packing):
    """Spread for anti-affinity groups whatever the configured mode."""
    if request.group_policy in SPREAD_POLICIES:
        return SPREAD
    return packing


def binpack_score(host, demand, mode=PACK):
    """Multi-resource packing score of placing ``demand`` on ``host``.

    Pack: mean utilisation after placement (best fit: fuller hosts first,
    which is what keeps the host count near first-fit-decreasing) plus the
    normalised dot product of demand and free capacity (Tetris' alignment:
    prefer hosts whose free shape matches the request's, so no resource is
    stranded). Spread: the dot product of the demand's direction and the
    free fractions, i.e. the most free room in the request's shape.
    """
    return binpack_raw(
        (host.vcpus_total, host.memory_mb_total, host.disk_gb_total),
        (host.vcpus_used, host.memory_mb_used, host.disk_gb_used),
        (demand.get(facts.VCPU, 0), demand.get(facts.MEMORY_MB, 0),
         demand.get(facts.DISK_GB, 0)), mode)


def binpack_raw(totals, used, demand, mode=PACK):
    """``binpack_score`` on tuples (VCPU, MEMORY_MB, DISK_GB).

    ``binpack_many`` is the same arithmetic unrolled for many hosts (the
    Nova weigher's hot loop); a unit test keeps the two equal.
    """
    dot = dd = ff = util = 0.0
    n = 0
    for total, u, dem in zip(totals, used, demand):
        if not total:
            continue
        d = dem / total
        free = (total - u) / total
        dot += d * free
        dd += d * d
        ff += free * free
        util += 1.0 - free + d
        n += 1
    if not n:
        return 0.0
    if mode == SPREAD:
        return dot / math.sqrt(dd) if dd else math.sqrt(ff / n)
    align = dot / math.sqrt(dd * ff) if dd and ff > 0 else 0.0
    return util / n + ALIGNMENT * align


def group_score(host, request):
    """Soft (anti-)affinity: prefer or avoid the group's hosts."""
    if not request.group_hosts:
        return 0.0
    on = host.name in request.group_hosts
    if request.group_policy == 'soft-affinity':
        return 1.0 if on else 0.0
    if request.group_policy == 'soft-anti-affinity':
        return 0.0 if on else 1.0
    return 0.0


def share_score(decision):
    """Owned placement first, then by headroom left in the entitlement."""
    if decision is None:
        return 0.0
    base = 0.0 if decision.borrowed else 1.0
    return base + 0.5 * max(-1.0, min(1.0, decision.headroom))


def binpack_many(rows, demand, mode=PACK):
    """Scores for many hosts; ``rows`` yields (vcpu_total, vcpu_used,
    ram_total, ram_used, disk_total, disk_used)."""
    dv, dm, dd_ = demand
    sqrt = math.sqrt
    out = []
    append = out.append
    spread = mode == SPREAD
    for vt, vu, mt, mu, kt, ku in rows:
        dot = dd = ff = util = 0.0
        n = 0
        if vt:
            d = dv / vt
            f = (vt - vu) / vt
            dot += d * f
            dd += d * d
            ff += f * f
            util += 1.0 - f + d
            n += 1
        if mt:
            d = dm / mt
            f = (mt - mu) / mt
            dot += d * f
            dd += d * d
            ff += f * f
            util += 1.0 - f + d
            n += 1
        if kt:
            d = dd_ / kt
            f = (kt - ku) / kt
            dot += d * f
            dd += d * d
            ff += f * f
            util += 1.0 - f + d
            n += 1
        if not n:
            append(0.0)
        elif spread:
            append(dot / sqrt(dd) if dd else sqrt(ff / n))
        else:
            align = dot / sqrt(dd * ff) if dd and ff > 0 else 0.0
            append(util / n + ALIGNMENT * align)
    return out
