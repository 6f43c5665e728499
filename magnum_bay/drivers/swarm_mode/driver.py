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

"""The swarm-mode driver: node containers with their own dockerd, one swarm.

Create starts every node at once, inits the swarm on the first manager,
joins the other managers one by one (raft membership changes are serial)
and the workers all together. Resize drains a node before it leaves.
Upgrade replaces node containers a batch at a time, keeping each node's
/var/lib/docker volume and address so that it comes back as the same swarm
node. Health comes from the swarm's own node list plus the containers' state.
"""

import concurrent.futures
import contextlib

from oslo_log import log as logging

from magnum_bay import exception
from magnum_bay import fields
from magnum_bay.drivers import base
from magnum_bay.drivers import common
from magnum_bay.drivers.swarm_mode import node_config
from magnum_bay.engine import node_api
from magnum_bay.engine import nodes as engine_nodes

LOG = logging.getLogger(__name__)

STORAGE_DRIVERS = ('overlay2', 'vfs')


class SwarmModeDriver(base.BayDriver):
    coe = fields.SWARM_MODE
    provides = [{'server_type': fields.SERVER_TYPE, 'os': 'docker',
                 'coe': fields.SWARM_MODE}]
    nodegroups_supported = True

    @property
    def opts(self):
        return self.conf.bay_swarm_mode

    def default_image(self):
        return self.opts.default_image

    # -- validation -------------------------------------------------------

    def validate_template(self, context, template):
        super().validate_template(context, template)
        self.validate_master_size(template.get('master_count') or 1)
        if (template.get('docker_storage_driver') and
                template['docker_storage_driver'] not in STORAGE_DRIVERS):
            raise exception.InvalidParameter(
                field='docker_storage_driver',
                reason='%r is not one of %s' % (
                    template['docker_storage_driver'],
                    ', '.join(STORAGE_DRIVERS)))
        common.flavor_limits(self.conf, template.get('flavor_id'))
        common.flavor_limits(self.conf, template.get('master_flavor_id'),
                             'master_flavor_id')
        image = template.get('image_id')
        if not image or not context.host.image_exists(image):
            raise exception.InvalidParameter(
                field='image_id', reason='node image %r is not on the Docker '
                'engine (build it with tools/node_image.py)' % image)

    def validate_master_resize(self, count):
        raise exception.NotSupported(operation='resizing the masters',
                                     coe=self.coe)

    # -- lifecycle --------------------------------------------------------

    def create_cluster(self, context, cluster, cluster_create_timeout):
        with self._swarm(context, cluster) as bay:
            network = context.host.ensure_network(cluster['uuid'])
            plan = []
            for ng in context.nodegroups(cluster):
                plan += [(ng, i) for i in range(ng['node_count'])]
            context.progress('starting %d node containers' % len(plan))
            nodes = bay.launch(network, plan)
            masters = [n for n in nodes if n.role == fields.ROLE_MASTER]
            workers = [n for n in nodes if n.role != fields.ROLE_MASTER]
            # Pipelined: the swarm is made as soon as the first manager's
            # engine answers, and each worker joins as soon as its own
            # engine answers, instead of every step waiting for all nodes.
            with concurrent.futures.ThreadPoolExecutor(
                    max_workers=1 + len(workers)) as pool:
                def init():
                    bay.wait_engines(masters[:1])
                    context.progress('swarm init on %s' % masters[0].name)
                    return bay.engines.swarm_init(
                        masters[0].address, self.opts.heartbeat_seconds)

                made = pool.submit(init)

                def join(worker):
                    bay.wait_engines([worker])
                    tokens = made.result()[1]
                    bay.engines.swarm_join(worker.address,
                                           masters[0].address,
                                           tokens['Worker'])
                context.progress('%d workers join as their engines answer'
                                 % len(workers))
                joins = [pool.submit(join, w) for w in workers]
                swarm_id, tokens = made.result()
                bay.wait_engines(masters[1:])
                for m in masters[1:]:
                    bay.engines.swarm_join(m.address, masters[0].address,
                                           tokens['Manager'])
                for j in joins:
                    j.result()
            bay.wait_swarm_ready([n.name for n in nodes])
            return dict(bay.addresses(), driver_state={
                'network': network['Name'], 'swarm_id': swarm_id},
                coe_version=bay.engine_version(masters[0].address))

    def update_cluster(self, context, cluster, scale_manager=None,
                       rollback=False):
        with self._swarm(context, cluster) as bay:
            bay.repair()
            return bay.addresses()

    def resize_cluster(self, context, cluster, resize_manager, node_count,
                       nodes_to_remove, nodegroup=None):
        ngs = context.nodegroups(cluster)
        ng = nodegroup or common.default_nodegroup(ngs, fields.ROLE_WORKER)
        if ng['role'] == fields.ROLE_MASTER:
            self.validate_master_resize(node_count)
        self.validate_node_count(node_count)
        with self._swarm(context, cluster) as bay:
            bay.repair(skip_nodegroup=ng['name'])
            current = [n for n in context.host.list_nodes(cluster['uuid'])
                       if n.nodegroup == ng['name']]
            if node_count > len(current):
                network = context.host.network(cluster['uuid'])
                used = {n.index for n in current}
                free = (i for i in range(10 ** 6) if i not in used)
                plan = [(ng, next(free))
                        for _ in range(node_count - len(current))]
                context.progress('adding %d nodes' % len(plan))
                added = bay.launch(network, plan)
                bay.wait_engines(added)
                bay.join(added)
                bay.wait_swarm_ready([n.name for n in added])
            elif node_count < len(current):
                victims = _pick_victims(current, node_count, nodes_to_remove)
                for node in victims:
                    bay.drain_and_remove(node)
            return bay.addresses()

    def upgrade_cluster(self, context, cluster, cluster_template,
                        max_batch_size, nodegroup, scale_manager=None,
                        rollback=False):
        image = cluster_template['image_id']
        if not context.host.image_exists(image):
            raise exception.InvalidParameter(
                field='image_id', reason='node image %r is not on the Docker '
                'engine' % image)
        batch = max(1, max_batch_size or 1)
        with self._swarm(context, cluster) as bay:
            nodes = context.host.list_nodes(cluster['uuid'])
            if nodegroup:
                nodes = [n for n in nodes if n.nodegroup == nodegroup['name']]
            workers = [n for n in nodes if n.role != fields.ROLE_MASTER]
            masters = [n for n in nodes if n.role == fields.ROLE_MASTER]
            # Managers go first and strictly one at a time, so the raft
            # quorum is never short of more than one member; workers then
            # go in batches, and each comes back as a fresh dockerd that
            # finds its manager at once instead of on a reconnect backoff.
            groups = [[m] for m in masters] + [
                workers[i:i + batch] for i in range(0, len(workers), batch)]
            for group in groups:
                group = [n for n in group if n.image_id != _image_id(
                    context.host, image)]
                if group:
                    bay.replace(group, image)
            bay.settle()
            return bay.addresses()

    def create_nodegroup(self, context, cluster, nodegroup):
        """Add a worker nodegroup (its own image and flavor) to the swarm."""
        if nodegroup['role'] == fields.ROLE_MASTER:
            raise exception.NotSupported(operation='a second master '
                                         'nodegroup', coe=self.coe)
        with self._swarm(context, cluster) as bay:
            network = context.host.network(cluster['uuid'])
            used = {n.index for n in context.host.list_nodes(cluster['uuid'])
                    if n.role == fields.ROLE_WORKER}
            free = (i for i in range(10 ** 6) if i not in used)
            plan = [(nodegroup, next(free))
                    for _ in range(nodegroup['node_count'])]
            context.progress('adding nodegroup %s (%d nodes)'
                             % (nodegroup['name'], len(plan)))
            added = bay.launch(network, plan)
            bay.wait_engines(added)
            bay.join(added)
            bay.wait_swarm_ready([n.name for n in added])
            return bay.addresses()

    def delete_nodegroup(self, context, cluster, nodegroup):
        with self._swarm(context, cluster) as bay:
            for node in context.host.list_nodes(cluster['uuid']):
                if node.nodegroup == nodegroup['name']:
                    bay.drain_and_remove(node)
            return bay.addresses()

    def get_monitor(self, context, cluster):
        from magnum_bay.drivers.swarm_mode import monitor
        return monitor.SwarmMonitor(self, context, cluster)

    def delete_cluster(self, context, cluster):
        context.progress('removing node containers, volumes and network')
        context.host.remove_bay(cluster['uuid'])

    def rotate_ca_certificate(self, context, cluster):
        creds = context.credentials(cluster)
        creds.rotate()
        with self._swarm(context, cluster) as bay:
            nodes = context.host.list_nodes(cluster['uuid'])
            ca = creds.ca()

            def rekey(node):
                server = creds.server(node.name, [node.address])
                context.host.put_files(node.id, node_config.tls_files(
                    ca.cert_pem, server))
                context.host.restart(node.id)
            # dockerd reads its certificates at start only. Managers restart
            # one by one so the raft quorum holds, then the workers together
            # (after the managers, so they need not reconnect to them).
            masters = [n for n in nodes if n.role == fields.ROLE_MASTER]
            for node in masters:
                context.progress('re-keying %s' % node.name)
                rekey(node)
                bay.wait_engines([node])
                bay.wait_swarm_ready([m.name for m in masters])
            workers = [n for n in nodes if n.role != fields.ROLE_MASTER]
            context.progress('re-keying %d workers' % len(workers))
            common.parallel(rekey, workers)
            bay.wait_engines(workers)
            bay.settle()
        creds.finish_rotation()

    def load_image(self, context, cluster, image):
        """Copy a host-engine image into every node's engine (no registry)."""
        tarball = context.host.save_image(image)
        with self._swarm(context, cluster) as bay:
            nodes = [n for n in context.host.list_nodes(cluster['uuid'])
                     if n.running]
            common.parallel(lambda n: bay.engines.load_image(n.address,
                                                             tarball), nodes)

    # -- status -----------------------------------------------------------

    def update_cluster_status(self, context, cluster):
        with self._swarm(context, cluster) as bay:
            return bay.health()

    def config_files(self, context, cluster, client_pair, ca_cert_pem):
        template = context.template(cluster)
        address = cluster['api_address'] or ''
        files = {}
        if not template['tls_disabled']:
            files.update({'ca.pem': ca_cert_pem,
                          'cert.pem': client_pair.cert_pem,
                          'key.pem': client_pair.key_pem})
        lines = ['export DOCKER_HOST=%s' % address]
        if not template['tls_disabled']:
            lines += ['export DOCKER_TLS_VERIFY=1',
                      'export DOCKER_CERT_PATH="$(cd "$(dirname '
                      '"${BASH_SOURCE[0]:-$0}")" && pwd)"']
        files['env.sh'] = '\n'.join(lines) + '\n'
        return files

    # -- plumbing ---------------------------------------------------------

    @contextlib.contextmanager
    def _swarm(self, context, cluster):
        template = context.template(cluster)
        tls = not template['tls_disabled']
        creds = context.credentials(cluster)
        if tls:
            ca = creds.ensure_ca()
            with node_api.tls_files(ca.cert_pem, creds.admin()) as paths:
                engines = node_api.NodeEngines(self.opts.api_port, paths)
                try:
                    yield _SwarmBay(self, context, cluster, template, engines)
                finally:
                    engines.close()
        else:
            engines = node_api.NodeEngines(self.opts.plain_api_port, None)
            try:
                yield _SwarmBay(self, context, cluster, template, engines)
            finally:
                engines.close()


def _image_id(host, ref):
    return host.client.images.get(ref).id


def _pick_victims(current, node_count, nodes_to_remove):
    by_name = {n.name: n for n in current}
    chosen = []
    for ident in nodes_to_remove or ():
        if ident not in by_name:
            raise exception.InvalidParameter(
                field='nodes_to_remove', reason='%s is not a node of this '
                'nodegroup (nodes: %s)' % (ident, ', '.join(sorted(by_name))))
        chosen.append(by_name[ident])
    rest = sorted((n for n in current if n not in chosen),
                  key=lambda n: n.index, reverse=True)
    need = len(current) - node_count
    if len(chosen) > need:
        raise exception.InvalidParameter(
            field='nodes_to_remove', reason='names %d nodes but the resize '
            'removes only %d' % (len(chosen), need))
    return chosen + rest[:need - len(chosen)]


def _states(entries):
    """What the swarm says of a node's entries: 'down: heartbeat failure'."""
    return '; '.join(
        ': '.join(x for x in (e['Status']['State'],
                              e['Status'].get('Message')) if x)
        for e in entries) or 'absent'


class _SwarmBay:
    """One bay while an operation works on it."""

    def __init__(self, driver, context, cluster, template, engines):
        self.driver = driver
        self.context = context
        self.host = context.host
        self.cluster = cluster
        self.template = template
        self.engines = engines
        self.tls = not template['tls_disabled']
        self.port = engines.port
        self.interval = driver.conf.bay.poll_interval

    # -- nodes ------------------------------------------------------------

    def _limits(self, ng):
        if ng['role'] == fields.ROLE_MASTER:
            flavor = ng.get('flavor_id') or self.cluster.get(
                'master_flavor_id') or self.template.get('master_flavor_id')
            return common.flavor_limits(self.driver.conf, flavor,
                                        'master_flavor_id')
        flavor = ng.get('flavor_id') or self.cluster.get(
            'flavor_id') or self.template.get('flavor_id')
        return common.flavor_limits(self.driver.conf, flavor)

    def launch(self, network, plan, image=None, addresses=None):
        """Create and start nodes for [(nodegroup, index)]; return Nodes."""
        taken = [n.address for n in self.host.list_nodes(self.cluster['uuid'])]
        specs = []
        for ng, index in plan:
            role = common.role_of(ng)
            name = self.host_name(role, index)
            address = (addresses or {}).get(name) or self.host.free_address(
                network, taken)
            taken.append(address)
            specs.append((ng, role, index, name, address))
        creds = self.context.credentials(self.cluster)
        ca = creds.ensure_ca() if self.tls else None

        def make(spec):
            ng, role, index, name, address = spec
            files = {}
            if self.tls:
                files = node_config.tls_files(
                    ca.cert_pem, creds.server(name, [address]))
            mem, cpus = self._limits(ng)
            cid = self.host.create_node(
                self.cluster['uuid'], network, role, index,
                image or ng.get('image_id') or self.template['image_id'],
                node_config.command(
                    name, role, self.port, self.tls,
                    self.template.get('docker_storage_driver')),
                address, files=files, nodegroup=ng['name'], mem_limit=mem,
                nano_cpus=cpus, env=node_config.env(self.template))
            self.host.start(cid)
            return self.host.get_node(cid)

        return common.parallel(make, specs)

    def host_name(self, role, index):
        return engine_nodes.node_name(self.cluster['uuid'], role, index)

    def wait_engines(self, nodes):
        deadline = self.context.until(self.driver.opts.node_start_timeout)
        common.parallel(lambda n: self.engines.wait_ready(
            n.name, n.address, deadline, self.interval,
            dead=lambda: self.host.why_dead(n.id)), nodes)

    def engine_version(self, address):
        return self.engines.client(address).api.version().get('Version')

    def managers(self):
        return [n for n in self.host.list_nodes(self.cluster['uuid'])
                if n.role == fields.ROLE_MASTER and n.running]

    def leader(self):
        """The address of a manager that answers, or None."""
        for m in self.managers():
            try:
                self.engines.swarm_nodes(m.address)
                return m.address
            except node_api.UNREACHABLE:
                continue
        return None

    def _require_leader(self):
        address = self.leader()
        if address is None:
            raise exception.BayError('no swarm manager of the bay answers')
        return address

    def join(self, nodes):
        leader = self._require_leader()
        tokens = self.engines.join_tokens(leader)
        for n in (n for n in nodes if n.role == fields.ROLE_MASTER):
            self.engines.swarm_join(n.address, leader, tokens['Manager'])
        common.parallel(lambda n: self.engines.swarm_join(
            n.address, leader, tokens['Worker']),
            [n for n in nodes if n.role != fields.ROLE_MASTER])

    def _swarm_entries(self, leader):
        entries = {}
        for entry in self.engines.swarm_nodes(leader):
            # A node that has only just joined has no description yet.
            hostname = (entry.get('Description') or {}).get('Hostname')
            if hostname:
                entries.setdefault(hostname, []).append(entry)
        return entries

    def wait_swarm_ready(self, names, seconds=None):
        if seconds is None:
            seconds = self.driver.opts.ready_timeout
        self.context.progress('waiting for %d swarm nodes to be ready'
                              % len(names))

        def check():
            leader = self.leader()
            if leader is None:
                return False, 'no manager answers'
            entries = self._swarm_entries(leader)
            missing = [n for n in names if not any(
                e['Status']['State'] == 'ready' for e in entries.get(n, ()))]
            for name in missing:
                # A node whose container died will never be ready.
                reason = self.host.why_dead(name)
                if reason:
                    raise exception.NodeFailed(node=name, reason=reason)
            return not missing, 'not ready: %s' % ', '.join(
                '%s (%s)' % (n, _states(entries.get(n, ()))) for n in missing)

        common.wait_for(check, self.context.until(seconds), self.interval,
                        'swarm formation', seconds)

    def settle(self):
        """Wait for the whole swarm; restart workers that stay out of it.

        A worker whose manager restarted under it reconnects on its own
        backoff, which a loaded host has stretched past several minutes.
        One still out after ``rejoin_timeout`` is restarted: a fresh dockerd
        with the same swarm identity (on its volume) registers at once.
        """
        nodes = self.host.list_nodes(self.cluster['uuid'])
        names = [n.name for n in nodes]
        try:
            self.wait_swarm_ready(
                names, seconds=self.driver.opts.rejoin_timeout)
            return
        except exception.OperationTimeout:
            pass
        entries = self._swarm_entries(self._require_leader())
        stuck = [n for n in nodes if n.running and
                 n.role != fields.ROLE_MASTER and not any(
                     e['Status']['State'] == 'ready'
                     for e in entries.get(n.name, ()))]
        for n in stuck:
            LOG.warning('%s stayed out of the swarm (%s); restarting it',
                        n.name, _states(entries.get(n.name, ())))
            self.context.progress('restarting %s, still out of the swarm'
                                  % n.name)
            self.host.restart(n.id)
        if stuck:
            self.wait_engines([self.host.get_node(n.id) for n in stuck])
        self.wait_swarm_ready(names)

    def drain_and_remove(self, node):
        """Drain a node, let its tasks move, then take it out and remove it."""
        leader = self._require_leader()
        ids = [e['ID'] for e in self._swarm_entries(leader).get(node.name, ())]
        for node_id in ids:
            self.context.progress('draining %s' % node.name)
            self.engines.set_availability(leader, node_id, 'drain')
        for node_id in ids:
            deadline = self.context.until(self.driver.opts.drain_timeout)
            common.wait_for(
                lambda: (not self.engines.running_tasks(leader, node_id),
                         'tasks still on %s' % node.name),
                deadline, self.interval, 'draining %s' % node.name,
                self.driver.opts.drain_timeout)
        if node.running:
            try:
                self.engines.swarm_leave(node.address,
                                         force=node.role == 'master')
            except node_api.UNREACHABLE:
                pass
        for node_id in ids:
            self.engines.remove_swarm_node(leader, node_id)
        self.context.progress('removing %s' % node.name)
        self.host.remove_node(node.id)

    def replace(self, group, image):
        """Rolling replacement of some nodes with a new image, same identity."""
        leader = self._require_leader()
        entries = self._swarm_entries(leader)
        ids = {n.name: [e['ID'] for e in entries.get(n.name, ())]
               for n in group}
        active = [e for es in entries.values() for e in es
                  if e['Spec'].get('Availability') == 'active']
        if len(active) > len(group):
            for n in group:
                for node_id in ids[n.name]:
                    self.engines.set_availability(leader, node_id, 'drain')
        ngs = {ng['name']: ng for ng in self.context.nodegroups(self.cluster)}
        network = self.host.network(self.cluster['uuid'])
        for n in group:
            self.context.progress('replacing %s with %s' % (n.name, image))
            self.host.remove_node(n.id, keep_volume=True)
        fresh = self.launch(network, [(ngs[n.nodegroup], n.index)
                                      for n in group], image=image,
                            addresses={n.name: n.address for n in group})
        self.wait_engines(fresh)
        # A replaced manager sees every node as unknown until it heartbeats
        # again: wait for the managers and this group; settle() waits for
        # the rest once every group is done.
        self.wait_swarm_ready([n.name for n in self.managers()] +
                              [n.name for n in group
                               if n.role != fields.ROLE_MASTER])
        leader = self._require_leader()
        for n in group:
            for node_id in ids[n.name]:
                self.engines.set_availability(leader, node_id, 'active')

    def repair(self, skip_nodegroup=None):
        """Restart stopped nodes, replace broken ones, fill missing ones."""
        uuid = self.cluster['uuid']
        nodes = self.host.list_nodes(uuid)
        stopped = [n for n in nodes if not n.running]
        for n in stopped:
            self.context.progress('restarting %s (%s)' % (n.name, n.state))
            self.host.start(n.id)
        network = self.host.network(uuid)
        if stopped:
            self.wait_engines([self.host.get_node(n.id) for n in stopped])
        # Restarted nodes, and running ones the swarm has lost, get a while
        # to be ready again before they are replaced.
        leader = self._require_leader()
        entries = self._swarm_entries(leader)
        lost = [self.host.get_node(n.id) for n in nodes
                if n in stopped or not any(
                    e['Status']['State'] == 'ready'
                    for e in entries.get(n.name, ()))]
        if lost:
            self._rejoin_or_replace(lost, network)
        missing = []
        for ng in self.context.nodegroups(self.cluster):
            if ng['name'] == skip_nodegroup:
                continue
            have = {n.index for n in nodes if n.nodegroup == ng['name']}
            free = (i for i in range(10 ** 6) if i not in have)
            missing += [(ng, next(free))
                        for _ in range(ng['node_count'] - len(have))]
        if missing:
            self.context.progress('adding %d missing nodes' % len(missing))
            added = self.launch(network, missing)
            self.wait_engines(added)
            self.join(added)
        names = [n.name for n in self.host.list_nodes(uuid)]
        self.wait_swarm_ready(names)
        self._forget_stale(names)

    def _rejoin_or_replace(self, restarted, network):
        """Give nodes a while to be ready; re-make workers that aren't.

        A node normally comes back as itself (its swarm state is on its
        volume). One that stays out of the swarm (seen on a heavily loaded
        host) is replaced by a fresh node with the same name that joins
        anew; a manager that stays out fails the repair.
        """
        try:
            self.wait_swarm_ready([n.name for n in restarted],
                                  seconds=self.driver.opts.rejoin_timeout)
            return
        except exception.OperationTimeout:
            pass
        leader = self._require_leader()
        entries = self._swarm_entries(leader)
        stuck = [n for n in restarted if not any(
            e['Status']['State'] == 'ready' for e in entries.get(n.name, ()))]
        if any(n.role == fields.ROLE_MASTER for n in stuck):
            raise exception.NodeFailed(
                node=', '.join(n.name for n in stuck),
                reason='restarted but did not rejoin the swarm')
        ngs = {ng['name']: ng for ng in self.context.nodegroups(self.cluster)}
        for n in stuck:
            self.context.progress('%s did not rejoin; replacing it' % n.name)
            for e in entries.get(n.name, ()):
                self.engines.remove_swarm_node(leader, e['ID'])
            self.host.remove_node(n.id)
        fresh = self.launch(network, [(ngs[n.nodegroup], n.index)
                                      for n in stuck])
        self.wait_engines(fresh)
        self.join(fresh)

    def _forget_stale(self, names):
        """Drop swarm entries of nodes that no longer exist or were re-made."""
        leader = self._require_leader()
        for hostname, entries in self._swarm_entries(leader).items():
            ready = [e for e in entries if e['Status']['State'] == 'ready']
            for e in entries:
                if hostname not in names or (ready and e not in ready):
                    self.engines.remove_swarm_node(leader, e['ID'])

    # -- facts ------------------------------------------------------------

    def addresses(self):
        nodes = self.host.list_nodes(self.cluster['uuid'])
        masters = [n.address for n in nodes if n.role == fields.ROLE_MASTER]
        workers = [n.address for n in nodes if n.role != fields.ROLE_MASTER]
        url = ('tcp://%s:%d' % (masters[0], self.port)
               if masters else None)
        return {'api_address': url, 'master_addresses': masters,
                'node_addresses': workers}

    def health(self):
        nodes = self.host.list_nodes(self.cluster['uuid'])
        problems = []
        reasons = {}
        for ng in self.context.nodegroups(self.cluster):
            have = [n for n in nodes if n.nodegroup == ng['name']]
            if len(have) < ng['node_count']:
                problems.append('nodegroup %s has %d of %d nodes' % (
                    ng['name'], len(have), ng['node_count']))
        leader = self.leader()
        entries = {}
        if leader is None:
            reasons['api'] = 'unreachable'
            problems.append('no swarm manager answers (%s)' % ', '.join(
                n.name for n in nodes if n.role == fields.ROLE_MASTER))
        else:
            reasons['api'] = 'ok'
            entries = self._swarm_entries(leader)
        for n in nodes:
            ready = n.running and any(e['Status']['State'] == 'ready'
                                      for e in entries.get(n.name, ()))
            reasons['%s.Ready' % n.name] = str(ready)
            if not n.running:
                problems.append('%s: container is %s' % (n.name, n.state))
            elif leader is not None and not ready:
                states = [e['Status']['State']
                          for e in entries.get(n.name, ())] or ['absent']
                problems.append('%s: swarm node is %s' % (
                    n.name, '/'.join(states)))
        if problems:
            reasons['summary'] = '; '.join(problems)
            return fields.UNHEALTHY, reasons
        return fields.HEALTHY, reasons
