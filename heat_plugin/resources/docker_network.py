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

"""OS::Docker::Network: a user-defined network containers of the stack join."""

from heat.engine import attributes
from heat.engine import constraints
from heat.engine import properties

from heat_plugin import exception
from heat_plugin import policy
from heat_plugin import resource_base

P = properties.Schema


class DockerNetwork(resource_base.NamedDockerObject):
    """A Docker network on a registered host (or a named engine)."""

    properties_schema = resource_base.object_properties(
        'network', r'^[a-zA-Z0-9][a-zA-Z0-9_.-]*$',
        # macvlan / ipvlan attach to host interfaces: not offered.
        driver=P(P.STRING, 'Network driver.', default='bridge',
                 constraints=[constraints.AllowedValues(
                     ['bridge', 'overlay'])]),
        internal=P(P.BOOLEAN, 'No route to the outside.', default=False),
        attachable=P(P.BOOLEAN, 'Attachable (overlay).', default=False),
        options=P(P.MAP, 'Driver options (admin-only: they can name host '
                  'bridges).'),
        subnets=P(P.LIST, 'IPAM pools.', schema=P(P.MAP, schema={
            'subnet': P(P.STRING, 'CIDR.', required=True),
            'gateway': P(P.STRING, 'Gateway address.'),
            'ip_range': P(P.STRING, 'Range for container addresses.'),
        })),
    )

    attributes_schema = resource_base.object_attributes(
        'network',
        subnets=('CIDRs of the network.', attributes.Schema.LIST))

    OPTIONS = ('options', policy.NETWORK_OPTIONS, 'network driver options')

    def _ipam(self, props):
        import ipaddress
        from docker import types as docker_types
        pools = []
        for s in props.get('subnets') or []:
            try:
                net = ipaddress.ip_network(s['subnet'], strict=False)
                if s.get('gateway') and \
                        ipaddress.ip_address(s['gateway']) not in net:
                    raise ValueError('gateway %s is outside %s'
                                     % (s['gateway'], net))
            except ValueError as e:
                raise exception.InvalidProperty(field='subnets',
                                                reason=str(e)) from None
            pools.append(docker_types.IPAMPool(
                subnet=s['subnet'], gateway=s.get('gateway'),
                iprange=s.get('ip_range')))
        return docker_types.IPAMConfig(pool_configs=pools) if pools else None

    def validate_values(self, props):
        super().validate_values(props)
        self._ipam(props)

    def prepare_object(self, props):
        return {'ipam': self._ipam(props)}

    def create_object(self, engine, props, name, labels, ipam=None):
        return engine.create_network(
            name, driver=props['driver'], internal=props['internal'],
            attachable=props['attachable'], labels=labels,
            options=props.get('options') or None, ipam=ipam,
            check_duplicate=True)

    def inspect_object(self, engine):
        return engine.inspect_network(self.resource_id)

    def remove_object(self, engine):
        engine.remove_network(self.resource_id)

    def free_and_remove(self, engine):
        # Containers outside the stack still attached: detach them.
        info = self.inspect_object(engine)
        for cid in (info.get('Containers') or {}):
            engine.disconnect(self.resource_id, cid)
        self.remove_object(engine)
        return True

    def object_attribute(self, name, info):
        if name == 'subnets':
            return [c.get('Subnet') for c in
                    ((info.get('IPAM') or {}).get('Config') or [])]
        return None


def resource_mapping():
    return {'OS::Docker::Network': DockerNetwork}
