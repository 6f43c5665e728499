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

    def instance_allocation(self, context, instance_uuid):
        """{resource: amount} the instance already holds (a move or resize
        re-schedules an existing instance); {} for a new one."""
        return {}
