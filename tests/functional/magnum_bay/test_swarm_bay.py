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

"""Swarm-mode bays on the real engine: Docker-in-Docker nodes, a real swarm.

Nothing is faked: the nodes run Debian's dockerd inside containers, the
swarm is Docker's own, and the user reaches the manager over TLS with the
client certificate ``cluster config`` hands out.
"""

import glob
import logging
import os

import docker as docker_sdk
import pytest
import requests

from magnum_bay import fields
from magnum_bay.engine import node_api

pytestmark = [pytest.mark.slow, pytest.mark.docker]


def _why(cluster):
    return '%s: %s / %s: %s' % (
        cluster['status'], cluster['status_reason'],
        cluster['health_status'], cluster['health_status_reason'])


def _user_client(bays, cluster, folder):
    """A docker client as a user would make it from ``cluster config``."""
    files = bays.config_files(cluster['uuid'])
    os.makedirs(folder, exist_ok=True)
    for name, text in files.items():
        with open(os.path.join(folder, name), 'w') as f:
            f.write(text)
    tls = docker_sdk.tls.TLSConfig(
        client_cert=(os.path.join(folder, 'cert.pem'),
                     os.path.join(folder, 'key.pem')),
        ca_cert=os.path.join(folder, 'ca.pem'), verify=True)
    client = docker_sdk.DockerClient(
        base_url=cluster['api_address'].replace('tcp://', 'https://'),
        tls=tls, version='1.41', timeout=30)
    client.api.trust_env = False
    return client


def _ready(client):
    return sorted(n.attrs['Description']['Hostname'] for n in
                  client.nodes.list()
                  if n.attrs['Status']['State'] == 'ready')


def _wait_running(client, service, want, attempts=200):
    import time
    for _ in range(attempts):
        tasks = [t for t in client.api.tasks(filters={'service': service})
                 if t['Status']['State'] == 'running'
                 and t['DesiredState'] == 'running']
        if len(tasks) >= want:
            return tasks
        time.sleep(0.25)
    raise AssertionError('service %s has %d running tasks, wanted %d'
                         % (service, len(tasks), want))


def test_lifecycle_create_service_resize_kill_repair_delete(
        bays, node_image, docker, docker_cleanup, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    image, _v2 = node_image
    bays.create_template(name='swarm', coe='swarm-mode', image_id=image,
                         master_count=1, node_count=2)
    cluster = bays.create_cluster('bay1', 'swarm')
    assert cluster['status'] == fields.CREATE_COMPLETE, _why(cluster)
    assert cluster['health_status'] == fields.HEALTHY, _why(cluster)
    uuid = cluster['uuid']
    names = sorted(n.name for n in bays.host.list_nodes(uuid))
    assert len(names) == 3 and sum('master' in n for n in names) == 1

    # The user's view, over TLS with the client certificate.
    user = _user_client(bays, cluster, str(tmp_path / 'cfg'))
    assert _ready(user) == names
    # Without a client certificate the manager refuses the handshake.
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(cluster['api_address'].replace('tcp://', 'https://')
                     + '/_ping', verify=False, timeout=10)

    # A replicated service spreads over several nodes.
    bays.load_image(uuid, 'dos/idle:latest')
    service = user.services.create('dos/idle:latest', name='idle',
                                   mode=docker_sdk.types.ServiceMode(
                                       'replicated', replicas=3))
    tasks = _wait_running(user, service.id, 3)
    assert len({t['NodeID'] for t in tasks}) >= 2, tasks

    # Resize up to 3 workers and back to 2: the removed node is drained
    # first, its replica moves, and its container and volume go.
    cluster = bays.resize_cluster(uuid, 3)
    assert cluster['status'] == fields.UPDATE_COMPLETE, _why(cluster)
    assert cluster['health_status'] == fields.HEALTHY, _why(cluster)
    assert len(_ready(user)) == 4
    bays.load_image(uuid, 'dos/idle:latest')
    cluster = bays.resize_cluster(uuid, 2)
    assert cluster['status'] == fields.UPDATE_COMPLETE, _why(cluster)
    assert bays.get_cluster(uuid)['node_count'] == 2
    assert _ready(user) == names
    assert len(_wait_running(user, service.id, 3)) == 3
    assert bays.host.get_node(names[-1].replace('worker-1', 'worker-2')) \
        is None

    # A killed node makes the bay UNHEALTHY, naming it; repair heals it.
    victim = [n for n in names if n.endswith('worker-0')][0]
    bays.host.kill(victim)
    cluster = bays.get_cluster(uuid, refresh=True)
    assert cluster['health_status'] == fields.UNHEALTHY
    assert victim in cluster['health_status_reason']['summary']
    assert cluster['health_status_reason']['%s.Ready' % victim] == 'False'
    cluster = bays.repair_cluster(uuid)
    assert cluster['status'] == fields.UPDATE_COMPLETE, _why(cluster)
    assert cluster['health_status'] == fields.HEALTHY, _why(cluster)

    # So does a resize after a node died.
    other = [n for n in names if n.endswith('worker-1')][0]
    bays.host.kill(other)
    assert bays.get_cluster(uuid, refresh=True)['health_status'] == \
        fields.UNHEALTHY
    cluster = bays.resize_cluster(uuid, 3)
    assert cluster['health_status'] == fields.HEALTHY, _why(cluster)
    assert len(_ready(user)) == 4
    user.close()

    # Delete leaves nothing: containers, volumes, network, certificates,
    # the nodes' cgroups, or the database rows.
    assert bays.db.count_certificates(uuid) > 0
    assert bays.delete_cluster(uuid) is None
    assert bays.host.leftovers(uuid) == {'containers': [], 'volumes': [],
                                         'networks': []}
    assert docker_cleanup.leftovers(docker) == {
        'containers': set(), 'networks': set(), 'volumes': set(),
        'images': set()}
    assert bays.db.count_certificates(uuid) == 0
    assert bays.list_clusters() == []
    assert not [p for n in names
                for p in glob.glob('/sys/fs/cgroup/*/%s' % n)]
    # Keys never reach the logs.
    assert 'PRIVATE KEY' not in caplog.text


def test_rolling_upgrade_and_ca_rotation(bays, node_image, tmp_path):
    image, image_v2 = node_image
    bays.create_template(name='v1', coe='swarm-mode', image_id=image,
                         node_count=2)
    bays.create_template(name='v2', coe='swarm-mode', image_id=image_v2)
    cluster = bays.create_cluster('bay2', 'v1')
    assert cluster['health_status'] == fields.HEALTHY, _why(cluster)
    uuid = cluster['uuid']
    user = _user_client(bays, cluster, str(tmp_path / 'old'))
    before = {n.attrs['Description']['Hostname']: n.id
              for n in user.nodes.list()}
    bays.load_image(uuid, 'dos/idle:latest')

    cluster = bays.upgrade_cluster(uuid, 'v2', max_batch_size=2)
    assert cluster['status'] == fields.UPDATE_COMPLETE, _why(cluster)
    assert cluster['health_status'] == fields.HEALTHY, \
        cluster['health_status_reason']
    v2_id = bays.host.client.images.get(image_v2).id
    nodes = bays.host.list_nodes(uuid)
    assert {n.image_id for n in nodes} == {v2_id}
    # Same swarm nodes (identity kept in each node's volume), same data.
    after = {n.attrs['Description']['Hostname']: n.id
             for n in user.nodes.list()}
    assert after == before
    assert all(n.attrs['Status']['State'] == 'ready'
               for n in user.nodes.list())
    with node_api.tls_files(bays.db.get_certificates(uuid)['ca']['cert_pem'],
                            _admin(bays, cluster)) as paths:
        engines = node_api.NodeEngines(2376, paths)
        for n in nodes:
            assert engines.client(n.address).images.get('dos/idle:latest')
        engines.close()
    assert bays.get_template('v2')['uuid'] == bays.get_cluster(
        uuid)['cluster_template_id']

    # CA rotation: the old client certificate stops working, a new
    # ``cluster config`` works, the swarm stays whole.
    cluster = bays.rotate_ca(uuid)
    assert cluster['status'] == fields.UPDATE_COMPLETE, _why(cluster)
    assert cluster['health_status'] == fields.HEALTHY, _why(cluster)
    with pytest.raises(Exception):
        user.nodes.list()
    user.close()
    fresh = _user_client(bays, cluster, str(tmp_path / 'new'))
    assert len(_ready(fresh)) == 3
    fresh.close()
    assert 'ca-previous' not in bays.db.get_certificates(uuid)


def _admin(bays, cluster):
    from magnum_bay import credentials
    return credentials.BayCredentials(bays.db, cluster).admin()


def test_nodegroup_with_own_image_and_flavor_and_monitor(bays, node_image,
                                                         tmp_path):
    from magnum_bay import exception
    image, image_v2 = node_image
    bays.create_template(name='t', coe='swarm-mode', image_id=image)
    cluster = bays.create_cluster('bay3', 't')
    uuid = cluster['uuid']
    with pytest.raises(exception.InvalidParameter) as err:
        bays.create_nodegroup(uuid, 'big', node_count=0)
    assert err.value.field == 'node_count'
    with pytest.raises(exception.InvalidParameter) as err:
        bays.create_nodegroup(uuid, 'big', image_id='dos/none:latest')
    assert err.value.field == 'image_id'
    with pytest.raises(exception.Conflict):
        bays.create_nodegroup(uuid, 'default-worker')
    assert len(bays.list_nodegroups(uuid)) == 2

    cluster = bays.create_nodegroup(uuid, 'small-v2', node_count=1,
                                    image_id=image_v2, flavor_id='small')
    assert cluster['status'] == fields.UPDATE_COMPLETE, _why(cluster)
    assert cluster['health_status'] == fields.HEALTHY, _why(cluster)
    extra = [n for n in bays.host.list_nodes(uuid)
             if n.nodegroup == 'small-v2']
    assert len(extra) == 1
    assert extra[0].image_id == bays.host.client.images.get(image_v2).id
    host_cfg = extra[0].attrs['HostConfig']
    assert host_cfg['Memory'] == 512 * 1024 * 1024
    assert host_cfg['NanoCpus'] == 10 ** 9

    user = _user_client(bays, cluster, str(tmp_path / 'cfg'))
    assert len(_ready(user)) == 3
    bays.load_image(uuid, 'dos/idle:latest')
    svc = user.services.create(
        'dos/idle:latest', name='reserved',
        resources=docker_sdk.types.Resources(mem_reservation=64 * 2 ** 20))
    _wait_running(user, svc.id, 1)
    metrics = bays.monitor(uuid)
    assert metrics['nodes'] == (3, 'count')
    assert metrics['running_tasks'][0] >= 1
    assert 0 < metrics['memory_util'][0] < 100

    cluster = bays.delete_nodegroup(uuid, 'small-v2')
    assert cluster['health_status'] == fields.HEALTHY, _why(cluster)
    assert [n['name'] for n in bays.list_nodegroups(uuid)] == [
        'default-master', 'default-worker']
    assert not [n for n in bays.host.list_nodes(uuid)
                if n.nodegroup == 'small-v2']
    assert len(_ready(user)) == 2
    user.close()
    with pytest.raises(exception.InvalidParameter):
        bays.delete_nodegroup(uuid, 'default-worker')


def test_tls_disabled_bay_serves_plain_tcp(bays, node_image):
    """tls_disabled: no certificates handed out, the API is plain TCP.

    (dockerd itself waits 15 s before serving an unauthenticated TCP
    socket, so this bay takes that much longer to come up.)"""
    image, _v2 = node_image
    bays.create_template(name='plain', coe='swarm-mode', image_id=image,
                         tls_disabled=True)
    cluster = bays.create_cluster('bay4', 'plain')
    assert cluster['health_status'] == fields.HEALTHY, _why(cluster)
    assert cluster['api_address'].endswith(':2375')
    files = bays.config_files(cluster['uuid'])
    assert sorted(files) == ['env.sh']
    assert 'DOCKER_TLS_VERIFY' not in files['env.sh']
    client = docker_sdk.DockerClient(base_url=cluster['api_address'],
                                     version='1.41', timeout=30)
    client.api.trust_env = False
    assert len(client.nodes.list()) == 2
    client.close()


def test_three_managers_form_a_quorum(bays, node_image, tmp_path):
    image, _v2 = node_image
    bays.create_template(name='ha', coe='swarm-mode', image_id=image,
                         master_count=3, node_count=1)
    cluster = bays.create_cluster('bay5', 'ha')
    assert cluster['health_status'] == fields.HEALTHY, _why(cluster)
    assert cluster['master_count'] == 3 and len(
        cluster['master_addresses']) == 3
    user = _user_client(bays, cluster, str(tmp_path / 'cfg'))
    managers = [n.attrs for n in user.nodes.list()
                if n.attrs['Spec']['Role'] == 'manager']
    assert len(managers) == 3
    assert sorted(m['ManagerStatus']['Reachability'] for m in managers) == [
        'reachable'] * 3
    assert sum(bool(m['ManagerStatus'].get('Leader')) for m in managers) == 1
    user.close()


def test_repair_replaces_a_node_that_cannot_rejoin(bays, node_image,
                                                   tmp_path):
    """A worker the swarm has dropped (its membership removed) comes back
    from repair as a fresh node under the same name."""
    from magnum_bay import conf as bay_conf
    bay_conf.CONF.set_override('rejoin_timeout', 5, 'bay_swarm_mode')
    try:
        image, _v2 = node_image
        bays.create_template(name='t', coe='swarm-mode', image_id=image)
        cluster = bays.create_cluster('bay6', 't')
        uuid = cluster['uuid']
        user = _user_client(bays, cluster, str(tmp_path / 'cfg'))
        worker = [n for n in bays.host.list_nodes(uuid)
                  if n.role == 'worker'][0]
        old_id = [n.id for n in user.nodes.list() if n.attrs['Description']
                  ['Hostname'] == worker.name][0]
        user.api.remove_node(old_id, force=True)
        unhealthy = bays.get_cluster(uuid, refresh=True)
        assert unhealthy['health_status'] == fields.UNHEALTHY
        assert worker.name in unhealthy['health_status_reason']['summary']

        cluster = bays.repair_cluster(uuid)
        assert cluster['health_status'] == fields.HEALTHY, _why(cluster)
        now = {n.attrs['Description']['Hostname']: n.id
               for n in user.nodes.list()}
        assert worker.name in now and now[worker.name] != old_id
        assert len(now) == 2
        user.close()
    finally:
        bay_conf.CONF.clear_override('rejoin_timeout', 'bay_swarm_mode')
