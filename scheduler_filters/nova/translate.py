"""Nova objects -> plain facts, with caches where a host does not change.

HostState objects live across requests in the HostManager; their
``supported_instances`` list and ``aggregates`` are replaced (not mutated)
on update, so identity tells whether a cached answer is still good.
"""

import logging

from scheduler_filters import exception
from scheduler_filters.core import arch
from scheduler_filters.core import facts

LOG = logging.getLogger(__name__)

_arch_cache = {}  # id(host_state) -> (supported, stats, aggs, native, emu)
# Hosts come and go over a scheduler's life: start over past this size
# (each entry is tiny; 10k hosts fit many times).
_ARCH_CACHE_MAX = 200000


def host_architectures(host_state):
    """(native, emulated) canonical architectures of a HostState."""
    supported = host_state.supported_instances
    stats = getattr(host_state, 'stats', None)
    aggs = host_state.aggregates
    hit = _arch_cache.get(id(host_state))
    if (hit is not None and hit[0] is supported and hit[1] is stats
            and hit[2] is aggs):
        return hit[3], hit[4]
    native = set()
    for entry in supported or ():
        try:
            native.add(arch.canonicalize(entry[0]))
        except (exception.UnknownArchitecture, IndexError, TypeError):
            # A host reporting an arch we cannot name runs nothing we place.
            LOG.warning('host %s reports unknown architecture %r; ignored',
                        host_state.host, entry)
    emulated = set()
    values = []
    if stats:
        values.append(stats.get(arch.EMULATED_LABEL))
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
    result = (frozenset(native), frozenset(emulated - native))
    if len(_arch_cache) >= _ARCH_CACHE_MAX:
        _arch_cache.clear()
    _arch_cache[id(host_state)] = (supported, stats, aggs) + result
    return result


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
