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

"""What an instance's container uses, read from its engine and its host.

Figures come in the units Ceilometer's compute meters use: CPU time in
nanoseconds, memory in MiB, bytes and packets as counted since the
container started. Network counters are read on the host end of each of
the instance's veths (the ifalias the driver sets) and turned to the
instance's point of view: what the host end sends, the instance receives.
"""

import os
import time

from docker import errors as docker_errors

from heat_plugin import labels as heat_labels
from nova_docker_driver import labels
from nova_docker_driver.network import linux_net

MiB = 1024 * 1024

#: Seconds the container list and the link counters serve a poll: every
#: pollster of one polling round reads the same listing and dump.
LIST_TTL = 5.0
#: Seconds one container's stats serve: the CPU/memory and the disk
#: pollsters of a round read one sample.
STATS_TTL = 1.0


class ContainerGone(Exception):
    """The instance has no container on this host (deleted, or moved)."""


class NotRunning(Exception):
    """The instance's container exists but does not run (SHUTOFF)."""


def _device_name(major, minor):
    """The kernel's name of block device major:minor (sda, dm-0, ...)."""
    try:
        return os.path.basename(os.readlink('/sys/dev/block/%d:%d' % (
            major, minor)))
    except OSError:
        # An engine on another machine: its devices are not ours to name.
        return '%d:%d' % (major, minor)


def _mib(value):
    return None if value is None else value / MiB


class _Cached:
    """One value, fetched again when older than LIST_TTL."""

    def __init__(self, fetch, clock=time.monotonic):
        self._fetch = fetch
        self._clock = clock
        self._at = None
        self._value = None

    def get(self, fresh=False):
        now = self._clock()
        if fresh or self._at is None or now - self._at > LIST_TTL:
            self._value = self._fetch()
            self._at = now
        return self._value


class Reader:
    """Usage of the container instances of one compute host.

    :param api: a ``docker.APIClient`` of the host's engine.
    :param host: nova-compute's host name (the containers' host label).
    :param netns: the named namespace of the host ends of the veths
        (``[docker_network] host_netns``), None for this process' own.
    """

    def __init__(self, api, host, netns=None, clock=time.monotonic):
        self.api = api
        self.host = host
        self.netns = netns
        self._containers = _Cached(self._list, clock)
        self._links = _Cached(self._dump, clock)
        self._clock = clock
        self._samples = {}

    def _filters(self):
        """The engine's filters for the containers this reader reads."""
        return {'label': ['%s=%s' % (labels.LABEL_HOST, self.host)]}

    def _key(self, row):
        """What a listed container is read by: its instance's uuid."""
        return (row.get('Labels') or {}).get(labels.LABEL_UUID)

    def _list(self):
        found = self.api.containers(all=True, filters=self._filters())
        return {key: row for row in found
                for key in [self._key(row)] if key}

    def _dump(self):
        return linux_net.link_counters(labels.ALIAS_PREFIX, self.netns)

    def _container(self, uuid):
        found = self._containers.get().get(uuid)
        if found is None:
            # Booted since the listing: look once more before giving up.
            found = self._containers.get(fresh=True).get(uuid)
        if found is None:
            raise ContainerGone(uuid)
        if found.get('State') != 'running':
            raise NotRunning('%s is %s' % (uuid, found.get('State')))
        return found['Id']

    def _stats(self, uuid):
        cid = self._container(uuid)
        now = self._clock()
        at, stats = self._samples.get(cid, (None, None))
        if at is not None and now - at <= STATS_TTL:
            return stats
        try:
            stats = self.api.stats(cid, stream=False, one_shot=True)
        except docker_errors.NotFound:
            self._samples.pop(cid, None)
            raise ContainerGone(uuid)
        # Only samples young enough to be served again are kept (those of
        # the containers read in the last STATS_TTL): a sample per container
        # of the host, kept from one polling round to the next, would make
        # the polling agent grow by a stats document per instance.
        self._samples = {c: (at, v) for c, (at, v) in self._samples.items()
                         if now - at <= STATS_TTL}
        self._samples[cid] = (now, stats)
        return stats

    def usage(self, uuid):
        """CPU and memory of the instance's container.

        {'cpu_time': ns, 'online_cpus': n, 'memory_usage': MiB used less
        the page cache the kernel can drop, 'memory_resident': MiB of
        anonymous memory, 'memory_limit': MiB}. ContainerGone or
        NotRunning when there is nothing to read.
        """
        stats = self._stats(uuid)
        cpu = stats.get('cpu_stats') or {}
        mem = stats.get('memory_stats') or {}
        detail = mem.get('stats') or {}
        used = mem.get('usage')
        if used is not None:
            # cgroup v2 names the droppable cache inactive_file, v1
            # total_inactive_file (docker stats subtracts the same).
            used -= detail.get('inactive_file',
                               detail.get('total_inactive_file', 0))
        resident = detail.get('anon', detail.get('rss'))
        return {
            'cpu_time': (cpu.get('cpu_usage') or {}).get('total_usage'),
            'online_cpus': cpu.get('online_cpus'),
            'memory_usage': _mib(used),
            'memory_resident': _mib(resident),
            'memory_limit': _mib(mem.get('limit')),
        }

    def disks(self, uuid):
        """Block I/O of the container per host device, sorted by device:
        [{'device', 'read_bytes', 'write_bytes', 'read_requests',
        'write_requests'}] (requests None where cgroup v2 keeps none)."""
        blkio = self._stats(uuid).get('blkio_stats') or {}
        devices = {}

        def add(entries, key):
            for e in entries or []:
                op = (e.get('op') or '').lower()
                if op not in ('read', 'write'):
                    continue
                dev = devices.setdefault(
                    (e.get('major'), e.get('minor')),
                    dict.fromkeys(('read_bytes', 'write_bytes',
                                   'read_requests', 'write_requests')))
                field = '%s_%s' % (op, key)
                dev[field] = (dev[field] or 0) + (e.get('value') or 0)

        add(blkio.get('io_service_bytes_recursive'), 'bytes')
        add(blkio.get('io_serviced_recursive'), 'requests')
        out = []
        for (major, minor), counts in sorted(devices.items()):
            out.append(dict(counts, device=_device_name(major, minor)))
        return out

    def vnics(self, uuid):
        """Traffic of each of the instance's veths, the instance's way:
        [{'name': host end (tap...), 'rx_bytes': received by the
        instance, 'tx_bytes', 'rx_packets', 'tx_packets', 'rx_drop',
        'tx_drop', 'rx_errors', 'tx_errors'}]; [] without a network."""
        self._container(uuid)
        out = []
        for link in self._links.get().get(labels.alias_for(uuid), []):
            out.append({
                'name': link['name'],
                'rx_bytes': link['tx_bytes'], 'tx_bytes': link['rx_bytes'],
                'rx_packets': link['tx_packets'],
                'tx_packets': link['rx_packets'],
                'rx_drop': link['tx_dropped'], 'tx_drop': link['rx_dropped'],
                'rx_errors': link['tx_errors'],
                'tx_errors': link['rx_errors']})
        return out


class HeatContainers(Reader):
    """Usage of the Heat plugin's containers on one engine.

    The containers ``OS::Docker::Container`` created (heat_plugin's owner
    label), read by their container id. Their traffic is what the engine
    counts in each container's own namespace (the stats' ``networks``),
    already the container's way.

    :param api: a ``docker.APIClient`` of the engine.
    """

    def __init__(self, api, clock=time.monotonic):
        super().__init__(api, None, None, clock)

    def _filters(self):
        return {'label': ['%s=true' % heat_labels.LABEL_OWNER]}

    def _key(self, row):
        return row['Id']

    def running(self):
        """The listed rows (``Id``, ``Names``, ``Image``, ``Labels``) of
        the running containers, from a fresh listing, sorted by id."""
        return [row for _, row in sorted(
            self._containers.get(fresh=True).items())
            if row.get('State') == 'running']

    def host_config(self, cid):
        """The container's HostConfig (its live limits); ContainerGone
        once it is removed."""
        try:
            return self.api.inspect_container(cid).get('HostConfig') or {}
        except docker_errors.NotFound:
            raise ContainerGone(cid)

    def vnics(self, cid):
        """Traffic of each interface in the container, sorted by name:
        [{'name': eth0..., 'rx_bytes': received by the container, ...}]
        as ``Reader.vnics``; [] without a network of its own."""
        nets = self._stats(cid).get('networks') or {}
        return [{
            'name': name,
            'rx_bytes': n.get('rx_bytes'), 'tx_bytes': n.get('tx_bytes'),
            'rx_packets': n.get('rx_packets'),
            'tx_packets': n.get('tx_packets'),
            'rx_drop': n.get('rx_dropped'), 'tx_drop': n.get('tx_dropped'),
            'rx_errors': n.get('rx_errors'), 'tx_errors': n.get('tx_errors'),
        } for name, n in sorted(nets.items())]
