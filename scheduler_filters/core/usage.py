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

"""Where pool capacity and per-project usage come from (pluggable).

The Nova adapter reads placement and Nova's database; tests and the Heat
plugin can hand in plain numbers. Amounts use the resource names of
``facts`` (VCPU, MEMORY_MB, DISK_GB, instances).
"""

import abc


class UsageSource(metaclass=abc.ABCMeta):
    @abc.abstractmethod
    def project_usage(self, context, project_ids):
        """{project_id: {resource: amount}} for the given projects."""

    @abc.abstractmethod
    def fleet(self, context):
        """(capacity, used): {resource: amount} over every compute host."""

    @abc.abstractmethod
    def hosts_view(self, context, hosts):
        """(capacity, {project_id: {resource: amount}}) on those hosts only
        (for per-aggregate pools)."""

    def pools_view(self, context, pools):
        """{pool name: ``hosts_view`` of its hosts} for {pool name: hosts};
        a source may read all pools at once."""
        return {name: self.hosts_view(context, hosts)
                for name, hosts in pools.items()}

    def instance_allocation(self, context, instance_uuid):
        """{resource: amount} the instance already holds (a move or resize
        re-schedules an existing instance); {} for a new one."""
        return {}
