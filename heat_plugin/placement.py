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

"""Where a resource with no docker_endpoint goes: the scheduler_filters core.

The request (project, CPUs and memory from the container's limits, the
image's architectures) and the registered hosts' facts go through
``scheduler_filters.core.select.select_hosts``, the same logic behind the
Nova filters and weighers: architecture, tenant share plan, packing.
A container that uses a network, volume or container (volumes_from, links)
is pinned to the host that holds it.
"""

from oslo_config import cfg
from oslo_log import log as logging

from heat_plugin import docker_client
from heat_plugin import exception
from heat_plugin import hosts as hosts_mod
from scheduler_filters.core import arch
from scheduler_filters.core import facts
from scheduler_filters.core import loader
from scheduler_filters.core import select
from scheduler_filters import exception as sched_exception

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

#: Networks every engine has (``default`` is what Docker calls bridge in
#: network_mode); they pin nothing.
BUILTIN_NETWORKS = ('bridge', 'none', 'host', 'default')

#: Seconds between checks of the share plan file for changes.
PLAN_CHECK_INTERVAL = 5.0


def share_plan():
    """The share plan in force (a ``plan.ShareConfig``), None when unset.

    Loaded through the same ``loader`` as the Nova filters and the reclaim
    service: a bad edit keeps the last good plan (and is logged at ERROR,
    naming the file and the problem); a file missing or invalid before any
    plan was loaded raises ``SharePlanUnavailable`` naming the option and
    the path.
    """
    path = CONF.docker_hosts.share_plan_file
    if not path:
        return None
    return loader.store_for(path, PLAN_CHECK_INTERVAL,
                            option='[docker_hosts] share_plan_file').get()


def image_architectures(image, endpoints):
    """Architectures of ``image`` on the hosts that have it (None: unknown)."""
    found = set()
    for endpoint in endpoints:
        try:
            data = docker_client.Engine(endpoint).api.inspect_image(image)
        except Exception:  # noqa: S112 - absent here; other hosts may have it
            continue
        if data.get('Architecture'):
            found.add(data['Architecture'])
    return frozenset(found) or None


def hosts_holding(kind, ref, candidates):
    """Names of the candidate hosts on which a network / volume ``ref`` exists."""
    out = set()
    for name, endpoint in candidates.items():
        engine = docker_client.Engine(endpoint)
        try:
            if kind == 'network':
                engine.inspect_network(ref)
            elif kind == 'container':
                engine.inspect(ref)
            else:
                engine.inspect_volume(ref)
            out.add(name)
        except exception.NotFound:
            continue
    return out


def pin(candidates, kind, refs, field=None):
    """The candidates that hold every one of ``refs`` (``kind`` objects).

    With ``field``, a ref no candidate holds is an error in that property;
    without, it is skipped (a volume not made yet is created where we land).
    """
    for ref in refs:
        holding = hosts_holding(kind, ref, candidates)
        if not holding:
            if field is None:
                continue
            raise exception.InvalidProperty(
                field=field,
                reason='%s %r exists on no registered Docker host'
                % (kind, ref))
        candidates = {n: e for n, e in candidates.items() if n in holding}
    return candidates


def choose(context, what, vcpus=0, memory_mb=0, image=None, networks=(),
           volumes=(), containers=()):
    """(host name, Endpoint) for one new resource, best host first.

    ``what`` names the resource in errors ("container web").
    """
    candidates = hosts_mod.registered(context)
    candidates = pin(candidates, 'network',
                     [n for n in networks if n not in BUILTIN_NETWORKS],
                     'networks')
    candidates = pin(candidates, 'container', containers,
                     'volumes_from/links')
    candidates = pin(candidates, 'volume', volumes)
    if not candidates:
        raise exception.NoValidHost(
            what=what, reason='its networks and volumes are on different '
            'hosts')
    host_facts = []
    unreachable = []
    for name, endpoint in sorted(candidates.items()):
        try:
            host_facts.append(hosts_mod.FACTS.get(name, endpoint))
        except exception.DockerPluginError as e:
            LOG.warning('Docker host %s left out of placement: %s', name, e)
            unreachable.append(name)
    archs = image_architectures(image, candidates.values()) if image else None
    try:
        archs = arch.canonicalize_all(archs, 'image') if archs else None
    except sched_exception.SchedulerFiltersError as e:
        raise exception.NoValidHost(what=what, reason=str(e)) from None
    request = facts.RequestFacts(
        project_id=context.project_id or context.tenant_id or 'unknown',
        vcpus=vcpus, memory_mb=memory_mb, architectures=archs)
    try:
        ranked = select.select_hosts(host_facts, request,
                                     share_plan=share_plan(),
                                     packing=CONF.docker_hosts.strategy)
    except sched_exception.SchedulerFiltersError as e:
        raise exception.NoValidHost(what=what, reason=str(e)) from None
    if not ranked:
        raise exception.NoValidHost(
            what=what, reason=_why_none(host_facts, request, unreachable))
    chosen = ranked[0].name
    hosts_mod.FACTS.record(chosen, request.project_id, vcpus, memory_mb)
    LOG.info('Placed %s on Docker host %s', what, chosen)
    return chosen, candidates[chosen]


def _why_none(host_facts, request, unreachable):
    """The first filter that left no host, in words."""
    if not host_facts:
        return 'no host answers (unreachable: %s)' % ', '.join(unreachable)
    archs = request.architectures
    if not any(select.arch_passes(h, archs) for h in host_facts):
        return ('no host runs the architecture %s of the image (hosts: %s)'
                % ('/'.join(sorted(archs)), ', '.join(
                    '%s=%s' % (h.name, '/'.join(sorted(h.architectures)))
                    for h in host_facts)))
    demand = request.demand(per_instance=True)
    if not any(select.fits(h, demand) for h in host_facts):
        return ('no host has room for %d vCPU / %d MiB'
                % (request.vcpus, request.memory_mb))
    return ('the share plan leaves project %s no share on the hosts that '
            'fit' % request.project_id)
