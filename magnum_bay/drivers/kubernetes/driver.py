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

"""The Kubernetes driver of the bay service.

Configuration, certificates and validation are real and run anywhere
(plan.py). Bringing nodes up needs the operator's node image (kubeadm,
kubelet, containerd); without it the request fails before anything exists.
"""


from magnum_bay import exception
from magnum_bay import fields
from magnum_bay.drivers import common
from magnum_bay.drivers import image_nodes
from magnum_bay.drivers.kubernetes import plan as k8s_plan


class KubernetesDriver(image_nodes.OperatorImageDriver):
    coe = fields.KUBERNETES
    provides = [{'server_type': fields.SERVER_TYPE, 'os': 'docker',
                 'coe': fields.KUBERNETES}]
    image_group = 'bay_kubernetes'
    image_needs = 'kubeadm, kubelet and containerd'

    @property
    def opts(self):
        return self.conf.bay_kubernetes

    def make_plan(self, host, cluster, nodegroups, ca, network):
        plans = self.plan_nodes(host, cluster['uuid'], network, nodegroups)
        return k8s_plan.KubernetesPlan(self.opts, cluster['name'], ca,
                                       plans).build()

    def bring_up(self, context, cluster, plan, image):
        """Start the nodes, run kubeadm init then the joins; wait for Ready."""
        network = context.host.network(cluster['uuid'])
        context.progress('starting %d nodes from %s' % (len(plan.plans),
                                                       image))
        nodes = self.launch(context.host, cluster['uuid'], network,
                            plan.plans, image)
        by_name = {n.name: n for n in nodes}
        first = plan.masters[0]
        for p in [first] + plan.masters[1:] + plan.workers:
            context.progress('%s on %s' % (' '.join(p.bootstrap[:2]),
                                           p.name))
            code, out = context.host.exec(by_name[p.name].id, p.bootstrap)
            if code != 0:
                raise exception.NodeFailed(
                    node=p.name, reason='%s exited %d: %s' % (
                        ' '.join(p.bootstrap[:2]), code, out[-500:]))
        return nodes

    def create_cluster(self, context, cluster, cluster_create_timeout):
        template = context.template(cluster)
        image = self.node_image(template)
        self.check_image(context.host, image)
        creds = context.credentials(cluster)
        network = context.host.ensure_network(cluster['uuid'])
        plan = self.make_plan(context.host, cluster,
                              context.nodegroups(cluster), creds.ensure_ca(),
                              network)
        self.bring_up(context, cluster, plan, image)
        self._wait_ready(context, cluster, plan, creds)
        return dict(self.addresses(context, cluster),
                    api_address=plan.server,
                    coe_version=self.opts.kubernetes_version)

    def api_client(self, name, server, ca_cert_pem, client_pair):
        """A kubernetes ApiClient from a kubeconfig made on the fly."""
        import kubernetes
        import yaml
        from magnum_bay.drivers.kubernetes import kubeconfig
        text = kubeconfig.render(name, server, ca_cert_pem, 'admin',
                                 client_pair)
        return kubernetes.config.new_client_from_config_dict(
            yaml.safe_load(text))

    def _wait_ready(self, context, cluster, plan, creds):
        want = len(plan.plans)
        client = self.api_client(cluster['name'], plan.server,
                                 creds.ca().cert_pem, creds.admin())

        def check():
            try:
                health, reasons = self.health(client)
            except Exception as e:  # noqa: BLE001 (the API is not up yet)
                return False, type(e).__name__
            ready = [k for k, v in reasons.items() if k.endswith('.Ready')
                     and v == 'True']
            return len(ready) >= want, reasons.get('summary')
        common.wait_for(check, context.until(600), 2, 'Kubernetes nodes',
                        600)

    def health(self, api_client):
        """(health, reasons) from the nodes' Ready condition."""
        import kubernetes
        api = kubernetes.client.CoreV1Api(api_client)
        reasons = {'api': 'ok'}
        problems = []
        for node in api.list_node(_request_timeout=10).items:
            ready = next((c.status for c in node.status.conditions or ()
                          if c.type == 'Ready'), 'Unknown')
            reasons['%s.Ready' % node.metadata.name] = ready
            if ready != 'True':
                problems.append('%s: Ready=%s' % (node.metadata.name, ready))
        if problems:
            reasons['summary'] = '; '.join(problems)
            return fields.UNHEALTHY, reasons
        return fields.HEALTHY, reasons

    def update_cluster_status(self, context, cluster):
        nodes = context.host.list_nodes(cluster['uuid'])
        down = [n.name for n in nodes if not n.running]
        if down:
            return fields.UNHEALTHY, {
                'summary': 'containers not running: %s' % ', '.join(down)}
        creds = context.credentials(cluster)
        try:
            return self.health(self.api_client(
                cluster['name'], cluster['api_address'], creds.ca().cert_pem,
                creds.admin()))
        except Exception as e:  # noqa: BLE001 (any client error: unreachable)
            return fields.UNKNOWN, {'api': 'unreachable: %s'
                                    % type(e).__name__}

    def resize_cluster(self, context, cluster, resize_manager, node_count,
                       nodes_to_remove, nodegroup=None):
        raise exception.NotSupported(operation='resize', coe=self.coe)

    def config_files(self, context, cluster, client_pair, ca_cert_pem):
        from magnum_bay.drivers.kubernetes import kubeconfig
        return {'config': kubeconfig.render(
            cluster['name'], cluster['api_address'], ca_cert_pem, 'admin',
            client_pair)}
