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

"""Ceilometer's compute pollsters, reading container instances.

Ceilometer's compute agent picks its inspector with ``[DEFAULT]
hypervisor_inspector``, whose only allowed value is ``libvirt``. The
pollsters here are Ceilometer's own compute pollster classes (same meter
names, units and resource ids as on libvirt) with the inspector set to
``DockerInspector`` instead. They form a polling namespace of their own,
``docker``: ``ceilometer-polling --polling-namespaces docker`` loads the
``ceilometer.poll.docker`` entry points (named after their meters, as
Ceilometer's exporter expects to clear a meter's stale series) and the
``ceilometer.discover.docker`` ones (Ceilometer's own instance discovery,
``local_instances``, and ``heat_containers``: the Heat plugin's containers
on the same engine, see containers.py), and never the libvirt pollsters.
A polling source that lists both discoveries measures both kinds with the
same pollsters. The agent's ``[DEFAULT] host`` must be
nova-compute's; its ``[docker]`` endpoint options and ``[docker_network]
host_netns`` are the ones nova-compute has.
"""

import os
import threading

from ceilometer.compute.pollsters import disk
from ceilometer.compute.pollsters import instance_stats
from ceilometer.compute.pollsters import net
from ceilometer.compute.virt import inspector as virt_inspector
from ceilometer.polling import plugin_base
from oslo_log import log as logging

from docker_layer import client as layer_client
from docker_layer import conf as layer_conf
from nova_docker_driver import conf as docker_conf
from nova_docker_driver.network import conf as net_conf
from nova_docker_driver.network import privsep
from nova_docker_driver.telemetry import containers
from nova_docker_driver.telemetry import reader as reader_mod

LOG = logging.getLogger(__name__)


def register_opts(conf):
    """The ``[docker]`` endpoint and ``[docker_network]`` options."""
    layer_conf.register_opts(conf, docker_conf.GROUP,
                             docker_conf.ENDPOINT_OPTS)
    net_conf.register_opts(conf)


class DockerInspector(virt_inspector.Inspector):
    """Ceilometer's inspector interface over ``reader.Reader``."""

    def __init__(self, conf):
        super().__init__(conf)
        register_opts(conf)
        netns = conf.docker_network.host_netns or None
        if netns and os.geteuid() == 0:
            # Reading another namespace's links needs setns: a root agent
            # does it itself rather than through a privsep helper.
            privsep.run_in_process()
        # No engine call here: a pollster that cannot load is skipped.
        api = layer_client.from_conf(conf.docker)
        self.reader = reader_mod.Reader(api, conf.host, netns)
        # The Heat plugin's containers on the same engine.
        self.heat = reader_mod.HeatContainers(api)

    def _read(self, instance, what):
        """``what`` (a Reader method's name) of a Nova instance, or of a
        Heat container (a ``containers.Container``)."""
        reader = (self.heat if isinstance(instance, containers.Container)
                  else self.reader)
        try:
            return getattr(reader, what)(instance.id)
        except reader_mod.ContainerGone:
            raise virt_inspector.InstanceNotFoundException(
                'no container for instance %s on this host' % instance.id)
        except reader_mod.NotRunning as err:
            raise virt_inspector.InstanceShutOffException(str(err))

    def inspect_instance(self, instance, duration=None):
        use = self._read(instance, 'usage')
        flavor = getattr(instance, 'flavor', None) or {}
        return virt_inspector.InstanceStats(
            # The flavor's vcpus, as a libvirt domain has: the CFS quota
            # the driver sets from it. The host's CPUs when unknown.
            cpu_number=flavor.get('vcpus') or use['online_cpus'],
            cpu_time=use['cpu_time'],
            memory_actual=use['memory_limit'],
            memory_usage=use['memory_usage'],
            memory_resident=use['memory_resident'])

    def inspect_vnics(self, instance, duration=None):
        for v in self._read(instance, 'vnics'):
            yield virt_inspector.InterfaceStats(
                name=v['name'], mac=None, fref=None, parameters=None,
                rx_bytes_delta=None, tx_bytes_delta=None,
                **{k: v[k] for k in ('rx_bytes', 'tx_bytes', 'rx_packets',
                                     'tx_packets', 'rx_drop', 'tx_drop',
                                     'rx_errors', 'tx_errors')})

    def inspect_disks(self, instance, duration=None):
        for d in self._read(instance, 'disks'):
            yield virt_inspector.DiskStats(
                device=d['device'], read_bytes=d['read_bytes'],
                read_requests=d['read_requests'],
                write_bytes=d['write_bytes'],
                write_requests=d['write_requests'],
                errors=None, wr_total_times=None, rd_total_times=None)


_lock = threading.Lock()
_inspectors = {}


def inspector_for(conf):
    """The one DockerInspector of an agent's configuration."""
    with _lock:
        found = _inspectors.get(id(conf))
        if found is None:
            found = _inspectors[id(conf)] = DockerInspector(conf)
        return found


class HeatContainerDiscovery(plugin_base.DiscoveryBase):
    """The Heat plugin's running containers on the agent's engine
    (``heat_containers`` in a polling source's ``discovery``)."""

    def __init__(self, conf):
        super().__init__(conf)
        self.inspector = inspector_for(conf)

    def discover(self, manager, param=None):
        return containers.discover(self.inspector.heat, self.conf.host)

    @property
    def group_id(self):
        # Local to the agent's engine, like the compute instance discovery.
        return self.conf.host


class _OnDocker:
    """Binds one of Ceilometer's compute pollsters to DockerInspector."""

    def setup_environment(self):
        # PollsterBase's setup only: the generic compute pollster's would
        # load the libvirt inspector.
        plugin_base.PollsterBase.setup_environment(self)
        self.inspector = inspector_for(self.conf)


class CPUPollster(_OnDocker, instance_stats.CPUPollster):
    """cpu: CPU time used (ns, cumulative)."""


class VCPUsPollster(_OnDocker, instance_stats.VCPUsPollster):
    """vcpus: the flavor's vCPUs."""


class MemoryPollster(_OnDocker, instance_stats.MemoryPollster):
    """memory: the container's memory limit (MiB)."""


class MemoryUsagePollster(_OnDocker, instance_stats.MemoryUsagePollster):
    """memory.usage: used less droppable page cache (MiB)."""


class MemoryResidentPollster(_OnDocker,
                             instance_stats.MemoryResidentPollster):
    """memory.resident: anonymous memory (MiB)."""


class IncomingBytesPollster(_OnDocker, net.IncomingBytesPollster):
    """network.incoming.bytes, per veth."""


class OutgoingBytesPollster(_OnDocker, net.OutgoingBytesPollster):
    """network.outgoing.bytes, per veth."""


class IncomingPacketsPollster(_OnDocker, net.IncomingPacketsPollster):
    """network.incoming.packets, per veth."""


class OutgoingPacketsPollster(_OnDocker, net.OutgoingPacketsPollster):
    """network.outgoing.packets, per veth."""


class IncomingDropPollster(_OnDocker, net.IncomingDropPollster):
    """network.incoming.packets.drop, per veth."""


class OutgoingDropPollster(_OnDocker, net.OutgoingDropPollster):
    """network.outgoing.packets.drop, per veth."""


class IncomingErrorsPollster(_OnDocker, net.IncomingErrorsPollster):
    """network.incoming.packets.error, per veth."""


class OutgoingErrorsPollster(_OnDocker, net.OutgoingErrorsPollster):
    """network.outgoing.packets.error, per veth."""


class ReadBytesPollster(_OnDocker, disk.PerDeviceReadBytesPollster):
    """disk.device.read.bytes, per host block device."""


class WriteBytesPollster(_OnDocker, disk.PerDeviceWriteBytesPollster):
    """disk.device.write.bytes, per host block device."""
