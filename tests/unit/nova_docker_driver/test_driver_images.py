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

"""Snapshots and the image cache on the fake engine: what Glance gets, what
the engine keeps, and what a refusal leaves."""

import io
import json
import tarfile

import pytest

from nova.compute import task_states
from nova import exception as nova_exc

from nova_docker_driver.backends import base
from nova_docker_driver.backends import fake
from nova_docker_driver import exception
from tests.unit.nova_docker_driver import conftest as rig

SNAPSHOT = '9a1d7c3e-1111-4b2a-8c3d-5e6f7a8b9c0d'


@pytest.fixture
def booted(driver, context):
    inst = rig.make_instance(context)
    driver.spawn(context, inst, rig.image_meta(), [], None, {})
    driver.glance.add(SNAPSHOT, container_format=None,
                      docker_image=rig.ENGINE_REF)
    return inst


def _task_states():
    seen = []

    def update(task_state, expected_state=None):
        seen.append((task_state, expected_state))
    return seen, update


def test_snapshot_goes_to_glance_and_not_into_the_engine(driver, context,
                                                          booted):
    seen, update = _task_states()
    driver.snapshot(context, booted, SNAPSHOT, update)
    assert seen == [(task_states.IMAGE_PENDING_UPLOAD, None),
                    (task_states.IMAGE_UPLOADING,
                     task_states.IMAGE_PENDING_UPLOAD)]
    record = driver.glance.records[SNAPSHOT]
    assert record['container_format'] == 'docker'
    # It must boot its own content, not the base image's again.
    assert 'docker_image' not in record['properties']
    with tarfile.open(fileobj=io.BytesIO(driver.glance.data[SNAPSHOT])) as t:
        assert json.load(t.extractfile('manifest.json'))[0]['Config']
    assert driver.backend.repository_tags('nova-snapshot') == {}


def test_snapshot_without_container_is_not_running(driver, context):
    with pytest.raises(nova_exc.InstanceNotRunning):
        driver.snapshot(context, rig.make_instance(context), SNAPSHOT,
                        _task_states()[1])


def test_refused_save_leaves_no_snapshot_image(driver, context, booted):
    driver.backend.fail('save_image', driver.backend.refused(
        'no space left on device', 'save image'))
    with pytest.raises(exception.EngineError):
        driver.snapshot(context, booted, SNAPSHOT, _task_states()[1])
    assert SNAPSHOT not in driver.glance.data
    assert driver.backend.repository_tags('nova-snapshot') == {}


def test_cache_sweep_keeps_used_and_wanted_images(driver, context,
                                                  docker_conf):
    backend = driver.backend
    for name in ('used', 'wanted', 'unused'):
        backend.add_image('nova-glance:%s' % name)
    backend.create(base.ContainerSpec(
        name='c', image='nova-glance:used', labels={}, hostname='c',
        limits=base.Limits(memory_bytes=1, cpu_quota_us=1, cpu_period_us=1,
                           cpu_shares=1, pids_limit=1)))
    wanted = rig.make_instance(context, image_id='wanted', sysmeta={})
    docker_conf.set_override('remove_unused_original_minimum_age_seconds',
                             0, group='image_cache')
    try:
        driver.manage_image_cache(context, [wanted])
    finally:
        docker_conf.clear_override(
            'remove_unused_original_minimum_age_seconds', group='image_cache')
    assert sorted(backend.repository_tags('nova-glance')) == ['used',
                                                              'wanted']


def test_cache_sweep_waits_for_the_minimum_age(driver, context):
    driver.backend.add_image('nova-glance:old')
    sweeper = driver._cache_sweeper
    age = rig.CONF.image_cache.remove_unused_original_minimum_age_seconds
    assert sweeper.sweep([], now=1000.0) == []
    assert sweeper.sweep([], now=1000.0 + age - 1) == []
    assert sweeper.sweep([], now=1000.0 + age) == ['old']
    assert driver.backend.image_id('nova-glance:old') is None


def test_cache_image_loads_once(driver, context):
    driver.glance.add(rig.TARBALL_IMAGE, data=fake.save_tarball({}))
    assert driver.cache_image(context, rig.TARBALL_IMAGE) is True
    assert driver.cache_image(context, rig.TARBALL_IMAGE) is False
    assert driver.glance.downloads == [rig.TARBALL_IMAGE]
