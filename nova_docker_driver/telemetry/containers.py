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

"""The Heat plugin's containers as resources of Ceilometer's compute pollsters.

A template author's ``OS::Docker::Container`` is no Nova server, but
Ceilometer's compute pollsters need little of one: an id, a project and a
user, a name, a flavor, an image, a host id and the server's metadata
(``metering.*`` keys become the samples' ``user_metadata``). ``Container``
gives them from what the plugin put on the container: its labels (project,
user, stack resource, and the author's own ``labels`` property, where
``metering.server_group`` names an autoscaling group as a Nova server's
metadata does) and its live limits. So its samples carry the same meters,
units and Prometheus labels as an instance's (Ceilometer's exporter needs
the same label names on every sample of a meter), with the container id
as the resource id. This module imports neither Nova nor Ceilometer.
"""

import hashlib

from heat_plugin import hosts as heat_hosts
from heat_plugin import labels as heat_labels
from nova_docker_driver.telemetry import reader as reader_mod

#: What a sample's user is when the container does not say (containers
#: made before the plugin labelled the user); never empty, like
#: Ceilometer's own "none" for a server without a server_group.
NO_USER = 'none'
#: The samples' instance_type: the resource type, in place of a flavor.
RESOURCE_TYPE = 'OS::Docker::Container'


def host_id(project_id, host):
    """Nova's hostId of a server of ``project_id`` on ``host``: the same
    hash, so a tenant tells its neighbours apart without the host name."""
    return hashlib.sha224((project_id + host).encode()).hexdigest()


class Container:
    """One running container of the Heat plugin, shaped like the Nova
    server objects Ceilometer's compute pollsters read.

    :param row: the engine's listing of it (``Id``, ``Names``, ``Image``,
        ``Labels``).
    :param host_config: its HostConfig (the live CPU and memory limits).
    :param host: the agent's host name.
    """

    def __init__(self, row, host_config, host):
        lab = row.get('Labels') or {}
        self.id = row['Id']
        self.tenant_id = lab[heat_labels.LABEL_PROJECT]
        self.user_id = lab.get(heat_labels.LABEL_USER) or NO_USER
        names = [n.lstrip('/') for n in row.get('Names') or []]
        container_name = names[0] if names else self.id[:12]
        # The stack's resource name, as a server's display name.
        self.name = lab.get(heat_labels.LABEL_RESOURCE) or container_name
        setattr(self, 'OS-EXT-SRV-ATTR:instance_name', container_name)
        setattr(self, 'OS-EXT-SRV-ATTR:host', host)
        self.hostId = host_id(self.tenant_id, host)
        self.status = 'active'
        self.image = {'id': row.get('Image') or ''}
        vcpus, memory_mb = heat_hosts.live_demand(host_config)
        # 0 vcpus (no CPU limit): the inspector reports the engine's CPUs.
        self.flavor = {'name': RESOURCE_TYPE, 'vcpus': vcpus,
                       'ram': memory_mb, 'disk': 0, 'ephemeral': 0}
        # The author's labels, as a server's metadata.
        self.metadata = {k: v for k, v in lab.items()
                         if not k.startswith('org.openstack.')}

    def __eq__(self, other):
        return isinstance(other, Container) and other.id == self.id

    def __hash__(self):
        return hash(self.id)

    def __repr__(self):
        return '<Container %s of project %s>' % (self.id[:12],
                                                  self.tenant_id)


def discover(heat_reader, host):
    """The Heat plugin's running containers on ``heat_reader``'s engine,
    as ``Container``s; those without a project label are left out (no
    tenant could see their series)."""
    found = []
    for row in heat_reader.running():
        if not (row.get('Labels') or {}).get(heat_labels.LABEL_PROJECT):
            continue
        try:
            host_config = heat_reader.host_config(row['Id'])
        except reader_mod.ContainerGone:
            continue
        found.append(Container(row, host_config, host))
    return found
