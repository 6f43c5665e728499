"""Engine backends: the only code that talks to a container engine.

A backend implements ``base.EngineBackend`` and is found by name in the
``nova_docker_driver.backends`` stevedore namespace, so a second engine API
can be added as a package entry point without touching the driver.
"""

from stevedore import driver as stevedore_driver

from nova_docker_driver import exception

NAMESPACE = 'nova_docker_driver.backends'


def load(name, conf):
    """Build the backend called ``name`` with the ``[docker]`` options."""
    try:
        manager = stevedore_driver.DriverManager(
            NAMESPACE, name, invoke_on_load=True, invoke_args=(conf,))
    except Exception as exc:  # stevedore raises several kinds
        raise exception.BackendNotFound(name=name, reason=exc)
    return manager.driver
