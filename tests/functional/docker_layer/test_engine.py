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

"""The shared Docker layer against the project's private engine.

Each test removes the containers it made, by id; nothing else on the shared
engine is touched.
"""

import uuid

from docker import errors as docker_errors
import pytest

from docker_layer import client
from docker_layer import compat
from docker_layer import errors
from tests.rig import docker_engine

pytestmark = pytest.mark.docker

LABEL = 'org.docker-on-openstack.test.docker-layer'


class _Names(errors.ErrorMap):
    def invalid_config(self, operation, exc):
        return ValueError('config: %s' % exc)

    def unavailable(self, operation, exc):
        return ConnectionError('%s: engine down' % operation)

    def not_found(self, operation, exc):
        return LookupError('%s: %s' % (operation, errors.reason(exc)))

    def api_error(self, operation, exc):
        return RuntimeError('%s: %s' % (operation, errors.reason(exc)))


@pytest.fixture
def api():
    engine = client.api_client(docker_engine.docker_host(), timeout=60,
                               version=client.AUTO)
    yield engine
    engine.close()


@pytest.fixture
def container(api, docker_client):
    """A created (not started) container of this test, removed after it."""
    made = api.create_container(
        'dos/idle:latest', name='dl-%s' % uuid.uuid4().hex[:10],
        labels={LABEL: '1'}, host_config=api.create_host_config(
            mem_limit=64 * 2 ** 20, memswap_limit=64 * 2 ** 20,
            pids_limit=100, cpu_quota=50000, cpu_period=100000))
    yield made['Id']
    try:
        api.remove_container(made['Id'], force=True, v=True)
    except docker_errors.NotFound:
        pass


def test_auto_version_is_the_engines(api):
    assert api.api_version == api.version()['ApiVersion']
    assert api.trust_env is False


def test_high_level_client_pings(docker_client):
    dc = client.docker_client(docker_engine.docker_host(), timeout=30)
    try:
        assert dc.ping() is True
        assert dc.api.api_version == client.MIN_API_VERSION
    finally:
        dc.close()


def test_update_changes_pids_and_limits_in_place(api, container):
    api.start(container)
    answer = compat.update_container(api, container, {
        'PidsLimit': 77, 'Memory': 96 * 2 ** 20, 'MemorySwap': 96 * 2 ** 20,
        'CpuQuota': 25000, 'CpuPeriod': 100000, 'CpusetCpus': None})
    assert 'Warnings' in answer
    host = api.inspect_container(container)['HostConfig']
    assert host['PidsLimit'] == 77
    assert host['Memory'] == 96 * 2 ** 20
    assert host['CpuQuota'] == 25000
    assert api.inspect_container(container)['State']['Running']


def test_update_of_a_missing_container_is_not_found(api):
    with pytest.raises(LookupError, match='container update'):
        errors.call(_Names(), 'container update', compat.update_container,
                    api, 'dl-no-such-%s' % uuid.uuid4().hex, {'PidsLimit': 5})


def test_a_refused_update_is_the_engines_error(api, container):
    # Memory below the engine's 6 MiB floor: refused with a 400.
    with pytest.raises(RuntimeError, match='container update: .*[Mm]emory'):
        errors.call(_Names(), 'container update', compat.update_container,
                    api, container, {'Memory': 1024, 'MemorySwap': 1024})
    assert api.inspect_container(container)['HostConfig']['Memory'] == \
        64 * 2 ** 20


def test_removing_a_running_container_without_force_conflicts(
        api, container):
    api.start(container)
    with pytest.raises(docker_errors.APIError) as err:
        api.remove_container(container)
    assert err.value.status_code == 409

    class Conflicts(_Names):
        def conflict(self, operation, exc):
            return PermissionError(operation)

    with pytest.raises(PermissionError):
        errors.call(Conflicts(), 'container remove', api.remove_container,
                    container)


def test_engine_that_is_not_there_is_unavailable(tmp_path):
    gone = client.api_client('unix://%s' % (tmp_path / 'none.sock'),
                             timeout=5)
    try:
        with pytest.raises(ConnectionError, match='info: engine down'):
            errors.call(_Names(), 'info', gone.info)
    finally:
        gone.close()
