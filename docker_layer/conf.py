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

"""The engine options every service registers in its own group.

One spelling for all three services: ``endpoint``, ``tls_verify``,
``tls_ca_cert``, ``tls_client_cert``, ``tls_client_key`` and
``api_timeout``. A service builds its set with ``engine_opts`` (its
defaults, and the names it used before, which stay readable), registers it
with ``register_opts`` and lists it with the rest of its options for
oslo-config-generator.
"""

from oslo_config import cfg

#: Where a service's engine is when neither its option nor $DOCKER_HOST
#: names one.
DEFAULT_ENDPOINT = 'unix:///var/run/docker.sock'

ENDPOINT_HELP = ('Docker Engine API endpoint: unix://<socket>, '
                 'tcp://<host>:<port>, https://<host>:<port> or '
                 'http://<host>:<port>. https always uses TLS; tcp does '
                 'unless tls_verify is false and no tls_* file is set; http '
                 'never does.')


def engine_opts(endpoint_default=None, endpoint_help=None, api_timeout=60,
                deprecated_names=None):
    """The engine options of one service's group (new Opt objects).

    :param endpoint_default: the service's default endpoint; None means
        $DOCKER_HOST, else ``DEFAULT_ENDPOINT`` (see ``client.endpoint_of``).
    :param endpoint_help: what the endpoint is for in this service, put
        before the common help text.
    :param api_timeout: default seconds one Engine API call may take.
    :param deprecated_names: {option name: the name this service used
        before}, read from the same group so old config files keep working.
    """
    old = deprecated_names or {}
    if endpoint_default is None:
        unset = (' Unset: $DOCKER_HOST, else %s.' % DEFAULT_ENDPOINT)
    else:
        unset = ''
    help_prefix = (endpoint_help + ' ') if endpoint_help else ''
    return [
        cfg.StrOpt('endpoint', default=endpoint_default,
                   deprecated_name=old.get('endpoint'),
                   help=help_prefix + ENDPOINT_HELP + unset),
        cfg.BoolOpt('tls_verify', default=True,
                    deprecated_name=old.get('tls_verify'),
                    help='Verify the engine\'s certificate against '
                         'tls_ca_cert (the system CAs when unset). With a '
                         'tcp endpoint and no tls_* file, false means plain '
                         'HTTP.'),
        # Secret: oslo.config masks these when it logs its options, and no
        # message of the project shows them.
        cfg.StrOpt('tls_ca_cert', secret=True,
                   deprecated_name=old.get('tls_ca_cert'),
                   help='CA certificate file of the engine.'),
        cfg.StrOpt('tls_client_cert', secret=True,
                   deprecated_name=old.get('tls_client_cert'),
                   help='Client certificate file (with tls_client_key).'),
        cfg.StrOpt('tls_client_key', secret=True,
                   deprecated_name=old.get('tls_client_key'),
                   help='Client private key file (with tls_client_cert).'),
        cfg.IntOpt('api_timeout', default=api_timeout, min=1,
                   deprecated_name=old.get('api_timeout'),
                   help='Seconds one Engine API call may take.'),
    ]


def register_opts(conf, group, opts):
    """Register a service's ``engine_opts`` (and their group) on ``conf``.

    Registering the same options again is harmless, so every entry point of
    a service may call it.
    """
    conf.register_group(group if isinstance(group, cfg.OptGroup)
                        else cfg.OptGroup(group))
    conf.register_opts(opts, group=group)
