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

"""Plain data the scheduling logic works on: what a host is, what is asked.

Adapters build these from Nova's HostState / RequestSpec or from the Heat
plugin's view of Docker hosts; the logic never sees either framework.
"""

import dataclasses

# Resource names follow placement's resource classes plus an instance count.
VCPU = 'VCPU'
MEMORY_MB = 'MEMORY_MB'
DISK_GB = 'DISK_GB'
INSTANCES = 'instances'
RESOURCES = (VCPU, MEMORY_MB, DISK_GB, INSTANCES)


@dataclasses.dataclass(eq=False)
class HostFacts:
    """One host. ``projects_usage`` maps project id -> {resource: amount};
    ``labels`` are free-form (``aggregates`` lists aggregate names)."""

    name: str
    architectures: frozenset
    emulated_architectures: frozenset
    vcpus_total: int
    vcpus_used: int
    memory_mb_total: int
    memory_mb_used: int
    disk_gb_total: int = 0
    disk_gb_used: int = 0
    instances: int = 0
    projects_usage: dict = dataclasses.field(default_factory=dict)
    labels: dict = dataclasses.field(default_factory=dict)

    def total(self, resource):
        if resource == VCPU:
            return self.vcpus_total
        if resource == MEMORY_MB:
            return self.memory_mb_total
        if resource == DISK_GB:
            return self.disk_gb_total
        return None  # instances: no per-host limit here

    def used(self, resource):
        if resource == VCPU:
            return self.vcpus_used
        if resource == MEMORY_MB:
            return self.memory_mb_used
        if resource == DISK_GB:
            return self.disk_gb_used
        return self.instances

    @property
    def aggregates(self):
        return tuple(self.labels.get('aggregates', ()))


@dataclasses.dataclass(frozen=True)
class RequestFacts:
    """One scheduling request for ``instance_count`` identical instances.

    ``architectures``: what the image can run on (canonical names), None for
    any. ``group_policy``: a Nova server-group policy, ``group_hosts``: the
    hosts already holding members of that group.
    """

    project_id: str
    vcpus: int
    memory_mb: int
    disk_gb: int = 0
    architectures: frozenset | None = None
    instance_count: int = 1
    group_policy: str | None = None
    group_hosts: frozenset = frozenset()

    def demand(self, per_instance=False):
        """{resource: amount} the request needs (all instances by default)."""
        n = 1 if per_instance else self.instance_count
        return {VCPU: self.vcpus * n, MEMORY_MB: self.memory_mb * n,
                DISK_GB: self.disk_gb * n, INSTANCES: n}
