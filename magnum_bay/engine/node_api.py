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

"""The Docker engine inside a node, over TLS with the bay's certificates.

The docker SDK reads TLS material from files, so ``tls_files`` writes the CA
certificate and a client pair into a private temporary folder (0700) for the
length of one operation and removes it afterwards: no key stays on disk.
"""

import contextlib
import os
import shutil
import tempfile
import time

import docker

from docker_layer import client as layer_client
from docker_layer import errors as layer_errors
from magnum_bay import exception

# Errors that mean "that engine is not answering (yet)": those of an engine
# that does not answer, and the errors a starting engine answers with.
UNREACHABLE = (docker.errors.APIError,) + layer_errors.UNAVAILABLE


@contextlib.contextmanager
def tls_files(ca_cert_pem, client_pair):
    """Yield (ca_path, cert_path, key_path) in a private temporary folder."""
    folder = tempfile.mkdtemp(prefix='bay-tls-')
    try:
        os.chmod(folder, 0o700)
        paths = []
        for name, text in (('ca.pem', ca_cert_pem),
                           ('cert.pem', client_pair.cert_pem),
                           ('key.pem', client_pair.key_pem)):
            path = os.path.join(folder, name)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, 'w') as f:
                f.write(text)
            paths.append(path)
        yield tuple(paths)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class NodeEngines:
    """Clients for the engines inside a bay's nodes, made on demand."""

    def __init__(self, port, tls_paths=None, timeout=30):
        self.port = port
        self.tls_paths = tls_paths
        self.timeout = timeout
        self._clients = {}

    def url(self, address):
        scheme = 'https' if self.tls_paths else 'http'
        return '%s://%s:%d' % (scheme, address, self.port)

    def client(self, address):
        if address not in self._clients:
            tls = None
            if self.tls_paths:
                tls = layer_client.TLSFiles(*self.tls_paths, verify=True)
            self._clients[address] = layer_client.docker_client(
                self.url(address), tls, timeout=self.timeout)
        return self._clients[address]

    def close(self):
        for c in self._clients.values():
            c.close()
        self._clients.clear()

    def wait_ready(self, name, address, deadline, interval, dead=None):
        """Wait until the node's engine answers /_ping, or fail naming it.

        ``dead()`` returns a reason when the node can no longer come up (its
        container exited), so a broken node fails at once, not at the
        deadline.
        """
        last = None
        while True:
            try:
                self.client(address).ping()
                return
            except UNREACHABLE as e:
                last = e
            reason = dead() if dead else None
            if reason:
                raise exception.NodeFailed(node=name, reason=reason)
            if time.monotonic() > deadline:
                raise exception.NodeFailed(
                    node=name, reason='its Docker engine at %s did not '
                    'answer in time (%s)' % (self.url(address),
                                             type(last).__name__))
            time.sleep(interval)

    # -- swarm ------------------------------------------------------------

    def swarm_init(self, address, heartbeat_seconds):
        c = self.client(address)
        spec = c.api.create_swarm_spec(
            dispatcher_heartbeat_period=int(heartbeat_seconds * 1e9))
        c.api.init_swarm(advertise_addr=address,
                         listen_addr='0.0.0.0:2377', swarm_spec=spec)
        info = c.api.inspect_swarm()
        return info['ID'], info['JoinTokens']

    def join_tokens(self, address):
        return self.client(address).api.inspect_swarm()['JoinTokens']

    def swarm_join(self, address, manager_address, token, attempts=5):
        """Join a swarm; retried, because a manager that has just been
        made answers joins with transient errors on a loaded host."""
        for attempt in range(attempts):
            try:
                self.client(address).api.join_swarm(
                    remote_addrs=['%s:2377' % manager_address],
                    join_token=token, advertise_addr=address,
                    listen_addr='0.0.0.0:2377')
                return
            except docker.errors.APIError as e:
                if 'already part of a swarm' in str(e):
                    return
                if attempt == attempts - 1:
                    raise
                time.sleep(0.5 * (attempt + 1))

    def swarm_leave(self, address, force=False):
        self.client(address).api.leave_swarm(force=force)

    def swarm_nodes(self, manager_address):
        return self.client(manager_address).api.nodes()

    def local_node_id(self, address):
        info = self.client(address).api.info()
        return (info.get('Swarm') or {}).get('NodeID') or None

    def set_availability(self, manager_address, node_id, availability):
        api = self.client(manager_address).api
        node = api.inspect_node(node_id)
        spec = dict(node['Spec'], Availability=availability)
        api.update_node(node_id, node['Version']['Index'], spec)

    def remove_swarm_node(self, manager_address, node_id):
        try:
            self.client(manager_address).api.remove_node(node_id, force=True)
        except docker.errors.NotFound:
            pass

    def running_tasks(self, manager_address, node_id):
        tasks = self.client(manager_address).api.tasks(
            filters={'node': node_id, 'desired-state': 'running'})
        return [t for t in tasks
                if t['Status']['State'] in ('running', 'starting',
                                            'preparing', 'assigned')]

    def load_image(self, address, tarball):
        self.client(address).images.load(tarball)
