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

"""What every OS::Docker::* resource shares: endpoint choice and policy.

A resource either names an engine (``docker_endpoint``; admin-only by
policy) or is placed on a registered host by
the scheduler. The choice is kept in resource data (``docker_host`` or
``docker_endpoint``, the URL only) so later actions reach the same engine.

This module lives outside the plugin_dirs folder on purpose: heat-engine
loads every module in that folder as a resource module.
"""

from heat.common import exception as heat_exception
from heat.engine import attributes
from heat.engine import constraints
from heat.engine import properties
from heat.engine import resource
from heat.engine import support

from heat_plugin import docker_client
from heat_plugin import exception
from heat_plugin import hosts
from heat_plugin import policy

DOCKER_ENDPOINT = 'docker_endpoint'
ENDPOINT_SCHEMA = {
    DOCKER_ENDPOINT: properties.Schema(
        properties.Schema.STRING,
        'Docker engine to use instead of letting the plugin place the '
        'resource: unix://<socket> or tcp://<host>:<port> '
        '(admin-only by policy docker:endpoint_override). tcp endpoints use '
        'the TLS files of heat.conf [heat_docker]: TLS material never goes '
        'in a template, so it cannot reach events or outputs.'),
}


def validation_error(err):
    return heat_exception.StackValidationFailed(message=str(err))


def attribute_schemas(described):
    """{attribute: (description, type)} -> attributes_schema.

    Every attribute is read from the engine when asked for (CACHE_NONE):
    a container's status, health or logs change behind Heat's back, so a
    value Heat cached in its database would be stale. Not caching also
    keeps ``stack show`` (which stores newly resolved cached attributes in
    the resource's row) from writing the rows of resources that an update
    is working on: in Heat 27 such a write between an UpdateReplace and
    the creation of the replacement stalls a convergence update on
    MySQL/MariaDB (tests/functional/heat_plugin/test_live_attributes.py
    says how).
    """
    return {name: attributes.Schema(desc, type=type_,
                                    cache_mode=attributes.Schema.CACHE_NONE)
            for name, (desc, type_) in described.items()}


class DockerResource(resource.Resource):
    """Base of the Docker resources (not a resource type by itself)."""

    support_status = support.SupportStatus(version='27.0.0')

    def _props(self):
        return dict(self.properties)

    def policy_needs(self, props):
        """(rule, field, what) tuples these property values ask for."""
        needs = []
        if props.get(DOCKER_ENDPOINT):
            needs.append((policy.ENDPOINT, DOCKER_ENDPOINT,
                          'naming a Docker endpoint'))
        return needs

    def enforce_policy(self, props):
        for rule, field, what in self.policy_needs(props):
            policy.enforce(self.context, rule, field, what)

    def validate(self):
        result = super().validate()
        props = self._props()
        try:
            self.enforce_policy(props)
            self.validate_values(props)
        except exception.DockerPluginError as e:
            raise validation_error(e) from None
        return result

    def validate_values(self, props):
        """Per-type checks of values (raise InvalidProperty)."""
        url = props.get(DOCKER_ENDPOINT)
        if url:
            try:
                docker_client.make_endpoint(url)
            except exception.EndpointError as e:
                raise exception.InvalidProperty(field=DOCKER_ENDPOINT,
                                                reason=str(e)) from None

    # Engines --------------------------------------------------------
    def fleet(self):
        return self.client('docker')

    def engine(self):
        """The Engine this resource lives on, or None if never placed."""
        url = self.data().get('docker_endpoint')
        if url:
            return self.fleet().engine_at(url)
        host = self.data().get('docker_host')
        if host:
            return self.fleet().engine_on(host)
        return None

    def host_name(self):
        return self.data().get('docker_host') or \
            self.data().get('docker_endpoint')

    def choose_engine(self, props, **request):
        """Place the resource (or take its named endpoint); remember where."""
        url = props.get(DOCKER_ENDPOINT)
        if url:
            engine = self.fleet().engine_at(url)
            self.data_set('docker_endpoint', url)
            return engine
        name, _endpoint = self.fleet().place(
            '%s %s' % (self.type(), self.name), **request)
        self.data_set('docker_host', name)
        return self.fleet().engine_on(name)

    def forget_usage(self):
        host = self.data().get('docker_host')
        if host:
            hosts.FACTS.invalidate(host)

    def labels(self):
        return {
            docker_client.LABEL_OWNER: 'true',
            docker_client.LABEL_PROJECT: self.context.project_id or '',
            # A stack's stored context (a scaling signal's, through the
            # stack's trust) knows the user as the trustor only.
            docker_client.LABEL_USER: (
                self.context.user_id
                or getattr(self.context, 'trustor_user_id', None) or ''),
            docker_client.LABEL_STACK: self.stack.id or '',
            docker_client.LABEL_RESOURCE: self.name,
        }

    def task_key(self, action):
        return '%s:%s' % (self.uuid, action)


def object_properties(kind, name_pattern, **more):
    """docker_endpoint, name and labels of a network / volume, and ``more``."""
    P = properties.Schema
    schema = dict(ENDPOINT_SCHEMA)
    schema.update({
        'name': P(P.STRING, '%s name (default: a unique name).'
                  % kind.capitalize(),
                  constraints=[constraints.AllowedPattern(name_pattern)]),
        'labels': P(P.MAP, 'Labels.'),
    })
    schema.update(more)
    return schema


def object_attributes(kind, **more):
    """info, name and docker_host of a network / volume, and ``more``."""
    S = attributes.Schema
    return attribute_schemas(dict({
        'info': ('%s inspect data.' % kind.capitalize(), S.MAP),
        'name': ('%s name.' % kind.capitalize(), S.STRING),
        'docker_host': ('Docker host of the %s.' % kind, S.STRING),
    }, **more))


class NamedDockerObject(DockerResource):
    """Base of OS::Docker::Network and OS::Docker::Volume.

    A named object with labels and admin-only driver options, created on
    the engine that placement (or docker_endpoint) gives, removed on delete
    (a missing one is fine), inspected on check and for attributes.
    Subclasses set ``OPTIONS`` (property, policy rule, what) and implement
    the ``*_object`` methods; ``object_properties`` and ``object_attributes``
    give their common schemas.
    """

    OPTIONS = (None, None, None)

    def policy_needs(self, props):
        needs = super().policy_needs(props)
        field, rule, what = self.OPTIONS
        if props.get(field):
            needs.append((rule, field, what))
        return needs

    # What a subclass does on the engine ----------------------------------
    def prepare_object(self, props):
        """Checked values create_object needs (raise InvalidProperty)."""
        return {}

    def create_object(self, engine, props, name, labels, **prepared):
        """Make the object; return its resource id."""
        raise NotImplementedError

    def inspect_object(self, engine):
        raise NotImplementedError

    def remove_object(self, engine):
        raise NotImplementedError

    def free_and_remove(self, engine):
        """Remove an object the engine refused to remove as in use.

        False: it cannot be freed, the engine's refusal stands.
        """
        return False

    def object_attribute(self, name, info):
        """Attributes beyond info, name and docker_host."""
        return None

    # Lifecycle --------------------------------------------------------------
    def handle_create(self):
        props = self._props()
        try:
            self.enforce_policy(props)
            prepared = self.prepare_object(props)
            engine = self.choose_engine(props)
        except exception.InvalidProperty as e:
            raise validation_error(e) from None
        name = props.get('name') or self.physical_resource_name()
        labels = dict(props.get('labels') or {})
        labels.update(self.labels())
        self.resource_id_set(
            self.create_object(engine, props, name, labels, **prepared))

    def handle_delete(self):
        engine = self.engine() if self.resource_id else None
        if engine is None:
            return
        try:
            self.remove_object(engine)
        except exception.NotFound:
            pass
        except exception.DockerAPIError:
            if not self.free_and_remove(engine):
                raise

    def handle_check(self):
        self.inspect_object(self.engine())

    def _resolve_attribute(self, name):
        if not self.resource_id:
            return None
        if name == 'docker_host':
            return self.host_name()
        info = self.inspect_object(self.engine())
        if name == 'info':
            return info
        if name == 'name':
            return info.get('Name')
        return self.object_attribute(name, info)
