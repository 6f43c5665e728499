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

"""docker_layer.tty without an engine: how a Terminal hangs up (keys
first, a signal only to a process of the container on a local engine) and
how splice copies both ways."""

import socket
import subprocess
import sys
import threading

import pytest

from docker_layer import tty


class _API:
    """What Terminal asks the engine: the exec's state, the container."""

    def __init__(self, running, pid, container_id):
        self.state = {'Running': running, 'Pid': pid}
        self.container_id = container_id

    def exec_inspect(self, exec_id):
        return dict(self.state)

    def inspect_container(self, container):
        return {'Id': self.container_id}


@pytest.fixture
def child():
    # SIGHUP as a shell in a container has it, whatever this process
    # inherited (under nohup it is ignored, and so would be the child's).
    proc = subprocess.Popen([sys.executable, '-c',
                             'import signal, time; '
                             'signal.signal(signal.SIGHUP, signal.SIG_DFL); '
                             'time.sleep(60)'])
    yield proc
    proc.kill()
    proc.wait()


def _cgroup_token(pid):
    with open('/proc/%d/cgroup' % pid) as f:
        return f.read().splitlines()[0].rsplit(':', 1)[1] + '\n'


def _terminal(api, local):
    ours, engine = socket.socketpair()
    return tty.Terminal(api, 'c1', 'e1', ours, local), engine


def _read_all(sock):
    sock.settimeout(5)
    got = b''
    while True:
        data = sock.recv(100)
        if not data:
            return got
        got += data


def test_close_types_interrupt_then_end_of_input(child):
    term, engine = _terminal(_API(False, 0, 'x'), local=True)
    term.close(grace=0)
    assert _read_all(engine) == b'\x03\x04'
    term.close()  # twice is fine


def test_local_process_of_the_container_gets_sighup(child):
    # The container's id is in the process's cgroup file.
    api = _API(True, child.pid, _cgroup_token(child.pid))
    term, engine = _terminal(api, local=True)
    term.close(grace=0.3)
    assert child.wait(10) == -1  # SIGHUP


@pytest.mark.parametrize('local, container_id', [
    (False, None),                     # a remote engine: pids are not ours
    (True, 'another-container-id'),    # not the container's process
])
def test_no_signal_unless_provably_the_containers(child, local,
                                                  container_id):
    api = _API(True, child.pid, container_id or _cgroup_token(child.pid))
    term, engine = _terminal(api, local=local)
    term.close(grace=0.3)
    assert child.poll() is None


def test_splice_copies_both_ways_and_closes_both():
    a_out, a_in = socket.socketpair()
    b_out, b_in = socket.socketpair()
    worker = threading.Thread(target=tty.splice, args=(a_in, b_in),
                              daemon=True)
    worker.start()
    a_out.sendall(b'left to right')
    b_out.settimeout(5)
    assert b_out.recv(100) == b'left to right'
    b_out.sendall(b'right to left')
    a_out.settimeout(5)
    assert a_out.recv(100) == b'right to left'
    a_out.close()
    worker.join(5)
    assert not worker.is_alive()
    assert _read_all(b_out) == b''
    b_out.close()
