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

"""The privsep context of the networking part.

Creating veths, enslaving them to bridges and entering a container's network
namespace need CAP_NET_ADMIN (links, addresses, routes) and CAP_SYS_ADMIN
(setns). CAP_SYS_PTRACE is kept because opening ``/proc/<pid>/ns/net`` of a
container process that runs as another uid is a ptrace-mode access check.

In nova-compute the context starts a ``privsep-helper`` daemon through
Nova's root helper (sudo nova-rootwrap) the first time a privileged
function is called; oslo.rootwrap admits privsep-helper by itself, so no
filter file is needed. Tests and
all-in-one set-ups that already run as root call ``run_in_process()``: the
privileged functions then run in the calling process, which oslo.privsep
supports through ``set_client_mode(False)``; Nova's test base class forbids
starting a helper daemon, so the Nova-side tests use this.
"""

from oslo_privsep import capabilities as caps
from oslo_privsep import priv_context

from nova_docker_driver.network import conf

vif_plug = priv_context.PrivContext(
    'nova_docker_driver',
    cfg_section=conf.PRIVSEP_SECTION,
    pypath=__name__ + '.vif_plug',
    capabilities=[caps.CAP_NET_ADMIN, caps.CAP_SYS_ADMIN,
                  caps.CAP_SYS_PTRACE],
)


def run_in_process(enabled=True):
    """Run privileged functions in this process (it must be root).

    ``run_in_process(False)`` restores the default (a helper daemon).
    """
    vif_plug.set_client_mode(not enabled)
