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

"""[bay_kubernetes]: Kubernetes bays (node image supplied by the operator)."""

from oslo_config import cfg

GROUP = cfg.OptGroup('bay_kubernetes', title='Kubernetes bays')

OPTS = [
    cfg.StrOpt('node_image', default='dos/k8s-node:latest',
               help='Node image with kubeadm, kubelet and a container '
                    'runtime. Not built by this project: Kubernetes server '
                    'binaries are not available on this machine.'),
    cfg.StrOpt('kubernetes_version', default='v1.34.1',
               help='Version written into the kubeadm configuration.'),
    cfg.StrOpt('pod_subnet', default='10.244.0.0/16',
               help='Pod network (kubeadm networking.podSubnet).'),
    cfg.StrOpt('service_subnet', default='10.96.0.0/12',
               help='Service network; its first address is the API '
                    'server\'s service IP, in its certificate.'),
    cfg.IntOpt('apiserver_port', default=6443, min=1, max=65535,
               help='Secure port of kube-apiserver on the masters.'),
    cfg.StrOpt('control_plane_image_repository',
               default='registry.k8s.io',
               help='Where the static pods\' images come from.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(OPTS, group=GROUP)


def list_opts():
    return [(GROUP, OPTS)]
