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

"""Node containers on the host engine: network, create, start, remove, find.

A node is a container labelled with its bay, role and index, on the bay's own
bridge network, with its ``/var/lib/docker`` in a named volume so that a
rolling upgrade can replace the container and keep the node's state. Its
address is fixed (the network's subnet is pinned) so a replaced manager keeps
the address the swarm knows it by.
"""

import glob
import io
import ipaddress
import os
import tarfile
import time

import docker
from docker import types as docker_types

from docker_layer import client as layer_client
from magnum_bay import exception

LABEL_BAY = 'org.docker-on-openstack.bay'
LABEL_ROLE = 'org.docker-on-openstack.bay.role'
LABEL_INDEX = 'org.docker-on-openstack.bay.index'
LABEL_NODEGROUP = 'org.docker-on-openstack.bay.nodegroup'

# What a node needs to run its own dockerd here. --privileged fails on this
# kind of host (CAP_SYS_RESOURCE is not in the bounding set), so the node
# gets every other capability, no seccomp/apparmor confinement, writable
# /sys paths and the host's cgroup tree (read-write, v1) for its nested
# containers. Only the operator's bay service sets these; no template field
# reaches them.
NODE_HOST_CONFIG = dict(
    cap_add=['ALL'], cap_drop=['SYS_RESOURCE'],
    security_opt=['seccomp=unconfined', 'apparmor=unconfined'],
    cgroupns='host',
)
# The CLI's --security-opt systempaths=unconfined: no masked or read-only
# /proc and /sys paths (the API has no security-opt spelling for it).
NODE_HOST_CONFIG_RAW = {'MaskedPaths': [], 'ReadonlyPaths': []}


def short(bay_uuid):
    return bay_uuid.split('-')[0]


def node_name(bay_uuid, role, index):
    return 'bay-%s-%s-%d' % (short(bay_uuid), role, index)


def network_name(bay_uuid):
    return 'bay-%s' % short(bay_uuid)


def volume_name(name):
    return '%s-docker' % name


class Node:
    """What the host engine knows about one node container."""

    def __init__(self, attrs):
        self.attrs = attrs
        labels = attrs['Config']['Labels'] or {}
        self.id = attrs['Id']
        self.name = attrs['Name'].lstrip('/')
        self.role = labels.get(LABEL_ROLE)
        self.index = int(labels.get(LABEL_INDEX, 0))
        self.nodegroup = labels.get(LABEL_NODEGROUP)
        self.image = attrs['Config']['Image']
        self.image_id = attrs['Image']
        self.state = attrs['State']['Status']
        nets = attrs['NetworkSettings']['Networks'] or {}
        self.address = next((n.get('IPAddress') for n in nets.values()
                             if n.get('IPAddress')), None)
        if not self.address:
            pinned = next((n.get('IPAMConfig') or {} for n in nets.values()),
                          {})
            self.address = pinned.get('IPv4Address')

    @property
    def running(self):
        return self.state == 'running'

    def __repr__(self):
        return '<Node %s %s %s>' % (self.name, self.state, self.address)


class NodeHost:
    """The host engine that runs the nodes of every bay."""

    def __init__(self, endpoint=None, timeout=120, tls=None):
        self.client = layer_client.docker_client(
            layer_client.resolve(endpoint), tls, timeout=timeout,
            version=layer_client.AUTO)
        self.api = self.client.api

    @classmethod
    def from_conf(cls, opts):
        """The host engine of the ``[bay]`` endpoint and TLS options."""
        url = layer_client.endpoint_of(opts)
        return cls(url, opts.api_timeout, layer_client.tls_of(opts, url))

    def close(self):
        self.client.close()

    # -- images -----------------------------------------------------------

    def image_exists(self, ref):
        try:
            self.client.images.get(ref)
        except docker.errors.ImageNotFound:
            return False
        except docker.errors.APIError as e:
            # An invalid reference format is a missing image for the caller.
            if e.status_code == 400:
                return False
            raise
        return True

    def save_image(self, ref):
        """The image as a ``docker save`` tarball (bytes)."""
        return b''.join(self.client.images.get(ref).save(named=True))

    # -- network ----------------------------------------------------------

    def ensure_network(self, bay_uuid):
        """The bay's bridge network, with its subnet pinned.

        Docker picks a free subnet (it knows the host's routes), then the
        network is made again with that subnet written down, because only
        networks with a configured subnet accept fixed container addresses.
        """
        name = network_name(bay_uuid)
        found = self._networks_named(name)
        if found:
            return self.api.inspect_network(found[0]['Id'])
        labels = {LABEL_BAY: bay_uuid}
        probe = self._create_network(name, labels)
        info = self.api.inspect_network(probe['Id'])
        self.api.remove_network(probe['Id'])
        cfg = info['IPAM']['Config'][0]
        pool = docker_types.IPAMPool(subnet=cfg['Subnet'],
                                     gateway=cfg.get('Gateway'))
        created = self._create_network(
            name, labels, ipam=docker_types.IPAMConfig(pool_configs=[pool]))
        return self.api.inspect_network(created['Id'])

    def _create_network(self, name, labels, ipam=None, attempts=3):
        # Another dockerd on the same host (re)making its iptables chains
        # can make this one's rule insertion fail for a moment.
        for attempt in range(attempts):
            try:
                return self.api.create_network(name, driver='bridge',
                                               labels=labels, ipam=ipam)
            except docker.errors.APIError as e:
                if 'iptables' not in str(e) or attempt == attempts - 1:
                    raise
                for net in self._networks_named(name):
                    self.api.remove_network(net['Id'])
                time.sleep(0.5)

    def network(self, bay_uuid):
        found = self._networks_named(network_name(bay_uuid))
        return self.api.inspect_network(found[0]['Id']) if found else None

    def _networks_named(self, name):
        # The API's name filter matches substrings; keep exact names only.
        return [n for n in self.api.networks(names=[name])
                if n['Name'] == name]

    def free_address(self, network, taken):
        return free_address(network, taken)

    # -- nodes ------------------------------------------------------------

    def list_nodes(self, bay_uuid):
        found = self.api.containers(
            all=True, filters={'label': '%s=%s' % (LABEL_BAY, bay_uuid)})
        nodes = [Node(self.api.inspect_container(c['Id'])) for c in found]
        return sorted(nodes, key=lambda n: (n.role != 'master', n.index))

    def get_node(self, name):
        try:
            return Node(self.api.inspect_container(name))
        except docker.errors.NotFound:
            return None

    def create_node(self, bay_uuid, network, role, index, image, command,
                    address, files=(), nodegroup=None, mem_limit=None,
                    nano_cpus=None, env=None, docker_volume=True):
        """Create (not start) one node container and put its files in."""
        name = node_name(bay_uuid, role, index)
        labels = {LABEL_BAY: bay_uuid, LABEL_ROLE: role,
                  LABEL_INDEX: str(index), LABEL_NODEGROUP: nodegroup or role}
        binds = {'/sys/fs/cgroup': {'bind': '/sys/fs/cgroup', 'mode': 'rw'}}
        if docker_volume:
            vol = volume_name(name)
            if not self._volume_exists(vol):
                self.api.create_volume(vol, labels=labels)
            binds[vol] = {'bind': '/var/lib/docker', 'mode': 'rw'}
        host_config = self.api.create_host_config(
            binds=binds, mem_limit=mem_limit, nano_cpus=nano_cpus,
            **NODE_HOST_CONFIG)
        host_config.update(NODE_HOST_CONFIG_RAW)
        net_config = self.api.create_networking_config({
            network['Name']: self.api.create_endpoint_config(
                ipv4_address=address)})
        container = self.api.create_container(
            image, command=command, name=name, hostname=name, labels=labels,
            environment=env, host_config=host_config,
            networking_config=net_config, detach=True)
        if files:
            self.api.put_archive(container['Id'], '/', _tar(files))
        return container['Id']

    def start(self, ident):
        self.api.start(ident)

    def restart(self, ident):
        self.api.restart(ident, timeout=2)

    def put_files(self, ident, files):
        self.api.put_archive(ident, '/', _tar(files))

    def why_dead(self, ident):
        """None while the node runs; else its state and last log lines."""
        try:
            info = self.api.inspect_container(ident)
        except docker.errors.NotFound:
            return 'its container is gone'
        state = info['State']
        if state['Running'] or state['Status'] == 'created':
            return None
        tail = self.api.logs(ident, tail=3).decode(errors='replace').strip()
        return 'its container %s (exit code %s): %s' % (
            state['Status'], state['ExitCode'], tail or 'no output')

    def exec(self, ident, cmd):
        """Run a command in a node; return (exit code, output text)."""
        exec_id = self.api.exec_create(ident, cmd)['Id']
        out = self.api.exec_start(exec_id)
        code = self.api.exec_inspect(exec_id)['ExitCode']
        return code, out.decode(errors='replace')

    def kill(self, ident):
        self.api.kill(ident)

    def remove_node(self, ident, keep_volume=False):
        """Remove a node container and (unless kept) its docker volume."""
        try:
            info = self.api.inspect_container(ident)
        except docker.errors.NotFound:
            info = None
        name = ident if info is None else info['Name'].lstrip('/')
        if info is not None:
            self.api.remove_container(info['Id'], force=True, v=True)
        if not keep_volume:
            self._remove_volume(volume_name(name))
        remove_cgroups(name)

    def remove_bay(self, bay_uuid):
        """Every container, volume and the network of one bay."""
        for node in self.list_nodes(bay_uuid):
            self.remove_node(node.id)
        vols = self.api.volumes(
            filters={'label': '%s=%s' % (LABEL_BAY, bay_uuid)})
        for vol in vols.get('Volumes') or []:
            self._remove_volume(vol['Name'])
        for net in self.api.networks(
                filters={'label': '%s=%s' % (LABEL_BAY, bay_uuid)}):
            try:
                self.api.remove_network(net['Id'])
            except docker.errors.NotFound:
                pass

    def leftovers(self, bay_uuid):
        """Names of anything of this bay still on the engine."""
        flt = {'label': '%s=%s' % (LABEL_BAY, bay_uuid)}
        return {
            'containers': [c['Names'][0].lstrip('/') for c in
                           self.api.containers(all=True, filters=flt)],
            'volumes': [v['Name'] for v in
                        self.api.volumes(filters=flt).get('Volumes') or []],
            'networks': [n['Name'] for n in self.api.networks(filters=flt)],
        }

    def _volume_exists(self, name):
        try:
            self.api.inspect_volume(name)
        except docker.errors.NotFound:
            return False
        return True

    def _remove_volume(self, name):
        try:
            self.api.remove_volume(name, force=True)
        except docker.errors.NotFound:
            pass


def free_address(network, taken):
    """The first address of the network's subnet not in ``taken``."""
    cfg = network['IPAM']['Config'][0]
    subnet = ipaddress.ip_network(cfg['Subnet'])
    used = set(taken) | {cfg.get('Gateway')}
    for host in subnet.hosts():
        if str(host) not in used:
            return str(host)
    raise exception.BayError('no free address left in %s' % subnet)


def remove_cgroups(name, attempts=20):
    """Remove the (empty) cgroup folders the node's dockerd made on the host.

    The node's nested containers live under /sys/fs/cgroup/<controller>/<name>
    (its --cgroup-parent); they are empty once the node is gone but stay
    behind unless removed, deepest first.
    """
    if not name or '/' in name or name.startswith('.'):
        return
    for _ in range(attempts):
        left = []
        for top in glob.glob('/sys/fs/cgroup/*/%s' % name):
            for base, _dirs, _files in sorted(os.walk(top),
                                              key=lambda w: -len(w[0])):
                try:
                    os.rmdir(base)
                except OSError:
                    left.append(base)
        if not left:
            return
        # Processes of the node may take a moment to leave.
        time.sleep(0.1)


def _tar(files):
    """A tar stream of {path: (text_or_bytes, mode)}."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w') as tar:
        dirs = set()
        for path in sorted(files):
            content, mode = files[path]
            parts = path.strip('/').split('/')
            for i in range(1, len(parts)):
                d = '/'.join(parts[:i])
                if d not in dirs:
                    dirs.add(d)
                    info = tarfile.TarInfo(d)
                    info.type = tarfile.DIRTYPE
                    info.mode = 0o755
                    tar.addfile(info)
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(path.strip('/'))
            info.size = len(data)
            info.mode = mode
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()
