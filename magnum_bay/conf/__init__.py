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

"""Configuration of the bay service, one module per topic.

``register_opts(conf)`` puts every option on ``conf`` (oslo.config's global
CONF by default); ``list_opts()`` feeds oslo-config-generator through the
``oslo.config.opts`` entry point. Groups are prefixed ``bay`` so they never
clash with Magnum's own groups when the Kubernetes driver runs inside Magnum.
"""

from oslo_config import cfg

from magnum_bay.conf import bay
from magnum_bay.conf import kubernetes
from magnum_bay.conf import mesos
from magnum_bay.conf import swarm_mode

CONF = cfg.CONF
_MODULES = (bay, swarm_mode, kubernetes, mesos)


def register_opts(conf=CONF):
    for module in _MODULES:
        module.register_opts(conf)


def list_opts():
    opts = []
    for module in _MODULES:
        opts.extend(module.list_opts())
    return opts


register_opts(CONF)
