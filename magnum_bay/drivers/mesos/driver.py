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

"""The Mesos driver: configuration and TLS here, binaries from the operator."""

from magnum_bay import exception
from magnum_bay import fields
from magnum_bay.drivers import image_nodes
from magnum_bay.drivers.mesos import config

ETC = config.ETC


class MesosDriver(image_nodes.OperatorImageDriver):
    coe = fields.MESOS
    provides = [{'server_type': fields.SERVER_TYPE, 'os': 'docker',
                 'coe': fields.MESOS}]
    image_group = 'bay_mesos'
    image_needs = 'ZooKeeper, mesos-master and mesos-agent'

    @property
    def opts(self):
        return self.conf.bay_mesos

    def build(self, cluster, plans, ca, server_cert, tls=True):
        """Fill the plans' files and commands; validate the whole set."""
        masters = [p for p in plans if p.role == fields.ROLE_MASTER]
        addresses = [m.address for m in masters]
        zoo = config.zoo_cfg(addresses, self.opts)
        master_envs, agent_envs = [], []
        for plan in plans:
            files = {}
            if tls:
                pair = server_cert(plan.name, [plan.address])
                files.update({
                    '%s/ca.pem' % ETC: (ca.cert_pem, 0o644),
                    '%s/node-cert.pem' % ETC: (pair.cert_pem, 0o644),
                    '%s/node-key.pem' % ETC: (pair.key_pem, 0o600)})
            if plan.role == fields.ROLE_MASTER:
                env = config.master_env(cluster['name'], plan.address,
                                        addresses, self.opts, tls)
                master_envs.append(env)
                files['/etc/zookeeper/conf/zoo.cfg'] = (zoo, 0o644)
                files['/var/lib/zookeeper/myid'] = (
                    '%d\n' % (masters.index(plan) + 1), 0o644)
                program = ('zkServer.sh start && exec mesos-master')
            else:
                env = config.agent_env(plan.address, addresses, self.opts,
                                       tls)
                agent_envs.append(env)
                program = 'exec mesos-agent'
            files['%s/mesos.env' % ETC] = (config.env_file(env), 0o600)
            plan.files = files
            plan.command = ['sh', '-c', 'set -a; . %s/mesos.env; set +a; %s'
                            % (ETC, program)]
        config.validate(master_envs, agent_envs, zoo)
        return plans

    def create_cluster(self, context, cluster, cluster_create_timeout):
        template = context.template(cluster)
        image = self.node_image(template)
        self.check_image(context.host, image)
        creds = context.credentials(cluster)
        ca = creds.ensure_ca()
        network = context.host.ensure_network(cluster['uuid'])
        plans = self.plan_nodes(context.host, cluster['uuid'], network,
                                context.nodegroups(cluster))
        self.build(cluster, plans, ca, creds.server,
                   tls=not template['tls_disabled'])
        context.progress('starting %d nodes from %s' % (len(plans), image))
        self.launch(context.host, cluster['uuid'], network, plans, image)
        first = [p for p in plans if p.role == fields.ROLE_MASTER][0]
        return dict(self.addresses(context, cluster),
                    api_address='https://%s:%d' % (first.address,
                                                   self.opts.master_port))

    def update_cluster_status(self, context, cluster):
        nodes = context.host.list_nodes(cluster['uuid'])
        down = [n.name for n in nodes if not n.running]
        reasons = {'%s.Running' % n.name: str(n.running) for n in nodes}
        if down:
            reasons['summary'] = 'not running: %s' % ', '.join(down)
            return fields.UNHEALTHY, reasons
        return fields.UNKNOWN, dict(reasons, api='not probed: the Mesos '
                                    'master API needs the operator image')

    def resize_cluster(self, context, cluster, resize_manager, node_count,
                       nodes_to_remove, nodegroup=None):
        raise exception.NotSupported(operation='resize', coe=self.coe)

    def config_files(self, context, cluster, client_pair, ca_cert_pem):
        return {'ca.pem': ca_cert_pem, 'cert.pem': client_pair.cert_pem,
                'key.pem': client_pair.key_pem,
                'env.sh': 'export MESOS_MASTER=%s\n' % cluster['api_address']}
