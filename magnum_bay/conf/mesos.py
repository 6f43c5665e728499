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
