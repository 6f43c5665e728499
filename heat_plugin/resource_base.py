"""What every OS::Docker::* resource shares: endpoint choice and policy.

A resource either names an engine (``docker_endpoint``; admin-only by
policy) or is placed on a registered host by
the scheduler. The choice is kept in resource data (``docker_host`` or
``docker_endpoint``, the URL only) so later actions reach the same engine.

This module lives outside the plugin_dirs folder on purpose: heat-engine
loads every module in that folder as a resource module.
"""

from heat.common import exception as heat_exception
from heat.engine import properties
from heat.engine import resource

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


class DockerResource(resource.Resource):
    """Base of the Docker resources (not a resource type by itself)."""

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
            docker_client.LABEL_STACK: self.stack.id or '',
            docker_client.LABEL_RESOURCE: self.name,
        }

    def task_key(self, action):
        return '%s:%s' % (self.uuid, action)
