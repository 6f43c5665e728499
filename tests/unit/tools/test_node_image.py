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

"""tools/node_image.py finds its sibling script however it was imported."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))))

# As the bay bench imports it: through the rig, which puts tools/ on
# sys.path only for the import itself. build_images was then missing
# when a fresh node image needed its v2 tag ("No module named
# 'build_images'").
CODE = '''
import sys
from tests.rig import docker_engine
node_image = docker_engine.tools_module('node_image')
assert 'build_images' not in sys.modules
assert not any(p.endswith('tools') for p in sys.path), sys.path
print(node_image._sibling('build_images').build_dockerfile.__name__)
'''


def test_build_images_is_found_without_tools_on_sys_path():
    out = subprocess.run([sys.executable, '-c', CODE], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == 'build_dockerfile'
