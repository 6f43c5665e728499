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

"""The serial console (get_serial_console) on the fake engine: one port
per instance on proxyclient_address, a terminal per connection, the
session limit, and no console for stopped, paused or deleted instances."""

import socket
import time

from nova.console import serial as nova_serial
from nova.console import type as console_type
from nova import exception as nova_exc
import pytest

from tests.unit.nova_docker_driver import conftest as rig


@pytest.fixture
def serial_conf(docker_conf):
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        free = s.getsockname()[1]
    overrides = {'enabled': True, 'proxyclient_address': '127.0.0.1',
                 'port_range': '%d:%d' % (free, free + 20)}
    for name, value in overrides.items():
        docker_conf.set_override(name, value, group='serial_console')
    yield docker_conf
    for name in overrides:
        docker_conf.clear_override(name, group='serial_console')
    docker_conf.clear_override('serial_console_sessions', group='docker')
    docker_conf.clear_override('serial_console_command', group='docker')


@pytest.fixture
def booted(serial_conf, driver, context):
    inst = rig.make_instance(context)
    driver.spawn(context, inst, rig.image_meta(), [], None, {})
    (state,) = driver.backend.containers()
    return inst, state.id


def _connect(console):
    conn = socket.create_connection((console.host, console.port), timeout=5)
    return conn


def _echoes(conn, text=b'echo hello\n'):
    conn.sendall(text)
    got = b''
    deadline = time.monotonic() + 5
    while len(got) < len(text) and time.monotonic() < deadline:
        chunk = conn.recv(100)
        if not chunk:
            break
        got += chunk
    return got == text


def _wait(check, timeout=5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def _listening(port):
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=1):
            return True
    except OSError:
        return False


def test_console_is_a_terminal_in_the_container(driver, booted, context):
    inst, cid = booted
    console = driver.get_serial_console(context, inst)
    assert isinstance(console, console_type.ConsoleSerial)
    assert console.host == '127.0.0.1'
    lo, hi = map(int, driver._consoles._conf.serial_console.port_range
                 .split(':'))
    assert lo <= console.port < hi
    with _connect(console) as conn:
        assert _echoes(conn)
        assert driver.backend.tty_commands == [(cid, ['/bin/sh'])]
    # Asked again (nova-serialproxy's port check): the same port.
    assert driver.get_serial_console(context, inst).port == console.port


def test_command_option_is_split_like_a_shell(driver, booted, context,
                                              serial_conf):
    serial_conf.set_override('serial_console_command', "/bin/bash -l",
                             group='docker')
    inst, cid = booted
    with _connect(driver.get_serial_console(context, inst)) as conn:
        assert _echoes(conn)
    assert driver.backend.tty_commands == [(cid, ['/bin/bash', '-l'])]


def test_each_instance_has_its_own_port(driver, booted, context):
    inst, _ = booted
    other = rig.make_instance(context, uuid='0b6f1b5e-2a46-4f42-8bd5-'
                                           '2f5a2c2a0099')
    driver.spawn(context, other, rig.image_meta(), [], None, {})
    first = driver.get_serial_console(context, inst)
    second = driver.get_serial_console(context, other)
    assert first.port != second.port
    with _connect(second) as conn:
        assert _echoes(conn)
    (cid_other,) = [c.id for c in driver.backend.containers()
                    if c.labels['org.openstack.nova.instance_uuid']
                    == other.uuid]
    assert [c for c, _ in driver.backend.tty_commands] == [cid_other]


def test_sessions_are_limited(driver, booted, context, serial_conf):
    serial_conf.set_override('serial_console_sessions', 2, group='docker')
    inst, cid = booted
    console = driver.get_serial_console(context, inst)
    first, second = _connect(console), _connect(console)
    try:
        assert _echoes(first) and _echoes(second)
        with _connect(console) as third:
            answer = third.recv(200)
            assert b'too many sessions' in answer
            assert third.recv(200) == b''
        first.close()
        assert _wait(lambda: driver._consoles.sessions(inst.uuid) == 1)
        with _connect(console) as again:
            assert _echoes(again)
    finally:
        first.close()
        second.close()


def test_stop_closes_the_port_and_sessions(driver, booted, context):
    inst, cid = booted
    console = driver.get_serial_console(context, inst)
    conn = _connect(console)
    assert _echoes(conn)
    driver.power_off(inst)
    assert conn.recv(100) == b''
    conn.close()
    assert not _listening(console.port)
    assert (console.host, console.port) not in nova_serial.ALLOCATED_PORTS
    with pytest.raises(nova_exc.ConsoleTypeUnavailable):
        driver.get_serial_console(context, inst)


@pytest.mark.parametrize('status', ['exited', 'paused', 'created'])
def test_no_console_unless_running(driver, booted, context, status):
    inst, cid = booted
    console = driver.get_serial_console(context, inst)
    driver.backend.set_status(cid, status)
    with pytest.raises(nova_exc.ConsoleTypeUnavailable):
        driver.get_serial_console(context, inst)
    assert not _listening(console.port)


def test_destroy_releases_the_port(driver, booted, context):
    inst, cid = booted
    console = driver.get_serial_console(context, inst)
    conn = _connect(console)
    assert _echoes(conn)
    driver.destroy(context, inst, [])
    assert conn.recv(100) == b''
    conn.close()
    assert not _listening(console.port)
    assert (console.host, console.port) not in nova_serial.ALLOCATED_PORTS
    with pytest.raises(nova_exc.InstanceNotFound):
        driver.get_serial_console(context, inst)


def test_container_gone_behind_novas_back(driver, booted, context):
    inst, cid = booted
    console = driver.get_serial_console(context, inst)
    driver.backend.remove(cid)
    with _connect(console) as conn:
        answer = conn.recv(300)
    assert b'no terminal in the container' in answer
    assert b'no container' in answer


def test_terminal_refused_by_the_engine(driver, booted, context):
    inst, cid = booted
    console = driver.get_serial_console(context, inst)
    driver.backend.fail('open_tty', driver.backend.refused(
        'OCI runtime exec failed: /bin/sh: no such file'), times=1)
    with _connect(console) as conn:
        assert b'/bin/sh: no such file' in conn.recv(300)
    with _connect(console) as conn:
        assert _echoes(conn)


def test_disabled_serial_console(driver, booted, context, serial_conf):
    serial_conf.set_override('enabled', False, group='serial_console')
    inst, _ = booted
    with pytest.raises(nova_exc.ConsoleTypeUnavailable):
        driver.get_serial_console(context, inst)


def test_port_range_exhausted(driver, booted, context, serial_conf):
    inst, _ = booted
    with socket.socket() as holder:
        holder.bind(('127.0.0.1', 0))
        port = holder.getsockname()[1]
        holder.listen()
        serial_conf.set_override('port_range', '%d:%d' % (port, port + 1),
                                 group='serial_console')
        with pytest.raises(nova_exc.SocketPortRangeExhaustedException):
            driver.get_serial_console(context, inst)


def test_listens_only_on_the_proxyclient_address(driver, booted, context):
    inst, _ = booted
    console = driver.get_serial_console(context, inst)
    listener = driver._consoles._listeners[inst.uuid]
    assert listener._sock.getsockname() == ('127.0.0.1', console.port)
