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

"""heat.conf options of the Docker plugin: ``[heat_docker]`` and ``[docker_hosts]``.

Registered on Heat's global CONF by the client plugin and the resources
(``register_opts``, idempotent) and listed for oslo-config-generator through
the ``oslo.config.opts`` entry point (``list_opts``).
"""

from oslo_config import cfg

from docker_layer import conf as layer_conf

GROUP = cfg.OptGroup(
    'heat_docker', title='Heat Docker plugin',
    help='How heat-engine reaches the Docker engines that run the '
         'OS::Docker::* resources.')

# The endpoint and TLS options (one spelling for every service); the
# default endpoint had its own name before.
ENDPOINT_OPTS = layer_conf.engine_opts(
    endpoint_help='Engine used when no host is registered in '
                  '[docker_hosts] and a template names no docker_endpoint. '
                  'tcp hosts of [docker_hosts] use the TLS files below too.',
    deprecated_names={'endpoint': 'default_endpoint'})

ENGINE_OPTS = [
    cfg.StrOpt('api_version', default='auto',
               help='Engine API version, or auto to negotiate once per '
                    'engine (clients are cached per endpoint).'),
    cfg.IntOpt('max_workers', default=32, min=1,
               help='Width of the thread pool that runs Engine API calls '
                    'for resources, so that Heat creates resources of one '
                    'dependency level in parallel.'),
    cfg.IntOpt('stop_timeout', default=10, min=0,
               help='Seconds a container gets between SIGTERM and SIGKILL '
                    'on suspend and delete.'),
    cfg.BoolOpt('pull_images', default=True,
                help='Pull an image a host lacks before creating a container '
                     'from it (off: such a create fails at once).'),
    cfg.FloatOpt('settle_seconds', default=1.0, min=0,
                 help='A container without a health check must have kept '
                      'running this long after its start before its '
                      'resource is CREATE_COMPLETE, so a container that '
                      'exits at once fails the create instead of passing '
                      'it. A container with a health check is complete '
                      'when it is healthy.'),
    cfg.IntOpt('failure_log_lines', default=20, min=1, max=1000,
               help='Lines of a failed container\'s log quoted in the '
                    'resource\'s status reason.'),
]

HOSTS_GROUP = cfg.OptGroup(
    'docker_hosts', title='Docker hosts for scheduling',
    help='The Docker engines on which containers whose template names no '
         'docker_endpoint are placed by the scheduler_filters logic.')

HOSTS_OPTS = [
    cfg.ListOpt('hosts', default=[],
                help='Registered engines as name=endpoint, for example '
                     'node1=tcp://10.0.0.11:2376,node2=unix:///run/d.sock. '
                     'tcp endpoints use the [heat_docker] TLS files.'),
    cfg.DictOpt('architectures', default={},
                help='Declared architecture per host name (name:arch), '
                     'overriding what the engine reports in /info.'),
    cfg.BoolOpt('discover_from_nova', default=False,
                help='Also register the hypervisors Nova reports with '
                     'hypervisor_type docker (through Heat\'s nova client).'),
    cfg.StrOpt('nova_endpoint_template', default='tcp://{host_ip}:2376',
               help='Engine endpoint of a discovered Nova docker '
                    'hypervisor; {host_ip} and {hypervisor_hostname} are '
                    'filled in.'),
    cfg.IntOpt('facts_ttl', default=30, min=0,
               help='Seconds a host\'s /info facts and container counts are '
                    'reused between placements.'),
    cfg.StrOpt('share_plan_file',
               help='A scheduler_filters share plan (YAML) that decides how '
                    'much of the hosts each project may use; unset: no '
                    'share rules.'),
    cfg.StrOpt('strategy', default='pack', choices=['pack', 'spread'],
               help='pack: fill the busiest host that fits first; spread: '
                    'the least loaded.'),
]


def register_opts(conf=cfg.CONF):
    layer_conf.register_opts(conf, GROUP, ENDPOINT_OPTS)
    conf.register_opts(ENGINE_OPTS, group=GROUP)
    conf.register_group(HOSTS_GROUP)
    conf.register_opts(HOSTS_OPTS, group=HOSTS_GROUP)


def list_opts():
    return [(GROUP, ENDPOINT_OPTS + ENGINE_OPTS), (HOSTS_GROUP, HOSTS_OPTS)]
