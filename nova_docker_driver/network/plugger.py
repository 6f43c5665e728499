"""Host-side plugging strategies, one per VIF type (in the spirit of os-vif).

Every strategy makes the same veth pair (``tap<port>`` on the host,
``ns<port>`` moved into the container and renamed ``eth<N>``); they differ
in what the host end is attached to. A plug that fails at any step deletes
the pair it made, so no half-made veth is left.
"""

import abc

from oslo_config import cfg

from nova_docker_driver.network import conf as net_conf
from nova_docker_driver.network import exception
from nova_docker_driver.network import linux_net

CONF = cfg.CONF
net_conf.register_opts(CONF)


def alias_for(instance_uuid):
    """The ifalias every host end of an instance carries."""
    return 'nova-docker:%s' % instance_uuid


class VifPlugger(abc.ABC):
    """Wires one VIF type."""

    #: The Nova ``vif['type']`` values this strategy serves.
    vif_types = ()

    @abc.abstractmethod
    def attach_host_end(self, spec):
        """Attach the (existing) host end to the host's network; set it up."""

    def check(self, spec):
        """Refuse a spec this strategy cannot wire (before touching links)."""

    def plug(self, spec, instance_uuid, pid, ifname, metric):
        """Create the pair, attach the host end, wire the peer into ``pid``.

        Raises ``linux_net`` errors; the pair is gone when it does.
        """
        self.check(spec)
        self._drop_stale(spec)
        linux_net.create_veth(spec.host_name, spec.peer_name, spec.mtu,
                              alias_for(instance_uuid))
        try:
            self.attach_host_end(spec)
            linux_net.wire_peer(pid, spec.peer_name,
                                spec.netns_config(ifname, metric))
        except Exception:
            linux_net.delete_link(spec.host_name)
            raise

    def refresh(self, spec, pid, ifname, metric):
        """Re-apply config to a peer already in the container."""
        self.check(spec)
        if linux_net.host_link(spec.host_name) is not None:
            self.attach_host_end(spec)
        linux_net.configure_in_netns(pid, ifname,
                                     spec.netns_config(ifname, metric))

    def unplug(self, spec):
        """Delete the pair from the host side; idempotent."""
        gone = linux_net.delete_link(spec.host_name)
        # A pair made but never moved has its peer on the host too.
        linux_net.delete_link(spec.peer_name)
        return gone

    @staticmethod
    def _drop_stale(spec):
        # Left from a crash between create and move, or from an older
        # container whose namespace still exists: start from scratch.
        for name in (spec.host_name, spec.peer_name):
            if linux_net.host_link(name) is not None:
                linux_net.delete_link(name)


class BridgePlugger(VifPlugger):
    """Host end enslaved to the Linux bridge the network names."""

    vif_types = ('bridge',)

    def check(self, spec):
        if not spec.bridge:
            raise exception.InvalidVif(
                port_id=spec.port_id, field='network.bridge',
                value=spec.bridge,
                reason='a bridge VIF needs the name of its bridge')

    def attach_host_end(self, spec):
        linux_net.ensure_bridge(spec.bridge,
                                CONF.docker_network.create_bridges)
        linux_net.set_host_end(spec.host_name, master=spec.bridge)


class TapPlugger(VifPlugger):
    """Host end left as a routed tap-like device (tap / ethernet VIFs).

    The network back-end (for example a routing agent) owns the host side:
    the driver only brings it up.
    """

    vif_types = ('tap', 'ethernet')

    def attach_host_end(self, spec):
        linux_net.set_host_end(spec.host_name)


PLUGGERS = (BridgePlugger(), TapPlugger())


def supported_types():
    return sorted(t for p in PLUGGERS for t in p.vif_types)


def for_spec(spec):
    mapped = CONF.docker_network.vif_type_map.get(spec.vif_type,
                                                  spec.vif_type)
    for plugger in PLUGGERS:
        if mapped in plugger.vif_types:
            return plugger
    raise exception.VifTypeUnsupported(
        port_id=spec.port_id, field='vif_type', value=spec.vif_type,
        supported=', '.join(supported_types()))
