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

"""The nova.virt shim, checked before the all-in-one starts its computes.

nova-compute loads ``compute_driver = docker.DockerDriver`` through the thin
``nova.virt.docker`` module, which lives in Nova's package: a Nova installed
into a new place comes without it. As DevStack's plugin does, the all-in-one
runs ``nova-docker-shim check || nova-docker-shim install`` first.
"""

import os
import subprocess

from tools.aio import services


class ShimError(Exception):
    pass


def ensure(lay, log=print, virt_dir=None):
    """'ok' when the shim is in place, 'installed' when it was written now.

    virt_dir: a nova/virt folder other than the venv's Nova's.
    """
    argv = [os.path.join(lay.bin, 'nova-docker-shim')]
    extra = ['--nova-virt-dir', virt_dir] if virt_dir else []
    env = services.base_env(lay)
    check = subprocess.run(argv + ['check'] + extra, env=env,
                           capture_output=True, text=True)
    if check.returncode == 0:
        return 'ok'
    log('  ' + check.stderr.strip())
    install = subprocess.run(argv + ['install'] + extra, env=env,
                             capture_output=True, text=True)
    if install.returncode:
        raise ShimError('nova-docker-shim install failed: %s'
                        % (install.stderr or install.stdout).strip())
    log('  ' + install.stdout.strip())
    return 'installed'
