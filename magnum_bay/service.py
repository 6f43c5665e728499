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

"""The bay service: validates requests, owns the status lifecycle, runs drivers.

It plays the part of Magnum's API plus conductor for bays that Magnum itself
does not accept (swarm-mode, mesos, container server_type). Every request is
checked completely before anything is made: a bad template or cluster
request raises InvalidParameter naming the field and leaves no row and no
container behind. Long operations move the cluster through
*_IN_PROGRESS -> *_COMPLETE or *_FAILED (with status_reason), either in the
caller's thread (``wait=True``) or on a worker thread.
"""

import os
import socket
import threading
import time

from oslo_log import log as logging

from magnum_bay import conf as bay_conf
from magnum_bay import context as bay_context
from magnum_bay import exception
from magnum_bay import fields
from magnum_bay.db import api as db_api
from magnum_bay.drivers import loader
from magnum_bay.engine import nodes as engine_nodes

LOG = logging.getLogger(__name__)

TEMPLATE_FIELDS = (
    'name', 'coe', 'image_id', 'flavor_id', 'master_flavor_id', 'keypair_id',
    'dns_nameserver', 'external_network_id', 'fixed_network',
    'fixed_subnet', 'network_driver', 'volume_driver', 'apiserver_port',
    'docker_volume_size', 'docker_storage_driver', 'cluster_distro',
    'http_proxy', 'https_proxy', 'no_proxy', 'registry_enabled',
    'insecure_registry', 'labels', 'tls_disabled', 'public', 'server_type',
    'master_lb_enabled', 'floating_ip_enabled', 'hidden', 'tags', 'driver',
    'master_count', 'node_count', 'project_id', 'user_id')
NETWORK_DRIVERS = ('docker', 'bridge', None)


def db_url(conf):
    return conf.bay.connection or 'sqlite:///%s/bays.sqlite' % (
        conf.bay.state_dir)


class BayService:
    def __init__(self, conf=None, db=None, host=None, progress=None):
        self.conf = conf or bay_conf.CONF
        self.db = db or db_api.Connection(db_url(self.conf))
        self.host = host or engine_nodes.NodeHost.from_conf(self.conf.bay)
        self.progress = progress
        self._threads = {}
        self._drivers = {}

    def close(self):
        for t in list(self._threads.values()):
            t.join()
        self.host.close()

    def driver(self, coe):
        if coe not in self._drivers:
            self._drivers[coe] = loader.load(coe, self.conf)
        return self._drivers[coe]

    def _context(self, cluster=None, timeout_minutes=None):
        deadline = None
        if timeout_minutes:
            deadline = time.monotonic() + timeout_minutes * 60

        def progress(message):
            if cluster is not None:
                self.db.update_cluster(cluster['uuid'],
                                       {'status_reason': message})
            if self.progress:
                self.progress(cluster, message)
        return bay_context.BayContext(self.db, self.conf, self.host,
                                      progress=progress, deadline=deadline)

    # -- templates --------------------------------------------------------

    def create_template(self, **values):
        unknown = set(values) - set(TEMPLATE_FIELDS)
        if unknown:
            raise exception.InvalidParameter(
                field=sorted(unknown)[0], reason='not a cluster template '
                'field')
        values.setdefault('labels', {})
        values.setdefault('tls_disabled', False)
        values.setdefault('master_count', 1)
        values.setdefault('node_count', 1)
        values.setdefault('server_type', fields.SERVER_TYPE)
        values.setdefault('network_driver', 'docker')
        values.setdefault('cluster_distro', 'docker')
        if not values.get('name'):
            raise exception.InvalidParameter(field='name',
                                             reason='a name is required')
        self._validate_template(values)
        return self.db.create_template(values)

    def _validate_template(self, values):
        coe = values.get('coe')
        if coe not in fields.COES:
            raise exception.InvalidParameter(
                field='coe', reason='unknown COE %r (known: %s)'
                % (coe, ', '.join(fields.COES)))
        driver = self.driver(coe)
        if not values.get('image_id'):
            values['image_id'] = driver.default_image()
        if values.get('network_driver') not in NETWORK_DRIVERS:
            raise exception.InvalidParameter(
                field='network_driver', reason='%r is not supported (docker '
                'bridge networks only)' % values['network_driver'])
        if values.get('server_type') != fields.SERVER_TYPE:
            raise exception.InvalidParameter(
                field='server_type', reason='bays run on %r nodes, not %r'
                % (fields.SERVER_TYPE, values.get('server_type')))
        if not isinstance(values.get('labels') or {}, dict):
            raise exception.InvalidParameter(field='labels',
                                             reason='must be a mapping')
        size = values.get('docker_volume_size')
        if size is not None and size < 1:
            raise exception.InvalidParameter(
                field='docker_volume_size',
                reason='must be at least 1 (GB), got %s' % size)
        if size is not None:
            # Refused rather than silently ignored: a node's Docker storage
            # is a local volume, which the local driver cannot size.
            raise exception.InvalidParameter(
                field='docker_volume_size', reason='cannot be enforced: node '
                'storage is a local Docker volume without a size limit; '
                'leave it unset')
        driver.validate_template(self._context(), values)

    def list_templates(self):
        return self.db.list_templates()

    def get_template(self, ident):
        return self.db.get_template(ident)

    def delete_template(self, ident):
        self.db.destroy_template(ident)

    # -- clusters ---------------------------------------------------------

    def list_clusters(self):
        return [self._settle(c) for c in self.db.list_clusters()]

    def _settle(self, cluster):
        """Fail an *_IN_PROGRESS cluster whose operation's process is gone.

        Operations run in the process that asked for them (or a detached
        worker); if that process died, nothing will ever finish the
        operation, so the cluster says so instead of hanging forever.
        """
        if cluster['status'] not in fields.IN_PROGRESS:
            return cluster
        owner = (cluster.get('driver_state') or {}).get('operation') or {}
        if owner.get('host') != socket.gethostname() or not owner.get('pid'):
            return cluster
        if owner['pid'] == os.getpid() or _alive(owner['pid']):
            return cluster
        action = cluster['status'].rsplit('_', 2)[0]
        return self.db.update_cluster(cluster['uuid'], {
            'status': '%s_FAILED' % action,
            'status_reason': 'the process that ran the %s (pid %d) ended '
            'before it finished; last step: %s' % (
                action.lower(), owner['pid'], cluster['status_reason'])})

    def get_cluster(self, ident, refresh=False):
        cluster = self._settle(self.db.get_cluster(ident))
        if refresh and cluster['status'] in fields.COMPLETE + (
                fields.UPDATE_FAILED,):
            cluster = self.refresh_health(cluster['uuid'])
        return self.with_counts(cluster)

    def with_counts(self, cluster):
        out = dict(cluster)
        ngs = self.db.list_nodegroups(cluster['uuid'])
        out['master_count'] = sum(n['node_count'] for n in ngs
                                  if n['role'] == fields.ROLE_MASTER)
        out['node_count'] = sum(n['node_count'] for n in ngs
                                if n['role'] != fields.ROLE_MASTER)
        out['nodegroups'] = [n['name'] for n in ngs]
        return out

    def create_cluster(self, name, cluster_template, master_count=None,
                       node_count=None, create_timeout=None, labels=None,
                       flavor_id=None, master_flavor_id=None, keypair=None,
                       docker_volume_size=None, wait=True):
        if not name:
            raise exception.InvalidParameter(field='name',
                                             reason='a name is required')
        template = self.db.get_template(cluster_template)
        if any(c['name'] == name for c in self.db.list_clusters()):
            raise exception.Conflict(what='cluster %s' % name,
                                     reason='a cluster of that name exists')
        masters = template['master_count'] if master_count is None \
            else master_count
        workers = template['node_count'] if node_count is None \
            else node_count
        merged = dict(template, master_count=masters, node_count=workers)
        for key, value in (('flavor_id', flavor_id),
                           ('master_flavor_id', master_flavor_id),
                           ('docker_volume_size', docker_volume_size)):
            if value is not None:
                merged[key] = value
        if merged.get('labels') is not None and labels:
            merged['labels'] = dict(merged['labels'], **labels)
        timeout = (self.conf.bay.default_create_timeout
                   if create_timeout is None else create_timeout)
        if timeout < 1:
            raise exception.InvalidParameter(
                field='create_timeout', reason='must be at least 1 minute')
        self._validate_template(merged)
        cluster = self.db.create_cluster(dict(
            name=name, cluster_template_id=template['uuid'],
            coe=template['coe'], image_id=template['image_id'],
            project_id=template.get('project_id'),
            user_id=template.get('user_id'),
            keypair=keypair or template.get('keypair_id'),
            docker_volume_size=merged.get('docker_volume_size'),
            labels=merged.get('labels') or {},
            flavor_id=merged.get('flavor_id'),
            master_flavor_id=merged.get('master_flavor_id'),
            status=fields.CREATE_IN_PROGRESS, status_reason='accepted',
            health_status=fields.UNKNOWN, health_status_reason={},
            create_timeout=timeout, master_addresses=[], node_addresses=[],
            driver_state={}), [
            dict(name='default-master', role=fields.ROLE_MASTER,
                 node_count=masters, min_node_count=1, is_default=True,
                 image_id=template['image_id'],
                 flavor_id=merged.get('master_flavor_id'), labels={}),
            dict(name='default-worker', role=fields.ROLE_WORKER,
                 node_count=workers, min_node_count=1, is_default=True,
                 image_id=template['image_id'],
                 flavor_id=merged.get('flavor_id'), labels={})])
        cluster = self.db.update_cluster(
            cluster['uuid'], {'ca_cert_ref': 'db:%s/ca' % cluster['uuid'],
                              'magnum_cert_ref': 'db:%s/client'
                              % cluster['uuid']})

        def work(ctx, driver, c):
            ctx.credentials(c).ensure_ca()
            return driver.create_cluster(ctx, c, timeout)
        return self._run(cluster, 'CREATE', work, wait, timeout,
                         refresh=True)

    def resize_cluster(self, ident, node_count, nodes_to_remove=(),
                       nodegroup=None, wait=True):
        cluster = self._updatable(ident, 'resize')
        ngs = self.db.list_nodegroups(cluster['uuid'])
        if nodegroup:
            match = [n for n in ngs if n['name'] == nodegroup]
            if not match:
                raise exception.InvalidParameter(
                    field='nodegroup', reason='no nodegroup %r (have: %s)'
                    % (nodegroup, ', '.join(n['name'] for n in ngs)))
            ng = match[0]
        else:
            ng = next(n for n in ngs if n['role'] == fields.ROLE_WORKER)
        driver = self.driver(cluster['coe'])
        if ng['role'] == fields.ROLE_MASTER:
            driver.validate_master_resize(node_count)
        if node_count is None or node_count < 1:
            raise exception.InvalidParameter(
                field='node_count', reason='must be at least 1, got %s'
                % node_count)

        def work(ctx, drv, c):
            out = drv.resize_cluster(ctx, c, None, node_count,
                                     list(nodes_to_remove or ()), ng)
            self.db.update_nodegroup(ng['uuid'], {'node_count': node_count})
            return out
        return self._run(cluster, 'UPDATE', work, wait, refresh=True)

    def repair_cluster(self, ident, wait=True):
        cluster = self._updatable(ident, 'repair')
        return self._run(cluster, 'UPDATE',
                         lambda ctx, drv, c: drv.update_cluster(ctx, c),
                         wait, refresh=True)

    def upgrade_cluster(self, ident, cluster_template, max_batch_size=1,
                        nodegroup=None, wait=True):
        cluster = self._updatable(ident, 'upgrade')
        template = self.db.get_template(cluster_template)
        if template['coe'] != cluster['coe']:
            raise exception.InvalidParameter(
                field='cluster_template', reason='%s is a %s template; the '
                'cluster is %s' % (template['name'], template['coe'],
                                   cluster['coe']))
        if not self.host.image_exists(template['image_id']):
            raise exception.InvalidParameter(
                field='image_id', reason='node image %r is not on the Docker '
                'engine' % template['image_id'])
        if max_batch_size is not None and max_batch_size < 1:
            raise exception.InvalidParameter(
                field='max_batch_size', reason='must be at least 1')
        ngs = self.db.list_nodegroups(cluster['uuid'])
        ng = None
        if nodegroup:
            ng = next((n for n in ngs if n['name'] == nodegroup), None)
            if ng is None:
                raise exception.InvalidParameter(
                    field='nodegroup', reason='no nodegroup %r' % nodegroup)

        def work(ctx, drv, c):
            out = drv.upgrade_cluster(ctx, c, template, max_batch_size, ng)
            for n in ([ng] if ng else ngs):
                self.db.update_nodegroup(n['uuid'],
                                         {'image_id': template['image_id']})
            if ng is None:
                out = dict(out or {}, cluster_template_id=template['uuid'],
                           image_id=template['image_id'])
            return out
        return self._run(cluster, 'UPDATE', work, wait, refresh=True)

    def rotate_ca(self, ident, wait=True):
        cluster = self._updatable(ident, 'CA rotation')
        return self._run(
            cluster, 'UPDATE',
            lambda ctx, drv, c: drv.rotate_ca_certificate(ctx, c), wait,
            refresh=True)

    def delete_cluster(self, ident, wait=True):
        cluster = self.db.get_cluster(ident)
        if cluster['status'] in fields.IN_PROGRESS and \
                cluster['uuid'] in self._threads:
            raise exception.InvalidState(
                bay=cluster['name'], status=cluster['status'],
                operation='delete', needs='no operation in progress')

        def work(ctx, drv, c):
            drv.pre_delete_cluster(ctx, c)
            drv.delete_cluster(ctx, c)
        return self._run(cluster, 'DELETE', work, wait)

    # -- nodegroups -------------------------------------------------------

    def list_nodegroups(self, ident):
        return self.db.list_nodegroups(self.db.get_cluster(ident)['uuid'])

    def create_nodegroup(self, ident, name, node_count=1, image_id=None,
                         flavor_id=None, role=fields.ROLE_WORKER,
                         labels=None, wait=True):
        cluster = self._updatable(ident, 'nodegroup create')
        if not name:
            raise exception.InvalidParameter(field='name',
                                             reason='a name is required')
        if any(n['name'] == name for n in
               self.db.list_nodegroups(cluster['uuid'])):
            raise exception.Conflict(what='nodegroup %s' % name,
                                     reason='the cluster has one already')
        if role != fields.ROLE_WORKER:
            raise exception.InvalidParameter(
                field='role', reason='only worker nodegroups can be added')
        if node_count is None or node_count < 1:
            raise exception.InvalidParameter(
                field='node_count', reason='must be at least 1, got %s'
                % node_count)
        template = self.db.get_template(cluster['cluster_template_id'])
        image_id = image_id or template['image_id']
        if not self.host.image_exists(image_id):
            raise exception.InvalidParameter(
                field='image_id', reason='node image %r is not on the Docker '
                'engine' % image_id)
        from magnum_bay.drivers import common
        common.flavor_limits(self.conf, flavor_id)
        driver = self.driver(cluster['coe'])
        if not driver.nodegroups_supported:
            raise exception.NotSupported(operation='nodegroup create',
                                         coe=cluster['coe'])
        values = dict(name=name, role=role, node_count=node_count,
                      min_node_count=1, is_default=False, image_id=image_id,
                      flavor_id=flavor_id, labels=labels or {})

        def work(ctx, drv, c):
            ng = self.db.create_nodegroup(c['uuid'], values)
            return drv.create_nodegroup(ctx, c, ng)
        return self._run(cluster, 'UPDATE', work, wait, refresh=True)

    def delete_nodegroup(self, ident, name, wait=True):
        cluster = self._updatable(ident, 'nodegroup delete')
        ng = next((n for n in self.db.list_nodegroups(cluster['uuid'])
                   if n['name'] == name), None)
        if ng is None:
            raise exception.InvalidParameter(
                field='nodegroup', reason='no nodegroup %r' % name)
        if ng['is_default']:
            raise exception.InvalidParameter(
                field='nodegroup', reason='%s is a default nodegroup; '
                'resize it instead' % name)

        def work(ctx, drv, c):
            out = drv.delete_nodegroup(ctx, c, ng)
            self.db.destroy_nodegroup(ng['uuid'])
            return out
        return self._run(cluster, 'UPDATE', work, wait, refresh=True)

    def monitor(self, ident):
        """Magnum-style metrics {name: (value, unit)} of a running bay."""
        cluster = self._updatable(ident, 'monitoring')
        mon = self.driver(cluster['coe']).get_monitor(self._context(),
                                                      cluster)
        if mon is None:
            raise exception.NotSupported(operation='monitoring',
                                         coe=cluster['coe'])
        mon.pull_data()
        return {name: (mon.compute_metric_value(name),
                       mon.get_metric_unit(name))
                for name in mon.get_metric_names()}

    def _updatable(self, ident, operation):
        cluster = self.db.get_cluster(ident)
        if cluster['status'] not in fields.UPDATABLE:
            raise exception.InvalidState(
                bay=cluster['name'], status=cluster['status'],
                operation=operation, needs=' or '.join(fields.UPDATABLE))
        return cluster

    # -- status -----------------------------------------------------------

    def refresh_health(self, ident):
        cluster = self.db.get_cluster(ident)
        driver = self.driver(cluster['coe'])
        try:
            health, reasons = driver.update_cluster_status(
                self._context(), cluster)
        except exception.BayError as e:
            health, reasons = fields.UNKNOWN, {'error': str(e)}
        return self.db.update_cluster(cluster['uuid'], {
            'health_status': health, 'health_status_reason': reasons})

    def wait(self, ident, timeout=None):
        cluster = self.db.get_cluster(ident)
        thread = self._threads.get(cluster['uuid'])
        if thread is not None:
            thread.join(timeout)
        try:
            return self.db.get_cluster(cluster['uuid'])
        except exception.BayNotFound:
            return None

    # -- credentials and images --------------------------------------------

    def config_files(self, ident, renew=False):
        cluster = self.db.get_cluster(ident)
        if cluster['status'] not in fields.UPDATABLE:
            raise exception.InvalidState(
                bay=cluster['name'], status=cluster['status'],
                operation='config', needs='a created cluster')
        ctx = self._context()
        creds = ctx.credentials(cluster)
        ca = creds.ensure_ca()
        return self.driver(cluster['coe']).config_files(
            ctx, cluster, creds.client(renew=renew), ca.cert_pem)

    def load_image(self, ident, image):
        """Copy an image of the host engine into every node (no registry)."""
        cluster = self._updatable(ident, 'image load')
        if not self.host.image_exists(image):
            raise exception.InvalidParameter(
                field='image', reason='%r is not on the Docker engine'
                % image)
        driver = self.driver(cluster['coe'])
        if not hasattr(driver, 'load_image'):
            raise exception.NotSupported(operation='image load',
                                         coe=cluster['coe'])
        driver.load_image(self._context(), cluster, image)

    # -- running operations -----------------------------------------------

    def _run(self, cluster, action, work, wait, timeout_minutes=None,
             refresh=False):
        uuid = cluster['uuid']
        owner = {'host': socket.gethostname(), 'pid': os.getpid()}
        cluster = self.db.update_cluster(uuid, {
            'status': '%s_IN_PROGRESS' % action,
            'status_reason': '%s started' % action.lower(),
            'driver_state': dict(cluster.get('driver_state') or {},
                                 operation=owner)})
        driver = self.driver(cluster['coe'])
        ctx = self._context(cluster, timeout_minutes)

        def body():
            try:
                updates = work(ctx, driver, cluster) or {}
            except Exception as e:
                # The reason is what the user reads in "cluster show".
                reason = str(e) or type(e).__name__
                if isinstance(e, exception.BayError):
                    LOG.warning('%s of cluster %s failed: %s', action,
                                cluster['name'], reason)
                else:
                    LOG.exception('%s of cluster %s failed', action, uuid)
                self.db.update_cluster(uuid, {
                    'status': '%s_FAILED' % action,
                    'status_reason': reason})
                ctx.progress(reason)
                return
            if action == 'DELETE':
                self.db.destroy_cluster(uuid)
                if self.progress:
                    self.progress(cluster, 'deleted')
                return
            updates = dict(updates, status='%s_COMPLETE' % action,
                           status_reason='%s completed' % action.lower())
            self.db.update_cluster(uuid, updates)
            if refresh:
                self.refresh_health(uuid)
            if self.progress:
                self.progress(cluster, updates['status'])

        if wait:
            body()
        else:
            thread = threading.Thread(target=self._track, args=(uuid, body),
                                      name='bay-%s' % action.lower(),
                                      daemon=True)
            self._threads[uuid] = thread
            thread.start()
            return cluster
        try:
            return self.with_counts(self.db.get_cluster(uuid))
        except exception.BayNotFound:
            return None

    def _track(self, uuid, body):
        try:
            body()
        finally:
            self._threads.pop(uuid, None)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie has exited; it only waits for its parent to reap it.
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except (OSError, IndexError):
        return True
