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

"""tools/docker-engine.sh: idempotent start, stop by pid file, recovery after a kill.

These run a second, throw-away engine with its own state folder and bridge
so the engine the rest of the suite uses is never disturbed.
"""

import os
import signal
import subprocess
import time

import docker
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
SCRIPT = os.path.join(ROOT, 'tools', 'docker-engine.sh')


@pytest.fixture
def engine_env(tmp_path):
    state = tmp_path / 'st'
    env = dict(os.environ, DOS_STATE=str(state),
               DOCKER_BRIDGE_NAME='dostest0',
               DOCKER_BRIDGE_CIDR='172.31.245.1/24')
    yield env, state
    subprocess.call([SCRIPT, 'stop'], env=env)
    subprocess.call(['ip', 'link', 'del', 'dostest0'],
                    stderr=subprocess.DEVNULL)


def _run(env, action):
    return subprocess.run([SCRIPT, action], env=env, capture_output=True,
                          text=True, timeout=120)


def _pid(state):
    return int((state / 'docker.pid').read_text().strip())


@pytest.mark.slow
def test_start_is_idempotent_and_recovers_from_kill(engine_env):
    env, state = engine_env
    first = _run(env, 'start')
    assert first.returncode == 0, first.stderr
    pid = _pid(state)
    sock = state / 'docker.sock'
    client = docker.DockerClient(base_url='unix://%s' % sock, timeout=30)
    assert client.ping()
    info = client.info()
    # Its own data root: never a system engine's state.
    assert info['DockerRootDir'] == str(state / 'docker')

    again = _run(env, 'start')
    assert again.returncode == 0, again.stderr
    assert 'already running' in again.stdout
    assert _pid(state) == pid

    os.kill(pid, signal.SIGKILL)
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    # The pid file and socket of the killed engine are still there.
    assert (state / 'docker.pid').exists()
    recovered = _run(env, 'start')
    assert recovered.returncode == 0, recovered.stderr
    assert _pid(state) != pid
    assert docker.DockerClient(base_url='unix://%s' % sock,
                               timeout=30).ping()

    stopped = _run(env, 'stop')
    assert stopped.returncode == 0
    assert not (state / 'docker.pid').exists()
    assert _run(env, 'status').returncode == 1
