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
import os
import threading

import docker
import docker.constants
from docker import errors as docker_errors
from docker import tls as docker_tls
from oslo_config import cfg
from oslo_log import log as logging
import requests

from heat_plugin import conf
from heat_plugin import exception

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

#: Labels the plugin puts on everything it creates.
LABEL_OWNER = 'org.openstack.heat.docker'
LABEL_PROJECT = 'org.openstack.heat.project'
LABEL_STACK = 'org.openstack.heat.stack'
LABEL_RESOURCE = 'org.openstack.heat.resource'
LABEL_HOST = 'org.openstack.heat.docker-host'


class TLSFiles(collections.namedtuple(
        'TLSFiles', 'ca_cert client_cert client_key verify')):
    """Paths of the TLS files for a tcp endpoint (never shown anywhere)."""

    def secrets(self):
        found = [p for p in (self.ca_cert, self.client_cert, self.client_key)
                 if p]
        # The key itself too, in case an error quotes the file.
        if self.client_key and os.path.isfile(self.client_key):
            try:
                with open(self.client_key) as f:
                    found.extend(line.strip() for line in f
                                 if len(line.strip()) > 16)
            except OSError:
                pass
        return tuple(found)


class Endpoint(collections.namedtuple('Endpoint', 'url tls')):
    """An engine address; ``str()`` is the URL only, safe for messages."""

    def __str__(self):
        return self.url

    def secrets(self):
        return self.tls.secrets() if self.tls else ()


def default_tls():
    conf.register_opts()
    opts = CONF.heat_docker
    if not (opts.tls_ca_cert or opts.tls_client_cert or opts.tls_client_key):
        return None
    return TLSFiles(opts.tls_ca_cert, opts.tls_client_cert,
                    opts.tls_client_key, opts.tls_verify)


def make_endpoint(url, tls=None):
    """An Endpoint for ``url``; tcp URLs take ``tls`` or heat.conf's files."""
    if not url or not isinstance(url, str):
        raise exception.EndpointError(endpoint=url, reason='empty endpoint')
    scheme = url.split('://', 1)[0] if '://' in url else ''
    if scheme not in ('unix', 'tcp', 'https', 'http'):
        raise exception.EndpointError(
            endpoint=url,
            reason='expected unix://<socket> or tcp://<host>:<port>')
    if scheme == 'unix':
        return Endpoint(url, None)
    return Endpoint(url, tls if tls is not None else default_tls())


def default_endpoint():
    conf.register_opts()
    url = (CONF.heat_docker.default_endpoint or os.environ.get('DOCKER_HOST')
           or 'unix:///var/run/docker.sock')
    return make_endpoint(url)


_clients = {}
_clients_lock = threading.Lock()
_pool = None
_pool_lock = threading.Lock()


def _new_client(endpoint):
    opts = CONF.heat_docker
    auto = opts.api_version == 'auto'
    # Negotiation happens in the constructor; it is done below, once the
    # session ignores the environment.
    kwargs = dict(base_url=endpoint.url, timeout=opts.api_timeout,
                  version=docker.constants.MINIMUM_DOCKER_API_VERSION
                  if auto else opts.api_version,
                  max_pool_size=max(opts.max_workers, 10))
    if endpoint.tls is not None:
        t = endpoint.tls
        client_cert = ((t.client_cert, t.client_key)
                       if t.client_cert and t.client_key else None)
        kwargs['tls'] = docker_tls.TLSConfig(
            client_cert=client_cert, ca_cert=t.ca_cert,
            verify=t.ca_cert if (t.verify and t.ca_cert) else bool(t.verify))
    client = docker.APIClient(**kwargs)
    # requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE in the environment
    # replace the session's CA (and proxies apply too): the engine's CA
    # from heat.conf must win, and an engine is never reached via a proxy.
    client.trust_env = False
    if auto:
        client._version = client._retrieve_server_version()
    return client


def api_for(endpoint):
    """The cached APIClient of ``endpoint`` (made on first use)."""
    conf.register_opts()
    with _clients_lock:
        client = _clients.get(endpoint)
        if client is None:
            try:
                client = _new_client(endpoint)
            except docker_errors.TLSParameterError as e:
                raise exception.EndpointError(
                    endpoint=endpoint,
                    reason='bad TLS settings: %s'
                    % exception.scrub(e, endpoint.secrets())) from None
            except (docker_errors.DockerException,
                    requests.RequestException) as e:
                raise exception.EndpointError(
                    endpoint=endpoint,
                    reason=exception.scrub(e, endpoint.secrets())) from None
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
        secrets = self.endpoint.secrets()
        try:
            return fn(*args, **kwargs)
        except docker_errors.NotFound as e:
            raise exception.NotFound(
                operation=operation,
                reason=exception.scrub(e.explanation or e, secrets)) from None
        except docker_errors.APIError as e:
            cls = (exception.Conflict if e.status_code == 409
                   else exception.DockerAPIError)
            raise cls(operation=operation,
                      reason=exception.scrub(e.explanation or e, secrets)
                      ) from None
        except (requests.RequestException, docker_errors.DockerException,
                OSError) as e:
            raise exception.EndpointError(
                endpoint=self.endpoint,
                reason='%s failed: %s' % (
                    operation, exception.scrub(e, secrets))) from None

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
        """POST /containers/{id}/update with Engine API field names.

        The SDK's update_container lacks PidsLimit; the raw call takes every
        field the engine can change in place.
        """
        def _post():
            url = self.api._url('/containers/{0}/update', container)
            return self.api._result(self.api._post_json(url, data=fields),
                                    True)
        return self._call('container update', _post)

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
