"""Nova host weighers: BinPackWeigher, TenantShareWeigher, EmulationWeigher.

Each computes its raw weights for all hosts in one pass (``raw_weights``)
with the per-request work done once.

Called by Nova's weight handler, they also do the handler's per-host part
themselves: normalise, multiply (honouring aggregate overrides of the
multiplier) and add to each host's weight, then hand the handler an empty
list. The handler's own loop costs a few microseconds per host per weigher
(it builds its debug dictionaries even when debug logging is off), more
than the 20 ms a 10k-host request may take in all. The arithmetic is the
handler's (``weigh.add_normalized``), so the order and the weights are the
same; a test runs both paths through Nova's handler and compares. With
``nova.weights`` at DEBUG the handler does the work as usual, so its
per-host log lines are still there.
"""

import itertools
import logging
import operator
import sys

from nova.scheduler import utils
from nova.scheduler import weights
from nova import weights as nova_weights

from scheduler_filters.core import weigh
from scheduler_filters.nova import CONF
from scheduler_filters.nova import state
from scheduler_filters.nova import translate

_HANDLER_CODE = nova_weights.BaseWeightHandler.get_weighed_objects.__code__
_HANDLER_LOG = logging.getLogger('nova.weights')


class _Weigher(weights.BaseHostWeigher):
    #: Option in [docker_scheduler] and aggregate metadata key of the
    #: multiplier; None: 1.0, no override.
    multiplier_name = None

    def weight_multiplier(self, host_state):
        return _multiplier(host_state, self.multiplier_name)

    def _weigh_object(self, host_state, spec_obj):
        return self.raw_weights([host_state], spec_obj)[0]

    def raw_weights(self, hosts, spec_obj):
        """Raw weights of ``hosts`` (HostState objects), in order."""
        raise NotImplementedError

    def weigh_objects(self, weighed_obj_list, spec_obj):
        hosts, with_aggs = state.for_request(spec_obj).weighed_hosts(
            weighed_obj_list)
        raw = self.raw_weights(hosts, spec_obj)
        if not self._apply_here():
            return raw
        if raw and min(raw) != max(raw):
            # (All equal: the handler would add multiplier * 0 to each.)
            name = self.multiplier_name
            default = _default_multiplier(name)
            weigh.add_normalized(weighed_obj_list, raw, default,
                                 _overrides(with_aggs, name, default))
        return []  # nothing left for the handler's per-host loop

    def _apply_here(self):
        # Only for Nova's handler, whose use of the list is reproduced, and
        # only when nothing the handler would do differs: its debug log,
        # a subclass's own multiplier or min/max bounds.
        try:
            caller = sys._getframe(2).f_code
        except (AttributeError, ValueError):
            return False
        return (caller is _HANDLER_CODE
                and not _HANDLER_LOG.isEnabledFor(logging.DEBUG)
                and type(self).weight_multiplier is _Weigher.weight_multiplier
                and self.minval is None and self.maxval is None)


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
        request = state.for_request(spec_obj)
        if request.archs is None:
            return [1.0] * len(hosts)
        return translate.native_flags(hosts, request.archs, request.native)


class DockerHostWeigher(_Weigher):
    """Emulation, share and packing in one weigher.

    It computes the three columns, normalises each as Nova would and sums
    them with the configured multipliers, then Nova normalises the sum:
    the same order as enabling the three separately. (Per-aggregate
    multiplier overrides are not applied here; use the separate weighers
    for those.) The separate weighers now cost about as much through
    Nova's handler, so this one is kept for existing configurations.
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


def _default_multiplier(name):
    return getattr(CONF.docker_scheduler, name) if name else 1.0


def _multiplier(host_state, name):
    default = _default_multiplier(name)
    if not name or not host_state.aggregates:
        return default  # the common case, without Nova's metadata walk
    return utils.get_weight_multiplier(host_state, name, default)


def _overrides(with_aggs, name, default):
    """{index: multiplier} for the hosts whose aggregates override it.

    ``with_aggs`` is [(index, host)] of the hosts in some aggregate. Nova's
    own lookup (``utils.get_weight_multiplier``: the minimum of the
    aggregates' values, a bad value logged and ignored) runs only for hosts
    with an aggregate whose metadata names the multiplier.
    """
    out = {}
    if not name:
        return out
    names_it = {}  # id(aggregate) -> metadata has the key; alive meanwhile
    for i, h in with_aggs:
        for agg in h.aggregates:
            hit = names_it.get(id(agg))
            if hit is None:
                hit = names_it[id(agg)] = name in (agg.metadata or ())
            if hit:
                break
        else:
            continue
        value = utils.get_weight_multiplier(h, name, default)
        if value != default:
            out[i] = value
    return out
