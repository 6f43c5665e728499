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

"""Where the all-in-one keeps everything, and which ports it listens on.

All state lives under ``$DOS_STATE/aio`` (etc/, data/, logs/, run/), so one
``rm -rf`` forgets the cloud and nothing is written outside it. Every port is
bound on 127.0.0.1 only.
"""

import os
import sys

from tools.aio import mariadb

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
VENV = os.path.dirname(os.path.dirname(sys.executable))

# Offsets from the port base (AIO_PORT_BASE, default 25000).
PORTS = {
    'keystone': 0,
    'placement': 1,
    'nova-api': 2,
    'glance': 3,
    'heat-api': 4,
    'neutron': 5,
    'nova-metadata': 6,
    # Tenants' consoles: the websocket proxy to the computes' console ports.
    'nova-serialproxy': 7,
    'horizon': 8,
    # Octavia's API (load balancers; tools/aio/octavia.py).
    'octavia-api': 9,
    'rabbitmq': 10,
    'rabbitmq-dist': 11,
    'epmd': 12,
    'mariadb': 13,
    'ovn-nb': 14,
    'ovn-sb': 15,
    # Metrics and alarms (tools/aio/telemetry.py): Prometheus, Aodh's API,
    # Aetos in front of Prometheus, and the Ceilometer exporter of compute
    # n at 185 + n - 1 (above the computes' serial console ports).
    'prometheus': 16,
    'aodh-api': 17,
    'aetos': 19,
    'ceilometer-exporter': 185,
}

ADMIN_PASSWORD = 'aio-admin'
SERVICE_PASSWORD = 'aio-service'
DEMO_PASSWORD = 'aio-demo'
REGION = 'RegionOne'
#: Heat's domain for the users it makes for stacks, and that domain's admin.
HEAT_DOMAIN = 'heat'
HEAT_DOMAIN_ADMIN = 'heat_domain_admin'


#: Each compute host's serial console ports: [start, start + size) from
#: base + offset + size * (n - 1) for compute n. Nova's default range
#: (10000-20000) would be shared with every other cloud on the machine;
#: these stay below base + 200, where the next cloud's ports start (the
#: test runner's clouds sit 200 apart: 25000, 25200, ...).
SERIAL_PORTS_OFFSET = 20
SERIAL_PORTS_SIZE = 80


class Layout:
    """Paths and ports of one all-in-one cloud."""

    def __init__(self, state=None, port_base=None, engines=None, home=None):
        state = state or os.environ.get('DOS_STATE') or os.path.join(
            ROOT, '.state')
        self.state = os.path.abspath(state)
        # AIO_HOME lets a second cloud (the end-to-end tests') live beside
        # the first one.
        self.base = os.path.abspath(home or os.environ.get('AIO_HOME')
                                    or os.path.join(self.state, 'aio'))
        self.etc = os.path.join(self.base, 'etc')
        self.data = os.path.join(self.base, 'data')
        self.logs = os.path.join(self.base, 'logs')
        self.run = os.path.join(self.base, 'run')
        self.port_base = int(port_base or os.environ.get('AIO_PORT_BASE')
                             or 25000)
        self.engines = engines or default_engines(self.state, self.base)
        self.venv = VENV
        self.bin = os.path.join(VENV, 'bin')

    def port(self, name):
        return self.port_base + PORTS[name]

    def serial_port_range(self, index):
        """'start:stop' of the console ports of compute ``index`` (0..)."""
        start = (self.port_base + SERIAL_PORTS_OFFSET
                 + SERIAL_PORTS_SIZE * index)
        return '%d:%d' % (start, start + SERIAL_PORTS_SIZE)

    def url(self, name, path=''):
        return 'http://127.0.0.1:%d%s' % (self.port(name), path)

    @property
    def auth_url(self):
        return self.url('keystone', '/v3')

    @property
    def transport_url(self):
        return 'rabbit://guest:guest@127.0.0.1:%d/' % self.port('rabbitmq')

    def database(self, user, name):
        """URL of database ``name`` as ``user`` on the cloud's MariaDB."""
        return mariadb.url(self, user, name)

    def conf(self, *parts):
        return os.path.join(self.etc, *parts)

    @property
    def clouds_yaml(self):
        return self.conf('clouds.yaml')

    @property
    def bootstrapped_marker(self):
        # Named after the last service the bootstrap learned: a cloud
        # bootstrapped before Neutron is bootstrapped again (every step is
        # idempotent).
        return os.path.join(self.data, 'bootstrapped-heat-domain')

    def makedirs(self):
        for path in (self.etc, self.data, self.logs, self.run):
            os.makedirs(path, exist_ok=True)

    def client_env(self, cloud='aio-admin'):
        """Environment for openstack / nova / heat CLIs against this cloud."""
        env = dict(os.environ)
        for key in list(env):
            if key.startswith('OS_'):
                del env[key]
        env.update(OS_CLIENT_CONFIG_FILE=self.clouds_yaml, OS_CLOUD=cloud,
                   PATH=self.bin + os.pathsep + env.get('PATH', ''))
        return env


class Engine:
    """One Docker engine, for one compute host."""

    def __init__(self, host, state, bridge, cidr):
        self.host = host
        self.state = state
        self.bridge = bridge
        self.cidr = cidr

    @property
    def endpoint(self):
        return 'unix://%s' % os.path.join(self.state, 'docker.sock')

    def env(self):
        return dict(os.environ, DOS_STATE=self.state,
                    DOCKER_BRIDGE_NAME=self.bridge,
                    DOCKER_BRIDGE_CIDR=self.cidr)


def default_engines(state, base):
    """compute1 on the project's engine, compute2 on a second one.

    AIO_ENGINE2_STATE / _BRIDGE / _CIDR move the second engine (a developer
    running several clouds on one machine gives each its own).
    """
    first = Engine('compute1', state,
                   os.environ.get('DOCKER_BRIDGE_NAME', 'dos0'),
                   os.environ.get('DOCKER_BRIDGE_CIDR', '172.31.250.1/24'))
    second = Engine(
        'compute2',
        os.environ.get('AIO_ENGINE2_STATE')
        or os.path.join(base, 'engine2'),
        os.environ.get('AIO_ENGINE2_BRIDGE', 'dos1'),
        os.environ.get('AIO_ENGINE2_CIDR', '172.31.246.1/24'))
    return [first, second]
