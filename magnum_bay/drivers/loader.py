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

"""Load bay drivers from the ``magnum_bay.drivers`` entry points (stevedore)."""

from stevedore import driver as stevedore_driver
from stevedore import exception as stevedore_exception
from stevedore import extension

from magnum_bay import exception

NAMESPACE = 'magnum_bay.drivers'


def entry_point_name(coe):
    """Entry points use underscores; COE names use dashes (swarm-mode)."""
    return coe.replace('-', '_')


def known_coes():
    mgr = extension.ExtensionManager(NAMESPACE)
    return sorted(name.replace('_', '-') for name in mgr.names())


def load(coe, conf):
    try:
        mgr = stevedore_driver.DriverManager(
            NAMESPACE, entry_point_name(coe or ''), invoke_on_load=True,
            invoke_args=(conf,))
    except (stevedore_exception.NoMatches, RuntimeError):
        raise exception.DriverNotFound(coe=coe,
                                       known=', '.join(known_coes()))
    return mgr.driver
