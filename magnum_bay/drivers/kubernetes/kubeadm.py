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

"""kubeadm configuration (v1beta4) for the first master and for joiners.

kubeadm's own types are not Kubernetes API resources, so kubernetes-validate
has no schema for them; ``validate`` checks what kubeadm would reject
(versions, token format, subnets, endpoints, discovery hashes).
"""

import ipaddress
import re
import secrets
import string

import yaml

from magnum_bay import exception

KUBEADM_API = 'kubeadm.k8s.io/v1beta4'
KUBELET_API = 'kubelet.config.k8s.io/v1beta1'
CRI_SOCKET = 'unix:///run/containerd/containerd.sock'
# The control plane runs from our static manifests (manifests.py).
SKIP_PHASES = ['control-plane', 'etcd']
TOKEN_RE = re.compile(r'^[a-z0-9]{6}\.[a-z0-9]{16}$')
VERSION_RE = re.compile(r'^v\d+\.\d+\.\d+$')
HASH_RE = re.compile(r'^sha256:[0-9a-f]{64}$')


def new_token():
    alphabet = string.ascii_lowercase + string.digits
    pick = lambda n: ''.join(secrets.choice(alphabet) for _ in range(n))  # noqa
    return '%s.%s' % (pick(6), pick(16))


def _node_registration(name, address):
    return {'name': name, 'criSocket': CRI_SOCKET,
            'kubeletExtraArgs': [{'name': 'node-ip', 'value': address}]}


def init_config(cluster_name, name, address, version, pod_subnet,
                service_subnet, port, token, image_repository, cert_sans):
    docs = [
        {'apiVersion': KUBEADM_API, 'kind': 'InitConfiguration',
         'bootstrapTokens': [{
             'token': token, 'ttl': '24h0m0s',
             'groups': ['system:bootstrappers:kubeadm:default-node-token'],
             'usages': ['signing', 'authentication']}],
         'localAPIEndpoint': {'advertiseAddress': address,
                              'bindPort': port},
         'nodeRegistration': _node_registration(name, address),
         'skipPhases': list(SKIP_PHASES)},
        {'apiVersion': KUBEADM_API, 'kind': 'ClusterConfiguration',
         'clusterName': cluster_name, 'kubernetesVersion': version,
         'controlPlaneEndpoint': '%s:%d' % (address, port),
         'certificatesDir': '/etc/kubernetes/pki',
         'imageRepository': image_repository,
         'networking': {'podSubnet': pod_subnet,
                        'serviceSubnet': service_subnet,
                        'dnsDomain': 'cluster.local'},
         'apiServer': {'certSANs': list(cert_sans)},
         'etcd': {'local': {'dataDir': '/var/lib/etcd'}}},
        kubelet_config(),
    ]
    return docs


def join_config(name, address, endpoint, token, ca_hash, control_plane=False,
                port=6443):
    doc = {'apiVersion': KUBEADM_API, 'kind': 'JoinConfiguration',
           'discovery': {'bootstrapToken': {
               'apiServerEndpoint': endpoint, 'token': token,
               'caCertHashes': [ca_hash]}},
           'nodeRegistration': _node_registration(name, address),
           'skipPhases': []}
    if control_plane:
        doc['controlPlane'] = {'localAPIEndpoint': {
            'advertiseAddress': address, 'bindPort': port}}
    return [doc, kubelet_config()]


def kubelet_config():
    # cgroupfs: the nodes share the host's cgroup v1 tree, without systemd.
    return {'apiVersion': KUBELET_API, 'kind': 'KubeletConfiguration',
            'cgroupDriver': 'cgroupfs', 'failSwapOn': False,
            'staticPodPath': '/etc/kubernetes/manifests'}


def dump(docs):
    return yaml.safe_dump_all(docs, sort_keys=False)


def _fail(field, reason):
    raise exception.ConfigInvalid(what='kubeadm configuration (%s)' % field,
                                  reason=reason)


def _endpoint(value, field):
    host, _, port = value.rpartition(':')
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not re.match(r'^[a-z0-9.-]+$', host or ''):
            _fail(field, 'bad host in %r' % value)
    if not port.isdigit() or not 0 < int(port) < 65536:
        _fail(field, 'bad port in %r' % value)


def validate(docs):
    """Raise ConfigInvalid on anything kubeadm would refuse."""
    kinds = {}
    for doc in docs:
        kind = doc.get('kind')
        api = doc.get('apiVersion')
        if kind in ('InitConfiguration', 'ClusterConfiguration',
                    'JoinConfiguration') and api != KUBEADM_API:
            _fail('%s.apiVersion' % kind, '%r is not %s' % (api, KUBEADM_API))
        elif kind == 'KubeletConfiguration' and api != KUBELET_API:
            _fail('KubeletConfiguration.apiVersion', repr(api))
        elif kind not in ('InitConfiguration', 'ClusterConfiguration',
                          'JoinConfiguration', 'KubeletConfiguration'):
            _fail('kind', 'unknown kind %r' % kind)
        kinds[kind] = doc
    if 'InitConfiguration' in kinds:
        if 'ClusterConfiguration' not in kinds:
            _fail('ClusterConfiguration', 'missing')
        init = kinds['InitConfiguration']
        for tok in init.get('bootstrapTokens', []):
            if not TOKEN_RE.match(tok.get('token', '')):
                _fail('bootstrapTokens.token', 'must match %s'
                      % TOKEN_RE.pattern)
        ep = init['localAPIEndpoint']
        ipaddress.ip_address(ep['advertiseAddress'])
        cc = kinds['ClusterConfiguration']
        if not VERSION_RE.match(cc.get('kubernetesVersion', '')):
            _fail('kubernetesVersion', repr(cc.get('kubernetesVersion')))
        _endpoint(cc['controlPlaneEndpoint'], 'controlPlaneEndpoint')
        net = cc['networking']
        try:
            pods = ipaddress.ip_network(net['podSubnet'])
            svcs = ipaddress.ip_network(net['serviceSubnet'])
        except ValueError as e:
            _fail('networking', str(e))
        if pods.overlaps(svcs):
            _fail('networking', 'podSubnet %s overlaps serviceSubnet %s'
                  % (pods, svcs))
    if 'JoinConfiguration' in kinds:
        bt = kinds['JoinConfiguration']['discovery']['bootstrapToken']
        if not TOKEN_RE.match(bt.get('token', '')):
            _fail('discovery.bootstrapToken.token', 'bad token format')
        _endpoint(bt['apiServerEndpoint'], 'apiServerEndpoint')
        if not all(HASH_RE.match(h) for h in bt.get('caCertHashes') or ()):
            _fail('caCertHashes', 'must be sha256:<64 hex>')
        if not bt.get('caCertHashes'):
            _fail('caCertHashes', 'missing: joining would trust any server')
