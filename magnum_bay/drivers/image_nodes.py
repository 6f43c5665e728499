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

"""Drivers whose nodes come from an image the operator supplies.

Kubernetes and Mesos server binaries cannot be installed on this machine, so
the project does not build their node images; the operator names one in the
config. Everything else (certificates, configuration, validation, the node
containers, their files and addresses) is done here. When the image is not
on the engine the request fails before anything is made, saying which image
and what it must contain.
"""

import abc

from magnum_bay import exception
from magnum_bay import fields
from magnum_bay.drivers import base
from magnum_bay.drivers import common


class NodePlan:
    """One node to be: its name, role, index, address and files."""

    def __init__(self, nodegroup, role, index, name, address):
        self.nodegroup = nodegroup
        self.role = role
        self.index = index
        self.name = name
        self.address = address
        self.files = {}
        self.command = None
        self.env = {}

    def __repr__(self):
        return '<NodePlan %s %s>' % (self.name, self.address)


class OperatorImageDriver(base.BayDriver, metaclass=abc.ABCMeta):
    # The config group that names the operator's node image.
    image_group = None
    image_needs = ''

    def default_image(self):
        return getattr(self.conf, self.image_group).node_image

    def node_image(self, template):
        return template.get('image_id') or self.default_image()

    def validate_template(self, context, template):
        super().validate_template(context, template)
        self.validate_master_size(template.get('master_count') or 1)
        common.flavor_limits(self.conf, template.get('flavor_id'))
        common.flavor_limits(self.conf, template.get('master_flavor_id'),
                             'master_flavor_id')
        self.check_image(context.host, self.node_image(template))

    def check_image(self, host, image):
        if not host.image_exists(image):
            raise exception.InvalidParameter(
                field='image_id', reason='node image %r is not on the Docker '
                'engine. %s bays need an operator-supplied node image with %s '
                '(see [%s] node_image); this project cannot build one here'
                % (image, self.coe, self.image_needs, self.image_group))

    # -- planning ---------------------------------------------------------

    def plan_nodes(self, host, cluster_uuid, network, nodegroups,
                   taken=()):
        from magnum_bay.engine import nodes as engine_nodes
        taken = list(taken)
        plans = []
        for ng in nodegroups:
            role = common.role_of(ng)
            for index in range(ng['node_count']):
                address = engine_nodes.free_address(network, taken)
                taken.append(address)
                plans.append(NodePlan(ng, role, index, engine_nodes.node_name(
                    cluster_uuid, role, index), address))
        return plans

    def launch(self, host, cluster_uuid, network, plans, image,
               limits=lambda plan: (None, None)):
        def make(plan):
            mem, cpus = limits(plan)
            cid = host.create_node(
                cluster_uuid, network, plan.role, plan.index, image,
                plan.command, plan.address, files=plan.files,
                nodegroup=plan.nodegroup['name'], mem_limit=mem,
                nano_cpus=cpus, env=plan.env)
            host.start(cid)
            return host.get_node(cid)
        return common.parallel(make, plans)

    # -- shared lifecycle ---------------------------------------------------

    def delete_cluster(self, context, cluster):
        context.progress('removing node containers, volumes and network')
        context.host.remove_bay(cluster['uuid'])

    def update_cluster(self, context, cluster, scale_manager=None,
                       rollback=False):
        for node in context.host.list_nodes(cluster['uuid']):
            if not node.running:
                context.progress('restarting %s' % node.name)
                context.host.start(node.id)
        return self.addresses(context, cluster)

    def upgrade_cluster(self, context, cluster, cluster_template,
                        max_batch_size, nodegroup, scale_manager=None,
                        rollback=False):
        raise exception.NotSupported(operation='upgrade', coe=self.coe)

    def addresses(self, context, cluster):
        nodes = context.host.list_nodes(cluster['uuid'])
        return {'master_addresses': [n.address for n in nodes
                                     if n.role == fields.ROLE_MASTER],
                'node_addresses': [n.address for n in nodes
                                   if n.role != fields.ROLE_MASTER]}
