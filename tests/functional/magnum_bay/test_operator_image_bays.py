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

"""Kubernetes and Mesos bays on the operator's node image.

Kubernetes and Mesos server binaries cannot be installed on this machine
(not in Debian 12, PyPI or npm), so the project cannot build these node
images and these tests skip, saying so, when ``[bay_kubernetes] node_image``
/ ``[bay_mesos] node_image`` is not on the engine. Everything that does not
need the binaries (certificates, kubeconfig, kubeadm configuration, static
manifests, Mesos/ZooKeeper configuration, validation) is tested for real in
tests/unit/magnum_bay/test_kubernetes_mesos_config.py and, with Magnum's own
CAs, in test_magnum_driver.py.
"""

import kubernetes
import pytest
import yaml

from magnum_bay import conf as bay_conf
from magnum_bay import fields

pytestmark = [pytest.mark.slow, pytest.mark.docker]


def _image_or_skip(bays, group, needs):
    image = getattr(bay_conf.CONF, group).node_image
    if not bays.host.image_exists(image):
        pytest.skip('operator node image %s is not on the engine: %s cannot '
                    'be installed on this machine, so this bring-up cannot '
                    'run here' % (image, needs))
    return image


def test_kubernetes_bay_on_operator_image(bays):
    image = _image_or_skip(bays, 'bay_kubernetes', 'kubeadm/kubelet')
    bays.create_template(name='k8s', coe='kubernetes', image_id=image)
    cluster = bays.create_cluster('k8s-bay', 'k8s', create_timeout=15)
    assert cluster['status'] == fields.CREATE_COMPLETE, \
        cluster['status_reason']
    assert cluster['health_status'] == fields.HEALTHY
    config = bays.config_files(cluster['uuid'])['config']
    client = kubernetes.config.new_client_from_config_dict(
        yaml.safe_load(config))
    nodes = kubernetes.client.CoreV1Api(client).list_node().items
    assert len(nodes) == 2


def test_mesos_bay_on_operator_image(bays):
    image = _image_or_skip(bays, 'bay_mesos', 'mesos-master/mesos-agent')
    bays.create_template(name='mesos', coe='mesos', image_id=image)
    cluster = bays.create_cluster('mesos-bay', 'mesos')
    assert cluster['status'] == fields.CREATE_COMPLETE, \
        cluster['status_reason']
    nodes = bays.host.list_nodes(cluster['uuid'])
    assert len(nodes) == 2 and all(n.running for n in nodes)
