"""OS::Docker::Volume: a named volume containers of the stack mount."""

from heat.engine import attributes
from heat.engine import constraints
from heat.engine import properties
from heat.engine import support

from heat_plugin import exception
from heat_plugin import policy
from heat_plugin import resource_base

P = properties.Schema


class DockerVolume(resource_base.DockerResource):
    """A Docker volume (local driver) on a registered host."""

    support_status = support.SupportStatus(version='27.0.0')

    properties_schema = dict(resource_base.ENDPOINT_SCHEMA)
    properties_schema.update({
        'name': P(P.STRING, 'Volume name (default: a unique name).',
                  constraints=[constraints.AllowedPattern(
                      r'^[a-zA-Z0-9][a-zA-Z0-9_.-]+$')]),
        'driver': P(P.STRING, 'Volume driver.', default='local',
                    constraints=[constraints.AllowedValues(['local'])]),
        # The local driver mounts any host device or path with type/o/device.
        'driver_opts': P(P.MAP, 'Driver options (admin-only).'),
        'labels': P(P.MAP, 'Labels.'),
    })

    attributes_schema = {
        'info': attributes.Schema('Volume inspect data.',
                                  type=attributes.Schema.MAP),
        'name': attributes.Schema('Volume name.',
                                  type=attributes.Schema.STRING),
        'docker_host': attributes.Schema('Docker host of the volume.',
                                         type=attributes.Schema.STRING),
    }

    def policy_needs(self, props):
        needs = super().policy_needs(props)
        if props.get('driver_opts'):
            needs.append((policy.VOLUME_OPTIONS, 'driver_opts',
                          'volume driver options'))
        return needs

    def handle_create(self):
        props = self._props()
        try:
            self.enforce_policy(props)
            engine = self.choose_engine(props)
        except exception.InvalidProperty as e:
            raise resource_base.validation_error(e) from None
        name = props.get('name') or self.physical_resource_name()
        labels = dict(props.get('labels') or {})
        labels.update(self.labels())
        try:
            engine.inspect_volume(name)
        except exception.NotFound:
            pass
        else:
            # Docker would hand back the existing volume and its data.
            raise resource_base.validation_error(exception.InvalidProperty(
                field='name', reason='volume %s already exists' % name))
        self.resource_id_set(engine.create_volume(
            name, driver=props['driver'],
            driver_opts=props.get('driver_opts') or None, labels=labels))

    def handle_delete(self):
        engine = self.engine() if self.resource_id else None
        if engine is None:
            return
        try:
            engine.remove_volume(self.resource_id)
        except exception.NotFound:
            pass

    def handle_check(self):
        self.engine().inspect_volume(self.resource_id)

    def _resolve_attribute(self, name):
        if not self.resource_id:
            return None
        if name == 'docker_host':
            return self.host_name()
        info = self.engine().inspect_volume(self.resource_id)
        return info if name == 'info' else info.get('Name')


def resource_mapping():
    return {'OS::Docker::Volume': DockerVolume}
