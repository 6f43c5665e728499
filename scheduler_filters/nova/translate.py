"""Nova objects -> plain facts, with caches where a host does not change.

Nova 34's HostManager makes a new HostState for every host on every request
(``_get_host_states`` keeps none between requests), with new lists and
dicts; what a host's architectures are computed from is compared by value
(see ``_entry``), the parsing is done again only when it changed.

Architecture checks run on every host of every request, so there are two
levels of cache. Per host (``_entry``): the parsed architectures, keyed by
the HostState. Per host list (``host_kinds``): the same inputs for a whole
list, by position, compared list against list in C; when nothing changed,
which is nearly always, no Python code runs per host at all. Hosts with
the same architectures share one interned *kind* (an index into
``_KINDS``), so a request decides once per kind, not once per host.
"""

import itertools
import logging
import operator
import threading

from scheduler_filters import exception
from scheduler_filters.core import arch
from scheduler_filters.core import facts

LOG = logging.getLogger(__name__)

_arch_cache = {}  # id(host_state) -> _entry() tuple
# Hosts come and go over a scheduler's life: start over past this size
# (each entry is tiny; 10k hosts fit many times).
_ARCH_CACHE_MAX = 200000
# Fields of a cache entry.
_SUPPORTED, _LABEL, _AGGS, NATIVE, EMULATED, KIND = range(6)

# Interned (native, emulated) pairs; a kind is an index into _KINDS. Only
# ever appended to (a host list's snapshot holds indices), and tiny: one
# per distinct combination of architectures in the fleet.
_KINDS = []
_kind_index = {}
_kinds_lock = threading.Lock()

# len(hosts) -> _HostList of the last host list of that length; the
# scheduler hands its filters the same fleet, in the same order, on every
# request. A few lengths are kept (a later filter's shorter list, a
# rebuild's single host) so they do not push the fleet out.
_host_lists = {}
_HOST_LISTS_MAX = 4
# Architecture sets remembered per host list (requests ask for a few).
_SUBSETS_MAX = 16

_SUPPORTED_OF = operator.attrgetter('supported_instances')
_AGGREGATES_OF = operator.attrgetter('aggregates')
_STATS_OF = operator.attrgetter('stats')
# hosts_running's verdict per kind -> EmulationWeigher's native flag.
_NONE, _EMULATED, _NATIVE = 0, 1, 2
_FLAG = (None, 0.0, 1.0)


def _kind(native, emulated):
    key = (native, emulated)
    kind = _kind_index.get(key)
    if kind is None:
        with _kinds_lock:
            kind = _kind_index.get(key)
            if kind is None:
                _KINDS.append(key)
                kind = _kind_index[key] = len(_KINDS) - 1
    return kind


def forget():
    """Drop the caches (tests that change hosts behind Nova's back)."""
    _arch_cache.clear()
    _host_lists.clear()


def _entry(host_state):
    """The cached architectures of a HostState, refreshed when its inputs
    changed.

    Inputs are compared by value, not identity: Nova's HostManager hands
    every request new HostStates holding new lists and dicts, so an
    identity check would miss on every host of every request (and a new
    HostState may get the id of a collected one: the values decide).
    Aggregate objects compare by identity (Nova replaces them when they
    change); the snapshot holds them, so their ids cannot be reused.
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
        emulated |= arch.emulated_declared(value,
                                           'host %s' % host_state.host)
    native = frozenset(native)
    emulated = frozenset(emulated - native)
    # Copies: a list changed in place must not compare equal to itself.
    snapshot = (
        None if supported is None else
        [list(e) if isinstance(e, list) else e for e in supported],
        label, None if aggs is None else list(aggs),
        native, emulated, _kind(native, emulated))
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


class _HostList:
    """What the architectures of a host list were computed from, by
    position (copies, see ``_entry``), and each host's kind."""

    __slots__ = ('supported', 'labels', 'aggregates', 'kinds', 'subsets')

    def __init__(self, hits):
        self.supported = [e[_SUPPORTED] for e in hits]
        self.labels = [e[_LABEL] for e in hits]
        self.aggregates = [e[_AGGS] for e in hits]
        self.kinds = [e[KIND] for e in hits]
        self.subsets = {}  # archs -> not_native(archs)

    def not_native(self, archs):
        """(selector, labels, aggregates) of the hosts that do not run
        ``archs`` natively: a True per such host, and their emulation
        inputs. Hosts that do run them pass whatever they emulate."""
        archs = frozenset(archs)
        hit = self.subsets.get(archs)
        if hit is None:
            table = [n.isdisjoint(archs) for n, _e in list(_KINDS)]
            need = list(map(table.__getitem__, self.kinds))
            hit = (need, list(itertools.compress(self.labels, need)),
                   list(itertools.compress(self.aggregates, need)))
            if len(self.subsets) >= _SUBSETS_MAX:
                self.subsets.clear()
            self.subsets[archs] = hit
        return hit


def host_kinds(hosts, archs=None):
    """Each host's kind (an index into ``_KINDS``), in order.

    The inputs are read and compared a whole list at a time, in C, against
    the last list of this length; equal values mean equal architectures,
    whichever HostState objects hold them. With ``archs`` (a frozenset),
    the emulation inputs are read only for the hosts that do not run
    ``archs`` natively: the others pass for the request whatever they
    emulate, so a change there cannot change its verdicts (a later request
    for other architectures reads them). Any difference, or a host
    without stats yet, goes through the per-host cache (``entries``),
    which parses only the hosts that changed, and the list is remembered.
    """
    known = _host_lists.get(len(hosts))
    if known is not None:
        try:
            if (list(map(_SUPPORTED_OF, hosts)) == known.supported
                    and _same_emulation(known, hosts, archs)):
                return known.kinds
        except (AttributeError, TypeError):
            pass  # a host without stats (before its first update)
    snapshot = _HostList(entries(hosts))
    if len(_host_lists) >= _HOST_LISTS_MAX and len(hosts) not in _host_lists:
        _host_lists.clear()
    _host_lists[len(hosts)] = snapshot
    return snapshot.kinds


def _same_emulation(known, hosts, archs):
    if archs is None:
        labels, aggregates = known.labels, known.aggregates
    else:
        need, labels, aggregates = known.not_native(archs)
        hosts = list(itertools.compress(hosts, need))
    return (list(map(dict.get, map(_STATS_OF, hosts),
                     itertools.repeat(arch.EMULATED_LABEL))) == labels
            and list(map(_AGGREGATES_OF, hosts)) == aggregates)


def hosts_running(hosts, archs, native=None):
    """The hosts that run any of ``archs`` natively or emulated.

    ``native``, a list, gets 1.0 or 0.0 per returned host: whether it runs
    them natively (``native_flags`` reads it back for the same request
    instead of checking each host again).
    """
    kinds = host_kinds(hosts, archs)  # first: it may add kinds
    verdict = [_NONE if n.isdisjoint(archs) and e.isdisjoint(archs)
               else _EMULATED if n.isdisjoint(archs) else _NATIVE
               for n, e in list(_KINDS)]
    verdicts = list(map(verdict.__getitem__, kinds))
    if native is not None:
        native.extend(map(_FLAG.__getitem__, filter(None, verdicts)))
    return list(itertools.compress(hosts, verdicts))


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
