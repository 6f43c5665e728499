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

"""The Kubernetes driver as real Magnum loads it (``magnum.drivers`` entry point).

Magnum 23 has no in-tree drivers; it finds this class through the
``k8s_docker_containers`` entry point for (server_type vm, os docker, coe
kubernetes), i.e. a cluster template whose image has ``os_distro=docker``.
Magnum's conductor has already made the cluster's three CAs (cluster, etcd,
front-proxy) with its cert manager before it calls ``create_cluster``; this
adapter builds the nodes' PKI from exactly those CAs, so the kubeconfig that
``openstack coe cluster config`` hands out trusts the API server made here.

Import only inside a Magnum process.
"""

import time

from magnum.common import exception as magnum_exception
from magnum.conductor.handlers.common import cert_manager
from magnum.drivers.common import driver as magnum_driver
from magnum.objects import fields as magnum_fields
from oslo_log import log as logging

from magnum_bay import certs
from magnum_bay import conf as bay_conf
from magnum_bay import context as bay_context
from magnum_bay import fields
from magnum_bay.drivers.kubernetes import driver as k8s_driver
from magnum_bay.drivers.kubernetes import plan as k8s_plan
from magnum_bay.engine import nodes as engine_nodes

LOG = logging.getLogger(__name__)

# Where a configuration-only render (no engine involved) puts its nodes:
# TEST-NET-1, never routed.
RENDER_NETWORK = {'IPAM': {'Config': [{'Subnet': '192.0.2.0/24',
                                       'Gateway': '192.0.2.1'}]}}


def _pair(cert):
    """A magnum cert_manager Cert as a KeyPair (keys stay encrypted)."""
    def text(value):
        return value.decode() if isinstance(value, bytes) else value
    return certs.KeyPair(text(cert.get_certificate()),
                         text(cert.get_private_key()),
                         passphrase=text(cert.get_private_key_passphrase()))


def _nodegroups(cluster):
    return [{'name': ng.name, 'role': ng.role, 'node_count': ng.node_count,
             'is_default': ng.is_default} for ng in cluster.nodegroups]


class Driver(magnum_driver.Driver):
    """Magnum's view of the project's Kubernetes driver."""

    def __init__(self):
        self.conf = bay_conf.CONF
        self.k8s = k8s_driver.KubernetesDriver(self.conf)

    @property
    def provides(self):
        return [{'server_type': 'vm', 'os': 'docker',
                 'coe': fields.KUBERNETES}]

    def _host(self):
        return engine_nodes.NodeHost.from_conf(self.conf.bay)

    def _cas(self, context, cluster):
        return {kind: _pair(cert_manager.get_cluster_ca_certificate(
            cluster, context=context, ca_cert_type=kind))
            for kind in (None, 'etcd', 'front_proxy')}

    def _image(self, host, cluster):
        image = cluster.cluster_template.image_id
        if image and host.image_exists(image):
            return image
        return self.conf.bay_kubernetes.node_image

    def render(self, context, cluster, network=None):
        """Every node's files for this Magnum cluster, validated; no effects."""
        cas = self._cas(context, cluster)
        plans = self.k8s.plan_nodes(None, cluster.uuid,
                                    network or RENDER_NETWORK,
                                    _nodegroups(cluster))
        plan = k8s_plan.KubernetesPlan(self.conf.bay_kubernetes,
                                       cluster.name, cas[None], plans)
        plan.pki.etcd_ca = cas['etcd']
        plan.pki.front_proxy_ca = cas['front_proxy']
        return plan.build()

    # -- Magnum's Driver interface -----------------------------------------

    def create_cluster(self, context, cluster, cluster_create_timeout):
        host = self._host()
        try:
            # Config first (no side effects), so a bad cluster fails before
            # the image check and before anything exists.
            self.render(context, cluster)
            image = self._image(host, cluster)
            self.k8s.check_image(host, image)
            network = host.ensure_network(cluster.uuid)
            try:
                plan = self.render(context, cluster, network)
                ctx = bay_context.BayContext(
                    None, self.conf, host,
                    deadline=time.monotonic() + 60 * (
                        cluster_create_timeout or 60))
                self.k8s.bring_up(ctx, {'uuid': cluster.uuid,
                                        'name': cluster.name}, plan, image)
            except Exception:
                host.remove_bay(cluster.uuid)
                raise
            cluster.api_address = plan.server
            cluster.master_addresses = [m.address for m in plan.masters]
            cluster.node_addresses = [w.address for w in plan.workers]
            cluster.coe_version = self.conf.bay_kubernetes.kubernetes_version
            cluster.status_reason = 'nodes started; waiting for Ready'
            cluster.save()
        finally:
            host.close()

    def update_cluster_status(self, context, cluster, use_admin_ctx=False):
        if cluster.status == magnum_fields.ClusterStatus.DELETE_IN_PROGRESS:
            # Magnum's periodic job destroys the row once it reads
            # DELETE_COMPLETE; that is when no node is left on the engine.
            host = self._host()
            try:
                left = host.leftovers(cluster.uuid)
            finally:
                host.close()
            if not any(left.values()):
                cluster.status = magnum_fields.ClusterStatus.DELETE_COMPLETE
                cluster.save()
            return
        if not cluster.api_address:
            return
        magnum_cert = _pair(cert_manager.get_cluster_magnum_cert(
            cluster, context=context))
        ca = _pair(cert_manager.get_cluster_ca_certificate(
            cluster, context=context))
        try:
            health, reasons = self.k8s.health(self.k8s.api_client(
                cluster.name, cluster.api_address, ca.cert_pem,
                certs.KeyPair(magnum_cert.cert_pem,
                              magnum_cert.plain_key_pem)))
        except Exception as e:  # noqa: BLE001 (API not up: still creating)
            LOG.debug('cluster %s API not ready: %s', cluster.uuid,
                      type(e).__name__)
            return
        cluster.health_status = health
        cluster.health_status_reason = reasons
        if (cluster.status == magnum_fields.ClusterStatus.CREATE_IN_PROGRESS
                and health == fields.HEALTHY):
            cluster.status = magnum_fields.ClusterStatus.CREATE_COMPLETE
            cluster.status_reason = None
        cluster.save()

    def update_cluster(self, context, cluster, scale_manager=None,
                       rollback=False):
        raise magnum_exception.NotSupported(
            'update is not supported by the docker-containers driver')

    def upgrade_cluster(self, context, cluster, cluster_template,
                        max_batch_size, nodegroup, scale_manager=None,
                        rollback=False):
        raise magnum_exception.NotSupported(
            'upgrade is not supported by the docker-containers driver')

    def delete_cluster(self, context, cluster):
        host = self._host()
        try:
            host.remove_bay(cluster.uuid)
        finally:
            host.close()
        # Magnum's conductor marks the cluster DELETE_IN_PROGRESS after this
        # returns; update_cluster_status then reports DELETE_COMPLETE.

    def resize_cluster(self, context, cluster, resize_manager, node_count,
                       nodes_to_remove, nodegroup=None):
        raise magnum_exception.NotSupported(
            'resize is not supported by the docker-containers driver')

    def create_federation(self, context, federation):
        raise magnum_exception.NotSupported('federations')

    def update_federation(self, context, federation):
        raise magnum_exception.NotSupported('federations')

    def delete_federation(self, context, federation):
        raise magnum_exception.NotSupported('federations')

    def create_nodegroup(self, context, cluster, nodegroup):
        raise magnum_exception.NotSupported('nodegroups')

    def update_nodegroup(self, context, cluster, nodegroup):
        raise magnum_exception.NotSupported('nodegroups')

    def delete_nodegroup(self, context, cluster, nodegroup):
        raise magnum_exception.NotSupported('nodegroups')
