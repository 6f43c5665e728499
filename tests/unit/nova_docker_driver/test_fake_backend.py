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

"""The fake engine backend keeps the interface's promises and the engine's
rules the driver relies on, and its faults behave as documented."""

import io
import threading

import pytest

from nova_docker_driver import backends
from nova_docker_driver.backends import base
from nova_docker_driver.backends import fake
from nova_docker_driver import exception
from nova_docker_driver import inject
from tests.unit.nova_docker_driver import conftest as rig

LABELS = {'org.openstack.nova.host': 'h1',
          'org.openstack.nova.instance_uuid': 'u1'}


def _limits(memory_mb=64):
    return base.Limits(memory_bytes=memory_mb << 20, cpu_quota_us=100000,
                       cpu_period_us=100000, cpu_shares=1024,
                       pids_limit=100)


@pytest.fixture
def engine():
    backend = fake.FakeBackend()
    backend.add_image('dos/idle:latest', config={'User': 'app'})
    return backend


def _create(engine, name='c1', labels=None, image='dos/idle'):
    return engine.create(base.ContainerSpec(
        name=name, image=image, labels=dict(labels or LABELS),
        limits=_limits(), hostname=name))


def test_loaded_by_name_from_the_backends_namespace(docker_conf):
    backend = backends.load('fake', docker_conf)
    assert isinstance(backend, fake.FakeBackend)
    assert isinstance(backend, base.EngineBackend)


def test_every_interface_method_is_implemented():
    missing = [name for name in base.EngineBackend.__abstractmethods__
               if getattr(fake.FakeBackend, name) is
               getattr(base.EngineBackend, name)]
    assert missing == []


def test_container_states_follow_the_engine(engine):
    cid = _create(engine)
    assert engine.inspect(cid).status == 'created'
    engine.start(cid)
    running = engine.inspect(cid)
    assert running.status == 'running' and running.pid > 0
    engine.pause(cid)
    # A frozen container neither stops nor starts until it is thawed.
    for call in (lambda: engine.stop(cid, 1), lambda: engine.start(cid),
                 lambda: engine.kill(cid), lambda: engine.pause(cid)):
        with pytest.raises(exception.EngineError):
            call()
    engine.unpause(cid)
    engine.kill(cid)
    dead = engine.inspect(cid)
    assert (dead.status, dead.exit_code, dead.pid) == ('exited', 137, 0)
    with pytest.raises(exception.EngineError) as err:
        engine.unpause(cid)
    assert 'is exited' in str(err.value)
    engine.remove(cid)
    engine.remove(cid)
    assert engine.inspect(cid) is None and engine.inspect_raw(cid) is None


def test_list_by_labels(engine):
    a = _create(engine, 'a')
    _create(engine, 'b', {'org.openstack.nova.host': 'h2'})
    found = engine.list_containers({'org.openstack.nova.host': 'h1'})
    assert [c.id for c in found] == [a]
    assert engine.list_containers({}) == engine.containers()


def test_create_refuses_a_missing_image_and_a_taken_name(engine):
    with pytest.raises(exception.EngineError) as err:
        _create(engine, image='dos/nothing')
    assert 'no such image: dos/nothing' in str(err.value)
    _create(engine, 'c1')
    with pytest.raises(exception.EngineError):
        _create(engine, 'c1')
    assert len(engine.containers()) == 1


def test_limits_update_and_raw_inspect(engine):
    cid = _create(engine)
    engine.update_limits(cid, _limits(128))
    raw = engine.inspect_raw(cid)
    assert raw['HostConfig']['Memory'] == 128 << 20
    assert raw['HostConfig']['PidsLimit'] == 100
    assert raw['Config']['Labels'] == LABELS
    assert engine.limits_of(cid) == _limits(128)


def test_files_logs_and_stats(engine):
    cid = _create(engine)
    tar = inject.TarBuilder()
    tar.add_file('/etc/passwd', 'root:x:0:0::/root:/bin/sh\n')
    engine.put_archive(cid, '/', tar.getvalue())
    assert engine.get_file(cid, '/etc/passwd').startswith(b'root:')
    assert engine.get_file(cid, '/etc/shadow') is None
    with pytest.raises(exception.EngineError):
        engine.put_archive(cid, '/', b'not a tar')
    engine.write_log(cid, b'0123456789')
    assert engine.logs(cid, 4) == b'6789'
    engine.start(cid)
    stats = engine.stats(cid)
    assert stats['memory_stats']['limit'] == 64 << 20


def test_images_load_tag_commit_save_and_remove(engine):
    loaded = engine.load_image(io.BytesIO(fake.save_tarball(
        {'Cmd': ['sh']}, repo_tags=['x/y:1'])))
    assert engine.image_id('x/y:1') == loaded
    assert engine.image_config(loaded) == {'Cmd': ['sh']}
    engine.tag_image(loaded, 'nova-glance', 'abc')
    assert engine.repository_tags('nova-glance') == {'abc': loaded}
    with pytest.raises(exception.EngineError):
        engine.load_image(io.BytesIO(b'garbage'))
    cid = _create(engine, image='nova-glance:abc')
    assert engine.image_ids_in_use() == {loaded}
    snap = engine.commit(cid, 'snap', 'one')
    assert engine.image_id('snap:one') == snap != loaded
    saved = b''.join(engine.save_image('snap:one'))
    assert engine.load_image(io.BytesIO(saved)).startswith('sha256:')
    # A tag goes; the image stays while a container uses it.
    engine.remove_image('nova-glance:abc')
    engine.remove_image('x/y:1')
    assert engine.image_id('nova-glance:abc') is None
    assert engine.inspect(cid).image == loaded
    with pytest.raises(exception.EngineError):
        engine.remove_image(loaded)
    engine.remove(cid)
    engine.remove_image(loaded)
    assert engine.image_id(loaded) is None
    engine.remove_image('never:there')


def test_faults_once_or_always(engine):
    engine.fail('start', engine.refused('busy'), times=1)
    cid = _create(engine)
    with pytest.raises(exception.EngineError):
        engine.start(cid)
    engine.start(cid)
    engine.fail('stop', engine.unavailable('socket closed'))
    for _ in range(2):
        with pytest.raises(exception.EngineUnavailable) as err:
            engine.stop(cid, 1)
    assert fake.ENDPOINT in str(err.value)
    engine.clear_faults()
    engine.stop(cid, 1)
    with pytest.raises(ValueError):
        engine.fail('no_such_call', engine.refused('x'))


def test_engine_away_fails_every_call_and_ends_event_streams(engine):
    stream = engine.container_events(LABELS, ['start'])
    seen = []
    reader = threading.Thread(target=lambda: seen.extend(stream))
    reader.start()
    cid = _create(engine)
    engine.start(cid)
    engine.set_available(False)
    reader.join(10)
    assert not reader.is_alive()
    assert [(e['id'], e['action']) for e in seen] == [(cid, 'start')]
    for call in (engine.version, engine.info, lambda: engine.inspect(cid),
                 lambda: engine.container_events({}, ['die'])):
        with pytest.raises(exception.EngineUnavailable):
            call()
    engine.set_available(True)
    assert engine.inspect(cid).status == 'running'


def test_closed_stream_ends_and_filters_apply(engine):
    other = dict(LABELS, **{'org.openstack.nova.host': 'h2'})
    stream = engine.container_events(LABELS, ['die'], since=0)
    mine, theirs = _create(engine, 'a'), _create(engine, 'b', other)
    for cid in (mine, theirs):
        engine.start(cid)
        engine.exit(cid, 3)
    got = []
    for event in stream:
        got.append((event['id'], event['action']))
        stream.close()
    assert got == [(mine, 'die')]


def test_driver_rig_images(driver):
    # The rig's seeded image is what the driver's tests boot.
    assert driver.backend.image_id(rig.ENGINE_REF)
    assert driver.backend.image_config(rig.ENGINE_REF) == {'User': 'root'}


def test_fault_after_some_calls_went_through(engine):
    engine.fail('create', engine.refused('full'), times=1, after=2)
    _create(engine, 'a')
    _create(engine, 'b')
    with pytest.raises(exception.EngineError):
        _create(engine, 'c')
    _create(engine, 'd')
    assert len(engine.containers()) == 3


def test_containers_start_with_their_images_files(engine):
    engine.add_image('dos/etc:1', files={'/etc/hostname': b'img\n'})
    cid = _create(engine, image='dos/etc:1')
    assert engine.get_file(cid, '/etc/hostname') == b'img\n'
    snap = engine.commit(cid, 'snap', 'x')
    other = _create(engine, 'other', image=snap)
    assert engine.get_file(other, '/etc/hostname') == b'img\n'
