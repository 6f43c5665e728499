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

"""Containers that move between the all-in-one's two computes (each on
its own engine): cold migration, resize to the other host, confirm,
revert, refused moves and evacuation, through the openstack CLI.

The cloud is the session's (tests/functional/devstack/conftest.py), shared
with the other modules: these tests make their own network and servers
with names of their own, and delete them.
"""

import os
import re
import threading
import uuid

import pytest

from tests.functional.devstack.conftest import LABEL_UUID
from tests.functional.devstack.conftest import wait
from tools.aio import procs

pytestmark = [pytest.mark.slow, pytest.mark.docker]

MiB = 1024 * 1024
CIDR = '10.77.0.0/24'
MOVE_REPOSITORY = 'nova-move'
MOVE_IMAGE_PREFIX = 'nova-docker-move-'


@pytest.fixture(scope='module')
def mig(aio):
    """A network of the demo tenant for this module; its servers and the
    network go at the end whatever happened."""
    prefix = 'mig-%s' % uuid.uuid4().hex[:6]
    aio.openstack('network', 'create', prefix + '-net', cloud='aio-demo')
    aio.openstack('subnet', 'create', '--network', prefix + '-net',
                  '--subnet-range', CIDR, prefix + '-subnet',
                  cloud='aio-demo')
    state = {'aio': aio, 'net': prefix + '-net', 'prefix': prefix,
             'servers': []}
    try:
        yield state
    finally:
        for host in ('compute1', 'compute2'):
            aio.openstack('compute', 'service', 'set', '--enable', '--up',
                          host, 'nova-compute', check=False)
        for server_id in state['servers']:
            aio.openstack('server', 'delete', '--wait', server_id,
                          check=False)
        aio.openstack('network', 'delete', prefix + '-net',
                      cloud='aio-demo', check=False)


def _set_compute(aio, host, *flags):
    aio.openstack('compute', 'service', 'set', *flags, host, 'nova-compute')


def _boot_on(mig, host, name):
    aio = mig['aio']
    other = ({'compute1', 'compute2'} - {host}).pop()
    _set_compute(aio, other, '--disable')
    try:
        server = aio.openstack_json(
            'server', 'create', '--image', 'dos-idle', '--flavor',
            'docker.tiny', '--network', mig['net'], '--wait',
            '%s-%s' % (mig['prefix'], name), cloud='aio-demo')
    finally:
        _set_compute(aio, other, '--enable')
    mig['servers'].append(server['id'])
    assert _show(aio, server['id'])['OS-EXT-SRV-ATTR:host'] == host
    return server


def _show(aio, server_id):
    return aio.openstack_json('server', 'show', server_id)


def _settled(aio, server_id, status, timeout=240):
    """The server once it has ``status`` and no task."""
    def check():
        shown = _show(aio, server_id)
        assert shown['status'] != 'ERROR', shown.get('fault', shown)
        return shown if (shown['status'] == status and
                         shown['OS-EXT-STS:task_state'] is None) else None
    return wait(check, timeout, '%s to be %s' % (server_id, status))


def _containers(aio, server_id):
    """{host: container} of the server on both engines (reloaded)."""
    found = aio.containers_of(server_id)
    for container in found.values():
        container.reload()
    return found


def _exec(container, script):
    code, out = container.exec_run(['sh', '-c', script])
    return code, out.decode(errors='replace')


def _address(aio, server_id, network):
    (ip,) = _show(aio, server_id)['addresses'][network]
    return ip


def _port(aio, server_id):
    (port,) = aio.openstack_json('port', 'list', '--server', server_id,
                                 '--long')
    return aio.openstack_json('port', 'show', port['ID'])


def _move_images(aio):
    """Move images Glance lists (hidden ones included) to the admin and
    to the demo tenant (their owner)."""
    found = []
    for cloud in ('aio-admin', 'aio-demo'):
        sess = aio.session(cloud)
        for hidden in ('true', 'false'):
            body = sess.get('/v2/images?os_hidden=%s&limit=1000' % hidden,
                            endpoint_filter={'service_type': 'image'}).json()
            found += [i['name'] for i in body['images']
                      if i['name'].startswith(MOVE_IMAGE_PREFIX)]
    return found


def _logged_move_images(aio, server_id):
    """Ids of the move images the computes logged for the server."""
    found = set()
    pattern = re.compile(r'\[instance: %s\] Move image ([0-9a-f-]{36}) '
                         r'created' % re.escape(server_id))
    for host in aio.engines:
        path = os.path.join(aio.lay.logs, 'nova-compute-%s.log' % host)
        with open(path, errors='replace') as f:
            found.update(m.group(1) for m in pattern.finditer(f.read()))
    return found


def _image_gone(aio, image_id):
    resp = aio.session().get('/v2/images/%s' % image_id,
                             endpoint_filter={'service_type': 'image'},
                             raise_exc=False)
    return resp.status_code == 404


def _engine_move_images(aio):
    return {host: [t for image in client.images.list()
                   for t in image.tags if t.startswith(MOVE_REPOSITORY)]
            for host, client in aio.engines.items()}


def _write_marker(container, text):
    code, out = _exec(container, 'echo %s > /marker && '
                      'dd if=/dev/urandom of=/blob bs=1024 count=512 '
                      '2>/dev/null && md5sum /blob' % text)
    assert code == 0, out
    return out.split()[0]


def _check_marker(container, text, digest):
    code, out = _exec(container, 'cat /marker && md5sum /blob')
    assert code == 0, out
    assert out.split()[0] == text, out
    assert out.split()[1] == digest, out


def _check_address_inside(container, ip):
    code, out = _exec(container, 'ip -4 -o addr show')
    assert code == 0, out
    assert ip in out, out


def _delete_and_check_clean(mig, server_id):
    aio = mig['aio']
    port_id = _port(aio, server_id)['id']
    aio.openstack('server', 'delete', '--wait', server_id, cloud='aio-demo')
    mig['servers'].remove(server_id)
    assert aio.containers_of(server_id) == {}
    assert _engine_move_images(aio) == {h: [] for h in aio.engines}
    ports = [p['ID'] for p in aio.openstack_json('port', 'list')]
    assert port_id not in ports
    assert _move_images(aio) == []
    for image_id in _logged_move_images(aio, server_id):
        assert _image_gone(aio, image_id)


def test_cold_migration_then_confirm_moves_files_address_and_limits(mig):
    aio = mig['aio']
    server = _boot_on(mig, 'compute1', 'cold')
    ip = _address(aio, server['id'], mig['net'])
    (source,) = _containers(aio, server['id']).values()
    digest = _write_marker(source, 'before-the-move')

    aio.openstack('server', 'migrate', server['id'])
    shown = _settled(aio, server['id'], 'VERIFY_RESIZE')
    assert shown['OS-EXT-SRV-ATTR:host'] == 'compute2'
    found = _containers(aio, server['id'])
    # The source keeps its container, stopped, until confirm.
    assert found['compute1'].id == source.id
    assert found['compute1'].status == 'exited'
    moved = found['compute2']
    assert moved.status == 'running'
    assert moved.labels[LABEL_UUID] == server['id']
    _check_marker(moved, 'before-the-move', digest)
    assert moved.attrs['HostConfig']['Memory'] == 64 * MiB
    # Same port, same address, bound to the destination now.
    assert _address(aio, server['id'], mig['net']) == ip
    port = _port(aio, server['id'])
    assert port['binding_host_id'] == 'compute2'
    wait(lambda: _port(aio, server['id'])['status'] == 'ACTIVE', 120,
         'the port to be ACTIVE on compute2')
    _check_address_inside(moved, ip)
    # The hidden image carried it and is gone.
    (image_id,) = _logged_move_images(aio, server['id'])
    assert _image_gone(aio, image_id)
    assert _move_images(aio) == []

    aio.openstack('server', 'resize', 'confirm', server['id'])
    _settled(aio, server['id'], 'ACTIVE')
    found = _containers(aio, server['id'])
    assert list(found) == ['compute2']
    assert _engine_move_images(aio)['compute1'] == []
    _delete_and_check_clean(mig, server['id'])


def test_resize_to_the_other_host_then_revert_is_as_before(mig):
    aio = mig['aio']
    server = _boot_on(mig, 'compute1', 'revert')
    ip = _address(aio, server['id'], mig['net'])
    (before,) = _containers(aio, server['id']).values()
    digest = _write_marker(before, 'on-the-source')

    # The source disabled: the resize has to go to compute2.
    _set_compute(aio, 'compute1', '--disable')
    try:
        aio.openstack('server', 'resize', '--flavor', 'docker.small',
                      server['id'], cloud='aio-demo')
        shown = _settled(aio, server['id'], 'VERIFY_RESIZE')
    finally:
        _set_compute(aio, 'compute1', '--enable')
    assert shown['OS-EXT-SRV-ATTR:host'] == 'compute2'
    moved = _containers(aio, server['id'])['compute2']
    assert moved.attrs['HostConfig']['Memory'] == 256 * MiB
    _check_marker(moved, 'on-the-source', digest)
    # Written after the move: the revert does not bring it back.
    code, out = _exec(moved, 'echo later > /later')
    assert code == 0, out

    aio.openstack('server', 'resize', 'revert', server['id'],
                  cloud='aio-demo')
    shown = _settled(aio, server['id'], 'ACTIVE')
    assert shown['OS-EXT-SRV-ATTR:host'] == 'compute1'
    assert aio.nova('aio-demo').servers.get(server['id']).flavor[
        'original_name'] == 'docker.tiny'
    found = _containers(aio, server['id'])
    assert list(found) == ['compute1']
    after = found['compute1']
    assert after.id == before.id
    assert after.status == 'running'
    assert after.attrs['HostConfig']['Memory'] == 64 * MiB
    _check_marker(after, 'on-the-source', digest)
    assert _exec(after, 'test -e /later')[0] != 0
    assert _address(aio, server['id'], mig['net']) == ip
    wait(lambda: _port(aio, server['id'])['binding_host_id'] == 'compute1',
         60, 'the port to be bound to compute1 again')
    _check_address_inside(after, ip)
    _delete_and_check_clean(mig, server['id'])


class Refusals:
    """Checks that a refused move left ``server`` where it was: ACTIVE on
    ``host`` with its flavor, the same container started at the same time,
    and no move image in Glance, the compute logs or either engine."""

    def __init__(self, mig, server, host='compute1', flavor='docker.tiny'):
        self.aio = mig['aio']
        self.server_id = server['id']
        self.host = host
        self.flavor = flavor
        (self.before,) = _containers(self.aio, self.server_id).values()
        self.started = self.before.attrs['State']['StartedAt']

    def __call__(self, what, args):
        """Run ``openstack *args``; the move must change nothing. Returns
        the CLI's stderr (empty when the API accepted the request and the
        scheduler or the compute refused it later)."""
        aio = self.aio
        proc = aio.openstack(*args, check=False)
        if proc.returncode != 0:
            assert proc.stderr.strip(), what
        shown = _settled(aio, self.server_id, 'ACTIVE')
        assert shown['OS-EXT-SRV-ATTR:host'] == self.host, what
        assert aio.nova('aio-demo').servers.get(self.server_id).flavor[
            'original_name'] == self.flavor, what
        found = _containers(aio, self.server_id)
        assert list(found) == [self.host], what
        assert found[self.host].id == self.before.id, what
        assert found[self.host].attrs['State']['StartedAt'] == \
            self.started, what
        assert _move_images(aio) == [], what
        assert _logged_move_images(aio, self.server_id) == set(), what
        assert _engine_move_images(aio) == {
            h: [] for h in aio.engines}, what
        return proc.stderr

    def no_valid_host(self, what):
        """The server's last action failed for want of a valid host, and
        its migration record (the newest) says error, no destination."""
        aio = self.aio
        migrations = aio.openstack_json(
            'server', 'migration', 'list', '--server', self.server_id)
        newest = max(migrations, key=lambda m: m['Id'])
        assert (newest['Status'], newest['Dest Compute']) == (
            'error', None), (what, newest)
        return newest


def test_moves_nowhere_to_go_are_refused_and_nothing_moves(mig):
    aio = mig['aio']
    server = _boot_on(mig, 'compute1', 'refused')
    refused = Refusals(mig, server)
    attempts = [
        # The only other host is disabled: no valid host.
        ('disabled', ['server', 'migrate', server['id']]),
        # A host that does not exist: Nova's API names it.
        ('unknown host', ['server', 'migrate', '--host', 'no-such-host',
                          server['id']]),
        # A flavor that does not exist: the API refuses the resize.
        ('unknown flavor', ['server', 'resize', '--flavor', 'no-such-flavor',
                            server['id']]),
    ]

    # No host has room for the new flavor (both enabled; the disk is what
    # does not fit, since no quota counts it): the scheduler finds no
    # valid host, the migration record says error, the server is as it was.
    huge = '%s-huge' % mig['prefix']
    aio.openstack('flavor', 'create', '--ram', '64', '--vcpus', '1',
                  '--disk', str(100 * 1000), huge)
    try:
        refused('no capacity', ['server', 'resize', '--flavor', huge,
                                server['id']])
        assert refused.no_valid_host('no capacity')['Type'] == 'resize'
    finally:
        aio.openstack('flavor', 'delete', huge)
    _set_compute(aio, 'compute2', '--disable')
    try:
        for what, args in attempts:
            refused(what, args)
        # The unknown host and flavor are named.
        assert 'no-such-host' in aio.openstack(*attempts[1][1],
                                               check=False).stderr
        assert 'no-such-flavor' in aio.openstack(*attempts[2][1],
                                                 check=False).stderr
    finally:
        _set_compute(aio, 'compute2', '--enable')
    _delete_and_check_clean(mig, server['id'])


def _arm64_image(aio, name):
    """A Glance image that says it runs on arm64 only, with the project's
    own ``docker_platforms`` property (the idle image's tarball: the
    property is what the scheduler reads). Not ``hw_architecture``: Nova's
    ImagePropertiesFilter, on in the all-in-one, would then refuse every
    host whose driver reports another native architecture, emulation or
    not."""
    from tools.aio import bootstrap
    sess = aio.session()
    image_id = bootstrap.upload_docker_image(aio.lay, sess, name,
                                             'dos/idle:latest')
    sess.patch('/v2/images/%s' % image_id, endpoint_filter={
        'service_type': 'image'}, json=[
            {'op': 'remove', 'path': '/hw_architecture'},
            {'op': 'add', 'path': '/docker_platforms',
             'value': 'linux/arm64/v8'}],
        headers={'Content-Type':
                 'application/openstack-images-v2.1-json-patch'})
    return image_id


def test_no_move_to_a_host_of_another_architecture(mig):
    """compute1 declares (aggregate metadata read by ArchitectureFilter)
    that it runs arm64 images under emulation; compute2 does not. An
    arm64 server lands on compute1 and has nowhere to move: migrate,
    with or without naming compute2, is refused by the scheduler."""
    aio = mig['aio']
    prefix = mig['prefix']
    aggregate = aio.openstack_json(
        'aggregate', 'create', '--property',
        'docker_emulated_architectures=aarch64', prefix + '-emulates-arm')
    image_id = None
    try:
        aio.openstack('aggregate', 'add', 'host', str(aggregate['id']),
                      'compute1')
        image_id = _arm64_image(aio, prefix + '-arm64')
        server = aio.openstack_json(
            'server', 'create', '--image', image_id, '--flavor',
            'docker.tiny', '--network', mig['net'], '--wait',
            prefix + '-arm', cloud='aio-demo')
        mig['servers'].append(server['id'])
        assert _show(aio, server['id'])['OS-EXT-SRV-ATTR:host'] == \
            'compute1'
        refused = Refusals(mig, server)
        refused('another architecture', ['server', 'migrate', server['id']])
        assert refused.no_valid_host('another architecture')['Type'] == \
            'migration'
        refused('another architecture, named',
                ['server', 'migrate', '--host', 'compute2', server['id']])
        refused.no_valid_host('another architecture, named')
        _delete_and_check_clean(mig, server['id'])
    finally:
        aio.openstack('aggregate', 'remove', 'host', str(aggregate['id']),
                      'compute1', check=False)
        aio.openstack('aggregate', 'delete', str(aggregate['id']), check=False)
        if image_id:
            aio.openstack('image', 'delete', image_id, check=False)


def test_no_move_for_a_server_held_to_its_host_by_affinity(mig):
    """What holds a server on its host in Nova is an affinity group (a host
    forced at boot is not kept for later moves: Nova resets it). A member
    of a group whose other member runs on compute1 cannot migrate: the
    scheduler finds no host with the group, and nothing moves."""
    aio = mig['aio']
    prefix = mig['prefix']
    group = aio.openstack_json('server', 'group', 'create', '--policy',
                               'affinity', prefix + '-together',
                               cloud='aio-demo')
    try:
        servers = []
        _set_compute(aio, 'compute2', '--disable')
        try:
            for name in ('held-1', 'held-2'):
                server = aio.openstack_json(
                    'server', 'create', '--image', 'dos-idle', '--flavor',
                    'docker.tiny', '--network', mig['net'], '--hint',
                    'group=%s' % group['id'], '--wait',
                    '%s-%s' % (prefix, name), cloud='aio-demo')
                mig['servers'].append(server['id'])
                servers.append(server)
        finally:
            _set_compute(aio, 'compute2', '--enable')
        for server in servers:
            assert _show(aio, server['id'])['OS-EXT-SRV-ATTR:host'] == \
                'compute1'
        refused = Refusals(mig, servers[0])
        refused('affinity', ['server', 'migrate', servers[0]['id']])
        assert refused.no_valid_host('affinity')['Type'] == 'migration'
        refused('affinity, named', ['server', 'migrate', '--host',
                                    'compute2', servers[0]['id']])
        refused.no_valid_host('affinity, named')
        for server in servers:
            _delete_and_check_clean(mig, server['id'])
    finally:
        aio.openstack('server', 'group', 'delete', group['id'],
                      cloud='aio-demo', check=False)


def test_evacuate_from_a_failed_host_and_its_return_removes_the_leftover(
        mig):
    aio = mig['aio']
    server = _boot_on(mig, 'compute1', 'evac')
    other = _boot_on(mig, 'compute1', 'stays')
    ip = _address(aio, server['id'], mig['net'])
    port_id = _port(aio, server['id'])['id']
    (left,) = _containers(aio, server['id']).values()
    (kept,) = _containers(aio, other['id']).values()
    compute = procs.Process(aio.lay, 'nova-compute-compute1')
    assert compute.stop()
    try:
        _set_compute(aio, 'compute1', '--down')
        # Microversion 2.94: from 2.95 on Nova stops evacuated servers
        # (target state 'stopped'); this one should run where it lands.
        from novaclient import client as nova_client
        nova_client.Client('2.94', session=aio.session()).servers.evacuate(
            server['id'])
        shown = _settled(aio, server['id'], 'ACTIVE')
        assert shown['OS-EXT-SRV-ATTR:host'] == 'compute2'
        found = _containers(aio, server['id'])
        assert found['compute2'].status == 'running'
        # Rebuilt from the image, with the same port and address.
        assert _port(aio, server['id'])['id'] == port_id
        assert _address(aio, server['id'], mig['net']) == ip
        # The dead host's container is still there while it is away.
        assert found['compute1'].id == left.id
    finally:
        # The host comes back. Nova lets it be forced up only once its
        # start has settled the evacuations (migrations 'completed'), and
        # the cloud's start waits for it to be up: both at once.
        starter = threading.Thread(target=aio.cloud.start, daemon=True)
        starter.start()
        wait(lambda: aio.openstack('compute', 'service', 'set', '--up',
                                   'compute1', 'nova-compute',
                                   check=False).returncode == 0, 240,
             'compute1 to be allowed up again')
        starter.join(300)
        assert not starter.is_alive(), 'the cloud did not start again'
    # Back: the evacuated instance's container went at its start, nothing
    # else did.
    assert list(_containers(aio, server['id'])) == ['compute2']
    migrations = aio.nova('aio-admin').migrations.list(
        instance_uuid=server['id'])
    assert [m.status for m in migrations
            if m.migration_type == 'evacuation'] == ['completed']
    assert _containers(aio, other['id'])['compute1'].id == kept.id
    _check_address_inside(_containers(aio, server['id'])['compute2'], ip)
    for server_id in (server['id'], other['id']):
        _delete_and_check_clean(mig, server_id)
