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

"""Flavor to kernel-enforced container limits.

memory_mb -> memory hard limit (no swap); vcpus -> CFS quota of vcpus
periods per period, and cpu shares of 1024 per vcpu so busy containers
share the host in proportion to their flavors; a pids limit; a cpuset from
``docker:cpuset`` (admin-set flavor extra spec, e.g. ``0-1`` or ``0,2``) or
from ``hw:cpu_policy=dedicated`` (cpus chosen by the driver, see
``cpus.py``); the root disk size where the storage driver can enforce it.
"""

from nova_docker_driver.backends import base
from nova_docker_driver import exception

MiB = 1024 * 1024
GiB = 1024 * MiB
SHARES_PER_VCPU = 1024

CPUSET_SPEC = 'docker:cpuset'
PIDS_SPEC = 'docker:pids_limit'


def parse_cpuset(text, host_cpus):
    """Sorted cpu ids of a cpuset string; every id must exist on the host."""
    cpus = set()
    try:
        for part in text.split(','):
            part = part.strip()
            if '-' in part:
                lo, hi = (int(x) for x in part.split('-', 1))
                if lo > hi:
                    raise ValueError(part)
                cpus.update(range(lo, hi + 1))
            else:
                cpus.add(int(part))
    except ValueError:
        raise exception.InvalidExtraSpec(
            key=CPUSET_SPEC, value=text,
            reason='expected cpu ids and ranges such as 0-1,3')
    missing = sorted(c for c in cpus if c < 0 or c >= host_cpus)
    if missing:
        raise exception.InvalidExtraSpec(
            key=CPUSET_SPEC, value=text,
            reason='cpus %s do not exist (the host has %d)' % (
                ','.join(map(str, missing)), host_cpus))
    return sorted(cpus)


def format_cpuset(cpus):
    return ','.join(str(c) for c in sorted(cpus))


def pids_limit(flavor, conf):
    default = conf.docker.pids_limit
    value = (flavor.extra_specs or {}).get(PIDS_SPEC)
    if value is None:
        return default
    try:
        limit = int(value)
        if limit < 1:
            raise ValueError(value)
    except ValueError:
        raise exception.InvalidExtraSpec(key=PIDS_SPEC, value=value,
                                         reason='expected a positive integer')
    return limit


def for_flavor(flavor, conf, host_cpus, cpuset='', disk_quota=False):
    """Limits for ``flavor``; ``cpuset`` comes from the pinning logic."""
    extra = flavor.extra_specs or {}
    if not cpuset and extra.get(CPUSET_SPEC):
        cpuset = format_cpuset(parse_cpuset(extra[CPUSET_SPEC], host_cpus))
    period = conf.docker.cpu_period_us
    return base.Limits(
        memory_bytes=flavor.memory_mb * MiB,
        cpu_quota_us=flavor.vcpus * period,
        cpu_period_us=period,
        cpu_shares=flavor.vcpus * SHARES_PER_VCPU,
        pids_limit=pids_limit(flavor, conf),
        cpuset_cpus=cpuset,
        disk_bytes=flavor.root_gb * GiB if disk_quota and flavor.root_gb
        else 0)


def disk_quota_support(info):
    """(supported, storage driver, backing filesystem) from engine info.

    Docker limits a container's root filesystem (--storage-opt size) on
    btrfs, zfs, devicemapper, and overlay2 over xfs mounted with pquota.
    The info does not show the mount option, so overlay2 over xfs counts
    as supported here; the driver learns otherwise from the engine's
    first refusal (``[docker] disk_quota = auto``).
    """
    status = dict(info.get('DriverStatus') or [])
    backing = status.get('Backing Filesystem', '')
    driver_name = info.get('Driver', '')
    supported = (driver_name in ('btrfs', 'zfs', 'devicemapper') or
                 (driver_name == 'overlay2' and backing == 'xfs'))
    return supported, driver_name, backing
