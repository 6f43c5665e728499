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

"""Dedicated CPUs: the host's NUMA topology for Nova, and Nova's pinning.

With ``[compute] cpu_dedicated_set`` set, the host reports one NUMA cell
whose ``pcpuset`` is that set and whose ``cpuset`` is ``cpu_shared_set``
(else the other cpus), plus PCPU inventory. A flavor with
``hw:cpu_policy=dedicated`` then gets PCPUs from placement and a pinning
from Nova's resource tracker (``instance.numa_topology``); the driver turns
that pinning into the container's cpuset. Instances without a pinning float
on the shared cpus, as Nova's libvirt driver does it.
"""

from nova import exception as nova_exc
from nova import objects
from nova.virt import hardware

from nova_docker_driver import limits


def cpu_sets(host_cpus):
    """(shared, dedicated) host cpu ids, or (None, None) without pinning."""
    dedicated = hardware.get_cpu_dedicated_set()
    if not dedicated:
        return None, None
    shared = hardware.get_cpu_shared_set()
    if shared is None:
        shared = set(range(host_cpus)) - dedicated
    missing = sorted(c for c in (shared | dedicated) if c >= host_cpus)
    if missing or shared & dedicated:
        raise nova_exc.Invalid(
            '[compute] cpu_dedicated_set / cpu_shared_set name cpus this '
            'host does not have or overlap: %s' % sorted(shared | dedicated))
    return shared, dedicated


def host_topology(host_cpus, memory_mb):
    shared, dedicated = cpu_sets(host_cpus)
    if dedicated is None:
        return None
    cell = objects.NUMACell(
        id=0, socket=0, cpuset=shared, pcpuset=dedicated, memory=memory_mb,
        cpu_usage=0, memory_usage=0, pinned_cpus=set(),
        siblings=[{c} for c in sorted(shared | dedicated)],
        mempages=[objects.NUMAPagesTopology(
            size_kb=4, total=memory_mb * 256, used=0, reserved=0)],
        network_metadata=objects.NetworkMetadata(physnets=set(),
                                                 tunneled=False))
    return objects.NUMATopology(cells=[cell])


def pinned_cpuset(instance):
    """Host cpus Nova pinned the instance to, as a cpuset ('' = none)."""
    topology = instance.numa_topology
    pinned = set()
    for cell in (topology.cells if topology else []):
        if cell.obj_attr_is_set('cpu_pinning_raw') and cell.cpu_pinning:
            pinned |= set(cell.cpu_pinning.values())
    return limits.format_cpuset(pinned) if pinned else ''


def shared_cpuset(host_cpus):
    """Where unpinned instances float when cpus are dedicated ('' = all)."""
    shared, _dedicated = cpu_sets(host_cpus)
    return limits.format_cpuset(shared) if shared else ''
