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

"""Loading: nova.virt.docker shim, stevedore backend, [docker] options."""

import os

os.environ.setdefault('OS_NOVA_DISABLE_EVENTLET_PATCHING', '1')

# Nova's functional package picks the threading mode before eventlet can
# be imported by anything else (the Nova test group shares one process).
import nova.tests.functional  # noqa: E402,F401,I100

import filecmp  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

import nova.conf  # noqa: E402
from nova.virt import driver as virt_driver  # noqa: E402
from nova.virt import fake  # noqa: E402
import pytest  # noqa: E402

from nova_docker_driver import backends  # noqa: E402
from nova_docker_driver.backends import base  # noqa: E402
from nova_docker_driver.backends import docker_api  # noqa: E402
from nova_docker_driver import conf as docker_conf  # noqa: E402
from nova_docker_driver import driver as docker_driver  # noqa: E402
from nova_docker_driver import exception  # noqa: E402
from nova_docker_driver import shim  # noqa: E402

CONF = nova.conf.CONF
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


def test_stock_loader_finds_the_driver_through_the_shim():
    # What `make venv` does; idempotent.
    path = shim.install()
    assert path.endswith(os.path.join('nova', 'virt', 'docker',
                                      '__init__.py'))
    loaded = virt_driver.load_compute_driver(fake.FakeVirtAPI(),
                                             shim.COMPUTE_DRIVER)
    assert type(loaded) is docker_driver.DockerDriver
    assert isinstance(loaded, virt_driver.ComputeDriver)


def test_shim_cli_reports_its_path():
    out = subprocess.run([sys.executable, '-m', 'nova_docker_driver.shim',
                          'path'], capture_output=True, text=True,
                         check=True, env=dict(os.environ, PBR_VERSION='0.1'))
    assert out.stdout.strip() == shim.shim_dir()


def test_backend_comes_from_the_stevedore_namespace():
    backend = backends.load('docker_api', CONF)
    assert isinstance(backend, docker_api.DockerAPIBackend)
    assert isinstance(backend, base.EngineBackend)


def test_unknown_backend_is_named_in_the_error():
    with pytest.raises(exception.BackendNotFound) as err:
        backends.load('no-such-engine', CONF)
    assert 'no-such-engine' in str(err.value)


def test_backend_interface_is_abstract():
    with pytest.raises(TypeError):
        base.EngineBackend()


def test_options_are_listed_for_the_generator():
    groups = {group.name if hasattr(group, 'name') else group: opts
              for group, opts in docker_conf.list_opts()}
    names = {opt.name for opt in groups['docker']}
    assert {'endpoint', 'tls_ca_cert', 'tls_client_cert', 'tls_client_key',
            'tls_verify',
            'api_timeout', 'stop_timeout', 'image_cache_dir', 'pids_limit',
            'disk_quota', 'backend', 'instances_dir'} <= names
    assert 'docker_network' in groups


def test_generated_sample_is_current(tmp_path):
    out = tmp_path / 'sample.conf'
    subprocess.run([os.path.join(os.path.dirname(sys.executable),
                                 'oslo-config-generator'),
                    '--namespace', 'nova_docker_driver', '--wrap-width', '79',
                    '--output-file', str(out)], check=True, cwd=ROOT,
                   capture_output=True, env=dict(os.environ,
                                                 PBR_VERSION='0.1'))
    sample = os.path.join(ROOT, 'etc', 'nova_docker_driver',
                          'nova-docker.conf.sample')
    assert filecmp.cmp(str(out), sample, shallow=False), (
        'regenerate with oslo-config-generator --config-file '
        'etc/nova_docker_driver/nova-docker-config-generator.conf')


def test_tls_options_reach_the_client(tmp_path):
    CONF.set_override('endpoint', 'tcp://127.0.0.1:1', group='docker')
    CONF.set_override('tls_verify', True, group='docker')
    CONF.set_override('tls_ca_cert', str(tmp_path / 'ca.pem'),
                      group='docker')
    try:
        # A missing CA file is a clear configuration error.
        with pytest.raises(exception.TLSConfigInvalid) as err:
            docker_api.DockerAPIBackend(CONF).version()
        assert 'tls_ca' in str(err.value)
        (tmp_path / 'ca.pem').write_text('placeholder')
        tls = docker_api.DockerAPIBackend(CONF)._tls()
        assert tls.verify is True
        assert tls.ca_cert == str(tmp_path / 'ca.pem')
    finally:
        for name in ('endpoint', 'tls_verify', 'tls_ca_cert'):
            CONF.clear_override(name, group='docker')


def test_environment_ca_bundle_does_not_replace_the_engine_ca(
        tmp_path, monkeypatch):
    (tmp_path / 'ca.pem').write_text('placeholder')
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', str(tmp_path / 'other.pem'))
    CONF.set_override('endpoint', 'tcp://127.0.0.1:1', group='docker')
    CONF.set_override('tls_verify', True, group='docker')
    CONF.set_override('tls_ca_cert', str(tmp_path / 'ca.pem'),
                      group='docker')
    try:
        client = docker_api.DockerAPIBackend(CONF).api
        settings = client.merge_environment_settings(
            'https://127.0.0.1:1/_ping', {}, None, None, None)
        assert settings['verify'] == str(tmp_path / 'ca.pem')
    finally:
        for name in ('endpoint', 'tls_verify', 'tls_ca_cert'):
            CONF.clear_override(name, group='docker')


def test_unreachable_engine_is_engine_unavailable(tmp_path):
    CONF.set_override('endpoint', 'unix://%s' % (tmp_path / 'none.sock'),
                      group='docker')
    try:
        with pytest.raises(exception.EngineUnavailable) as err:
            docker_api.DockerAPIBackend(CONF).version()
        assert 'none.sock' in str(err.value)
    finally:
        CONF.clear_override('endpoint', group='docker')
