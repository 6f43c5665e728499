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

"""Per-request facts of the filters and weighers: the one shared seam.

Nova calls every enabled filter, then every enabled weigher, for one
instance at a time (``spec_obj.instance_uuid`` is set per instance, also
in a multi-create). What they need to know about the request costs round
trips: the image's architectures (Glance), the share decision (Placement
and Nova's database). ``for_request`` computes them once per scheduling
pass of an instance and hands the same ``RequestState`` to every plug-in
that asks during that pass.

The key is the RequestSpec's values, never its identity: (instance uuid,
request id of the current oslo.context, retry attempt). A migration,
resize or evacuation is a new API request (a new request id); a
reschedule after a failed build is a new attempt. Entries expire after
``MAX_AGE`` seconds and at most ``MAX_ENTRIES`` are kept (least recently
used first out); a request without an instance uuid gets a state that is
not stored. ``reset`` clears everything.

A RequestState holds facts about the request only, never a plug-in's
verdicts on hosts: each filter and weigher judges every host itself.
"""

import collections
import logging
import threading
import time

from nova import context as nova_ctx
from nova.image import glance
from nova.scheduler import utils
from oslo_context import context as oslo_ctx

from scheduler_filters import exception
from scheduler_filters.core import arch
from scheduler_filters.core import loader
from scheduler_filters.core import share
from scheduler_filters.nova import CONF
from scheduler_filters.nova import translate
from scheduler_filters.nova import usage as nova_usage

LOG = logging.getLogger(__name__)

#: RequestStates kept at most (concurrent scheduling passes).
MAX_ENTRIES = 64
#: Seconds a RequestState is reused; far more than one pass takes.
MAX_AGE = 30.0
_IMAGE_TTL = 60.0
_UNLISTED_KEY = ' unlisted projects'
PLAN_OPTION = '[docker_scheduler] share_plan_file'


class _LRU:
    """A bounded, locked mapping of key -> (time stored, value)."""

    def __init__(self, size, max_age, clock=time.monotonic):
        self.size = size
        self.max_age = max_age
        self.clock = clock
        self.data = collections.OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            hit = self.data.get(key)
            if hit is None:
                return None
            if self.clock() - hit[0] >= self.max_age:
                del self.data[key]
                return None
            self.data.move_to_end(key)
            return hit[1]

    def put(self, key, value):
        with self.lock:
            self.data[key] = (self.clock(), value)
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)

    def clear(self):
        with self.lock:
            self.data.clear()


_requests = _LRU(MAX_ENTRIES, MAX_AGE)
_images = _LRU(256, _IMAGE_TTL)
_source = None
_source_lock = threading.Lock()


def request_key(spec_obj):
    """(instance uuid, request id, retry attempt) of a RequestSpec; None
    when it names no instance (such a request is not remembered)."""
    if not (spec_obj.obj_attr_is_set('instance_uuid')
            and spec_obj.instance_uuid):
        return None
    current = oslo_ctx.get_current()
    request_id = current.request_id if current is not None else None
    attempt = 0
    if spec_obj.obj_attr_is_set('retry') and spec_obj.retry is not None:
        retry = spec_obj.retry
        if retry.obj_attr_is_set('num_attempts'):
            attempt = retry.num_attempts
    return (spec_obj.instance_uuid, request_id, attempt)


def for_request(spec_obj):
    """The RequestState of this scheduling pass of ``spec_obj``'s instance,
    computed on the first call of the pass."""
    key = request_key(spec_obj)
    if key is None:
        return RequestState(spec_obj)
    state = _requests.get(key)
    if state is None:
        state = RequestState(spec_obj)
        _requests.put(key, state)
    return state


def contexts():
    """(context for Nova's database, context of the request).

    The request's context is oslo.context's current one, which Nova's RPC
    server sets for the call being served; the database context is an
    admin context carrying its request id and global request id. Outside a
    request (tests, tools) both are an admin context.

    The same request id matters beyond the logs: Nova's ``target_cell``
    makes its copy of the context the thread's current one, so a database
    read of another request id would move this request's later plug-ins
    to a new ``request_key`` and compute its facts again.
    """
    admin = nova_ctx.get_admin_context()
    current = oslo_ctx.get_current()
    if current is None:
        return admin, admin
    admin.request_id = current.request_id
    admin.global_request_id = current.global_id
    return admin, current


class RequestState:
    """What the filters and weighers need to know about one instance.

    ``archs``: canonical architectures the image runs on (None: any);
    ``arch_error``: why they could not be known (the request is refused),
    else None; ``request``: a ``facts.RequestFacts``; ``rebuild``: whether
    this is a rebuild; ``share()``: the share decisions, computed on first
    use.
    """

    def __init__(self, spec_obj):
        self.spec_obj = spec_obj
        self.archs, self.arch_error = _image_architectures(spec_obj)
        if self.arch_error:
            LOG.info('ArchitectureFilter refuses instance %s: %s',
                     uuid_of(spec_obj), self.arch_error)
        self.request = translate.request_facts(spec_obj, self.archs)
        self.rebuild = utils.request_is_rebuild(spec_obj)
        self._share = None
        self._share_built = False
        self.lock = threading.Lock()

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


def uuid_of(spec_obj):
    """The RequestSpec's instance uuid, None when it names none."""
    if spec_obj.obj_attr_is_set('instance_uuid'):
        return spec_obj.instance_uuid
    return None


class ShareView:
    """Share decisions for one instance, per pool (default + aggregates)."""

    def __init__(self, default, by_aggregate, by_host):
        self.default = default
        self.by_aggregate = by_aggregate  # name -> Decision
        self.by_host = by_host  # host name -> Decision (aggregate pools)
        self.decisions = [default] + list(by_aggregate.values())

    def decision(self, host_state):
        # Membership comes from the same database read as the pools'
        # capacity (usage.PlacementUsage), not from the HostManager's
        # aggregate cache, which Nova updates on its own schedule: a
        # pool's capacity and its members stay consistent.
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
    _requests.clear()
    _images.clear()
    translate.forget()


def _build_share(spec_obj, request):
    path = CONF.docker_scheduler.share_plan_file
    if not path:
        return None
    store = loader.store_for(path,
                             CONF.docker_scheduler.share_plan_check_interval,
                             option=PLAN_OPTION)
    config = store.get()
    plan, agg_plans = config.active()
    context, _ctx = contexts()
    source = usage_source()
    demand = request.demand()
    # A move or resize re-schedules an instance that already holds its
    # allocation (counted in the project's usage): only growth is demand,
    # so an operator can always migrate a project that is at its share.
    held = source.instance_allocation(context, uuid_of(spec_obj))
    if held:
        demand = {r: max(0, v - held.get(r, 0)) for r, v in demand.items()}
    agg_decisions = {}
    agg_by_host = {}
    agg_cap = {}
    agg_used = {}  # project -> usage inside aggregate pools
    if agg_plans:
        aggs = source.aggregate_hosts(context)
        taken = set()
        members = {}
        for name in agg_plans:
            hosts = aggs.get(name)
            if hosts is None:
                LOG.warning('share plan names aggregate %s, which does not '
                            'exist', name)
                continue
            # A host in several planned aggregates follows the first.
            members[name] = hosts - taken
            taken |= members[name]
        views = source.pools_view(context, members)
        for name, hosts in members.items():
            capacity, per_project = views[name]
            pool = share.Pool(agg_plans[name], capacity, per_project)
            decision = agg_decisions[name] = pool.decide(request.project_id,
                                                         demand)
            for host in hosts:
                agg_by_host[host] = decision
            _add(agg_cap, capacity)
            for pid, amounts in per_project.items():
                _add(agg_used.setdefault(pid, {}), amounts)
    refused = (share.unlisted_refusal(plan)
               if request.project_id not in plan.by_project else None)
    if refused is not None:
        # No usage is needed to refuse a project the default plan does
        # not take (a project with a pool of its own, say).
        default = refused
    else:
        default = _default_pool(plan, source, context, request, demand,
                                agg_cap, agg_used)
    if not default.allowed:
        LOG.info('TenantShareFilter: project %s refused in the default '
                 'pool: %s', request.project_id, default.reason)
    return ShareView(default, agg_decisions, agg_by_host)


def _default_pool(plan, source, context, request, demand, agg_cap,
                  agg_used):
    """The default pool's decision: the fleet less the aggregate pools,
    usage of the plan's projects from Placement."""
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
    return share.Pool(plan, capacity, usage).decide(request.project_id,
                                                    demand)


def _add(total, amounts):
    for r, v in amounts.items():
        total[r] = total.get(r, 0) + v


def _nodes(plan):
    for root in plan.roots:
        yield from root.walk()


def _image_architectures(spec_obj):
    """(canonical architectures the image runs on or None for any, None)
    or (None, the reason) for an unknown or malformed value or an image
    that cannot be read."""
    image = spec_obj.image if spec_obj.obj_attr_is_set('image') else None
    if image is None:
        return None, None
    props = {}
    if image.obj_attr_is_set('properties'):
        for field in (arch.ARCH_PROPERTY, arch.EMULATION_PROPERTY):
            value = image.properties.get(field)
            if value:
                props[field] = value
    image_id = image.id if image.obj_attr_is_set('id') else None
    if image_id and CONF.docker_scheduler.read_image_platforms:
        try:
            platforms = _image_platforms(image_id)
        except Exception as e:
            return None, ('ArchitectureFilter: cannot read image %s to learn '
                          'its platforms: %s' % (image_id, e))
        if platforms:
            props[arch.PLATFORMS_PROPERTY] = platforms
    try:
        return arch.image_architectures(props), None
    except (exception.UnknownArchitecture, exception.MalformedPlatform) as e:
        return None, 'ArchitectureFilter: image %s: %s' % (image_id, e)


def _image_platforms(image_id):
    hit = _images.get(image_id)
    if hit is not None:
        return hit[0]
    _admin, context = contexts()
    meta = glance.API().get(context, image_id)
    value = (meta.get('properties') or {}).get(arch.PLATFORMS_PROPERTY)
    _images.put(image_id, (value,))
    return value
