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

"""Heat client plugin ``docker`` (entry point ``heat.clients``).

Resources ask it for an Engine on a registered host or on an endpoint a
template names; the Engine API clients underneath are cached per endpoint by
``heat_plugin.docker_client``, so every stack and context shares them.
"""

from heat.engine.clients import client_plugin

from heat_plugin import conf
from heat_plugin import docker_client
from heat_plugin import exception
from heat_plugin import hosts
from heat_plugin import placement

conf.register_opts()


class DockerFleet(object):
    """The Docker hosts as one stack context sees them."""

    def __init__(self, context):
        self.context = context

    def hosts(self):
        return hosts.registered(self.context)

    def engine_on(self, host_name):
        return docker_client.Engine(hosts.lookup(host_name, self.context))

    def engine_at(self, url):
        return docker_client.Engine(docker_client.make_endpoint(url))

    def place(self, what, **request):
        return placement.choose(self.context, what, **request)


class DockerClientPlugin(client_plugin.ClientPlugin):

    exceptions_module = exception
    service_types = []

    def _create(self, version=None):
        return DockerFleet(self.context)

    def is_not_found(self, ex):
        return isinstance(ex, exception.NotFound)

    def is_conflict(self, ex):
        return isinstance(ex, exception.Conflict)

    def is_over_limit(self, ex):
        return False
