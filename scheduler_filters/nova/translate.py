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

"""Nova objects -> plain facts.

A host's architectures are parsed from its ``supported_instances``, its
``docker_emulated_architectures`` compute stat and its aggregates'
metadata. The parsing is memoised by those values (``_parse``, bounded):
Nova's HostManager hands every request new HostState objects holding equal
values, so equal values are parsed once, whichever object holds them.
"""

import functools
import logging

from scheduler_filters import exception
from scheduler_filters.core import arch
from scheduler_filters.core import facts

LOG = logging.getLogger(__name__)

#: Distinct (host, architecture inputs) remembered; a fleet fits many times.
PARSED_MAX = 65536


def forget():
    """Drop the memo (tests that count parses)."""
    _parse.cache_clear()


def _inputs(host_state):
    """The values a host's architectures are computed from, hashable."""
    supported = tuple(tuple(e) if isinstance(e, list) else e
                      for e in host_state.supported_instances or ())
    stats = getattr(host_state, 'stats', None)
    label = stats.get(arch.EMULATED_LABEL) if stats else None
    declared = tuple((a.metadata or {}).get(arch.EMULATED_LABEL)
                     for a in host_state.aggregates or ())
    return host_state.host, supported, label, declared


@functools.lru_cache(maxsize=PARSED_MAX)
def _parse(host, supported, label, declared):
    native = set()
    for entry in supported:
        try:
            native.add(arch.canonicalize(entry[0]))
        except (exception.UnknownArchitecture, IndexError, TypeError):
            # A host reporting an arch we cannot name runs nothing we place.
            LOG.warning('host %s reports unknown architecture %r; ignored',
                        host, entry)
    emulated = set()
    for value in (label,) + declared:
        if value:
            emulated |= arch.emulated_declared(value, 'host %s' % host)
    return frozenset(native), frozenset(emulated - native)


def host_architectures(host_state):
    """(native, emulated) canonical architectures of a HostState."""
    inputs = _inputs(host_state)
    try:
        return _parse(*inputs)
    except TypeError:  # an unhashable value in supported_instances
        return _parse.__wrapped__(*inputs)


def runs(host_state, archs):
    """Whether the host runs any of ``archs`` natively or emulated."""
    native, emulated = host_architectures(host_state)
    return not (native.isdisjoint(archs) and emulated.isdisjoint(archs))


def runs_natively(host_state, archs):
    """Whether the host runs any of ``archs`` natively."""
    return not host_architectures(host_state)[0].isdisjoint(archs)


def hosts_running(hosts, archs):
    """The hosts that run any of ``archs`` natively or emulated."""
    return [h for h in hosts if runs(h, archs)]


def native_flags(hosts, archs):
    """1.0 per host that runs any of ``archs`` natively, else 0.0."""
    return [1.0 if runs_natively(h, archs) else 0.0 for h in hosts]


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
