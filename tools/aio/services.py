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

"""The all-in-one's services: how each starts and how it is judged healthy.

The table is plain data; ``cloud.py`` starts the entries in order and polls
their health checks.
"""

import os
import socket
import stat

from tools.aio import horizon
from tools.aio import layout as layout_mod
from tools.aio import mariadb
from tools.aio import octavia
from tools.aio import ovn
from tools.aio import telemetry

RABBIT_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server'
#: How many API worker processes Neutron's OVN driver sizes its hash ring
#: for (events from OVN are shared out among the API workers): Neutron
#: reads this variable when it runs under neither uWSGI nor mod_wsgi, as
#: under gunicorn here (one worker, see serve.py).
NEUTRON_ENV = {'ASGI_WORKERS': '1'}
EPMD = '/usr/bin/epmd'


class Service:
    """One long-running process.

    kind: 'tcp' (health = the port accepts), 'http' (health = GET answers
    below 500), 'unix' (health = the unix socket ``path`` accepts),
    'socket' (health = the process runs and has made its unix socket
    ``path``, never connected to: for a server that a bare connection
    harms), 'proc'
    (health = the process runs; what it does is checked by the cloud),
    'rpc' (health = the service reports up through an API; checked by the
    cloud, which holds a token).
    """

    def __init__(self, name, argv, env=None, kind='rpc', port=None,
                 path='/', rpc_binary=None, rpc_host=None):
        self.name = name
        self.argv = argv
        self.env = env or {}
        self.kind = kind
        self.port = port
        self.path = path
        self.rpc_binary = rpc_binary
        self.rpc_host = rpc_host

    @property
    def signature(self):
        """What an RPC service's command line holds wherever it was started
        from: its console script and arguments. (The others listen on a
        port, which a second copy cannot take.)"""
        if self.kind != 'rpc':
            return None
        names = [os.path.basename(a) for a in self.argv]
        if self.rpc_binary not in names:
            return None
        at = names.index(self.rpc_binary)
        return ' '.join([self.rpc_binary] + self.argv[at + 1:])


#: What the venv's (Python) services get besides base_env. glibc's malloc
#: gives a thread that meets another in an arena an arena of its own (up to
#: eight per core) and keeps each arena's freed pages; a Python process's
#: threads take turns under the GIL, so more arenas buy no speed, only
#: memory held (the release note has what it saved nova-api in a soak).
PYTHON_ENV = {'MALLOC_ARENA_MAX': '2'}


def service_env(lay, svc):
    """The environment ``svc`` starts with."""
    env = base_env(lay)
    venvs = (lay.bin, os.path.join(telemetry.TVENV, 'bin'))
    if svc.argv and os.path.dirname(svc.argv[0]) in venvs:
        env.update(PYTHON_ENV)
    env.update(svc.env)
    return env


def base_env(lay):
    env = dict(os.environ)
    env.update(
        PYTHONPATH=layout_mod.ROOT,
        OS_NOVA_DISABLE_EVENTLET_PATCHING='1',
        PBR_VERSION=env.get('PBR_VERSION', '0.1.0'),
        PATH=lay.bin + os.pathsep + env.get('PATH', ''),
    )
    # The services must not pick up a caller's cloud credentials.
    for key in [k for k in env if k.startswith('OS_CLOUD')
                or k.startswith('OS_AUTH')]:
        del env[key]
    return env


def rabbit_env(lay):
    base = os.path.join(lay.data, 'rabbitmq')
    env = base_env(lay)
    env.update(
        HOME=base,
        RABBITMQ_NODENAME='dos-aio-%d@localhost' % lay.port_base,
        RABBITMQ_MNESIA_BASE=os.path.join(base, 'mnesia'),
        RABBITMQ_LOG_BASE=lay.logs,
        RABBITMQ_LOGS='-',
        RABBITMQ_CONFIG_FILE=os.path.join(lay.etc, 'rabbitmq', 'rabbitmq'),
        RABBITMQ_ENABLED_PLUGINS_FILE=os.path.join(
            lay.etc, 'rabbitmq', 'enabled_plugins'),
        RABBITMQ_PID_FILE=os.path.join(lay.run, 'rabbitmq-beam.pid'),
        RABBITMQ_DIST_PORT=str(lay.port('rabbitmq-dist')),
        ERL_EPMD_ADDRESS='127.0.0.1',
        ERL_EPMD_PORT=str(lay.port('epmd')),
        RABBITMQ_SERVER_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}',
    )
    return env


def write_rabbit_config(lay):
    folder = os.path.join(lay.etc, 'rabbitmq')
    os.makedirs(folder, exist_ok=True)
    os.makedirs(os.path.join(lay.data, 'rabbitmq', 'mnesia'), exist_ok=True)
    with open(os.path.join(folder, 'rabbitmq.conf'), 'w') as f:
        f.write('listeners.tcp.1 = 127.0.0.1:%d\n'
                # guest may log in, but only over loopback (the default).
                'loopback_users.guest = true\n'
                'log.console = true\n'
                'log.file = false\n' % lay.port('rabbitmq'))
    with open(os.path.join(folder, 'enabled_plugins'), 'w') as f:
        f.write('[].\n')


#: Keystone's processes, each serving one request at a time. Keystone is
#: not safe to serve from several threads of one process: its
#: AuthContextMiddleware keeps the token it validated on the middleware
#: object shared by every request (``self.token``), so a request could be
#: authorised with the domain or trust of another request's token: a
#: trust create under Heat's stack-domain calls failed with 403, and a
#: project-scoped request could pick up a domain admin's scope. DevStack
#: (uWSGI) and the distributions' mod_wsgi set-ups run it one thread per
#: process too.
KEYSTONE_WORKERS = 2


def _api(lay, name, app, *, env=None, oslo_args=(), path='/', workers=1,
         threads=None):
    argv = [os.path.join(lay.bin, 'python'), '-m', 'tools.aio.serve',
            '--name', name, '--port', str(lay.port(name)), '--app', app]
    if workers != 1:
        argv += ['--workers', str(workers)]
    if threads is not None:
        argv += ['--threads', str(threads)]
    if oslo_args:
        argv += ['--'] + list(oslo_args)
    return Service(name, argv, env=env, kind='http', port=lay.port(name),
                   path=path)


def _nova(lay, binary, conf, host):
    argv = [os.path.join(lay.bin, binary), '--config-file', conf]
    name = binary if host == 'aio-controller' else '%s-%s' % (binary, host)
    return Service(name, argv, rpc_binary=binary, rpc_host=host)


def metadata_pids(lay, host):
    """Where the agent of ``host`` keeps its haproxys' pid files (Neutron's
    default, under the state_path of tools/aio/configs.py)."""
    return os.path.join(ovn.metadata_state(lay, host), 'external', 'pids')


def metadata_agent(lay, host):
    """neutron-ovn-metadata-agent of one chassis, in a mount namespace of
    its own (tools/aio/metans.py)."""
    conf = ovn.metadata_conf(lay, host)
    return Service('neutron-ovn-metadata-agent-%s' % host, [
        os.path.join(lay.bin, 'python'), '-m', 'tools.aio.metans',
        '--chassis', ovn.netns_name(lay, host),
        '--pids', metadata_pids(lay, host), '--',
        os.path.join(lay.bin, 'neutron-ovn-metadata-agent'),
        '--config-file', conf], kind='proc')


def table(lay):
    """Every service, in start order, grouped in waves that start together."""
    nova_conf = lay.conf('nova', 'nova.conf')
    heat_conf = lay.conf('heat', 'heat.conf')
    neutron_args = ['--config-file', lay.conf('neutron', 'neutron.conf'),
                    '--config-file', lay.conf('neutron', 'ml2_conf.ini')]
    backends = [Service('mariadb', mariadb.server_argv(lay), kind='tcp',
                        port=lay.port('mariadb')),
                Service('rabbitmq', [RABBIT_SERVER], env=rabbit_env(lay),
                        kind='tcp', port=lay.port('rabbitmq'))]
    backends += ovn.central_services(lay, Service)
    backends += ovn.chassis_db_services(lay, Service)
    network = ovn.network_services(lay, Service)
    identity = [_api(lay, 'keystone', 'keystone.wsgi.api:application',
                     env={'OS_KEYSTONE_CONFIG_DIR': lay.conf('keystone')},
                     path='/v3', workers=KEYSTONE_WORKERS, threads=1)]
    # The first file is the paste pipeline (read by PasteDeploy).
    nova_env = {'OS_NOVA_CONFIG_DIR': lay.conf('nova'),
                'OS_NOVA_CONFIG_FILES': '%s;nova.conf' % os.path.join(
                    lay.venv, 'etc', 'nova', 'api-paste.ini')}
    apis = [
        # Octavia's driver agent: writes the OVN provider's status updates
        # to Octavia's database. After the identity bootstrap (it logs in
        # to Neutron as the service project at its start) and up, its
        # status socket made, before Octavia's API starts (the workers'
        # wave), which drops a provider whose agent it cannot reach.
        Service('octavia-driver-agent', octavia.agent_argv(lay),
                kind='socket', path=octavia.status_socket(lay)),
        _api(lay, 'placement', 'placement.wsgi.api:application',
             env={'OS_PLACEMENT_CONFIG_DIR': lay.conf('placement')}),
        _api(lay, 'nova-api', 'nova.wsgi.osapi_compute:application',
             env=nova_env),
        # What the chassis's metadata agents proxy instances' requests to.
        _api(lay, 'nova-metadata', 'nova.wsgi.metadata:application',
             env=nova_env),
        _api(lay, 'neutron', 'neutron.wsgi.api:application',
             env=dict(NEUTRON_ENV,
                      OS_NEUTRON_CONFIG_DIR=lay.conf('neutron'),
                      OS_NEUTRON_CONFIG_FILES='neutron.conf;ml2_conf.ini')),
        _api(lay, 'glance', 'glance.wsgi.api:application',
             env={'OS_GLANCE_CONFIG_DIR': lay.conf('glance')}),
        _api(lay, 'heat-api', 'heat.wsgi.api:application',
             oslo_args=['--config-file', heat_conf]),
        # Checks a console token (database, compute RPC), then joins the
        # tenant's websocket to the compute's console port.
        Service('nova-serialproxy', [
            os.path.join(lay.bin, 'nova-serialproxy'), '--config-file',
            nova_conf], kind='tcp', port=lay.port('nova-serialproxy')),
        # The dashboard (tools/aio/horizon.py prepares it first).
        _api(lay, 'horizon', 'tools.aio.horizon_wsgi:application',
             env=horizon.env(lay), path=horizon.HEALTH_PATH),
    ]
    workers = [
        # Load balancers: Octavia's API with the OVN provider only, once
        # its driver agent is up (above).
        Service('octavia-api', octavia.api_argv(lay), kind='http',
                port=lay.port('octavia-api')),
        _nova(lay, 'nova-conductor', nova_conf, 'aio-controller'),
        _nova(lay, 'nova-scheduler', nova_conf, 'aio-controller'),
        Service('heat-engine', [os.path.join(lay.bin, 'heat-engine'),
                                '--config-file', heat_conf],
                rpc_binary='heat-engine', rpc_host='aio-controller'),
        # Neutron's API runs no background work under a WSGI server: these
        # two run its periodic tasks and the OVN database maintenance.
        Service('neutron-periodic-workers', [
            os.path.join(lay.bin, 'neutron-periodic-workers')] + neutron_args,
            env=NEUTRON_ENV, kind='proc'),
        Service('neutron-ovn-maintenance-worker', [
            os.path.join(lay.bin, 'neutron-ovn-maintenance-worker')]
            + neutron_args, env=NEUTRON_ENV, kind='proc'),
    ]
    for engine in lay.engines:
        workers.append(_nova(
            lay, 'nova-compute',
            lay.conf('nova', 'nova-%s.conf' % engine.host), engine.host))
        workers.append(metadata_agent(lay, engine.host))
    workers += telemetry.services(lay, Service)
    return [backends, network, identity, apis, workers]


def all_services(lay):
    return [svc for wave in table(lay) for svc in wave]


def socket_made(path, since=None):
    """True when ``path`` is a unix socket, made at or after ``since``
    (epoch seconds) if given. Nothing connects to it."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return stat.S_ISSOCK(st.st_mode) and (since is None or
                                          st.st_mtime >= since - 1)


def tcp_open(port, timeout=1.0):
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=timeout):
            return True
    except OSError:
        return False
