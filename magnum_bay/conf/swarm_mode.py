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

"""[bay_swarm_mode]: the Docker-in-Docker nodes of swarm-mode bays."""

from oslo_config import cfg

GROUP = cfg.OptGroup('bay_swarm_mode', title='Swarm-mode bays')

OPTS = [
    cfg.StrOpt('default_image', default='dos/bay-node:latest',
               help='Node image used when a template names none; it must '
                    'hold dockerd (tools/node_image.py builds one).'),
    cfg.IntOpt('api_port', default=2376, min=1, max=65535,
               help='Port of each node\'s Docker API over TLS.'),
    cfg.IntOpt('plain_api_port', default=2375, min=1, max=65535,
               help='Port of the node\'s Docker API when the template has '
                    'tls_disabled. dockerd waits 15 s before it serves an '
                    'unauthenticated TCP socket, so such bays start that '
                    'much slower.'),
    cfg.FloatOpt('heartbeat_seconds', default=1.0, min=0.1,
                 help='Swarm dispatcher heartbeat; a dead node shows as '
                      'down after a few heartbeats.'),
    cfg.IntOpt('node_start_timeout', default=60, min=1,
               help='Seconds a node\'s dockerd may take to answer after its '
                    'container started (tls_disabled adds dockerd\'s own '
                    '15 s).'),
    cfg.IntOpt('ready_timeout', default=240, min=1,
               help='Seconds the swarm may take, after a create, scale, '
                    'upgrade or CA rotation, until every node it should '
                    'have reports ready. A worker that lost its manager '
                    'while the managers restarted comes back on its own '
                    'reconnect backoff, which a loaded host stretches past '
                    'a minute.'),
    cfg.IntOpt('rejoin_timeout', default=20, min=1,
               help='Seconds a restarted worker may take to be ready in the '
                    'swarm again before repair replaces it with a fresh '
                    'node.'),
    cfg.IntOpt('drain_timeout', default=30, min=1,
               help='Seconds to wait for tasks to leave a drained node '
                    'before it is removed.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(OPTS, group=GROUP)


def list_opts():
    return [(GROUP, OPTS)]
