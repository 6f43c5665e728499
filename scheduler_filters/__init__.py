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
