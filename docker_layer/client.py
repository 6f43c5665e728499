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

"""docker SDK clients built from a service's engine options.

Every client ignores the process environment: requests would otherwise let
REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE replace the engine's configured CA and
send engine traffic through an HTTP proxy.
"""

import collections
import os

import docker
import docker.constants

from docker_layer import conf as layer_conf

#: The oldest Engine API the project speaks (Docker 20.10, Debian 12).
MIN_API_VERSION = '1.41'
#: ``version`` value that asks the engine for its own API version.
AUTO = 'auto'

SCHEMES = ('unix', 'tcp', 'http', 'https')


class BadEndpoint(ValueError):
    """An endpoint URL the layer cannot use; ``str()`` says why."""


class TLSFiles(collections.namedtuple(
        'TLSFiles', 'ca_cert client_cert client_key verify')):
    """Paths of the TLS files for one endpoint (never shown anywhere)."""

    def secrets(self):
        """The paths, and the key's lines, for scrubbing messages."""
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

    def config(self):
        """The SDK's TLSConfig (raises TLSParameterError on a bad file)."""
        pair = None
        if self.client_cert or self.client_key:
            # A lone certificate or key is refused by the SDK, by name.
            pair = (self.client_cert, self.client_key)
        return docker.tls.TLSConfig(client_cert=pair, ca_cert=self.ca_cert,
                                    verify=bool(self.verify))


def scheme_of(url):
    """The scheme of an endpoint URL; BadEndpoint unless it is usable."""
    if not url or not isinstance(url, str):
        raise BadEndpoint('empty endpoint')
    scheme = url.split('://', 1)[0] if '://' in url else ''
    if scheme not in SCHEMES:
        raise BadEndpoint('expected unix://<socket> or tcp://<host>:<port>')
    return scheme


def daemon_labels(info):
    """An engine's daemon labels (``info()['Labels']``, "key=value"
    strings) as a dict; labels without a value are left out."""
    return dict(label.split('=', 1) for label in info.get('Labels') or ()
                if '=' in label)


def resolve(url):
    """``url``, else $DOCKER_HOST, else the default socket."""
    return url or os.environ.get('DOCKER_HOST') or layer_conf.DEFAULT_ENDPOINT


def endpoint_of(opts):
    """The endpoint of a service's group (``resolve`` of its option)."""
    return resolve(opts.endpoint)


def tls_of(opts, url):
    """TLSFiles from a service's group for ``url``, or None for no TLS.

    TLS is used for https URLs, and for tcp URLs unless ``tls_verify`` is
    off and no TLS file is set: an engine's API is root on its host, so
    plain HTTP over tcp is an explicit choice (``tls_verify = false``, or
    an http URL). Never for unix sockets.
    """
    scheme = scheme_of(url)
    files = (opts.tls_ca_cert, opts.tls_client_cert, opts.tls_client_key)
    if scheme in ('unix', 'http') or (
            scheme == 'tcp' and not (opts.tls_verify or any(files))):
        return None
    return TLSFiles(*files, verify=opts.tls_verify)


def _isolated(api):
    api.trust_env = False
    return api


def _kwargs(url, tls, timeout, version, max_pool_size):
    kwargs = dict(base_url=url, timeout=timeout, version=version,
                  max_pool_size=max_pool_size)
    if tls is not None:
        kwargs['tls'] = tls.config()
    return kwargs


def negotiate_version(url, tls=None, timeout=60):
    """The engine's own API version, asked without the environment.

    The SDK's ``version='auto'`` asks from its constructor, before the
    environment can be switched off; a short-lived probe client asks here.
    """
    probe = _isolated(docker.APIClient(**_kwargs(
        url, tls, timeout, docker.constants.MINIMUM_DOCKER_API_VERSION, 1)))
    try:
        return probe.version(api_version=False)['ApiVersion']
    finally:
        probe.close()


def _version(url, tls, timeout, version):
    return (negotiate_version(url, tls, timeout) if version == AUTO
            else version)


def api_client(url, tls=None, timeout=60, version=MIN_API_VERSION,
               max_pool_size=10):
    """A low-level ``docker.APIClient`` for ``url``.

    :param tls: TLSFiles, or None for no TLS.
    :param version: an Engine API version, or ``AUTO`` to ask the engine.
    Raises the SDK's errors: TLSParameterError for bad TLS files,
    DockerException / requests errors when ``AUTO`` cannot reach the engine.
    """
    version = _version(url, tls, timeout, version)
    return _isolated(docker.APIClient(**_kwargs(url, tls, timeout, version,
                                                max_pool_size)))


def docker_client(url, tls=None, timeout=60, version=MIN_API_VERSION,
                  max_pool_size=10):
    """A high-level ``docker.DockerClient``; arguments as ``api_client``."""
    version = _version(url, tls, timeout, version)
    client = docker.DockerClient(**_kwargs(url, tls, timeout, version,
                                           max_pool_size))
    _isolated(client.api)
    return client



def from_conf(opts, factory=api_client, **kwargs):
    """A client for the endpoint and TLS options of a service's group.

    :param opts: the group (``conf.<group>``) holding ``engine_opts``.
    :param factory: ``api_client`` or ``docker_client``.
    :param kwargs: ``version`` and ``max_pool_size`` of the factory.
    """
    url = endpoint_of(opts)
    return factory(url, tls_of(opts, url), timeout=opts.api_timeout,
                   **kwargs)
