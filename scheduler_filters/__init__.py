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

"""Scheduler filters and weighers for Docker hosts.

The core logic lives in Nova-free modules so the Heat plugin can use it; the
Nova adapters are imported lazily so that ``scheduler_filters.ArchitectureFilter``
and friends resolve for Nova's ``available_filters`` without dragging Nova into
processes that do not have it.
"""

# Public name -> module under scheduler_filters.nova that defines it.
_NOVA_CLASSES = {
    'ArchitectureFilter': 'scheduler_filters.nova.filters',
    'TenantShareFilter': 'scheduler_filters.nova.filters',
    'DockerHostFilter': 'scheduler_filters.nova.filters',
    'InPlaceResizeFilter': 'scheduler_filters.nova.filters',
    'TenantShareWeigher': 'scheduler_filters.nova.weighers',
    'BinPackWeigher': 'scheduler_filters.nova.weighers',
    'EmulationWeigher': 'scheduler_filters.nova.weighers',
    'DockerHostWeigher': 'scheduler_filters.nova.weighers',
}


def __getattr__(name):
    # PEP 562: resolve the Nova classes only when someone asks for them.
    module = _NOVA_CLASSES.get(name)
    if module is None:
        raise AttributeError('module %r has no attribute %r'
                             % (__name__, name))
    import importlib
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + list(_NOVA_CLASSES))
