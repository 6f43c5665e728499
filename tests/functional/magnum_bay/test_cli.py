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

"""The docker-bay console script, run as a user runs it (a subprocess)."""

import json
import os
import stat
import subprocess
import sys
import time

import docker as docker_sdk
import pytest

from tests.rig import docker_engine

pytestmark = pytest.mark.docker


@pytest.fixture
def cli(docker, node_image, tmp_path):
    config = tmp_path / 'docker-bay.conf'
    config.write_text('[bay]\nstate_dir = %s\nconnection = sqlite:///%s\n'
                      'endpoint = %s\n' % (
                          tmp_path / 'state', tmp_path / 'bays.sqlite',
                          docker_engine.docker_host()))
    made = []

    def run(*args, ok=True):
        proc = subprocess.run(
            [sys.executable, '-m', 'magnum_bay.cli', '--config-file',
             str(config)] + list(args), capture_output=True, text=True,
            timeout=300, env=dict(os.environ, PYTHONPATH=os.getcwd()))
        if ok:
            assert proc.returncode == 0, proc.stderr
        if args[:2] == ('cluster', 'create') and proc.returncode == 0:
            made.append(args[2])
        return proc

    yield run
    for name in made:
        run('cluster', 'delete', name, ok=False)


@pytest.mark.slow
def test_template_commands_and_errors(cli):
    out = cli('cluster', 'template', 'create', 'sw', '--coe', 'swarm-mode',
              '--image', 'dos/bay-node:latest', '--node-count', '2',
              '--labels', 'a=1,b=2', '-f', 'json')
    tmpl = json.loads(out.stdout)
    assert tmpl['coe'] == 'swarm-mode' and tmpl['node_count'] == 2
    assert tmpl['labels'] == {'a': '1', 'b': '2'}
    rows = json.loads(cli('cluster', 'template', 'list', '-f',
                          'json').stdout)
    assert [r['name'] for r in rows] == ['sw']
    table = cli('cluster', 'template', 'show', 'sw').stdout
    assert '| coe ' in table and 'swarm-mode' in table

    bad = cli('cluster', 'template', 'create', 'x', '--coe', 'swarm-mode',
              '--image', 'dos/bay-node:latest', '--master-count', '2',
              ok=False)
    assert bad.returncode == 1
    assert bad.stderr.startswith('ERROR: invalid master_count')
    bad = cli('cluster', 'template', 'create', 'x', '--coe', 'swarm',
              '--image', 'dos/bay-node:latest', ok=False)
    assert 'ERROR: invalid coe' in bad.stderr
    bad = cli('cluster', 'create', 'c', '--cluster-template', 'nope',
              ok=False)
    assert 'cluster template nope not found' in bad.stderr
    assert json.loads(cli('cluster', 'list', '-f', 'json').stdout) == []
    cli('cluster', 'template', 'delete', 'sw')
    assert json.loads(cli('cluster', 'template', 'list', '-f',
                          'json').stdout) == []


@pytest.mark.slow
def test_cluster_create_config_delete(cli, tmp_path):
    cli('cluster', 'template', 'create', 'sw', '--coe', 'swarm-mode',
        '--image', 'dos/bay-node:latest', '--node-count', '1')
    out = cli('cluster', 'create', 'c1', '--cluster-template', 'sw', '-f',
              'json')
    cluster = json.loads(out.stdout)
    assert cluster['status'] == 'CREATE_COMPLETE'
    assert cluster['health_status'] == 'HEALTHY'
    assert cluster['master_count'] == 1 and cluster['node_count'] == 1
    # Progress while it waits, on stderr.
    assert 'swarm init' in out.stderr and 'CREATE_COMPLETE' in out.stderr
    listed = json.loads(cli('cluster', 'list', '-f', 'json').stdout)
    assert [(r['name'], r['health_status']) for r in listed] == [
        ('c1', 'HEALTHY')]

    folder = tmp_path / 'cfg'
    out = cli('cluster', 'config', 'c1', '--dir', str(folder))
    assert out.stdout.strip() == 'source %s/env.sh' % folder
    assert stat.S_IMODE(os.stat(folder / 'key.pem').st_mode) == 0o600
    env = (folder / 'env.sh').read_text()
    assert 'DOCKER_TLS_VERIFY=1' in env and cluster['api_address'] in env
    again = cli('cluster', 'config', 'c1', '--dir', str(folder), ok=False)
    assert 'invalid dir' in again.stderr
    tls = docker_sdk.tls.TLSConfig(
        client_cert=(str(folder / 'cert.pem'), str(folder / 'key.pem')),
        ca_cert=str(folder / 'ca.pem'), verify=True)
    user = docker_sdk.DockerClient(
        base_url=cluster['api_address'].replace('tcp://', 'https://'),
        tls=tls, version='1.41')
    user.api.trust_env = False
    assert len(user.nodes.list()) == 2
    user.close()

    out = cli('cluster', 'delete', 'c1')
    assert 'deleted c1' in out.stdout
    assert json.loads(cli('cluster', 'list', '-f', 'json').stdout) == []


@pytest.mark.slow
def test_no_wait_returns_at_once_and_finishes(cli, docker):
    cli('cluster', 'template', 'create', 'sw', '--coe', 'swarm-mode',
        '--image', 'dos/bay-node:latest', '--node-count', '1')
    out = cli('cluster', 'create', 'c2', '--cluster-template', 'sw',
              '--no-wait', '-f', 'json')
    first = json.loads(out.stdout)
    assert first['status'] == 'CREATE_IN_PROGRESS'
    status = None
    for _ in range(240):
        status = json.loads(cli('cluster', 'show', 'c2', '-f', 'json',
                                '--no-refresh').stdout)['status']
        if status != 'CREATE_IN_PROGRESS':
            break
        time.sleep(0.25)
    assert status == 'CREATE_COMPLETE'
