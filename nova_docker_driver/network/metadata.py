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

"""Where a container reaches the metadata service (169.254.169.254).

A VM learns it from DHCP: with ML2/OVN, Neutron hands out a route to
169.254.169.254 via the network's metadata port (device owner
``network:distributed``), where the chassis's neutron-ovn-metadata-agent
listens. A container runs no DHCP client, and Nova's network model does
not carry that port, so the driver asks Neutron for it once per wiring and
adds the same route. Networks without such a port (no OVN metadata) get no
route; a failed lookup costs the route, never the boot.
"""

from oslo_config import cfg
from oslo_log import log as logging

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

DEVICE_OWNER = 'network:distributed'


def proxy_addresses(vifs):
    """{network id: [IP of its metadata port, ...]} for ``vifs``' networks."""
    if not CONF.docker_network.metadata_route:
        return {}
    ids = sorted({(vif.get('network') or {}).get('id') for vif in vifs}
                 - {None})
    if not ids:
        return {}
    # Imported here: the option and the route rules load without Nova's
    # network API (and its client stack).
    from nova import context as nova_context
    from nova.network import neutron
    try:
        client = neutron.get_client(nova_context.get_admin_context(),
                                    admin=True)
        ports = client.list_ports(network_id=ids, device_owner=DEVICE_OWNER,
                                  fields=['network_id', 'fixed_ips'])
    except Exception as err:  # noqa: BLE001 - the route is optional
        LOG.warning('No route to the metadata service: looking up the '
                    'metadata ports of networks %s failed: %s',
                    ', '.join(ids), err)
        return {}
    found = {}
    for port in ports.get('ports') or []:
        found.setdefault(port.get('network_id'), []).extend(
            ip.get('ip_address') for ip in port.get('fixed_ips') or []
            if ip.get('ip_address'))
    return found
