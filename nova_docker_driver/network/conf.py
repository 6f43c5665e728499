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

"""The ``[docker_network]`` options: how ports are wired into containers.

``list_opts`` also lists the options of the privsep context that runs the
privileged netlink calls (section ``[docker_network_privileged]``).
"""

import copy

from oslo_config import cfg
from oslo_privsep import priv_context

GROUP = cfg.OptGroup(
    'docker_network', title='Docker driver networking',
    help='How Neutron ports become veth pairs in container namespaces.')

PRIVSEP_SECTION = 'docker_network_privileged'

OPTS = [
    cfg.BoolOpt('create_bridges', default=True,
                help='Create the Linux bridge a bridge VIF names when it '
                     'does not exist (it is never deleted by the driver, '
                     'since other instances and agents share it). When '
                     'false, a missing bridge fails the plug.'),
    cfg.DictOpt('vif_type_map', default={},
                help='Wire VIFs of one Nova vif_type with the strategy of '
                     'another, as <vif_type>:<strategy> pairs (strategies: '
                     'bridge, tap, ethernet, ovs). For hosts whose ports Neutron '
                     'binds as a type this driver has no strategy for, for '
                     'example ovs:tap on a host without Open vSwitch where '
                     'something else routes the tap devices.'),
    cfg.StrOpt('ovsdb_connection',
               help='ovsdb the OVS strategy talks to, as ovs-vsctl --db '
                    'takes it (unix:<socket> or tcp:<ip>:<port>); unset: '
                    'ovs-vsctl\'s default socket.'),
    cfg.StrOpt('ovs_datapath_type', default='system',
               choices=['system', 'netdev'],
               help='Datapath type of an integration bridge the OVS '
                    'strategy has to create (netdev: the user-space '
                    'datapath, for hosts without the openvswitch kernel '
                    'module).'),
    cfg.StrOpt('host_netns',
               help='Named network namespace (/run/netns/<name>) that '
                    'holds this compute host\'s network side: the host '
                    'end of every veth is moved there and bridges / OVS '
                    'ports are handled there. Unset: the namespace '
                    'nova-compute runs in. For a host whose Open vSwitch '
                    '(or Linux bridges) runs in a namespace of its own, '
                    'as in the all-in-one cloud; the namespace must '
                    'exist (ip netns add <name>).'),
    cfg.IntOpt('ovs_vsctl_timeout', default=30, min=1,
               help='Seconds one ovs-vsctl call may wait for ovsdb.'),
    cfg.BoolOpt('metadata_route', default=True,
                help='Give each container a route to the metadata service '
                     '(169.254.169.254) via its network\'s metadata port, '
                     'as DHCP gives a VM with ML2/OVN: the port (device '
                     'owner network:distributed) is looked up in Neutron '
                     'at every wiring. Networks without one get no route.'),
    cfg.IntOpt('route_metric', default=100, min=1, max=65000,
               help='Metric of the default and subnet routes of the '
                    'first interface (eth0); interface ethN uses this '
                    'plus N, so the first interface with a gateway wins '
                    'and later ones are fall-backs.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(OPTS, group=GROUP)


def list_opts():
    privsep_opts = copy.deepcopy(priv_context.OPTS)
    return [(GROUP, OPTS), (PRIVSEP_SECTION, privsep_opts)]
