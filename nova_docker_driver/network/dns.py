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

"""The search domains of a container's /etc/resolv.conf.

With Neutron's ``dns`` extension a network has a ``dns_domain``, and ML2/OVN
puts ``<hostname>.<dns_domain>`` for every port of it into OVN's own DNS
table. A VM's DHCP client would put the domain into its search list; a
container runs none, and Nova's network model does not carry the domain,
so the driver asks Neutron for its ports' networks once per create. A
network without a domain adds nothing; a failed lookup costs the search
list, never the boot (names still resolve in full).
"""

from oslo_log import log as logging

LOG = logging.getLogger(__name__)


def network_ids(network_info):
    """The networks of ``network_info``'s ports, in port order."""
    found = []
    for vif in network_info or []:
        net_id = (vif.get('network') or {}).get('id')
        if net_id and net_id not in found:
            found.append(net_id)
    return found


def ordered_domains(networks, ids):
    """``dns_domain`` of each network in ``ids`` order, without the
    trailing dot, no repeats, empty ones left out."""
    by_id = {n.get('id'): (n.get('dns_domain') or '').rstrip('.')
             for n in networks}
    found = []
    for net_id in ids:
        domain = by_id.get(net_id)
        if domain and domain not in found:
            found.append(domain)
    return found


def search_domains(network_info):
    """The DNS domains of ``network_info``'s networks (Neutron's
    ``dns_domain``), for the container's search list."""
    ids = network_ids(network_info)
    if not ids:
        return []
    # Imported here: the rules above load without Nova's network API.
    from nova import context as nova_context
    from nova.network import neutron
    try:
        client = neutron.get_client(nova_context.get_admin_context(),
                                    admin=True)
        networks = client.list_networks(id=ids, fields=['id', 'dns_domain'])
    except Exception as err:  # noqa: BLE001 - the search list is optional
        LOG.warning('No DNS search domains: looking up networks %s failed: '
                    '%s', ', '.join(ids), err)
        return []
    return ordered_domains(networks.get('networks') or [], ids)
