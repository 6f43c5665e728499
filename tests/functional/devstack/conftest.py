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

"""The end-to-end tests' cloud: one all-in-one for the whole run.

It lives in its own folder ($DOS_STATE/aio-e2e) and ports (26000+), on the
test engine and a second engine: real MariaDB, RabbitMQ, OVN, Keystone,
Placement, Neutron, Nova (two Docker computes), Glance and Heat processes.
Every module of this folder shares it (a start costs about a minute). The
fixture stops every process, deletes the cloud's network namespaces and
removes its folder even when a test fails, and checks that nothing is left
on either engine.
"""

import json
import os
import shutil
import socket
import subprocess
import time

import docker as docker_sdk
import pytest

from tests.functional.devstack import cli as cli_mod
from tests.rig.waiting import wait  # noqa: F401 (the e2e tests' wait)
from tests.rig import docker_engine
from tools.aio import cloud as cloud_mod
from tools.aio import layout as layout_mod
from tools.aio import procs
from tools.aio import services

LABEL_UUID = 'org.openstack.nova.instance_uuid'
# The openstack CLI of every test of the run (closed when the cloud goes).
CLI = cli_mod.Forker(os.path.join(layout_mod.VENV, 'bin', 'python'))
# novaclient wants an explicit microversion: the newest it knows.
_NOVA_VERSION = __import__('novaclient').API_MAX_VERSION.get_string()


def _engines(state, home):
    engines = layout_mod.default_engines(state, home)
    # The first compute uses the test engine (DOCKER_HOST).
    sock = docker_engine.docker_host()
    if sock.startswith('unix://'):
        engines[0].state = os.path.dirname(sock[len('unix://'):])
    return engines


@pytest.fixture(scope='session')
def aio(request):
    state = os.environ.get('DOS_STATE') or os.path.join(layout_mod.ROOT,
                                                        '.state')
    home = os.path.join(state, 'aio-e2e')
    lay = layout_mod.Layout(
        state=state, home=home,
        port_base=int(os.environ.get('AIO_E2E_PORT_BASE', '26000')),
        engines=_engines(state, home))
    # A cloud left by a killed run: stop it, then start from nothing.
    cloud_mod.Cloud(lay, log=lambda *a: None).stop(purge=True)
    shutil.rmtree(home, ignore_errors=True)
    for engine in lay.engines:
        subprocess.run([os.path.join(layout_mod.ROOT, 'tools',
                                     'docker-engine.sh'), 'start'],
                       env=engine.env(), check=True, stdout=subprocess.DEVNULL)
    clients = [docker_sdk.DockerClient(base_url=e.endpoint)
               for e in lay.engines]
    docker_engine.ensure_images(clients[0])
    before = [docker_engine.Snapshot(c) for c in clients]
    cloud = cloud_mod.Cloud(lay, log=lambda *a: None)
    try:
        cloud.start()
        yield Aio(lay, cloud, clients)
    finally:
        # Each step runs even when the one before it failed: the processes
        # and the folder must go whatever happened.
        left = running = None
        try:
            _delete_everything(lay)
            # Images Nova loaded from Glance are its cache (removed below
            # with the rest); containers, networks and volumes must be gone.
            left = [{k: v for k, v in b.leftovers(c).items()
                     if k != 'images' and v}
                    for b, c in zip(before, clients)]
            for b, c in zip(before, clients):
                docker_engine.remove_new(c, b)
        finally:
            try:
                # Stops the services and the second engine when it lives
                # in the cloud's folder (CI); then the folder can go.
                cloud.stop(purge=True)
                running = [s.name for s in services.all_services(lay)
                           if procs.Process(lay, s.name).running()]
                running += [n for n in netns_names()
                            if n.startswith('aio%d-' % lay.port_base)]
                running += ['haproxy %d' % p for p in _haproxys(lay)]
            finally:
                CLI.close()
                for c in clients:
                    c.close()
                _keep_logs(request, lay, state)
                shutil.rmtree(home, ignore_errors=True)
        assert not running, 'still running after stop: %s' % running
        assert not any(left or []), 'left on the engines: %s' % left


def _keep_logs(request, lay, state):
    """After a run with failures, the services' logs go to
    test-results/aio-e2e-logs (the cloud's folder is removed)."""
    if not request.session.testsfailed:
        return
    kept = os.path.join(state, 'test-results', 'aio-e2e-logs')
    shutil.rmtree(kept, ignore_errors=True)
    shutil.copytree(lay.logs, kept, dirs_exist_ok=True)


def _free(port):
    with socket.socket() as s:
        try:
            s.bind(('127.0.0.1', port))
        except OSError:
            return False
    return True


def temp_layout(tmp_path, port_name, *more):
    """A layout in ``tmp_path`` whose ``port_name`` port (and the ``more``
    ones) are free now (for tests that start the cloud's daemons alone)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(('127.0.0.1', 0))
            base = s.getsockname()[1] - layout_mod.PORTS[port_name]
        if all(_free(base + layout_mod.PORTS[n]) for n in more):
            break
    else:
        raise AssertionError('no free ports for %s' % ((port_name,) + more,))
    lay = layout_mod.Layout(state=str(tmp_path), home=str(tmp_path / 'aio'),
                            port_base=base)
    lay.makedirs()
    return lay


def start_error_with_port_held(port, start):
    """The one-line StartError ``start()`` raises while another process
    listens on 127.0.0.1:``port``."""
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(('127.0.0.1', port))
        holder.listen()
        with pytest.raises(cloud_mod.StartError) as err:
            start()
    text = str(err.value)
    assert '\n' not in text
    return text


def _haproxys(lay):
    """Pids of the metadata agents' haproxys (daemons: no agent's process
    group holds them)."""
    found = []
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            with open('/proc/%s/cmdline' % pid, 'rb') as f:
                argv = f.read().split(b'\0')
        except OSError:
            continue
        if os.path.basename(argv[0]) == b'haproxy' and any(
                lay.data.encode() in a for a in argv):
            found.append(int(pid))
    return found


def netns_names():
    return sorted(os.listdir('/run/netns')) if os.path.isdir(
        '/run/netns') else []


def _delete_everything(lay):
    """Best effort: servers and stacks the tests may have left."""
    if not services.tcp_open(lay.port('nova-api')):
        return
    aio = Aio(lay, None, [])
    try:
        nova = aio.nova('aio-admin')
        heats = [aio.heat(cloud) for cloud in ('aio-admin', 'aio-demo')]
        for heat in heats:
            for stack in heat.stacks.list():
                heat.stacks.delete(stack.id)
        for server in nova.servers.list(search_opts={'all_tenants': 1}):
            server.delete()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if not nova.servers.list(search_opts={'all_tenants': 1}) and \
                    not any(list(h.stacks.list()) for h in heats):
                return
            time.sleep(1)
    except Exception as exc:  # noqa: BLE001 - teardown reports, never hides
        print('clean-up of the e2e cloud failed: %r' % exc)


class Aio:
    def __init__(self, lay, cloud, clients):
        self.lay = lay
        self.cloud = cloud
        self.engines = {e.host: c for e, c in zip(lay.engines, clients)}

    def openstack(self, *args, cloud='aio-admin', check=True):
        """``openstack *args`` as ``cloud``: a CompletedProcess. The CLI's
        own code runs in a child forked from one that imported it once
        (tests/functional/devstack/cli.py), as the program would run."""
        proc = CLI.run(args, self.lay.client_env(cloud))
        if check and proc.returncode != 0:
            raise AssertionError('openstack %s failed: %s'
                                 % (' '.join(args), proc.stderr[-2000:]))
        return proc

    def openstack_json(self, *args, cloud='aio-admin'):
        return json.loads(self.openstack(*args, '-f', 'json',
                                         cloud=cloud).stdout)

    def session(self, cloud='aio-admin'):
        from keystoneauth1 import session as ks_session
        from openstack import config
        region = config.OpenStackConfig(
            config_files=[self.lay.clouds_yaml]).get_one(cloud)
        return ks_session.Session(auth=region.get_auth())

    def sdk(self, cloud='aio-admin'):
        """An openstacksdk connection as ``cloud`` of the cloud's
        clouds.yaml: one process, one token, no CLI start per call."""
        from openstack import config
        from openstack import connection
        region = config.OpenStackConfig(
            config_files=[self.lay.clouds_yaml]).get_one(cloud)
        return connection.Connection(config=region)

    def nova(self, cloud='aio-admin'):
        from novaclient import client
        return client.Client(_NOVA_VERSION, session=self.session(cloud))

    def heat(self, cloud='aio-demo'):
        from heatclient import client
        return client.Client('1', session=self.session(cloud))

    def containers_of(self, server_id):
        found = {}
        for host, client in self.engines.items():
            for c in client.containers.list(
                    all=True, filters={'label': '%s=%s' % (LABEL_UUID,
                                                           server_id)}):
                found[host] = c
        return found


def stack_settled(heat, stack_id, busy, after=None, outputs=True):
    """A check for ``wait``: the stack once it is in none of the ``busy``
    states (and, for an update, has an updated_time other than ``after``:
    heat-api may answer before the engine marks the update begun). With
    ``outputs`` each poll resolves the outputs, as ``openstack stack show``
    does (see doc/template-guide.md on polling during an update)."""
    def check():
        stack = heat.stacks.get(stack_id, resolve_outputs=outputs)
        if after is not None and stack.updated_time == after:
            return None
        return stack if stack.stack_status not in busy else None
    return check
