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

"""OS::Docker::Volume: a named volume containers of the stack mount."""

from heat.engine import constraints
from heat.engine import properties

from heat_plugin import exception
from heat_plugin import policy
from heat_plugin import resource_base

P = properties.Schema


class DockerVolume(resource_base.NamedDockerObject):
    """A Docker volume (local driver) on a registered host."""

    properties_schema = resource_base.object_properties(
        'volume', r'^[a-zA-Z0-9][a-zA-Z0-9_.-]+$',
        driver=P(P.STRING, 'Volume driver.', default='local',
                 constraints=[constraints.AllowedValues(['local'])]),
        # The local driver mounts any host device or path with type/o/device.
        driver_opts=P(P.MAP, 'Driver options (admin-only).'),
    )

    attributes_schema = resource_base.object_attributes('volume')

    OPTIONS = ('driver_opts', policy.VOLUME_OPTIONS, 'volume driver options')

    def create_object(self, engine, props, name, labels):
        try:
            engine.inspect_volume(name)
        except exception.NotFound:
            pass
        else:
            # Docker would hand back the existing volume and its data.
            raise resource_base.validation_error(exception.InvalidProperty(
                field='name', reason='volume %s already exists' % name))
        return engine.create_volume(
            name, driver=props['driver'],
            driver_opts=props.get('driver_opts') or None, labels=labels)

    def inspect_object(self, engine):
        return engine.inspect_volume(self.resource_id)

    def remove_object(self, engine):
        engine.remove_volume(self.resource_id)


def resource_mapping():
    return {'OS::Docker::Volume': DockerVolume}
