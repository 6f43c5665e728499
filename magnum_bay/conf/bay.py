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

"""[bay]: where the bay service keeps its state and how it waits."""

import os

from oslo_config import cfg

from docker_layer import conf as layer_conf

GROUP = cfg.OptGroup('bay', title='Bay service')


def _default_state_dir():
    if os.environ.get('DOS_STATE'):
        return os.path.join(os.environ['DOS_STATE'], 'bay')
    return os.path.join(os.path.expanduser('~'), '.docker-bay')


SERVICE_OPTS = [
    cfg.StrOpt('state_dir', default=_default_state_dir(),
               sample_default='$DOS_STATE/bay or ~/.docker-bay',
               help='Folder for the bay database and credentials fetched '
                    'by "cluster config".'),
    cfg.StrOpt('connection', default=None,
               help='SQLAlchemy URL of the bay database; default '
                    'sqlite:///<state_dir>/bays.sqlite.'),
    cfg.IntOpt('default_create_timeout', default=10, min=1,
               help='Minutes a create may take when the bay names none.'),
    cfg.FloatOpt('poll_interval', default=0.1, min=0.05,
                 help='Seconds between checks while waiting for nodes.'),
    cfg.DictOpt('flavors',
                default={'tiny': '256:0.5', 'small': '512:1',
                         'medium': '1024:2', 'large': '2048:4'},
                help='Node flavors as name:"memory_mb:cpus"; a template\'s '
                     'flavor_id and master_flavor_id must name one.'),
]


# The engine that runs the node containers, spelled as in every service;
# its endpoint was docker_host before.
ENGINE_OPTS = layer_conf.engine_opts(
    endpoint_help='Docker engine that runs the node containers.',
    api_timeout=120, deprecated_names={'endpoint': 'docker_host'})

OPTS = ENGINE_OPTS + SERVICE_OPTS


def register_opts(conf):
    layer_conf.register_opts(conf, GROUP, ENGINE_OPTS)
    conf.register_opts(SERVICE_OPTS, group=GROUP)


def list_opts():
    return [(GROUP, OPTS)]
