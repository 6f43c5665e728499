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

"""Drivers load through stevedore; options are listed for the generator."""

import subprocess
import sys

import pytest

from magnum_bay import conf as bay_conf
from magnum_bay import exception
from magnum_bay.drivers import base
from magnum_bay.drivers import loader
from magnum_bay.drivers.swarm_mode import node_config


@pytest.mark.parametrize('coe, cls', [
    ('swarm-mode', 'SwarmModeDriver'), ('kubernetes', 'KubernetesDriver'),
    ('mesos', 'MesosDriver')])
def test_each_coe_loads(coe, cls):
    driver = loader.load(coe, bay_conf.CONF)
    assert isinstance(driver, base.BayDriver)
    assert type(driver).__name__ == cls
    assert driver.coe == coe
    assert driver.provides[0]['coe'] == coe


def test_unknown_coe():
    with pytest.raises(exception.DriverNotFound) as err:
        loader.load('nomad', bay_conf.CONF)
    assert 'nomad' in str(err.value) and 'swarm-mode' in str(err.value)
    assert loader.known_coes() == ['kubernetes', 'mesos', 'swarm-mode']


def test_master_size_rule():
    driver = loader.load('swarm-mode', bay_conf.CONF)
    for ok in (1, 3, 5):
        driver.validate_master_size(ok)
    for bad in (0, 2, 4, -1):
        with pytest.raises(exception.InvalidParameter) as err:
            driver.validate_master_size(bad)
        assert err.value.field == 'master_count'


def test_base_driver_is_abstract():
    with pytest.raises(TypeError):
        base.BayDriver(bay_conf.CONF)


def test_list_opts_groups():
    groups = {g.name for g, _opts in bay_conf.list_opts()}
    assert groups == {'bay', 'bay_swarm_mode', 'bay_kubernetes', 'bay_mesos'}


def test_config_generator_knows_the_namespace(tmp_path):
    out = tmp_path / 'bay.conf.sample'
    subprocess.run([sys.executable, '-m', 'oslo_config.generator',
                    '--namespace', 'magnum_bay', '--output-file', str(out)],
                   check=True)
    text = out.read_text()
    assert '[bay_swarm_mode]' in text and 'heartbeat_seconds' in text


def test_node_command_uses_tls_and_its_own_cgroup():
    cmd = node_config.command('bay-x-master-0', 'master', 2376, tls=True)
    assert '--tlsverify' in cmd and 'tcp://0.0.0.0:2376' in cmd
    assert cmd[cmd.index('--cgroup-parent') + 1] == '/bay-x-master-0'
    plain = node_config.command('n', 'worker', 2375, tls=False)
    assert '--tlsverify' not in plain


def test_cli_update_accepts_only_node_count():
    from magnum_bay import cli
    assert cli._node_count(['node_count=4']) == 4
    for bad in (['master_count=3'], ['node_count=x'], ['node_count']):
        with pytest.raises(exception.InvalidParameter):
            cli._node_count(bad)
