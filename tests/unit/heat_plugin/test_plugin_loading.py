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

"""heat-engine loads the resources from plugin_dirs and the client plugin
from the heat.clients entry point."""

from tests.rig import heat as heat_rig  # noqa: I100 - first, see the rig

import os  # noqa: E402

import pytest  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

from heat.engine import clients  # noqa: E402
from heat.tests import utils  # noqa: E402

from heat_plugin import client as docker_client_plugin  # noqa: E402


class TestPluginLoading(heat_rig.HeatStackTestCase):

    def test_types_are_registered(self):
        types = heat_rig.global_resource_types()
        for name in ('OS::Docker::Container', 'DockerInc::Docker::Container',
                     'OS::Docker::Network', 'OS::Docker::Volume'):
            self.assertIn(name, types)

    def test_client_plugin_comes_from_the_entry_point(self):
        ctx = utils.dummy_context()
        plugin = clients.Clients(ctx).client_plugin('docker')
        self.assertIsInstance(plugin, docker_client_plugin.DockerClientPlugin)
        fleet = plugin.client()
        self.assertIs(fleet, plugin.client())     # cached per context
        self.assertTrue(plugin.is_not_found(
            docker_client_plugin.exception.NotFound(operation='x',
                                                    reason='y')))


@pytest.mark.slow
def test_every_module_in_plugin_dir_imports_alone():
    """heat-engine stops if a plugin_dirs module fails to import: load each
    file by path, as Heat's plugin loader does, in a fresh interpreter."""
    folder = heat_rig.plugin_dir()
    files = sorted(os.path.join(folder, n) for n in os.listdir(folder)
                   if n.endswith('.py'))
    code = ('import importlib.util, sys\n'
            'from heat.tests import common\n'
            'for i, path in enumerate(sys.argv[1:]):\n'
            '    spec = importlib.util.spec_from_file_location("m%d" % i,'
            ' path)\n'
            '    m = importlib.util.module_from_spec(spec)\n'
            '    spec.loader.exec_module(m)\n'
            '    print(path, sorted(getattr(m, "resource_mapping",'
            ' dict)()))\n')
    out = subprocess.run([sys.executable, '-c', code] + files,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert 'OS::Docker::Container' in out.stdout
    assert 'OS::Docker::Network' in out.stdout
    assert 'OS::Docker::Volume' in out.stdout
