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

"""Bad templates and clusters fail with an error naming the field, and
leave nothing: no database row, container, network, volume or image."""

import pytest

from magnum_bay import exception

pytestmark = pytest.mark.docker

GOOD = dict(coe='swarm-mode', image_id='dos/bay-node:latest')


def _nothing_left(bays, docker, snapshot):
    assert bays.list_templates() == [] or all(
        t['name'] == 'ok' for t in bays.list_templates())
    assert bays.list_clusters() == []
    assert bays.db.count_certificates() == 0
    assert snapshot.leftovers(docker) == {
        'containers': set(), 'networks': set(), 'volumes': set(),
        'images': set()}


@pytest.mark.parametrize('values, field, words', [
    (dict(GOOD, coe='kubernetes-classic'), 'coe', 'unknown COE'),
    (dict(GOOD, coe=None), 'coe', 'unknown COE'),
    (dict(GOOD, master_count=2), 'master_count', 'odd'),
    (dict(GOOD, master_count=0), 'master_count', 'at least 1'),
    (dict(GOOD, node_count=0), 'node_count', 'at least 1'),
    (dict(GOOD, node_count=-3), 'node_count', 'at least 1'),
    (dict(GOOD, image_id='dos/no-such-node:latest'), 'image_id',
     'not on the Docker engine'),
    (dict(GOOD, image_id='Not A Valid Ref'), 'image_id',
     'not on the Docker engine'),
    (dict(GOOD, flavor_id='huge'), 'flavor_id', 'unknown flavor'),
    (dict(GOOD, master_flavor_id='huge'), 'master_flavor_id',
     'unknown flavor'),
    (dict(GOOD, docker_storage_driver='zfs'), 'docker_storage_driver',
     'not one of'),
    (dict(GOOD, network_driver='flannel'), 'network_driver',
     'not supported'),
    (dict(GOOD, server_type='bm'), 'server_type', 'container'),
    (dict(GOOD, docker_volume_size=0), 'docker_volume_size', 'at least 1'),
    (dict(GOOD, docker_volume_size=10), 'docker_volume_size',
     'cannot be enforced'),
    (dict(GOOD, name=''), 'name', 'required'),
    (dict(GOOD, color='blue'), 'color', 'not a cluster template field'),
])
def test_bad_template(bays, docker, docker_cleanup, values, field, words):
    values = dict(values)
    values.setdefault('name', 'bad')
    with pytest.raises(exception.InvalidParameter) as err:
        bays.create_template(**values)
    assert err.value.field == field
    assert field in str(err.value) and words in str(err.value)
    _nothing_left(bays, docker, docker_cleanup)


@pytest.mark.parametrize('kwargs, field', [
    (dict(master_count=2), 'master_count'),
    (dict(master_count=4), 'master_count'),
    (dict(node_count=0), 'node_count'),
    (dict(create_timeout=0), 'create_timeout'),
    (dict(flavor_id='nope'), 'flavor_id'),
])
def test_bad_cluster_creates_nothing(bays, docker, docker_cleanup, kwargs,
                                     field):
    bays.create_template(name='ok', **GOOD)
    with pytest.raises(exception.InvalidParameter) as err:
        bays.create_cluster('bad', 'ok', **kwargs)
    assert err.value.field == field
    _nothing_left(bays, docker, docker_cleanup)


def test_unknown_template_and_image_gone(bays, docker, docker_cleanup):
    with pytest.raises(exception.TemplateNotFound) as err:
        bays.create_cluster('bad', 'no-such-template')
    assert 'no-such-template' in str(err.value)
    # A template whose image disappeared afterwards cannot make a cluster.
    docker.api.tag('dos/busybox:latest', 'dos/bay-node-gone', 'latest')
    bays.create_template(name='ok', coe='swarm-mode',
                         image_id='dos/bay-node-gone:latest')
    docker.api.remove_image('dos/bay-node-gone:latest')
    with pytest.raises(exception.InvalidParameter) as err:
        bays.create_cluster('bad', 'ok')
    assert err.value.field == 'image_id'
    _nothing_left(bays, docker, docker_cleanup)


@pytest.mark.parametrize('coe, needs', [('kubernetes', 'kubeadm'),
                                        ('mesos', 'mesos-master')])
def test_operator_image_absent_is_said_plainly(bays, docker, docker_cleanup,
                                               coe, needs):
    """No Kubernetes/Mesos binaries here: the request says what is missing."""
    from magnum_bay import conf as bay_conf
    group = 'bay_kubernetes' if coe == 'kubernetes' else 'bay_mesos'
    image = getattr(bay_conf.CONF, group).node_image
    if bays.host.image_exists(image):
        pytest.skip('operator image %s is present; this test covers its '
                    'absence' % image)
    with pytest.raises(exception.InvalidParameter) as err:
        bays.create_template(name='op', coe=coe, image_id=image)
    assert err.value.field == 'image_id'
    assert image in str(err.value) and needs in str(err.value)
    _nothing_left(bays, docker, docker_cleanup)


def test_operations_on_a_missing_or_busy_cluster(bays):
    with pytest.raises(exception.BayNotFound):
        bays.resize_cluster('nope', 2)
    with pytest.raises(exception.BayNotFound):
        bays.delete_cluster('nope')
    bays.create_template(name='ok', **GOOD)
    tmpl = bays.get_template('ok')
    row = bays.db.create_cluster(dict(
        name='busy', cluster_template_id=tmpl['uuid'], coe='swarm-mode',
        status='CREATE_IN_PROGRESS'), [])
    with pytest.raises(exception.InvalidState) as err:
        bays.resize_cluster(row['uuid'], 3)
    assert 'CREATE_IN_PROGRESS' in str(err.value)
    with pytest.raises(exception.Conflict):
        bays.delete_template('ok')


@pytest.mark.slow
def test_image_without_dockerd_fails_fast_with_the_reason(bays, docker,
                                                          docker_cleanup):
    """A node image that cannot run dockerd: CREATE_FAILED naming the node
    and what it printed, at once (not at the create timeout); delete then
    removes everything."""
    bays.create_template(name='ok', coe='swarm-mode',
                         image_id='dos/busybox:latest')
    cluster = bays.create_cluster('broken', 'ok', create_timeout=30)
    assert cluster['status'] == 'CREATE_FAILED'
    reason = cluster['status_reason']
    assert 'master-0' in reason or 'worker-0' in reason
    assert 'exit code' in reason and 'dockerd' in reason
    assert bays.get_cluster('broken', refresh=True)['health_status'] in (
        'UNKNOWN', 'UNHEALTHY')
    assert bays.delete_cluster(cluster['uuid']) is None
    _nothing_left(bays, docker, docker_cleanup)


def test_operation_whose_process_died_is_failed_not_hanging(bays):
    """A create left IN_PROGRESS by a process that died says so."""
    import os
    import socket
    import subprocess
    bays.create_template(name='ok', **GOOD)
    tmpl = bays.get_template('ok')
    gone = subprocess.Popen(['true'])
    gone.wait()
    row = bays.db.create_cluster(dict(
        name='orphan', cluster_template_id=tmpl['uuid'], coe='swarm-mode',
        status='CREATE_IN_PROGRESS', status_reason='joining 2 workers',
        driver_state={'operation': {'host': socket.gethostname(),
                                    'pid': gone.pid}}), [])
    mine = bays.db.create_cluster(dict(
        name='mine', cluster_template_id=tmpl['uuid'], coe='swarm-mode',
        status='CREATE_IN_PROGRESS', status_reason='x',
        driver_state={'operation': {'host': socket.gethostname(),
                                    'pid': os.getpid()}}), [])
    got = bays.get_cluster(row['uuid'])
    assert got['status'] == 'CREATE_FAILED'
    assert 'pid %d' % gone.pid in got['status_reason']
    assert 'joining 2 workers' in got['status_reason']
    assert bays.get_cluster(mine['uuid'])['status'] == 'CREATE_IN_PROGRESS'


def test_template_without_image_gets_the_coe_default(bays, docker,
                                                     docker_cleanup):
    from magnum_bay import conf as bay_conf
    tmpl = bays.create_template(name='ok', coe='swarm-mode')
    assert tmpl['image_id'] == bay_conf.CONF.bay_swarm_mode.default_image
    # The Kubernetes default is the operator's image (absent here).
    k8s_image = bay_conf.CONF.bay_kubernetes.node_image
    if not bays.host.image_exists(k8s_image):
        with pytest.raises(exception.InvalidParameter) as err:
            bays.create_template(name='k', coe='kubernetes')
        assert err.value.field == 'image_id'
        assert k8s_image in str(err.value)
    _nothing_left(bays, docker, docker_cleanup)

