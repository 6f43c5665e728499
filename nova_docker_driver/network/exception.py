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

