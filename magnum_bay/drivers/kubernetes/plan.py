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

"""Everything a Kubernetes bay's nodes need, made without any server binary.

``build`` turns a cluster (names, addresses, CA) into per-node files: the
kubeadm PKI, kubeadm init/join configuration, the control plane's static
manifests and kubeconfigs, all validated (kubeadm rules; the manifests
against Kubernetes' strict OpenAPI schema with kubernetes-validate). It has
no side effects, so the bay service and the Magnum adapter both call it
before they create anything.
"""

from magnum_bay import certs
from magnum_bay import fields
from magnum_bay.drivers.kubernetes import kubeadm
from magnum_bay.drivers.kubernetes import kubeconfig
from magnum_bay.drivers.kubernetes import manifests
from magnum_bay.drivers.kubernetes import pki

BAY_DIR = '/etc/kubernetes/bay'


class KubernetesPlan:
    def __init__(self, opts, cluster_name, ca, plans):
        self.opts = opts
        self.cluster_name = cluster_name
        self.ca = ca
        self.plans = plans
        self.masters = [p for p in plans if p.role == fields.ROLE_MASTER]
        self.workers = [p for p in plans if p.role != fields.ROLE_MASTER]
        self.token = kubeadm.new_token()
        self.pki = pki.ClusterPKI(
            ca, [m.name for m in self.masters],
            [m.address for m in self.masters], opts.service_subnet)

    @property
    def endpoint(self):
        return '%s:%d' % (self.masters[0].address, self.opts.apiserver_port)

    @property
    def server(self):
        return 'https://' + self.endpoint

    def admin_kubeconfig(self, client_pair=None):
        return kubeconfig.render(self.cluster_name, self.server,
                                 self.ca.cert_pem, 'kubernetes-admin',
                                 client_pair or self.pki.admin())

    def build(self):
        """Fill every NodePlan's files and command; validate them all."""
        ca_hash = certs.spki_sha256(self.ca.cert_pem)
        peers = {m.name: m.address for m in self.masters}
        for plan in self.plans:
            files = {'%s/ca.crt' % BAY_DIR: (self.ca.cert_pem, 0o644)}
            if plan.role == fields.ROLE_MASTER:
                files.update(self.pki.master_files(plan.name, plan.address))
                static = manifests.control_plane(
                    plan.name, plan.address, self.opts.kubernetes_version,
                    self.opts.control_plane_image_repository,
                    self.opts.service_subnet, self.opts.pod_subnet,
                    self.opts.apiserver_port, peers=peers)
                manifests.validate(static, self.opts.kubernetes_version)
                for name, doc in static.items():
                    files['/etc/kubernetes/manifests/%s' % name] = (
                        manifests.dump(doc), 0o644)
                for user, conf in (
                        ('system:kube-controller-manager',
                         'controller-manager.conf'),
                        ('system:kube-scheduler', 'scheduler.conf')):
                    files['/etc/kubernetes/%s' % conf] = (kubeconfig.render(
                        self.cluster_name, self.server, self.ca.cert_pem,
                        user, self.pki.client(user)), 0o600)
            if plan is self.masters[0]:
                docs = kubeadm.init_config(
                    self.cluster_name, plan.name, plan.address,
                    self.opts.kubernetes_version, self.opts.pod_subnet,
                    self.opts.service_subnet, self.opts.apiserver_port,
                    self.token, self.opts.control_plane_image_repository,
                    [m.address for m in self.masters])
                bootstrap = ['kubeadm', 'init', '--config',
                             '%s/kubeadm.yaml' % BAY_DIR]
            else:
                docs = kubeadm.join_config(
                    plan.name, plan.address, self.endpoint, self.token,
                    ca_hash, control_plane=plan.role == fields.ROLE_MASTER,
                    port=self.opts.apiserver_port)
                bootstrap = ['kubeadm', 'join', '--config',
                             '%s/kubeadm.yaml' % BAY_DIR]
            kubeadm.validate(docs)
            files['%s/kubeadm.yaml' % BAY_DIR] = (kubeadm.dump(docs), 0o600)
            plan.files = files
            plan.bootstrap = bootstrap
            # The operator image's own init (systemd, containerd, kubelet)
            # runs as the container's command; kubeadm is exec'd afterwards.
            plan.command = None
        return self
