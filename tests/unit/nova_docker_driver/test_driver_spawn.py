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

"""Spawn on the fake engine: image errors, an engine that is away or says
no, and flavors turned into engine limits. Every failure leaves nothing
behind: no container, no instance directory, no staged tarball."""

import os

import pytest

from nova import exception as nova_exc
from nova import objects

from nova_docker_driver.backends import base
from nova_docker_driver.backends import fake
from nova_docker_driver import exception
from nova_docker_driver import inject
from tests.unit.nova_docker_driver import conftest as rig

MiB = 1024 * 1024
GiB = 1024 * MiB


def _spawn(driver, context, instance, meta=None, network_info=None,
           injected_files=None):
    driver.spawn(context, instance, meta or rig.image_meta(instance.image_ref),
                 injected_files or [], None, {}, network_info=network_info)


def _assert_nothing_left(driver, instance, conf):
    assert driver.backend.containers() == []
    assert not os.path.lexists(os.path.join(conf.docker.instances_dir,
                                            instance.uuid))
    staging = conf.docker.image_cache_dir
    assert not os.path.isdir(staging) or os.listdir(staging) == []


def _only_container(driver):
    found = driver.backend.containers()
    assert len(found) == 1, found
    return found[0]


# -- the happy path, as the failures below are measured against it --------

def test_spawn_creates_and_starts_a_labelled_container(driver, context):
    inst = rig.make_instance(context)
    _spawn(driver, context, inst)
    state = _only_container(driver)
    assert state.status == 'running' and state.pid
    assert state.name == 'nova-%s' % inst.uuid
    assert state.labels['org.openstack.nova.instance_uuid'] == inst.uuid
    assert state.labels['org.openstack.nova.host'] == 'fake-compute'
    assert state.image == driver.backend.image_id(rig.ENGINE_REF)
    assert driver.instance_exists(inst)
    assert driver.list_instance_uuids() == [inst.uuid]


def test_remote_engine_gets_the_config_drive_through_the_api(driver,
                                                             context):
    inst = rig.make_instance(context)
    _spawn(driver, context, inst)
    cid = _only_container(driver).id
    path, data, _mode = rig.DRIVE_FILES[0]
    files = driver.backend.files_of(cid)
    assert files[os.path.join(inject.CONFIG_DRIVE_DIR, path)] == data
    assert driver.backend.spec_of(cid).readonly_binds is None


def test_local_engine_gets_the_config_drive_bind_mounted(driver, context,
                                                         docker_conf):
    driver.backend.local = True
    inst = rig.make_instance(context)
    _spawn(driver, context, inst)
    root = os.path.join(docker_conf.docker.instances_dir, inst.uuid,
                        'config_drive')
    spec = driver.backend.spec_of(_only_container(driver).id)
    assert spec.readonly_binds == {root: inject.CONFIG_DRIVE_DIR}
    path, data, _mode = rig.DRIVE_FILES[0]
    with open(os.path.join(root, path), 'rb') as f:
        assert f.read() == data


# -- image errors -----------------------------------------------------------

def test_wrong_container_format_is_unacceptable(driver, context,
                                                docker_conf):
    inst = rig.make_instance(context)
    with pytest.raises(nova_exc.ImageUnacceptable) as err:
        _spawn(driver, context, inst,
               rig.image_meta(container_format='bare'))
    assert isinstance(err.value, exception.WrongContainerFormat)
    assert "container_format is 'bare'" in str(err.value)
    _assert_nothing_left(driver, inst, docker_conf)


def test_engine_image_missing_is_unacceptable(driver, context, docker_conf):
    inst = rig.make_instance(
        context, sysmeta={'image_docker_image': 'dos/gone:1'})
    with pytest.raises(exception.EngineImageMissing) as err:
        _spawn(driver, context, inst)
    assert isinstance(err.value, nova_exc.ImageUnacceptable)
    assert "'dos/gone:1' is not in the Docker engine" in str(err.value)
    _assert_nothing_left(driver, inst, docker_conf)


def test_docker_image_may_not_name_cached_glance_images(driver, context,
                                                        docker_conf):
    driver.backend.add_image('nova-glance:someone-elses')
    inst = rig.make_instance(
        context, sysmeta={'image_docker_image': 'nova-glance:someone-elses'})
    with pytest.raises(exception.DockerImageError) as err:
        _spawn(driver, context, inst)
    assert 'may not name nova-glance images' in str(err.value)
    _assert_nothing_left(driver, inst, docker_conf)


def test_tarball_is_loaded_once_without_its_repository_tags(driver,
                                                            context):
    idle_id = driver.backend.image_id(rig.ENGINE_REF)
    # A tenant's tarball that claims the operator's tag.
    driver.glance.add(rig.TARBALL_IMAGE, data=fake.save_tarball(
        {'User': 'app'}, repo_tags=[rig.ENGINE_REF]))
    first = rig.make_instance(context, image_id=rig.TARBALL_IMAGE)
    _spawn(driver, context, first)
    second = rig.make_instance(context, image_id=rig.TARBALL_IMAGE)
    _spawn(driver, context, second)
    assert driver.glance.downloads == [rig.TARBALL_IMAGE]
    cached = driver.backend.image_id('nova-glance:%s' % rig.TARBALL_IMAGE)
    assert cached and cached != idle_id
    assert {c.image for c in driver.backend.containers()} == {cached}
    # The operator's tag still names the operator's image.
    assert driver.backend.image_id(rig.ENGINE_REF) == idle_id


@pytest.mark.parametrize('data, error, words', [
    (b'garbage' * 50, exception.CorruptImageTarball,
     'not a `docker save` tarball'),
    (b'', exception.ImageDataMissing, 'it has no data'),
])
def test_bad_tarball_is_unacceptable(driver, context, docker_conf, data,
                                     error, words):
    driver.glance.add(rig.TARBALL_IMAGE, data=data)
    inst = rig.make_instance(context, image_id=rig.TARBALL_IMAGE)
    with pytest.raises(error) as err:
        _spawn(driver, context, inst)
    assert isinstance(err.value, nova_exc.ImageUnacceptable)
    assert rig.TARBALL_IMAGE in str(err.value) and words in str(err.value)
    assert driver.backend.repository_tags('nova-glance') == {}
    _assert_nothing_left(driver, inst, docker_conf)


def test_tarball_the_engine_refuses_is_unacceptable(driver, context,
                                                    docker_conf):
    driver.glance.add(rig.TARBALL_IMAGE, data=fake.save_tarball({}))
    driver.backend.fail('load_image', driver.backend.refused(
        'invalid diffID for layer 0', 'load image'))
    inst = rig.make_instance(context, image_id=rig.TARBALL_IMAGE)
    with pytest.raises(exception.CorruptImageTarball) as err:
        _spawn(driver, context, inst)
    assert 'invalid diffID' in str(err.value)
    _assert_nothing_left(driver, inst, docker_conf)


# -- the engine away or refusing ------------------------------------------------

def test_engine_down_aborts_the_build(driver, context, docker_conf):
    driver.backend.set_available(False)
    inst = rig.make_instance(context)
    with pytest.raises(exception.SpawnAborted) as err:
        _spawn(driver, context, inst)
    # No reschedule to another host for a build this host cannot do now.
    assert isinstance(err.value, nova_exc.BuildAbortException)
    assert fake.ENDPOINT in str(err.value)
    assert 'is unavailable' in str(err.value)
    driver.backend.set_available(True)
    _assert_nothing_left(driver, inst, docker_conf)


@pytest.mark.parametrize('operation', ['image_id', 'info', 'create',
                                       'put_archive', 'start'])
def test_engine_lost_at_any_step_aborts_and_cleans_up(driver, context,
                                                      docker_conf,
                                                      operation):
    driver.backend.fail(operation, driver.backend.unavailable('reset'),
                        times=1)
    inst = rig.make_instance(context)
    with pytest.raises(exception.SpawnAborted) as err:
        _spawn(driver, context, inst)
    assert 'reset' in str(err.value)
    _assert_nothing_left(driver, inst, docker_conf)


def test_container_left_by_a_failed_cleanup_goes_with_destroy(
        driver, context, docker_conf):
    backend = driver.backend
    backend.fail('start', backend.unavailable('gone'))
    backend.fail('remove', backend.unavailable('gone'))
    inst = rig.make_instance(context)
    with pytest.raises(exception.SpawnAborted) as err:
        _spawn(driver, context, inst)
    # The start's error is the one reported, not the cleanup's.
    assert 'gone' in str(err.value)
    assert len(backend.containers()) == 1
    backend.clear_faults()
    driver.destroy(context, inst, None)
    _assert_nothing_left(driver, inst, docker_conf)


def test_create_refused_is_an_engine_error_and_leaves_nothing(
        driver, context, docker_conf):
    driver.backend.fail('create', driver.backend.refused(
        'Conflict: the name is in use', 'create container'))
    inst = rig.make_instance(context)
    with pytest.raises(exception.EngineError) as err:
        _spawn(driver, context, inst)
    # A refusal may be this host's alone: Nova may reschedule it.
    assert not isinstance(err.value, nova_exc.BuildAbortException)
    assert 'Docker engine refused create container' in str(err.value)
    _assert_nothing_left(driver, inst, docker_conf)


def test_start_refused_removes_the_container(driver, context, docker_conf):
    driver.backend.fail('start', driver.backend.refused(
        'OCI runtime create failed', 'start container'))
    inst = rig.make_instance(context)
    with pytest.raises(exception.EngineError) as err:
        _spawn(driver, context, inst)
    assert 'OCI runtime create failed' in str(err.value)
    _assert_nothing_left(driver, inst, docker_conf)


def test_spawn_without_power_on_leaves_the_container_created(driver,
                                                             context):
    inst = rig.make_instance(context)
    driver.spawn(context, inst, rig.image_meta(), [], None, {},
                 power_on=False)
    assert _only_container(driver).status == 'created'


# -- flavor -> engine limits ---------------------------------------------------

def test_flavor_becomes_the_container_limits(driver, context):
    flavor = rig.make_flavor(memory_mb=512, vcpus=2, root_gb=3, **{
        'docker:pids_limit': '50', 'docker:cpuset': '3,1'})
    inst = rig.make_instance(context, flavor=flavor)
    _spawn(driver, context, inst)
    limits = driver.backend.limits_of(_only_container(driver).id)
    # extfs below overlay2: no root disk quota in 'auto'.
    assert limits == base.Limits(
        memory_bytes=512 * MiB, cpu_quota_us=200000, cpu_period_us=100000,
        cpu_shares=2048, pids_limit=50, cpuset_cpus='1,3', disk_bytes=0)


def test_defaults_come_from_the_docker_options(driver, context,
                                               docker_conf):
    docker_conf.set_override('pids_limit', 77, group='docker')
    docker_conf.set_override('cpu_period_us', 50000, group='docker')
    try:
        inst = rig.make_instance(context, flavor=rig.make_flavor(vcpus=3))
        _spawn(driver, context, inst)
    finally:
        docker_conf.clear_override('pids_limit', group='docker')
        docker_conf.clear_override('cpu_period_us', group='docker')
    limits = driver.backend.limits_of(_only_container(driver).id)
    assert (limits.cpu_quota_us, limits.cpu_period_us) == (150000, 50000)
    assert limits.pids_limit == 77 and limits.cpuset_cpus == ''


def test_root_disk_quota_where_the_storage_driver_has_one(driver, context):
    driver.backend.info_data['DriverStatus'] = [['Backing Filesystem',
                                                 'xfs']]
    inst = rig.make_instance(context, flavor=rig.make_flavor(root_gb=2))
    _spawn(driver, context, inst)
    limits = driver.backend.limits_of(_only_container(driver).id)
    assert limits.disk_bytes == 2 * GiB


def test_refused_disk_quota_in_auto_mode_is_dropped_for_good(driver,
                                                             context):
    backend = driver.backend
    backend.info_data['DriverStatus'] = [['Backing Filesystem', 'xfs']]
    backend.fail('create', exception.DiskQuotaRefused(
        action='create container', reason='--storage-opt needs pquota'),
        times=1)
    first = rig.make_instance(context)
    _spawn(driver, context, first)
    second = rig.make_instance(context)
    _spawn(driver, context, second)
    creates = [args[0] for name, args in backend.calls if name == 'create']
    assert [spec.limits.disk_bytes for spec in creates] == [GiB, 0, 0]
    assert {backend.limits_of(c.id).disk_bytes
            for c in backend.containers()} == {0}


def test_refused_disk_quota_when_required_aborts(driver, context,
                                                 docker_conf):
    docker_conf.set_override('disk_quota', 'on', group='docker')
    backend = driver.backend
    backend.info_data['DriverStatus'] = [['Backing Filesystem', 'xfs']]
    backend.fail('create', exception.DiskQuotaRefused(
        action='create container', reason='--storage-opt needs pquota'))
    inst = rig.make_instance(context)
    try:
        with pytest.raises(exception.SpawnAborted) as err:
            _spawn(driver, context, inst)
    finally:
        docker_conf.clear_override('disk_quota', group='docker')
    assert 'disk_quota=on' in str(err.value)
    _assert_nothing_left(driver, inst, docker_conf)


@pytest.mark.parametrize('specs, key, words', [
    ({'docker:cpuset': '4'}, 'docker:cpuset', 'the host has 4'),
    ({'docker:cpuset': 'all'}, 'docker:cpuset', 'expected cpu ids'),
    ({'docker:pids_limit': '0'}, 'docker:pids_limit', 'positive integer'),
])
def test_bad_extra_spec_names_the_key_and_leaves_nothing(
        driver, context, docker_conf, specs, key, words):
    inst = rig.make_instance(context, flavor=rig.make_flavor(**specs))
    with pytest.raises(exception.InvalidExtraSpec) as err:
        _spawn(driver, context, inst)
    assert key in str(err.value) and words in str(err.value)
    assert not any(name == 'create' for name, _ in driver.backend.calls)
    _assert_nothing_left(driver, inst, docker_conf)


def test_nova_pinning_becomes_the_cpuset(driver, context):
    inst = rig.make_instance(context, flavor=rig.make_flavor(vcpus=2))
    inst.numa_topology = objects.InstanceNUMATopology(cells=[
        objects.InstanceNUMACell(id=0, cpuset=set(), pcpuset={0, 1},
                                 memory=256, cpu_pinning_raw={'0': 3,
                                                              '1': 2})])
    _spawn(driver, context, inst)
    limits = driver.backend.limits_of(_only_container(driver).id)
    assert limits.cpuset_cpus == '2,3'


# -- files and the key pair --------------------------------------------------

def test_injected_files_and_key_pair_reach_the_image_user(driver, context):
    driver.backend.add_image('dos/app:1', config={'User': 'app'}, files={
        '/etc/passwd': b'root:x:0:0::/root:/bin/sh\n'
                       b'app:x:1000:1000::/home/app:/bin/sh\n'})
    inst = rig.make_instance(context, sysmeta={
        'image_docker_image': 'dos/app:1'}, key_data='ssh-ed25519 AAAA k')
    _spawn(driver, context, inst, injected_files=[('/etc/motd', b'hi')])
    files = driver.backend.files_of(_only_container(driver).id)
    assert files['/etc/motd'] == b'hi'
    assert files['/home/app/.ssh/authorized_keys'] == b'ssh-ed25519 AAAA k\n'
    assert '/root/.ssh/authorized_keys' not in files


def test_failed_injection_leaves_nothing(driver, context, docker_conf):
    backend = driver.backend
    inst = rig.make_instance(context)
    # The config drive goes in; the personal files do not.
    backend.fail('put_archive', backend.refused('no space left on device',
                                                'copy files'), after=1)
    with pytest.raises(exception.EngineError) as err:
        _spawn(driver, context, inst, injected_files=[('/etc/motd', b'hi')])
    assert 'no space left' in str(err.value)
    assert [n for n, _ in backend.calls].count('put_archive') == 2
    _assert_nothing_left(driver, inst, docker_conf)
