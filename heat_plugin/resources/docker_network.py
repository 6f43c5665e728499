"""OS::Docker::Network: a user-defined network containers of the stack join."""

from heat.engine import attributes
from heat.engine import constraints
from heat.engine import properties
from heat.engine import support

from heat_plugin import exception
from heat_plugin import policy
from heat_plugin import resource_base

P = properties.Schema


class DockerNetwork(resource_base.DockerResource):
    """A Docker network on a registered host (or a named engine)."""

    support_status = support.SupportStatus(version='27.0.0')

    properties_schema = dict(resource_base.ENDPOINT_SCHEMA)
    properties_schema.update({
        'name': P(P.STRING, 'Network name (default: a unique name).',
                  constraints=[constraints.AllowedPattern(
                      r'^[a-zA-Z0-9][a-zA-Z0-9_.-]*$')]),
        # macvlan / ipvlan attach to host interfaces: not offered.
        'driver': P(P.STRING, 'Network driver.', default='bridge',
                    constraints=[constraints.AllowedValues(
                        ['bridge', 'overlay'])]),
        'internal': P(P.BOOLEAN, 'No route to the outside.', default=False),
        'attachable': P(P.BOOLEAN, 'Attachable (overlay).', default=False),
        'labels': P(P.MAP, 'Labels.'),
        'options': P(P.MAP, 'Driver options (admin-only: they can name '
                     'host bridges).'),
        'subnets': P(P.LIST, 'IPAM pools.', schema=P(P.MAP, schema={
            'subnet': P(P.STRING, 'CIDR.', required=True),
            'gateway': P(P.STRING, 'Gateway address.'),
            'ip_range': P(P.STRING, 'Range for container addresses.'),
        })),
    })

    attributes_schema = {
        'info': attributes.Schema('Network inspect data.',
                                  type=attributes.Schema.MAP),
        'name': attributes.Schema('Network name.',
                                  type=attributes.Schema.STRING),
        'subnets': attributes.Schema('CIDRs of the network.',
                                     type=attributes.Schema.LIST),
        'docker_host': attributes.Schema('Docker host of the network.',
                                         type=attributes.Schema.STRING),
    }

    def policy_needs(self, props):
        needs = super().policy_needs(props)
        if props.get('options'):
            needs.append((policy.NETWORK_OPTIONS, 'options',
                          'network driver options'))
        return needs

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

    def handle_create(self):
        props = self._props()
        try:
            self.enforce_policy(props)
            ipam = self._ipam(props)
            engine = self.choose_engine(props)
        except exception.InvalidProperty as e:
            raise resource_base.validation_error(e) from None
        name = props.get('name') or self.physical_resource_name()
        labels = dict(props.get('labels') or {})
        labels.update(self.labels())
        nid = engine.create_network(
            name, driver=props['driver'], internal=props['internal'],
            attachable=props['attachable'], labels=labels,
            options=props.get('options') or None, ipam=ipam,
            check_duplicate=True)
        self.resource_id_set(nid)

    def handle_delete(self):
        engine = self.engine() if self.resource_id else None
        if engine is None:
            return
        try:
            engine.remove_network(self.resource_id)
        except exception.NotFound:
            pass
        except exception.DockerAPIError:
            # Containers outside the stack still attached: detach them.
            info = engine.inspect_network(self.resource_id)
            for cid in (info.get('Containers') or {}):
                engine.disconnect(self.resource_id, cid)
            engine.remove_network(self.resource_id)

    def handle_check(self):
        self.engine().inspect_network(self.resource_id)

    def _resolve_attribute(self, name):
        if not self.resource_id:
            return None
        if name == 'docker_host':
            return self.host_name()
        info = self.engine().inspect_network(self.resource_id)
        if name == 'info':
            return info
        if name == 'name':
            return info.get('Name')
        if name == 'subnets':
            return [c.get('Subnet') for c in
                    ((info.get('IPAM') or {}).get('Config') or [])]
        return None


def resource_mapping():
    return {'OS::Docker::Network': DockerNetwork}
