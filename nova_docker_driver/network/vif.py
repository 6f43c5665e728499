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

"""A Nova VIF turned into a plain, validated wiring spec.

Everything is checked here, before any link exists, so bad port data fails
with an error that names the field and leaves nothing behind.
"""

import dataclasses
import re

import netaddr

from nova_docker_driver.network import exception

# Linux interface names: at most 15 bytes, no '/', ':' or whitespace.
IFNAMSIZ = 15
_IFNAME_BAD = re.compile(r'[/:\s]')
METADATA_ADDRESS = '169.254.169.254'
_MAC = re.compile(r'^([0-9a-f]{2}:){5}[0-9a-f]{2}$')


def host_name(port_id):
    return ('tap' + port_id)[:3 + 11]


def peer_name(port_id):
    return ('ns' + port_id)[:2 + 11]


@dataclasses.dataclass
class VifSpec:
    port_id: str
    vif_type: str
    host_name: str
    peer_name: str
    mac: str
    mtu: int | None
    bridge: str | None
    addresses: list
    routes: list
    #: Turn TX checksum offload off on the container's end: on OVS's
    #: user-space (netdev) datapath a veth's partial checksums are never
    #: completed, so ICMP passes while TCP silently fails.
    tx_checksum_off: bool = False
    #: The DNS servers of the port's subnets, in order, without repeats.
    dns_servers: list = dataclasses.field(default_factory=list)

    def netns_config(self, ifname, metric):
        """The plain-data config the privileged side applies in the netns."""
        return {'ifname': ifname, 'mac': self.mac, 'mtu': self.mtu,
                'metric': metric, 'addresses': self.addresses,
                'routes': self.routes,
                'tx_checksum_off': self.tx_checksum_off}


def _invalid(port_id, field, value, reason):
    return exception.InvalidVif(port_id=port_id, field=field, value=value,
                                reason=reason)


def _check_ifname(port_id, field, name):
    if not name or len(name) > IFNAMSIZ or _IFNAME_BAD.search(name):
        raise _invalid(port_id, field, name,
                       'a Linux interface name has 1-15 characters and no '
                       '"/", ":" or spaces')
    return name


def _mac(port_id, value):
    mac = (value or '').lower()
    if not _MAC.match(mac):
        raise _invalid(port_id, 'address', value,
                       'not a MAC address like fa:16:3e:00:00:01')
    if int(mac[:2], 16) & 1:
        raise _invalid(port_id, 'address', value,
                       'a multicast MAC cannot be an interface address')
    if mac == '00:00:00:00:00:00':
        raise _invalid(port_id, 'address', value, 'the zero MAC is invalid')
    return mac


def _mtu(port_id, network):
    mtu = network.get('meta', {}).get('mtu') if network else None
    if mtu in (None, ''):
        return None
    try:
        mtu = int(mtu)
    except (TypeError, ValueError):
        mtu = -1
    if not 68 <= mtu <= 65535:
        raise _invalid(port_id, 'network.mtu', network['meta']['mtu'],
                       'must be an integer from 68 to 65535')
    return mtu


def _ip(port_id, field, value):
    try:
        return netaddr.IPAddress(value)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        raise _invalid(port_id, field, value, 'not an IP address')


def _address_of(ip):
    if not ip:
        return None
    return ip.get('address') if isinstance(ip, dict) else ip


def _subnet_parts(port_id, subnet, gateways_seen):
    """Addresses and routes of one subnet."""
    cidr = subnet.get('cidr')
    try:
        net = netaddr.IPNetwork(cidr)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        raise _invalid(port_id, 'subnet.cidr', cidr, 'not a CIDR')
    addresses, routes = [], []
    for fixed in subnet.get('ips') or []:
        ip = _ip(port_id, 'fixed_ips.address', _address_of(fixed))
        if ip not in net:
            raise _invalid(port_id, 'fixed_ips.address', str(ip),
                           'outside its subnet %s' % net.cidr)
        address = {'address': str(ip), 'prefixlen': net.prefixlen,
                   'version': ip.version}
        if ip.version == 4 and net.prefixlen < 31:
            address['broadcast'] = str(net.broadcast)
        addresses.append(address)
    gateway = _address_of(subnet.get('gateway'))
    if gateway and addresses:
        gw = _ip(port_id, 'subnet.gateway', gateway)
        if gw.version != net.version:
            raise _invalid(port_id, 'subnet.gateway', gateway,
                           'not of the subnet IP version %d' % net.version)
        # One default route per family and port: a second subnet of the
        # same family with a gateway would only collide with the first.
        if gw.version not in gateways_seen:
            gateways_seen.add(gw.version)
            routes.append({'dst': 'default', 'gateway': str(gw),
                           'version': gw.version,
                           # Neutron allows a gateway outside the subnet;
                           # the kernel then needs to be told it is on-link.
                           'onlink': gw not in net})
    # Without a gateway there is deliberately no default route.
    for route in subnet.get('routes') or []:
        try:
            dst = netaddr.IPNetwork(route.get('cidr'))
        except (netaddr.AddrFormatError, ValueError, TypeError):
            raise _invalid(port_id, 'subnet.routes.cidr', route.get('cidr'),
                           'not a CIDR')
        via = _address_of(route.get('gateway'))
        entry = {'dst': str(dst.cidr), 'version': dst.version,
                 'gateway': None, 'onlink': False}
        if via:
            hop = _ip(port_id, 'subnet.routes.gateway', via)
            if hop.version != dst.version:
                raise _invalid(port_id, 'subnet.routes.gateway', via,
                               'not of the IP version of %s' % dst.cidr)
            entry['gateway'] = str(hop)
        if addresses:
            routes.append(entry)
    return addresses, routes


def dns_servers(vif):
    """The DNS servers of every subnet of ``vif``, ordered, no repeats.

    Nova's network model lists them per subnet under ``dns`` (IP dicts with
    an ``address``, or plain strings in hand-made data).
    """
    port_id = vif.get('id')
    network = vif.get('network') or {}
    found = []
    for subnet in network.get('subnets') or []:
        for entry in subnet.get('dns') or []:
            server = str(_ip(port_id, 'subnet.dns', _address_of(entry)))
            if server not in found:
                found.append(server)
    return found


def _tx_checksum_off(vif):
    details = vif.get('details') or {}
    return details.get('datapath_type') == 'netdev'


def _metadata_route(port_id, addresses, routes, proxies):
    """The route to 169.254.169.254 via the first of ``proxies`` (the
    network's metadata port IPs) that is in a subnet the port has an IPv4
    address in; none when a subnet route already covers it."""
    target = netaddr.IPAddress(METADATA_ADDRESS)
    if any(r['dst'] != 'default' and r['version'] == 4 and
           target in netaddr.IPNetwork(r['dst']) for r in routes):
        return None
    mine = [netaddr.IPNetwork('%s/%d' % (a['address'], a['prefixlen']))
            for a in addresses if a['version'] == 4]
    for proxy in proxies:
        hop = _ip(port_id, 'metadata port address', proxy)
        if any(hop in net for net in mine):
            return {'dst': METADATA_ADDRESS + '/32', 'gateway': str(hop),
                    'version': 4, 'onlink': False}
    return None


def from_vif(vif, metadata_proxies=()):
    """Build and validate the ``VifSpec`` of a Nova VIF (or its dict).

    metadata_proxies: IPs of the metadata port of the VIF's network (see
    network/metadata.py); the first in one of the port's IPv4 subnets
    becomes the route to 169.254.169.254.
    """
    port_id = vif.get('id')
    if not port_id:
        raise _invalid(port_id, 'id', port_id, 'the VIF has no port id')
    vif_type = vif.get('type')
    network = vif.get('network') or {}
    bridge = network.get('bridge')
    if bridge:
        _check_ifname(port_id, 'network.bridge', bridge)
    devname = _check_ifname(port_id, 'devname',
                            vif.get('devname') or host_name(port_id))
    addresses, routes = [], []
    gateways_seen = set()
    for subnet in network.get('subnets') or []:
        a, r = _subnet_parts(port_id, subnet, gateways_seen)
        addresses.extend(a)
        routes.extend(r)
    route = _metadata_route(port_id, addresses,
                            routes, metadata_proxies)
    if route:
        routes.append(route)
    return VifSpec(port_id=port_id, vif_type=vif_type, host_name=devname,
                   peer_name=peer_name(port_id),
                   mac=_mac(port_id, vif.get('address')),
                   mtu=_mtu(port_id, network), bridge=bridge,
                   addresses=addresses, routes=routes,
                   tx_checksum_off=_tx_checksum_off(vif),
                   dns_servers=dns_servers(vif))
