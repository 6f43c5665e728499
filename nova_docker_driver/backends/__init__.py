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
