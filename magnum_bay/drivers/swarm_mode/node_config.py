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

"""How a swarm-mode node container runs its own dockerd, and its files."""

TLS_DIR = '/etc/bay'


def command(name, role, port, tls, storage_driver=None):
    """The node's dockerd command line.

    ``--cgroup-parent /<name>`` keeps each node's nested containers in their
    own cgroup subtree of the host's (v1) hierarchy, shared through the
    read-write /sys/fs/cgroup mount.
    """
    cmd = ['dockerd', '--host', 'unix:///var/run/docker.sock',
           '--cgroup-parent', '/%s' % name, '--label', 'bay.role=%s' % role,
           '--label', 'bay.node=%s' % name]
    if tls:
        cmd += ['--host', 'tcp://0.0.0.0:%d' % port, '--tlsverify',
                '--tlscacert', '%s/ca.pem' % TLS_DIR,
                '--tlscert', '%s/server-cert.pem' % TLS_DIR,
                '--tlskey', '%s/server-key.pem' % TLS_DIR]
    else:
        cmd += ['--host', 'tcp://0.0.0.0:%d' % port]
    if storage_driver:
        cmd += ['--storage-driver', storage_driver]
    # A killed node leaves dockerd's and containerd's pid files behind in
    # its filesystem; a restarted dockerd refuses to start while they exist.
    return ['sh', '-c', 'rm -f /var/run/docker.pid '
            '/var/run/docker/containerd/containerd.pid; exec "$@"',
            'bay-node'] + cmd


def tls_files(ca_cert_pem, server_pair):
    """The files put into a node before it starts; the key is 0600."""
    return {
        '%s/ca.pem' % TLS_DIR: (ca_cert_pem, 0o644),
        '%s/server-cert.pem' % TLS_DIR: (server_pair.cert_pem, 0o644),
        '%s/server-key.pem' % TLS_DIR: (server_pair.key_pem, 0o600),
    }


def env(template):
    out = {}
    for key in ('http_proxy', 'https_proxy', 'no_proxy'):
        if template.get(key):
            out[key.upper()] = template[key]
    return out
