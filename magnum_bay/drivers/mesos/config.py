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

"""Mesos master, agent and ZooKeeper configuration, checked before use.

Mesos reads MESOS_* environment variables for every flag, so each node gets
an env file; libprocess TLS (LIBPROCESS_SSL_*) uses the bay's CA and a
per-node certificate. ZooKeeper runs on the masters and holds the leader
election; the quorum is a strict majority of the masters.
"""

import re

from magnum_bay import exception

ETC = '/etc/bay'
ZK_RE = re.compile(r'^zk://([A-Za-z0-9.-]+:\d+)(,[A-Za-z0-9.-]+:\d+)*/\w+$')


def quorum(master_count):
    return master_count // 2 + 1


def zk_url(master_addresses, port):
    return 'zk://%s/mesos' % ','.join('%s:%d' % (a, port)
                                      for a in master_addresses)


def _tls_env():
    return {
        'LIBPROCESS_SSL_ENABLED': 'true',
        'LIBPROCESS_SSL_SUPPORT_DOWNGRADE': 'false',
        'LIBPROCESS_SSL_VERIFY_CERT': 'true',
        'LIBPROCESS_SSL_REQUIRE_CERT': 'true',
        'LIBPROCESS_SSL_CA_FILE': '%s/ca.pem' % ETC,
        'LIBPROCESS_SSL_CERT_FILE': '%s/node-cert.pem' % ETC,
        'LIBPROCESS_SSL_KEY_FILE': '%s/node-key.pem' % ETC,
    }


def master_env(cluster_name, address, masters, opts, tls=True):
    env = {
        'MESOS_CLUSTER': cluster_name,
        'MESOS_IP': address,
        'MESOS_HOSTNAME': address,
        'MESOS_PORT': str(opts.master_port),
        'MESOS_ZK': zk_url(masters, opts.zookeeper_port),
        'MESOS_QUORUM': str(quorum(len(masters))),
        'MESOS_REGISTRY': 'replicated_log',
        'MESOS_WORK_DIR': '/var/lib/mesos/master',
        'MESOS_LOG_DIR': '/var/log/mesos',
    }
    if tls:
        env.update(_tls_env())
    return env


def agent_env(address, masters, opts, tls=True):
    env = {
        'MESOS_IP': address,
        'MESOS_HOSTNAME': address,
        'MESOS_PORT': str(opts.agent_port),
        'MESOS_MASTER': zk_url(masters, opts.zookeeper_port),
        'MESOS_CONTAINERIZERS': ','.join(opts.containerizers),
        'MESOS_WORK_DIR': '/var/lib/mesos/agent',
        'MESOS_LOG_DIR': '/var/log/mesos',
        'MESOS_SYSTEMD_ENABLE_SUPPORT': 'false',
        'MESOS_DOCKER_SOCKET': '/var/run/docker.sock',
    }
    if tls:
        env.update(_tls_env())
    return env


def zoo_cfg(masters, opts):
    lines = ['tickTime=2000', 'initLimit=10', 'syncLimit=5',
             'dataDir=/var/lib/zookeeper',
             'clientPort=%d' % opts.zookeeper_port]
    lines += ['server.%d=%s:2888:3888' % (i + 1, a)
              for i, a in enumerate(masters)]
    return '\n'.join(lines) + '\n'


def env_file(env):
    return ''.join('%s=%s\n' % (k, env[k]) for k in sorted(env))


def parse_env_file(text):
    out = {}
    for line in text.splitlines():
        if line and not line.startswith('#'):
            key, _, value = line.partition('=')
            out[key] = value
    return out


def _fail(what, reason):
    raise exception.ConfigInvalid(what=what, reason=reason)


def validate(master_envs, agent_envs, zoo):
    """What mesos-master, mesos-agent and ZooKeeper would refuse."""
    count = len(master_envs)
    for env in master_envs:
        q = int(env['MESOS_QUORUM'])
        if not count // 2 < q <= count:
            _fail('MESOS_QUORUM', '%d is not a majority of %d masters'
                  % (q, count))
        if not ZK_RE.match(env['MESOS_ZK']):
            _fail('MESOS_ZK', 'bad ZooKeeper URL %r' % env['MESOS_ZK'])
        if env['MESOS_ZK'] != master_envs[0]['MESOS_ZK']:
            _fail('MESOS_ZK', 'masters disagree on ZooKeeper')
    for env in agent_envs:
        if env['MESOS_MASTER'] != master_envs[0]['MESOS_ZK']:
            _fail('MESOS_MASTER', 'agent points at %r, masters use %r'
                  % (env['MESOS_MASTER'], master_envs[0]['MESOS_ZK']))
        for c in env['MESOS_CONTAINERIZERS'].split(','):
            if c not in ('docker', 'mesos'):
                _fail('MESOS_CONTAINERIZERS', 'unknown containerizer %r' % c)
    for env in master_envs + agent_envs:
        port = int(env['MESOS_PORT'])
        if not 0 < port < 65536:
            _fail('MESOS_PORT', str(port))
    servers = [line for line in zoo.splitlines()
               if line.startswith('server.')]
    if len(servers) != count:
        _fail('zoo.cfg', '%d servers for %d masters' % (len(servers), count))
