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

"""Octavia in the all-in-one: the API and the driver agent, OVN provider only.

The load balancers are OVN's own (``ovn-octavia-provider``): OVN northbound
Load_Balancer rows on the tenant's logical switches and routers, health
checked by ovn-controller's service monitors. No amphora: it needs a VM
image with haproxy and Octavia's agent, which cannot be built or booted
here, so the amphora provider is not enabled at all (an ``--provider
amphora`` request gets Octavia's own "provider not enabled" error).

Octavia's API and its driver agent talk over three unix sockets. The
provider library that the OVN driver uses inside the API process opens
them at fixed paths under /var/run/octavia, which every cloud on the
machine would share. ``python -m tools.aio.octavia -- COMMAND`` therefore
runs a command in a mount namespace of its own where /run/octavia is the
cloud's ``run/octavia`` folder (a bind mount): the API and the driver
agent of one cloud meet there, and no two clouds meet at all. Nothing of
Octavia's runs altered: the command is exec'd as it is, and the driver
agent (``--driver-agent``) runs through its console script's own entry
point after its database models are mapped (``run_driver_agent`` says
why).
"""

import argparse
import os
import sys

from tools.aio import layout as layout_mod
from tools.aio import metans
from tools.aio import ovn

#: Where Octavia's provider library looks for the driver agent's sockets
#: (octavia_lib's defaults, also Octavia's [driver_agent] defaults).
SOCKET_DIR = '/run/octavia'
PROVIDER = 'ovn'


def socket_dir(lay):
    return os.path.join(lay.run, 'octavia')


def status_socket(lay):
    """The driver agent's status socket, as seen from outside its mount
    namespace."""
    return os.path.join(socket_dir(lay), 'status.sock')


def conf_file(lay):
    return lay.conf('octavia', 'octavia.conf')


def octavia_conf(lay, authtoken, service_auth):
    """octavia.conf of the API and the driver agent.

    authtoken, service_auth: the [keystone_authtoken] and service-user
    sections (configs.py's helpers, passed in to keep one definition).
    """
    # endpoint_override: Neutron's address, as the catalog has it. Without
    # it Octavia's API looks the address up for every request that checks
    # the tenant's network objects (a load balancer create does), and the
    # look-up builds a fresh service session that logs in to Keystone with
    # the octavia user's password: a password check (bcrypt) per request,
    # the largest single step of a create here after the VIP port itself.
    # With the address given, the tenant's own token is used directly.
    neutron = dict(service_auth('octavia'), valid_interfaces='public',
                   endpoint_override=lay.url('neutron'))
    return {
        'DEFAULT': {
            'use_stderr': 'true',
            'transport_url': lay.transport_url,
            'host': 'aio-controller',
        },
        'api_settings': {
            'bind_host': '127.0.0.1',
            'bind_port': str(lay.port('octavia-api')),
            'auth_strategy': 'keystone',
            'api_base_uri': lay.url('octavia-api'),
            'enabled_provider_drivers':
                '%s:OVN L4 load balancers without a VM' % PROVIDER,
            'default_provider_driver': PROVIDER,
        },
        'database': {'connection': lay.database('octavia', 'octavia')},
        'keystone_authtoken': authtoken('octavia'),
        'service_auth': service_auth('octavia'),
        'neutron': neutron,
        'driver_agent': {
            'enabled_provider_agents': PROVIDER,
            'status_socket_path': os.path.join(SOCKET_DIR, 'status.sock'),
            'stats_socket_path': os.path.join(SOCKET_DIR, 'stats.sock'),
            'get_socket_path': os.path.join(SOCKET_DIR, 'get.sock'),
        },
        'ovn': {
            'ovn_nb_connection': ovn.nb_connection(lay),
            'ovn_sb_connection': ovn.sb_connection(lay),
        },
        'oslo_concurrency': {'lock_path': os.path.join(
            lay.data, 'octavia', 'locks')},
    }


def launcher(lay, command):
    """argv that runs ``command`` with the cloud's socket folder."""
    return [os.path.join(lay.bin, 'python'), '-m', 'tools.aio.octavia',
            '--sockets', socket_dir(lay), '--'] + list(command)


def api_argv(lay):
    return launcher(lay, [
        os.path.join(lay.bin, 'python'), '-m', 'tools.aio.serve',
        '--name', 'octavia-api', '--port', str(lay.port('octavia-api')),
        '--app', 'octavia.wsgi.api:application', '--',
        '--config-file', conf_file(lay)])


def agent_argv(lay):
    return [os.path.join(lay.bin, 'python'), '-m', 'tools.aio.octavia',
            '--sockets', socket_dir(lay), '--driver-agent', '--',
            '--config-file', conf_file(lay)]


def private_socket_dir(folder):
    """This process's own mount namespace, with ``folder`` on SOCKET_DIR."""
    os.makedirs(folder, exist_ok=True)
    # The mount point (empty on the machine: each cloud's processes see
    # their own folder on it).
    os.makedirs(SOCKET_DIR, exist_ok=True)
    metans._check(metans._libc.unshare(metans.CLONE_NEWNS),
                  'unshare(CLONE_NEWNS)')
    metans._mount(None, '/', None, metans.MS_REC | metans.MS_PRIVATE)
    metans._mount(folder, SOCKET_DIR, None, metans.MS_BIND)


def run_driver_agent(args):
    """Octavia's driver agent in this process, as its console script
    runs it (``octavia.cmd.driver_agent.main`` with ``args`` for
    oslo.config), its database models' mappers configured first.

    The agent forks one process per status update from the OVN provider
    (socketserver's ForkingMixIn) and that process does the update. A
    process whose parent never used Octavia's SQLAlchemy models first
    configures every mapper (one status update about 0.12 s here, most of
    it that), and a load balancer's create waits for three such updates
    in a row before its members are written to OVN. Configured once in
    the agent before it forks, each update takes about 0.06 s. This only
    imports ``octavia.db.models`` and calls SQLAlchemy's public
    ``configure_mappers()``: no database connection is made (the agent
    reads its configuration later, in ``main``) and nothing of Octavia's
    is replaced.
    """
    from octavia.db import models  # noqa: F401 - the mapped classes
    import sqlalchemy.orm
    sqlalchemy.orm.configure_mappers()
    from octavia.cmd import driver_agent
    sys.argv = ['octavia-driver-agent'] + list(args)
    return driver_agent.main()


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if '--' not in argv:
        sys.exit('usage: python -m tools.aio.octavia --sockets DIR '
                 '[--driver-agent] -- COMMAND... (or, with --driver-agent, '
                 "the agent's arguments)")
    cut = argv.index('--')
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sockets', required=True,
                        help="the cloud's folder for the driver agent's "
                             'sockets')
    parser.add_argument('--driver-agent', action='store_true',
                        help="run Octavia's driver agent here with the "
                             'arguments after -- (see run_driver_agent)')
    args = parser.parse_args(argv[:cut])
    command = argv[cut + 1:]
    private_socket_dir(args.sockets)
    # serve.py and the services import the project's tools from the tree.
    os.environ.setdefault('PYTHONPATH', layout_mod.ROOT)
    if args.driver_agent:
        sys.exit(run_driver_agent(command))
    os.execv(command[0], command)


if __name__ == '__main__':
    main()
