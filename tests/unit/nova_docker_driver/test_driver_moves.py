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

"""Cold migration and resize to another host, on two fake engines sharing
one fake Glance: the container's files travel, the source keeps it stopped
until confirm or revert, and every failure leaves nothing behind."""

import io
import json
import os
import shutil
import tarfile

from nova.compute import task_states
from nova import exception as nova_exc
from nova import objects
from nova.virt import fake as fake_virt
import pytest

from nova_docker_driver import driver as docker_driver
from nova_docker_driver import exception
from nova_docker_driver import moves
from tests.unit.nova_docker_driver import conftest as rig

MiB = 1024 * 1024
SOURCE = 'fake-compute'
DEST = 'dest-compute'


def _tar(path, data):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w') as tar:
        info = tarfile.TarInfo(path)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _migration(source=SOURCE, dest=DEST):
    return objects.Migration(source_compute=source, dest_compute=dest,
                             source_node=source, dest_node=dest,
                             migration_type='migration', status='migrating')


@pytest.fixture
def dest(driver, docker_conf, monkeypatch):
    """A second compute host with its own engine, the same Glance."""
    drv = docker_driver.DockerDriver(fake_virt.FakeVirtAPI())
    drv._host = drv._nodename = DEST
    drv.glance = driver.glance
    drv._images._image_api = driver.glance
    drv._moves._image_api = driver.glance
    assert drv.backend is not driver.backend
    yield drv
    drv.cleanup_host(DEST)


@pytest.fixture
def moving(driver, dest, context):
    """An instance running on the source with a file written into its
    container, and the migration record both hosts read."""
    inst = rig.make_instance(context, project_id='tenant-a')
    driver.spawn(context, inst, rig.image_meta(), [], None, {})
    (state,) = driver.backend.containers()
    driver.backend.put_archive(state.id, '/', _tar('data/written',
                                                   b'before the move'))
    migration = _migration()
    for drv in (driver, dest):
        drv._migration = lambda ctx, instance, status: migration
    return inst, state.id, migration


def _move(driver, dest, context, inst, new_memory_mb=512, power_on=True):
    old_flavor = inst.flavor
    new_flavor = rig.make_flavor(memory_mb=new_memory_mb)
    disk_info = driver.migrate_disk_and_power_off(
        context, inst, '127.0.0.1', new_flavor, [])
    # Nova's finish_resize sets the new flavor before finish_migration.
    inst.flavor = new_flavor
    inst.host = DEST
    dest.finish_migration(context, None, inst, disk_info, [],
                          rig.image_meta(), True, {}, power_on=power_on)
    return disk_info, old_flavor


def test_migrate_then_confirm_carries_files_limits_and_leaves_no_trace(
        driver, dest, context, moving):
    inst, source_id, migration = moving
    disk_info, _ = _move(driver, dest, context, inst)

    # The source keeps the container, stopped, until confirm.
    assert driver.backend.inspect(source_id).status == 'exited'
    info = json.loads(disk_info)
    image_id = info['image_id']
    assert info['source_host'] == SOURCE
    # The hidden image was the project's, private, and is gone now.
    (created,) = driver.glance.created
    assert created == image_id
    assert driver.glance.deleted == [image_id]
    assert image_id not in driver.glance.records
    (moved,) = dest.backend.containers()
    assert moved.status == 'running'
    assert moved.labels[docker_driver.LABEL_HOST] == DEST
    assert moved.labels[docker_driver.LABEL_UUID] == inst.uuid
    assert dest.backend.files_of(moved.id)['/data/written'] == \
        b'before the move'
    assert dest.backend.limits_of(moved.id).memory_bytes == 512 * MiB
    # The source kept no copy of the commit.
    assert driver.backend.image_id(moves.engine_ref(inst.uuid)) is None

    migration.status = 'confirming'
    driver.confirm_migration(context, migration, inst, [])
    assert driver.backend.containers() == []
    assert dest.backend.inspect(moved.id).status == 'running'

    inst.task_state = None
    dest.destroy(context, inst, [])
    assert dest.backend.containers() == []
    # destroy removes the image the container was loaded from.
    assert dest.backend.image_id(moves.engine_ref(inst.uuid)) is None


def test_the_move_image_is_hidden_private_and_the_projects(
        driver, dest, context, moving, monkeypatch):
    inst, _, _ = moving
    seen = {}
    real_update = driver.glance.update

    def update(ctx, image_id, metadata, data=None, purge_props=False):
        seen.update(driver.glance.records[image_id])
        return real_update(ctx, image_id, metadata, data, purge_props)
    monkeypatch.setattr(driver.glance, 'update', update)
    driver.migrate_disk_and_power_off(context, inst, '127.0.0.1',
                                      rig.make_flavor(), [])
    assert seen['name'] == 'nova-docker-move-%s' % inst.uuid
    assert seen['visibility'] == 'private'
    assert seen['os_hidden'] is True
    assert seen['owner'] == 'tenant-a'
    assert seen['container_format'] == 'docker'


def test_revert_brings_back_the_same_container_with_its_old_limits(
        driver, dest, context, moving):
    inst, source_id, migration = moving
    before = driver.backend.inspect(source_id)
    _, old_flavor = _move(driver, dest, context, inst)
    (moved,) = dest.backend.containers()

    # Nova: destroy on the destination, then finish_revert on the source.
    migration.status = 'reverting'
    inst.task_state = task_states.RESIZE_REVERTING
    dest.destroy(context, inst, [])
    assert dest.backend.containers() == []
    assert dest.backend.image_id(moves.engine_ref(inst.uuid)) is None

    inst.flavor = old_flavor
    inst.host = SOURCE
    driver.finish_revert_migration(context, inst, [], migration)
    after = driver.backend.inspect(source_id)
    assert after.id == before.id
    assert after.status == 'running'
    assert driver.backend.limits_of(source_id).memory_bytes == 256 * MiB
    assert driver.backend.files_of(source_id)['/data/written'] == \
        b'before the move'


def test_revert_of_an_in_place_resize_keeps_the_container(driver, context,
                                                           moving):
    inst, source_id, _ = moving
    migration = _migration(SOURCE, SOURCE)
    migration.status = 'reverting'
    driver._migration = lambda ctx, instance, status: migration
    inst.task_state = task_states.RESIZE_REVERTING
    driver.destroy(context, inst, [])
    assert driver.backend.inspect(source_id).status == 'running'


def test_resize_on_the_same_host_moves_nothing(driver, context, moving):
    inst, source_id, _ = moving
    migration = _migration(SOURCE, SOURCE)
    driver._migration = lambda ctx, instance, status: migration
    assert driver.migrate_disk_and_power_off(
        context, inst, '127.0.0.1', rig.make_flavor(memory_mb=512), []) == ''
    assert driver.backend.inspect(source_id).status == 'running'
    assert driver.glance.created == []
    inst.flavor = rig.make_flavor(memory_mb=512)
    driver.finish_migration(context, migration, inst, '', [],
                            rig.image_meta(), True, {})
    assert driver.backend.limits_of(source_id).memory_bytes == 512 * MiB


def _assert_rolled_back(driver, inst, source_id):
    state = driver.backend.inspect(source_id)
    assert state.status == 'running'
    assert [c.id for c in driver.backend.containers()] == [source_id]
    assert driver.backend.image_id(moves.engine_ref(inst.uuid)) is None
    # Glance keeps nothing of it.
    assert not [i for i, r in driver.glance.records.items()
                if r.get('name', '').startswith(moves.IMAGE_PREFIX)]
    return state


def test_upload_failure_rolls_back_and_deletes_the_image(driver, dest,
                                                         context, moving,
                                                         monkeypatch):
    inst, source_id, _ = moving

    def broken(*args, **kwargs):
        raise nova_exc.ImageNotAuthorized(image_id='x')
    monkeypatch.setattr(driver.glance, 'update', broken)
    with pytest.raises(nova_exc.InstanceFaultRollback) as err:
        driver.migrate_disk_and_power_off(context, inst, '127.0.0.1',
                                          rig.make_flavor(), [])
    assert isinstance(err.value.inner_exception, nova_exc.ResizeError)
    assert DEST in str(err.value.inner_exception)
    _assert_rolled_back(driver, inst, source_id)
    assert len(driver.glance.created) == 1
    assert driver.glance.deleted == driver.glance.created
    assert dest.backend.containers() == []


def test_commit_failure_rolls_back(driver, context, moving):
    inst, source_id, _ = moving
    driver.backend.fail('commit', driver.backend.refused('disk full'))
    with pytest.raises(nova_exc.InstanceFaultRollback):
        driver.migrate_disk_and_power_off(context, inst, '127.0.0.1',
                                          rig.make_flavor(), [])
    _assert_rolled_back(driver, inst, source_id)
    assert driver.glance.deleted == driver.glance.created


def test_glance_refusing_the_image_leaves_the_container_untouched(
        driver, context, moving):
    inst, source_id, _ = moving
    started = driver.backend.inspect(source_id).started_at
    driver.glance.refuse_create = True
    with pytest.raises(nova_exc.InstanceFaultRollback):
        driver.migrate_disk_and_power_off(context, inst, '127.0.0.1',
                                          rig.make_flavor(), [])
    state = _assert_rolled_back(driver, inst, source_id)
    # Never stopped: the image comes before anything else.
    assert state.started_at == started
    assert not [c for c in driver.backend.calls if c[0] == 'stop']


def test_a_stopped_instance_moves_stopped_and_stays_so_on_failure(
        driver, dest, context, moving):
    inst, source_id, _ = moving
    driver.power_off(inst)
    driver.backend.fail('save_image', driver.backend.refused('broken'))
    with pytest.raises(nova_exc.InstanceFaultRollback):
        driver.migrate_disk_and_power_off(context, inst, '127.0.0.1',
                                          rig.make_flavor(), [])
    assert driver.backend.inspect(source_id).status == 'exited'
    driver.backend.clear_faults()
    _move(driver, dest, context, inst, power_on=False)
    (moved,) = dest.backend.containers()
    assert moved.status == 'created'


def test_load_failure_on_the_destination_leaves_nothing_there(
        driver, dest, context, moving):
    inst, source_id, _ = moving
    disk_info = driver.migrate_disk_and_power_off(
        context, inst, '127.0.0.1', rig.make_flavor(), [])
    dest.backend.fail('load_image', dest.backend.refused('no space left'))
    with pytest.raises(exception.EngineError):
        dest.finish_migration(context, None, inst, disk_info, [],
                              rig.image_meta(), True, {})
    assert dest.backend.containers() == []
    assert dest.backend.image_id(moves.engine_ref(inst.uuid)) is None
    assert json.loads(disk_info)['image_id'] in driver.glance.deleted
    # The source still has the stopped container.
    assert driver.backend.inspect(source_id).status == 'exited'


def test_start_failure_on_the_destination_removes_what_it_made(
        driver, dest, context, moving):
    inst, _, _ = moving
    disk_info = driver.migrate_disk_and_power_off(
        context, inst, '127.0.0.1', rig.make_flavor(), [])
    dest.backend.fail('start', dest.backend.refused('oci runtime error'))
    with pytest.raises(exception.EngineError):
        dest.finish_migration(context, None, inst, disk_info, [],
                              rig.image_meta(), True, {})
    assert dest.backend.containers() == []
    assert dest.backend.image_id(moves.engine_ref(inst.uuid)) is None


def test_config_drive_tree_travels_in_disk_info(driver, dest, context,
                                                 moving):
    inst, _, _ = moving
    driver.backend.local = dest.backend.local = True
    root = driver._instance_dir(inst) + '/config_drive'
    os.makedirs(root + '/openstack/latest', exist_ok=True)
    with open(root + '/openstack/latest/user_data', 'wb') as f:
        f.write(b'#!/bin/sh\necho hi\n')
    disk_info = driver.migrate_disk_and_power_off(
        context, inst, '127.0.0.1', rig.make_flavor(), [])
    info = moves.parse_disk_info(disk_info)
    assert ('openstack/latest/user_data', b'#!/bin/sh\necho hi\n') in [
        (p, d) for p, d, _m in info['config_drive']]
    # The destination writes it under its own instances_dir.
    dest_root = dest._instance_dir(inst) + '/config_drive'
    # One instances_dir here: the source's tree must not be what is read.
    shutil.rmtree(driver._instance_dir(inst))
    dest.finish_migration(context, None, inst, disk_info, [],
                          rig.image_meta(), True, {})
    with open(dest_root + '/openstack/latest/user_data', 'rb') as f:
        assert f.read() == b'#!/bin/sh\necho hi\n'


def test_evacuation_is_supported_and_live_migration_refused(driver, context,
                                                            moving):
    inst, _, _ = moving
    assert driver.capabilities['supports_evacuate'] is True
    with pytest.raises(nova_exc.MigrationPreCheckError) as err:
        driver.check_can_live_migrate_destination(context, inst, {}, {})
    assert 'CRIU' in str(err.value)
    with pytest.raises(nova_exc.MigrationPreCheckError):
        driver.check_can_live_migrate_source(context, inst, {})


def test_disk_info_of_an_in_place_resize_is_not_a_move():
    assert moves.parse_disk_info('') is None
    assert moves.parse_disk_info('not json') is None
    assert moves.parse_disk_info('{"kind": "other"}') is None


def test_chunk_stream_reads_and_iterates_every_byte_once():
    from nova_docker_driver import snapshot
    chunks = [b'a' * 10, b'', b'b' * 5, b'c']
    stream = snapshot.ChunkStream(chunks)
    got = b''
    while True:
        part = stream.read(4)
        if not part:
            break
        assert len(part) <= 4
        got += part
    assert got == b''.join(chunks)
    stream = snapshot.ChunkStream(chunks)
    assert stream.read(3) == b'aaa'
    assert b''.join(stream) == b''.join(chunks)[3:]
    assert snapshot.ChunkStream(chunks).read() == b''.join(chunks)
