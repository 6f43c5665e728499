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

"""What the host offers: resources, versions, architecture and cpu stats.

Numbers come from the engine (cpus, memory, architecture, version) and,
for disk, from the filesystem under the engine's data root when it is
local; the engine is the hypervisor, so its view is the one reported.
"""

import json
import logging
import os
import threading

from nova.objects import fields as obj_fields
from oslo_utils import versionutils
import psutil

from docker_layer import client as layer_client
from nova_docker_driver import limits
from scheduler_filters import exception as arch_exc
from scheduler_filters.core import arch

LOG = logging.getLogger(__name__)

HV_TYPE = obj_fields.HVType.DOCKER
VM_MODE = obj_fields.VMMode.EXE
#: Where the kernel lists its binfmt_misc registrations.
BINFMT_MISC = '/proc/sys/fs/binfmt_misc'
_warned = set()
_warned_lock = threading.Lock()


def architecture(version):
    """Nova's name for the engine's architecture (amd64 -> x86_64,
    arm64 -> aarch64: Docker's names, which Nova's own canonicalize does
    not all know, through the project's one mapping)."""
    name = version.get('Arch') or os.uname().machine
    try:
        return arch.canonicalize(name)
    except arch_exc.UnknownArchitecture:
        return obj_fields.Architecture.canonicalize(name)


def binfmt_emulated(root=None):
    """Architectures this host's kernel runs in containers through its
    binfmt_misc registrations (qemu-user with the F flag), canonical
    names. Nothing when binfmt_misc is not mounted or is disabled; a
    registration that cannot serve containers is logged once and skipped.
    """
    root = root or BINFMT_MISC
    try:
        with open(os.path.join(root, 'status')) as f:
            if f.read().strip() != 'enabled':
                return frozenset()
        names = sorted(os.listdir(root))
    except OSError:
        return frozenset()
    found = set()
    for name in names:
        if name in ('status', 'register'):
            continue
        try:
            with open(os.path.join(root, name)) as f:
                text = f.read()
        except OSError:
            continue
        archs, why = arch.binfmt_architectures(text)
        found |= archs
        if why and name.startswith('qemu-'):
            _warn_once(name, why)
    return frozenset(found)


def _warn_once(name, why):
    with _warned_lock:
        if (name, why) in _warned:
            return
        _warned.add((name, why))
    LOG.warning('binfmt_misc entry %s does not count as emulation: %s',
                name, why)


def emulated_architectures(info, local, native, host):
    """What the engine runs besides ``native``: its daemon label
    ``docker_emulated_architectures`` (read as the scheduler and the Heat
    plugin read it) and, for an engine on this host, the kernel's
    binfmt_misc registrations."""
    declared = arch.emulated_declared(
        layer_client.daemon_labels(info).get(arch.EMULATED_LABEL) or '',
        'the Docker engine of host %s' % host)
    detected = binfmt_emulated() if local else frozenset()
    return frozenset(declared | detected) - {native}


def hypervisor_version(version):
    # '20.10.24+dfsg1' -> 20010024
    text = version.get('Version', '0').split('+', 1)[0].split('-', 1)[0]
    return versionutils.convert_version_to_int(text)


def supported_instances(version):
    return [(architecture(version), HV_TYPE, VM_MODE)]


def disk_gb(info):
    """(total, used, free) GB of the filesystem under the data root."""
    root = info.get('DockerRootDir') or '/'
    if not os.path.isdir(root):  # a remote engine: report this host's root
        root = '/'
    st = os.statvfs(root)
    total = st.f_blocks * st.f_frsize // limits.GiB
    free = st.f_bavail * st.f_frsize // limits.GiB
    return total, max(total - free, 0), free


def cpu_info(info, version):
    topology = {'sockets': 1, 'cores': info.get('NCPU', 1), 'threads': 1}
    return json.dumps({
        'arch': architecture(version), 'model': _cpu_model(),
        'vendor': _cpu_field('vendor_id'), 'topology': topology,
        'features': sorted(_cpu_field('flags').split())[:64]})


def _cpu_field(name):
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith(name):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return ''


def _cpu_model():
    return _cpu_field('model name') or 'unknown'


def available_resource(info, version, nodename, emulated=()):
    """Nova's resource dict; ``emulated`` becomes the
    ``docker_emulated_architectures`` stat ArchitectureFilter reads."""
    total_gb, used_gb, free_gb = disk_gb(info)
    memory_mb = info.get('MemTotal', 0) // limits.MiB
    vm = psutil.virtual_memory()
    return {
        'vcpus': info.get('NCPU', os.cpu_count()),
        'memory_mb': memory_mb,
        'local_gb': total_gb,
        'vcpus_used': 0,
        'memory_mb_used': max(memory_mb - vm.available // limits.MiB, 0),
        'local_gb_used': used_gb,
        'hypervisor_type': HV_TYPE,
        'hypervisor_version': hypervisor_version(version),
        'hypervisor_hostname': nodename,
        'cpu_info': cpu_info(info, version),
        'disk_available_least': free_gb,
        'supported_instances': supported_instances(version),
        'numa_topology': None,
        'stats': ({arch.EMULATED_LABEL: ','.join(sorted(emulated))}
                  if emulated else {}),
    }


def host_cpu_stats():
    """Cumulative host cpu times in nanoseconds, as Nova's API shows them."""
    times = psutil.cpu_times()
    freq = psutil.cpu_freq()
    ns = 1000 * 1000 * 1000
    return {
        'kernel': int(times.system * ns),
        'idle': int(times.idle * ns),
        'user': int(times.user * ns),
        'iowait': int(getattr(times, 'iowait', 0) * ns),
        'frequency': int(freq.current) if freq else 0,
    }
