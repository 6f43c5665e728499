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

"""The plugin's only Docker-facing code: endpoints, cached clients, Engine API calls.

One ``docker.APIClient`` per endpoint per process, shared by every resource
and thread (the old contrib plugin built a new client for every call, which
cost a version negotiation and a new connection each time). Calls that can
take long (create + start, stop, remove) run on one shared thread pool, so a
resource's ``handle_*`` returns at once and Heat's task scheduler can run the
resources of one dependency level side by side.

Errors come out as ``heat_plugin.exception`` types with Docker's text scrubbed
of TLS material.
"""

import collections
import concurrent.futures
import threading

from oslo_config import cfg
from oslo_log import log as logging

from docker_layer import client as layer_client
from docker_layer import compat as layer_compat
from docker_layer import errors as layer_errors
from heat_plugin import conf
from heat_plugin import exception
from heat_plugin import labels as plugin_labels

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

#: Labels the plugin puts on everything it creates (heat_plugin/labels.py).
LABEL_OWNER = plugin_labels.LABEL_OWNER
LABEL_PROJECT = plugin_labels.LABEL_PROJECT
LABEL_USER = plugin_labels.LABEL_USER
LABEL_STACK = plugin_labels.LABEL_STACK
LABEL_RESOURCE = plugin_labels.LABEL_RESOURCE
LABEL_HOST = plugin_labels.LABEL_HOST


#: Paths of the TLS files for a tcp endpoint (never shown anywhere).
TLSFiles = layer_client.TLSFiles


class Endpoint(collections.namedtuple('Endpoint', 'url tls')):
    """An engine address; ``str()`` is the URL only, safe for messages."""

    def __str__(self):
        return self.url

    def secrets(self):
        return self.tls.secrets() if self.tls else ()


def make_endpoint(url, tls=None):
    """An Endpoint for ``url``; tcp URLs take ``tls`` or heat.conf's files."""
    conf.register_opts()
    try:
        default = layer_client.tls_of(CONF.heat_docker, url)
    except layer_client.BadEndpoint as e:
        raise exception.EndpointError(endpoint=url, reason=e) from None
    if default is None and url.startswith('unix://'):
        return Endpoint(url, None)
    return Endpoint(url, tls if tls is not None else default)


def default_endpoint():
    conf.register_opts()
    return make_endpoint(layer_client.endpoint_of(CONF.heat_docker))


class _Errors(layer_errors.ErrorMap):
    """The plugin's names for the engine's failures, TLS material scrubbed.
    """

    def __init__(self, endpoint):
        self.endpoint = endpoint

    def _scrub(self, exc):
        return exception.scrub(layer_errors.reason(exc),
                               self.endpoint.secrets())

    def invalid_config(self, operation, exc):
        reason = self._scrub(exc)
        if isinstance(exc, layer_errors.TLS_INVALID):
            reason = 'bad TLS settings: %s' % reason
        return exception.EndpointError(endpoint=self.endpoint, reason=reason)

    def unavailable(self, operation, exc):
        reason = self._scrub(exc)
        if operation:
            reason = '%s failed: %s' % (operation, reason)
        return exception.EndpointError(endpoint=self.endpoint, reason=reason)

    def not_found(self, operation, exc):
        return exception.NotFound(operation=operation,
                                  reason=self._scrub(exc))

    def conflict(self, operation, exc):
        return exception.Conflict(operation=operation,
                                  reason=self._scrub(exc))

    def api_error(self, operation, exc):
        return exception.DockerAPIError(operation=operation,
                                        reason=self._scrub(exc))


_clients = {}
_clients_lock = threading.Lock()
_pool = None
_pool_lock = threading.Lock()


def api_for(endpoint):
    """The cached APIClient of ``endpoint`` (made on first use)."""
    conf.register_opts()
    opts = CONF.heat_docker
    with _clients_lock:
        client = _clients.get(endpoint)
        if client is None:
            # None: the failure is the engine's or the settings', no
            # operation of a resource yet.
            client = layer_errors.call(
                _Errors(endpoint), None, layer_client.api_client,
                endpoint.url, endpoint.tls, timeout=opts.api_timeout,
                version=opts.api_version,
                max_pool_size=max(opts.max_workers, 10))
            _clients[endpoint] = client
        return client


def forget_clients():
    """Close and drop every cached client (tests, config reload)."""
    with _clients_lock:
        for client in _clients.values():
            try:
                client.close()
            except Exception:  # noqa: S110 - closing is best effort
                pass
        _clients.clear()


def executor():
    """The shared pool that runs slow Engine API calls off Heat's thread."""
    global _pool
    conf.register_opts()
    with _pool_lock:
        if _pool is None:
            _pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=CONF.heat_docker.max_workers,
                thread_name_prefix='heat-docker')
        return _pool


class Engine(object):
    """Named Engine API operations on one endpoint, with errors translated."""

    def __init__(self, endpoint):
        self.endpoint = endpoint
        self.api = api_for(endpoint)

    def _call(self, operation, fn, *args, **kwargs):
        return layer_errors.call(_Errors(self.endpoint), operation, fn,
                                 *args, **kwargs)

    # Engine ------------------------------------------------------------
    def info(self):
        return self._call('info', self.api.info)

    def image_present(self, image):
        try:
            self._call('image inspect', self.api.inspect_image, image)
            return True
        except exception.NotFound:
            return False

    def pull(self, image):
        repo, _sep, tag = image.rpartition(':')
        if not repo or '/' in tag:
            repo, tag = image, 'latest'
        self._call('image pull', self.api.pull, repo, tag=tag)

    # Containers --------------------------------------------------------
    def create_container(self, name=None, stdin_once=False, **kwargs):
        # The SDK's create_container has no StdinOnce; build the config and
        # post it as is.
        def _create():
            config = self.api.create_container_config(**kwargs)
            config['StdinOnce'] = bool(stdin_once)
            return self.api.create_container_from_config(config, name)
        return self._call('container create', _create)['Id']

    def start(self, container):
        self._call('container start', self.api.start, container)

    def inspect(self, container):
        return self._call('container inspect', self.api.inspect_container,
                          container)

    def logs(self, container, tail='all'):
        data = self._call('container logs', self.api.logs, container,
                          stdout=True, stderr=True, tail=tail)
        return data.decode('utf-8', 'replace')

    def stop(self, container, timeout):
        self._call('container stop', self.api.stop, container,
                   timeout=timeout)

    def remove(self, container):
        self._call('container remove', self.api.remove_container, container,
                   v=True, force=True)

    def update(self, container, **fields):
        """Change limits in place; ``fields`` use Engine API names."""
        return self._call('container update', layer_compat.update_container,
                          self.api, container, fields)

    def rename(self, container, name):
        self._call('container rename', self.api.rename, container, name)

    def containers(self, labels=None, all=True):
        filters = {'label': list(labels)} if labels else None
        return self._call('container list', self.api.containers, all=all,
                          filters=filters)

    # Networks ----------------------------------------------------------
    def create_network(self, name, **kwargs):
        return self._call('network create', self.api.create_network, name,
                          **kwargs)['Id']

    def inspect_network(self, network):
        return self._call('network inspect', self.api.inspect_network,
                          network)

    def remove_network(self, network):
        self._call('network remove', self.api.remove_network, network)

    def connect(self, network, container, **kwargs):
        self._call('network connect', self.api.connect_container_to_network,
                   container, network, **kwargs)

    def disconnect(self, network, container):
        self._call('network disconnect',
                   self.api.disconnect_container_from_network,
                   container, network, force=True)

    # Volumes -----------------------------------------------------------
    def create_volume(self, name, **kwargs):
        return self._call('volume create', self.api.create_volume, name,
                          **kwargs)['Name']

    def inspect_volume(self, name):
        return self._call('volume inspect', self.api.inspect_volume, name)

    def remove_volume(self, name):
        self._call('volume remove', self.api.remove_volume, name, force=True)
