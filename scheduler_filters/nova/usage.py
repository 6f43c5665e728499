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

"""Usage from placement, capacity from Nova's compute nodes.

Choice (documented in the README): per-project usage comes from
placement's ``GET /usages?project_id=`` (microversion 1.38, which also
counts instances as consumers), through Nova's own report client, one
query per project named in the plan, once per instance being scheduled
(the filter and the weigher share it), optionally cached for
``usage_cache_seconds``. Placement is what Nova itself uses for quota
counting, so the share decision sees the same numbers, including the
allocations the scheduler just claimed for the previous instance of a
multi-create. Pool capacity is the sum over compute nodes of total x
allocation ratio, read from Nova's database with the aggregates' hosts
and cached for ``capacity_cache_seconds`` (capacity and membership
change rarely; each pool's sum is made once per read). Per-aggregate
pools count the instances on the aggregate's hosts from Nova's database,
since placement cannot report usage per project per provider.
"""

import logging
import threading
import time

from nova import context as nova_ctx
from nova import exception as nova_exception
from nova import objects
from nova.scheduler.client import report
from oslo_context import context as oslo_ctx

from scheduler_filters.core import facts
from scheduler_filters.core import usage

LOG = logging.getLogger(__name__)
USAGES_VERSION = '1.38'


class PlacementUsage(usage.UsageSource):
    def __init__(self, capacity_ttl=30.0, usage_ttl=0.0):
        self.capacity_ttl = capacity_ttl
        self.usage_ttl = usage_ttl
        self._lock = threading.Lock()
        self._nodes = None  # a _Snapshot
        self._refreshing = False
        self._usage = {}  # project -> (time, amounts)

    def project_usage(self, context, project_ids):
        now = time.monotonic()
        out = {}
        client = report.report_client_singleton()
        # The request's context stays the thread's current one (the
        # per-request seam is keyed by its request id), whatever the
        # client does: a Placement served in this process (Nova's test
        # fixture) makes its own request context current.
        current = oslo_ctx.get_current()
        try:
            self._read_usage(context, client, project_ids, now, out)
        finally:
            if current is not None:
                current.update_store()
        return out

    def _read_usage(self, context, client, project_ids, now, out):
        for pid in project_ids:
            hit = self._usage.get(pid)
            if hit is not None and self.usage_ttl and \
                    now - hit[0] < self.usage_ttl:
                out[pid] = hit[1]
                continue
            resp = client.get('/usages?project_id=%s' % pid,
                              version=USAGES_VERSION,
                              global_request_id=context.global_id)
            if not resp:
                raise RuntimeError('placement /usages for project %s: HTTP %s'
                                   % (pid, resp.status_code))
            out[pid] = _amounts(resp.json().get('usages', {}))
            self._usage[pid] = (now, out[pid])

    def instance_allocation(self, context, instance_uuid):
        """What an existing instance holds (its current flavor) when it is
        scheduled again (migrate, resize, evacuate). Read from Nova's
        database: during a move placement has already handed the source
        allocation to the migration record, so the instance's own
        allocations are empty then, while the project's usage still
        counts them."""
        if not instance_uuid:
            return {}
        try:
            im = objects.InstanceMapping.get_by_instance_uuid(
                context, instance_uuid)
        except nova_exception.InstanceMappingNotFound:
            return {}
        if im.cell_mapping is None:
            return {}  # a new boot: not in a cell until it is scheduled
        with nova_ctx.target_cell(context, im.cell_mapping) as cctxt:
            try:
                inst = objects.Instance.get_by_uuid(
                    cctxt, instance_uuid, expected_attrs=['flavor'])
            except nova_exception.InstanceNotFound:
                return {}
        if not inst.host:
            return {}  # shelved-offloaded or never placed: holds nothing
        f = inst.flavor
        return {facts.VCPU: f.vcpus, facts.MEMORY_MB: f.memory_mb,
                facts.DISK_GB: f.root_gb + f.ephemeral_gb,
                facts.INSTANCES: 1}

    def _snapshot(self, context):
        """The compute nodes of every cell and the aggregates' hosts, read
        at most once per ``capacity_ttl``: the fleet, every aggregate
        pool of a request and its members are cut from the same read.

        The first read is made by the request that needs it. Once a read
        is older than ``capacity_ttl`` the next request starts a new one
        in the background and goes on with the last: capacity moves
        slowly, and reading every compute node of a large fleet (seconds
        at 10k) must not land in one request's time. With a TTL of 0
        every call reads.
        """
        now = time.monotonic()
        with self._lock:
            nodes = self._nodes
            if nodes is not None and now - nodes.read_at < self.capacity_ttl:
                return nodes
            if nodes is not None and self.capacity_ttl > 0:
                if not self._refreshing:
                    self._refreshing = True
                    threading.Thread(
                        target=self._refresh, args=(context,), daemon=True,
                        name='docker-scheduler-capacity').start()
                return nodes
            self._nodes = nodes = _read_nodes(context)
            return nodes

    def _refresh(self, context):
        try:
            fresh = _read_nodes(context)
            with self._lock:
                self._nodes = fresh
        except Exception:
            LOG.exception('TenantShareFilter: cannot read the compute '
                          'nodes; the last read stays in use')
        finally:
            with self._lock:
                self._refreshing = False

    def fleet(self, context):
        return self._snapshot(context).fleet

    def aggregate_hosts(self, context):
        """{aggregate name: frozenset of its hosts}, from the same read as
        the capacity (so a pool's members and its capacity agree)."""
        return self._snapshot(context).aggregates

    def hosts_view(self, context, hosts):
        return self.pools_view(context, {None: hosts})[None]

    def pools_view(self, context, pools):
        """Every pool's capacity (cached nodes) and usage, the instances of
        all pools read in one query per cell."""
        if not pools:
            return {}
        snapshot = self._snapshot(context)
        pool_of = {}
        out = {}
        for name, hosts in pools.items():
            hosts = frozenset(hosts)
            for h in hosts:
                pool_of.setdefault(h, name)
            out[name] = (dict(snapshot.capacity(hosts)), {})
        for inst in (_instances_on(context, sorted(pool_of))
                     if pool_of else ()):
            per_project = out[pool_of[inst.host]][1]
            amounts = per_project.setdefault(inst.project_id, {})
            flavor = inst.flavor
            for r, v in ((facts.VCPU, flavor.vcpus),
                         (facts.MEMORY_MB, flavor.memory_mb),
                         (facts.DISK_GB, flavor.root_gb + flavor.ephemeral_gb),
                         (facts.INSTANCES, 1)):
                amounts[r] = amounts.get(r, 0) + v
        return out


def _amounts(usages):
    """Placement /usages at 1.38 ({consumer_type: {rc: n, consumer_count:
    n}}) -> {resource: amount} with instances counted as consumers."""
    out = {facts.VCPU: 0, facts.MEMORY_MB: 0, facts.DISK_GB: 0,
           facts.INSTANCES: 0}
    for ctype, group in usages.items():
        if not isinstance(group, dict):
            continue
        for key, value in group.items():
            if key == 'consumer_count':
                # Migrations hold allocations too; only instances count.
                if ctype in ('INSTANCE', 'unknown'):
                    out[facts.INSTANCES] += value
            elif key in out:
                out[key] += value
    return out


class _Snapshot:
    """One read of the compute nodes and the aggregates' hosts.

    Keeps per host only its capacity sums, not the ComputeNode objects: a
    scheduler holding 10k of those would make every garbage collection of
    its process slower.
    """

    def __init__(self, read_at, nodes, aggregates):
        self.read_at = read_at
        self.by_host = {}  # host -> [VCPU, MEMORY_MB, DISK_GB] capacity
        for n in nodes:
            row = self.by_host.setdefault(n.host, [0, 0, 0])
            for i, value in enumerate(_node_capacity(n)):
                row[i] += value
        self.fleet = _sum_nodes(nodes)
        self.aggregates = aggregates
        self._capacity = {}  # frozenset of hosts -> capacity sums
        self._lock = threading.Lock()

    def capacity(self, hosts):
        """Capacity sums of the nodes of ``hosts`` (a frozenset), summed
        once per snapshot."""
        with self._lock:
            hit = self._capacity.get(hosts)
        if hit is None:
            total = [0, 0, 0]
            for h in hosts:
                row = self.by_host.get(h)
                if row is not None:
                    total = [t + v for t, v in zip(total, row)]
            hit = dict(zip(_CAPACITY_KEYS, total))
            with self._lock:
                self._capacity[hosts] = hit
        return hit


_CAPACITY_KEYS = (facts.VCPU, facts.MEMORY_MB, facts.DISK_GB)


def _node_capacity(n):
    """(VCPU, MEMORY_MB, DISK_GB) of a compute node, times its ratios."""
    return (int(n.vcpus * (n.cpu_allocation_ratio or 1.0)),
            int(n.memory_mb * (n.ram_allocation_ratio or 1.0)),
            int(n.local_gb * (n.disk_allocation_ratio or 1.0)))


def _read_nodes(context):
    """A _Snapshot of the compute nodes and aggregates, read now."""
    read_at = time.monotonic()
    return _Snapshot(read_at, _compute_nodes(context),
                     _aggregate_hosts(context))


def _aggregate_hosts(context):
    """{aggregate name: frozenset of its hosts}."""
    return {a.name: frozenset(a.hosts or ())
            for a in objects.AggregateList.get_all(context)}


def _compute_nodes(context):
    results = nova_ctx.scatter_gather_skip_cell0(
        context, objects.ComputeNodeList.get_all)
    nodes = []
    for cell_uuid, result in results.items():
        if nova_ctx.is_cell_failure_sentinel(result):
            raise RuntimeError('cannot read compute nodes of cell %s'
                               % cell_uuid)
        nodes.extend(result)
    return nodes


def _sum_nodes(nodes):
    cap = {facts.VCPU: 0, facts.MEMORY_MB: 0, facts.DISK_GB: 0}
    used = {facts.VCPU: 0, facts.MEMORY_MB: 0, facts.DISK_GB: 0,
            facts.INSTANCES: 0}
    for n in nodes:
        for key, value in zip(_CAPACITY_KEYS, _node_capacity(n)):
            cap[key] += value
        used[facts.VCPU] += n.vcpus_used
        used[facts.MEMORY_MB] += n.memory_mb_used
        used[facts.DISK_GB] += n.local_gb_used
        stats = n.stats or {}
        used[facts.INSTANCES] += int(stats.get('num_instances', 0))
    return cap, used


def _instances_on(context, hosts):
    results = nova_ctx.scatter_gather_skip_cell0(
        context, objects.InstanceList.get_by_filters,
        {'host': hosts, 'deleted': False}, expected_attrs=['flavor'])
    out = []
    for result in results.values():
        if not nova_ctx.is_cell_failure_sentinel(result):
            out.extend(result)
    return out
