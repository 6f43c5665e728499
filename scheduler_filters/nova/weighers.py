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

"""Nova host weighers: BinPackWeigher, TenantShareWeigher, EmulationWeigher
(and DockerHostWeigher, the three in one).

Shaped like Nova's own (``nova.scheduler.weights.ram``): each returns one
raw weight per host from ``weigh_objects`` (computed in one pass, with the
request's facts looked up once through ``state.for_request``) and its
multiplier from ``weight_multiplier`` (the option, overridden by aggregate
metadata as Nova's ``utils.get_weight_multiplier`` does). Nova's weight
handler normalises, multiplies and sums.
"""

import abc
import itertools
import operator

from nova.scheduler import utils
from nova.scheduler import weights

from scheduler_filters.core import weigh
from scheduler_filters.nova import CONF
from scheduler_filters.nova import state
from scheduler_filters.nova import translate


class _Weigher(weights.BaseHostWeigher, metaclass=abc.ABCMeta):
    #: Option in [docker_scheduler] and aggregate metadata key of the
    #: multiplier; None: 1.0, no override.
    multiplier_name = None

    def weight_multiplier(self, host_state):
        name = self.multiplier_name
        if not name:
            return 1.0
        default = getattr(CONF.docker_scheduler, name)
        if not host_state.aggregates:
            return default  # what Nova's lookup returns, without its walk
        return utils.get_weight_multiplier(host_state, name, default)

    def _weigh_object(self, host_state, spec_obj):
        return self.raw_weights([host_state], spec_obj)[0]

    def weigh_objects(self, weighed_obj_list, spec_obj):
        """One raw weight per host, in order; Nova normalises them."""
        return self.raw_weights([w.obj for w in weighed_obj_list], spec_obj)

    @abc.abstractmethod
    def raw_weights(self, hosts, spec_obj):
        """Raw weights of ``hosts`` (HostState objects), in order."""


class BinPackWeigher(_Weigher):
    """Multi-resource packing (or spreading for anti-affinity groups)."""

    multiplier_name = 'binpack_weight_multiplier'

    def raw_weights(self, hosts, spec_obj):
        req = state.for_request(spec_obj).request
        mode = weigh.packing_mode(req, CONF.docker_scheduler.packing_mode)
        demand = (req.vcpus, req.memory_mb, req.disk_gb)
        scores = _binpack(hosts, demand, mode)
        if req.group_policy == 'soft-anti-affinity' and req.group_hosts:
            # Spread scores are in [0, 1]: a host already holding a member
            # of the group ranks below every host that does not.
            members = req.group_hosts
            for i, h in enumerate(hosts):
                if h.host in members:
                    scores[i] -= 1.0
        return scores


_CAPACITY = operator.attrgetter(
    'vcpus_total', 'cpu_allocation_ratio', 'vcpus_used',
    'total_usable_ram_mb', 'ram_allocation_ratio', 'free_ram_mb',
    'total_usable_disk_gb', 'disk_allocation_ratio', 'disk_mb_used')


def _binpack(hosts, demand, mode):
    # Per host, only C-level work (attribute reads, one hash of the row);
    # the arithmetic runs once per distinct capacity and usage, which a
    # large fleet repeats a lot (one hardware size, usage in flavor
    # steps). Equal inputs give the same float.
    distinct = {}
    # Each host's row number in ``distinct`` (setdefault keeps the first).
    numbers = list(map(distinct.setdefault, map(_CAPACITY, hosts),
                       itertools.count()))
    rows = [(vt * (vr or 1.0), vu, mt * (mr or 1.0), mt - mf,
             kt * (kr or 1.0), ku / 1024.0)
            for vt, vr, vu, mt, mr, mf, kt, kr, ku in distinct]
    score = dict(zip(distinct.values(),
                     weigh.binpack_many(rows, demand, mode)))
    return list(map(score.__getitem__, numbers))


class TenantShareWeigher(_Weigher):
    """Prefer pools where the project places on its own entitlement."""

    multiplier_name = 'tenant_share_weight_multiplier'

    def raw_weights(self, hosts, spec_obj):
        view = state.for_request(spec_obj).share()
        if view is None:
            return [0.0] * len(hosts)
        if not view.by_aggregate:
            return [weigh.share_score(view.default)] * len(hosts)
        return [weigh.share_score(view.decision(h)) for h in hosts]


class EmulationWeigher(_Weigher):
    """Native hosts over hosts that would run the image under emulation."""

    multiplier_name = 'emulation_weight_multiplier'

    def raw_weights(self, hosts, spec_obj):
        archs = state.for_request(spec_obj).archs
        if archs is None:
            return [1.0] * len(hosts)
        return translate.native_flags(hosts, archs)


class DockerHostWeigher(_Weigher):
    """Emulation, share and packing in one weigher.

    It computes the three columns, normalises each as Nova would and sums
    them with the configured multipliers, then Nova normalises the sum:
    the same order as enabling the three separately. (Per-aggregate
    multiplier overrides are not applied here; use the separate weighers
    for those.) Kept for existing configurations.
    """

    _parts = (BinPackWeigher(), EmulationWeigher(), TenantShareWeigher())

    def raw_weights(self, hosts, spec_obj):
        opts = CONF.docker_scheduler
        total = [0.0] * len(hosts)
        for part in self._parts:
            mult = getattr(opts, part.multiplier_name)
            if not mult:
                continue
            raw = part.raw_weights(hosts, spec_obj)
            for i, v in enumerate(weigh.normalize(raw)):
                total[i] += mult * v
        return total
