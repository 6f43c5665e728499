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

"""Engine status to Nova power state, the power operations, destroy's
idempotence and lifecycle events, on the fake engine."""

import queue
import time

import pytest

from nova.compute import power_state
from nova.compute import task_states
from nova.compute import vm_states
from nova import exception as nova_exc
from nova.virt import event as virtevent

from nova_docker_driver import events
from nova_docker_driver import exception
from tests.unit.nova_docker_driver import conftest as rig


@pytest.fixture
def booted(driver, context):
    """A spawned instance and its container id."""
    inst = rig.make_instance(context)
    driver.spawn(context, inst, rig.image_meta(), [], None, {})
    (state,) = driver.backend.containers()
    return inst, state.id


def _status(driver, cid):
    return driver.backend.inspect(cid).status


@pytest.mark.parametrize('status, expected', [
    ('created', power_state.SHUTDOWN),
    ('running', power_state.RUNNING),
    ('restarting', power_state.RUNNING),
    ('paused', power_state.PAUSED),
    ('exited', power_state.SHUTDOWN),
    ('dead', power_state.CRASHED),
    ('removing', power_state.NOSTATE),
    ('something-new', power_state.NOSTATE),
])
def test_engine_status_maps_to_power_state(driver, booted, status,
                                           expected):
    inst, cid = booted
    driver.backend.set_status(cid, status)
    info = driver.get_info(inst)
    assert info.state == expected
    assert info.internal_id == cid


@pytest.mark.parametrize('vm_state, task_state, expected', [
    (vm_states.SUSPENDED, None, power_state.SUSPENDED),
    (vm_states.ACTIVE, task_states.SUSPENDING, power_state.SUSPENDED),
    (vm_states.ACTIVE, None, power_state.PAUSED),
    (vm_states.PAUSED, None, power_state.PAUSED),
])
def test_frozen_container_is_paused_or_suspended_by_nova_state(
        driver, booted, vm_state, task_state, expected):
    inst, cid = booted
    driver.backend.set_status(cid, 'paused')
    inst.vm_state, inst.task_state = vm_state, task_state
    assert driver.get_info(inst).state == expected


def test_info_of_an_instance_without_container_is_not_found(driver,
                                                            context):
    with pytest.raises(nova_exc.InstanceNotFound):
        driver.get_info(rig.make_instance(context))


def test_power_cycle(driver, context, booted):
    inst, cid = booted
    driver.power_off(inst)
    assert _status(driver, cid) == 'exited'
    assert driver.get_info(inst).state == power_state.SHUTDOWN
    driver.power_on(context, inst, [])
    assert _status(driver, cid) == 'running'
    assert driver.get_info(inst).state == power_state.RUNNING


def test_power_off_of_a_paused_container_thaws_it_first(driver, booted):
    inst, cid = booted
    driver.pause(inst)
    driver.power_off(inst)
    assert _status(driver, cid) == 'exited'
    calls = [name for name, _ in driver.backend.calls]
    assert calls.index('unpause') < calls.index('stop')


def test_pause_unpause_suspend_resume(driver, context, booted):
    inst, cid = booted
    driver.pause(inst)
    assert _status(driver, cid) == 'paused'
    driver.unpause(inst)
    assert _status(driver, cid) == 'running'
    driver.suspend(context, inst)
    assert _status(driver, cid) == 'paused'
    driver.resume(context, inst, [])
    assert _status(driver, cid) == 'running'
    # Resuming a container that stopped meanwhile starts it.
    driver.backend.exit(cid, 1)
    driver.resume(context, inst, [])
    assert _status(driver, cid) == 'running'


@pytest.mark.parametrize('reboot_type, stop_call', [('HARD', 'kill'),
                                                    ('SOFT', 'stop')])
def test_reboot_gives_a_new_process(driver, context, booted, reboot_type,
                                    stop_call):
    inst, cid = booted
    before = driver.backend.inspect(cid).pid
    driver.reboot(context, inst, [], reboot_type)
    after = driver.backend.inspect(cid)
    assert after.status == 'running' and after.pid != before
    calls = [name for name, _ in driver.backend.calls]
    assert stop_call in calls


def test_hard_reboot_of_a_paused_container(driver, context, booted):
    inst, cid = booted
    driver.pause(inst)
    driver.reboot(context, inst, [], 'HARD')
    assert _status(driver, cid) == 'running'


def test_crashed_container_starts_again_at_host_boot(driver, context,
                                                     booted):
    inst, cid = booted
    driver.backend.exit(cid, 139)
    driver.resume_state_on_host_boot(context, inst, [], None)
    assert _status(driver, cid) == 'running'


def test_console_output_is_the_tail_of_the_logs(driver, context, booted,
                                                docker_conf):
    inst, cid = booted
    driver.backend.write_log(cid, b'x' * 5000 + b'\nlast line\n')
    docker_conf.set_override('console_log_bytes', 1024, group='docker')
    try:
        out = driver.get_console_output(context, inst)
    finally:
        docker_conf.clear_override('console_log_bytes', group='docker')
    assert len(out) == 1024 and out.endswith('last line\n')


def test_console_output_ends_with_the_exit_code_once_ended(driver, context,
                                                          booted):
    inst, cid = booted
    driver.backend.write_log(cid, b'working\nfailed')
    assert driver.get_console_output(context, inst) == 'working\nfailed'
    driver.backend.exit(cid, exit_code=5)
    out = driver.get_console_output(context, inst).split('\n')
    assert out[:2] == ['working', 'failed']
    assert out[2].startswith('[docker-on-openstack] the container process '
                             'exited with code 5 at 20')
    assert len(out) == 3


def test_diagnostics_come_from_the_stats(driver, booted):
    inst, cid = booted
    diags = driver.get_diagnostics(inst)
    assert diags['status'] == 'running'
    assert diags['memory-limit'] == inst.flavor.memory_mb * 1024 * 1024
    driver.power_off(inst)
    assert driver.get_diagnostics(inst)['memory-actual'] == 0


# -- destroy -------------------------------------------------------------------

def test_destroy_twice(driver, context, booted):
    inst, _cid = booted
    driver.destroy(context, inst, [])
    assert driver.backend.containers() == []
    assert not driver.instance_exists(inst)
    driver.destroy(context, inst, [])
    driver.destroy(context, inst, None)


def test_destroy_of_an_instance_that_never_got_a_container(driver,
                                                           context):
    driver.destroy(context, rig.make_instance(context), None)
    assert not any(name == 'remove' for name, _ in driver.backend.calls)


def test_destroy_after_the_container_went_behind_novas_back(driver,
                                                           context, booted):
    inst, cid = booted
    driver.backend.remove(cid)
    driver.destroy(context, inst, [])
    assert driver.backend.containers() == []


@pytest.mark.parametrize('status', ['paused', 'exited', 'dead', 'created'])
def test_destroy_in_any_state(driver, context, booted, status):
    inst, cid = booted
    driver.backend.set_status(cid, status)
    driver.destroy(context, inst, [])
    assert driver.backend.containers() == []


def test_destroy_while_the_engine_is_down_fails_and_retries_clean(
        driver, context, booted):
    inst, cid = booted
    driver.backend.set_available(False)
    with pytest.raises(exception.EngineUnavailable):
        driver.destroy(context, inst, [])
    driver.backend.set_available(True)
    assert driver.backend.inspect(cid) is not None
    driver.destroy(context, inst, [])
    assert driver.backend.containers() == []


def test_destroy_leaves_other_instances_alone(driver, context, booted):
    inst, _cid = booted
    other = rig.make_instance(context)
    driver.spawn(context, other, rig.image_meta(), [], None, {})
    driver.destroy(context, inst, [])
    assert driver.list_instance_uuids() == [other.uuid]


def test_containers_of_other_hosts_are_not_this_hosts(driver, context,
                                                      booted, docker_conf):
    inst, _cid = booted
    docker_conf.set_override('host', 'other-compute')
    try:
        from nova_docker_driver import driver as docker_driver
        other = docker_driver.DockerDriver(driver.virtapi)
    finally:
        docker_conf.set_override('host', 'fake-compute')
    # A second host on the same engine: stevedore gave it a fake engine
    # of its own, so hand it this one.
    other._backend = driver.backend
    assert other.list_instance_uuids() == []
    assert not other.instance_exists(inst)
    other.destroy(context, inst, [])
    assert driver.instance_exists(inst)


# -- lifecycle events ----------------------------------------------------------

def test_outside_events_reach_nova_and_the_drivers_own_start_does_not(
        driver, context, docker_conf):
    docker_conf.set_override('lifecycle_events', True, group='docker')
    got = queue.Queue()
    driver.emit_event = got.put
    try:
        driver.init_host('fake-compute')
        inst = rig.make_instance(context)
        driver.spawn(context, inst, rig.image_meta(), [], None, {})
        (state,) = driver.backend.containers()
        driver.backend.exit(state.id, 137)
        event = got.get(timeout=10)
    finally:
        driver.cleanup_host('fake-compute')
        docker_conf.clear_override('lifecycle_events', group='docker')
    assert event.get_instance_uuid() == inst.uuid
    assert event.get_transition() == virtevent.EVENT_LIFECYCLE_STOPPED
    # The spawn's own start was not handed on.
    assert got.empty()


def _event_streams(backend):
    return sum(1 for op, _args in list(backend.calls)
               if op == 'container_events')


def test_after_an_engine_restart_nova_hears_each_containers_state(
        driver, context, docker_conf, monkeypatch):
    # The engine's shut-down stops the container while the engine goes
    # away (Nova cannot check that 'die', and drops it) and the restarted
    # engine has forgotten it: the watcher tells Nova the state itself.
    monkeypatch.setattr(events, 'RECONNECT_DELAY', 0.1)
    docker_conf.set_override('lifecycle_events', True, group='docker')
    got = queue.Queue()
    driver.emit_event = got.put
    try:
        driver.init_host('fake-compute')
        stopped, running = rig.make_instance(context), rig.make_instance(
            context)
        for inst in (stopped, running):
            driver.spawn(context, inst, rig.image_meta(), [], None, {})
        asked = _event_streams(driver.backend)
        driver.backend.set_available(False)
        # The watcher saw its stream end and asks again, in vain.
        deadline = time.monotonic() + 10
        while _event_streams(driver.backend) == asked:
            assert time.monotonic() < deadline, 'the stream never ended'
            time.sleep(0.05)
        driver.backend.restart()
        # One comes back by itself (a restart policy of an operator's).
        (back,) = [c for c in driver.backend.containers()
                   if running.uuid in c.name]
        driver.backend.set_status(back.id, 'running')
        driver.backend.set_available(True)
        seen = {}
        while len(seen) < 2:
            event = got.get(timeout=10)
            seen[event.get_instance_uuid()] = event.get_transition()
    finally:
        driver.cleanup_host('fake-compute')
        docker_conf.clear_override('lifecycle_events', group='docker')
    assert seen == {stopped.uuid: virtevent.EVENT_LIFECYCLE_STOPPED,
                    running.uuid: virtevent.EVENT_LIFECYCLE_STARTED}


def test_init_host_with_the_engine_down_does_not_stop_nova_compute(
        driver):
    driver.backend.set_available(False)
    driver.init_host('fake-compute')
    driver.backend.set_available(True)


def test_resources_while_the_engine_is_down(driver):
    driver.backend.set_available(False)
    with pytest.raises(exception.EngineUnavailable):
        driver.get_available_resource('fake-compute')
    driver.backend.set_available(True)
    seen = driver.get_available_resource('fake-compute')
    assert seen['vcpus'] == 4 and seen['hypervisor_type'] == 'docker'
    assert seen['memory_mb'] == 8 * 1024
    driver.backend.set_available(False)
    # The host did not shrink because its engine restarts.
    assert driver.get_available_resource('fake-compute')['vcpus'] == 4
