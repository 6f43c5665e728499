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

"""Every error of the networking part, each with a message template.

They derive from Nova's ``InvalidInput``: the compute manager aborts a build
that raises it (no reschedule) and records our message as the instance
fault. ``VirtualInterfaceCreateException`` would also abort, but with a
fixed "Failed to allocate the network(s)" fault that hides the cause.
attach_interface failures become Nova's InterfaceAttachFailed either way
(the port is then unbound again by Nova).
"""

from nova import exception as nova_exc


class VifWiringFailed(nova_exc.InvalidInput):
    msg_fmt = ('Could not wire port %(port_id)s into instance '
               '%(instance_uuid)s: %(reason)s')


class InvalidVif(VifWiringFailed):
    msg_fmt = ('Port %(port_id)s cannot be wired: %(field)s %(value)r is '
               'invalid: %(reason)s')


class VifTypeUnsupported(InvalidVif):
    msg_fmt = ('Port %(port_id)s cannot be wired: vif_type %(value)r is not '
               'supported by the Docker driver (supported: %(supported)s; '
               'map other types with [docker_network] vif_type_map, for '
               'example ovs:tap)')


class ContainerNotRunning(VifWiringFailed):
    msg_fmt = ('Could not wire port %(port_id)s into instance '
               '%(instance_uuid)s: the instance has no running container '
               '(no network namespace to plug into)')

