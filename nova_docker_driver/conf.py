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

"""The ``[docker]`` options of the Nova Docker driver.

Registered on Nova's global CONF by the driver (``register_opts``) and
listed for oslo-config-generator through the ``oslo.config.opts`` entry
point (``list_opts``).
"""

from oslo_config import cfg

from docker_layer import conf as layer_conf

GROUP = cfg.OptGroup(
    'docker', title='Docker virt driver',
    help='How nova-compute reaches and uses the Docker engine that runs '
         'its instances as containers.')

# The endpoint and TLS options (one spelling for every service), with the
# names this driver used before.
ENDPOINT_OPTS = layer_conf.engine_opts(
    endpoint_default=layer_conf.DEFAULT_ENDPOINT,
    deprecated_names={'tls_ca_cert': 'tls_ca', 'tls_client_cert': 'tls_cert',
                      'tls_client_key': 'tls_key'})

ENGINE_OPTS = [
    cfg.StrOpt('backend', default='docker_api',
               help='Engine backend, by name in the '
                    'nova_docker_driver.backends stevedore namespace.'),
    cfg.BoolOpt('lifecycle_events', default=True,
                help='Watch the engine for containers that stop, start, '
                     'pause or unpause and tell Nova at once (its power-'
                     'state sync), rather than at the next periodic sync.'),
    cfg.IntOpt('stop_timeout', default=10, min=0,
               help='Seconds a container gets between SIGTERM and SIGKILL '
                    'when Nova stops it and gives no timeout of its own.'),
]

IMAGE_OPTS = [
    cfg.StrOpt('image_cache_dir', default='$state_path/docker-images',
               help='Where Glance image tarballs are staged while they are '
                    'loaded into the engine (each is deleted once loaded; '
                    'the loaded image is the cache, tagged by image id).'),
    cfg.StrOpt('instances_dir', default='$state_path/docker-instances',
               help='Per-instance host directories (the config-drive tree '
                    'bind-mounted read-only into containers of a local '
                    'engine); removed with the instance.'),
    cfg.StrOpt('image_repository', default='nova-glance',
               help='Engine repository under which images loaded from '
                    'Glance are tagged (<repository>:<glance image id>).'),
]

LIMIT_OPTS = [
    cfg.IntOpt('pids_limit', default=1024, min=-1,
               help='Most processes one container may hold (-1: no '
                    'limit). A flavor may lower it with docker:pids_limit.'),
    cfg.IntOpt('cpu_period_us', default=100000, min=1000, max=1000000,
               help='CFS period; the quota is vcpus times this.'),
    cfg.StrOpt('disk_quota', default='auto',
               choices=['auto', 'on', 'off'],
               help='Limit the container root filesystem to the flavor '
                    'root_gb with the storage driver (auto: only where the '
                    'storage driver supports it, and off after the first '
                    'refusal of an engine whose info cannot tell, such as '
                    'overlay2 on xfs without pquota; on: fail spawns where '
                    'it does not).'),
]

CONSOLE_OPTS = [
    cfg.IntOpt('spawn_health_timeout', default=300, min=0,
               help='When the image declares a health check (a Dockerfile '
                    'HEALTHCHECK), a new server becomes ACTIVE only once '
                    'its container is healthy; one that turns unhealthy, '
                    'exits, or is not healthy after this many seconds '
                    'fails the build (ERROR, with the reason in the fault) '
                    'and its container is removed. 0: do not wait.'),
    cfg.IntOpt('console_log_bytes', default=100 * 1024, min=1024,
               help='Most bytes of container logs returned as console '
                    'output (the tail is kept).'),
    cfg.StrOpt('serial_console_command', default='/bin/sh',
               help='What a serial console connection runs with a tty '
                    'inside the container (split like a shell would), as '
                    'the image\'s user. Serial consoles need Nova\'s '
                    '[serial_console] enabled and nova-serialproxy; the '
                    'driver listens on [serial_console] '
                    'proxyclient_address, one port of port_range per '
                    'instance.'),
    cfg.IntOpt('serial_console_sessions', default=4, min=1,
               help='Most serial console connections one instance serves '
                    'at once; more are told so and closed.'),
]

RECONCILE_OPTS = [
    cfg.IntOpt('reconcile_interval', default=60, min=0,
               help='Seconds between two looks for containers labelled for '
                    'this host whose instance Nova has deleted (a delete '
                    'that could not reach this host, a failed move); they '
                    'are handled as running_deleted_instance_action says '
                    '(reap: removed). nova-compute also looks once at '
                    'start. 0: only at start.'),
]

DRIVER_OPTS = (ENGINE_OPTS + IMAGE_OPTS + LIMIT_OPTS + CONSOLE_OPTS +
               RECONCILE_OPTS)
ALL_OPTS = ENDPOINT_OPTS + DRIVER_OPTS


def register_opts(conf):
    layer_conf.register_opts(conf, GROUP, ENDPOINT_OPTS)
    conf.register_opts(DRIVER_OPTS, group=GROUP)


def list_opts():
    # One entry point for the whole driver: the networking part's options
    # (and its privsep section) are listed with these.
    from nova_docker_driver.network import conf as network_conf
    return [(GROUP, ALL_OPTS)] + network_conf.list_opts()
