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

"""Instance diagnostics from one sample of the engine's container stats."""

from nova.compute import power_state
from nova.objects import diagnostics as nova_diagnostics

from nova_docker_driver import limits


def _sample(backend, state):
    if state.status not in ('running', 'paused'):
        return {}
    return backend.stats(state.id) or {}


def legacy(backend, state, instance):
    """The free-form dict of GET /servers/{id}/diagnostics (old API)."""
    stats = _sample(backend, state)
    cpu = (stats.get('cpu_stats') or {}).get('cpu_usage') or {}
    mem = stats.get('memory_stats') or {}
    out = {'status': state.status,
           'memory': instance.flavor.memory_mb * limits.MiB,
           'memory-actual': mem.get('usage', 0),
           'memory-limit': mem.get('limit', 0),
           'cpu0_time': cpu.get('total_usage', 0),
           'pids': (stats.get('pids_stats') or {}).get('current', 0)}
    for entry in ((stats.get('blkio_stats') or {})
                  .get('io_service_bytes_recursive') or []):
        key = 'disk_%s_bytes' % entry.get('op', '').lower()
        out[key] = out.get(key, 0) + entry.get('value', 0)
    return out


def instance(backend, state, instance_obj, pstate):
    """Nova's structured Diagnostics object."""
    stats = _sample(backend, state)
    cpu = (stats.get('cpu_stats') or {}).get('cpu_usage') or {}
    mem = stats.get('memory_stats') or {}
    # 'driver' stays unset: Nova's enum of drivers has no docker.
    diags = nova_diagnostics.Diagnostics(
        state=power_state.STATE_MAP.get(pstate, 'pending'),
        hypervisor='docker', hypervisor_os='linux', config_drive=False)
    per_cpu = cpu.get('percpu_usage') or [cpu.get('total_usage', 0)]
    for i, used in enumerate(per_cpu):
        diags.add_cpu(id=i, time=used)
    diags.memory_details = nova_diagnostics.MemoryDiagnostics(
        maximum=instance_obj.flavor.memory_mb,
        used=mem.get('usage', 0) // limits.MiB)
    return diags

