"""Per-request state shared by the filters and weighers of one instance.

Nova calls every filter, then every weigher, for one instance at a time
(``spec_obj.instance_uuid`` is set per instance, also in a multi-create).
The image's architectures and the share pools are computed once per
instance and reused by the later filter/weigher calls; a small LRU keeps
concurrent requests apart.
"""

import collections
import itertools
import logging
import operator
import threading
import time

from nova import exception as nova_exception
from nova.image import glance

from scheduler_filters import exception
from scheduler_filters.core import arch
from scheduler_filters.core import loader
from scheduler_filters.core import share
from scheduler_filters.nova import CONF
from scheduler_filters.nova import translate
from scheduler_filters.nova import usage as nova_usage

LOG = logging.getLogger(__name__)

_MAX_ENTRIES = 64
_IMAGE_TTL = 60.0
_UNLISTED_KEY = ' unlisted projects'
_OBJ_OF = operator.attrgetter('obj')
_AGGREGATES_OF = operator.attrgetter('aggregates')


class _LRU:
    def __init__(self, size):
        self.size = size
        self.data = collections.OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            value = self.data.get(key)
            if value is not None:
                self.data.move_to_end(key)
            return value

    def put(self, key, value):
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)


_requests = _LRU(_MAX_ENTRIES)
_images = _LRU(256)
_source = None
_source_lock = threading.Lock()


def _key(spec_obj):
    uuid = spec_obj.instance_uuid if spec_obj.obj_attr_is_set(
        'instance_uuid') else None
    return (id(spec_obj), uuid)


class RequestState:
    """What the filters and weighers need to know about one instance."""

    def __init__(self, spec_obj):
        self.spec_obj = spec_obj
        self.archs = _image_architectures(spec_obj)
        self.request = translate.request_facts(spec_obj, self.archs)
        # (hosts, 1.0/0.0 runs the image natively), recorded by
        # ArchitectureFilter for EmulationWeigher: Nova hands both the same
        # host objects, unchanged in between.
        self.native = None
        self._weighed = None
        self._share = None
        self._share_built = False
        self.lock = threading.Lock()

    def weighed_hosts(self, weighed_obj_list):
        """(hosts, [(index, host) with aggregates]) of the weight
        handler's list, built once for all the weighers: Nova hands each
        the same list object, unchanged in between."""
        cached = self._weighed
        if (cached is None or cached[0] is not weighed_obj_list
                or len(cached[1]) != len(weighed_obj_list)):
            hosts = list(map(_OBJ_OF, weighed_obj_list))
            with_aggs = list(itertools.compress(
                enumerate(hosts), map(_AGGREGATES_OF, hosts)))
            cached = self._weighed = (weighed_obj_list, hosts, with_aggs)
        return cached[1], cached[2]

    def share(self):
        """ShareView for this request, or None when no plan is configured.

        When no decision can be made (no valid plan was ever loaded,
        placement unreachable) the request is refused with the reason: the
        scheduler stays up and nothing is placed against the plan's will.
        """
        with self.lock:
            if not self._share_built:
                try:
                    self._share = _build_share(self.spec_obj, self.request)
                except Exception as e:
                    LOG.exception('TenantShareFilter cannot decide for '
                                  'project %s', self.request.project_id)
                    reason = 'cannot decide: %s' % e
                    refused = share.Decision(False, False, None, reason)
                    self._share = ShareView(refused, {}, {})
                self._share_built = True
            return self._share


def for_request(spec_obj):
    key = _key(spec_obj)
    state = _requests.get(key)
    if state is None or state.spec_obj is not spec_obj:
        state = RequestState(spec_obj)
        _requests.put(key, state)
    return state


class ShareView:
    """Share decisions for one instance, per pool (default + aggregates)."""

    def __init__(self, default, by_aggregate, by_host):
        self.default = default
        self.by_aggregate = by_aggregate  # name -> Decision
        self.by_host = by_host  # host name -> Decision (aggregate pools)
        self.decisions = [default] + list(by_aggregate.values())

    def decision(self, host_state):
        # Membership comes from the database read for this request, not
        # from the HostManager's aggregate cache, which Nova updates
        # asynchronously: pool capacity and membership stay consistent.
        return self.by_host.get(host_state.host, self.default)


def usage_source():
    global _source
    with _source_lock:
        if _source is None:
            _source = nova_usage.PlacementUsage(
                capacity_ttl=CONF.docker_scheduler.capacity_cache_seconds,
                usage_ttl=CONF.docker_scheduler.usage_cache_seconds)
        return _source


def reset():
    """Forget cached state (tests reconfigure between cases)."""
    global _source
    with _source_lock:
        _source = None
    _requests.data.clear()
    _images.data.clear()


def _build_share(spec_obj, request):
    path = CONF.docker_scheduler.share_plan_file
    if not path:
        return None
    store = loader.store_for(path,
                             CONF.docker_scheduler.share_plan_check_interval)
    config = store.get()
    plan, agg_plans = config.active()
    context = spec_obj._context
    source = usage_source()
    demand = request.demand()
    # A move or resize re-schedules an instance that already holds its
    # allocation (counted in the project's usage): only growth is demand,
    # so an operator can always migrate a project that is at its share.
    held = source.instance_allocation(
        context, spec_obj.instance_uuid if spec_obj.obj_attr_is_set(
            'instance_uuid') else None)
    if held:
        demand = {r: max(0, v - held.get(r, 0)) for r, v in demand.items()}
    agg_decisions = {}
    agg_by_host = {}
    agg_cap = {}
    agg_used = {}  # project -> usage inside aggregate pools
    if agg_plans:
        from nova import objects
        aggs = {a.name: a for a in objects.AggregateList.get_all(context)}
        taken = set()
        for name, aplan in agg_plans.items():
            agg = aggs.get(name)
            if agg is None:
                LOG.warning('share plan names aggregate %s, which does not '
                            'exist', name)
                continue
            # A host in several planned aggregates follows the first.
            hosts = set(agg.hosts or ()) - taken
            taken |= hosts
            capacity, per_project = source.hosts_view(context, hosts)
            pool = share.Pool(aplan, capacity, per_project)
            decision = agg_decisions[name] = pool.decide(request.project_id,
                                                         demand)
            for host in hosts:
                agg_by_host[host] = decision
            _add(agg_cap, capacity)
            for pid, amounts in per_project.items():
                _add(agg_used.setdefault(pid, {}), amounts)
    fleet_cap, fleet_used = source.fleet(context)
    # The default pool is the fleet less the aggregate pools.
    capacity = {r: max(0, v - agg_cap.get(r, 0))
                for r, v in fleet_cap.items()}
    listed = [n.project_id for n in _nodes(plan)]
    usage = source.project_usage(context, listed)
    for pid, amounts in agg_used.items():
        if pid in usage:
            for r, v in amounts.items():
                usage[pid][r] = max(0, usage[pid].get(r, 0) - v)
    agg_total = {}
    for amounts in agg_used.values():
        _add(agg_total, amounts)
    # Unlisted projects: whatever the default pool uses beyond the listed.
    usage[_UNLISTED_KEY] = {
        r: max(0, v - agg_total.get(r, 0)
               - sum(u.get(r, 0) for u in usage.values()))
        for r, v in fleet_used.items()}
    default = share.Pool(plan, capacity, usage).decide(request.project_id,
                                                       demand)
    if not default.allowed:
        LOG.info('TenantShareFilter: project %s refused in the default '
                 'pool: %s', request.project_id, default.reason)
    return ShareView(default, agg_decisions, agg_by_host)


def _add(total, amounts):
    for r, v in amounts.items():
        total[r] = total.get(r, 0) + v


def _nodes(plan):
    for root in plan.roots:
        yield from root.walk()


def _image_architectures(spec_obj):
    """Canonical architectures the image runs on (None: any); raises
    NoValidHost with the reason for an unknown or malformed value."""
    image = spec_obj.image if spec_obj.obj_attr_is_set('image') else None
    if image is None:
        return None
    props = {}
    if image.obj_attr_is_set('properties'):
        hw = image.properties.get('hw_architecture')
        if hw:
            props[arch.ARCH_PROPERTY] = hw
    image_id = image.id if image.obj_attr_is_set('id') else None
    if image_id and CONF.docker_scheduler.read_image_platforms:
        platforms = _image_platforms(spec_obj._context, image_id)
        if platforms:
            props[arch.PLATFORMS_PROPERTY] = platforms
    try:
        return arch.image_architectures(props)
    except (exception.UnknownArchitecture, exception.MalformedPlatform) as e:
        raise nova_exception.NoValidHost(
            reason='ArchitectureFilter: image %s: %s' % (image_id, e))


def _image_platforms(context, image_id):
    hit = _images.get(image_id)
    now = time.monotonic()
    if hit is not None and now - hit[0] < _IMAGE_TTL:
        return hit[1]
    try:
        meta = glance.API().get(context, image_id)
    except Exception as e:
        raise nova_exception.NoValidHost(
            reason='ArchitectureFilter: cannot read image %s to learn its '
                   'platforms: %s' % (image_id, e))
    value = (meta.get('properties') or {}).get(arch.PLATFORMS_PROPERTY)
    _images.put(image_id, (now, value))
    return value
