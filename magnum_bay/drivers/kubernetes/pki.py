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

"""The certificates a kubeadm cluster expects in /etc/kubernetes/pki.

The cluster CA is the bay's (or Magnum's) CA; etcd and front-proxy get CAs of
their own, as kubeadm makes them. File names are kubeadm's, so ``kubeadm
init`` finds them and uses them instead of making its own.
"""

import ipaddress

from magnum_bay import certs

APISERVER_NAMES = ('kubernetes', 'kubernetes.default', 'kubernetes.default.svc',
                   'kubernetes.default.svc.cluster.local', 'localhost',
                   '127.0.0.1')


def service_ip(service_subnet):
    """The first address of the service range: the 'kubernetes' Service."""
    return str(next(ipaddress.ip_network(service_subnet).hosts()))


class ClusterPKI:
    """Every certificate of one cluster, made from its CA."""

    def __init__(self, ca, master_names, master_addresses, service_subnet,
                 etcd_ca=None, front_proxy_ca=None, sa_key_pem=None):
        self.ca = ca
        self.etcd_ca = etcd_ca or certs.make_ca('etcd-ca')
        self.front_proxy_ca = front_proxy_ca or certs.make_ca(
            'front-proxy-ca')
        self.sa_key_pem = sa_key_pem or certs.new_key_pem()
        self.master_names = list(master_names)
        self.master_addresses = list(master_addresses)
        self.service_subnet = service_subnet

    def sa_public_pem(self):
        return certs.public_key_pem(certs.KeyPair('', self.sa_key_pem))

    def client(self, user, group=None):
        return certs.issue(self.ca, user, client=True, organization=group)

    def admin(self):
        return self.client('kubernetes-admin', 'system:masters')

    def kubelet(self, node_name):
        return self.client('system:node:%s' % node_name, 'system:nodes')

    def master_files(self, name, address):
        """{path: (text, mode)} of /etc/kubernetes/pki for one master."""
        apiserver = certs.issue(
            self.ca, 'kube-apiserver', server=True,
            names=list(APISERVER_NAMES) + [service_ip(self.service_subnet),
                                           name, address] +
            self.master_names + self.master_addresses)
        etcd_names = [name, address, 'localhost', '127.0.0.1']
        pairs = {
            'ca': self._ca_only(self.ca),
            'apiserver': apiserver,
            'apiserver-kubelet-client': certs.issue(
                self.ca, 'kube-apiserver-kubelet-client', client=True,
                organization='kubeadm:cluster-admins'),
            'front-proxy-ca': self._ca_only(self.front_proxy_ca),
            'front-proxy-client': certs.issue(
                self.front_proxy_ca, 'front-proxy-client', client=True),
            'apiserver-etcd-client': certs.issue(
                self.etcd_ca, 'kube-apiserver-etcd-client', client=True),
            'etcd/ca': self._ca_only(self.etcd_ca),
            'etcd/server': certs.issue(self.etcd_ca, name, server=True,
                                       client=True, names=etcd_names),
            'etcd/peer': certs.issue(self.etcd_ca, name, server=True,
                                     client=True, names=etcd_names),
            'etcd/healthcheck-client': certs.issue(
                self.etcd_ca, 'kube-etcd-healthcheck-client', client=True),
        }
        files = {}
        for base, pair in pairs.items():
            path = '/etc/kubernetes/pki/%s' % base
            files[path + '.crt'] = (pair.cert_pem, 0o644)
            if pair.key_pem:
                files[path + '.key'] = (pair.key_pem, 0o600)
        files['/etc/kubernetes/pki/sa.key'] = (self.sa_key_pem, 0o600)
        files['/etc/kubernetes/pki/sa.pub'] = (self.sa_public_pem(), 0o644)
        return files

    def _ca_only(self, ca):
        # CA keys go to masters (kubeadm signs kubelet client certs with
        # them); an encrypted Magnum key is written out decrypted.
        return certs.KeyPair(ca.cert_pem, ca.plain_key_pem)
