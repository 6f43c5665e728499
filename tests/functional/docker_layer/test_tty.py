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

"""Terminals in containers (docker_layer.tty) on the private engine: a
shell with a tty answers in the container, ``splice`` joins it to another
socket both ways, closing hangs the shell up, and a stopped container has
no terminal."""

import socket
import threading
import time
import uuid

from docker import errors as docker_errors
import pytest

from docker_layer import client
from docker_layer import tty
from tests.rig import docker_engine

pytestmark = pytest.mark.docker


@pytest.fixture
def api():
    engine = client.api_client(docker_engine.docker_host(), timeout=60,
                               version=client.AUTO)
    yield engine
    engine.close()


@pytest.fixture
def running(api, docker_client):
    made = api.create_container(
        'dos/idle:latest', name='tty-%s' % uuid.uuid4().hex[:10],
        hostname='tty-test-host',
        labels={'org.docker-on-openstack.test.tty': '1'},
        host_config=api.create_host_config(network_mode='none'))
    api.start(made['Id'])
    yield made['Id']
    try:
        api.remove_container(made['Id'], force=True, v=True)
    except docker_errors.NotFound:
        pass


def _read_until(sock, text, timeout=20):
    sock.settimeout(1)
    got = b''
    deadline = time.monotonic() + timeout
    while text.encode() not in got and time.monotonic() < deadline:
        try:
            data = sock.recv(4096)
        except socket.timeout:
            continue
        if not data:
            break
        got += data
    return got.decode(errors='replace')


def _procs(api, container, args):
    top = api.top(container, ps_args='-o pid,args')
    return [p for p in top['Processes'] if p[-1].strip() == args]


def _shells(api, container):
    return _procs(api, container, '/bin/sh -i')


def _gone(check, timeout=20):
    deadline = time.monotonic() + timeout
    while check() and time.monotonic() < deadline:
        time.sleep(0.5)
    return not check()


def test_shell_with_a_tty_answers_inside(api, running):
    term = tty.open_tty(api, running, ['/bin/sh', '-i'])
    try:
        assert isinstance(term, tty.Terminal)
        term.sendall(b'echo "$((6 * 7))-$(hostname)-$TERM"\n')
        out = _read_until(term.sock, '42-tty-test-host-xterm')
        assert '42-tty-test-host-xterm' in out, out
        # A tty: the shell sees a terminal on its input.
        term.sendall(b'test -t 0 && echo "TTY$((1+1))"\n')
        assert 'TTY2' in _read_until(term.sock, 'TTY2')
        # Something running in the foreground when the connection ends.
        term.sendall(b'sleep 1000\n')
        time.sleep(1)
        assert _shells(api, running)
    finally:
        term.close()
    # Hung up: the shell ends with the connection (the engine alone would
    # keep it running).
    assert _gone(lambda: _shells(api, running))
    assert _gone(lambda: _procs(api, running, 'sleep 1000'))
    assert term.running() == (False, term.running()[1])


@pytest.mark.parametrize('local', [True, False])
def test_a_command_deaf_to_the_keys(api, running, local):
    """A command that ignores Ctrl-C and reads no input: signalled when
    the engine is local, else left to end with the container."""
    script = 'trap "" INT; while :; do sleep 1; done'
    term = tty.open_tty(api, running, ['sh', '-c', script], local=local)
    time.sleep(1)
    assert _procs(api, running, 'sh -c %s' % script)
    term.close()
    if local:
        assert _gone(lambda: _procs(api, running, 'sh -c %s' % script))
    else:
        time.sleep(2)
        assert _procs(api, running, 'sh -c %s' % script)


def test_splice_joins_a_client_to_the_terminal(api, running):
    term = tty.open_tty(api, running, ['/bin/sh'])
    ours, theirs = socket.socketpair()
    worker = threading.Thread(target=tty.splice, args=(theirs, term),
                              daemon=True)
    worker.start()
    try:
        ours.sendall(b'echo "spliced-$((2 + 3))"\n')
        assert 'spliced-5' in _read_until(ours, 'spliced-5')
        ours.sendall(b'exit\n')
        # The shell ends: splice closes both sides.
        worker.join(20)
        assert not worker.is_alive()
        assert _read_until(ours, 'never', timeout=2).find('never') == -1
    finally:
        ours.close()


def test_splice_stops_when_asked(api, running):
    term = tty.open_tty(api, running, ['/bin/sh'])
    ours, theirs = socket.socketpair()
    stop = threading.Event()
    worker = threading.Thread(target=tty.splice, args=(theirs, term, stop),
                              daemon=True)
    worker.start()
    stop.set()
    worker.join(5)
    assert not worker.is_alive()
    # Whatever the shell printed first, then the end.
    ours.settimeout(5)
    while ours.recv(4096):
        pass
    ours.close()


def test_stopped_container_has_no_terminal(api, running):
    api.stop(running, timeout=1)
    with pytest.raises(docker_errors.APIError):
        tty.open_tty(api, running, ['/bin/sh'])
