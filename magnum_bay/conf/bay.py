"""[bay]: where the bay service keeps its state and how it waits."""

import os

from oslo_config import cfg

GROUP = cfg.OptGroup('bay', title='Bay service')


def _default_state_dir():
    if os.environ.get('DOS_STATE'):
        return os.path.join(os.environ['DOS_STATE'], 'bay')
    return os.path.join(os.path.expanduser('~'), '.docker-bay')


OPTS = [
    cfg.StrOpt('state_dir', default=_default_state_dir(),
               sample_default='$DOS_STATE/bay or ~/.docker-bay',
               help='Folder for the bay database and credentials fetched '
                    'by "cluster config".'),
    cfg.StrOpt('connection', default=None,
               help='SQLAlchemy URL of the bay database; default '
                    'sqlite:///<state_dir>/bays.sqlite.'),
    cfg.StrOpt('docker_host', default=None,
               help='Docker Engine API that runs the node containers; '
                    'default $DOCKER_HOST.'),
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


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(OPTS, group=GROUP)


def list_opts():
    return [(GROUP, OPTS)]
