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

"""The all-in-one's nova-docker-shim check || install, on a temporary
nova/virt folder with the real console script."""

import os

import pytest

from nova_docker_driver import shim
from tools.aio import cloud
from tools.aio import layout
from tools.aio import shim as aio_shim


@pytest.fixture
def lay(tmp_path):
    return layout.Layout(state=str(tmp_path), port_base=27000,
                         home=str(tmp_path / 'aio'))


@pytest.fixture
def virt(tmp_path):
    path = tmp_path / 'nova' / 'virt'
    path.mkdir(parents=True)
    return str(path)


def test_missing_shim_is_installed_then_found_good(lay, virt):
    logged = []
    assert aio_shim.ensure(lay, logged.append, virt) == 'installed'
    assert 'nova.virt.docker is missing' in logged[0]
    assert logged[1].startswith('  installed ')
    assert shim.check(virt) is None
    logged.clear()
    assert aio_shim.ensure(lay, logged.append, virt) == 'ok'
    assert logged == []


def test_a_failed_install_stops_the_start_naming_the_cause(lay, virt):
    os.makedirs(os.path.join(virt, 'docker'))
    with open(os.path.join(virt, 'docker', '__init__.py'), 'w') as f:
        f.write('# not ours\n')
    with pytest.raises(aio_shim.ShimError) as err:
        aio_shim.ensure(lay, lambda line: None, virt)
    assert 'nova-docker-shim install failed' in str(err.value)
    assert '--force' in str(err.value)


def test_cloud_start_turns_a_shim_failure_into_a_start_error(lay,
                                                             monkeypatch):
    def failing(lay, log):
        raise aio_shim.ShimError('nova-docker-shim install failed: denied')
    monkeypatch.setattr(aio_shim, 'ensure', failing)
    with pytest.raises(cloud.StartError) as err:
        cloud.Cloud(lay, log=lambda line: None).ensure_shim()
    assert 'denied' in str(err.value)
