"""Nova objects -> plain facts, with caches where a host does not change.

HostState objects live across requests in the HostManager; what a host's
architectures are computed from is compared by value on every request (see
``_entry``), the parsing is done again only when it changed.
"""

import logging
import operator

from scheduler_filters import exception
from scheduler_filters.core import arch
from scheduler_filters.core import facts

LOG = logging.getLogger(__name__)

_arch_cache = {}  # id(host_state) -> _entry() tuple
# Hosts come and go over a scheduler's life: start over past this size
# (each entry is tiny; 10k hosts fit many times).
_ARCH_CACHE_MAX = 200000
# Fields of a cache entry.
_SUPPORTED, _LABEL, _AGGS, NATIVE, EMULATED, RUNS = range(6)


def _entry(host_state):
    """The cached architectures of a HostState, refreshed when its inputs
    changed.

    Inputs are compared by value, not identity: Nova's HostManager hands
    every request a new aggregates list and, for hosts it did not just
    pick, a new supported_instances list and stats dict, so an identity
    check would miss on nearly every host of every request. Aggregate
    objects compare by identity (Nova replaces them when they change); the
    snapshot holds them, so their ids cannot be reused.
    """
    supported = host_state.supported_instances
    stats = getattr(host_state, 'stats', None)
    label = stats.get(arch.EMULATED_LABEL) if stats else None
    aggs = host_state.aggregates
    hit = _arch_cache.get(id(host_state))
    if (hit is not None and hit[_SUPPORTED] == supported
            and hit[_LABEL] == label and hit[_AGGS] == aggs):
        return hit
    native = set()
    for entry in supported or ():
        try:
            native.add(arch.canonicalize(entry[0]))
        except (exception.UnknownArchitecture, IndexError, TypeError):
            # A host reporting an arch we cannot name runs nothing we place.
            LOG.warning('host %s reports unknown architecture %r; ignored',
                        host_state.host, entry)
    emulated = set()
    values = [label]
    for agg in aggs or ():
        values.append((agg.metadata or {}).get(arch.EMULATED_LABEL))
    for value in values:
        if not value:
            continue
        for name in str(value).split(','):
            if name.strip():
                try:
                    emulated.add(arch.canonicalize(name))
                except exception.UnknownArchitecture:
                    LOG.warning('host %s declares unknown emulated '
                                'architecture %r; ignored',
                                host_state.host, name)
    native = frozenset(native)
    emulated = frozenset(emulated - native)
    # Copies: a list changed in place must not compare equal to itself.
    snapshot = (
        None if supported is None else
        [list(e) if isinstance(e, list) else e for e in supported],
        label, None if aggs is None else list(aggs),
        native, emulated, native | emulated)
    if len(_arch_cache) >= _ARCH_CACHE_MAX:
        _arch_cache.clear()
    _arch_cache[id(host_state)] = snapshot
    return snapshot


def host_architectures(host_state):
    """(native, emulated) canonical architectures of a HostState."""
    hit = _entry(host_state)
    return hit[NATIVE], hit[EMULATED]


def entries(hosts):
    """``_entry`` for many hosts, its hit check inlined (a scheduler asks
    for every host of every request)."""
    get = _arch_cache.get
    refresh = _entry
    label = arch.EMULATED_LABEL
    out = []
    append = out.append
    for h in hosts:
        hit = get(id(h))
        # A HostState has no stats until its first compute node update.
        stats = getattr(h, 'stats', None)
        if (hit is None or hit[_SUPPORTED] != h.supported_instances
                or hit[_LABEL] != (stats.get(label) if stats else None)
                or hit[_AGGS] != h.aggregates):
            hit = refresh(h)
        append(hit)
    return out


def hosts_running(hosts, archs, native=None):
    """The hosts that run any of ``archs`` natively or emulated.

    ``native``, a list, gets 1.0 or 0.0 per returned host: whether it runs
    them natively (``native_flags`` reads it back for the same request
    instead of checking each host again).
    """
    flags = native if native is not None else []
    flag = flags.append
    out = []
    append = out.append
    for h, hit in zip(hosts, entries(hosts)):
        if hit[NATIVE].isdisjoint(archs):
            if hit[EMULATED].isdisjoint(archs):
                continue
            flag(0.0)
        else:
            flag(1.0)
        append(h)
    return out


def native_flags(hosts, archs, known=None):
    """1.0 per host that runs any of ``archs`` natively, else 0.0.

    ``known`` is (hosts, flags) from ``hosts_running`` for the same request
    (the same host objects, unchanged since); hosts it does not name are
    checked here.
    """
    if known:
        seen, flags = known
        if len(seen) == len(hosts) and all(map(operator.is_, seen, hosts)):
            return list(flags)  # no later filter removed a host
        get = dict(zip(map(id, seen), flags)).get
        out = [get(id(h)) for h in hosts]
        if None not in out:
            return out
    return [0.0 if e[NATIVE].isdisjoint(archs) else 1.0
            for e in entries(hosts)]


def aggregate_names(host_state):
    return tuple(a.name for a in host_state.aggregates or ())


def host_facts(host_state):
    """A full HostFacts (used by callers that want the core API)."""
    native, emulated = host_architectures(host_state)
    return facts.HostFacts(
        name=host_state.host, architectures=native,
        emulated_architectures=emulated, **capacity_fields(host_state),
        instances=host_state.num_instances,
        labels={'aggregates': aggregate_names(host_state)})


def capacity_fields(host_state):
    cpu_ratio = host_state.cpu_allocation_ratio or 1.0
    ram_ratio = host_state.ram_allocation_ratio or 1.0
    disk_ratio = host_state.disk_allocation_ratio or 1.0
    ram_total = host_state.total_usable_ram_mb
    return dict(
        vcpus_total=int(host_state.vcpus_total * cpu_ratio),
        vcpus_used=host_state.vcpus_used,
        memory_mb_total=int(ram_total * ram_ratio),
        memory_mb_used=ram_total - host_state.free_ram_mb,
        disk_gb_total=int(host_state.total_usable_disk_gb * disk_ratio),
        disk_gb_used=int(host_state.disk_mb_used / 1024))


def request_facts(spec_obj, architectures):
    group = spec_obj.instance_group if spec_obj.obj_attr_is_set(
        'instance_group') else None
    policy = None
    group_hosts = frozenset()
    if group is not None:
        policy = group.policy if group.obj_attr_is_set('policy') else None
        if group.obj_attr_is_set('hosts') and group.hosts:
            group_hosts = frozenset(group.hosts)
    flavor = spec_obj.flavor
    return facts.RequestFacts(
        project_id=spec_obj.project_id, vcpus=flavor.vcpus,
        memory_mb=flavor.memory_mb,
        disk_gb=flavor.root_gb + flavor.ephemeral_gb,
        architectures=architectures, instance_count=1,
        group_policy=policy, group_hosts=group_hosts)
