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

"""End to end over HTTP against the all-in-one cloud (tools/aio).

The cloud is the session's (``aio`` in conftest.py). The tests talk to it
only through python-openstackclient, novaclient and heatclient.
"""

import io
import json
import os
import re
import subprocess
import time
import uuid

import pytest

from tests.functional.devstack.conftest import LABEL_UUID
from tests.functional.devstack.conftest import wait as _wait
from tools.aio import bootstrap
from tools.aio import layout as layout_mod
from tools.aio import procs
from tools.aio import services

pytestmark = [pytest.mark.slow, pytest.mark.docker]
def test_every_service_is_up_and_both_computes_are_docker(aio):
    services_ = aio.openstack_json('compute', 'service', 'list')
    state = {(s['Binary'], s['Host']): s['State'] for s in services_}
    assert state == {
        ('nova-scheduler', 'aio-controller'): 'up',
        ('nova-conductor', 'aio-controller'): 'up',
        ('nova-compute', 'compute1'): 'up',
        ('nova-compute', 'compute2'): 'up'}
    hypervisors = aio.openstack_json('hypervisor', 'list')
    assert sorted((h['Hypervisor Hostname'], h['Hypervisor Type'])
                  for h in hypervisors) == [('compute1', 'docker'),
                                            ('compute2', 'docker')]
    engines = aio.heat(cloud='aio-admin').services.list()
    assert [s.status for s in engines if s.binary == 'heat-engine'] == ['up']
    # Every port is bound on loopback only.
    for name in ('keystone', 'placement', 'nova-api', 'glance', 'heat-api',
                 'rabbitmq', 'mariadb'):
        out = subprocess.run(['ss', '-Hltn', 'sport = :%d'
                              % aio.lay.port(name)],
                             capture_output=True, text=True).stdout
        assert out.strip(), name
        assert all(' 127.0.0.1:' in line for line in out.splitlines()), out


# Services that keep a database (heat-api and nova-compute reach theirs
# through RPC).
DATABASE_SERVICES = ('keystone', 'placement', 'nova-api', 'glance',
                     'nova-conductor', 'nova-scheduler', 'heat-engine')


def _socket_inodes_to(port):
    """Inodes of the established TCP connections to 127.0.0.1:port."""
    found = set()
    with open('/proc/net/tcp') as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            remote, state, inode = fields[2], fields[3], fields[9]
            if state == '01' and remote == '0100007F:%04X' % port:
                found.add(inode)
    return found


def _database_connections(lay, name):
    """{(pid, socket inode)} of the service's processes' connections to the
    cloud's MariaDB."""
    to_db = _socket_inodes_to(lay.port('mariadb'))
    found = set()
    for pid in procs.group_members(procs.Process(lay, name).pid()):
        fd_dir = '/proc/%d/fd' % pid
        try:
            for fd in os.listdir(fd_dir):
                target = os.readlink(os.path.join(fd_dir, fd))
                inode = target[len('socket:['):-1]
                if target.startswith('socket:[') and inode in to_db:
                    found.add((pid, inode))
        except OSError:
            continue  # a process or an fd that ended meanwhile
    return found


def _database_traffic(aio):
    """A transaction or more in every database service."""
    sess = aio.session()
    for service_type, path in (('compute', '/servers'), ('compute', '/flavors'),
                               ('image', '/v2/images'),
                               ('placement', '/resource_providers'),
                               ('orchestration', '/stacks')):
        resp = sess.get(path, endpoint_filter={'service_type': service_type})
        assert resp.status_code == 200, (path, resp.text[:500])


def test_services_reuse_their_database_connections(aio):
    """Each service keeps its MariaDB connections open between transactions
    (oslo.db's pool) and the next ones reuse them: the same connections
    are there before and after more requests."""
    _database_traffic(aio)
    # The conductor writes on each compute's state report (10 s apart),
    # the scheduler reads on each host discovery (2 s).
    time.sleep(11)
    before = {name: _database_connections(aio.lay, name)
              for name in DATABASE_SERVICES}
    _database_traffic(aio)
    time.sleep(11)
    after = {name: _database_connections(aio.lay, name)
             for name in DATABASE_SERVICES}
    kept = {name: before[name] & after[name] for name in DATABASE_SERVICES}
    assert all(kept.values()), {'before': before, 'after': after}


def test_server_create_of_a_docker_image_runs_a_container(aio):
    name = 'e2e-' + uuid.uuid4().hex[:6]
    server = aio.openstack_json(
        'server', 'create', '--image', 'dos-idle', '--flavor', 'docker.tiny',
        '--nic', 'none', '--wait', name, cloud='aio-demo')
    assert server['status'] == 'ACTIVE'
    containers = aio.containers_of(server['id'])
    assert len(containers) == 1
    (container,) = containers.values()
    assert container.status == 'running'
    # 64 MB flavor: the memory limit reached the container.
    assert container.attrs['HostConfig']['Memory'] == 64 * 1024 * 1024
    aio.openstack('server', 'delete', '--wait', server['id'],
                  cloud='aio-demo')
    assert aio.containers_of(server['id']) == {}


def test_anti_affinity_puts_servers_on_both_hosts(aio):
    nova = aio.nova('aio-demo')
    group = nova.server_groups.create(name='spread', policy='anti-affinity')
    image = aio.openstack_json('image', 'show', 'dos-idle')['id']
    flavor = nova.flavors.find(name='docker.tiny')
    servers = [nova.servers.create(
        'spread-%d' % i, image, flavor, nics='none',
        scheduler_hints={'group': group.id}) for i in range(2)]
    try:
        for server in servers:
            _wait(lambda: nova.servers.get(server.id).status in
                  ('ACTIVE', 'ERROR'), what='server %s' % server.id)
        hosts = set()
        for server in servers:
            server = nova.servers.get(server.id)
            assert server.status == 'ACTIVE', getattr(server, 'fault', None)
            hosts |= set(aio.containers_of(server.id))
        assert hosts == {'compute1', 'compute2'}
    finally:
        for server in servers:
            server.delete()
        _wait(lambda: not [s for s in nova.servers.list()
                           if s.name.startswith('spread-')],
              what='spread servers deleted')
        nova.server_groups.delete(group.id)
    for server in servers:
        assert aio.containers_of(server.id) == {}


def test_image_for_another_architecture_finds_no_host(aio):
    sess = aio.session()
    image_id = bootstrap.upload_docker_image(
        aio.lay, sess, 'e2e-arm64', 'dos/busybox:latest')
    sess.patch('/v2/images/%s' % image_id, endpoint_filter={
        'service_type': 'image'}, json=[{
            'op': 'replace', 'path': '/hw_architecture', 'value': 'aarch64'}],
        headers={'Content-Type':
                 'application/openstack-images-v2.1-json-patch'})
    try:
        proc = aio.openstack('server', 'create', '--image', image_id,
                             '--flavor', 'docker.tiny', '--nic', 'none',
                             '--wait', 'e2e-arm', check=False)
        assert proc.returncode != 0
        server = aio.openstack_json('server', 'show', 'e2e-arm')
        assert server['status'] == 'ERROR'
        assert 'No valid host' in json.dumps(server.get('fault'))
        assert aio.containers_of(server['id']) == {}
        aio.openstack('server', 'delete', '--wait', server['id'])
    finally:
        aio.openstack('image', 'delete', image_id)


def test_bad_input_names_the_field_and_leaves_nothing(aio):
    proc = aio.openstack('server', 'create', '--image', 'no-such-image',
                         '--flavor', 'docker.tiny', '--nic', 'none', 'bad',
                         check=False)
    assert proc.returncode != 0
    assert 'no-such-image' in proc.stderr
    proc = aio.openstack('server', 'create', '--image', 'dos-idle',
                         '--flavor', 'no-such-flavor', '--nic', 'none', 'bad',
                         check=False)
    assert proc.returncode != 0
    assert 'no-such-flavor' in proc.stderr
    assert aio.openstack_json('server', 'list', '--all-projects') == []


TEMPLATE = '''
heat_template_version: 2018-08-31
resources:
  web:
    type: OS::Docker::Container
    properties:
      image: dos/httpd
  worker:
    type: OS::Docker::Container
    properties:
      image: dos/idle
      env: [{list_join: ['', ['WEB=', {get_attr: [web, network_ip]}]]}]
outputs:
  web_ip: {value: {get_attr: [web, network_ip]}}
  web_host: {value: {get_attr: [web, docker_host]}}
'''


def test_heat_stack_of_containers(aio):
    heat = aio.heat()
    stack_id = heat.stacks.create(stack_name='e2e-stack',
                                  template=TEMPLATE)['stack']['id']
    stack = _wait(lambda: (lambda s: s if s.stack_status != 'CREATE_IN_PROGRESS'
                           else None)(heat.stacks.get(stack_id)),
                  what='stack create')
    try:
        assert stack.stack_status == 'CREATE_COMPLETE', \
            stack.stack_status_reason
        outputs = {o['output_key']: o['output_value'] for o in stack.outputs}
        client = aio.engines[outputs['web_host']]
        running = {c.name: c for c in client.containers.list()}
        worker = [c for n, c in running.items() if '-worker-' in n]
        assert len(worker) == 1
        assert 'WEB=%s' % outputs['web_ip'] in \
            worker[0].attrs['Config']['Env']
    finally:
        heat.stacks.delete(stack_id)
        _wait(lambda: heat.stacks.get(stack_id).stack_status in
              ('DELETE_COMPLETE', 'DELETE_FAILED'), what='stack delete')
    assert heat.stacks.get(stack_id).stack_status == 'DELETE_COMPLETE'
    for client in aio.engines.values():
        assert not [c for c in client.containers.list(all=True)
                    if c.name.startswith('e2e-stack-')]


def test_tenant_cannot_ask_heat_for_a_privileged_container(aio, tmp_path):
    template = '''
heat_template_version: 2018-08-31
resources:
  root:
    type: OS::Docker::Container
    properties: {image: dos/idle, privileged: true}
'''
    path = tmp_path / 'priv.yaml'
    path.write_text(template)
    proc = aio.openstack('stack', 'create', '-t', str(path), '--wait',
                         'e2e-priv', cloud='aio-demo', check=False)
    assert proc.returncode != 0
    assert 'Property privileged' in proc.stderr
    assert 'docker:container:privileged' in proc.stderr
    for client in aio.engines.values():
        assert not [c for c in client.containers.list(all=True)
                    if c.name.startswith('e2e-priv')]
    aio.openstack('stack', 'delete', '-y', '--wait', 'e2e-priv',
                  cloud='aio-demo', check=False)


def test_devstack_extra_phase_uploads_a_bootable_image(aio, tmp_path):
    """The plugin's extra phase, with the real docker CLI and engine and the
    real openstack CLI against this cloud's Glance."""
    from tests.unit.devstack.harness import Stack
    env = aio.lay.client_env('aio-admin')
    stack = Stack(tmp_path, services='key,n-api,n-cpu,g-api', real_docker=True,
                  real_openstack=True,
                  env={'DOCKER_ENDPOINT': aio.lay.engines[0].endpoint,
                       'OS_CLIENT_CONFIG_FILE': env['OS_CLIENT_CONFIG_FILE'],
                       'OS_CLOUD': 'aio-admin', 'PATH': env['PATH'],
                       'DOS_SAMPLE_GLANCE_IMAGE': 'devstack-idle'})
    stack.run('settings', 'extra')
    image = aio.openstack_json('image', 'show', 'devstack-idle')
    try:
        assert image['container_format'] == 'docker'
        assert image['disk_format'] == 'raw'
        assert image['properties']['hypervisor_type'] == 'docker'
        assert 'docker_image' not in image['properties']
        # A second extra phase (a re-stack) uploads nothing new.
        stack.run('settings', 'extra')
        assert len([i for i in aio.openstack_json('image', 'list')
                    if i['Name'] == 'devstack-idle']) == 1
        server = aio.openstack_json(
            'server', 'create', '--image', image['id'], '--flavor',
            'docker.tiny', '--nic', 'none', '--wait', 'from-devstack')
        assert server['status'] == 'ACTIVE'
        assert len(aio.containers_of(server['id'])) == 1
        aio.openstack('server', 'delete', '--wait', server['id'])
    finally:
        aio.openstack('image', 'delete', image['id'])


# `make run` below may take its subprocess timeout (900 s) on a loaded
# machine; pytest's default (600 s) would kill the whole group first.
@pytest.mark.timeout(1200)
def test_second_make_run_reuses_the_cloud_and_shows_the_server(aio):
    # `make run` on a machine where the cloud already runs: the same
    # processes keep serving, then the showcase (the bay is left out here:
    # the bay tests cover it and its node image takes a minute to build).
    from tools.aio import showcase
    pids = {name: pid for name, pid, _r, _ok in aio.cloud.status()}
    env = dict(os.environ, AIO_HOME=aio.lay.base,
               AIO_PORT_BASE=str(aio.lay.port_base))
    proc = subprocess.run(['make', '-s', '-C', layout_mod.ROOT, 'run',
                           'SHOWCASE_ARGS=--no-bay'], env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert pids == {name: pid for name, pid, _r, _ok in aio.cloud.status()}
    text = proc.stdout
    assert 'showcase done' in text and 'the cloud keeps running' in text
    assert 'showcase-1 is ACTIVE on compute' in text
    # The flavor's limits as the engine enforces them, and the console
    # output of the image's command, which read the instance's metadata.
    assert 'memory=67108864 bytes, cpu quota=100000/100000 us' in text
    assert 'privileged=false' in text
    assert 'hello from showcase-1, a Nova server in a container' in text
    shown = re.search(r'console log show ([0-9a-f-]{36})', text)
    assert shown and '"uuid": "%s"' % shown.group(1) in text
    hosts = re.search(r'showcase-2 on (\S+), showcase-3 on (\S+)', text)
    assert hosts and hosts.group(1) != hosts.group(2), text[-3000:]
    assert 'CREATE_COMPLETE' in text
    # The load balancer in front of showcase-2 and showcase-3 answered
    # from both, from a container and from outside.
    answered = re.findall(r'answered by: (.*)', text)
    assert len(answered) == 2, text[-3000:]
    for line in answered:
        assert set(line.split()) == {'showcase-2', 'showcase-3'}, line
    # It stays for the tenant, with no member left; the next run finds it.
    lbs = aio.openstack_json('loadbalancer', 'list', '--name',
                             showcase.LB, cloud='aio-demo')
    assert len(lbs) == 1, lbs
    again = showcase.Showcase(aio.lay, out=io.StringIO())
    lb, pool = again.standing_lb()
    assert lb['id'] == lbs[0]['id'] and 'reused' in again.out.getvalue()
    assert aio.openstack_json('loadbalancer', 'member', 'list', pool['id'],
                              cloud='aio-demo') == []
    # Everything else it made is gone again.
    assert aio.openstack_json('server', 'list', '--all-projects') == []
    assert aio.openstack_json('stack', 'list', cloud='aio-demo') == []
    names = [i['Name'] for i in aio.openstack_json('image', 'list')]
    assert showcase.HELLO_IMAGE not in names


def test_a_failed_showcase_step_names_the_command(aio):
    from tools.aio import showcase
    show = showcase.Showcase(aio.lay, out=io.StringIO())
    with pytest.raises(showcase.ShowcaseFailed) as err:
        show.cli('server', 'show', 'no-such-server-' + uuid.uuid4().hex[:6])
    assert 'openstack server show no-such-server-' in str(err.value)


def test_a_failed_showcase_leaves_nothing_behind(aio):
    # A boot that fails (no host has room for the flavor) leaves an ERROR
    # server behind its failed `server create --wait`: the showcase deletes
    # it by name, then its image, and raises the boot's error.
    from tools.aio import showcase
    aio.openstack('flavor', 'create', '--ram', str(4 * 1024 * 1024),
                  '--vcpus', '1', '--disk', '1', 'showcase-too-big')
    try:
        show = showcase.Showcase(aio.lay, out=io.StringIO(),
                                 flavor='showcase-too-big')
        with pytest.raises(showcase.ShowcaseFailed) as err:
            show.run(bay=False)
    finally:
        aio.openstack('flavor', 'delete', 'showcase-too-big')
    assert 'server create' in str(err.value)
    text = show.out.getvalue()
    assert 'server delete --wait showcase-1' in text, text[-3000:]
    assert aio.openstack_json('server', 'list', '--all-projects') == []
    names = [i['Name'] for i in aio.openstack_json('image', 'list')]
    assert showcase.HELLO_IMAGE not in names


def test_second_start_finds_the_running_cloud(aio):
    times = aio.cloud.start()
    assert times['first_start'] is False
    assert 'db sync' not in times and 'identity bootstrap' not in times
    assert all(ok for _n, _p, _r, ok in aio.cloud.status())


def test_mariadb_stopped_and_started_under_the_running_cloud(aio):
    """The services ride out a MariaDB restart: no service restarts, what
    was there before is there after, and new work succeeds."""
    before = aio.openstack_json(
        'server', 'create', '--image', 'dos-idle', '--flavor', 'docker.tiny',
        '--nic', 'none', '--wait', 'before-db-restart', cloud='aio-demo')
    images = aio.openstack_json('image', 'list')
    pids = {name: pid for name, pid, _r, _ok in aio.cloud.status()}
    database = procs.Process(aio.lay, 'mariadb')
    assert database.stop() is True
    try:
        assert not services.tcp_open(aio.lay.port('mariadb'))
        # Down: the APIs answer with an error (no hang), and the showcase
        # says in one line what is down and how to start it.
        proc = aio.openstack('server', 'list', cloud='aio-demo', check=False)
        assert proc.returncode != 0
        show = subprocess.run(
            [os.path.join(aio.lay.bin, 'python'), '-m', 'tools.aio',
             'showcase'], capture_output=True, text=True, timeout=120,
            cwd=layout_mod.ROOT, env=dict(
                os.environ, AIO_HOME=aio.lay.base,
                AIO_PORT_BASE=str(aio.lay.port_base)))
        assert show.returncode == 1
        assert show.stderr.strip() == (
            'MariaDB of the all-in-one is down (127.0.0.1:%d, data in %s): '
            'start it with python -m tools.aio start (or make run)'
            % (aio.lay.port('mariadb'), os.path.join(aio.lay.data,
                                                     'mariadb')))
    finally:
        times = aio.cloud.start()
    assert times['first_start'] is False
    after = {name: pid for name, pid, _r, _ok in aio.cloud.status()}
    assert after.pop('mariadb') != pids.pop('mariadb')
    assert after == pids  # every other service kept running
    # Nothing was lost, and the services work again without a restart.
    _wait(lambda: aio.openstack('server', 'list', cloud='aio-demo',
                                check=False).returncode == 0,
          timeout=60, what='the API after MariaDB came back')
    shown = aio.openstack_json('server', 'show', before['id'],
                               cloud='aio-demo')
    assert shown['status'] == 'ACTIVE'
    assert aio.openstack_json('image', 'list') == images
    server = aio.openstack_json(
        'server', 'create', '--image', 'dos-idle', '--flavor', 'docker.tiny',
        '--nic', 'none', '--wait', 'after-db-restart', cloud='aio-demo')
    assert server['status'] == 'ACTIVE'
    assert len(aio.containers_of(server['id'])) == 1
    assert {s['ID'] for s in aio.openstack_json(
        'server', 'list', cloud='aio-demo')} == {server['id'], before['id']}
    heat = aio.heat()
    stack_id = heat.stacks.create(stack_name='e2e-after-db',
                                  template=TEMPLATE)['stack']['id']
    try:
        _wait(lambda: heat.stacks.get(stack_id).stack_status !=
              'CREATE_IN_PROGRESS', what='stack create after MariaDB')
        assert heat.stacks.get(stack_id).stack_status == 'CREATE_COMPLETE'
    finally:
        heat.stacks.delete(stack_id)
        _wait(lambda: heat.stacks.get(stack_id).stack_status in
              ('DELETE_COMPLETE', 'DELETE_FAILED'), what='stack delete')
    for made in (server['id'], before['id']):
        aio.openstack('server', 'delete', '--wait', made, cloud='aio-demo')
        assert aio.containers_of(made) == {}


def test_restart_reuses_the_databases(aio):
    before = aio.openstack_json('image', 'list')
    # The engines stay up (a restarted engine renames its predefined
    # networks, which the fixture would take for new ones).
    stopped = aio.cloud.stop(engines=False)
    assert {'keystone', 'nova-api', 'rabbitmq', 'heat-engine',
            'nova-compute-compute1'} <= set(stopped)
    assert not any(r for _n, _p, r, _ok in aio.cloud.status())
    times = aio.cloud.start()
    assert times['first_start'] is False
    assert aio.openstack_json('image', 'list') == before
    # Ready means ready: the restarted computes take a boot at once (their
    # old processes' "up" records must not count as the new ones').
    server = aio.openstack_json(
        'server', 'create', '--image', 'dos-idle', '--flavor', 'docker.tiny',
        '--nic', 'none', '--wait', 'after-restart')
    assert server['status'] == 'ACTIVE'
    aio.openstack('server', 'delete', '--wait', server['id'])


# -- resize and migration: refused moves, same-host resize, no leftovers --

def _host_of(aio, server_id):
    return aio.openstack_json('server', 'show', server_id)[
        'OS-EXT-SRV-ATTR:host']


def _flavor_of(aio, server_id):
    return aio.nova('aio-demo').servers.get(server_id).flavor[
        'original_name']


def _set_compute(aio, host, state):
    aio.openstack('compute', 'service', 'set', '--%s' % state, host,
                  'nova-compute')


def _boot_on(aio, host, name):
    """A tenant's server on `host` (the other compute disabled meanwhile)."""
    other = ({'compute1', 'compute2'} - {host}).pop()
    _set_compute(aio, other, 'disable')
    try:
        server = aio.openstack_json(
            'server', 'create', '--image', 'dos-idle', '--flavor',
            'docker.tiny', '--nic', 'none', '--wait', name, cloud='aio-demo')
    finally:
        _set_compute(aio, other, 'enable')
    assert _host_of(aio, server['id']) == host
    return server


def _engine_container(aio, server_id):
    (host, container), = aio.containers_of(server_id).items()
    container.reload()
    return host, container


def _no_container_of_a_deleted_server(aio):
    servers = {s['ID'] for s in aio.openstack_json('server', 'list',
                                                   '--all-projects')}
    for host, client in aio.engines.items():
        for c in client.containers.list(all=True, filters={
                'label': LABEL_UUID}):
            assert c.labels[LABEL_UUID] in servers, (host, c.name, c.status)


def test_refused_live_migration_leaves_servers_as_they_were_and_delete_cleans(
        aio):
    """Live migration needs CRIU (not here): refused before anything moves.
    Cold migration and resize to the other host: test_aio_migrate.py."""
    running = _boot_on(aio, 'compute1', 'mv-running')
    before = _engine_container(aio, running['id'])[1].attrs
    try:
        aio.openstack('server', 'migrate', '--live-migration', '--host',
                      'compute2', running['id'], check=False)

        def settled():
            shown = aio.openstack_json('server', 'show', running['id'])
            migrations = aio.nova('aio-admin').migrations.list(
                instance_uuid=running['id'])
            done = [m for m in migrations if m.status in ('error', 'failed')]
            return shown if (shown['OS-EXT-STS:task_state'] is None and
                             done) else None
        shown = _wait(settled, what='the live migration to be refused')
        assert shown['status'] == 'ACTIVE', shown
        host, container = _engine_container(aio, running['id'])
        assert host == 'compute1'
        assert container.attrs['Id'] == before['Id']
        assert container.attrs['State']['StartedAt'] == \
            before['State']['StartedAt']
        assert container.attrs['State']['Running']
    finally:
        aio.openstack('server', 'delete', '--wait', running['id'],
                      cloud='aio-demo')
    assert aio.containers_of(running['id']) == {}
    _no_container_of_a_deleted_server(aio)


def _cgroup(container, path):
    code, out = container.exec_run(['cat', '/sys/fs/cgroup/' + path])
    assert code == 0, out
    return int(out.decode().strip())


def test_resize_on_the_same_host_live_then_confirm_and_revert(aio):
    server = _boot_on(aio, 'compute2', 'mv-resize')
    _set_compute(aio, 'compute1', 'disable')
    try:
        _, container = _engine_container(aio, server['id'])
        started = container.attrs['State']['StartedAt']
        assert _cgroup(container, 'memory/memory.limit_in_bytes') == \
            64 * 1024 * 1024
        aio.openstack('server', 'resize', '--flavor', 'docker.small',
                      '--wait', server['id'], cloud='aio-demo')
        shown = aio.openstack_json('server', 'show', server['id'])
        assert shown['status'] == 'VERIFY_RESIZE', shown
        host, container = _engine_container(aio, server['id'])
        assert host == 'compute2'
        assert _cgroup(container, 'memory/memory.limit_in_bytes') == \
            256 * 1024 * 1024
        aio.openstack('server', 'resize', 'confirm', server['id'],
                      cloud='aio-demo')
        _wait(lambda: aio.openstack_json('server', 'show', server['id'])[
            'status'] == 'ACTIVE', what='confirmed')
        # Back to tiny, then revert: small's limits again.
        aio.openstack('server', 'resize', '--flavor', 'docker.tiny',
                      '--wait', server['id'], cloud='aio-demo')
        _, container = _engine_container(aio, server['id'])
        assert _cgroup(container, 'memory/memory.limit_in_bytes') == \
            64 * 1024 * 1024
        aio.openstack('server', 'resize', 'revert', server['id'],
                      cloud='aio-demo')
        shown = _wait(lambda: (lambda s: s if s['status'] == 'ACTIVE'
                               else None)(aio.openstack_json(
                                   'server', 'show', server['id'])),
                      what='reverted')
        assert shown['status'] == 'ACTIVE'
        assert _flavor_of(aio, server['id']) == 'docker.small'
        _, container = _engine_container(aio, server['id'])
        assert _cgroup(container, 'memory/memory.limit_in_bytes') == \
            256 * 1024 * 1024
        assert container.attrs['State']['StartedAt'] == started
        assert container.attrs['State']['Running']
    finally:
        _set_compute(aio, 'compute1', 'enable')
        aio.openstack('server', 'delete', '--wait', server['id'],
                      cloud='aio-demo')
    assert aio.containers_of(server['id']) == {}


def test_server_deleted_while_its_compute_is_down_is_reaped_at_start(aio):
    server = _boot_on(aio, 'compute1', 'mv-reap')
    compute = procs.Process(aio.lay, 'nova-compute-compute1')
    assert compute.stop()
    aio.openstack('compute', 'service', 'set', '--down', 'compute1',
                  'nova-compute')
    try:
        # Nova deletes the server of a host that is down in its database
        # alone; the container stays on the engine.
        aio.openstack('server', 'delete', '--wait', server['id'],
                      cloud='aio-demo')
        (left,) = aio.containers_of(server['id']).values()
        assert left.status == 'running'
    finally:
        aio.openstack('compute', 'service', 'set', '--up', 'compute1',
                      'nova-compute')
        aio.cloud.start()
    # The compute's first pass at start removes it.
    _wait(lambda: aio.containers_of(server['id']) == {}, timeout=60,
          what='the leftover container to be reaped')
    _no_container_of_a_deleted_server(aio)
