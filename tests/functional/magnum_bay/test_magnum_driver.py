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

"""Real Magnum 23 finds and drives the project's Kubernetes driver.

Runs in the Magnum test process: Magnum's own DB (SQLite), objects, cert
manager (x509keypair, stored in Magnum's DB) and conductor handler. Docker
is the real private engine. Kubernetes server binaries do not exist on this
machine, so the operator node image is absent: the create through Magnum's
conductor must fail with a reason that names the image and leave nothing on
the engine. The configuration Magnum's CAs produce is checked for real.
"""

from importlib import metadata

import kubernetes
import pytest
import yaml
from magnum.conductor.handlers import cluster_conductor
from magnum.conductor.handlers.common import cert_manager
from magnum.common import cert_manager as cert_backend
from magnum.drivers.common import driver as magnum_driver
from magnum import objects
from magnum.service import periodic
from oslo_service import loopingcall

from magnum_bay import certs
from magnum_bay import conf as bay_conf
from magnum_bay.drivers.kubernetes import magnum_driver as our_driver
from magnum_bay.engine import nodes as engine_nodes
from tests.rig import docker_engine
from tests.rig import magnum as magnum_rig


class MagnumDriverTest(magnum_rig.MagnumDbTestCase):

    def setUp(self):
        super().setUp()
        self.config(cert_manager_type='x509keypair', group='certificates')
        # Both caches are process-wide in Magnum; start each test clean.
        cert_backend._CERT_MANAGER_PLUGIN = None
        magnum_driver.Driver.definitions = None
        self.addCleanup(setattr, magnum_driver.Driver, 'definitions', None)
        self.addCleanup(setattr, cert_backend, '_CERT_MANAGER_PLUGIN', None)

    def _cluster(self, masters=1, workers=2):
        template = self.make_template(coe='kubernetes', server_type='vm',
                                      cluster_distro='docker',
                                      image_id='dos/k8s-node:latest')
        return self.make_cluster(template, master_count=masters,
                                 node_count=workers)

    def test_entry_point_is_declared(self):
        names = {ep.name: ep.value for ep in
                 metadata.entry_points(group='magnum.drivers')}
        self.assertEqual(
            'magnum_bay.drivers.kubernetes.magnum_driver:Driver',
            names.get('k8s_docker_containers'))

    def test_magnum_get_driver_finds_it(self):
        found = magnum_driver.Driver.get_driver('vm', 'docker', 'kubernetes')
        self.assertIsInstance(found, our_driver.Driver)
        self.assertIn(('vm', 'docker', 'kubernetes'),
                      magnum_driver.Driver.get_drivers())

    def test_magnum_get_driver_for_cluster(self):
        cluster = self._cluster()
        found = magnum_driver.Driver.get_driver_for_cluster(self.context,
                                                            cluster)
        self.assertIsInstance(found, our_driver.Driver)

    def test_render_uses_magnums_cas(self):
        cluster = self._cluster(masters=3, workers=1)
        cert_manager.generate_certificates_to_cluster(cluster,
                                                      context=self.context)
        cluster.save()
        ca = cert_manager.get_cluster_ca_certificate(cluster, self.context)
        etcd_ca = cert_manager.get_cluster_ca_certificate(
            cluster, self.context, ca_cert_type='etcd')
        plan = our_driver.Driver().render(self.context, cluster)
        self.assertEqual(3, len(plan.masters))
        self.assertEqual(1, len(plan.workers))
        text = lambda v: v.decode() if isinstance(v, bytes) else v  # noqa
        files = plan.masters[1].files
        apiserver = files['/etc/kubernetes/pki/apiserver.crt'][0]
        self.assertTrue(certs.verify(text(ca.get_certificate()), apiserver))
        self.assertTrue(certs.verify(
            text(etcd_ca.get_certificate()),
            files['/etc/kubernetes/pki/etcd/server.crt'][0]))
        # The second master joins the control plane of the first.
        join = list(yaml.safe_load_all(
            files['/etc/kubernetes/bay/kubeadm.yaml'][0]))[0]
        self.assertEqual('JoinConfiguration', join['kind'])
        self.assertIn('controlPlane', join)
        self.assertEqual(certs.spki_sha256(text(ca.get_certificate())),
                         join['discovery']['bootstrapToken']
                         ['caCertHashes'][0])
        # The controller-manager's kubeconfig loads in the kubernetes client.
        cfg = kubernetes.client.Configuration()
        kubernetes.config.load_kube_config_from_dict(
            yaml.safe_load(files['/etc/kubernetes/controller-manager.conf']
                           [0]), client_configuration=cfg)
        self.assertEqual(plan.server, cfg.host)

    @pytest.mark.docker
    def test_create_through_magnums_conductor_without_node_image(self):
        bay_conf.CONF.set_override('endpoint',
                                   docker_engine.docker_host(), 'bay')
        self.addCleanup(bay_conf.CONF.clear_override, 'endpoint', 'bay')
        host = engine_nodes.NodeHost(docker_engine.docker_host())
        self.addCleanup(host.close)
        image = bay_conf.CONF.bay_kubernetes.node_image
        if host.image_exists(image):
            self.skipTest('the operator node image %s is present; this test '
                          'covers its absence' % image)
        template = self.make_template(coe='kubernetes', server_type='vm',
                                      cluster_distro='docker',
                                      image_id=image)
        cluster = objects.Cluster(
            self.context, uuid='5d12f6fd-a196-4bf0-ae4c-1f639a523a52',
            name='k8s-bay', project_id=self.context.project_id,
            user_id=self.context.user_id, cluster_template_id=template.uuid,
            create_timeout=10, labels={}, master_flavor_id=None,
            flavor_id=None, keypair=None)
        handler = cluster_conductor.Handler()
        self.assertRaises(Exception, handler.cluster_create, self.context,
                          cluster, 1, 1, 10)
        loaded = objects.Cluster.get_by_uuid(self.context, cluster.uuid)
        self.assertEqual('CREATE_FAILED', loaded.status)
        self.assertIn(image, loaded.status_reason)
        self.assertIn('kubeadm', loaded.status_reason)
        self.assertEqual({'containers': [], 'volumes': [], 'networks': []},
                         host.leftovers(cluster.uuid))

        # Magnum's delete: the conductor, then its periodic status job,
        # which removes the cluster once the driver says DELETE_COMPLETE.
        handler.cluster_delete(self.context, cluster.uuid)
        loaded = objects.Cluster.get_by_uuid(self.context, cluster.uuid)
        self.assertEqual('DELETE_IN_PROGRESS', loaded.status)
        self.assertRaises(loopingcall.LoopingCallDone,
                          periodic.ClusterUpdateJob(self.context,
                                                    loaded).update_status)
        self.assertEqual([], objects.Cluster.list(self.context))
