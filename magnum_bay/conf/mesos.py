"""[bay_mesos]: Mesos bays (node image supplied by the operator)."""

from oslo_config import cfg

GROUP = cfg.OptGroup('bay_mesos', title='Mesos bays')

OPTS = [
    cfg.StrOpt('node_image', default='dos/mesos-node:latest',
               help='Node image with mesos-master, mesos-agent and '
                    'ZooKeeper. Not built by this project: no Mesos '
                    'binaries are available on this machine.'),
    cfg.IntOpt('master_port', default=5050, min=1, max=65535,
               help='Port of mesos-master (MESOS_PORT on masters).'),
    cfg.IntOpt('agent_port', default=5051, min=1, max=65535,
               help='Port of mesos-agent (MESOS_PORT on workers).'),
    cfg.IntOpt('zookeeper_port', default=2181, min=1, max=65535,
               help='ZooKeeper client port on the masters.'),
    cfg.ListOpt('containerizers', default=['docker', 'mesos'],
                help='MESOS_CONTAINERIZERS of the agents.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(OPTS, group=GROUP)


def list_opts():
    return [(GROUP, OPTS)]
