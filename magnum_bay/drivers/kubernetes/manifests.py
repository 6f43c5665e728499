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

"""Static pod manifests of the control plane, checked with kubernetes-validate.

These are what kubelet on a master runs from /etc/kubernetes/manifests:
etcd, kube-apiserver, kube-controller-manager and kube-scheduler, with the
certificates of pki.py mounted from the host path kubeadm uses.
"""

import kubernetes_validate
import yaml

from magnum_bay import exception

PKI = '/etc/kubernetes/pki'


def _pod(name, image, command, volumes, port, scheme='HTTPS',
         probe_path='/livez'):
    return {
        'apiVersion': 'v1', 'kind': 'Pod',
        'metadata': {'name': name, 'namespace': 'kube-system',
                     'labels': {'component': name, 'tier': 'control-plane'}},
        'spec': {
            'hostNetwork': True,
            'priorityClassName': 'system-node-critical',
            'securityContext': {'seccompProfile': {
                'type': 'RuntimeDefault'}},
            'containers': [{
                'name': name, 'image': image, 'command': command,
                'imagePullPolicy': 'IfNotPresent',
                'resources': {'requests': {'cpu': '100m'}},
                'livenessProbe': {
                    'httpGet': {'host': '127.0.0.1', 'path': probe_path,
                                'port': port, 'scheme': scheme},
                    'initialDelaySeconds': 10, 'timeoutSeconds': 15,
                    'failureThreshold': 8},
                'volumeMounts': [{'name': v, 'mountPath': p,
                                  'readOnly': ro}
                                 for v, p, _t, ro in volumes]}],
            'volumes': [{'name': v, 'hostPath': {'path': p, 'type': t}}
                        for v, p, t, _ro in volumes],
        }}


def control_plane(name, address, version, repository, service_subnet,
                  pod_subnet, port=6443, etcd_version='3.6.4-0',
                  peers=None):
    """The four static pods of one master; ``peers`` maps name -> address."""
    peers = peers or {name: address}
    img = lambda comp: '%s/%s:%s' % (repository, comp, version)  # noqa
    certs = ('k8s-certs', PKI, 'DirectoryOrCreate', True)
    etcd = _pod('etcd', '%s/etcd:%s' % (repository, etcd_version), [
        'etcd', '--name=%s' % name, '--data-dir=/var/lib/etcd',
        '--advertise-client-urls=https://%s:2379' % address,
        '--listen-client-urls=https://127.0.0.1:2379,https://%s:2379'
        % address,
        '--initial-advertise-peer-urls=https://%s:2380' % address,
        '--listen-peer-urls=https://%s:2380' % address,
        '--initial-cluster=%s' % ','.join(
            '%s=https://%s:2380' % kv for kv in sorted(peers.items())),
        '--client-cert-auth=true', '--peer-client-cert-auth=true',
        '--cert-file=%s/etcd/server.crt' % PKI,
        '--key-file=%s/etcd/server.key' % PKI,
        '--trusted-ca-file=%s/etcd/ca.crt' % PKI,
        '--peer-cert-file=%s/etcd/peer.crt' % PKI,
        '--peer-key-file=%s/etcd/peer.key' % PKI,
        '--peer-trusted-ca-file=%s/etcd/ca.crt' % PKI],
        [('etcd-data', '/var/lib/etcd', 'DirectoryOrCreate', False),
         ('etcd-certs', PKI + '/etcd', 'DirectoryOrCreate', True)],
        2381, scheme='HTTP', probe_path='/health')
    apiserver = _pod('kube-apiserver', img('kube-apiserver'), [
        'kube-apiserver', '--advertise-address=%s' % address,
        '--secure-port=%d' % port, '--allow-privileged=true',
        '--authorization-mode=Node,RBAC',
        '--client-ca-file=%s/ca.crt' % PKI,
        '--enable-admission-plugins=NodeRestriction',
        '--enable-bootstrap-token-auth=true',
        '--etcd-servers=https://127.0.0.1:2379',
        '--etcd-cafile=%s/etcd/ca.crt' % PKI,
        '--etcd-certfile=%s/apiserver-etcd-client.crt' % PKI,
        '--etcd-keyfile=%s/apiserver-etcd-client.key' % PKI,
        '--kubelet-client-certificate=%s/apiserver-kubelet-client.crt' % PKI,
        '--kubelet-client-key=%s/apiserver-kubelet-client.key' % PKI,
        '--proxy-client-cert-file=%s/front-proxy-client.crt' % PKI,
        '--proxy-client-key-file=%s/front-proxy-client.key' % PKI,
        '--requestheader-client-ca-file=%s/front-proxy-ca.crt' % PKI,
        '--requestheader-allowed-names=front-proxy-client',
        '--requestheader-extra-headers-prefix=X-Remote-Extra-',
        '--requestheader-group-headers=X-Remote-Group',
        '--requestheader-username-headers=X-Remote-User',
        '--service-account-issuer=https://kubernetes.default.svc'
        '.cluster.local',
        '--service-account-key-file=%s/sa.pub' % PKI,
        '--service-account-signing-key-file=%s/sa.key' % PKI,
        '--service-cluster-ip-range=%s' % service_subnet,
        '--tls-cert-file=%s/apiserver.crt' % PKI,
        '--tls-private-key-file=%s/apiserver.key' % PKI], [certs], port)
    controller = _pod('kube-controller-manager',
                      img('kube-controller-manager'), [
        'kube-controller-manager', '--bind-address=127.0.0.1',
        '--allocate-node-cidrs=true', '--cluster-cidr=%s' % pod_subnet,
        '--service-cluster-ip-range=%s' % service_subnet,
        '--kubeconfig=/etc/kubernetes/controller-manager.conf',
        '--authentication-kubeconfig=/etc/kubernetes/controller-manager.conf',
        '--authorization-kubeconfig=/etc/kubernetes/controller-manager.conf',
        '--client-ca-file=%s/ca.crt' % PKI,
        '--cluster-signing-cert-file=%s/ca.crt' % PKI,
        '--cluster-signing-key-file=%s/ca.key' % PKI,
        '--root-ca-file=%s/ca.crt' % PKI,
        '--service-account-private-key-file=%s/sa.key' % PKI,
        '--use-service-account-credentials=true', '--leader-elect=true'],
        [certs, ('kubeconfig', '/etc/kubernetes/controller-manager.conf',
                 'FileOrCreate', True)], 10257)
    scheduler = _pod('kube-scheduler', img('kube-scheduler'), [
        'kube-scheduler', '--bind-address=127.0.0.1',
        '--kubeconfig=/etc/kubernetes/scheduler.conf',
        '--authentication-kubeconfig=/etc/kubernetes/scheduler.conf',
        '--authorization-kubeconfig=/etc/kubernetes/scheduler.conf',
        '--leader-elect=true'],
        [('kubeconfig', '/etc/kubernetes/scheduler.conf', 'FileOrCreate',
          True)], 10259)
    return {'etcd.yaml': etcd, 'kube-apiserver.yaml': apiserver,
            'kube-controller-manager.yaml': controller,
            'kube-scheduler.yaml': scheduler}


def schema_version(kubernetes_version):
    """kubernetes-validate's schema for a release: v1.34.1 -> 1.34.0."""
    major, minor = kubernetes_version.lstrip('v').split('.')[:2]
    return '%s.%s.0' % (major, minor)


def validate(manifests, kubernetes_version):
    """Check every manifest against the release's strict OpenAPI schema."""
    version = schema_version(kubernetes_version)
    for name, doc in manifests.items():
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except (kubernetes_validate.ValidationError,
                kubernetes_validate.SchemaNotFoundError) as e:
            raise exception.ConfigInvalid(
                what='static manifest %s' % name,
                reason=getattr(e, 'message', None) or str(e))


def dump(doc):
    return yaml.safe_dump(doc, sort_keys=False)
