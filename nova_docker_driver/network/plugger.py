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

"""Host-side plugging strategies, one per VIF type (in the spirit of os-vif).

Every strategy makes the same veth pair (``tap<port>`` on the host,
``ns<port>`` moved into the container and renamed ``eth<N>``); they differ
in what the host end is attached to. A plug that fails at any step deletes
the pair it made, so no half-made veth is left.

With ``[docker_network] host_netns`` set, the pair is still made in
nova-compute's namespace, then the host end moves into the named namespace
before it is attached: bridges and OVS ports are the ones there.
"""

import abc
import os

from oslo_config import cfg
from oslo_log import log as logging

from nova_docker_driver import labels
from nova_docker_driver.network import conf as net_conf
from nova_docker_driver.network import exception
from nova_docker_driver.network import linux_net
from nova_docker_driver.network import ovsdb

CONF = cfg.CONF
LOG = logging.getLogger(__name__)
net_conf.register_opts(CONF)


alias_for = labels.alias_for


def host_netns():
    """The named namespace of the host side, or None (nova-compute's)."""
    return CONF.docker_network.host_netns or None


def host_namespaces():
    """Where host ends may be: nova-compute's namespace, then host_netns.

    nova-compute's own comes too when host_netns is set: a pair is made
    there and a crash before the move leaves it there.
    """
    netns = host_netns()
    return [None, netns] if netns else [None]


def check_host_netns(port_id):
    """Refuse a host_netns that does not exist (before any link is made)."""
    netns = host_netns()
    if netns is None:
        return
    try:
        path = linux_net.netns_path(netns)
    except linux_net.NetnsUnusable as err:
        raise exception.InvalidVif(
            port_id=port_id, field='[docker_network] host_netns',
            value=netns, reason=str(err))
    if not os.path.exists(path):
        raise exception.InvalidVif(
            port_id=port_id, field='[docker_network] host_netns',
            value=netns,
            reason='there is no network namespace %s (make it with '
                   '"ip netns add %s", or unset the option)' % (path, netns))


class VifPlugger(abc.ABC):
    """Wires one VIF type."""

    #: The Nova ``vif['type']`` values this strategy serves.
    vif_types = ()

    @abc.abstractmethod
    def attach_host_end(self, spec, instance_uuid):
        """Attach the (existing) host end to the host's network; set it up."""

    def detach_host_end(self, spec):
        """Undo what attach_host_end recorded outside the link itself."""

    def check(self, spec):
        """Refuse a spec that cannot be wired (before touching links)."""
        check_host_netns(spec.port_id)
        self.check_spec(spec)

    def check_spec(self, spec):
        """Refuse a spec this strategy cannot wire."""

    def netns_config(self, spec, ifname, metric):
        """The config applied to the container's end."""
        return spec.netns_config(ifname, metric)

    def plug(self, spec, instance_uuid, pid, ifname, metric):
        """Create the pair, attach the host end, wire the peer into ``pid``.

        Raises ``linux_net`` errors; the pair is gone when it does.
        """
        self.plug_host(spec, instance_uuid)
        self.plug_peer(spec, pid, ifname, metric)

    def plug_host(self, spec, instance_uuid):
        """Create the pair and attach its host end; the peer stays down on
        the host, in nova-compute's namespace, until ``plug_peer``.

        The switch (ovn-controller, the OVS agent) binds the port from
        here on, before any container runs: a spawn does this while the
        engine creates the container (see the driver's ``_boot``).
        Raises ``linux_net`` errors; the pair is gone when it does.
        """
        self.check(spec)
        self._drop_stale(spec)
        alias = alias_for(instance_uuid)
        linux_net.create_veth(spec.host_name, spec.peer_name, spec.mtu,
                              alias)
        try:
            netns = host_netns()
            if netns:
                linux_net.move_host_end(spec.host_name, netns, alias)
            self.attach_host_end(spec, instance_uuid)
        except Exception:
            self.unplug(spec)
            raise

    def plug_peer(self, spec, pid, ifname, metric):
        """Move the peer of a pair ``plug_host`` made into ``pid``'s
        namespace as ``ifname`` and configure it. Raises ``linux_net``
        errors; the pair is gone when it does."""
        try:
            linux_net.wire_peer(pid, spec.peer_name,
                                self.netns_config(spec, ifname, metric))
        except Exception:
            self.unplug(spec)
            raise

    def refresh(self, spec, instance_uuid, pid, ifname, metric):
        """Re-apply config to a peer already in the container."""
        self.check(spec)
        if linux_net.host_link(spec.host_name,
                               netns=host_netns()) is not None:
            self.attach_host_end(spec, instance_uuid)
        linux_net.configure_in_netns(pid, ifname,
                                     self.netns_config(spec, ifname, metric))

    def unplug(self, spec):
        """Delete the pair from the host side; idempotent."""
        try:
            self.detach_host_end(spec)
        except Exception as err:
            # The links go anyway: a record left in a switch is less harm
            # than a veth left on the host.
            LOG.warning('Could not detach port %s from its switch: %s',
                        spec.port_id, err)
        gone = False
        netns = host_netns()
        if netns:
            try:
                gone = linux_net.delete_link(spec.host_name, netns=netns)
            except linux_net.NetnsUnusable as err:
                # Nothing can be left in a namespace that is not there.
                LOG.warning('Could not look for port %s in network '
                            'namespace %s: %s', spec.port_id, netns, err)
        # Also with host_netns: a plug that failed before the move left
        # the host end here.
        gone = linux_net.delete_link(spec.host_name) or gone
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
        netns = host_netns()
        if netns:
            # One lookup less: delete_link is idempotent, and privileged
            # anyway in another namespace.
            linux_net.delete_link(spec.host_name, netns=netns)


class BridgePlugger(VifPlugger):
    """Host end enslaved to the Linux bridge the network names."""

    vif_types = ('bridge',)

    def check_spec(self, spec):
        if not spec.bridge:
            raise exception.InvalidVif(
                port_id=spec.port_id, field='network.bridge',
                value=spec.bridge,
                reason='a bridge VIF needs the name of its bridge')

    def attach_host_end(self, spec, instance_uuid):
        netns = host_netns()
        linux_net.ensure_bridge(spec.bridge,
                                CONF.docker_network.create_bridges,
                                netns=netns)
        linux_net.set_host_end(spec.host_name, master=spec.bridge,
                               netns=netns)


class TapPlugger(VifPlugger):
    """Host end left as a routed tap-like device (tap / ethernet VIFs).

    The network back-end (for example a routing agent) owns the host side:
    the driver only brings it up.
    """

    vif_types = ('tap', 'ethernet')

    def attach_host_end(self, spec, instance_uuid):
        linux_net.set_host_end(spec.host_name, netns=host_netns())


class OvsPlugger(VifPlugger):
    """Host end as a port of the OVS integration bridge (OVS agent, OVN).

    The port carries the external ids the agent or ovn-controller binds by;
    the bridge (``br-int`` unless the port's binding names another) is
    created if missing, as os-vif does.
    """

    vif_types = ('ovs',)

    def check_spec(self, spec):
        if not spec.bridge:
            raise exception.InvalidVif(
                port_id=spec.port_id, field='network.bridge',
                value=spec.bridge,
                reason='an OVS VIF needs the name of its integration bridge')
        if not ovsdb.available():
            raise exception.InvalidVif(
                port_id=spec.port_id, field='vif_type', value=spec.vif_type,
                reason='Open vSwitch (ovs-vsctl) is not installed on this '
                       'host; install it or map the type with '
                       '[docker_network] vif_type_map')

    def netns_config(self, spec, ifname, metric):
        config = super().netns_config(spec, ifname, metric)
        # The bridges this host makes are user-space ones: TCP through
        # them needs the container's end to compute its own checksums.
        if CONF.docker_network.ovs_datapath_type == 'netdev':
            config['tx_checksum_off'] = True
        return config

    def attach_host_end(self, spec, instance_uuid):
        ovsdb.add_port(spec.bridge, spec.host_name, spec.port_id, spec.mac,
                       instance_uuid)
        linux_net.set_host_end(spec.host_name, netns=host_netns())

    def detach_host_end(self, spec):
        # The link dies with the container's namespace; the OVS record of
        # the port does not, so it is removed by name.
        ovsdb.del_port(spec.host_name)


PLUGGERS = (BridgePlugger(), TapPlugger(), OvsPlugger())


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
